//! What an answer means, and what the engine does with it.

use super::*;
use crate::graph::{AttachmentRef, Collection, ErrorBody, FolderRef, MessageRef, UploadSession};

#[derive(Debug, Clone)]
pub(super) enum OpKind {
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
    pub(super) fn has_effect(&self) -> bool {
        !matches!(self, OpKind::FindFolder | OpKind::FindDraft | OpKind::ListAttachments | OpKind::CheckDraft)
    }

    pub(super) fn what(&self) -> &'static str {
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

/// An answer to a request, as far as its meaning goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    /// Graph answered with this status.
    Status(u16),
    /// Exchange's refusal of a send for a spent quota (`ErrorSubmissionQuotaExceeded`),
    /// whatever the status: nothing was sent, and nothing will be until the window drains.
    QuotaExceeded,
    /// No answer: the connection failed, before the request was written
    /// (`maybe_delivered: false`) or after (a timeout, a dropped connection).
    Failed {
        /// Whether the request may have reached the service.
        maybe_delivered: bool,
    },
}

/// What an answer means for the request that got it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// 2xx: it took effect.
    Done,
    /// 429: refused before taking effect; the mailbox waits as told, then tries again.
    Throttled,
    /// It surely took no effect and can simply be tried again: a read's 503 or 504, or a
    /// connection that failed before the request was written.
    Repeat,
    /// 401: the token is refused; the campaign stops (sign in again).
    Unauthorized,
    /// 403: the mailbox is refused; the campaign stops.
    Forbidden,
    /// It may have taken effect (a 5xx after the request was written, a timeout or a
    /// dropped connection): what happened is checked before anything is repeated.
    Uncertain,
    /// The mailbox's sending quota is spent: the campaign stops until it drains, and says
    /// when (never a retry storm).
    QuotaSpent,
    /// Another answer (400, 404, 409, 413…): refused for this row, which fails (or, for a
    /// few known cases, is looked at again).
    Rejected,
}

impl Outcome {
    /// Whether the request may have had its effect (a send may have used the budget).
    pub(super) fn may_have_taken_effect(self) -> bool {
        matches!(self, Outcome::Done | Outcome::Uncertain)
    }
}

/// The one classification of answers: `(operation, answer) → outcome`, a pure function
/// tested case by case.
pub(super) fn classify(kind: &OpKind, answer: Answer) -> Outcome {
    match answer {
        Answer::Status(200..=299) => Outcome::Done,
        Answer::QuotaExceeded => Outcome::QuotaSpent,
        Answer::Status(429) => Outcome::Throttled,
        Answer::Status(503 | 504) if !kind.has_effect() => Outcome::Repeat,
        Answer::Status(401) => Outcome::Unauthorized,
        Answer::Status(403) => Outcome::Forbidden,
        Answer::Status(500..) => Outcome::Uncertain,
        Answer::Status(_) => Outcome::Rejected,
        Answer::Failed { maybe_delivered: true } => Outcome::Uncertain,
        Answer::Failed { maybe_delivered: false } => Outcome::Repeat,
    }
}

/// Graph's error codes for a spent sending quota.
const QUOTA_CODES: &[&str] = &["ErrorSubmissionQuotaExceeded", "ErrorExceededMessageLimit"];

/// The answer as the classification sees it: its status, unless its error code says the
/// sending quota is spent.
fn answer_of(r: &HttpResponse) -> Answer {
    if !(200..300).contains(&r.status)
        && let Ok(e) = serde_json::from_slice::<ErrorBody>(&r.body)
        && QUOTA_CODES.contains(&e.error.code.as_str())
    {
        return Answer::QuotaExceeded;
    }
    Answer::Status(r.status)
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
        let answer = match &result {
            Ok(r) => answer_of(r),
            Err(e) => Answer::Failed { maybe_delivered: e.maybe_delivered },
        };
        let (reason, retry_after) = match &result {
            Ok(r) => (graph_error(r), r.retry_after_ms),
            Err(e) => (e.message.clone(), None),
        };
        let outcome = classify(&kind, answer);
        if let Some(p) = pace {
            self.pacer.finish(p, now, outcome.may_have_taken_effect());
        }
        match outcome {
            Outcome::Done => {
                self.throttle_streak = 0;
                if let Some(i) = row {
                    self.rows[i].attempts = 0;
                }
                if let Ok(r) = &result {
                    self.succeeded(row, kind, r, now);
                }
            }
            Outcome::Throttled => {
                self.restore(row, prior);
                if matches!(kind, OpKind::Send { .. }) && self.campaign.schedule.is_none() {
                    self.pacer.slow_down(now);
                    self.notices.push(Notice::Pace { per_window: self.pacer.limit() });
                }
                self.throttle_streak += 1;
                let delay = pace::retry_delay(
                    &self.campaign.limits,
                    &mut self.jitter,
                    self.throttle_streak,
                    retry_after,
                );
                self.throttled_until = self.throttled_until.max(now + delay);
                self.notices.push(Notice::Throttled { status: 429, until: self.throttled_until });
                if self.throttle_streak > self.campaign.limits.max_attempts * 3 {
                    self.stop = Some(StopReason::Unavailable(reason));
                }
            }
            Outcome::Repeat => {
                self.restore(row, prior);
                self.retry(row, &kind, reason, retry_after, now);
            }
            Outcome::Unauthorized => {
                self.restore(row, prior);
                self.stop = Some(StopReason::Unauthorized(reason));
            }
            Outcome::Forbidden => {
                self.restore(row, prior);
                self.stop = Some(StopReason::Forbidden(reason));
            }
            Outcome::Uncertain => {
                self.uncertain(row, &kind);
                self.retry(row, &kind, reason, retry_after, now);
            }
            Outcome::QuotaSpent => {
                self.restore(row, prior);
                let wait = retry_after.unwrap_or(self.campaign.limits.recipient_window_ms);
                self.stop = Some(StopReason::QuotaExceeded { message: reason, resume_at: now + wait });
            }
            Outcome::Rejected => {
                if let Ok(r) = &result {
                    self.rejected(row, &kind, prior, r);
                }
            }
        }
        std::mem::take(&mut self.outbox)
    }

    /// Puts a row back where it was before a request that surely took no effect.
    fn restore(&mut self, row: Option<usize>, prior: Option<State>) {
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
            (None, OpKind::CreateFolder) => self.folder = DraftsFolder::Unknown,
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
                                DraftsFolder::Known(f.id)
                            }
                            None => DraftsFolder::Missing,
                        }
                    }
                    Err(e) => {
                        self.stop = Some(StopReason::Unavailable(format!("unreadable folder list: {e}")))
                    }
                },
                OpKind::CreateFolder => match serde_json::from_slice::<FolderRef>(&r.body) {
                    Ok(f) => {
                        self.outbox.push(Entry::Folder { id: f.id.clone() });
                        self.folder = DraftsFolder::Known(f.id);
                    }
                    Err(_) => self.folder = DraftsFolder::Unknown,
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
                    self.outbox.push(Entry::drafted(number, m));
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
                            let n = self.rows[i].cost.recipients;
                            self.outbox.push(Entry::drafted(number, m.clone()));
                            self.outbox.push(Entry::Sending { row: number });
                            self.outbox.push(Entry::Sent { row: number, at: now, recipients: n });
                        }
                        Some(m) => {
                            self.rows[i].state = State::Drafted(m.id.clone());
                            self.rows[i].attachments_known = self.rows[i].attached.is_empty();
                            self.outbox.push(Entry::drafted(number, m.clone()));
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
                    let n = self.rows[i].cost.recipients;
                    self.outbox.push(Entry::Sent { row: number, at: now, recipients: n });
                }
                Ok(m) => self.rows[i].state = State::Drafted(m.id),
                Err(e) => {
                    self.retry(Some(i), &OpKind::CheckDraft, format!("unreadable answer: {e}"), None, now)
                }
            },
            OpKind::Send { .. } => {
                self.rows[i].state = State::Sent;
                let n = self.rows[i].cost.recipients;
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

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: &[(&str, bool)] = &[
        ("find folder", false),
        ("create folder", true),
        ("find draft", false),
        ("create draft", true),
        ("list attachments", false),
        ("add attachment", true),
        ("create upload session", true),
        ("upload chunk", true),
        ("check draft", false),
        ("send", true),
    ];

    fn kind(name: &str) -> OpKind {
        match name {
            "find folder" => OpKind::FindFolder,
            "create folder" => OpKind::CreateFolder,
            "find draft" => OpKind::FindDraft,
            "create draft" => OpKind::CreateDraft { inline: vec![0] },
            "list attachments" => OpKind::ListAttachments,
            "add attachment" => OpKind::AddAttachment { index: 0 },
            "create upload session" => OpKind::CreateUploadSession { index: 0 },
            "upload chunk" => OpKind::UploadChunk { end: 10, total: 20 },
            "check draft" => OpKind::CheckDraft,
            _ => OpKind::Send { pace: 0 },
        }
    }

    use Outcome::*;

    /// One line per answer: what it means for a read (no effect) and for a request with an
    /// effect (creating, attaching, uploading, sending).
    const TABLE: &[(&str, Answer, Outcome, Outcome)] = &[
        ("200", Answer::Status(200), Done, Done),
        ("201", Answer::Status(201), Done, Done),
        ("202", Answer::Status(202), Done, Done),
        ("204", Answer::Status(204), Done, Done),
        ("400", Answer::Status(400), Rejected, Rejected),
        ("401", Answer::Status(401), Unauthorized, Unauthorized),
        ("403", Answer::Status(403), Forbidden, Forbidden),
        ("404", Answer::Status(404), Rejected, Rejected),
        ("409", Answer::Status(409), Rejected, Rejected),
        ("413", Answer::Status(413), Rejected, Rejected),
        ("429", Answer::Status(429), Throttled, Throttled),
        ("500", Answer::Status(500), Uncertain, Uncertain),
        ("502", Answer::Status(502), Uncertain, Uncertain),
        ("503", Answer::Status(503), Repeat, Uncertain),
        ("504", Answer::Status(504), Repeat, Uncertain),
        ("timeout", Answer::Failed { maybe_delivered: true }, Uncertain, Uncertain),
        ("dropped connection", Answer::Failed { maybe_delivered: true }, Uncertain, Uncertain),
        ("connection refused", Answer::Failed { maybe_delivered: false }, Repeat, Repeat),
        ("quota spent", Answer::QuotaExceeded, QuotaSpent, QuotaSpent),
    ];

    #[test]
    fn every_operation_and_answer_has_one_outcome() {
        for (name, effect) in KINDS {
            let k = kind(name);
            assert_eq!(k.has_effect(), *effect, "{name}");
            for (answer_name, answer, read, effectful) in TABLE {
                let expected = if *effect { *effectful } else { *read };
                assert_eq!(classify(&k, *answer), expected, "{name} answered {answer_name}");
            }
        }
    }

    #[test]
    fn a_quota_refusal_is_known_by_its_code_whatever_the_status() {
        let refusal = |status: u16, code: &str| HttpResponse {
            status,
            retry_after_ms: None,
            body: format!(r#"{{"error":{{"code":"{code}","message":"no"}}}}"#).into_bytes(),
        };
        for status in [429, 403, 400, 503] {
            assert_eq!(answer_of(&refusal(status, "ErrorSubmissionQuotaExceeded")), Answer::QuotaExceeded);
        }
        assert_eq!(answer_of(&refusal(429, "ApplicationThrottled")), Answer::Status(429));
        assert_eq!(answer_of(&refusal(202, "ErrorSubmissionQuotaExceeded")), Answer::Status(202));
    }

    #[test]
    fn only_answers_that_may_have_had_their_effect_count_against_the_budget() {
        for outcome in [Done, Uncertain] {
            assert!(outcome.may_have_taken_effect(), "{outcome:?}");
        }
        for outcome in [Throttled, Repeat, Unauthorized, Forbidden, Rejected, QuotaSpent] {
            assert!(!outcome.may_have_taken_effect(), "{outcome:?}");
        }
    }
}
