//! Displayed text against an oracle built outside localmerge: `tests/data/oracle/excel-display.tsv`
//! holds what Excel shows for hundreds of (format code, value) pairs, from another library's
//! Excel-checked test suite and Microsoft's documentation. Every row must match.

use localmerge_core::format::{Locale, NumberFormat};

#[test]
fn every_value_shows_as_excel_shows_it() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/oracle/excel-display.tsv");
    let text = std::fs::read_to_string(path).expect("oracle table");
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.starts_with('#') && !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [tag, code, value, want, source] = cols[..] else { panic!("line {}: {line:?}", n + 1) };
        let locale = Locale::find(tag).expect("a shipped locale");
        let f = NumberFormat::parse(code);
        let got = match value.strip_prefix("text:") {
            Some(t) => f.format_text(t),
            None => f.format_number(value.parse().expect("a number"), false, locale),
        };
        if got != want {
            mismatches.push(format!(
                "line {}: {code:?} {value} ({tag}, {source}): Excel {want:?}, localmerge {got:?}",
                n + 1
            ));
        }
        checked += 1;
    }
    assert!(checked > 500, "the oracle holds {checked} rows");
    assert!(mismatches.is_empty(), "{} of {checked} differ:\n{}", mismatches.len(), mismatches.join("\n"));
}
