//! Spreadsheet number formats: the text a cell shows for its value.
//!
//! A format code (`#,##0.00`, `dd/mm/yyyy`, `0.0%`, `"€"#,##0.00;[Red]-"€"#,##0.00`) is
//! parsed once into sections of parts, then applied to numbers with a [`Locale`]'s
//! separators and names. The same code, value and locale give the same text everywhere.
//!
//! Not supported (rendered as General instead): fractions (`# ?/?`). Colours, fill
//! characters (`*x`) and padding (`_x`, a space) do not apply to text.

mod locale;

pub use locale::{LOCALES, Locale};

use crate::value::serial_to_ymd;

/// A parsed number format code.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberFormat {
    sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq)]
struct Section {
    parts: Vec<Part>,
    condition: Option<(Cmp, f64)>,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    General,
    Number,
    Date,
    Text,
    Fraction,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Lit(String),
    /// `0`, `#` or `?`.
    Digit(u8),
    Point,
    /// A `,`: thousands grouping between digit placeholders, scaling by 1,000 after them.
    Comma,
    Percent,
    /// `E+`/`E-` (`true` when the sign is always shown).
    Exp(bool),
    Year(u8),
    Month(u8),
    Minute(u8),
    Day(u8),
    Hour(u8),
    Second(u8),
    /// `[h]`, `[m]`, `[s]` with their width.
    Elapsed(u8, u8),
    SubSecond(u8),
    /// `AM/PM` (true) or `A/P` (false).
    AmPm(bool),
    Text,
    General,
    /// `[$-x-sysdate]` (long) or the locale's short date.
    SysDate(bool),
    SysTime,
}

impl NumberFormat {
    /// Parses a format code. Never fails: what is not a format token is literal text.
    pub fn parse(code: &str) -> NumberFormat {
        let mut sections: Vec<Section> =
            split_sections(code).into_iter().map(|s| parse_section(&s)).collect();
        if sections.is_empty() {
            sections.push(parse_section("General"));
        }
        NumberFormat { sections }
    }

    /// The General format.
    pub fn general() -> NumberFormat {
        NumberFormat::parse("General")
    }

    /// True when the format shows a date or a time.
    pub fn is_date(&self) -> bool {
        self.sections.first().is_some_and(|s| s.kind == Kind::Date)
    }

    /// True when the format is `@` (text) or General: a cell so formatted shows its
    /// content unchanged.
    pub fn is_text(&self) -> bool {
        self.sections.first().is_some_and(|s| s.kind == Kind::Text)
    }

    /// The text a number shows. `is_1904` is the workbook's date system.
    pub fn format_number(&self, v: f64, is_1904: bool, locale: &Locale) -> String {
        let mut out = String::new();
        self.format_number_into(v, is_1904, locale, &mut out);
        out
    }

    /// Appends the text a number shows to `out` (see [`NumberFormat::format_number`]).
    pub fn format_number_into(&self, v: f64, is_1904: bool, locale: &Locale, out: &mut String) {
        if !v.is_finite() {
            return general_into(v, locale, out);
        }
        let (section, value, sign) = self.pick(v);
        match section.kind {
            Kind::General | Kind::Fraction | Kind::Text => {
                if sign {
                    out.push('-');
                }
                general_into(value, locale, out);
            }
            Kind::Number => {
                if sign && !section.rounds_to_zero(value) {
                    out.push('-');
                }
                format_number(&section.parts, value, locale, out);
            }
            Kind::Date => {
                let mark = out.len();
                if format_date(&section.parts, v, is_1904, locale, out).is_none() {
                    out.truncate(mark);
                    general_into(v, locale, out);
                }
            }
        }
    }

    /// The text a text cell shows (its `@` section, or the text itself).
    pub fn format_text(&self, text: &str) -> String {
        let section = self
            .sections
            .get(3)
            .or_else(|| self.sections.iter().find(|s| s.kind == Kind::Text))
            .filter(|s| s.parts.contains(&Part::Text));
        match section {
            None => text.to_owned(),
            Some(s) => s
                .parts
                .iter()
                .map(|p| match p {
                    Part::Text => text,
                    Part::Lit(l) => l.as_str(),
                    _ => "",
                })
                .collect(),
        }
    }

    /// Chooses the section for `v`: returns it, the value to format, and whether a minus
    /// sign must be added (a single section formats negative numbers with a sign).
    fn pick(&self, v: f64) -> (&Section, f64, bool) {
        let numeric: Vec<&Section> = self.sections.iter().take(3).collect();
        if numeric.iter().any(|s| s.condition.is_some()) {
            for s in &numeric {
                if let Some((cmp, x)) = s.condition {
                    let hit = match cmp {
                        Cmp::Lt => v < x,
                        Cmp::Le => v <= x,
                        Cmp::Gt => v > x,
                        Cmp::Ge => v >= x,
                        Cmp::Eq => v == x,
                        Cmp::Ne => v != x,
                    };
                    if hit {
                        return (s, v.abs(), v < 0.0 && s.kind != Kind::Date);
                    }
                }
            }
            let rest = numeric.iter().find(|s| s.condition.is_none()).unwrap_or(&numeric[0]);
            return (rest, v.abs(), v < 0.0);
        }
        match numeric.len() {
            0 | 1 => (numeric.first().copied().unwrap_or(&self.sections[0]), v.abs(), v < 0.0),
            2 => {
                if v < 0.0 {
                    (numeric[1], -v, false)
                } else {
                    (numeric[0], v, false)
                }
            }
            _ => {
                if v > 0.0 {
                    (numeric[0], v, false)
                } else if v < 0.0 {
                    (numeric[1], -v, false)
                } else {
                    (numeric[2], v, false)
                }
            }
        }
    }
}

impl Section {
    /// True when `v` shows as zero in this section (so `-0.001` with `0.00` shows `0.00`,
    /// not `-0.00`).
    fn rounds_to_zero(&self, v: f64) -> bool {
        let frac = self
            .parts
            .iter()
            .skip_while(|p| **p != Part::Point)
            .filter(|p| matches!(p, Part::Digit(_)))
            .count();
        let scaled = scale(&self.parts, v);
        if self.parts.iter().any(|p| matches!(p, Part::Exp(_))) {
            return scaled == 0.0;
        }
        let (int, fr) = round_decimal(scaled, frac);
        int.is_empty() && fr.bytes().all(|b| b == b'0')
    }
}

fn split_sections(code: &str) -> Vec<String> {
    let mut sections = Vec::new();
    let mut current = String::new();
    let mut chars = code.chars();
    let mut in_quotes = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                current.push(c);
            }
            '\\' | '_' | '*' if !in_quotes => {
                current.push(c);
                if let Some(n) = chars.next() {
                    current.push(n);
                }
            }
            ';' if !in_quotes => sections.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    sections.push(current);
    sections
}

fn parse_section(src: &str) -> Section {
    let chars: Vec<char> = src.chars().collect();
    let mut parts = Vec::new();
    let mut condition = None;
    let mut i = 0;
    let lit = |parts: &mut Vec<Part>, s: &str| {
        if let Some(Part::Lit(prev)) = parts.last_mut() {
            prev.push_str(s);
        } else {
            parts.push(Part::Lit(s.to_owned()));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let run = |ch: char| chars[i..].iter().take_while(|x| x.eq_ignore_ascii_case(&ch)).count();
        match c {
            '"' => {
                let end = chars[i + 1..].iter().position(|x| *x == '"').map_or(chars.len(), |p| i + 1 + p);
                let s: String = chars[i + 1..end].iter().collect();
                lit(&mut parts, &s);
                i = end + 1;
            }
            '\\' => {
                if let Some(n) = chars.get(i + 1) {
                    lit(&mut parts, &n.to_string());
                }
                i += 2;
            }
            '_' => {
                lit(&mut parts, " ");
                i += 2;
            }
            '*' => i += 2,
            '[' => {
                let end = chars[i + 1..].iter().position(|x| *x == ']').map_or(chars.len(), |p| i + 1 + p);
                let inner: String = chars[i + 1..end].iter().collect();
                bracket(&inner, &mut parts, &mut condition);
                i = end + 1;
            }
            '0' | '#' | '?' => {
                parts.push(Part::Digit(c as u8));
                i += 1;
            }
            '.' => {
                let zeros = chars[i + 1..].iter().take_while(|x| **x == '0').count();
                let after_seconds = parts.iter().rev().find(|p| !matches!(p, Part::Lit(_)));
                if zeros > 0 && matches!(after_seconds, Some(Part::Second(_) | Part::Elapsed(b's', _))) {
                    parts.push(Part::SubSecond(zeros.min(3) as u8));
                    i += 1 + zeros;
                } else {
                    parts.push(Part::Point);
                    i += 1;
                }
            }
            ',' => {
                parts.push(Part::Comma);
                i += 1;
            }
            '%' => {
                parts.push(Part::Percent);
                i += 1;
            }
            'E' | 'e' if matches!(chars.get(i + 1), Some('+' | '-')) => {
                parts.push(Part::Exp(chars[i + 1] == '+'));
                i += 2;
            }
            '@' => {
                parts.push(Part::Text);
                i += 1;
            }
            'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's' | 'S' => {
                let n = run(c);
                let (part, max): (fn(u8) -> Part, usize) = match c.to_ascii_lowercase() {
                    'y' => (Part::Year, 4),
                    'm' => (Part::Month, 5),
                    'd' => (Part::Day, 4),
                    'h' => (Part::Hour, 2),
                    _ => (Part::Second, 2),
                };
                parts.push(part(n.min(max) as u8));
                i += n;
            }
            'A' | 'a' => {
                let rest: String = chars[i..].iter().take(5).collect();
                if rest.eq_ignore_ascii_case("am/pm") {
                    parts.push(Part::AmPm(true));
                    i += 5;
                } else if rest.get(..3).is_some_and(|r| r.eq_ignore_ascii_case("a/p")) {
                    parts.push(Part::AmPm(false));
                    i += 3;
                } else {
                    lit(&mut parts, &c.to_string());
                    i += 1;
                }
            }
            'G' | 'g' if chars[i..].iter().take(7).collect::<String>().eq_ignore_ascii_case("general") => {
                parts.push(Part::General);
                i += 7;
            }
            _ => {
                lit(&mut parts, &c.to_string());
                i += 1;
            }
        }
    }
    minutes(&mut parts);
    let kind = if parts.iter().any(|p| {
        matches!(
            p,
            Part::Year(_)
                | Part::Month(_)
                | Part::Minute(_)
                | Part::Day(_)
                | Part::Hour(_)
                | Part::Second(_)
                | Part::Elapsed(..)
                | Part::SysDate(_)
                | Part::SysTime
        )
    }) {
        Kind::Date
    } else if parts.iter().any(|p| matches!(p, Part::Digit(_))) {
        let slash = parts.iter().any(|p| matches!(p, Part::Lit(l) if l.contains('/')));
        if slash { Kind::Fraction } else { Kind::Number }
    } else if parts.contains(&Part::Text) {
        Kind::Text
    } else if parts.contains(&Part::General) || parts.is_empty() {
        Kind::General
    } else {
        Kind::Number
    };
    Section { parts, condition, kind }
}

/// `[Red]`, `[Color10]`, `[$€-40C]`, `[$-x-sysdate]`, `[h]`, `[>=100]`.
fn bracket(inner: &str, parts: &mut Vec<Part>, condition: &mut Option<(Cmp, f64)>) {
    let lower = inner.to_ascii_lowercase();
    if let Some(rest) = inner.strip_prefix('$') {
        let (symbol, locale) = rest.split_once('-').unwrap_or((rest, ""));
        if !symbol.is_empty() {
            parts.push(Part::Lit(symbol.to_owned()));
        }
        match locale.to_ascii_lowercase().as_str() {
            "x-sysdate" => parts.push(Part::SysDate(true)),
            "x-systime" => parts.push(Part::SysTime),
            _ => {}
        }
        return;
    }
    if !lower.is_empty() && lower.chars().all(|c| matches!(c, 'h' | 'm' | 's')) {
        let unit = lower.as_bytes()[0];
        if lower.bytes().all(|b| b == unit) {
            parts.push(Part::Elapsed(unit, lower.len().min(9) as u8));
        }
        return;
    }
    let ops =
        [("<=", Cmp::Le), (">=", Cmp::Ge), ("<>", Cmp::Ne), ("<", Cmp::Lt), (">", Cmp::Gt), ("=", Cmp::Eq)];
    for (op, cmp) in ops {
        if let Some(num) = inner.strip_prefix(op) {
            if let Ok(x) = num.trim().parse::<f64>() {
                *condition = Some((cmp, x));
            }
            return;
        }
    }
    // Colours and anything else do not change the text.
}

/// `m`/`mm` next to hours or seconds means minutes.
fn minutes(parts: &mut [Part]) {
    let is_time = |p: &Part| matches!(p, Part::Hour(_) | Part::Elapsed(b'h', _));
    let is_sec = |p: &Part| matches!(p, Part::Second(_) | Part::Elapsed(b's', _));
    let tokens: Vec<usize> = (0..parts.len()).filter(|&i| !matches!(parts[i], Part::Lit(_))).collect();
    for (k, &i) in tokens.iter().enumerate() {
        if let Part::Month(n) = parts[i]
            && n <= 2
        {
            let prev = k.checked_sub(1).map(|j| &parts[tokens[j]]);
            let next = tokens.get(k + 1).map(|&j| &parts[j]);
            if prev.is_some_and(is_time) || next.is_some_and(is_sec) {
                parts[i] = Part::Minute(n);
            }
        }
    }
}

/// Applies percent (× 100 each) and trailing-comma scaling (÷ 1,000 each).
fn scale(parts: &[Part], v: f64) -> f64 {
    let percent = parts.iter().filter(|p| **p == Part::Percent).count() as i32;
    let mut thousands = 0;
    for (i, p) in parts.iter().enumerate() {
        if *p == Part::Comma && is_scaling_comma(parts, i) {
            thousands += 1;
        }
    }
    v * 10f64.powi(2 * percent - 3 * thousands)
}

/// A comma after the last integer digit placeholder (before the point, exponent or end)
/// scales; one between placeholders groups thousands.
fn is_scaling_comma(parts: &[Part], i: usize) -> bool {
    let before = parts[..i].iter().rev().find(|p| !matches!(p, Part::Comma));
    if !matches!(before, Some(Part::Digit(_))) {
        return false;
    }
    !parts[i + 1..]
        .iter()
        .take_while(|p| !matches!(p, Part::Point | Part::Exp(_)))
        .any(|p| matches!(p, Part::Digit(_)))
}

/// Rounds `v ≥ 0` half away from zero at `frac` decimals, on its 15-significant-digit
/// decimal form (as spreadsheets do, so 1.005 → 1.01). Returns the integer digits (empty
/// for zero) and exactly `frac` fraction digits.
fn round_decimal(v: f64, frac: usize) -> (String, String) {
    let s = format!("{:.14e}", v.abs());
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    // The decimal point sits after `point` digits.
    let mut point = exp + 1;
    if point < 0 {
        let pad = (-point) as usize;
        digits.splice(0..0, std::iter::repeat_n(0, pad));
        point = 0;
    }
    let point = point as usize;
    let keep = point + frac;
    if digits.len() < keep {
        digits.resize(keep, 0);
    }
    let round_up = digits.get(keep).is_some_and(|d| *d >= 5);
    digits.truncate(keep);
    let mut point = point;
    if round_up {
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
    let int = int.trim_start_matches('0').to_owned();
    (int, to_str(&digits[point..]))
}

fn format_number(parts: &[Part], v: f64, locale: &Locale, out: &mut String) {
    let mut v = scale(parts, v);
    let exp_at = parts.iter().position(|p| matches!(p, Part::Exp(_)));
    let mantissa_end = exp_at.unwrap_or(parts.len());
    let point_at = parts[..mantissa_end].iter().position(|p| *p == Part::Point);
    let int_end = point_at.unwrap_or(mantissa_end);
    let int_ph: Vec<usize> = (0..int_end).filter(|&i| matches!(parts[i], Part::Digit(_))).collect();
    let frac_ph: Vec<usize> =
        (int_end..mantissa_end).filter(|&i| matches!(parts[i], Part::Digit(_))).collect();
    let grouping = (0..int_end).any(|i| parts[i] == Part::Comma && !is_scaling_comma(parts, i));

    let mut exponent = 0i32;
    if exp_at.is_some() && v != 0.0 {
        let width = int_ph.len().max(1) as i32;
        let e = v.log10().floor() as i32;
        let hashes = int_ph.iter().any(|&i| parts[i] == Part::Digit(b'#'));
        exponent = if hashes && width > 1 { e.div_euclid(width) * width } else { e - (width - 1) };
        v /= 10f64.powi(exponent);
        // Rounding may carry the mantissa past its width (9.99 → 10.0): renormalise once.
        let (int, _) = round_decimal(v, frac_ph.len());
        if int.len() as i32 > width && !hashes {
            exponent += 1;
            v /= 10.0;
        }
    }
    let (int_digits, frac_digits) = round_decimal(v, frac_ph.len());

    // Integer part: digits fill the placeholders from the right; the leftmost placeholder
    // takes any extra digits.
    let mut int_out: Vec<String> = vec![String::new(); int_ph.len()];
    if grouping {
        let zeros = int_ph.iter().filter(|&&i| parts[i] == Part::Digit(b'0')).count();
        let mut s = int_digits.clone();
        while s.len() < zeros {
            s.insert(0, '0');
        }
        let grouped = group(&s, locale.group);
        if let Some(first) = int_out.first_mut() {
            *first = grouped;
        }
    } else {
        let mut rest: &str = &int_digits;
        for (slot, &i) in int_ph.iter().enumerate().rev() {
            if slot == 0 {
                int_out[slot] = if rest.is_empty() { filler(&parts[i]) } else { rest.to_owned() };
                break;
            }
            match rest.char_indices().last() {
                Some((at, ch)) => {
                    int_out[slot] = ch.to_string();
                    rest = &rest[..at];
                }
                None => int_out[slot] = filler(&parts[i]),
            }
        }
    }
    let significant = frac_digits.trim_end_matches('0').len();

    let mut int_slot = 0;
    let mut frac_slot = 0;
    let mut exp_written = false;
    for (i, p) in parts.iter().enumerate() {
        match p {
            Part::Lit(s) => out.push_str(s),
            Part::Digit(d) if i < int_end => {
                out.push_str(&int_out[int_slot]);
                int_slot += 1;
            }
            Part::Digit(d) if i < mantissa_end => {
                let c = frac_digits.as_bytes().get(frac_slot).copied().unwrap_or(b'0');
                if frac_slot < significant || *d == b'0' {
                    out.push(char::from(c));
                } else if *d == b'?' {
                    out.push(' ');
                }
                frac_slot += 1;
            }
            Part::Digit(_) if !exp_written => {
                let width = parts[i..].iter().filter(|p| matches!(p, Part::Digit(_))).count();
                out.push_str(&format!("{:0width$}", exponent.unsigned_abs()));
                exp_written = true;
            }
            Part::Point if i == int_end => out.push_str(locale.decimal),
            Part::Percent => out.push('%'),
            Part::Exp(plus) => {
                out.push('E');
                if exponent < 0 {
                    out.push('-');
                } else if *plus {
                    out.push('+');
                }
            }
            Part::Text => {}
            _ => {}
        }
    }
}

fn filler(p: &Part) -> String {
    match p {
        Part::Digit(b'0') => "0".into(),
        Part::Digit(b'?') => " ".into(),
        _ => String::new(),
    }
}

fn group(digits: &str, sep: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3 * sep.len());
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (n - k).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

/// The General format: up to 11 characters, switching to scientific notation for very
/// large or small numbers (as Excel shows a number in a standard-width cell).
pub fn general(v: f64, locale: &Locale) -> String {
    let mut out = String::new();
    general_into(v, locale, &mut out);
    out
}

/// Appends [`general`]'s text to `out`.
pub fn general_into(v: f64, locale: &Locale, out: &mut String) {
    use std::fmt::Write as _;
    // Fast path: when the shortest digits that round-trip already fit in 11 characters,
    // they are exactly what the rule below produces.
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

fn general_slow(v: f64, locale: &Locale) -> String {
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
    if !(1e-9..1e11).contains(&a) {
        let e = a.log10().floor() as i32;
        let mut m = a / 10f64.powi(e);
        let (mut int, mut frac) = round_decimal(m, 5);
        let mut e = e;
        if int.len() > 1 {
            e += 1;
            m /= 10.0;
            (int, frac) = round_decimal(m, 5);
        }
        let frac = frac.trim_end_matches('0');
        let mut s = format!("{sign}{int}");
        if !frac.is_empty() {
            s.push_str(locale.decimal);
            s.push_str(frac);
        }
        s.push_str(&format!("E{}{:02}", if e < 0 { '-' } else { '+' }, e.unsigned_abs()));
        return s;
    }
    let int_len = if a < 1.0 { 1 } else { a.log10().floor() as usize + 1 };
    let decimals = 10usize.saturating_sub(int_len);
    let (int, frac) = round_decimal(a, decimals);
    let frac = frac.trim_end_matches('0');
    let int = if int.is_empty() { "0".to_owned() } else { int };
    if frac.is_empty() { format!("{sign}{int}") } else { format!("{sign}{int}{}{frac}", locale.decimal) }
}

/// Appends the date or time; `None` (with `out` partly written) when it cannot be shown.
fn format_date(parts: &[Part], serial: f64, is_1904: bool, locale: &Locale, out: &mut String) -> Option<()> {
    use std::fmt::Write as _;
    if serial < 0.0 {
        return None;
    }
    // Expand the locale's system formats.
    if parts.iter().any(|p| matches!(p, Part::SysDate(_) | Part::SysTime)) {
        for p in parts {
            match p {
                Part::SysDate(_) => {
                    format_date(&parse_section(locale.long_date).parts, serial, is_1904, locale, out)?
                }
                Part::SysTime => {
                    format_date(&parse_section(locale.time).parts, serial, is_1904, locale, out)?
                }
                Part::Lit(l) => out.push_str(l),
                _ => {}
            }
        }
        return Some(());
    }
    let sub =
        parts.iter().find_map(|p| if let Part::SubSecond(n) = p { Some(*n) } else { None }).unwrap_or(0);
    let unit = 10f64.powi(i32::from(sub));
    let ticks = (serial * 86_400.0 * unit).round();
    if ticks > 1e18 {
        return None;
    }
    let ticks = ticks as i64;
    let per_day = (86_400.0 * unit) as i64;
    let days = ticks.div_euclid(per_day);
    let in_day = ticks.rem_euclid(per_day);
    let secs = in_day / unit as i64;
    let fraction = in_day % unit as i64;
    let (y, mo, d) = serial_to_ymd(days, is_1904)?;
    let weekday = if is_1904 { (days + 5).rem_euclid(7) } else { (days + 6).rem_euclid(7) } as usize;
    let (h, mi, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let twelve = parts.iter().any(|p| matches!(p, Part::AmPm(_)));
    let hour = if twelve { (h + 11) % 12 + 1 } else { h };
    let total_secs = ticks / unit as i64;

    for p in parts {
        match p {
            Part::Lit(l) => out.push_str(l),
            Part::Year(n) if *n <= 2 => {
                let _ = write!(out, "{:02}", y.rem_euclid(100));
            }
            Part::Year(_) => {
                let _ = write!(out, "{y:04}");
            }
            Part::Month(1) => {
                let _ = write!(out, "{mo}");
            }
            Part::Month(2) => {
                let _ = write!(out, "{mo:02}");
            }
            Part::Month(3) => out.push_str(locale.months_short[mo as usize - 1]),
            Part::Month(5) => out.extend(locale.months[mo as usize - 1].chars().next()),
            Part::Month(_) => out.push_str(locale.months[mo as usize - 1]),
            Part::Day(1) => {
                let _ = write!(out, "{d}");
            }
            Part::Day(2) => {
                let _ = write!(out, "{d:02}");
            }
            Part::Day(3) => out.push_str(locale.days_short[weekday]),
            Part::Day(_) => out.push_str(locale.days[weekday]),
            Part::Hour(1) => {
                let _ = write!(out, "{hour}");
            }
            Part::Hour(_) => {
                let _ = write!(out, "{hour:02}");
            }
            Part::Minute(1) => {
                let _ = write!(out, "{mi}");
            }
            Part::Minute(_) => {
                let _ = write!(out, "{mi:02}");
            }
            Part::Second(1) => {
                let _ = write!(out, "{s}");
            }
            Part::Second(_) => {
                let _ = write!(out, "{s:02}");
            }
            Part::Elapsed(unit, width) => {
                let n = match unit {
                    b'h' => total_secs / 3600,
                    b'm' => total_secs / 60,
                    _ => total_secs,
                };
                let _ = write!(out, "{n:0width$}", width = usize::from(*width));
            }
            Part::SubSecond(n) => {
                out.push_str(locale.decimal);
                let _ = write!(out, "{fraction:0width$}", width = usize::from(*n));
            }
            Part::AmPm(full) => {
                let pm = h >= 12;
                if *full {
                    out.push_str(locale.am_pm[usize::from(pm)]);
                } else {
                    out.push(if pm { 'P' } else { 'A' });
                }
            }
            // In a date, number punctuation is plain text.
            Part::Comma => out.push(','),
            Part::Point => out.push('.'),
            Part::Percent => out.push('%'),
            Part::Digit(c) => out.push(char::from(*c)),
            _ => {}
        }
    }
    Some(())
}

/// The format code of a built-in format id (xlsx and xls ids 0–49), for `locale` where the
/// built-in depends on the reader's regional settings (14 and 22).
pub fn builtin(id: u32, locale: &Locale) -> Option<String> {
    Some(match id {
        14 => locale.short_date.to_owned(),
        22 => format!("{} h:mm", locale.short_date),
        0 => "General".into(),
        1 => "0".into(),
        2 => "0.00".into(),
        3 => "#,##0".into(),
        4 => "#,##0.00".into(),
        5 => "\"$\"#,##0_);(\"$\"#,##0)".into(),
        6 => "\"$\"#,##0_);[Red](\"$\"#,##0)".into(),
        7 => "\"$\"#,##0.00_);(\"$\"#,##0.00)".into(),
        8 => "\"$\"#,##0.00_);[Red](\"$\"#,##0.00)".into(),
        9 => "0%".into(),
        10 => "0.00%".into(),
        11 => "0.00E+00".into(),
        12 => "# ?/?".into(),
        13 => "# ??/??".into(),
        15 => "d-mmm-yy".into(),
        16 => "d-mmm".into(),
        17 => "mmm-yy".into(),
        18 => "h:mm AM/PM".into(),
        19 => "h:mm:ss AM/PM".into(),
        20 => "h:mm".into(),
        21 => "h:mm:ss".into(),
        37 => "#,##0 ;(#,##0)".into(),
        38 => "#,##0 ;[Red](#,##0)".into(),
        39 => "#,##0.00;(#,##0.00)".into(),
        40 => "#,##0.00;[Red](#,##0.00)".into(),
        45 => "mm:ss".into(),
        46 => "[h]:mm:ss".into(),
        47 => "mmss.0".into(),
        48 => "##0.0E+0".into(),
        49 => "@".into(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests;

/// Formats a date serial with a CLDR-style pattern (`dd/MM/yyyy`, `d MMMM yyyy`,
/// `EEEE HH:mm`, `h:mm a`, `'at' HH:mm`). Hours are 12-hour when the pattern has `a`.
/// `None` when the serial is not a showable date.
pub fn format_date_pattern(serial: f64, is_1904: bool, pattern: &str, locale: &Locale) -> Option<String> {
    let mut out = String::new();
    format_date(&cldr_parts(pattern), serial, is_1904, locale, &mut out)?;
    Some(out)
}

/// CLDR date-pattern letters to date parts; other characters are literal, `'…'` quotes.
fn cldr_parts(pattern: &str) -> Vec<Part> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut parts = Vec::new();
    let lit = |parts: &mut Vec<Part>, s: &str| match parts.last_mut() {
        Some(Part::Lit(prev)) => prev.push_str(s),
        _ => parts.push(Part::Lit(s.to_owned())),
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let n = chars[i..].iter().take_while(|x| **x == c).count();
        let width = n.min(5) as u8;
        let part = match c {
            'y' => Some(Part::Year(if n == 2 { 2 } else { 4 })),
            'M' | 'L' => Some(Part::Month(width.min(5))),
            'd' => Some(Part::Day(width.min(2))),
            'E' => Some(Part::Day(if n >= 4 { 4 } else { 3 })),
            'H' | 'h' => Some(Part::Hour(width.min(2))),
            'm' => Some(Part::Minute(width.min(2))),
            's' => Some(Part::Second(width.min(2))),
            'a' => Some(Part::AmPm(true)),
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

/// A cell's number format as the workbook states it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CellFormat {
    /// A format code.
    Code(String),
    /// A built-in format whose code depends on the reader's locale (ids 14 and 22).
    Builtin(u32),
}

impl CellFormat {
    /// The format for `locale`.
    pub fn resolve(&self, locale: &Locale) -> NumberFormat {
        match self {
            CellFormat::Code(code) => NumberFormat::parse(code),
            CellFormat::Builtin(id) => {
                NumberFormat::parse(&builtin(*id, locale).unwrap_or_else(|| "General".into()))
            }
        }
    }
}

/// How cell values become text for one merge: the table's formats resolved for a locale.
#[derive(Debug, Clone)]
pub struct Display {
    formats: Vec<NumberFormat>,
    locale: &'static Locale,
}

impl Display {
    /// Every cell in General format, en-US.
    pub const fn plain() -> Display {
        Display { formats: Vec::new(), locale: &LOCALES[0] }
    }

    /// Resolves a table's formats for `locale`. `formats[0]` is the table's General.
    pub fn new(formats: &[CellFormat], locale: &'static Locale) -> Display {
        Display { formats: formats.iter().map(|f| f.resolve(locale)).collect(), locale }
    }

    /// The locale in use.
    pub fn locale(&self) -> &'static Locale {
        self.locale
    }

    /// Appends the text a cell shows: its value through its format (`style` indexes the
    /// table's formats; 0 or an unknown index is General).
    pub fn write(&self, value: &crate::Value, style: u16, out: &mut String) {
        use crate::Value;
        let fmt = self.formats.get(usize::from(style)).filter(|_| style != 0);
        match value {
            Value::Empty => {}
            Value::Text(s) => match fmt {
                Some(f) => out.push_str(&f.format_text(s)),
                None => out.push_str(s),
            },
            Value::Int(i) => self.number(*i as f64, fmt, out),
            Value::Float(f) => self.number(*f, fmt, out),
            Value::Bool(b) => out.push_str(self.locale.true_false[usize::from(!*b)]),
            Value::Date(d) => match fmt.filter(|f| f.is_date()) {
                Some(f) => f.format_number_into(d.serial, d.is_1904, self.locale, out),
                None => d.write_iso(out),
            },
            Value::DateIso(s) => match (
                fmt.filter(|f| f.is_date()),
                crate::value::parse_iso_serial(s).or_else(|| crate::value::parse_iso_duration(s)),
            ) {
                (Some(f), Some(serial)) => f.format_number_into(serial, false, self.locale, out),
                _ => out.push_str(s),
            },
            Value::Error(s) => out.push_str(s),
        }
    }

    fn number(&self, v: f64, fmt: Option<&NumberFormat>, out: &mut String) {
        match fmt {
            Some(f) => f.format_number_into(v, false, self.locale, out),
            None => general_into(v, self.locale, out),
        }
    }
}
