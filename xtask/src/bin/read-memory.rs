//! `read-memory FILE`: the heap reading a workbook takes at its peak, against the size of
//! the table it makes, measured by a counting allocator (peak_alloc) around
//! `Workbook::open` + `read`. Prints one JSON object; `cargo xtask bench` runs it.
//!
//! The peak counts the file's bytes (read into memory first, as the CLI and the pane do)
//! and everything the reader holds while reading; the table's size is what stays allocated
//! once the workbook is dropped.

use anyhow::Context;
use peak_alloc::PeakAlloc;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).context("usage: read-memory FILE")?;
    let base = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    let bytes = std::fs::read(&path).with_context(|| path.clone())?;
    let file = bytes.len();
    let table = localmerge_core::Workbook::open(bytes)?.read(None)?;
    let table_bytes = ALLOC.current_usage().saturating_sub(base);
    let peak_bytes = ALLOC.peak_usage().saturating_sub(base);
    println!(
        "{}",
        serde_json::json!({
            "rows": table.rows.len(),
            "file_bytes": file,
            "table_bytes": table_bytes,
            "peak_bytes": peak_bytes,
        })
    );
    Ok(())
}
