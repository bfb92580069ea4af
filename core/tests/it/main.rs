//! localmerge-core's integration tests: one binary, through the public API only.
// Test helpers fail loudly; the production lints against panicking do not apply here.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod alloc;
mod corpus;
mod corpus_libreoffice;
mod differential;
mod formats;
mod graph;
mod groups;
mod libreoffice;
mod oracle;
mod properties;
mod regions;
mod send;
mod streaming;
mod templates;
mod unsubscribe;
mod wide;

use localmerge_core::{Table, Workbook};

/// The fixture folder.
pub fn data(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads a fixture's default sheet.
pub fn table(name: &str) -> Table {
    Workbook::open(data(name)).and_then(|mut w| w.read(None)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A table from CSV text (a header alone is a table without rows).
pub fn csv(text: &str) -> Table {
    Workbook::open(text.as_bytes().to_vec())
        .and_then(|mut w| w.read_first_with_header())
        .unwrap_or_else(|e| panic!("{e}"))
}
