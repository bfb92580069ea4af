//! `send`'s output when stdout is not a terminal: one JSON line per event, then a summary.
//! These types are the command's public contract (README, "Output"); they are built from the
//! engine's events and never print a journal record as it is stored, so the journal's format
//! can change without changing what scripts read. Events name rows, never addresses or
//! content.

use localmerge_core::send::{Entry, Event, Millis, Notice, StopReason, Summary, iso_utc};
use serde::Serialize;

/// One line of output.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Line<'a> {
    /// The campaign started (or resumed): its id, and its plan against the budgets.
    Campaign {
        id: &'a str,
        #[serde(flatten, skip_serializing_if = "Option::is_none")]
        plan: Option<PlanFields>,
    },
    /// A draft is about to be created for the row.
    Creating { row: u32 },
    /// The row's draft exists.
    Drafted { row: u32, id: &'a str },
    /// One of the row's attachments is on its draft.
    Attached { row: u32, index: usize },
    /// The row's draft is about to be sent.
    Sending { row: u32 },
    /// The row was sent (`at`: milliseconds since the Unix epoch).
    Sent { row: u32, at: Millis, recipients: u32 },
    /// The row will not be sent.
    Failed { row: u32, reason: &'a str },
    /// The service throttled the mailbox until then.
    Throttled { status: u16, until: String },
    /// A request failed and will be retried.
    Retrying { row: Option<u32>, reason: &'a str, at: String },
    /// Nothing happens until then (a schedule, the pace, a budget).
    Waiting { until: String },
    /// The mailbox's real rate was learnt: messages per window from now on.
    Pace { per_window: u32 },
    /// The last line.
    Summary(SummaryLine<'a>),
}

/// What the campaign takes against Microsoft 365's daily budgets (`budget::Forecast`).
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct PlanFields {
    pub messages: usize,
    pub recipients: u64,
    pub external: u64,
    pub mailbox_budget: u32,
    pub tenant_external_budget: u32,
    pub days: u64,
    pub finish_at: String,
}

impl PlanFields {
    pub fn new(f: &localmerge_core::budget::Forecast) -> Self {
        PlanFields {
            messages: f.messages,
            recipients: f.recipients,
            external: f.external,
            mailbox_budget: f.mailbox_budget,
            tenant_external_budget: f.tenant_external_budget,
            days: f.days,
            finish_at: iso_utc(f.finish_at),
        }
    }
}

/// A row and why it was not sent.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct RowReason<'a> {
    pub row: u32,
    pub reason: &'a str,
}

/// Where the campaign ended.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct SummaryLine<'a> {
    pub campaign: &'a str,
    pub total: usize,
    pub sent: usize,
    pub drafted: usize,
    pub failed: Vec<RowReason<'a>>,
    pub skipped: Vec<RowReason<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_at: Option<String>,
}

impl<'a> SummaryLine<'a> {
    pub fn new(
        campaign: &'a str,
        summary: &'a Summary,
        skipped: &'a [(u32, String)],
        stop: Option<&StopReason>,
    ) -> Self {
        let reasons = |rows: &'a [(u32, String)]| {
            rows.iter().map(|(row, reason)| RowReason { row: *row, reason }).collect()
        };
        SummaryLine {
            campaign,
            total: summary.total,
            sent: summary.sent,
            drafted: summary.drafted,
            failed: reasons(&summary.failed),
            skipped: reasons(skipped),
            stopped: stop.map(ToString::to_string),
            resume_at: stop.and_then(StopReason::resume_at).map(iso_utc),
        }
    }
}

/// The line for one of the driver's events at `now`, if it is worth a line (a wait of a
/// few seconds is not).
pub fn line<'a>(event: &Event<'a>, now: Millis) -> Option<Line<'a>> {
    Some(match *event {
        Event::Entry(e) => match e {
            // The front door prints the campaign's line itself, with its plan, once a run.
            Entry::Campaign { .. } => return None,
            // The summary lists the rows left out, with their reasons.
            Entry::Folder { .. } | Entry::Skipped { .. } | Entry::Tracked { .. } => return None,
            Entry::Creating { row, .. } => Line::Creating { row: *row },
            Entry::Drafted { row, id, .. } => Line::Drafted { row: *row, id },
            Entry::Attached { row, index } => Line::Attached { row: *row, index: *index },
            Entry::Sending { row } => Line::Sending { row: *row },
            Entry::Sent { row, at, recipients } => Line::Sent { row: *row, at: *at, recipients: *recipients },
            Entry::Failed { row, reason } => Line::Failed { row: *row, reason },
        },
        Event::Notice(Notice::Throttled { status, until }) => {
            Line::Throttled { status: *status, until: iso_utc(*until) }
        }
        Event::Notice(Notice::Retrying { row, reason, at }) => {
            Line::Retrying { row: *row, reason, at: iso_utc(*at) }
        }
        Event::Notice(Notice::Pace { per_window }) => Line::Pace { per_window: *per_window },
        Event::Waiting(t) if t > now + 5_000 => Line::Waiting { until: iso_utc(t) },
        Event::Waiting(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(event: Event<'_>) -> Option<String> {
        line(&event, 1_000).map(|l| serde_json::to_string(&l).unwrap())
    }

    #[test]
    fn each_event_has_its_documented_line_and_no_address_or_content() {
        let shared = Entry::Campaign { id: "c1".into(), sender: Some("team@contoso.com".into()) };
        assert_eq!(json(Event::Entry(&shared)), None, "the run prints its own campaign line");
        let creating = Entry::Creating { row: 2, fingerprint: "f00d".into(), group: Vec::new() };
        assert_eq!(json(Event::Entry(&creating)).unwrap(), r#"{"event":"creating","row":2}"#);
        let sent = Entry::Sent { row: 2, at: 1_700_000_000_000, recipients: 3 };
        assert_eq!(
            json(Event::Entry(&sent)).unwrap(),
            r#"{"event":"sent","row":2,"at":1700000000000,"recipients":3}"#
        );
        let failed = Entry::Failed { row: 4, reason: "refused".into() };
        assert_eq!(json(Event::Entry(&failed)).unwrap(), r#"{"event":"failed","row":4,"reason":"refused"}"#);
        assert_eq!(json(Event::Entry(&Entry::Folder { id: "f".into() })), None);
        let throttled = Notice::Throttled { status: 429, until: 0 };
        assert_eq!(
            json(Event::Notice(&throttled)).unwrap(),
            r#"{"event":"throttled","status":429,"until":"1970-01-01T00:00:00Z"}"#
        );
        assert_eq!(
            json(Event::Notice(&Notice::Pace { per_window: 20 })).unwrap(),
            r#"{"event":"pace","per_window":20}"#
        );
        assert_eq!(json(Event::Waiting(2_000)), None, "a short wait is not worth a line");
        assert!(json(Event::Waiting(60_000)).unwrap().starts_with(r#"{"event":"waiting","until":"#));
    }

    #[test]
    fn the_campaign_line_carries_the_plan() {
        let plan = PlanFields {
            messages: 3,
            recipients: 4,
            external: 1,
            mailbox_budget: 10_000,
            tenant_external_budget: 10_000,
            days: 1,
            finish_at: "1970-01-01T00:00:00Z".into(),
        };
        let line = serde_json::to_string(&Line::Campaign { id: "c1", plan: Some(plan) }).unwrap();
        assert_eq!(
            line,
            r#"{"event":"campaign","id":"c1","messages":3,"recipients":4,"external":1,"mailbox_budget":10000,"tenant_external_budget":10000,"days":1,"finish_at":"1970-01-01T00:00:00Z"}"#
        );
    }

    #[test]
    fn the_summary_says_when_a_spent_budget_comes_back() {
        let summary = Summary { total: 3, sent: 1, drafted: 0, failed: vec![(3, "bad".into())] };
        let skipped = [(4, "Email: empty".to_owned())];
        let stop = StopReason::BudgetSpent { resume_at: 86_400_000 };
        let line = Line::Summary(SummaryLine::new("c1", &summary, &skipped, Some(&stop)));
        let text = serde_json::to_string(&line).unwrap();
        assert!(text.starts_with(r#"{"event":"summary","campaign":"c1","total":3,"sent":1,"drafted":0,"failed":[{"row":3,"reason":"bad"}],"skipped":[{"row":4,"reason":"Email: empty"}],"stopped":"#), "{text}");
        assert!(text.ends_with(r#""resume_at":"1970-01-02T00:00:00Z"}"#), "{text}");
    }
}
