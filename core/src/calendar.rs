//! The proleptic Gregorian calendar in days since 1970-01-01 (Howard Hinnant's algorithms):
//! the one home of date arithmetic, for spreadsheet serials (`value`) and Graph's times
//! (`send`). No clock is read here.

/// Days in month `m` of year `y` (proleptic Gregorian).
pub(crate) fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's civil-to-days algorithm: days since 1970-01-01.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Milliseconds since the Unix epoch of a UTC time as Graph writes it
/// (`2026-11-24T09:30:00Z`, with or without fractions of a second).
pub fn parse_utc(text: &str) -> Option<u64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut d = date.splitn(3, '-').map(str::parse::<u32>);
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let (time, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut t = time.splitn(3, ':').map(str::parse::<u64>);
    let (h, min, s) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    let ok = (1970..=9999).contains(&y)
        && (1..=12).contains(&m)
        && (1..=days_in_month(i64::from(y), m)).contains(&day)
        && h < 24
        && min < 60
        && s < 60
        && fraction.bytes().all(|b| b.is_ascii_digit());
    if !ok {
        return None;
    }
    let ms: u64 = fraction
        .get(..3)
        .map_or_else(|| format!("{fraction:0<3}").parse().unwrap_or(0), |f| f.parse().unwrap_or(0));
    let days = u64::try_from(days_from_civil(i64::from(y), m, day)).ok()?;
    Some(((days * 86_400 + h * 3600 + min * 60 + s) * 1000) + ms)
}

/// An ISO 8601 UTC time for Graph, from milliseconds since the Unix epoch (`2026-11-24T09:30:00Z`).
pub fn iso_utc(t: u64) -> String {
    let secs = t / 1000;
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}
