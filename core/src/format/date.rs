//! Dates, times and durations.

use std::fmt::Write as _;

use super::code::{Marker, Tok, parse_section};
use super::{Locale, Unshown};
use crate::value::serial_to_ymd;

/// The last serial Excel shows as a date (9999-12-31 23:59:59.999…), by date system.
const LAST_1900: f64 = 2_958_466.0;
const LAST_1904: f64 = LAST_1900 - 1462.0;

/// A Japanese era: its Latin letter, its name, and the Gregorian year it began in.
pub(super) struct Era {
    pub(super) letter: char,
    pub(super) name: &'static str,
    pub(super) first_year: i64,
}

/// The Japanese eras since Excel's first date, with the day each began (Microsoft's
/// "Japanese era" documentation: Taishō 1912-07-30, Shōwa 1926-12-25, Heisei 1989-01-08,
/// Reiwa 2019-05-01).
const ERAS: [((i64, u32, u32), Era); 5] = [
    ((2019, 5, 1), Era { letter: 'R', name: "令和", first_year: 2019 }),
    ((1989, 1, 8), Era { letter: 'H', name: "平成", first_year: 1989 }),
    ((1926, 12, 25), Era { letter: 'S', name: "昭和", first_year: 1926 }),
    ((1912, 7, 30), Era { letter: 'T', name: "大正", first_year: 1912 }),
    ((1868, 1, 1), Era { letter: 'M', name: "明治", first_year: 1868 }),
];

/// The era of a date.
pub(super) fn japanese_era(y: i64, m: u32, d: u32) -> Option<&'static Era> {
    ERAS.iter().find(|(start, _)| (y, m, d) >= *start).map(|(_, era)| era)
}

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
            Tok::Year(_) | Tok::EraYear(_) => {
                let _ = write!(out, "{y:04}");
            }
            Tok::EraName(n) | Tok::JapaneseYear(n) => {
                let Some(era) = japanese_era(y, mo, d) else { return Err(Unshown::OutOfRange) };
                match t {
                    Tok::EraName(1) => out.push(era.letter),
                    Tok::EraName(2) => out.extend(era.name.chars().next()),
                    Tok::EraName(_) => out.push_str(era.name),
                    _ => {
                        let year = y - era.first_year + 1;
                        let _ = if *n == 2 { write!(out, "{year:02}") } else { write!(out, "{year}") };
                    }
                }
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

#[cfg(test)]
mod tests {
    use super::super::{Locale, NumberFormat};

    fn show(code: &str, serial: f64) -> String {
        NumberFormat::parse(code).format_number(serial, false, Locale::en_us())
    }

    /// Japanese era formats as Microsoft documents them ("Japanese era" number format codes:
    /// g, gg, ggg for the era's letter, character and name; e, ee for its year), at the
    /// boundaries of Heisei and Reiwa (serials: 2019-04-30 is 43585, 2019-05-01 is 43586,
    /// 1989-01-07 is 32515).
    #[test]
    fn japanese_eras_name_the_era_and_count_its_years() {
        let code = "[$-411]ggge\"年\"m\"月\"d\"日\";@";
        assert_eq!(show(code, 43585.0), "平成31年4月30日");
        assert_eq!(show(code, 43586.0), "令和1年5月1日");
        assert_eq!(show(code, 44197.0), "令和3年1月1日", "date_quoted_format.xlsx's cell");
        assert_eq!(show("[$-411]gee.mm.dd", 43586.0), "R01.05.01");
        assert_eq!(show("[$-411]gge", 32515.0), "昭64");
        assert_eq!(show("[$-411]gge", 32516.0), "平1");
        assert_eq!(show("[$-411]e", 43586.0), "1", "a Japanese section counts by era");
        assert_eq!(show("e", 43586.0), "2019", "elsewhere e is the year");
    }
}
