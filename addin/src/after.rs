//! After a campaign: what came back — replies, non-delivery reports, unsubscribe requests —
//! read from the sending mailbox's Inbox with the same core `Tracker` and graph-client
//! requests as `localmerge track` (in the full module, with `after-send`: most users
//! open the pane to send), and each row's response as the report shows it (in every module
//! built with `send`).

#[cfg(test)]
use localmerge_core::send::Entry;
use localmerge_core::send::{RowStatus, journal_rows};

use crate::campaign::parse_history as entries;
#[cfg(any(test, feature = "after-send"))]
use localmerge_core::suppress::{self, Suppressions};
#[cfg(any(test, feature = "after-send"))]
use localmerge_core::track::{Found, Tally};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[cfg(feature = "report-workbook")]
use crate::Spreadsheet;
use crate::js_error;

/// One answered row (the `AnsweredRow` TypeScript type).
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct AnsweredDto {
    row: u32,
    status: &'static str,
}

/// The rows something came back for, and what (pure; tested natively).
pub fn answered(lines: &[String]) -> Result<Vec<AnsweredDto>, String> {
    let rows = journal_rows(&entries(lines)?);
    Ok(rows
        .into_iter()
        .filter_map(|(row, r)| match r.status {
            RowStatus::Answered(a) => Some(AnsweredDto { row, status: a.as_str() }),
            _ => None,
        })
        .collect())
}

/// Each row's response after `track`, for the report: `[{ row, status }]`.
#[wasm_bindgen(js_name = answeredRows, unchecked_return_type = "AnsweredRow[]")]
pub fn answered_rows(journal: Vec<String>) -> Result<JsValue, JsError> {
    serde_wasm_bindgen::to_value(&answered(&journal).map_err(js_error)?).map_err(js_error)
}

/// What a check found (the `TrackResult` TypeScript type).
#[cfg(any(test, feature = "after-send"))]
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TrackDto {
    /// Journal lines to append.
    entries: Vec<String>,
    /// The do-not-contact list's text with the new addresses appended.
    suppress: String,
    /// How many addresses were new to it.
    listed: usize,
    sent: usize,
    #[serde(flatten)]
    tally: Tally,
}

/// The journal lines and the list's new text for what a check found (pure; tested natively):
/// an unsubscriber the list already covers (their address, or their domain) is not added.
#[cfg(any(test, feature = "after-send"))]
pub fn tracked(found: &[Found], sent: usize, list_text: &str) -> TrackDto {
    let (mut list, _) = Suppressions::parse_partial(list_text);
    let mut text = list_text.to_owned();
    let mut listed = 0;
    for entry in found.iter().filter_map(|f| f.suppress.as_deref()).filter_map(suppress::Entry::parse) {
        if list.matching(&entry.to_string()).is_none() && list.add(entry.clone()) {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&format!("{entry}\n"));
            listed += 1;
        }
    }
    TrackDto {
        entries: found.iter().map(|f| f.entry.to_line().trim_end().to_owned()).collect(),
        suppress: text,
        listed,
        sent,
        tally: Tally::of(found),
    }
}

/// A row left out when the campaign began (the `SkippedRow` TypeScript type).
#[cfg(any(test, feature = "report-workbook"))]
#[derive(Debug, serde::Deserialize)]
pub struct SkippedDto {
    row: u32,
    reason: String,
}

/// Each row's standing for the report: the journal's, then the rows left out (problems, the
/// do-not-contact list) and those the user excluded (pure; tested natively).
#[cfg(any(test, feature = "report-workbook"))]
pub fn report_rows(
    lines: &[String],
    skipped: Vec<SkippedDto>,
    excluded: &[u32],
) -> Result<std::collections::BTreeMap<u32, localmerge_core::send::JournalRow>, String> {
    use localmerge_core::send::JournalRow;
    let mut rows = journal_rows(&entries(lines)?);
    let left_out = |reason: String| JournalRow {
        status: RowStatus::Skipped,
        sent_at: None,
        message_id: None,
        reason: Some(reason),
        conversation: None,
        internet_id: None,
        answered_at: None,
        part_of: None,
    };
    for s in skipped {
        rows.entry(s.row).or_insert_with(|| left_out(s.reason));
    }
    for row in excluded {
        rows.entry(*row).or_insert_with(|| left_out("excluded".to_owned()));
    }
    Ok(rows)
}

#[cfg(feature = "report-workbook")]
#[wasm_bindgen]
impl Spreadsheet {
    /// The campaign's report as a workbook (xlsx): this list with each row's `Status`, `Sent
    /// at`, `Message id` and `Reason`, values and number formats kept — the bytes
    /// `localmerge report` writes.
    #[wasm_bindgen(js_name = reportWorkbook)]
    pub fn report_workbook(
        &self,
        journal: Vec<String>,
        #[wasm_bindgen(unchecked_param_type = "{ row: number; reason: string }[]")] skipped: JsValue,
        excluded: Vec<u32>,
    ) -> Result<Vec<u8>, JsError> {
        let skipped: Vec<SkippedDto> = serde_wasm_bindgen::from_value(skipped).map_err(js_error)?;
        let rows = report_rows(&journal, skipped, &excluded).map_err(js_error)?;
        localmerge_report::xlsx(&self.table, &rows).map_err(js_error)
    }
}

/// The rows a follow-up sent at `now` answers (sent `delay_days` days before at least,
/// nothing came back), as core's `followups` says (pure; tested natively).
#[cfg(any(test, feature = "after-send"))]
pub fn followups(lines: &[String], now: f64, delay_days: u32) -> Result<FollowupsDto, String> {
    let f = localmerge_core::send::followups(
        &entries(lines)?,
        now.max(0.0) as u64,
        u64::from(delay_days) * 86_400_000,
    );
    Ok(FollowupsDto {
        rows: f
            .rows
            .into_iter()
            .map(|(row, original)| crate::options::FollowupRow { row, original })
            .collect(),
        answered: f.answered,
        later: f.later,
        next: f.next,
    })
}

/// The `Followups` TypeScript type.
#[cfg(any(test, feature = "after-send"))]
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct FollowupsDto {
    rows: Vec<crate::options::FollowupRow>,
    answered: usize,
    later: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<u64>,
}

/// The rows a follow-up answers now: `{ rows, answered, later, next? }` (in the second
/// module: a follow-up reads the Inbox first).
#[cfg(feature = "after-send")]
#[wasm_bindgen(js_name = followupRows, unchecked_return_type = "Followups")]
pub fn followup_rows(journal: Vec<String>, now: f64, delay_days: u32) -> Result<JsValue, JsError> {
    followups(&journal, now, delay_days)
        .map_err(js_error)?
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(js_error)
}

/// Reads the sending mailbox's Inbox for the campaign of `journal`; `suppress` is the
/// do-not-contact list's text.
#[cfg(feature = "after-send")]
#[wasm_bindgen(js_name = trackCampaign, unchecked_return_type = "TrackResult")]
pub async fn track_campaign(
    graph_url: String,
    token: String,
    journal: Vec<String>,
    suppress: String,
) -> Result<JsValue, JsError> {
    let mut tracker =
        localmerge_core::track::Tracker::new(&entries(&journal).map_err(js_error)?).map_err(js_error)?;
    let found = crate::sources::client(&graph_url, token).track(&mut tracker).await.map_err(js_error)?;
    // `tally` is flattened, which serde writes as a map: as an object, not a JS `Map`.
    tracked(&found, tracker.sent(), &suppress)
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(js_error)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn by_row(list: &[AnsweredDto]) -> BTreeMap<u32, &'static str> {
        list.iter().map(|a| (a.row, a.status)).collect()
    }
    use localmerge_core::send::Response;

    #[test]
    fn answered_rows_and_a_checks_lines_and_list() {
        let lines: Vec<String> = [
            r#"{"event":"campaign","id":"c1"}"#,
            r#"{"event":"drafted","row":2,"id":"m2"}"#,
            r#"{"event":"sent","row":2,"at":5,"recipients":1}"#,
            r#"{"event":"drafted","row":3,"id":"m3"}"#,
            r#"{"event":"sent","row":3,"at":5,"recipients":1}"#,
            r#"{"event":"tracked","row":3,"status":"bounced","at":9}"#,
        ]
        .map(str::to_owned)
        .to_vec();
        assert_eq!(by_row(&answered(&lines).expect("rows")), BTreeMap::from([(3, "bounced")]));
        assert!(answered(&["nonsense".to_owned()]).expect_err("bad").contains("line 1"));
        // Row 2 was sent and nothing came back: due after the delay; row 3 bounced.
        let f = followups(&lines, 5.0 + 86_400_000.0, 1).expect("due");
        assert_eq!((f.rows.len(), f.answered, f.later), (1, 1, 0));
        assert_eq!(f.rows[0], crate::options::FollowupRow { row: 2, original: "m2".into() });
        assert_eq!(followups(&lines, 5.0, 1).expect("later").next, Some(5 + 86_400_000));

        let found = |row, status, who: Option<&str>| Found {
            entry: Entry::Tracked { row, status, at: 7 },
            suppress: who.map(str::to_owned),
        };
        let list = "# mine\n@covered.org";
        let t = tracked(
            &[
                found(2, Response::Unsubscribed, Some("ann@example.org")),
                found(4, Response::Unsubscribed, Some("bob@covered.org")),
                found(5, Response::Replied, None),
            ],
            3,
            list,
        );
        assert_eq!(t.suppress, "# mine\n@covered.org\nann@example.org\n");
        assert_eq!((t.listed, t.sent, t.tally.unsubscribed, t.tally.replied), (1, 3, 2, 1));
        assert_eq!(t.entries[2], r#"{"event":"tracked","row":5,"status":"replied","at":7}"#);

        let rows = report_rows(&lines, vec![SkippedDto { row: 4, reason: "Email: empty".into() }], &[5, 2])
            .expect("rows");
        let shown: Vec<(u32, &str, Option<&str>)> =
            rows.iter().map(|(n, r)| (*n, r.status.as_str(), r.reason.as_deref())).collect();
        assert_eq!(
            shown,
            [
                (2, "sent", None),
                (3, "bounced", None),
                (4, "skipped", Some("Email: empty")),
                (5, "skipped", Some("excluded"))
            ]
        );
    }
}
