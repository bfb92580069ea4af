//! The send engine: a campaign as a state machine that decides every Graph request, so
//! that each row is delivered exactly once whatever fails and whenever the process dies.
//!
//! The protocol, per row: journal `creating` → `POST {mailbox}/messages` (a draft with our
//! row key as a named extended property and an `X-LocalMerge-Campaign` header) → journal
//! `drafted(id)` → attachments (inline, `POST …/attachments`, or an upload session) →
//! journal `sending` → `POST …/messages/{id}/send` → journal `sent`. Each journal entry is
//! written by the caller before the next request can have an effect. After a crash or an
//! ambiguous failure nothing is repeated blindly: a row left `creating` is looked up by its
//! key (`$filter` on the extended property) and its draft reused; a row left `sending` is
//! read back (`GET …/messages/{id}`) and sent only if it is still a draft.
//!
//! The engine does no I/O and reads no clock: [`Engine::poll`] and [`Engine::complete`]
//! take the time, [`drive`] performs requests through the caller's [`Transport`],
//! [`JournalStore`], [`Clock`] and [`Files`].

mod drive;
mod http;
mod journal;
mod pace;

use std::collections::HashMap;
use std::fmt;

pub use drive::{Clock, DriveError, Event, Files, Finish, JournalStore, Observer, Transport, drive};
pub use http::{
    BodyPart, HttpRequest, HttpResponse, Method, RequestSpec, Target, TransportError, parse_retry_after,
};
pub use journal::Entry;
pub use pace::Limits;

use crate::graph::{
    AttachmentRef, Collection, EmailAddress, ErrorBody, ExtendedProperty, FolderRef, Header, MessageRef,
    Recipient, UploadSession,
};
use crate::merge::Message;
use pace::{Gate, Jitter, Pacer};

/// Milliseconds since the Unix epoch (UTC): the only form in which time enters the engine.
pub type Millis = u64;

/// The property set of localmerge's named MAPI properties (a fixed GUID of ours).
pub const PROPERTY_SET: &str = "{6d3f2c1a-8b4e-4f7a-9c2d-1e5b7a9f0c38}";
/// The extended property that carries `<campaign-id>/<row>` on every draft.
pub const ROW_KEY_PROPERTY: &str = "String {6d3f2c1a-8b4e-4f7a-9c2d-1e5b7a9f0c38} Name LocalMergeId";
/// The header that names the campaign on every message.
pub const CAMPAIGN_HEADER: &str = "X-LocalMerge-Campaign";
/// MAPI's PidTagDeferredSendTime: Exchange holds the message until then.
pub const DEFERRED_SEND_TIME: &str = "SystemTime 0x3FEF";
/// Attachments below this size may go in the draft itself or through one request; larger
/// ones go through an upload session (Graph's rule).
pub const SMALL_ATTACHMENT_BYTES: u64 = 3 * 1024 * 1024;
/// The size of one upload-session chunk (Graph asks for less than 4 MB).
pub const UPLOAD_CHUNK_BYTES: u64 = 3 * 1024 * 1024;
/// Graph's request-size limit; a draft with inline attachments stays below it.
const MAX_REQUEST_BYTES: u64 = 4 * 1024 * 1024 - 64 * 1024;
/// Drafts created ahead of sending, so a pause or crash leaves few unsent drafts.
const LOOKAHEAD: usize = 4;

/// A campaign id: 1 to 64 characters among letters, digits, `-`, `_` and `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CampaignId(String);

impl CampaignId {
    /// Checks an id.
    pub fn parse(id: &str) -> Result<Self, EngineError> {
        let ok = !id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if ok { Ok(CampaignId(id.to_owned())) } else { Err(EngineError::BadCampaignId(id.to_owned())) }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CampaignId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The mailbox a campaign sends from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    /// The signed-in user's own (`/me`).
    Me,
    /// A shared mailbox the user may send as (`/users/{address}`, Mail.Send.Shared).
    Shared(String),
}

impl Sender {
    fn prefix(&self) -> String {
        match self {
            Sender::Me => "/me".to_owned(),
            Sender::Shared(address) => format!("/users/{}", encode(address)),
        }
    }

    fn journal_name(&self) -> Option<String> {
        match self {
            Sender::Me => None,
            Sender::Shared(a) => Some(a.to_lowercase()),
        }
    }
}

/// Whether a run sends, or only prepares drafts for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Create and send every message.
    Send,
    /// Create every draft in a folder named after the campaign, and stop; a later run with
    /// the same journal in [`Mode::Send`] sends them.
    DraftsOnly,
}

/// A campaign's settings.
#[derive(Debug, Clone)]
pub struct Campaign {
    /// The id (the journal keeps it; the drafts carry it).
    pub id: CampaignId,
    /// The sending mailbox.
    pub sender: Sender,
    /// Send, or drafts only.
    pub mode: Mode,
    /// Scheduled sending: the first release time. Every draft then carries its deferred
    /// send time, paced as [`Limits`] say, and Exchange releases them.
    pub schedule: Option<Millis>,
    /// The limits kept.
    pub limits: Limits,
    /// The folder name for drafts-only campaigns.
    pub folder_name: String,
    /// The seed of retry jitter (the caller's randomness).
    pub seed: u64,
}

/// Why an engine cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The id has characters Graph filters or headers would mangle.
    #[error("invalid campaign id \"{0}\" (letters, digits, '-', '_' and '.'; at most 64)")]
    BadCampaignId(String),
    /// The journal belongs to another campaign or mailbox.
    #[error(
        "the journal is for campaign {journal}, sent from {journal_sender}; this is {this}, from {this_sender}"
    )]
    OtherCampaign {
        /// The journal's campaign.
        journal: String,
        /// The journal's mailbox.
        journal_sender: String,
        /// This campaign.
        this: String,
        /// This campaign's mailbox.
        this_sender: String,
    },
    /// A row's message changed since its draft was made.
    #[error("row {row} changed since this campaign started it; restore the data or start a new journal")]
    RowChanged {
        /// The row.
        row: u32,
    },
    /// A row the campaign started is no longer among the messages (it changed, or now has a problem).
    #[error("row {row} was started by this campaign but is no longer among the messages to send")]
    RowMissing {
        /// The row.
        row: u32,
    },
    /// An attachment was not looked up ([`crate::Merge::check_attachments`]).
    #[error("row {row}: attachment \"{name}\" was not checked")]
    UncheckedAttachment {
        /// The row.
        row: u32,
        /// The file.
        name: String,
    },
    /// The journal is not in the order the engine writes.
    #[error("journal entry {index} is out of order: {entry}")]
    BadJournal {
        /// Its position (0-based).
        index: usize,
        /// What it says.
        entry: String,
    },
}

/// Identifies a request in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpId(u64);

/// A request to perform: write `journal` first, then send `spec`.
#[derive(Debug, Clone)]
pub struct Request {
    /// The request's id, for [`Engine::complete`].
    pub op: OpId,
    /// Entries to make durable before the request is sent.
    pub journal: Vec<Entry>,
    /// The request.
    pub spec: RequestSpec,
}

/// What the engine wants next.
#[derive(Debug, Clone)]
pub enum Poll {
    /// Perform this request.
    Request(Request),
    /// Nothing before this time (or before a request in flight completes).
    Wait(Millis),
    /// Nothing until a request in flight completes.
    Busy,
    /// Every row is sent or failed (or drafted, in drafts-only mode).
    Done(Summary),
    /// The campaign stopped early; running it again with the same journal resumes it.
    Stopped(Stop),
}

/// Why a campaign stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// The rolling recipient budget is spent; it can resume at this time.
    BudgetSpent {
        /// When enough budget is back for the next message.
        resume_at: Millis,
    },
    /// Graph refused the token (expired or revoked): sign in again.
    Unauthorized(String),
    /// Graph refused the mailbox (no permission to send as it, for example).
    Forbidden(String),
    /// The service kept failing; it may be down.
    Unavailable(String),
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::BudgetSpent { .. } => {
                f.write_str("the mailbox's recipient budget for 24 hours is spent")
            }
            StopReason::Unauthorized(m) => {
                write!(f, "Microsoft Graph refused the token ({m}); sign in again")
            }
            StopReason::Forbidden(m) => write!(f, "Microsoft Graph refused access to the mailbox ({m})"),
            StopReason::Unavailable(m) => write!(f, "Microsoft Graph kept failing ({m})"),
        }
    }
}

/// A stop, with where the campaign stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// Why.
    pub reason: StopReason,
    /// Where it stands.
    pub summary: Summary,
}

/// Where a campaign stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// Rows in the campaign.
    pub total: usize,
    /// Rows sent.
    pub sent: usize,
    /// Rows whose draft is ready but not sent (drafts-only mode, or not yet).
    pub drafted: usize,
    /// Rows that will not be sent, with the reason.
    pub failed: Vec<(u32, String)>,
}

impl Summary {
    /// Rows neither sent nor failed.
    pub fn pending(&self) -> usize {
        self.total - self.sent - self.failed.len()
    }
}

/// Things worth telling the user that are not journal entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The service throttled the mailbox; nothing is sent until then.
    Throttled {
        /// The status (429, 503, 504).
        status: u16,
        /// Until when.
        until: Millis,
    },
    /// A throttled send taught the campaign the mailbox's real rate.
    Pace {
        /// Messages per window from now on.
        per_window: u32,
    },
    /// A request failed and will be retried (after checking what happened, when its effect
    /// is uncertain).
    Retrying {
        /// The row, if the request was for one.
        row: Option<u32>,
        /// What failed.
        reason: String,
        /// Not before.
        at: Millis,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Planned,
    /// A draft may exist (a create was journalled but not confirmed).
    Creating,
    Drafted(String),
    /// A send of this draft may have happened.
    Sending(String),
    Sent,
    Failed(String),
}

#[derive(Debug, Clone)]
struct Upload {
    index: usize,
    url: String,
    next: u64,
}

#[derive(Debug, Clone)]
struct Row {
    message: Message,
    fingerprint: String,
    state: State,
    /// Per attachment: complete on the draft.
    attached: Vec<bool>,
    /// Whether `attached` is certain (false after a resume or an uncertain upload).
    attachments_known: bool,
    upload: Option<Upload>,
    not_before: Millis,
    attempts: u32,
    busy: bool,
    release_at: Option<Millis>,
}

impl Row {
    fn recipients(&self) -> u32 {
        (self.message.to.len() + self.message.cc.len() + self.message.bcc.len()) as u32
    }

    fn attachments_done(&self) -> bool {
        self.attached.iter().all(|a| *a)
    }

    fn terminal(&self, mode: Mode) -> bool {
        match &self.state {
            State::Sent | State::Failed(_) => true,
            State::Drafted(_) => {
                mode == Mode::DraftsOnly && self.attachments_done() && self.attachments_known
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
enum OpKind {
    FindFolder,
    CreateFolder,
    FindDraft,
    CreateDraft { inline: Vec<usize> },
    ListAttachments,
    AddAttachment { index: usize },
    CreateUploadSession { index: usize },
    UploadChunk { end: u64, total: u64 },
    CheckDraft,
    Send { pace: u64 },
}

impl OpKind {
    /// Whether repeating the request could repeat an effect.
    fn has_effect(&self) -> bool {
        !matches!(self, OpKind::FindFolder | OpKind::FindDraft | OpKind::ListAttachments | OpKind::CheckDraft)
    }

    fn what(&self) -> &'static str {
        match self {
            OpKind::FindFolder => "looking up the drafts folder",
            OpKind::CreateFolder => "creating the drafts folder",
            OpKind::FindDraft => "looking up the draft",
            OpKind::CreateDraft { .. } => "creating the draft",
            OpKind::ListAttachments => "listing the draft's attachments",
            OpKind::AddAttachment { .. } => "attaching a file",
            OpKind::CreateUploadSession { .. } => "starting an upload",
            OpKind::UploadChunk { .. } => "uploading an attachment",
            OpKind::CheckDraft => "checking the draft",
            OpKind::Send { .. } => "sending",
        }
    }
}

#[derive(Debug, Clone)]
struct Op {
    row: Option<usize>,
    kind: OpKind,
    prior: Option<State>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Folder {
    NotNeeded,
    Unknown,
    Missing,
    Known(String),
}

/// The campaign's state machine.
#[derive(Debug)]
pub struct Engine {
    campaign: Campaign,
    rows: Vec<Row>,
    by_number: HashMap<u32, usize>,
    ops: HashMap<OpId, Op>,
    next_op: u64,
    outbox: Vec<Entry>,
    notices: Vec<Notice>,
    pacer: Pacer,
    jitter: Jitter,
    throttled_until: Millis,
    throttle_streak: u32,
    requests: std::collections::VecDeque<Millis>,
    folder: Folder,
    folder_busy: bool,
    folder_attempts: u32,
    stop: Option<StopReason>,
    cursor: usize,
}

/// A stable fingerprint of what a message says (FNV-1a: no crate needed for 64 bits that
/// only detect an edited row).
fn fingerprint(m: &Message) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |s: &str| {
        for b in s.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for list in [&m.to, &m.cc, &m.bcc] {
        for mb in list {
            eat(&mb.address);
        }
        eat("|");
    }
    eat(&m.subject);
    eat(&m.body);
    for a in &m.attachments {
        eat(&a.name);
    }
    format!("{h:016x}")
}

/// Percent-encodes a URL path segment or query value.
fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// An ISO 8601 UTC time for Graph (`2026-11-24T09:30:00Z`).
pub fn iso_utc(t: Millis) -> String {
    let secs = t / 1000;
    let (y, m, d) = crate::value::civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

fn graph_error(r: &HttpResponse) -> String {
    match serde_json::from_slice::<ErrorBody>(&r.body) {
        Ok(e) if !e.error.code.is_empty() => {
            if e.error.message.is_empty() {
                format!("{} {}", r.status, e.error.code)
            } else {
                format!("{} {}: {}", r.status, e.error.code, e.error.message)
            }
        }
        _ => format!("HTTP {}", r.status),
    }
}

impl Engine {
    /// Makes the engine for `messages` (a checked plan's messages, in sheet order),
    /// resuming from `journal` (the entries of earlier runs, in order; empty for a new
    /// campaign).
    pub fn new(campaign: Campaign, messages: Vec<Message>, journal: &[Entry]) -> Result<Engine, EngineError> {
        let mut rows = Vec::with_capacity(messages.len());
        let mut by_number = HashMap::with_capacity(messages.len());
        let schedule = campaign.schedule.map(|start| {
            let counts: Vec<u32> =
                messages.iter().map(|m| (m.to.len() + m.cc.len() + m.bcc.len()) as u32).collect();
            pace::release_times(&campaign.limits, start, &counts)
        });
        for (i, message) in messages.into_iter().enumerate() {
            if let Some(a) = message.attachments.iter().find(|a| a.size.is_none()) {
                return Err(EngineError::UncheckedAttachment { row: message.row, name: a.name.clone() });
            }
            by_number.insert(message.row, rows.len());
            rows.push(Row {
                fingerprint: fingerprint(&message),
                attached: vec![false; message.attachments.len()],
                message,
                state: State::Planned,
                attachments_known: true,
                upload: None,
                not_before: 0,
                attempts: 0,
                busy: false,
                release_at: schedule.as_ref().and_then(|s| s.get(i).copied()),
            });
        }
        let mut engine = Engine {
            pacer: Pacer::new(campaign.limits),
            jitter: Jitter::new(campaign.seed),
            folder: if campaign.mode == Mode::DraftsOnly { Folder::Unknown } else { Folder::NotNeeded },
            campaign,
            rows,
            by_number,
            ops: HashMap::new(),
            next_op: 0,
            outbox: Vec::new(),
            notices: Vec::new(),
            throttled_until: 0,
            throttle_streak: 0,
            requests: std::collections::VecDeque::new(),
            folder_busy: false,
            folder_attempts: 0,
            stop: None,
            cursor: 0,
        };
        engine.replay(journal)?;
        Ok(engine)
    }

    fn replay(&mut self, journal: &[Entry]) -> Result<(), EngineError> {
        let sender = self.campaign.sender.journal_name();
        let shown = |s: &Option<String>| s.clone().unwrap_or_else(|| "the signed-in mailbox".to_owned());
        match journal.first() {
            None => self.outbox.push(Entry::Campaign { id: self.campaign.id.0.clone(), sender }),
            Some(Entry::Campaign { id, sender: s }) => {
                if *id != self.campaign.id.0 || *s != sender {
                    return Err(EngineError::OtherCampaign {
                        journal: id.clone(),
                        journal_sender: shown(s),
                        this: self.campaign.id.0.clone(),
                        this_sender: shown(&sender),
                    });
                }
            }
            Some(other) => return Err(EngineError::BadJournal { index: 0, entry: format!("{other:?}") }),
        }
        for (index, entry) in journal.iter().enumerate().skip(1) {
            let bad = || EngineError::BadJournal { index, entry: format!("{entry:?}") };
            if let Entry::Folder { id } = entry {
                if self.folder != Folder::NotNeeded {
                    self.folder = Folder::Known(id.clone());
                }
                continue;
            }
            let Some(number) = entry.row() else { return Err(bad()) };
            let Some(&i) = self.by_number.get(&number) else {
                match entry {
                    // Rows that ended are history; rows in progress need their message.
                    Entry::Sent { at, recipients, .. } => self.pacer.remember(*at, *recipients),
                    Entry::Failed { .. } => {}
                    _ => return Err(EngineError::RowMissing { row: number }),
                }
                continue;
            };
            let row = &mut self.rows[i];
            match entry {
                Entry::Creating { fingerprint, .. } => {
                    if *fingerprint != row.fingerprint {
                        return Err(EngineError::RowChanged { row: number });
                    }
                    if row.state == State::Planned {
                        row.state = State::Creating;
                    }
                }
                Entry::Drafted { id, .. } => {
                    row.state = State::Drafted(id.clone());
                    // What was attached before the crash is listed again before uploading.
                    row.attachments_known = row.attached.is_empty();
                }
                Entry::Attached { index: a, .. } => {
                    let slot = row.attached.get_mut(*a).ok_or_else(bad)?;
                    *slot = true;
                }
                Entry::Sending { .. } => match &row.state {
                    // A send checked and found unsent is tried again: a second `sending`.
                    State::Drafted(id) | State::Sending(id) => row.state = State::Sending(id.clone()),
                    _ => return Err(bad()),
                },
                Entry::Sent { at, recipients, .. } => {
                    row.state = State::Sent;
                    self.pacer.remember(*at, *recipients);
                }
                Entry::Failed { reason, .. } => row.state = State::Failed(reason.clone()),
                Entry::Campaign { .. } | Entry::Folder { .. } => return Err(bad()),
            }
        }
        for row in &mut self.rows {
            if row.attachments_done() {
                row.attachments_known = true;
            }
        }
        Ok(())
    }

    /// The campaign's settings.
    pub fn campaign(&self) -> &Campaign {
        &self.campaign
    }

    /// Where the campaign stands.
    pub fn summary(&self) -> Summary {
        let mut s = Summary { total: self.rows.len(), ..Summary::default() };
        for row in &self.rows {
            match &row.state {
                State::Sent => s.sent += 1,
                State::Failed(reason) => s.failed.push((row.message.row, reason.clone())),
                State::Drafted(_) if row.attachments_done() => s.drafted += 1,
                _ => {}
            }
        }
        s
    }

    /// Notices since the last call (throttling, retries).
    pub fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// Requests in flight.
    pub fn in_flight(&self) -> usize {
        self.ops.len()
    }

    fn prefix(&self) -> String {
        self.campaign.sender.prefix()
    }

    fn row_key(&self, row: &Row) -> String {
        format!("{}/{}", self.campaign.id.0, row.message.row)
    }

    fn graph(method: Method, path: String, json: Option<Vec<u8>>) -> RequestSpec {
        let mut headers = vec![("Prefer".to_owned(), "IdType=\"ImmutableId\"".to_owned())];
        let body = match json {
            Some(b) => {
                headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
                vec![BodyPart::Bytes(b)]
            }
            None => Vec::new(),
        };
        RequestSpec { method, target: Target::Graph(path), headers, body }
    }

    fn issue(
        &mut self,
        now: Millis,
        row: Option<usize>,
        kind: OpKind,
        spec: RequestSpec,
        intent: Option<Entry>,
    ) -> Poll {
        self.next_op += 1;
        let op = OpId(self.next_op);
        let prior = row.map(|i| self.rows[i].state.clone());
        if let Some(i) = row {
            self.rows[i].busy = true;
        }
        self.ops.insert(op, Op { row, kind, prior });
        self.requests.push_back(now);
        let mut journal = std::mem::take(&mut self.outbox);
        journal.extend(intent);
        Poll::Request(Request { op, journal, spec })
    }

    /// The next thing to do at time `now`.
    pub fn poll(&mut self, now: Millis) -> Poll {
        if let Some(reason) = &self.stop {
            return if self.ops.is_empty() {
                Poll::Stopped(Stop { reason: reason.clone(), summary: self.summary() })
            } else {
                Poll::Busy
            };
        }
        if self.ops.len() >= self.campaign.limits.max_concurrency.max(1) as usize {
            return Poll::Busy;
        }
        if self.throttled_until > now {
            return Poll::Wait(self.throttled_until);
        }
        let window = self.campaign.limits.request_window_ms;
        while self.requests.front().is_some_and(|&t| t + window <= now) {
            self.requests.pop_front();
        }
        if self.requests.len() >= self.campaign.limits.requests_per_window.max(1) as usize {
            return Poll::Wait(self.requests.front().map_or(now, |&t| t + window));
        }
        match self.folder.clone() {
            Folder::NotNeeded | Folder::Known(_) => {}
            _ if self.folder_busy => return Poll::Busy,
            Folder::Unknown => {
                let filter = format!("displayName eq '{}'", self.campaign.folder_name.replace('\'', "''"));
                let path = format!("{}/mailFolders?$filter={}&$select=id", self.prefix(), encode(&filter));
                self.folder_busy = true;
                return self.issue(now, None, OpKind::FindFolder, Self::graph(Method::Get, path, None), None);
            }
            Folder::Missing => {
                let body =
                    serde_json::json!({ "displayName": self.campaign.folder_name }).to_string().into_bytes();
                let path = format!("{}/mailFolders", self.prefix());
                self.folder_busy = true;
                return self.issue(
                    now,
                    None,
                    OpKind::CreateFolder,
                    Self::graph(Method::Post, path, Some(body)),
                    None,
                );
            }
        }
        while self.cursor < self.rows.len() && self.rows[self.cursor].terminal(self.campaign.mode) {
            self.cursor += 1;
        }
        let mut wait: Option<Millis> = None;
        let earliest = |t: Millis, wait: &mut Option<Millis>| *wait = Some(wait.map_or(t, |w| w.min(t)));
        let mut ahead = 0usize;
        let mut sends_blocked = false;
        let mut i = self.cursor;
        while i < self.rows.len() {
            let row = &self.rows[i];
            if row.terminal(self.campaign.mode) {
                i += 1;
                continue;
            }
            if row.busy {
                ahead += 1;
                i += 1;
                continue;
            }
            if row.not_before > now {
                earliest(row.not_before, &mut wait);
                ahead += 1;
                i += 1;
                continue;
            }
            match row.state.clone() {
                State::Sending(id) => return self.check_draft(now, i, &id),
                State::Creating => return self.find_draft(now, i),
                State::Drafted(id) if !row.attachments_known => return self.list_attachments(now, i, &id),
                State::Drafted(id) if !row.attachments_done() => return self.next_attachment(now, i, &id),
                State::Drafted(id) => {
                    ahead += 1;
                    if !sends_blocked {
                        if self.campaign.schedule.is_some() {
                            return self.send(now, i, &id, None);
                        }
                        match self.pacer.check(now, row.recipients()) {
                            Gate::Go => {
                                let pace = self.pacer.dispatch(now, row.recipients());
                                return self.send(now, i, &id, Some(pace));
                            }
                            Gate::Wait(t) => earliest(t, &mut wait),
                            Gate::Busy => {}
                            Gate::Budget { resume_at } => {
                                self.stop = Some(StopReason::BudgetSpent { resume_at });
                                return self.poll(now);
                            }
                        }
                        sends_blocked = true;
                    } else if ahead >= LOOKAHEAD {
                        // Later rows wait for this one's turn; do not walk them all.
                        break;
                    }
                }
                State::Planned => {
                    if self.campaign.mode == Mode::Send && ahead >= LOOKAHEAD {
                        break;
                    }
                    return self.create_draft(now, i);
                }
                State::Sent | State::Failed(_) => {}
            }
            i += 1;
        }
        if !self.ops.is_empty() {
            return wait.map_or(Poll::Busy, Poll::Wait);
        }
        match wait {
            Some(t) => Poll::Wait(t),
            None => Poll::Done(self.summary()),
        }
    }

    fn create_draft(&mut self, now: Millis, i: usize) -> Poll {
        let row = &self.rows[i];
        let mut message = row.message.to_graph();
        message.internet_message_headers =
            vec![Header { name: CAMPAIGN_HEADER.to_owned(), value: self.campaign.id.0.clone() }];
        message.single_value_extended_properties =
            vec![ExtendedProperty { id: ROW_KEY_PROPERTY.to_owned(), value: self.row_key(row) }];
        if let Some(t) = row.release_at {
            message
                .single_value_extended_properties
                .push(ExtendedProperty { id: DEFERRED_SEND_TIME.to_owned(), value: iso_utc(t) });
        }
        if let Sender::Shared(address) = &self.campaign.sender {
            message.from =
                Some(Recipient { email_address: EmailAddress { address: address.clone(), name: None } });
        }
        let mut json = serde_json::to_vec(&message).unwrap_or_default();
        // Small attachments ride in the draft itself while the request stays under Graph's
        // size limit (base64 adds a third).
        let mut inline = Vec::new();
        let mut size = json.len() as u64;
        for (a, att) in row.message.attachments.iter().enumerate() {
            let bytes = att.size.unwrap_or(u64::MAX);
            let encoded = bytes.saturating_add(2) / 3 * 4 + att.name.len() as u64 + 128;
            if !row.attached[a]
                && bytes < SMALL_ATTACHMENT_BYTES
                && size.saturating_add(encoded) < MAX_REQUEST_BYTES
            {
                size += encoded;
                inline.push(a);
            }
        }
        let mut body = Vec::new();
        if inline.is_empty() {
            body.push(BodyPart::Bytes(json));
        } else {
            json.pop(); // the closing brace
            json.extend_from_slice(b",\"attachments\":[");
            for (k, &a) in inline.iter().enumerate() {
                let name = &row.message.attachments[a].name;
                let head = serde_json::json!({
                    "@odata.type": "#microsoft.graph.fileAttachment",
                    "name": file_name(name),
                    "contentType": "application/octet-stream",
                })
                .to_string();
                if k > 0 {
                    json.push(b',');
                }
                json.extend_from_slice(&head.as_bytes()[..head.len() - 1]);
                json.extend_from_slice(b",\"contentBytes\":\"");
                body.push(BodyPart::Bytes(std::mem::take(&mut json)));
                body.push(BodyPart::Base64File(name.clone()));
                json.extend_from_slice(b"\"}");
            }
            json.extend_from_slice(b"]}");
            body.push(BodyPart::Bytes(json));
        }
        let path = match &self.folder {
            Folder::Known(f) => format!("{}/mailFolders/{}/messages", self.prefix(), encode(f)),
            _ => format!("{}/messages", self.prefix()),
        };
        let mut spec = Self::graph(Method::Post, path, None);
        spec.headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        spec.body = body;
        let intent = Entry::Creating { row: row.message.row, fingerprint: row.fingerprint.clone() };
        // The op remembers the state before (planned): a refused create leaves no draft.
        let poll = self.issue(now, Some(i), OpKind::CreateDraft { inline }, spec, Some(intent));
        self.rows[i].state = State::Creating;
        poll
    }

    fn find_draft(&mut self, now: Millis, i: usize) -> Poll {
        let key = self.row_key(&self.rows[i]);
        let filter = format!(
            "singleValueExtendedProperties/Any(ep: ep/id eq '{ROW_KEY_PROPERTY}' and ep/value eq '{key}')"
        );
        let path = format!("{}/messages?$filter={}&$select=id,isDraft", self.prefix(), encode(&filter));
        self.issue(now, Some(i), OpKind::FindDraft, Self::graph(Method::Get, path, None), None)
    }

    fn check_draft(&mut self, now: Millis, i: usize, id: &str) -> Poll {
        let path = format!("{}/messages/{}?$select=id,isDraft", self.prefix(), encode(id));
        self.issue(now, Some(i), OpKind::CheckDraft, Self::graph(Method::Get, path, None), None)
    }

    fn list_attachments(&mut self, now: Millis, i: usize, id: &str) -> Poll {
        let path = format!("{}/messages/{}/attachments?$select=name,size", self.prefix(), encode(id));
        self.issue(now, Some(i), OpKind::ListAttachments, Self::graph(Method::Get, path, None), None)
    }

    fn next_attachment(&mut self, now: Millis, i: usize, id: &str) -> Poll {
        let row = &self.rows[i];
        if let Some(up) = &row.upload {
            let att = &row.message.attachments[up.index];
            let total = att.size.unwrap_or(0);
            let end = (up.next + UPLOAD_CHUNK_BYTES).min(total);
            let spec = RequestSpec {
                method: Method::Put,
                target: Target::Upload(up.url.clone()),
                headers: vec![
                    ("Content-Type".to_owned(), "application/octet-stream".to_owned()),
                    (
                        "Content-Range".to_owned(),
                        format!("bytes {}-{}/{}", up.next, end.saturating_sub(1), total),
                    ),
                ],
                body: vec![BodyPart::FileRange { name: att.name.clone(), start: up.next, end }],
            };
            return self.issue(now, Some(i), OpKind::UploadChunk { end, total }, spec, None);
        }
        let Some(index) = row.attached.iter().position(|a| !a) else { return Poll::Busy };
        let att = &row.message.attachments[index];
        let size = att.size.unwrap_or(0);
        let base = format!("{}/messages/{}/attachments", self.prefix(), encode(id));
        if size < SMALL_ATTACHMENT_BYTES {
            let head = serde_json::json!({
                "@odata.type": "#microsoft.graph.fileAttachment",
                "name": file_name(&att.name),
                "contentType": "application/octet-stream",
            })
            .to_string();
            let mut spec = Self::graph(Method::Post, base, None);
            spec.headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
            spec.body = vec![
                BodyPart::Bytes(format!("{},\"contentBytes\":\"", &head[..head.len() - 1]).into_bytes()),
                BodyPart::Base64File(att.name.clone()),
                BodyPart::Bytes(b"\"}".to_vec()),
            ];
            self.issue(now, Some(i), OpKind::AddAttachment { index }, spec, None)
        } else {
            let body = serde_json::json!({
                "AttachmentItem": { "attachmentType": "file", "name": file_name(&att.name), "size": size }
            })
            .to_string()
            .into_bytes();
            let spec = Self::graph(Method::Post, format!("{base}/createUploadSession"), Some(body));
            self.issue(now, Some(i), OpKind::CreateUploadSession { index }, spec, None)
        }
    }

    fn send(&mut self, now: Millis, i: usize, id: &str, pace: Option<u64>) -> Poll {
        let path = format!("{}/messages/{}/send", self.prefix(), encode(id));
        let spec = Self::graph(Method::Post, path, None);
        let intent = Entry::Sending { row: self.rows[i].message.row };
        // The op remembers the state before (drafted): a refused send sent nothing.
        let poll = self.issue(now, Some(i), OpKind::Send { pace: pace.unwrap_or(0) }, spec, Some(intent));
        self.rows[i].state = State::Sending(id.to_owned());
        poll
    }

    /// A request's answer (or its failure) at time `now`. Returns the entries to make
    /// durable (they are also the campaign's events).
    pub fn complete(
        &mut self,
        op: OpId,
        result: Result<HttpResponse, TransportError>,
        now: Millis,
    ) -> Vec<Entry> {
        let Some(Op { row, kind, prior }) = self.ops.remove(&op) else { return Vec::new() };
        if let Some(i) = row {
            self.rows[i].busy = false;
        }
        if matches!(kind, OpKind::FindFolder | OpKind::CreateFolder) {
            self.folder_busy = false;
        }
        let pace = match kind {
            OpKind::Send { pace } if self.campaign.schedule.is_none() => Some(pace),
            _ => None,
        };
        match result {
            Ok(r) if (200..300).contains(&r.status) => {
                if let Some(p) = pace {
                    self.pacer.finish(p, now, true);
                }
                self.throttle_streak = 0;
                if let Some(i) = row {
                    self.rows[i].attempts = 0;
                }
                self.succeeded(row, kind, &r, now);
            }
            Ok(r) if r.status == 429 || ((r.status == 503 || r.status == 504) && !kind.has_effect()) => {
                // Refused before taking effect (429), or a read that can simply be repeated.
                if let Some(p) = pace {
                    self.pacer.finish(p, now, false);
                }
                if let (Some(i), Some(prior)) = (row, prior) {
                    self.rows[i].state = prior;
                }
                if r.status == 429 {
                    if matches!(kind, OpKind::Send { .. }) && self.campaign.schedule.is_none() {
                        self.pacer.slow_down(now);
                        self.notices.push(Notice::Pace { per_window: self.pacer.limit() });
                    }
                    self.throttle_streak += 1;
                    let delay = pace::retry_delay(
                        &self.campaign.limits,
                        &mut self.jitter,
                        self.throttle_streak,
                        r.retry_after_ms,
                    );
                    self.throttled_until = self.throttled_until.max(now + delay);
                    self.notices.push(Notice::Throttled { status: r.status, until: self.throttled_until });
                    if self.throttle_streak > self.campaign.limits.max_attempts * 3 {
                        self.stop = Some(StopReason::Unavailable(graph_error(&r)));
                    }
                } else {
                    self.retry(row, &kind, graph_error(&r), r.retry_after_ms, now);
                }
            }
            Ok(r) if r.status == 401 => {
                self.undo(row, prior, pace, now);
                self.stop = Some(StopReason::Unauthorized(graph_error(&r)));
            }
            Ok(r) if r.status == 403 => {
                self.undo(row, prior, pace, now);
                self.stop = Some(StopReason::Forbidden(graph_error(&r)));
            }
            Ok(r) if r.status >= 500 => {
                // The request was written and the service failed: its effect is uncertain.
                if let Some(p) = pace {
                    self.pacer.finish(p, now, true);
                }
                self.uncertain(row, &kind);
                self.retry(row, &kind, graph_error(&r), r.retry_after_ms, now);
            }
            Ok(r) => {
                if let Some(p) = pace {
                    self.pacer.finish(p, now, false);
                }
                self.rejected(row, &kind, prior, &r);
            }
            Err(e) => {
                if let Some(p) = pace {
                    self.pacer.finish(p, now, e.maybe_delivered);
                }
                if e.maybe_delivered {
                    self.uncertain(row, &kind);
                } else if let (Some(i), Some(prior)) = (row, prior) {
                    self.rows[i].state = prior;
                }
                self.retry(row, &kind, e.message, None, now);
            }
        }
        std::mem::take(&mut self.outbox)
    }

    /// Undoes the state change of a request that was refused before taking effect.
    fn undo(&mut self, row: Option<usize>, prior: Option<State>, pace: Option<u64>, now: Millis) {
        if let Some(p) = pace {
            self.pacer.finish(p, now, false);
        }
        if let (Some(i), Some(prior)) = (row, prior) {
            self.rows[i].state = prior;
        }
    }

    /// The request may or may not have taken effect: find out before going on.
    fn uncertain(&mut self, row: Option<usize>, kind: &OpKind) {
        match (row, kind) {
            (Some(i), OpKind::CreateDraft { .. }) => self.rows[i].state = State::Creating,
            (Some(i), OpKind::Send { .. }) => {
                if let State::Drafted(id) | State::Sending(id) = self.rows[i].state.clone() {
                    self.rows[i].state = State::Sending(id);
                }
            }
            (
                Some(i),
                OpKind::AddAttachment { .. }
                | OpKind::UploadChunk { .. }
                | OpKind::CreateUploadSession { .. },
            ) => {
                self.rows[i].attachments_known = false;
                self.rows[i].upload = None;
            }
            (None, OpKind::CreateFolder) => self.folder = Folder::Unknown,
            _ => {}
        }
    }

    fn retry(
        &mut self,
        row: Option<usize>,
        kind: &OpKind,
        reason: String,
        retry_after: Option<u64>,
        now: Millis,
    ) {
        let attempts = match row {
            Some(i) => {
                self.rows[i].attempts += 1;
                self.rows[i].attempts
            }
            None => {
                self.folder_attempts += 1;
                self.folder_attempts
            }
        };
        if attempts > self.campaign.limits.max_attempts {
            self.stop =
                Some(StopReason::Unavailable(format!("{} failed {attempts} times: {reason}", kind.what())));
            return;
        }
        let at = now + pace::retry_delay(&self.campaign.limits, &mut self.jitter, attempts, retry_after);
        match row {
            Some(i) => self.rows[i].not_before = at,
            None => self.throttled_until = self.throttled_until.max(at),
        }
        self.notices.push(Notice::Retrying {
            row: row.map(|i| self.rows[i].message.row),
            reason: format!("{}: {reason}", kind.what()),
            at,
        });
    }

    fn fail(&mut self, i: usize, reason: String) {
        let row = &mut self.rows[i];
        row.state = State::Failed(reason.clone());
        self.outbox.push(Entry::Failed { row: row.message.row, reason });
    }

    fn rejected(&mut self, row: Option<usize>, kind: &OpKind, prior: Option<State>, r: &HttpResponse) {
        let reason = graph_error(r);
        let Some(i) = row else {
            self.stop = Some(StopReason::Forbidden(format!("{}: {reason}", kind.what())));
            return;
        };
        match (kind, prior) {
            (OpKind::CheckDraft, Some(State::Sending(_))) if r.status == 404 => self.fail(
                i,
                format!(
                    "the message disappeared after a send whose outcome is unknown; it may have been delivered \
                     (check Sent Items) ({reason})"
                ),
            ),
            (OpKind::Send { .. } | OpKind::ListAttachments, _) if r.status == 404 => {
                self.fail(i, format!("the draft was deleted in Outlook ({reason})"));
            }
            (OpKind::UploadChunk { .. }, _) if r.status == 404 => {
                // The upload session expired: start the attachment again.
                self.rows[i].upload = None;
                self.rows[i].attachments_known = false;
            }
            _ => self.fail(i, format!("{}: {reason}", kind.what())),
        }
    }

    fn succeeded(&mut self, row: Option<usize>, kind: OpKind, r: &HttpResponse, now: Millis) {
        let Some(i) = row else {
            match kind {
                OpKind::FindFolder => match serde_json::from_slice::<Collection<FolderRef>>(&r.body) {
                    Ok(c) => {
                        self.folder = match c.value.into_iter().next() {
                            Some(f) => {
                                self.outbox.push(Entry::Folder { id: f.id.clone() });
                                Folder::Known(f.id)
                            }
                            None => Folder::Missing,
                        }
                    }
                    Err(e) => {
                        self.stop = Some(StopReason::Unavailable(format!("unreadable folder list: {e}")))
                    }
                },
                OpKind::CreateFolder => match serde_json::from_slice::<FolderRef>(&r.body) {
                    Ok(f) => {
                        self.outbox.push(Entry::Folder { id: f.id.clone() });
                        self.folder = Folder::Known(f.id);
                    }
                    Err(_) => self.folder = Folder::Unknown,
                },
                _ => {}
            }
            return;
        };
        let number = self.rows[i].message.row;
        match kind {
            OpKind::CreateDraft { inline } => match serde_json::from_slice::<MessageRef>(&r.body) {
                Ok(m) => {
                    self.rows[i].state = State::Drafted(m.id.clone());
                    self.outbox.push(Entry::Drafted { row: number, id: m.id });
                    for a in inline {
                        self.rows[i].attached[a] = true;
                        self.outbox.push(Entry::Attached { row: number, index: a });
                    }
                }
                // Created, but the id is unreadable: look it up by its key.
                Err(_) => self.rows[i].state = State::Creating,
            },
            OpKind::FindDraft => match serde_json::from_slice::<Collection<MessageRef>>(&r.body) {
                Ok(c) => {
                    let found = c.value.iter().find(|m| m.is_draft != Some(false)).or(c.value.first());
                    match found {
                        Some(m) if m.is_draft == Some(false) => {
                            self.rows[i].state = State::Sent;
                            let n = self.rows[i].recipients();
                            self.outbox.push(Entry::Drafted { row: number, id: m.id.clone() });
                            self.outbox.push(Entry::Sending { row: number });
                            self.outbox.push(Entry::Sent { row: number, at: now, recipients: n });
                        }
                        Some(m) => {
                            self.rows[i].state = State::Drafted(m.id.clone());
                            self.rows[i].attachments_known = self.rows[i].attached.is_empty();
                            self.outbox.push(Entry::Drafted { row: number, id: m.id.clone() });
                        }
                        None => self.rows[i].state = State::Planned,
                    }
                }
                Err(e) => {
                    self.retry(Some(i), &OpKind::FindDraft, format!("unreadable answer: {e}"), None, now)
                }
            },
            OpKind::ListAttachments => match serde_json::from_slice::<Collection<AttachmentRef>>(&r.body) {
                Ok(c) => {
                    let row = &mut self.rows[i];
                    for (a, att) in row.message.attachments.iter().enumerate() {
                        let present = c.value.iter().any(|x| x.name == file_name(&att.name));
                        if present && !row.attached[a] {
                            row.attached[a] = true;
                            self.outbox.push(Entry::Attached { row: number, index: a });
                        }
                    }
                    row.attachments_known = true;
                }
                Err(e) => self.retry(
                    Some(i),
                    &OpKind::ListAttachments,
                    format!("unreadable answer: {e}"),
                    None,
                    now,
                ),
            },
            OpKind::AddAttachment { index } => {
                self.rows[i].attached[index] = true;
                self.outbox.push(Entry::Attached { row: number, index });
            }
            OpKind::CreateUploadSession { index } => match serde_json::from_slice::<UploadSession>(&r.body) {
                Ok(s) => self.rows[i].upload = Some(Upload { index, url: s.upload_url, next: 0 }),
                Err(e) => self.fail(i, format!("unreadable upload session: {e}")),
            },
            OpKind::UploadChunk { end, total } => {
                let row = &mut self.rows[i];
                if let Some(up) = row.upload.as_mut() {
                    if end >= total || r.status == 201 {
                        let index = up.index;
                        row.upload = None;
                        row.attached[index] = true;
                        self.outbox.push(Entry::Attached { row: number, index });
                    } else {
                        up.next = end;
                    }
                }
            }
            OpKind::CheckDraft => match serde_json::from_slice::<MessageRef>(&r.body) {
                Ok(m) if m.is_draft == Some(false) => {
                    self.rows[i].state = State::Sent;
                    let n = self.rows[i].recipients();
                    self.outbox.push(Entry::Sent { row: number, at: now, recipients: n });
                }
                Ok(m) => self.rows[i].state = State::Drafted(m.id),
                Err(e) => {
                    self.retry(Some(i), &OpKind::CheckDraft, format!("unreadable answer: {e}"), None, now)
                }
            },
            OpKind::Send { .. } => {
                self.rows[i].state = State::Sent;
                let n = self.rows[i].recipients();
                self.outbox.push(Entry::Sent { row: number, at: now, recipients: n });
            }
            OpKind::FindFolder | OpKind::CreateFolder => {}
        }
    }

    /// A file an attachment needs could not be read at send time: the row fails (its draft,
    /// if any, stays in Drafts for the user).
    pub fn abandon(&mut self, op: OpId, reason: String) -> Vec<Entry> {
        if let Some(Op { row: Some(i), .. }) = self.ops.remove(&op) {
            self.rows[i].busy = false;
            self.fail(i, reason);
        }
        std::mem::take(&mut self.outbox)
    }
}

/// The name Graph gets for a file named in the sheet: its last path component.
fn file_name(name: &str) -> String {
    name.rsplit(['/', '\\']).next().unwrap_or(name).to_owned()
}
