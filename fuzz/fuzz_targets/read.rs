//! Any bytes: open them as a spreadsheet and read every sheet. Errors are fine; a panic,
//! a hang or unbounded memory is a bug (libFuzzer's -rss_limit_mb catches the last).
#![no_main]

use libfuzzer_sys::fuzz_target;
use localmerge_core::Workbook;

fuzz_target!(|data: &[u8]| {
    let Ok(mut wb) = Workbook::open(data.to_vec()) else { return };
    for name in wb.sheet_names().to_vec() {
        if let Ok(table) = wb.read_sheet(&name) {
            for row in &table.rows {
                for v in &row.values {
                    let _ = v.to_text();
                }
            }
        }
    }
});
