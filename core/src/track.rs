//! What came back after a campaign, read from the sending mailbox's own Inbox: replies,
//! non-delivery reports and unsubscribe requests, matched to the campaign's rows by what
//! the journal knows of each sent message — never by reading the spreadsheet again.
//!
//! - A **non-delivery report** (message class `REPORT.IPM.Note.NDR`) quotes the original
//!   message's headers; its `Message-ID` is the row's draft's `internetMessageId`.
//! - A **reply** shares the row's `conversationId`; automatic replies (out of office, rules)
//!   are not replies.
//! - An **unsubscribe request** is a message whose subject `{{unsubscribe}}` wrote
//!   (`Unsubscribe [campaign/row]`); its sender goes on the do-not-contact list.
//!
//! Pure: the front doors list the Inbox ([`Tracker::inbox_path`]), fetch a report's body
//! when [`Tracker::needs_body`] says so, and journal what [`Tracker::observe`] finds.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::graph::{ExtendedProperty, Recipient};
use crate::send::{Entry, Millis, Response, RowStatus, Sender, journal_rows};

/// PidTagMessageClass, which tells reports and automatic replies from messages.
pub const MESSAGE_CLASS: &str = "String 0x001A";

/// One Inbox message, the fields tracking reads (nothing of its body unless it is a report).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxMessage {
    /// Its id (to fetch a report's body).
    pub id: String,
    /// The subject.
    #[serde(default)]
    pub subject: Option<String>,
    /// Who sent it.
    #[serde(default)]
    pub from: Option<Recipient>,
    /// Its conversation.
    #[serde(default)]
    pub conversation_id: Option<String>,
    /// When it arrived (UTC).
    #[serde(default)]
    pub received_date_time: Option<String>,
    /// The message class, when expanded.
    #[serde(default)]
    pub single_value_extended_properties: Vec<ExtendedProperty>,
}

/// A message's body (`$select=body`).
#[derive(Debug, Clone, Deserialize)]
pub struct BodyOnly {
    /// The body.
    pub body: crate::graph::ItemBody,
}

/// What an Inbox message is, for tracking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NonDelivery,
    Automatic,
    Message,
}

/// Whether an extended property's id is PidTagMessageClass, however Graph spells the tag
/// back (`String 0x001A`, `String 0x1a`).
fn is_message_class(id: &str) -> bool {
    let Some((kind, tag)) = id.trim().split_once(' ') else { return false };
    let tag = tag.trim();
    kind.eq_ignore_ascii_case("String")
        && tag.get(..2).is_some_and(|x| x.eq_ignore_ascii_case("0x"))
        && u32::from_str_radix(&tag[2..], 16) == Ok(0x1A)
}

fn kind(m: &InboxMessage) -> Kind {
    let class = m
        .single_value_extended_properties
        .iter()
        .find(|p| is_message_class(&p.id))
        .map(|p| p.value.to_ascii_uppercase())
        .unwrap_or_default();
    if class.starts_with("REPORT.") && class.ends_with(".NDR") {
        Kind::NonDelivery
    } else if class.starts_with("REPORT.") || class.starts_with("IPM.NOTE.RULES.") {
        // Delivery and read receipts; out-of-office and rule replies.
        Kind::Automatic
    } else {
        Kind::Message
    }
}

/// Why a journal cannot be tracked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrackError {
    /// The journal does not begin with its campaign.
    #[error("not a campaign journal")]
    NotAJournal,
    /// Nothing was sent yet.
    #[error("nothing of this campaign was sent yet")]
    NothingSent,
}

/// What [`Tracker::observe`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The journal entry to append.
    pub entry: Entry,
    /// An address to add to the do-not-contact list (an unsubscribe request's sender).
    pub suppress: Option<String>,
}

/// How many of each response a check found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    /// Replies.
    pub replied: usize,
    /// Non-delivery reports.
    pub bounced: usize,
    /// Unsubscribe requests.
    pub unsubscribed: usize,
}

impl Tally {
    /// The responses among `found`.
    pub fn of(found: &[Found]) -> Tally {
        let mut t = Tally::default();
        for f in found {
            if let Entry::Tracked { status, .. } = f.entry {
                match status {
                    Response::Replied => t.replied += 1,
                    Response::Bounced => t.bounced += 1,
                    Response::Unsubscribed => t.unsubscribed += 1,
                }
            }
        }
        t
    }
}

/// A campaign's sent rows, by what their messages can be recognised by.
#[derive(Debug, Clone)]
pub struct Tracker {
    campaign: String,
    sender: Sender,
    since: Millis,
    by_conversation: HashMap<String, u32>,
    /// `Message-ID`s without their angle brackets.
    by_internet_id: HashMap<String, u32>,
    sent: HashSet<u32>,
    known: HashSet<(u32, Response)>,
}

impl Tracker {
    /// The rows of a campaign's journal that were sent, and what was already found.
    pub fn new(entries: &[Entry]) -> Result<Tracker, TrackError> {
        let Some(Entry::Campaign { id, sender }) = entries.first() else {
            return Err(TrackError::NotAJournal);
        };
        let rows = journal_rows(entries);
        let mut t = Tracker {
            campaign: id.clone(),
            sender: sender.clone().map_or(Sender::Me, Sender::Shared),
            since: Millis::MAX,
            by_conversation: HashMap::new(),
            by_internet_id: HashMap::new(),
            sent: HashSet::new(),
            known: HashSet::new(),
        };
        for (number, r) in &rows {
            // A grouped message is known by its first row.
            if !matches!(r.status, RowStatus::Sent | RowStatus::Answered(_)) || r.part_of.is_some() {
                continue;
            }
            t.sent.insert(*number);
            t.since = t.since.min(r.sent_at.unwrap_or(Millis::MAX));
            if let Some(c) = &r.conversation {
                t.by_conversation.insert(c.clone(), *number);
            }
            if let Some(id) = &r.internet_id {
                t.by_internet_id.insert(id.trim_matches(['<', '>']).to_owned(), *number);
            }
        }
        for e in entries {
            if let Entry::Tracked { row, status, .. } = e {
                t.known.insert((*row, *status));
            }
        }
        if t.sent.is_empty() {
            return Err(TrackError::NothingSent);
        }
        Ok(t)
    }

    /// The campaign's id.
    pub fn campaign(&self) -> &str {
        &self.campaign
    }

    /// How many rows were sent.
    pub fn sent(&self) -> usize {
        self.sent.len()
    }

    /// The first page of the sending mailbox's Inbox since the campaign's first message,
    /// oldest first, with each message's class; the next pages are `@odata.nextLink`.
    pub fn inbox_path(&self) -> String {
        let prefix = self.sender.prefix();
        // A minute's slack: a clock between Graph's servers and the journal's.
        let since = crate::calendar::iso_utc(self.since.saturating_sub(60_000));
        let filter = format!("receivedDateTime ge {since}");
        let expand = format!("singleValueExtendedProperties($filter=id eq '{MESSAGE_CLASS}')");
        format!(
            "{prefix}/mailFolders/inbox/messages?$filter={}&$orderby=receivedDateTime&$top=100&$select=subject,from,conversationId,receivedDateTime&$expand={}",
            crate::send::encode(&filter),
            crate::send::encode(&expand)
        )
    }

    /// The path of a message's body, for a report ([`Tracker::needs_body`]).
    pub fn body_path(&self, message: &InboxMessage) -> String {
        let prefix = self.sender.prefix();
        format!("{prefix}/messages/{}?$select=body", crate::send::encode(&message.id))
    }

    /// Whether the message is a non-delivery report, whose body names the message it returns.
    pub fn needs_body(&self, message: &InboxMessage) -> bool {
        kind(message) == Kind::NonDelivery
    }

    /// What one Inbox message says of the campaign's rows (`body`: a report's, when
    /// [`Tracker::needs_body`]); each row's response is found once, however often it is read.
    pub fn observe(&mut self, message: &InboxMessage, body: Option<&str>) -> Option<Found> {
        let at = message.received_date_time.as_deref().and_then(crate::calendar::parse_utc).unwrap_or(0);
        let (row, status, suppress) = match kind(message) {
            Kind::Automatic => return None,
            Kind::NonDelivery => (self.reported_row(body?)?, Response::Bounced, None),
            Kind::Message => {
                let subject = message.subject.as_deref().unwrap_or_default();
                match crate::unsubscribe::parse_subject(subject) {
                    Some((campaign, row)) if campaign == self.campaign && self.sent.contains(&row) => {
                        let from = message.from.as_ref().map(|f| f.email_address.address.to_lowercase());
                        (row, Response::Unsubscribed, from)
                    }
                    _ => {
                        let row = *self.by_conversation.get(message.conversation_id.as_deref()?)?;
                        (row, Response::Replied, None)
                    }
                }
            }
        };
        if !self.known.insert((row, status)) {
            return None;
        }
        Some(Found { entry: Entry::Tracked { row, status, at }, suppress })
    }

    /// The row whose `Message-ID` a report quotes (its body is HTML or text; the id may be
    /// escaped as `&lt;…&gt;`).
    fn reported_row(&self, body: &str) -> Option<u32> {
        let token_char =
            |c: char| !(c.is_whitespace() || matches!(c, '<' | '>' | '&' | ';' | '"' | '\'' | ':'));
        let mut rest = body;
        while let Some(at) = rest.find('@') {
            let start = rest[..at].rfind(|c: char| !token_char(c)).map_or(0, |i| i + 1);
            let end = rest[at + 1..].find(|c: char| !token_char(c)).map_or(rest.len(), |i| at + 1 + i);
            if let Some(row) = self.by_internet_id.get(&rest[start..end]) {
                return Some(*row);
            }
            rest = &rest[at + 1..];
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::EmailAddress;

    fn journal() -> Vec<Entry> {
        let drafted = |row: u32| Entry::Drafted {
            row,
            id: format!("AAMk-{row}"),
            conversation: Some(format!("AAQk-{row}")),
            internet_id: Some(format!("<row{row}.x@eurprd.prod.outlook.com>")),
        };
        vec![
            Entry::Campaign { id: "c0ffee".into(), sender: None },
            Entry::Skipped { row: 5, reason: "listed".into() },
            drafted(2),
            Entry::Sent { row: 2, at: 1_800_000_000_000, recipients: 1 },
            drafted(3),
            Entry::Sent { row: 3, at: 1_800_000_060_000, recipients: 1 },
            drafted(4),
        ]
    }

    fn message(subject: &str, conversation: &str, class: Option<&str>) -> InboxMessage {
        InboxMessage {
            id: "m1".into(),
            subject: Some(subject.into()),
            from: Some(Recipient {
                email_address: EmailAddress { address: "Bob@Example.org".into(), name: None },
            }),
            conversation_id: Some(conversation.into()),
            received_date_time: Some("2027-01-15T08:05:00Z".into()),
            single_value_extended_properties: class
                .map(|c| vec![ExtendedProperty { id: MESSAGE_CLASS.into(), value: c.into() }])
                .unwrap_or_default(),
        }
    }

    #[test]
    fn replies_reports_and_unsubscribes_find_their_rows_once() {
        let mut t = Tracker::new(&journal()).expect("tracker");
        assert_eq!(t.sent(), 2, "a drafted row was not sent");
        let reply = message("RE: Your order", "AAQk-3", Some("IPM.Note"));
        let found = t.observe(&reply, None).expect("reply");
        let at = parse("2027-01-15T08:05:00Z");
        assert_eq!(found.entry, Entry::Tracked { row: 3, status: Response::Replied, at });
        assert_eq!(t.observe(&reply, None), None, "found once");
        // Out of office is not a reply; another conversation is not the campaign's.
        assert_eq!(
            t.observe(
                &message("Automatic reply: x", "AAQk-2", Some("IPM.Note.Rules.OofTemplate.Microsoft")),
                None
            ),
            None
        );
        assert_eq!(t.observe(&message("Hello", "AAQk-9", None), None), None);
        // A report needs its body, which quotes the Message-ID, escaped in HTML.
        let ndr = message("Undeliverable: Your order", "AAQk-2", Some("REPORT.IPM.Note.NDR"));
        assert!(t.needs_body(&ndr));
        assert_eq!(t.observe(&ndr, None), None);
        assert_eq!(t.observe(&ndr, Some("<pre>Message-ID: &lt;nobody@else&gt;</pre>")), None);
        let body = "<p>Delivery has failed</p><pre>Message-ID:\n &lt;row2.x@eurprd.prod.outlook.com&gt;\nX-LocalMerge-Campaign: c0ffee</pre>";
        assert_eq!(
            t.observe(&ndr, Some(body)).map(|f| f.entry.clone()),
            Some(Entry::Tracked { row: 2, status: Response::Bounced, at: parse("2027-01-15T08:05:00Z") })
        );
        // An unsubscribe names its row; its sender is to be listed (lower case).
        let unsub = message("Unsubscribe [c0ffee/2]", "AAQk-77", None);
        let found = t.observe(&unsub, None).expect("unsubscribe");
        assert_eq!(found.suppress.as_deref(), Some("bob@example.org"));
        assert!(matches!(found.entry, Entry::Tracked { row: 2, status: Response::Unsubscribed, .. }));
        // Another campaign's, or a row not sent, is not this one's.
        assert_eq!(t.observe(&message("Unsubscribe [other/2]", "x", None), None), None);
        assert_eq!(t.observe(&message("Unsubscribe [c0ffee/4]", "x", None), None), None);
        let entry = |status| Found { entry: Entry::Tracked { row: 2, status, at: 0 }, suppress: None };
        let found = [entry(Response::Bounced), entry(Response::Replied), entry(Response::Bounced)];
        assert_eq!(Tally::of(&found), Tally { replied: 1, bounced: 2, unsubscribed: 0 });
    }

    #[test]
    fn the_message_class_is_recognised_however_graph_spells_its_tag() {
        for id in ["String 0x001A", "String 0x1a", "string 0x001a"] {
            assert!(is_message_class(id), "{id}");
        }
        for id in ["String 0x1A0", "Integer 0x1A", "String {00020329-0000-0000-C000-000000000046} Name x", ""]
        {
            assert!(!is_message_class(id), "{id}");
        }
    }

    fn parse(s: &str) -> u64 {
        crate::calendar::parse_utc(s).expect(s)
    }

    #[test]
    fn what_the_journal_found_before_is_not_found_again_and_the_report_shows_the_weightiest() {
        let mut entries = journal();
        entries.push(Entry::Tracked { row: 3, status: Response::Replied, at: 1 });
        entries.push(Entry::Tracked { row: 3, status: Response::Unsubscribed, at: 2 });
        entries.push(Entry::Tracked { row: 3, status: Response::Replied, at: 3 });
        let mut t = Tracker::new(&entries).expect("tracker");
        assert_eq!(t.observe(&message("RE: x", "AAQk-3", None), None), None);
        let rows = journal_rows(&entries);
        assert_eq!(rows[&3].status, RowStatus::Answered(Response::Unsubscribed));
        assert_eq!(rows[&3].answered_at, Some(2));
        assert_eq!(rows[&3].status.as_str(), "unsubscribed");
        assert_eq!(Tracker::new(&entries[..2]).err(), Some(TrackError::NothingSent));
        assert_eq!(Tracker::new(&entries[1..]).err(), Some(TrackError::NotAJournal));
    }

    #[test]
    fn the_inbox_is_read_from_the_first_send_with_each_message_class() {
        let t = Tracker::new(&journal()).expect("tracker");
        let path = t.inbox_path();
        assert!(
            path.starts_with(
                "/me/mailFolders/inbox/messages?$filter=receivedDateTime%20ge%202027%2D01%2D15T07%3A59%3A00Z&"
            ),
            "{path}"
        );
        assert!(
            path.contains(
                "$expand=singleValueExtendedProperties%28%24filter%3Did%20eq%20%27String%200x001A%27%29"
            ),
            "{path}"
        );
        let mut shared = journal();
        shared[0] = Entry::Campaign { id: "c0ffee".into(), sender: Some("team@x.org".into()) };
        let team = Sender::Shared("team@x.org".into()).prefix();
        let path = Tracker::new(&shared).expect("t").inbox_path();
        assert!(path.starts_with(&format!("{team}/mailFolders/inbox/")), "{path}");
    }

    #[test]
    fn utc_times_read_back() {
        for t in [0, 1_800_000_000_000, 253_402_300_799_000] {
            assert_eq!(crate::calendar::parse_utc(&crate::calendar::iso_utc(t)), Some(t));
        }
        assert_eq!(
            crate::calendar::parse_utc("2026-12-06T10:00:00.5Z"),
            Some(parse("2026-12-06T10:00:00Z") + 500)
        );
        for bad in [
            "2026-02-30T00:00:00Z",
            "2026-12-06T10:00:00",
            "2026-12-06 10:00:00Z",
            "x",
            "2026-12-06T24:00:00Z",
        ] {
            assert_eq!(crate::calendar::parse_utc(bad), None, "{bad}");
        }
    }
}
