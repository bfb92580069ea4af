//! Reading what came back after a campaign from the sending mailbox's Inbox (`track`):
//! every page since the first send, and the body of each non-delivery report. What
//! matches a message to a row is core's (`localmerge_core::track`); this is only the loop
//! that fetches, and nothing read leaves the caller but the rows' new states.

use localmerge_core::send::{HttpRequest, Method, Target, Transport};
use localmerge_core::track::{BodyOnly, Found, InboxMessage, Tracker};

use crate::{GraphClient, Hints, ListError, TokenSource};

/// The most Inbox messages one check reads: a bound on what pages can make us hold.
pub const MAX_INBOX: usize = 100_000;

const INBOX_HINTS: Hints = Hints {
    what: "the Inbox",
    forbidden: " — reading the Inbox needs Mail.Read (Mail.Read.Shared for a shared mailbox's)",
    not_found: " — no such mailbox",
    too_many: "check sooner after the campaign",
};

impl<T: TokenSource> GraphClient<T> {
    /// What the Inbox holds for the campaign `tracker` knows, oldest first: the journal
    /// entries to append and the addresses to add to the do-not-contact list.
    pub async fn track(&self, tracker: &mut Tracker) -> Result<Vec<Found>, ListError> {
        let mut messages: Vec<InboxMessage> = Vec::new();
        self.all_pages(tracker.inbox_path(), &INBOX_HINTS, MAX_INBOX, |m| messages.push(m)).await?;
        let mut found = Vec::new();
        for m in &messages {
            // A report whose body cannot be read fails the check: a bounce left unseen could
            // be followed up.
            let body =
                if tracker.needs_body(m) { Some(self.body(&tracker.body_path(m)).await?) } else { None };
            if let Some(f) = tracker.observe(m, body.as_deref()) {
                found.push(f);
            }
        }
        Ok(found)
    }

    /// A report's body.
    async fn body(&self, path: &str) -> Result<String, ListError> {
        let request = HttpRequest {
            method: Method::Get,
            target: Target::Graph(path.to_owned()),
            headers: Vec::new(),
            body: Vec::new(),
        };
        let answer = self.execute(request).await.map_err(|e| ListError::Unreachable(e.message))?;
        if answer.status != 200 {
            let message = crate::graph_message(&answer.body);
            let hint = crate::hint(answer.status, INBOX_HINTS.forbidden, INBOX_HINTS.not_found);
            return Err(ListError::Refused {
                what: "a non-delivery report",
                status: answer.status,
                message,
                hint,
            });
        }
        serde_json::from_slice::<BodyOnly>(&answer.body)
            .map(|b| b.body.content)
            .map_err(|e| ListError::Malformed(e.to_string()))
    }
}
