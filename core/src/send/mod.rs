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
mod outcome;
mod pace;
mod replay;
mod requests;
mod row;
mod settings;
mod status;

use std::collections::HashMap;

pub use crate::calendar::iso_utc;
pub use drive::{Clock, DriveError, Event, Files, Finish, JournalStore, Observer, Transport, drive};
pub use http::{
    BodyPart, HttpRequest, HttpResponse, Method, RequestSpec, Target, TransportError, parse_retry_after,
};
pub use journal::{
    Entry, Followups, Journal, JournalError, JournalRow, Response, RowStatus, followups, journal_rows,
    read_lines,
};
pub use pace::Limits;
pub use settings::*;
pub use status::*;

use outcome::OpKind;
pub(crate) use requests::encode;
use requests::file_name;
use row::{RowProgress, State, Upload, fingerprint};

use crate::merge::Message;
use pace::{Cost, Gate, Jitter, Pacer};

/// Milliseconds since the Unix epoch (UTC): the only form in which time enters the engine.
pub type Millis = u64;

#[derive(Debug, Clone)]
struct Op {
    row: Option<usize>,
    kind: OpKind,
    prior: Option<State>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DraftsFolder {
    NotNeeded,
    Unknown,
    Missing,
    Known(String),
}

/// What each message spends of the rolling budgets.
fn costs(messages: &[Message], domains: &[String]) -> Vec<Cost> {
    messages
        .iter()
        .map(|m| Cost {
            recipients: (m.to.len() + m.cc.len() + m.bcc.len()) as u32,
            external: crate::budget::external_recipients(m, domains),
        })
        .collect()
}

/// When a campaign scheduled from `start` releases each message: at the pace, and within
/// the mailbox's and the tenant's rolling budgets (over several days if needed).
pub fn release_plan(limits: &Limits, start: Millis, messages: &[Message], domains: &[String]) -> Vec<Millis> {
    pace::release_times(limits, start, &costs(messages, domains))
}

/// The campaign's state machine.
#[derive(Debug)]
pub struct Engine {
    campaign: CampaignSettings,
    rows: Vec<RowProgress>,
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
    folder: DraftsFolder,
    folder_busy: bool,
    folder_attempts: u32,
    stop: Option<StopReason>,
    cursor: usize,
}

impl Engine {
    /// Makes the engine for `messages` (a checked plan's messages, in sheet order),
    /// resuming from `journal` (the entries of earlier runs, in order; empty for a new
    /// campaign).
    pub fn new(
        campaign: CampaignSettings,
        messages: Vec<Message>,
        journal: &[Entry],
    ) -> Result<Engine, EngineError> {
        let mut rows = Vec::with_capacity(messages.len());
        let mut by_number = HashMap::with_capacity(messages.len());
        let costs = costs(&messages, &campaign.internal_domains);
        let schedule = campaign.schedule.map(|start| pace::release_times(&campaign.limits, start, &costs));
        for (i, message) in messages.into_iter().enumerate() {
            if let Some(a) = message.attachments.iter().find(|a| a.size.is_none()) {
                return Err(EngineError::UncheckedAttachment { row: message.row, name: a.name.clone() });
            }
            by_number.insert(message.row, rows.len());
            rows.push(RowProgress {
                fingerprint: fingerprint(&message),
                attached: vec![false; message.attachments.len()],
                message,
                state: State::Planned,
                attachments_known: true,
                upload: None,
                cost: costs[i],
                not_before: 0,
                attempts: 0,
                busy: false,
                release_at: schedule.as_ref().and_then(|s| s.get(i).copied()),
            });
        }
        let mut engine = Engine {
            pacer: Pacer::new(campaign.limits),
            jitter: Jitter::new(campaign.seed),
            folder: if campaign.mode == Mode::DraftsOnly {
                DraftsFolder::Unknown
            } else {
                DraftsFolder::NotNeeded
            },
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

    /// The campaign's settings.
    pub fn campaign(&self) -> &CampaignSettings {
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

    /// Every row of the campaign and where it stands, in the sheet's order.
    pub fn report(&self) -> Vec<RowReport> {
        // Every row of a grouped message stands where the message does.
        self.rows
            .iter()
            .flat_map(|row| {
                let outcome = match &row.state {
                    State::Sent => RowOutcome::Sent,
                    State::Failed(reason) => RowOutcome::Failed(reason.clone()),
                    State::Drafted(_) if row.attachments_done() => RowOutcome::Drafted,
                    _ => RowOutcome::Pending,
                };
                let rows = if row.message.rows.is_empty() {
                    std::slice::from_ref(&row.message.row)
                } else {
                    &row.message.rows[..]
                };
                rows.iter().map(move |r| RowReport { row: *r, outcome: outcome.clone() })
            })
            .collect()
    }

    /// Notices since the last call (throttling, retries).
    pub fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// Requests in flight.
    pub fn in_flight(&self) -> usize {
        self.ops.len()
    }

    fn start_op(
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
            DraftsFolder::NotNeeded | DraftsFolder::Known(_) => {}
            _ if self.folder_busy => return Poll::Busy,
            DraftsFolder::Unknown => {
                let filter = format!("displayName eq '{}'", self.campaign.folder_name.replace('\'', "''"));
                let path = format!("{}/mailFolders?$filter={}&$select=id", self.prefix(), encode(&filter));
                self.folder_busy = true;
                return self.start_op(
                    now,
                    None,
                    OpKind::FindFolder,
                    Self::graph(Method::Get, path, None),
                    None,
                );
            }
            DraftsFolder::Missing => {
                let body =
                    serde_json::json!({ "displayName": self.campaign.folder_name }).to_string().into_bytes();
                let path = format!("{}/mailFolders", self.prefix());
                self.folder_busy = true;
                return self.start_op(
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
                        match self.pacer.check(now, row.cost) {
                            Gate::Go => {
                                let pace = self.pacer.dispatch(now, row.cost);
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
}
