//! `localmerge track`: what came back after a campaign — replies, non-delivery reports,
//! unsubscribe requests — read from the sending mailbox's own Inbox and written to the
//! campaign's journal (the report shows it), unsubscribers added to the do-not-contact list.
//! The matching is core's (`localmerge_core::track`), the reading graph-client's; nothing
//! read is kept but each row's new state, and nothing goes anywhere but Graph.

use std::io::Write as _;
use std::path::Path;

use localmerge_core::send::{Entry, Response};
use localmerge_core::track::Tracker;
use serde::Serialize;

use crate::source::GraphArgs;
use crate::suppress::ListArgs;

/// What one check found, as the JSON line on stdout.
#[derive(Serialize)]
struct Checked<'a> {
    campaign: &'a str,
    sent: usize,
    replied: usize,
    bounced: usize,
    unsubscribed: usize,
    /// Addresses newly on the do-not-contact list.
    listed: usize,
}

/// `localmerge track --journal FILE`.
pub fn run(journal: &Path, graph: &GraphArgs, list: &ListArgs) -> anyhow::Result<u8> {
    let entries = crate::send::read_journal(journal)?;
    let mut tracker = Tracker::new(&entries).map_err(|e| anyhow::anyhow!("{}: {e}", journal.display()))?;
    let found = crate::source::with_graph(graph, async |client| Ok(client.track(&mut tracker).await?))?;
    // The journal first: a check that stops after it is found again the next time, never lost.
    let new: Vec<Entry> = found.iter().map(|f| f.entry.clone()).collect();
    if !new.is_empty() {
        crate::send::append_journal(journal, &new)?;
    }
    let unsubscribers = found
        .iter()
        .filter_map(|f| f.suppress.as_deref())
        .filter_map(localmerge_core::suppress::Entry::parse);
    let (list_path, listed) = crate::suppress::add(list, unsubscribers)?;
    let count = |r: Response| {
        new.iter().filter(|e| matches!(e, Entry::Tracked { status, .. } if *status == r)).count()
    };
    let checked = Checked {
        campaign: tracker.campaign(),
        sent: tracker.sent(),
        replied: count(Response::Replied),
        bounced: count(Response::Bounced),
        unsubscribed: count(Response::Unsubscribed),
        listed,
    };
    println!("{}", serde_json::to_string(&checked)?);
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "{}: {} sent; new since the last check: {} replied, {} bounced, {} unsubscribed",
        journal.display(),
        checked.sent,
        checked.replied,
        checked.bounced,
        checked.unsubscribed
    )?;
    if listed > 0 {
        writeln!(err, "{}: {listed} added to the do-not-contact list", list_path.display())?;
    }
    Ok(crate::OK)
}
