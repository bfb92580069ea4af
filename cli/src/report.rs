//! `localmerge report`: the report (`localmerge-report`) of a campaign's journal, written
//! beside the list it reports on, whole, then renamed into place; the original file is never
//! touched. What each row's status is comes from the journal alone (core's `journal_rows`).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use localmerge_core::Table;
use localmerge_core::format::Locale;
use localmerge_core::send::{JournalRow, journal_rows, read_lines};

/// Each row's standing, from the journal file.
pub fn read_journal(path: &Path) -> anyhow::Result<BTreeMap<u32, JournalRow>> {
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let journal = read_lines(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(journal_rows(&journal.entries))
}

/// Writes the report of `table` to `out` (`.xlsx` or `.csv`).
pub fn write(
    table: &Table,
    rows: &BTreeMap<u32, JournalRow>,
    out: &Path,
    locale: &'static Locale,
) -> anyhow::Result<()> {
    let ext = out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let bytes = match ext.as_deref() {
        Some("xlsx") => localmerge_report::xlsx(table, rows),
        Some("csv") => localmerge_report::csv(table, rows, locale),
        _ => anyhow::bail!("{}: the report is written as .xlsx or .csv", out.display()),
    }
    .map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
    crate::write_whole(out, &bytes)
}
