//! calamine's own regression workbooks (shared/corpus/calamine beside the repository):
//! every file is either read or refused with a clear error; none panics or takes memory
//! without bound.

use std::path::PathBuf;

use localmerge_core::{ReadError, Workbook};

use crate::alloc::{MEASURE, peak_during};

/// The corpus's files; empty (the caller's test said so) without `shared` beside the clone.
fn corpus(what: &str) -> Vec<PathBuf> {
    let Some(dir) = localmerge_testdata::calamine_corpus(what) else { return Vec::new() };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.sort();
    assert!(files.len() > 50, "expected calamine's corpus, found {} files", files.len());
    files
}

/// The most a file of this corpus may make us allocate.
const PEAK_LIMIT: usize = 256 << 20;

#[test]
fn every_corpus_file_reads_or_fails_cleanly_within_bounded_memory() {
    let _guard = MEASURE.lock().unwrap_or_else(|e| e.into_inner());
    let files = corpus("the corpus memory check");
    if files.is_empty() {
        return;
    }
    let mut read = 0;
    for path in files {
        let bytes = std::fs::read(&path).expect("readable");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let (outcome, peak) = peak_during(|| -> Result<usize, ReadError> {
            let mut wb = Workbook::open(bytes)?;
            let mut rows = 0;
            for sheet in wb.sheet_names().to_vec() {
                match wb.read_sheet(&sheet) {
                    Ok(t) => rows += t.rows.len(),
                    Err(ReadError::EmptySheet(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(rows)
        });
        assert!(peak < PEAK_LIMIT, "{name}: peak allocation {peak} bytes");
        match outcome {
            Ok(_) => read += 1,
            Err(e) => {
                let msg = e.to_string();
                assert!(!msg.is_empty(), "{name}: empty error message");
                if name.starts_with("pass_protected") {
                    assert!(matches!(e, ReadError::PasswordProtected), "{name}: {e}");
                }
            }
        }
    }
    assert!(read > 60, "only {read} corpus files were readable");
}

#[test]
fn hostile_files_get_typed_errors() {
    let Some(dir) = localmerge_testdata::calamine_corpus("the hostile-file check") else { return };
    for name in ["pass_protected.xlsx", "pass_protected.xlsb", "pass_protected.ods"] {
        let bytes = std::fs::read(dir.join(name)).expect("fixture");
        let err = Workbook::open(bytes).and_then(|mut w| w.read(None)).expect_err(name);
        assert!(matches!(err, ReadError::PasswordProtected), "{name}: {err}");
    }
    let bytes = std::fs::read(dir.join("issue_594_dos.ods")).expect("fixture");
    let err = Workbook::open(bytes).and_then(|mut w| w.read(None)).expect_err("dos");
    assert!(matches!(err, ReadError::Corrupt { .. }), "{err}");
    assert!(
        err.to_string().contains("a sheet declares 17179869184 cells"),
        "a sentence, not calamine's words: {err}"
    );
}

#[test]
fn xlsb_from_the_corpus_reads_typed_values() {
    let Some(dir) = localmerge_testdata::calamine_corpus("the xlsb date check") else { return };
    let mut wb = Workbook::open(std::fs::read(dir.join("date_1904.xlsb")).expect("fixture")).expect("open");
    assert_eq!(wb.format(), localmerge_core::Format::Xlsb);
    let names = wb.sheet_names().to_vec();
    let t = wb.read_sheet(&names[0]);
    // A sheet of dates without a header row still reads (its first row is the header).
    assert!(t.is_ok(), "{t:?}");
}

/// Inputs the fuzzer found crashing calamine (`core/tests/data/fuzz/`): each now reads
/// every sheet or fails with a typed error. Tests run with overflow checks, as the fuzzer
/// does, so a regression panics here.
#[test]
fn fuzz_findings_read_or_fail_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    let mut errors = 0;
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz fixtures") {
        let path = entry.expect("entry").path();
        files += 1;
        let Ok(mut wb) = Workbook::open(std::fs::read(&path).expect("read")) else {
            errors += 1;
            continue;
        };
        for sheet in wb.sheet_names().to_vec() {
            if let Err(e) = wb.read_sheet(&sheet) {
                assert!(!e.to_string().is_empty());
            }
        }
    }
    assert!(files >= 7, "{files} fuzz fixtures");
    assert!(errors >= 5, "most findings are malformed files that must be refused ({errors})");
}

/// xlsb number formats come from styles.bin and each cell's style (calamine exposes none).
#[test]
fn xlsb_values_render_through_their_formats() {
    let Some(dir) = localmerge_testdata::calamine_corpus("the xlsb format check") else { return };
    let bytes = std::fs::read(dir.join("date.xlsb")).expect("fixture");
    let t = Workbook::open(bytes).and_then(|mut w| w.read(None)).expect("read");
    let display = localmerge_core::format::CellText::of_table(&t, localmerge_core::format::Locale::en_us());
    let shown: Vec<String> = t
        .rows
        .iter()
        .take(2)
        .map(|r| {
            let mut s = String::new();
            display.write(&r.values[0], r.style(0), &mut s);
            s
        })
        .collect();
    assert_eq!(shown, ["2021-01-02", "255:10:10"], "a yyyy-mm-dd date and an [hh]:mm:ss duration");
}

/// No text read from a corpus workbook holds a NUL: an xls declaring a legacy code page in
/// BIFF8 read "H\0i\0 \0E…" before its CODEPAGE record was rewritten.
#[test]
fn no_text_holds_a_nul() {
    let files = corpus("the NUL check");
    if files.is_empty() {
        return;
    }
    let mut strings = 0;
    for path in files {
        let Ok(mut wb) = Workbook::open(std::fs::read(&path).expect("readable")) else { continue };
        for sheet in wb.sheet_names().to_vec() {
            let Ok(t) = wb.read_sheet(&sheet) else { continue };
            let texts = t.columns.iter().map(|c| c.name.clone()).chain(t.rows.iter().flat_map(|r| {
                r.values.iter().filter_map(|v| match v {
                    localmerge_core::Value::Text(s) => Some(s.clone()),
                    _ => None,
                })
            }));
            for s in texts {
                strings += 1;
                assert!(!s.contains('\0'), "{} / {sheet}: {s:?}", path.display());
            }
        }
    }
    assert!(strings > 1000, "only {strings} strings read");
}
