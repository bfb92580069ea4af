//! The machine's limit for reading an xlsx, the reference of `read-vs-limit`: inflating the
//! parts localmerge's reader needs — the workbook and its relationships, the shared strings,
//! the styles and the sheet — and scanning their XML with quick-xml's borrowing reader,
//! building nothing. A workbook cannot be read faster than its parts can be inflated and
//! their XML scanned, so the reader's time over this one's says how far it is from the floor.

use std::io::{Cursor, Read};

use anyhow::Context;
use quick_xml::events::Event;

/// The parts the reader needs: the workbook's own, and the first worksheet by number (the
/// benchmark's workbook has one sheet, which is what the reader reads).
fn parts(zip: &zip::ZipArchive<Cursor<&[u8]>>) -> anyhow::Result<Vec<String>> {
    let number =
        |name: &str| name.strip_prefix("xl/worksheets/sheet")?.strip_suffix(".xml")?.parse::<u32>().ok();
    let sheet = zip
        .file_names()
        .filter_map(Result::ok)
        .filter_map(|n| number(&n).map(|k| (k, n.into_owned())))
        .min()
        .map(|(_, n)| n)
        .context("the workbook has no worksheet")?;
    Ok(["xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml", "xl/styles.xml"]
        .into_iter()
        .map(str::to_owned)
        .chain([sheet])
        .collect())
}

/// Inflates and scans the parts; returns how many XML events they hold (so the work is not
/// optimised away, and a test can check it saw the cells).
pub fn scan(bytes: &[u8]) -> anyhow::Result<usize> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))?;
    let mut events = 0;
    let mut xml = Vec::new();
    for name in parts(&zip)? {
        let Ok(mut entry) = zip.by_name(&name) else { continue };
        xml.clear();
        xml.reserve(usize::try_from(entry.size()).unwrap_or(0));
        entry.read_to_end(&mut xml)?;
        let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
        loop {
            match reader.read_event().with_context(|| format!("{name}: XML"))? {
                Event::Eof => break,
                _ => events += 1,
            }
        }
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_limit_scans_every_cell_of_the_sheet() {
        let bytes = localmerge_testdata::contacts_xlsx(100).unwrap();
        let events = super::scan(&bytes).unwrap();
        // 101 rows of 10 cells, each cell at least a start, a value and an end.
        assert!(events > 101 * 10 * 3, "{events}");
        assert!(super::scan(b"not a zip").is_err());
    }
}
