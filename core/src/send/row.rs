//! A row of the campaign: its message, where it stands, its attachments, its retries.

use super::pace::Cost;
use super::{Millis, Mode};
use crate::merge::Message;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum State {
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
pub(super) struct Upload {
    pub(super) index: usize,
    pub(super) url: String,
    pub(super) next: u64,
}

#[derive(Debug, Clone)]
pub(super) struct RowProgress {
    pub(super) message: Message,
    pub(super) fingerprint: String,
    pub(super) state: State,
    /// Per attachment: complete on the draft.
    pub(super) attached: Vec<bool>,
    /// Whether `attached` is certain (false after a resume or an uncertain upload).
    pub(super) attachments_known: bool,
    pub(super) upload: Option<Upload>,
    /// What sending it spends of the rolling budgets.
    pub(super) cost: Cost,
    pub(super) not_before: Millis,
    pub(super) attempts: u32,
    pub(super) busy: bool,
    pub(super) release_at: Option<Millis>,
}

impl RowProgress {
    pub(super) fn attachments_done(&self) -> bool {
        self.attached.iter().all(|a| *a)
    }

    pub(super) fn terminal(&self, mode: Mode) -> bool {
        match &self.state {
            State::Sent | State::Failed(_) => true,
            State::Drafted(_) => {
                mode == Mode::DraftsOnly && self.attachments_done() && self.attachments_known
            }
            _ => false,
        }
    }
}

/// A stable fingerprint of what a message says (FNV-1a: no crate needed for 64 bits that
/// only detect an edited row).
pub(super) fn fingerprint(m: &Message) -> String {
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
