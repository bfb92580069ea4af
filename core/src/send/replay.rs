//! Resuming: the journal of earlier runs replayed onto the rows, checked for order, for
//! the campaign and mailbox, and for rows that changed.

use super::*;

impl Engine {
    pub(super) fn replay(&mut self, journal: &[Entry]) -> Result<(), EngineError> {
        let sender = self.campaign.sender.journal_name();
        let shown = |s: &Option<String>| s.clone().unwrap_or_else(|| "the signed-in mailbox".to_owned());
        match journal.first() {
            None => {
                self.outbox.push(Entry::Campaign { id: self.campaign.id.0.clone(), sender });
                // The rows left out, once, for the report.
                for (row, reason) in &self.campaign.skipped {
                    self.outbox.push(Entry::Skipped { row: *row, reason: reason.clone() });
                }
            }
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
                if self.folder != DraftsFolder::NotNeeded {
                    self.folder = DraftsFolder::Known(id.clone());
                }
                continue;
            }
            let Some(number) = entry.row() else { return Err(bad()) };
            let Some(&i) = self.by_number.get(&number) else {
                match entry {
                    // Rows that ended are history; rows in progress need their message.
                    // Its recipients' domains are not known any more: count them all as external.
                    Entry::Sent { at, recipients, .. } => {
                        self.pacer.remember(*at, Cost { recipients: *recipients, external: *recipients })
                    }
                    Entry::Failed { .. } | Entry::Skipped { .. } | Entry::Tracked { .. } => {}
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
                    self.pacer.remember(*at, Cost { recipients: *recipients, external: row.cost.external });
                }
                Entry::Failed { reason, .. } => row.state = State::Failed(reason.clone()),
                // Left out then, sent now: the user fixed the row and it is in this campaign.
                Entry::Skipped { .. } => {}
                // What came back after the send: history for `track` and the report.
                Entry::Tracked { .. } => {}
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
}
