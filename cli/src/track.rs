//! `localmerge track`: what came back after a campaign — replies, non-delivery reports,
//! unsubscribe requests — read from the sending mailbox's own Inbox and written to the
//! campaign's journal (the report shows it), unsubscribers added to the do-not-contact list.
//! The matching is core's (`localmerge_core::track`), the reading graph-client's; nothing
//! read is kept but each row's new state, and nothing goes anywhere but Graph.

use std::io::Write as _;
use std::path::Path;

use localmerge_core::send::Entry;
use localmerge_core::track::{Tally, Tracker};
use serde::Serialize;

use crate::source::GraphArgs;
use crate::suppress::ListArgs;

/// What one check found, as the JSON line on stdout.
#[derive(Serialize)]
pub struct Checked {
    campaign: String,
    sent: usize,
    #[serde(flatten)]
    tally: Tally,
    /// Addresses newly on the do-not-contact list.
    listed: usize,
    #[serde(skip)]
    list: std::path::PathBuf,
    /// The journal as it now stands, what was found appended.
    #[serde(skip)]
    pub entries: Vec<Entry>,
}

/// `localmerge track --journal FILE`: the check, a JSON line on stdout and a sentence on stderr.
pub fn run(journal: &Path, graph: &GraphArgs, list: &ListArgs) -> anyhow::Result<u8> {
    let checked = check(journal, graph, list)?;
    println!("{}", serde_json::to_string(&checked)?);
    say(journal, &checked)?;
    Ok(crate::OK)
}

/// Reads what came back for the campaign of `journal` into it, and those who unsubscribed
/// into the list.
pub fn check(journal: &Path, graph: &GraphArgs, list: &ListArgs) -> anyhow::Result<Checked> {
    let mut entries = crate::send::read_journal(journal)?;
    let mut tracker = Tracker::new(&entries).map_err(|e| anyhow::anyhow!("{}: {e}", journal.display()))?;
    let found = crate::source::with_graph(graph, async |client| Ok(client.track(&mut tracker).await?))?;
    // The journal first: a check that stops after it is found again the next time, never lost.
    let new: Vec<Entry> = found.iter().map(|f| f.entry.clone()).collect();
    if !new.is_empty() {
        crate::send::append_journal(journal, &new)?;
    }
    entries.extend(new);
    let unsubscribers = found
        .iter()
        .filter_map(|f| f.suppress.as_deref())
        .filter_map(localmerge_core::suppress::Entry::parse);
    let (list_path, listed) = crate::suppress::add(list, unsubscribers)?;
    Ok(Checked {
        campaign: tracker.campaign().to_owned(),
        sent: tracker.sent(),
        tally: Tally::of(&found),
        listed,
        list: list_path,
        entries,
    })
}

/// Whether a check failed for a reason that may pass (Graph unreachable, throttling, busy).
pub fn transient(e: &anyhow::Error) -> bool {
    e.downcast_ref::<localmerge_graph_client::ListError>()
        .is_some_and(localmerge_graph_client::ListError::is_transient)
}

/// The check in a sentence, on stderr.
pub fn say(journal: &Path, checked: &Checked) -> anyhow::Result<()> {
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "{}: {} sent; new since the last check: {} replied, {} bounced, {} unsubscribed",
        journal.display(),
        checked.sent,
        checked.tally.replied,
        checked.tally.bounced,
        checked.tally.unsubscribed
    )?;
    if checked.listed > 0 {
        writeln!(err, "{}: {} added to the do-not-contact list", checked.list.display(), checked.listed)?;
    }
    Ok(())
}
