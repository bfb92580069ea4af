//! Usage counts and error reports from the add-in, anonymous by construction: the one home
//! of what a report may say. Every word in a report comes from a closed list written here
//! (the counters, the error kinds, the code locations, the kinds of Outlook), every other
//! value is a number, a day or a version of digits and dots, so no text a user or a
//! spreadsheet wrote can be stored however a client is written. The store keeps only each
//! day's sums; a report carries no user, tenant, address or time finer than its day, and
//! the server reads no token from it.

use serde::Deserialize;

/// The counters a report may add to.
pub const COUNTERS: &[&str] = &["campaigns_started", "campaigns_finished", "messages_sent"];
/// Kinds of error.
pub const ERROR_KINDS: &[&str] = &[
    // The spreadsheet could not be read, or the template not compiled.
    "read",
    "template",
    // Graph: throttled past the campaign's patience, the token refused, a message refused,
    // unreachable.
    "graph_throttled",
    "graph_auth",
    "graph_rejected",
    "graph_unreachable",
    // The browser's storage, the license check, anything else.
    "storage",
    "license",
    "internal",
];
/// Where in the pane an error was caught: the step the user was on.
pub const LOCATIONS: &[&str] = &[
    "start",
    "source",
    "read",
    "template",
    "preview",
    "test_send",
    "send",
    "resume",
    "track",
    "followup",
    "report",
];
/// Where the add-in ran: Office.js's platform names, and a plain browser.
pub const PLATFORMS: &[&str] = &["OfficeOnline", "PC", "Mac", "iOS", "Android", "Universal", "Browser"];

/// The most a report may add to one counter: far above a mailbox's daily limits (10,000
/// recipients), low enough that sums stay within 64 bits.
pub const MAX_COUNT: u64 = 1_000_000;
/// How many days back a report may be for (a pane that was not opened for a few days sends
/// the days it kept).
pub const MAX_AGE_DAYS: i64 = 7;

/// A report as the add-in sends it to `POST /v1/telemetry`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportIn {
    /// The day the counts are for, `YYYY-MM-DD` (UTC).
    pub day: String,
    /// The add-in's version, `major.minor.patch`.
    pub version: String,
    /// One of [`PLATFORMS`].
    pub platform: String,
    /// Counter name (one of [`COUNTERS`]) to the number to add.
    #[serde(default)]
    pub counts: std::collections::BTreeMap<String, u64>,
    /// Errors by kind and location.
    #[serde(default)]
    pub errors: Vec<ErrorIn>,
}

/// Errors of one kind caught at one location, `count` times.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorIn {
    /// One of [`ERROR_KINDS`].
    pub kind: String,
    /// One of [`LOCATIONS`].
    pub location: String,
    /// How many.
    pub count: u64,
}

/// A checked report: what the store adds, every text from this module's lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The day, `YYYY-MM-DD`.
    pub day: String,
    /// The version, digits and dots.
    pub version: String,
    /// One of [`PLATFORMS`].
    pub platform: &'static str,
    /// `(name, n)`: a counter's name, or `error.<kind>.<location>`.
    pub sums: Vec<(String, i64)>,
}

/// Why a report was refused (the field is named; the value never echoed back).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The day is not a date, is in the future, or too old.
    #[error("day: a date (YYYY-MM-DD) within the last {MAX_AGE_DAYS} days")]
    Day,
    /// The version is not `major.minor.patch`.
    #[error("version: major.minor.patch")]
    Version,
    /// Not a known platform.
    #[error("platform: one of {PLATFORMS:?}")]
    Platform,
    /// Not a known counter.
    #[error("counts: names from {COUNTERS:?}")]
    Counter,
    /// Not a known error kind or location.
    #[error("errors: kind from {ERROR_KINDS:?}, location from {LOCATIONS:?}")]
    Error,
    /// A count above [`MAX_COUNT`], or nothing to add.
    #[error("a count is 1 to {MAX_COUNT}, and a report counts something")]
    Count,
}

fn known(list: &'static [&'static str], word: &str) -> Option<&'static str> {
    list.iter().copied().find(|w| *w == word)
}

fn count(n: u64) -> Result<i64, ReportError> {
    if (1..=MAX_COUNT).contains(&n) {
        i64::try_from(n).map_err(|_| ReportError::Count)
    } else {
        Err(ReportError::Count)
    }
}

/// Checks a report against the lists, for `today` (UTC, `YYYY-MM-DD`'s date).
pub fn check(report: &ReportIn, today: jiff::civil::Date) -> Result<Report, ReportError> {
    let day: jiff::civil::Date = report.day.parse().map_err(|_| ReportError::Day)?;
    let oldest = today.checked_sub(jiff::ToSpan::days(MAX_AGE_DAYS)).map_err(|_| ReportError::Day)?;
    if day > today || day < oldest || report.day.len() != 10 {
        return Err(ReportError::Day);
    }
    let parts: Vec<&str> = report.version.split('.').collect();
    if parts.len() != 3
        || parts.iter().any(|p| p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ReportError::Version);
    }
    let platform = known(PLATFORMS, &report.platform).ok_or(ReportError::Platform)?;
    let mut sums = Vec::new();
    for (name, n) in &report.counts {
        let name = known(COUNTERS, name).ok_or(ReportError::Counter)?;
        sums.push((name.to_owned(), count(*n)?));
    }
    for e in &report.errors {
        let kind = known(ERROR_KINDS, &e.kind).ok_or(ReportError::Error)?;
        let location = known(LOCATIONS, &e.location).ok_or(ReportError::Error)?;
        sums.push((format!("error.{kind}.{location}"), count(e.count)?));
    }
    if sums.is_empty() {
        return Err(ReportError::Count);
    }
    Ok(Report { day: day.to_string(), version: report.version.clone(), platform, sums })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> jiff::civil::Date {
        jiff::civil::date(2026, 12, 7)
    }

    fn report(v: serde_json::Value) -> Result<Report, ReportError> {
        let r: ReportIn = serde_json::from_value(v).map_err(|_| ReportError::Counter)?;
        check(&r, today())
    }

    #[test]
    fn a_report_becomes_sums_of_listed_names() {
        let r = report(serde_json::json!({
            "day": "2026-12-06", "version": "0.1.0", "platform": "OfficeOnline",
            "counts": {"campaigns_started": 2, "messages_sent": 40},
            "errors": [{"kind": "graph_throttled", "location": "send", "count": 3}]
        }))
        .unwrap();
        assert_eq!(r.platform, "OfficeOnline");
        assert_eq!(
            r.sums,
            vec![
                ("campaigns_started".to_owned(), 2),
                ("messages_sent".to_owned(), 40),
                ("error.graph_throttled.send".to_owned(), 3)
            ]
        );
    }

    #[test]
    fn anything_outside_the_lists_is_refused() {
        let base = serde_json::json!({"day": "2026-12-07", "version": "0.1.0", "platform": "PC", "counts": {"messages_sent": 1}});
        assert!(report(base.clone()).is_ok());
        let edit = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut v = base.clone();
            f(&mut v);
            report(v)
        };
        assert_eq!(edit(&|v| v["day"] = "2026-12-08".into()), Err(ReportError::Day), "tomorrow");
        assert_eq!(edit(&|v| v["day"] = "2026-11-29".into()), Err(ReportError::Day), "eight days ago");
        assert!(edit(&|v| v["day"] = "2026-11-30".into()).is_ok(), "seven days ago");
        assert_eq!(edit(&|v| v["day"] = "2026-12-07T10:00:00Z".into()), Err(ReportError::Day), "a time");
        assert_eq!(edit(&|v| v["version"] = "0.1.0-ana@example.org".into()), Err(ReportError::Version));
        assert_eq!(edit(&|v| v["platform"] = "Ana's PC".into()), Err(ReportError::Platform));
        assert_eq!(
            edit(&|v| v["counts"] = serde_json::json!({"ana@example.org": 1})),
            Err(ReportError::Counter)
        );
        assert_eq!(edit(&|v| v["counts"] = serde_json::json!({"messages_sent": 0})), Err(ReportError::Count));
        assert_eq!(
            edit(&|v| v["counts"] = serde_json::json!({"messages_sent": 1_000_001})),
            Err(ReportError::Count)
        );
        assert_eq!(
            edit(&|v| v["counts"] = serde_json::json!({})),
            Err(ReportError::Count),
            "nothing counted"
        );
        assert_eq!(
            edit(
                &|v| v["errors"] = serde_json::json!([{"kind": "read", "location": "Sheet1!A2", "count": 1}])
            ),
            Err(ReportError::Error)
        );
        // A field the lists do not know (a user, a message) is not read past.
        assert!(edit(&|v| v["user"] = "ana@example.org".into()).is_err());
    }
}
