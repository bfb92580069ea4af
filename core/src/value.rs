//! Typed cell values and how they read as text.

use crate::calendar::{civil_from_days, days_from_civil, days_in_month};
use std::fmt::Write as _;

/// A date, time or duration as a spreadsheet stores it: a serial number of days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExcelDate {
    /// Days since the workbook's epoch, with the time of day as the fraction.
    pub serial: f64,
    /// The workbook counts from 1904-01-01 (old Mac Excel) rather than 1899-12-30.
    pub is_1904: bool,
    /// A point in time, or a length of time (`[h]:mm` formats).
    pub kind: DateKind,
}

/// Whether an [`ExcelDate`] is a point in time or a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateKind {
    /// A calendar date, with or without a time of day.
    DateTime,
    /// A length of time.
    Duration,
}

/// One cell's value, with the type the spreadsheet gave it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// No value.
    #[default]
    Empty,
    /// Text, exactly as written (CSV cells are always text).
    Text(String),
    /// A whole number.
    Int(i64),
    /// A number with a fractional part (or any number a workbook stores as floating point).
    Float(f64),
    /// TRUE or FALSE.
    Bool(bool),
    /// A date, time or duration with a serial number.
    Date(ExcelDate),
    /// A date, time or duration the workbook stores as ISO 8601 text (OpenDocument).
    DateIso(String),
    /// An error cell such as `#N/A` or `#REF!`.
    Error(String),
}

impl Value {
    /// True for an empty cell or text that is only white space.
    pub fn is_blank(&self) -> bool {
        match self {
            Value::Empty => true,
            // Most text starts with a visible ASCII character: no need to trim it to know.
            Value::Text(s) => !s.as_bytes().first().is_some_and(u8::is_ascii_graphic) && s.trim().is_empty(),
            _ => false,
        }
    }

    /// Truthiness in conditions: empty cells, blank text, zero, FALSE and errors are false.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Empty | Value::Error(_) => false,
            Value::Text(s) => !s.trim().is_empty(),
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0 && !f.is_nan(),
            Value::Bool(b) => *b,
            Value::Date(_) | Value::DateIso(_) => true,
        }
    }

    /// The value as a number, when it is one (text is parsed leniently, as in a comparison).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Date(d) => Some(d.serial),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::Text(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
    }

    /// Appends the value as text: integers without `.0`, dates in ISO 8601, booleans as
    /// `TRUE`/`FALSE` (as a spreadsheet shows them), errors as their code.
    pub fn write_text(&self, out: &mut String) {
        match self {
            Value::Empty => {}
            Value::Text(s) | Value::DateIso(s) | Value::Error(s) => out.push_str(s),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => write_float(*f, out),
            Value::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
            Value::Date(d) => d.write_iso(out),
        }
    }

    /// The value as text (see [`Value::write_text`]).
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        self.write_text(&mut s);
        s
    }

    /// A short name of the value's type, for inspection output.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Empty => "empty",
            Value::Text(_) => "text",
            Value::Int(_) => "integer",
            // Workbooks store every number as a float: a whole one reads as an integer.
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => "integer",
            Value::Float(_) => "decimal",
            Value::Bool(_) => "boolean",
            Value::Date(d) if d.kind == DateKind::Duration => "duration",
            Value::Date(_) | Value::DateIso(_) => "datetime",
            Value::Error(_) => "error",
        }
    }
}

/// Writes a float the way a person expects: `3` not `3.0`, shortest round-trip digits.
pub(crate) fn write_float(f: f64, out: &mut String) {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        let _ = write!(out, "{}", f as i64);
    } else if f.is_finite() && (f.abs() >= 1e15 || f.abs() < 1e-5) {
        let _ = write!(out, "{f:e}");
    } else {
        let _ = write!(out, "{f}");
    }
}

impl ExcelDate {
    /// Writes the date as ISO 8601: `2024-03-01`, `2024-03-01T08:30:00`, `08:30:00` for a
    /// time of day alone, and `PT36H30M` for a duration.
    pub fn write_iso(&self, out: &mut String) {
        if !self.serial.is_finite() {
            return write_float(self.serial, out);
        }
        // Work in whole seconds, rounded, as spreadsheets display them.
        let total_secs = (self.serial * 86_400.0).round();
        if self.kind == DateKind::Duration {
            let neg = total_secs < 0.0;
            let s = total_secs.abs() as u64;
            let (h, m, sec) = (s / 3600, (s / 60) % 60, s % 60);
            out.push_str(if neg { "-PT" } else { "PT" });
            if h > 0 {
                let _ = write!(out, "{h}H");
            }
            if m > 0 {
                let _ = write!(out, "{m}M");
            }
            if sec > 0 || (h == 0 && m == 0) {
                let _ = write!(out, "{sec}S");
            }
            return;
        }
        let days = (total_secs / 86_400.0).floor();
        let secs = (total_secs - days * 86_400.0) as u64;
        let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
        if (0.0..1.0).contains(&self.serial) && !self.is_1904 {
            // A time of day with no date (serial 0 is Excel's "1900-01-00").
            let _ = write!(out, "{h:02}:{m:02}:{s:02}");
            return;
        }
        let Some((y, mo, d)) = serial_to_ymd(days as i64, self.is_1904) else {
            return write_float(self.serial, out);
        };
        let _ = write!(out, "{y:04}-{mo:02}-{d:02}");
        if secs != 0 {
            let _ = write!(out, "T{h:02}:{m:02}:{s:02}");
        }
    }
}

/// Converts a day serial to a civil date, honouring Excel's 1900 leap-year bug (serial 60
/// is the fictitious 1900-02-29) and the 1904 date system.
pub(crate) fn serial_to_ymd(serial: i64, is_1904: bool) -> Option<(i64, u32, u32)> {
    // Days from 1970-01-01 of each epoch's day 0.
    let days_since_unix = if is_1904 {
        serial.checked_add(-24_107)? // 1904-01-01 is day 0
    } else {
        if serial == 60 {
            return Some((1900, 2, 29));
        }
        let s = if serial < 60 { serial + 1 } else { serial };
        s.checked_add(-25_569)? // 1899-12-30 is day 0 after the bug's correction
    };
    if !(-719_468..=2_932_896).contains(&days_since_unix) {
        return None; // Outside years 0000..=9999.
    }
    Some(civil_from_days(days_since_unix))
}

/// The 1900-system serial of an ISO 8601 date or date-time (`2024-03-01`,
/// `2024-03-01T08:30`, `2024-03-01 08:30:15`), as CSV files write dates.
pub(crate) fn parse_iso_serial(text: &str) -> Option<f64> {
    let text = text.trim();
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut it = date.splitn(3, '-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    let mut days = days_from_civil(y, m, d) + 25_569; // 1899-12-30 is serial 0
    if days < 61 {
        // Before 1900-03-01 Excel's serials are one lower (its fictitious 1900-02-29).
        if days < 2 {
            return None;
        }
        days -= 1;
    }
    let mut secs = 0.0;
    if let Some(t) = time {
        let mut p = t.split(':');
        let h: f64 = p.next()?.parse().ok()?;
        let mi: f64 = p.next()?.parse().ok()?;
        let s: f64 = p.next().map_or(Some(0.0), |s| s.parse().ok())?;
        if !(0.0..24.0).contains(&h) || !(0.0..60.0).contains(&mi) || !(0.0..61.0).contains(&s) {
            return None;
        }
        secs = h * 3600.0 + mi * 60.0 + s;
    }
    Some(days as f64 + secs / 86_400.0)
}

/// Days in an ISO 8601 duration (`PT36H00M00S`, `P1DT2H`), as OpenDocument writes times
/// and durations.
pub(crate) fn parse_iso_duration(text: &str) -> Option<f64> {
    let rest = text.trim().strip_prefix('P')?;
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    let mut secs = 0.0;
    for (part, units) in [
        (date, [('D', 86_400.0), ('\0', 0.0), ('\0', 0.0)]),
        (time, [('H', 3600.0), ('M', 60.0), ('S', 1.0)]),
    ] {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
            } else {
                let (_, factor) = units.iter().find(|(u, _)| *u == c)?;
                secs += number.parse::<f64>().ok()? * factor;
                number.clear();
            }
        }
        if !number.is_empty() {
            return None;
        }
    }
    Some(secs / 86_400.0)
}

/// The spreadsheet letters of a zero-based column index: 0 → `A`, 27 → `AB`.
pub fn column_letters(index: u32) -> String {
    let mut n = u64::from(index) + 1;
    let mut buf = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        buf.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    buf.reverse();
    String::from_utf8(buf).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(serial: f64) -> String {
        Value::Date(ExcelDate { serial, is_1904: false, kind: DateKind::DateTime }).to_text()
    }

    #[test]
    fn serials_follow_excel_including_the_1900_bug() {
        assert_eq!(date(1.0), "1900-01-01");
        assert_eq!(date(59.0), "1900-02-28");
        assert_eq!(date(60.0), "1900-02-29");
        assert_eq!(date(61.0), "1900-03-01");
        assert_eq!(date(45352.0), "2024-03-01");
        assert_eq!(date(45352.5), "2024-03-01T12:00:00");
        assert_eq!(date(0.75), "18:00:00");
        let d1904 = ExcelDate { serial: 0.0, is_1904: true, kind: DateKind::DateTime };
        assert_eq!(Value::Date(d1904).to_text(), "1904-01-01");
        assert_eq!(date(1e300), "1e300");
    }

    #[test]
    fn durations_and_numbers() {
        let d = ExcelDate { serial: 1.520_833_333_3, is_1904: false, kind: DateKind::Duration };
        assert_eq!(Value::Date(d).to_text(), "PT36H30M");
        assert_eq!(Value::Float(3.0).to_text(), "3");
        assert_eq!(Value::Float(0.1).to_text(), "0.1");
        assert_eq!(Value::Int(-7).to_text(), "-7");
        assert_eq!(Value::Bool(true).to_text(), "TRUE");
    }

    #[test]
    fn iso_text_parses_to_excel_serials() {
        assert_eq!(parse_iso_serial("1900-01-01"), Some(1.0));
        assert_eq!(parse_iso_serial("1900-02-28"), Some(59.0));
        assert_eq!(parse_iso_serial("1900-03-01"), Some(61.0));
        assert_eq!(parse_iso_serial("2024-03-01"), Some(45352.0));
        assert_eq!(parse_iso_serial(" 2024-03-01T12:00 "), Some(45352.5));
        assert_eq!(parse_iso_serial("2024-02-29 06:00:00"), Some(45351.25));
        for bad in
            ["2023-02-29", "2024-13-01", "01/03/2024", "2024-3-1", "1899-12-31", "2024-03-01T25:00", ""]
        {
            assert_eq!(parse_iso_serial(bad), None, "{bad}");
        }
    }

    #[test]
    fn iso_durations_parse_to_days() {
        assert_eq!(parse_iso_duration("PT36H00M00S"), Some(1.5));
        assert_eq!(parse_iso_duration("P1DT12H"), Some(1.5));
        assert_eq!(parse_iso_duration("PT0.5S"), Some(0.5 / 86_400.0));
        for bad in ["36:00", "PT1X", "P", "PT12"] {
            assert_eq!(parse_iso_duration(bad).filter(|d| *d != 0.0), None, "{bad}");
        }
    }

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16_383), "XFD");
    }
}
