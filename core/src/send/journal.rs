//! The campaign journal: what happened to each row, written by the caller before each
//! step's effect can happen (write-ahead), and replayed on resume.
//!
//! The journal is a storage format shared by the front doors (a JSON Lines file for the
//! command line, IndexedDB records in the add-in), so its entries are serde types, like the
//! Graph wire types.

use serde::{Deserialize, Serialize};

use super::Millis;

/// One journal entry. A campaign's journal is the sequence of entries in the order the
/// engine produced them; replaying it rebuilds every row's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case", try_from = "Flat")]
pub enum Entry {
    /// The campaign started: its id and the mailbox it sends from (`None`: the user's own).
    Campaign {
        /// The campaign id.
        id: String,
        /// The shared mailbox's address, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sender: Option<String>,
    },
    /// The folder that holds a drafts-only campaign's drafts.
    Folder {
        /// The folder id.
        id: String,
    },
    /// A draft is about to be created for the row (written before the request: after a
    /// crash, a draft may exist that the journal does not name yet).
    Creating {
        /// The spreadsheet row.
        row: u32,
        /// A fingerprint of the row's message, to refuse resuming after the data changed.
        fingerprint: String,
        /// A grouped message's other rows (its first is `row`): the report gives them its status.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        group: Vec<u32>,
    },
    /// The row's draft exists.
    Drafted {
        /// The spreadsheet row.
        row: u32,
        /// The draft's immutable id.
        id: String,
        /// The conversation it starts (replies share it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation: Option<String>,
        /// Its `Message-ID` (non-delivery reports quote it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        internet_id: Option<String>,
    },
    /// An attachment of the row's draft is complete.
    Attached {
        /// The spreadsheet row.
        row: u32,
        /// The attachment's position in the row's list.
        index: usize,
    },
    /// The row's draft is about to be sent (written before the request: after a crash the
    /// draft is checked, never sent blindly).
    Sending {
        /// The spreadsheet row.
        row: u32,
    },
    /// The row's message was sent.
    Sent {
        /// The spreadsheet row.
        row: u32,
        /// When the send was confirmed (milliseconds since the Unix epoch).
        at: Millis,
        /// How many recipients it had (for the daily budget after a resume).
        recipients: u32,
    },
    /// The row will not be sent.
    Failed {
        /// The spreadsheet row.
        row: u32,
        /// Why.
        reason: String,
    },
    /// The row was left out of the campaign when it began (a problem, the user's exclusion,
    /// the do-not-contact list): written once, after `campaign`, for the report.
    Skipped {
        /// The spreadsheet row.
        row: u32,
        /// Why.
        reason: String,
    },
    /// What came back for a sent row, read from the sending mailbox's Inbox by `track`.
    Tracked {
        /// The spreadsheet row.
        row: u32,
        /// What came back.
        status: Response,
        /// When it arrived (ms since the epoch).
        at: Millis,
    },
}

/// What came back for a sent message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Response {
    /// A reply in the message's conversation (not an automatic one).
    Replied,
    /// A non-delivery report.
    Bounced,
    /// The recipient asked, through `{{unsubscribe}}`, not to be mailed again.
    Unsubscribed,
}

impl Response {
    /// The word the report shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Response::Replied => "replied",
            Response::Bounced => "bounced",
            Response::Unsubscribed => "unsubscribed",
        }
    }
}

/// An entry as read: serde's derive for an internally tagged enum buffers every field in a
/// generic tree before choosing the variant, which took 35 KB of the add-in's WebAssembly;
/// this flat record reads in one pass, and [`Entry::try_from`] checks the fields each event
/// needs.
#[derive(Deserialize)]
struct Flat {
    event: Tag,
    id: Option<String>,
    sender: Option<String>,
    row: Option<u32>,
    fingerprint: Option<String>,
    index: Option<usize>,
    at: Option<Millis>,
    recipients: Option<u32>,
    reason: Option<String>,
    conversation: Option<String>,
    internet_id: Option<String>,
    status: Option<Response>,
    #[serde(default)]
    group: Vec<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Tag {
    Campaign,
    Folder,
    Creating,
    Drafted,
    Attached,
    Sending,
    Sent,
    Failed,
    Skipped,
    Tracked,
}

impl TryFrom<Flat> for Entry {
    type Error = String;

    fn try_from(f: Flat) -> Result<Entry, String> {
        fn need<T>(v: Option<T>, field: &str) -> Result<T, String> {
            v.ok_or_else(|| format!("missing field `{field}`"))
        }
        let row = || need(f.row, "row");
        Ok(match f.event {
            Tag::Campaign => Entry::Campaign { id: need(f.id, "id")?, sender: f.sender },
            Tag::Folder => Entry::Folder { id: need(f.id, "id")? },
            Tag::Creating => Entry::Creating {
                row: row()?,
                fingerprint: need(f.fingerprint, "fingerprint")?,
                group: f.group,
            },
            Tag::Drafted => Entry::Drafted {
                row: row()?,
                id: need(f.id, "id")?,
                conversation: f.conversation,
                internet_id: f.internet_id,
            },
            Tag::Attached => Entry::Attached { row: row()?, index: need(f.index, "index")? },
            Tag::Sending => Entry::Sending { row: row()? },
            Tag::Sent => Entry::Sent {
                row: row()?,
                at: need(f.at, "at")?,
                recipients: need(f.recipients, "recipients")?,
            },
            Tag::Failed => Entry::Failed { row: row()?, reason: need(f.reason, "reason")? },
            Tag::Skipped => Entry::Skipped { row: row()?, reason: need(f.reason, "reason")? },
            Tag::Tracked => {
                Entry::Tracked { row: row()?, status: need(f.status, "status")?, at: need(f.at, "at")? }
            }
        })
    }
}

impl Entry {
    /// The entry for a row's draft, as Graph described it.
    pub(crate) fn drafted(row: u32, m: crate::graph::MessageRef) -> Entry {
        Entry::Drafted { row, id: m.id, conversation: m.conversation_id, internet_id: m.internet_message_id }
    }

    /// The row the entry is about and the step it announces, if it is about a row.
    pub fn row_step(&self) -> Option<(u32, super::RowStep)> {
        use super::RowStep;
        Some(match self {
            Entry::Campaign { .. } | Entry::Folder { .. } | Entry::Skipped { .. } | Entry::Tracked { .. } => {
                return None;
            }
            Entry::Creating { row, .. } | Entry::Attached { row, .. } => (*row, RowStep::Drafting),
            Entry::Drafted { row, .. } => (*row, RowStep::Drafted),
            Entry::Sending { row } => (*row, RowStep::Sending),
            Entry::Sent { row, .. } => (*row, RowStep::Sent),
            Entry::Failed { row, .. } => (*row, RowStep::Failed),
        })
    }

    /// The row the entry is about, if any.
    pub fn row(&self) -> Option<u32> {
        match self {
            Entry::Campaign { .. } | Entry::Folder { .. } => None,
            Entry::Creating { row, .. }
            | Entry::Drafted { row, .. }
            | Entry::Attached { row, .. }
            | Entry::Sending { row }
            | Entry::Sent { row, .. }
            | Entry::Failed { row, .. }
            | Entry::Skipped { row, .. }
            | Entry::Tracked { row, .. } => Some(*row),
        }
    }
}

/// Where a row stands by its journal alone, as a report shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStatus {
    /// Begun and not finished (a draft being made or sent).
    Pending,
    /// A draft exists and was not sent (drafts for review, or not yet).
    Drafted,
    /// Sent.
    Sent,
    /// Will not be sent.
    Failed,
    /// Left out when the campaign began.
    Skipped,
    /// Sent, and something came back (`track`).
    Answered(Response),
}

impl RowStatus {
    /// The word the report shows.
    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Pending => "pending",
            RowStatus::Drafted => "drafted",
            RowStatus::Sent => "sent",
            RowStatus::Failed => "failed",
            RowStatus::Skipped => "skipped",
            RowStatus::Answered(r) => r.as_str(),
        }
    }
}

/// What a journal says of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRow {
    /// Where it stands.
    pub status: RowStatus,
    /// When it was sent (ms since the epoch).
    pub sent_at: Option<Millis>,
    /// The message's immutable Graph id (the draft's, which stays the sent message's).
    pub message_id: Option<String>,
    /// Why it failed or was left out.
    pub reason: Option<String>,
    /// The conversation its message started.
    pub conversation: Option<String>,
    /// Its message's `Message-ID`.
    pub internet_id: Option<String>,
    /// When the response its status names arrived.
    pub answered_at: Option<Millis>,
    /// The first row of the grouped message it is part of (its standing is that message's).
    pub part_of: Option<u32>,
}

/// Each row's standing by the journal alone, by row: what a report needs, without the
/// campaign's messages (the engine, which resumes a campaign, replays the journal onto them).
pub fn journal_rows(entries: &[Entry]) -> std::collections::BTreeMap<u32, JournalRow> {
    let mut rows = std::collections::BTreeMap::new();
    let mut groups: Vec<(u32, &[u32])> = Vec::new();
    for e in entries {
        if let Entry::Creating { row, group, .. } = e
            && !group.is_empty()
        {
            groups.push((*row, group));
        }
        let Some(number) = e.row() else { continue };
        let r = rows.entry(number).or_insert(JournalRow {
            status: RowStatus::Pending,
            sent_at: None,
            message_id: None,
            reason: None,
            conversation: None,
            internet_id: None,
            answered_at: None,
            part_of: None,
        });
        match e {
            Entry::Creating { .. } | Entry::Sending { .. } => r.status = RowStatus::Pending,
            Entry::Drafted { id, conversation, internet_id, .. } => {
                r.status = RowStatus::Drafted;
                r.message_id = Some(id.clone());
                r.conversation.clone_from(conversation);
                r.internet_id.clone_from(internet_id);
            }
            Entry::Attached { .. } => {}
            Entry::Sent { at, .. } => {
                r.status = RowStatus::Sent;
                r.sent_at = Some(*at);
            }
            Entry::Failed { reason, .. } => {
                r.status = RowStatus::Failed;
                r.reason = Some(reason.clone());
            }
            Entry::Skipped { reason, .. } => {
                r.status = RowStatus::Skipped;
                r.reason = Some(reason.clone());
            }
            // The weightiest response shows: an unsubscribe over a bounce over a reply.
            Entry::Tracked { status, at, .. } => {
                let shown = match r.status {
                    RowStatus::Answered(s) => Some(s),
                    _ => None,
                };
                if shown.is_none_or(|s| *status > s) {
                    r.status = RowStatus::Answered(*status);
                    r.answered_at = Some(*at);
                }
            }
            Entry::Campaign { .. } | Entry::Folder { .. } => {}
        }
    }
    // A grouped message's other rows stand where its first does.
    for (first, others) in groups {
        if let Some(r) = rows.get(&first).cloned() {
            for other in others {
                rows.entry(*other).or_insert_with(|| JournalRow { part_of: Some(first), ..r.clone() });
            }
        }
    }
    rows
}

/// Which rows of a campaign a follow-up answers now, by its journal alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Followups {
    /// The rows due, with the id of the message each answers.
    pub rows: std::collections::BTreeMap<u32, String>,
    /// Sent rows that something came back for (replied, bounced, unsubscribed): never followed up.
    pub answered: usize,
    /// Sent rows not due yet.
    pub later: usize,
    /// When the next of them is due.
    pub next: Option<Millis>,
}

/// The rows a follow-up sent at `now` answers: sent at least `delay` ms before, and nothing
/// came back for them (the caller reads the Inbox into the journal first).
pub fn followups(entries: &[Entry], now: Millis, delay: Millis) -> Followups {
    let mut f = Followups::default();
    // A grouped message is followed up once, as its first row.
    for (number, r) in journal_rows(entries).into_iter().filter(|(_, r)| r.part_of.is_none()) {
        match (r.status, r.sent_at, r.message_id) {
            (RowStatus::Answered(_), ..) => f.answered += 1,
            (RowStatus::Sent, Some(at), Some(id)) => {
                let due = at.saturating_add(delay);
                if due <= now {
                    f.rows.insert(number, id);
                } else {
                    f.later += 1;
                    f.next = Some(f.next.map_or(due, |n| n.min(due)));
                }
            }
            _ => {}
        }
    }
    f
}

/// A journal line that is not an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: not a journal entry ({message})")]
pub struct JournalError {
    /// The line (1-based).
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

/// A journal read back from JSON Lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    /// The entries, in order.
    pub entries: Vec<Entry>,
    /// The length of the complete lines: a longer journal ends in a torn line, which the
    /// owner of the storage cuts off.
    pub complete_len: usize,
}

impl Entry {
    /// The entry as one JSON line, newline included: the journal's storage format.
    pub fn to_line(&self) -> String {
        let mut line = serde_json::to_string(self).unwrap_or_default();
        line.push('\n');
        line
    }

    /// One stored line (without its newline) as an entry; `number` names it in the error.
    pub fn from_line(line: &str, number: usize) -> Result<Entry, JournalError> {
        serde_json::from_str(line.trim_end())
            .map_err(|e| JournalError { line: number, message: e.to_string() })
    }
}

/// Reads a journal's JSON Lines. A last line without its newline was torn (the process
/// died while writing it, before the request it announced was sent): it is no entry, and
/// `complete_len` ends before it. A complete line that is no entry is an error naming it.
pub fn read_lines(text: &[u8]) -> Result<Journal, JournalError> {
    let mut entries = Vec::new();
    let mut complete_len = 0;
    for (i, line) in text.split_inclusive(|b| *b == b'\n').enumerate() {
        let Some(body) = line.strip_suffix(b"\n") else { break };
        let body = std::str::from_utf8(body)
            .map_err(|e| JournalError { line: i + 1, message: format!("not UTF-8 text ({e})") })?;
        entries.push(Entry::from_line(body, i + 1)?);
        complete_len += line.len();
    }
    Ok(Journal { entries, complete_len })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_reads_back_and_a_torn_last_line_is_left_out() {
        let entries = [
            Entry::Campaign { id: "c".into(), sender: None },
            Entry::Creating { row: 2, fingerprint: "fp".into(), group: Vec::new() },
            Entry::Sent { row: 2, at: 5, recipients: 1 },
        ];
        let text: String = entries.iter().map(Entry::to_line).collect();
        let whole = read_lines(text.as_bytes()).expect("whole");
        assert_eq!((whole.entries.as_slice(), whole.complete_len), (&entries[..], text.len()));
        // The process died while writing the next line: it is not an entry, and the
        // complete lines end where it starts.
        let torn = format!("{text}{{\"event\":\"sending\",\"ro");
        let read = read_lines(torn.as_bytes()).expect("torn");
        assert_eq!((read.entries.as_slice(), read.complete_len), (&entries[..], text.len()));
        // Even a torn line that happens to parse is not trusted.
        let parses = format!("{text}{}", Entry::Sending { row: 2 }.to_line().trim_end());
        assert_eq!(read_lines(parses.as_bytes()).expect("torn").entries.len(), 3);
        // A complete line that is no entry names its line.
        let bad = format!("{text}{{\"event\":\"exploded\"}}\n");
        assert_eq!(read_lines(bad.as_bytes()).expect_err("bad").line, 4);
        assert_eq!(read_lines(b"\xff\n").expect_err("bytes").line, 1);
        assert_eq!(read_lines(b"").expect("empty"), Journal { entries: Vec::new(), complete_len: 0 });
    }

    #[test]
    fn every_entry_reads_back_as_written() {
        let entries = [
            Entry::Campaign { id: "c".into(), sender: None },
            Entry::Campaign { id: "c".into(), sender: Some("team@x.org".into()) },
            Entry::Folder { id: "f".into() },
            Entry::Creating { row: 2, fingerprint: "fp".into(), group: Vec::new() },
            Entry::Drafted { row: 2, id: "d".into(), conversation: None, internet_id: None },
            Entry::Drafted {
                row: 2,
                id: "d".into(),
                conversation: Some("AAQk".into()),
                internet_id: Some("<a@b>".into()),
            },
            Entry::Tracked { row: 2, status: Response::Bounced, at: 9 },
            Entry::Attached { row: 2, index: 1 },
            Entry::Sending { row: 2 },
            Entry::Sent { row: 2, at: 1_700_000_000_000, recipients: 3 },
            Entry::Failed { row: 2, reason: "r".into() },
        ];
        for e in entries {
            let json = serde_json::to_string(&e).expect("serialize");
            assert_eq!(serde_json::from_str::<Entry>(&json).expect(&json), e, "{json}");
        }
        let sent: Entry =
            serde_json::from_str(r#"{"event":"sent","row":4,"at":5,"recipients":1,"later":true}"#)
                .expect("sent");
        assert_eq!(sent, Entry::Sent { row: 4, at: 5, recipients: 1 }, "unknown fields are ignored");
    }

    #[test]
    fn incomplete_or_unknown_entries_are_refused() {
        let e = serde_json::from_str::<Entry>(r#"{"event":"sent","row":4,"at":5}"#).expect_err("incomplete");
        assert!(e.to_string().contains("missing field `recipients`"), "{e}");
        let e = serde_json::from_str::<Entry>(r#"{"event":"exploded","row":4}"#).expect_err("unknown");
        assert!(e.to_string().contains("unknown variant `exploded`"), "{e}");
        assert!(serde_json::from_str::<Entry>(r#"{"row":4}"#).is_err(), "no event");
        assert!(serde_json::from_str::<Entry>(r#"{"event":"sending","row":"4"}"#).is_err(), "wrong type");
    }

    #[test]
    fn a_grouped_messages_rows_stand_where_it_does_and_are_followed_up_once() {
        let entries = [
            Entry::Campaign { id: "c".into(), sender: None },
            Entry::Creating { row: 2, fingerprint: "f".into(), group: vec![5, 7] },
            Entry::Drafted { row: 2, id: "m2".into(), conversation: None, internet_id: None },
            Entry::Sending { row: 2 },
            Entry::Sent { row: 2, at: 1_000, recipients: 1 },
            Entry::Tracked { row: 2, status: Response::Replied, at: 2_000 },
        ];
        let rows = journal_rows(&entries);
        assert_eq!(rows.keys().copied().collect::<Vec<_>>(), [2, 5, 7]);
        assert_eq!(rows[&7].status, RowStatus::Answered(Response::Replied));
        assert_eq!((rows[&7].sent_at, rows[&7].part_of, rows[&2].part_of), (Some(1_000), Some(2), None));
        let line = entries[1].to_line();
        assert!(line.contains(r#""group":[5,7]"#), "{line}");
        assert_eq!(Entry::from_line(&line, 1).expect("reads"), entries[1]);
        let f = followups(&entries[..5], 10_000, 0);
        assert_eq!(f.rows.keys().copied().collect::<Vec<_>>(), [2], "once, as its first row");
    }

    #[test]
    fn a_follow_up_answers_the_sent_rows_that_are_due_and_unanswered() {
        let drafted =
            |row: u32| Entry::Drafted { row, id: format!("m{row}"), conversation: None, internet_id: None };
        let entries = [
            Entry::Campaign { id: "c".into(), sender: None },
            Entry::Skipped { row: 6, reason: "x".into() },
            drafted(2),
            Entry::Sent { row: 2, at: 1_000, recipients: 1 },
            drafted(3),
            Entry::Sent { row: 3, at: 1_000, recipients: 1 },
            drafted(4),
            Entry::Sent { row: 4, at: 5_000, recipients: 1 },
            drafted(5),
            Entry::Failed { row: 5, reason: "x".into() },
            Entry::Tracked { row: 3, status: Response::Replied, at: 2_000 },
        ];
        let f = followups(&entries, 4_000, 3_000);
        assert_eq!(f.rows.into_iter().collect::<Vec<_>>(), [(2, "m2".to_owned())]);
        assert_eq!((f.answered, f.later, f.next), (1, 1, Some(8_000)));
    }

    #[test]
    fn a_journal_says_where_each_row_stands() {
        let entries = [
            Entry::Campaign { id: "c".into(), sender: None },
            Entry::Skipped { row: 3, reason: "Email: empty".into() },
            Entry::Creating { row: 2, fingerprint: "f".into(), group: Vec::new() },
            Entry::Drafted { row: 2, id: "AAMk-2".into(), conversation: None, internet_id: None },
            Entry::Sending { row: 2 },
            Entry::Sent { row: 2, at: 1_700_000_000_000, recipients: 1 },
            Entry::Creating { row: 4, fingerprint: "f".into(), group: Vec::new() },
            Entry::Drafted { row: 4, id: "AAMk-4".into(), conversation: None, internet_id: None },
            Entry::Creating { row: 5, fingerprint: "f".into(), group: Vec::new() },
            Entry::Failed { row: 5, reason: "400 bad address".into() },
            Entry::Creating { row: 6, fingerprint: "f".into(), group: Vec::new() },
        ];
        let rows = journal_rows(&entries);
        type Seen<'a> = (u32, RowStatus, Option<u64>, Option<&'a str>, Option<&'a str>);
        let got: Vec<Seen<'_>> = rows
            .iter()
            .map(|(n, r)| (*n, r.status, r.sent_at, r.message_id.as_deref(), r.reason.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (2, RowStatus::Sent, Some(1_700_000_000_000), Some("AAMk-2"), None),
                (3, RowStatus::Skipped, None, None, Some("Email: empty")),
                (4, RowStatus::Drafted, None, Some("AAMk-4"), None),
                (5, RowStatus::Failed, None, None, Some("400 bad address")),
                (6, RowStatus::Pending, None, None, None),
            ]
        );
    }
}
