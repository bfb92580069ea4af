//! Every workbook of calamine's corpus (shared/corpus/calamine) read by localmerge and by
//! LibreOffice, whose "save cell contents as shown" CSV of every sheet is the outside
//! view: each cell localmerge reads (header and data rows) is compared with LibreOffice's
//! text in the same place, and each row where LibreOffice shows text below the header (in
//! the header's columns) is looked for among localmerge's rows.
//!
//! Where they differ, the sheet is pinned in `tests/data/oracle/corpus-libreoffice.tsv`
//! with the number of cells and rows that differ and who is right (Excel decides): a
//! change on either side fails. `LOCALMERGE_LIBREOFFICE_REPORT=1` prints the current
//! differences, with an example of each, as lines of that file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use localmerge_core::format::{CellText, Locale};
use localmerge_core::{ReadError, Workbook};

/// LibreOffice's CSV of a sheet: its rows of cells, as shown. The csv crate skips empty
/// lines, which are the sheet's empty rows: each becomes one empty quoted field first.
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut kept = String::with_capacity(text.len());
    let mut quoted = false;
    for line in text.split_inclusive('\n') {
        if !quoted && line.trim_end_matches(['\r', '\n']).is_empty() {
            kept.push_str("\"\"");
        }
        kept.push_str(line);
        quoted ^= line.matches('"').count() % 2 == 1;
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(kept.as_bytes());
    reader.records().filter_map(Result::ok).map(|r| r.iter().map(str::to_owned).collect()).collect()
}

/// One sheet's comparison: cells compared, cells that differ, LibreOffice rows with text
/// that localmerge has no row for, and the first difference.
#[derive(Default)]
struct Outcome {
    compared: usize,
    cells: usize,
    rows: usize,
    example: String,
}

fn compare(wb: &mut Workbook, sheet: &str, lo: &[Vec<String>]) -> Outcome {
    let mut out = Outcome::default();
    let lo_cell = |r: u32, c: u32| -> &str {
        lo.get(r.saturating_sub(1) as usize).and_then(|row| row.get(c as usize)).map_or("", String::as_str)
    };
    let differ = |out: &mut Outcome, place: String, ours: &str, theirs: &str| {
        out.compared += 1;
        if ours != theirs {
            out.cells += 1;
            if out.example.is_empty() {
                out.example = format!("{place}: localmerge {ours:?}, LibreOffice {theirs:?}");
            }
        }
    };
    let t = match wb.read_sheet(sheet) {
        Ok(t) => t,
        Err(ReadError::EmptySheet(_)) => {
            out.rows = lo.iter().filter(|r| r.iter().any(|c| !c.trim().is_empty())).count();
            if out.rows > 0 {
                out.example = "localmerge reads the sheet as empty".into();
            }
            return out;
        }
        Err(e) => {
            out.rows = lo.len();
            out.example = format!("localmerge: {e}");
            return out;
        }
    };
    let display = CellText::of_table(&t, Locale::en_us());
    for col in &t.columns {
        let theirs = localmerge_core::table::normalize_name(lo_cell(t.header_row, col.index));
        differ(&mut out, format!("{}{}", col.letters(), t.header_row), &col.name, &theirs);
    }
    let mut ours_rows = std::collections::HashSet::new();
    for row in &t.rows {
        ours_rows.insert(row.number);
        for (i, col) in t.columns.iter().enumerate() {
            let mut shown = String::new();
            display.write(&row.values[i], row.style(i), &mut shown);
            differ(
                &mut out,
                format!("{}{}", col.letters(), row.number),
                &shown,
                lo_cell(row.number, col.index),
            );
        }
    }
    // Cells outside the header's columns are left out of the table, with a warning.
    let in_columns = |row: &Vec<String>| {
        t.columns.iter().any(|c| row.get(c.index as usize).is_some_and(|v| !v.trim().is_empty()))
    };
    for (i, row) in lo.iter().enumerate() {
        let number = i as u32 + 1;
        if number > t.header_row && !ours_rows.contains(&number) && in_columns(row) {
            out.rows += 1;
            if out.example.is_empty() {
                out.example = format!("row {number}: LibreOffice shows {row:?}, localmerge has no row");
            }
        }
    }
    out
}

#[test]
fn corpus_cells_match_libreoffice() {
    let in_ci = std::env::var_os("CI").is_some();
    if Command::new("soffice").arg("--version").output().ok().is_none_or(|o| !o.status.success()) {
        assert!(!in_ci, "CI must install LibreOffice (Debian libreoffice-calc-nogui)");
        eprintln!("soffice not found: the corpus differential against LibreOffice did not run");
        return;
    }
    let Some(corpus) = localmerge_testdata::calamine_corpus("the corpus differential against LibreOffice")
    else {
        return;
    };
    let entries = std::fs::read_dir(corpus).expect("the corpus folder");
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.sort();
    // Each file under a name unique across formats (any_sheets.xls and any_sheets.xlsx
    // would both write any_sheets-Visible.csv).
    let dir = tempfile::tempdir().expect("tmp");
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    std::fs::create_dir_all(&input).expect("dir");
    let mut bases = Vec::new();
    for path in &files {
        // Only what localmerge opens goes to LibreOffice: a hostile file it refuses (a
        // sheet of 17 billion cells) would hold LibreOffice until it gives up on the rest.
        let readable = Workbook::open(std::fs::read(path).expect("read")).is_ok_and(|mut wb| {
            wb.sheet_names().to_vec().iter().all(|s| {
                !matches!(wb.read_sheet(s), Err(ReadError::TooLarge { .. }) | Err(ReadError::Corrupt { .. }))
            })
        });
        if !readable {
            continue;
        }
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let base = format!("{stem}--{ext}");
        std::fs::copy(path, input.join(format!("{base}.{ext}"))).expect("copy");
        bases.push((path.clone(), base));
    }
    let inputs: Vec<PathBuf> = bases
        .iter()
        .map(|(p, b)| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or_default();
            input.join(format!("{b}.{ext}"))
        })
        .collect();
    let profile = format!("-env:UserInstallation=file://{}", dir.path().join("profile").display());
    // Comma, double quote, UTF-8, en-US, save cell contents as shown, every sheet (-1).
    let filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,true,false,false,-1";
    let status = Command::new("soffice")
        .args([profile.as_str(), "--headless", "--convert-to", filter, "--outdir"])
        .arg(&output)
        .args(&inputs)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("soffice runs");
    assert!(output.exists(), "soffice wrote nothing: {status:?}");

    let mut found: BTreeMap<(String, String), Outcome> = BTreeMap::new();
    let mut compared = 0;
    for (path, base) in &bases {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let Ok(mut wb) = Workbook::open(std::fs::read(path).expect("read")) else { continue };
        for sheet in wb.sheet_names().to_vec() {
            let csv_path = output.join(format!("{base}-{sheet}.csv"));
            let outcome = if csv_path.exists() {
                compare(&mut wb, &sheet, &read_csv(&csv_path))
            } else {
                Outcome { rows: 0, cells: 0, compared: 0, example: "LibreOffice wrote no CSV for it".into() }
            };
            compared += outcome.compared;
            if outcome.cells > 0 || outcome.rows > 0 || !outcome.example.is_empty() {
                found.insert((name.clone(), sheet), outcome);
            }
        }
    }

    let pinned_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/oracle/corpus-libreoffice.tsv");
    let pinned: BTreeMap<(String, String), (String, String, String)> = std::fs::read_to_string(&pinned_path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Some((
                (f.first()?.to_string(), f.get(1)?.to_string()),
                (f.get(2)?.to_string(), f.get(3)?.to_string(), f.get(4).unwrap_or(&"").to_string()),
            ))
        })
        .collect();
    if std::env::var_os("LOCALMERGE_LIBREOFFICE_REPORT").is_some() {
        for ((file, sheet), o) in &found {
            let reason = pinned.get(&(file.clone(), sheet.clone())).map_or("?", |p| p.2.as_str());
            println!("{file}\t{sheet}\t{}\t{}\t{reason}\t{}", o.cells, o.rows, o.example);
        }
    }
    let mut drift = Vec::new();
    for (k, o) in &found {
        match pinned.get(k) {
            Some((cells, rows, _)) if *cells == o.cells.to_string() && *rows == o.rows.to_string() => {}
            Some((cells, rows, _)) => drift.push(format!(
                "{k:?}: pinned {cells} cells and {rows} rows, now {} and {} ({})",
                o.cells, o.rows, o.example
            )),
            None => drift
                .push(format!("{k:?}: a new difference: {} cells, {} rows ({})", o.cells, o.rows, o.example)),
        }
    }
    for k in pinned.keys().filter(|k| !found.contains_key(*k)) {
        drift.push(format!("{k:?}: pinned, but no longer differs"));
    }
    assert!(drift.is_empty(), "{} differences from the pinned ones:\n{}", drift.len(), drift.join("\n"));
    assert!(compared > 5_000, "only {compared} cells compared");
}
