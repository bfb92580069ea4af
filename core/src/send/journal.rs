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
#[serde(tag = "event", rename_all = "kebab-case")]
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
    },
    /// The row's draft exists.
    Drafted {
        /// The spreadsheet row.
        row: u32,
        /// The draft's immutable id.
        id: String,
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
}

impl Entry {
    /// The row the entry is about, if any.
    pub fn row(&self) -> Option<u32> {
        match self {
            Entry::Campaign { .. } | Entry::Folder { .. } => None,
            Entry::Creating { row, .. }
            | Entry::Drafted { row, .. }
            | Entry::Attached { row, .. }
            | Entry::Sending { row }
            | Entry::Sent { row, .. }
            | Entry::Failed { row, .. } => Some(*row),
        }
    }
}
