//! Dates, times and durations.

use std::fmt::Write as _;

use super::code::{Marker, Tok, parse_section};
use super::{Locale, Unshown};
use crate::value::serial_to_ymd;

/// The last serial Excel shows as a date (9999-12-31 23:59:59.999…), by date system.
const LAST_1900: f64 = 2_958_466.0;
const LAST_1904: f64 = LAST_1900 - 1462.0;

/// Whether a serial can be shown as a date: Excel fills the cell with `#` for a negative
/// serial and for one past 9999-12-31.
pub(super) fn in_range(serial: f64, is_1904: bool) -> bool {
    serial.is_finite() && serial >= 0.0 && serial < if is_1904 { LAST_1904 } else { LAST_1900 }
}

/// Appends the date or time. `names` is the locale of month and day names (the section's
/// `[$-xxxx]` locale, or the reader's).
pub(super) fn date(
    toks: &[Tok],
    serial: f64,
    is_1904: bool,
    locale: &Locale,
    names: &Locale,
    out: &mut String,
) -> Result<(), Unshown> {
    if !in_range(serial, is_1904) {
        return Err(Unshown::OutOfRange);
    }
    // One look at the section: its system format, finest fraction of a second, AM/PM.
    let (mut system, mut sub, mut twelve) = (None, None, false);
    for t in toks {
        match t {
            Tok::SysDate => system = Some(locale.long_date),
            Tok::SysTime => system = system.or(Some(locale.time)),
            Tok::SubSecond(n) => sub = sub.max(Some(*n)),
            Tok::AmPm(_) => twelve = true,
            _ => {}
        }
    }
    // The reader's system formats replace the whole section.
    if let Some(code) = system {
        return date(&parse_section(code).toks, serial, is_1904, locale, locale, out);
    }
    let unit = 10i64.pow(u32::from(sub.unwrap_or(0)));
    // Excel rounds to the finest unit the section shows.
    let ticks = (serial * 86_400.0 * unit as f64).round() as i64;
    let per_day = 86_400 * unit;
    let days = ticks.div_euclid(per_day);
    let in_day = ticks.rem_euclid(per_day);
    let secs = in_day / unit;
    let fraction = in_day % unit;
    let (y, mo, d) = if days == 0 && !is_1904 {
        (1900, 1, 0) // Excel's "January 0, 1900", a Saturday.
    } else {
        serial_to_ymd(days, is_1904).ok_or(Unshown::OutOfRange)?
    };
    if y > 9999 {
        return Err(Unshown::OutOfRange);
    }
    let weekday = if is_1904 { (days + 5).rem_euclid(7) } else { (days + 6).rem_euclid(7) } as usize;
    let (h, mi, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let hour = if twelve { (h + 11) % 12 + 1 } else { h };
    let total_secs = ticks.div_euclid(unit);
    let month = mo as usize - 1;

    for t in toks {
        match t {
            Tok::Lit(l) => out.push_str(l),
            Tok::Year(2) => {
                let _ = write!(out, "{:02}", y.rem_euclid(100));
            }
            Tok::Year(_) | Tok::EraYear => {
                let _ = write!(out, "{y:04}");
            }
            Tok::Buddhist(2) => {
                let _ = write!(out, "{:02}", (y + 543).rem_euclid(100));
            }
            Tok::Buddhist(_) => {
                let _ = write!(out, "{}", y + 543);
            }
            Tok::Month(1) => {
                let _ = write!(out, "{mo}");
            }
            Tok::Month(2) => {
                let _ = write!(out, "{mo:02}");
            }
            Tok::Month(3) => out.push_str(names.months_short[month]),
            Tok::Month(5) => out.extend(names.months[month].chars().next()),
            Tok::Month(_) => out.push_str(names.months[month]),
            Tok::Day(1) => {
                let _ = write!(out, "{d}");
            }
            Tok::Day(2) => {
                let _ = write!(out, "{d:02}");
            }
            Tok::Day(3) => out.push_str(names.days_short[weekday]),
            Tok::Day(_) => out.push_str(names.days[weekday]),
            Tok::Hour(1) => {
                let _ = write!(out, "{hour}");
            }
            Tok::Hour(_) => {
                let _ = write!(out, "{hour:02}");
            }
            Tok::Minute(1) => {
                let _ = write!(out, "{mi}");
            }
            Tok::Minute(_) => {
                let _ = write!(out, "{mi:02}");
            }
            Tok::Second(1) => {
                let _ = write!(out, "{s}");
            }
            Tok::Second(_) => {
                let _ = write!(out, "{s:02}");
            }
            Tok::Elapsed(u, width) => {
                let n = match u {
                    b'h' => total_secs / 3600,
                    b'm' => total_secs / 60,
                    _ => total_secs,
                };
                let _ = write!(out, "{n:0width$}", width = usize::from(*width));
            }
            Tok::SubSecond(n) => {
                // Each group shows the leading digits of the finest fraction shown.
                let digits = format!("{fraction:0width$}", width = usize::from(sub.unwrap_or(0)));
                out.push_str(locale.decimal);
                out.push_str(digits.get(..usize::from(*n)).unwrap_or(&digits));
            }
            Tok::AmPm(marker) => {
                let pm = usize::from(h >= 12);
                match marker {
                    Marker::Locale => out.push_str(names.am_pm[pm]),
                    Marker::Letter(upper) => {
                        let c = if pm == 1 { 'P' } else { 'A' };
                        out.push(if *upper { c } else { c.to_ascii_lowercase() });
                    }
                    Marker::Fixed(am, p) => out.push_str(if pm == 1 { p } else { am }),
                }
            }
            // In a date, number punctuation is plain text.
            Tok::Comma => out.push(','),
            Tok::Point => out.push('.'),
            Tok::Percent => out.push('%'),
            Tok::Slash => out.push('/'),
            Tok::Digit(c) => out.push(char::from(*c)),
            Tok::Exp(plus) => out.push_str(if *plus { "E+" } else { "E-" }),
            Tok::Text | Tok::General | Tok::SysDate | Tok::SysTime => {}
        }
    }
    Ok(())
}
