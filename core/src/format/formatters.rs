//! The template's explicit formatters (`date`, `number`, `currency`, `percent`): CLDR date
//! patterns and fixed, percent and currency amounts for a locale.

use super::code::Tok;
use super::{Locale, NumberFormat, code, date};

/// Formats a date serial with a CLDR-style pattern (`dd/MM/yyyy`, `d MMMM yyyy`,
/// `EEEE HH:mm`, `h:mm a`, `'at' HH:mm`). Hours are 12-hour when the pattern has `a`.
/// `None` when the serial is not a showable date.
pub fn format_date_pattern(serial: f64, is_1904: bool, pattern: &str, locale: &Locale) -> Option<String> {
    let mut out = String::new();
    date::date(&cldr_parts(pattern), serial, is_1904, locale, locale, &mut out).ok()?;
    Some(out)
}

/// CLDR date-pattern letters to date parts; other characters are literal, `'…'` quotes.
fn cldr_parts(pattern: &str) -> Vec<Tok> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut parts = Vec::new();
    let lit = |parts: &mut Vec<Tok>, s: &str| match parts.last_mut() {
        Some(Tok::Lit(prev)) => prev.push_str(s),
        _ => parts.push(Tok::Lit(s.to_owned())),
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let n = chars[i..].iter().take_while(|x| **x == c).count();
        let width = n.min(5) as u8;
        let part = match c {
            'y' => Some(Tok::Year(if n == 2 { 2 } else { 4 })),
            'M' | 'L' => Some(Tok::Month(width.min(5))),
            'd' => Some(Tok::Day(width.min(2))),
            'E' => Some(Tok::Day(if n >= 4 { 4 } else { 3 })),
            'H' | 'h' => Some(Tok::Hour(width.min(2))),
            'm' => Some(Tok::Minute(width.min(2))),
            's' => Some(Tok::Second(width.min(2))),
            'a' => Some(Tok::AmPm(code::Marker::Locale)),
            '\'' => {
                let end = chars[i + 1..].iter().position(|x| *x == '\'').map_or(chars.len(), |p| i + 1 + p);
                let text: String = chars[i + 1..end].iter().collect();
                lit(&mut parts, if end == i + 1 { "'" } else { &text });
                i = end + 1;
                continue;
            }
            _ => None,
        };
        match part {
            Some(p) => parts.push(p),
            None => lit(&mut parts, &chars[i..i + n].iter().collect::<String>()),
        }
        i += n;
    }
    parts
}

/// A number with `decimals` fixed decimals and thousands separators.
pub fn format_fixed(v: f64, decimals: usize, locale: &Locale) -> String {
    let code =
        if decimals == 0 { "#,##0".to_owned() } else { format!("#,##0.{}", "0".repeat(decimals.min(15))) };
    NumberFormat::parse(&code).format_number(v, false, locale)
}

/// A percentage (0.175 → `17.5%`) with `decimals` decimals, spaced as the locale writes it.
pub fn format_percent(v: f64, decimals: usize, locale: &Locale) -> String {
    format!("{}{}%", format_fixed(v * 100.0, decimals, locale), locale.sign_space)
}

/// An amount in a currency (ISO 4217 code), with the symbol placed as the locale places it.
/// `None` for a code localmerge does not know.
pub fn format_currency(v: f64, code: &str, locale: &Locale) -> Option<String> {
    let (symbol, decimals) = match code.to_ascii_uppercase().as_str() {
        "EUR" => ("€", 2),
        "USD" => ("$", 2),
        "GBP" => ("£", 2),
        "CHF" => ("CHF", 2),
        "JPY" => ("¥", 0),
        "CAD" => ("CA$", 2),
        "AUD" => ("A$", 2),
        "BRL" => ("R$", 2),
        "SEK" => ("kr", 2),
        "NOK" => ("kr", 2),
        "DKK" => ("kr.", 2),
        "PLN" => ("zł", 2),
        "CNY" => ("CN¥", 2),
        "INR" => ("₹", 2),
        _ => return None,
    };
    let amount = format_fixed(v.abs(), decimals, locale);
    let sign = if v < 0.0 && amount.chars().any(|c| c.is_ascii_digit() && c != '0') { "-" } else { "" };
    // A symbol of letters is always spaced; a sign symbol follows the locale.
    let space = if symbol.chars().all(char::is_alphabetic) && locale.sign_space.is_empty() {
        " "
    } else {
        locale.sign_space
    };
    Some(if locale.currency_first {
        format!("{sign}{symbol}{space}{amount}")
    } else {
        format!("{sign}{amount}{space}{symbol}")
    })
}
