//! Numbers: General, digit placeholders (with grouping, scaling, percent and exponents)
//! and fractions.

use super::Locale;
use super::code::Tok;

/// The General format: at most 11 characters (the sign aside), as Excel shows a number in
/// a standard-width cell. Between the fixed and the scientific form, the one showing more
/// significant digits wins; on a tie, the fixed one (`0.000123457`, `1.23457E-05`).
pub fn general(v: f64, locale: &Locale) -> String {
    let mut out = String::new();
    general_into(v, locale, &mut out);
    out
}

/// Appends [`general`]'s text to `out`.
pub fn general_into(v: f64, locale: &Locale, out: &mut String) {
    use std::fmt::Write as _;
    // Fast path: when the shortest digits that round-trip already fit in 11 characters,
    // they are exactly what the rule produces.
    if v.is_finite() && v != 0.0 && (1e-5..1e11).contains(&v.abs()) {
        let mark = out.len();
        let _ = write!(out, "{v}");
        let digits = out[mark..].trim_start_matches('-');
        if digits.len() <= 11 {
            if locale.decimal != "."
                && let Some(dot) = out[mark..].find('.')
            {
                out.replace_range(mark + dot..mark + dot + 1, locale.decimal);
            }
            return;
        }
        out.truncate(mark);
    }
    out.push_str(&general_slow(v, locale));
}

pub(super) fn general_slow(v: f64, locale: &Locale) -> String {
    if v.is_nan() {
        return "#NUM!".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "#NUM!".into() } else { "-#NUM!".into() };
    }
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    if a == 0.0 {
        return "0".into();
    }
    let fixed = general_fixed(a);
    let (mantissa, exp) = general_scientific(a);
    let sig = |s: &str| s.trim_matches(|c: char| c == '0' || c == '.').replace('.', "").len();
    let text = match fixed {
        Some(f) if sig(&f) >= sig(&mantissa) => f,
        _ => format!("{mantissa}E{}{:02}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs()),
    };
    format!("{sign}{}", text.replace('.', locale.decimal))
}

/// The fixed form in at most 11 characters, or `None` when the integer part alone is longer.
fn general_fixed(a: f64) -> Option<String> {
    let (int, _) = round_decimal(a, 0);
    let int_len = int.len().max(1);
    if int_len > 11 {
        return None;
    }
    let decimals = 10usize.saturating_sub(int_len);
    let (int, frac) = round_decimal(a, decimals);
    if int.len() > 11 {
        return None;
    }
    let frac = frac.trim_end_matches('0');
    let int = if int.is_empty() { "0" } else { &int };
    Some(if frac.is_empty() { int.to_owned() } else { format!("{int}.{frac}") })
}

/// The scientific form's mantissa (trailing zeros dropped) and exponent, the whole in 11
/// characters: five decimals with a two-digit exponent, four with a three-digit one.
fn general_scientific(a: f64) -> (String, i32) {
    let (digits, mut exp) = decimal_digits(a);
    let decimals = if exp.abs() >= 100 { 4 } else { 5 };
    let mut m: Vec<u8> = digits;
    let carry = round_digits(&mut m, 1 + decimals);
    if carry {
        exp += 1;
    }
    let first = char::from(b'0' + m.first().copied().unwrap_or(0));
    let rest: String = m.iter().skip(1).take(decimals).map(|d| char::from(b'0' + d)).collect();
    let rest = rest.trim_end_matches('0');
    let mantissa = if rest.is_empty() { first.to_string() } else { format!("{first}.{rest}") };
    (mantissa, exp)
}

/// The 15 significant decimal digits of `a > 0` and its decimal exponent (`a = d.ddd × 10^e`).
fn decimal_digits(a: f64) -> (Vec<u8>, i32) {
    // 15 rounded digits are the shortest round-trip digits padded with zeros whenever those
    // are 15 or fewer — except for a subnormal, whose 15-digit form shows its lost precision.
    let s = if a != 0.0 && a < f64::MIN_POSITIVE { format!("{a:e}") } else { format!("{a:.14e}") };
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    (digits, exp.parse().unwrap_or(0))
}

/// Rounds `digits` half up to `keep` digits; true when the rounding carried into a new
/// leading digit (the digits are then `1` followed by zeros, still `keep` long).
fn round_digits(digits: &mut Vec<u8>, keep: usize) -> bool {
    let up = digits.get(keep).is_some_and(|d| *d >= 5);
    digits.resize(keep, 0);
    if !up {
        return false;
    }
    for d in digits.iter_mut().rev() {
        if *d == 9 {
            *d = 0;
        } else {
            *d += 1;
            return false;
        }
    }
    digits.insert(0, 1);
    digits.truncate(keep.max(1));
    true
}

/// Rounds `v ≥ 0` half away from zero at `frac` decimals, on its 15-significant-digit
/// decimal form (as spreadsheets do, so 1.005 → 1.01). Returns the integer digits (empty
/// for zero) and exactly `frac` fraction digits.
pub(super) fn round_decimal(v: f64, frac: usize) -> (String, String) {
    let (mut digits, exp) = decimal_digits(v.abs());
    if v == 0.0 {
        digits = vec![0];
    }
    let mut point = i64::from(exp) + 1;
    if point < 0 {
        digits.splice(0..0, std::iter::repeat_n(0, (-point) as usize));
        point = 0;
    }
    let mut point = point as usize;
    let keep = point + frac;
    if digits.len() < keep {
        digits.resize(keep, 0);
    }
    let up = digits.get(keep).is_some_and(|d| *d >= 5);
    digits.truncate(keep);
    if up {
        let mut k = keep;
        loop {
            if k == 0 {
                digits.insert(0, 1);
                point += 1;
                break;
            }
            k -= 1;
            if digits[k] == 9 {
                digits[k] = 0;
            } else {
                digits[k] += 1;
                break;
            }
        }
    }
    let to_str = |d: &[u8]| d.iter().map(|x| char::from(b'0' + x)).collect::<String>();
    let int = to_str(&digits[..point]);
    (int.trim_start_matches('0').to_owned(), to_str(&digits[point..]))
}

/// How a number section's tokens divide: where the integer, fraction and exponent
/// placeholders are, and what the commas do.
struct Layout {
    /// End of the mantissa (the exponent's position, or the end).
    mantissa_end: usize,
    /// The decimal point's position, or `mantissa_end`.
    int_end: usize,
    int_ph: Vec<usize>,
    frac_ph: Vec<usize>,
    grouping: bool,
    /// Multiplies the value: 100 per `%`, 1/1,000 per scaling comma.
    scale: i32,
}

fn layout(toks: &[Tok]) -> Layout {
    let exp_at = toks.iter().position(|t| matches!(t, Tok::Exp(_)));
    let mantissa_end = exp_at.unwrap_or(toks.len());
    let int_end = toks[..mantissa_end].iter().position(|t| *t == Tok::Point).unwrap_or(mantissa_end);
    let digit = |i: &usize| matches!(toks[*i], Tok::Digit(_));
    let int_ph: Vec<usize> = (0..int_end).filter(digit).collect();
    let frac_ph: Vec<usize> = (int_end..mantissa_end).filter(digit).collect();
    let last_digit = (0..mantissa_end).rev().find(digit);
    let mut grouping = false;
    let mut thousands = 0;
    for i in 0..mantissa_end {
        if toks[i] != Tok::Comma {
            continue;
        }
        let after_digit =
            toks[..i].iter().rev().find(|t| **t != Tok::Comma).is_some_and(|t| matches!(t, Tok::Digit(_)));
        if !after_digit {
            continue;
        }
        if i < int_end && int_ph.iter().any(|&p| p > i) {
            grouping = true;
        } else if i < int_end || last_digit.is_some_and(|d| d < i) {
            // After the integer digits, or after every digit: each scales by 1/1,000.
            thousands += 1;
        }
    }
    let percent = toks.iter().filter(|t| **t == Tok::Percent).count() as i32;
    Layout { mantissa_end, int_end, int_ph, frac_ph, grouping, scale: 2 * percent - 3 * thousands }
}

fn scaled(v: f64, scale: i32) -> f64 {
    if scale == 0 { v } else { v * 10f64.powi(scale) }
}

/// True when `v ≥ 0` shows only zeros in this number section (`-0.001` with `0.00` shows
/// `0.00`, not `-0.00`).
pub(super) fn shows_zero(toks: &[Tok], v: f64) -> bool {
    let l = layout(toks);
    let v = scaled(v, l.scale);
    if l.mantissa_end < toks.len() {
        return v == 0.0;
    }
    let (int, frac) = round_decimal(v, l.frac_ph.len());
    int.is_empty() && frac.bytes().all(|b| b == b'0')
}

/// A number through a section of digit placeholders; `v ≥ 0`.
pub(super) fn number(toks: &[Tok], v: f64, locale: &Locale, out: &mut String) {
    let l = layout(toks);
    let mut v = scaled(v, l.scale);
    let mut exponent = 0i32;
    if l.mantissa_end < toks.len() && v != 0.0 {
        let width = l.int_ph.len().max(1) as i32;
        let (_, e) = decimal_digits(v);
        let hashes = l.int_ph.iter().any(|&i| toks[i] == Tok::Digit(b'#'));
        exponent = if hashes && width > 1 { e.div_euclid(width) * width } else { e - (width - 1) };
        v /= 10f64.powi(exponent);
        // Rounding may carry the mantissa past its width (9.99 → 10.0): renormalise once.
        let (int, _) = round_decimal(v, l.frac_ph.len());
        if int.len() as i32 > width && !hashes {
            exponent += 1;
            v /= 10.0;
        }
    }
    let (int_digits, frac_digits) = round_decimal(v, l.frac_ph.len());
    let int_out = integer_slots(toks, &l.int_ph, &int_digits, l.grouping, locale);
    let significant = frac_digits.trim_end_matches('0').len();

    let mut slot = 0;
    let mut frac_slot = 0;
    let mut exp_written = false;
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Lit(s) => out.push_str(s),
            Tok::Digit(_) if i < l.int_end => {
                out.push_str(&int_out[slot]);
                slot += 1;
            }
            Tok::Digit(d) if i < l.mantissa_end => {
                let c = frac_digits.as_bytes().get(frac_slot).copied().unwrap_or(b'0');
                if frac_slot < significant || *d == b'0' {
                    out.push(char::from(c));
                } else if *d == b'?' {
                    out.push(' ');
                }
                frac_slot += 1;
            }
            Tok::Digit(_) if !exp_written => {
                let width = toks[i..].iter().filter(|t| matches!(t, Tok::Digit(_))).count();
                out.push_str(&format!("{:0width$}", exponent.unsigned_abs()));
                exp_written = true;
            }
            Tok::Point if i == l.int_end => {
                // With no integer placeholder, the integer digits still show, before the point.
                if l.int_ph.is_empty() {
                    out.push_str(&int_digits);
                }
                out.push_str(locale.decimal);
            }
            Tok::Percent => out.push('%'),
            Tok::Exp(plus) => {
                out.push('E');
                if exponent < 0 {
                    out.push('-');
                } else if *plus {
                    out.push('+');
                }
            }
            _ => {}
        }
    }
}

/// The text of each integer placeholder: digits fill them from the right, the leftmost
/// takes any extra digits; where no digit is left, `0` shows 0, `?` a space, `#` nothing.
/// With grouping, the digits are grouped in thousands.
fn integer_slots(
    toks: &[Tok],
    int_ph: &[usize],
    digits: &str,
    grouping: bool,
    locale: &Locale,
) -> Vec<String> {
    let mut slots = vec![String::new(); int_ph.len()];
    let mut rest: Vec<char> = digits.chars().collect();
    for (k, &i) in int_ph.iter().enumerate().rev() {
        let Tok::Digit(d) = toks[i] else { continue };
        if k == 0 {
            if rest.is_empty() {
                slots[k] = filler(d).to_owned();
            } else {
                slots[k] = rest.iter().collect();
            }
            break;
        }
        match rest.pop() {
            Some(c) => slots[k] = c.to_string(),
            None => slots[k] = filler(d).to_owned(),
        }
    }
    if grouping {
        // Separators go between the positions shown (a `?`'s space is a position), from the
        // right, in thousands.
        let shown: Vec<char> = slots.concat().chars().collect();
        let n = shown.len();
        let mut grouped = String::with_capacity(n * 2);
        for (k, c) in shown.iter().enumerate() {
            if k > 0 && (n - k).is_multiple_of(3) {
                grouped.push_str(if shown[k - 1] == ' ' { " " } else { locale.group });
            }
            grouped.push(*c);
        }
        slots.iter_mut().for_each(String::clear);
        if let Some(first) = slots.first_mut() {
            *first = grouped;
        }
    }
    slots
}

fn filler(d: u8) -> &'static str {
    match d {
        b'0' => "0",
        b'?' => " ",
        _ => "",
    }
}

/// A fraction: `# ?/?`, `# ??/16`, `??/??`, `0/0`; `v ≥ 0`.
///
/// Placeholder denominators take the last continued-fraction convergent of the value whose
/// denominator has at most that many digits (Excel's choice: 0.456 with `?/?` is 1/2, not
/// the nearer 4/9); a fixed denominator rounds the numerator.
pub(super) fn fraction(toks: &[Tok], v: f64, locale: &Locale, out: &mut String) {
    let Some(bar) = toks.iter().position(|t| *t == Tok::Slash) else { return };
    // The numerator is the run of placeholders just before the bar (spaces allowed).
    let num_end = toks[..bar].iter().rposition(|t| matches!(t, Tok::Digit(_))).map_or(0, |p| p + 1);
    let num_start = toks[..num_end].iter().rposition(|t| !matches!(t, Tok::Digit(_))).map_or(0, |p| p + 1);
    let int_ph: Vec<usize> = (0..num_start).filter(|&i| matches!(toks[i], Tok::Digit(_))).collect();
    let num_ph: Vec<u8> = toks[num_start..num_end].iter().filter_map(digit).collect();
    // The denominator: placeholders, or a number written in the code (`16`, or `1` `0` `0`).
    let mut den_end = bar + 1;
    let mut bar_space = String::new();
    while let Some(Tok::Lit(sp)) =
        toks.get(den_end).filter(|t| matches!(t, Tok::Lit(s) if s.trim().is_empty()))
    {
        bar_space.push_str(sp);
        den_end += 1;
    }
    let mut den_text = String::new();
    let mut den_ph = Vec::new();
    let mut den_rest = "";
    while let Some(t) = toks.get(den_end) {
        match t {
            Tok::Digit(d) if den_text.is_empty() => den_ph.push(*d),
            Tok::Digit(b'0') => den_text.push('0'),
            Tok::Lit(s) if den_ph.is_empty() && s.starts_with(|c: char| c.is_ascii_digit()) => {
                let n = s.chars().take_while(char::is_ascii_digit).count();
                den_text.push_str(&s[..n]);
                if n < s.len() {
                    den_rest = &s[n..];
                    den_end += 1;
                    break;
                }
            }
            _ => break,
        }
        den_end += 1;
    }
    let fixed: Option<u64> = den_text.parse().ok().filter(|d| *d > 0);
    let has_int = !int_ph.is_empty();
    let (mut whole, x) = if has_int { (v.trunc(), v.fract()) } else { (0.0, v) };
    let (mut num, den) = match fixed {
        Some(d) => ((x * d as f64).round() as u64, d),
        None => {
            let max = 10u64.saturating_pow(den_ph.len().clamp(1, 9) as u32) - 1;
            convergent(x, max)
        }
    };
    if has_int && num >= den && num > 0 {
        whole += (num / den) as f64;
        num %= den;
    }
    let zero_fraction = num == 0 && has_int;
    // A proper fraction alone leaves the integer out; a whole number (zero too) shows it.
    let int_text = if whole == 0.0 && num != 0 { String::new() } else { format!("{whole:.0}") };
    let int_out = integer_slots(toks, &int_ph, &int_text, false, locale);
    // With `#` for the numerator, a whole number shows nothing after its integer part.
    let hidden = zero_fraction && !num_ph.iter().any(|d| *d != b'#');
    let last_int = int_ph.last().map_or(0, |p| p + 1);
    let mut int_slot = 0;
    for (i, t) in toks[..num_start].iter().enumerate() {
        match t {
            Tok::Digit(_) => {
                out.push_str(&int_out[int_slot]);
                int_slot += 1;
            }
            Tok::Lit(_) if hidden && i >= last_int => {}
            Tok::Lit(s) => out.push_str(s),
            Tok::Percent => out.push('%'),
            _ => {}
        }
    }
    let trailing_lit = |out: &mut String, from: usize| {
        out.push_str(den_rest);
        for t in &toks[from..] {
            if let Tok::Lit(s) = t {
                out.push_str(s);
            }
        }
    };
    if zero_fraction {
        // A whole number: the fraction's place is kept blank (`?`), or left out (`#`).
        if num_ph.first() == Some(&b'0') {
            out.push_str(&format!("{:0>w$}/{}", 0, den_display(fixed, 1, &den_ph), w = num_ph.len()));
        } else if num_ph.contains(&b'?') {
            let width =
                num_ph.len() + 1 + bar_space.len() + fixed.map_or(den_ph.len(), |d| d.to_string().len());
            out.push_str(&" ".repeat(width));
        }
        trailing_lit(out, den_end);
        return;
    }
    let num_text = num.to_string();
    let pad = num_ph.len().saturating_sub(num_text.len());
    let pad_char = if num_ph.contains(&b'?') {
        " "
    } else if num_ph.contains(&b'0') {
        "0"
    } else {
        ""
    };
    out.push_str(&pad_char.repeat(pad));
    out.push_str(&num_text);
    for t in &toks[num_end..bar] {
        if let Tok::Lit(s) = t {
            out.push_str(s);
        }
    }
    out.push('/');
    out.push_str(&bar_space);
    out.push_str(&den_display(fixed, den, &den_ph));
    trailing_lit(out, den_end);
}

fn digit(t: &Tok) -> Option<u8> {
    if let Tok::Digit(d) = t { Some(*d) } else { None }
}

/// The denominator as shown: a fixed one as written, a computed one padded on the right
/// with spaces for each `?` it does not fill.
fn den_display(fixed: Option<u64>, den: u64, ph: &[u8]) -> String {
    if let Some(d) = fixed {
        return d.to_string();
    }
    let text = den.to_string();
    let pad = ph.len().saturating_sub(text.len());
    let spaces = ph.iter().rev().take(pad).filter(|d| **d == b'?').count();
    format!("{text}{}", " ".repeat(spaces))
}

/// The last convergent of `x`'s continued fraction whose denominator is at most `max`.
fn convergent(x: f64, max: u64) -> (u64, u64) {
    let (mut p0, mut q0, mut p1, mut q1) = (0u64, 1u64, 1u64, 0u64);
    let mut y = x;
    for _ in 0..64 {
        let a = y.floor();
        if !(0.0..1e15).contains(&a) {
            break;
        }
        let a = a as u64;
        let (p2, q2) = (a.saturating_mul(p1).saturating_add(p0), a.saturating_mul(q1).saturating_add(q0));
        if q2 > max {
            break;
        }
        (p0, q0, p1, q1) = (p1, q1, p2, q2);
        let rest = y - a as f64;
        // Excel stops once the fraction is as exact as its 15 digits can tell.
        if rest <= 0.0 || (x - p1 as f64 / q1 as f64).abs() < 1e-14 {
            break;
        }
        y = 1.0 / rest;
    }
    if q1 == 0 { (0, 1) } else { (p1, q1) }
}
