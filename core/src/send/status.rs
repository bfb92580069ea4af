//! What the engine says: the next request, a wait, the end, a stop and its reason, where
//! the campaign stands, notices.

use std::fmt;

use super::{Entry, Millis, RequestSpec};

/// Identifies a request in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpId(pub(super) u64);

/// A request to perform: write `journal` first, then send `spec`.
#[derive(Debug, Clone)]
pub struct Request {
    /// The request's id, for [`Engine::complete`](super::Engine::complete).
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
    /// Exchange refused the send: the mailbox's sending quota is spent (a limit lower than
    /// the campaign's, set by the tenant's admin, or mail sent outside the campaign).
    QuotaExceeded {
        /// What Graph said.
        message: String,
        /// When the quota's window lets the next message through.
        resume_at: Millis,
    },
}

impl StopReason {
    /// The stop's kind as a fixed word, without what Graph said: `budget`, `unauthorized`,
    /// `forbidden`, `unavailable` or `quota` (the add-in's usage counts use it, since the
    /// reason's text may quote a mailbox).
    pub fn code(&self) -> &'static str {
        match self {
            StopReason::BudgetSpent { .. } => "budget",
            StopReason::Unauthorized(_) => "unauthorized",
            StopReason::Forbidden(_) => "forbidden",
            StopReason::Unavailable(_) => "unavailable",
            StopReason::QuotaExceeded { .. } => "quota",
        }
    }

    /// When the campaign can resume, if the stop says (a spent budget or quota).
    pub fn resume_at(&self) -> Option<Millis> {
        match self {
            StopReason::BudgetSpent { resume_at } | StopReason::QuotaExceeded { resume_at, .. } => {
                Some(*resume_at)
            }
            _ => None,
        }
    }
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
            StopReason::QuotaExceeded { message, .. } => {
                write!(f, "Exchange refused more messages: the mailbox's sending quota is spent ({message})")
            }
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

/// Where one row of a campaign stands, for a report (the front doors' own events and
/// reports are built from this, never from journal records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// Not sent yet (nothing done, or a draft being made or sent).
    Pending,
    /// Its draft is complete and not sent (drafts-only mode, or not yet).
    Drafted,
    /// Sent.
    Sent,
    /// Will not be sent, and why.
    Failed(String),
}

/// One row of the sheet and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowReport {
    /// The spreadsheet row.
    pub row: u32,
    /// Where it stands.
    pub outcome: RowOutcome,
}

/// A step a row took, as a journal entry announces it (for progress events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStep {
    /// Its draft is being made (created, or an attachment uploaded).
    Drafting,
    /// Its draft exists.
    Drafted,
    /// Its draft is being sent.
    Sending,
    /// It was sent.
    Sent,
    /// It will not be sent.
    Failed,
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
