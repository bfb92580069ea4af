//! A campaign's settings: its id, mailbox, mode, limits, and why an engine cannot be made.

use std::fmt;

use super::pace::Limits;
use super::{Millis, encode};

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
pub(super) const MAX_REQUEST_BYTES: u64 = 4 * 1024 * 1024 - 64 * 1024;
/// Drafts created ahead of sending, so a pause or crash leaves few unsent drafts.
pub(super) const LOOKAHEAD: usize = 4;

/// A campaign id: 1 to 64 characters among letters, digits, `-`, `_` and `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CampaignId(pub(super) String);

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
    /// The mailbox's path in Graph (`/me` or `/users/{address}`).
    pub fn prefix(&self) -> String {
        match self {
            Sender::Me => "/me".to_owned(),
            Sender::Shared(address) => format!("/users/{}", encode(address)),
        }
    }

    pub(super) fn journal_name(&self) -> Option<String> {
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
pub struct CampaignSettings {
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
    /// The tenant's domains, lower case: recipients elsewhere count against the tenant's
    /// external budget (`Limits::external_per_window`); with none known, every one does.
    pub internal_domains: Vec<String>,
    /// The rows left out of the campaign and why (problems, exclusions, the do-not-contact
    /// list): journalled once when it begins, so its report names them.
    pub skipped: Vec<(u32, String)>,
    /// Follow-ups: rows whose message is a reply in an earlier message's conversation, with
    /// that message's id (its draft is made by `createReply` on it). Empty for a campaign.
    pub replies: std::collections::BTreeMap<u32, String>,
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
