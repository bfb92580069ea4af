//! Displayed values cross-checked against LibreOffice's own rendering: a workbook of every
//! number pair of the Excel oracle (`tests/data/oracle/excel-display.tsv`) and of each class
//! of format localmerge renders is converted to CSV by `soffice --headless` with "save cell
//! contents as shown", and to xls and ods.
//!
//! - From the xlsx, localmerge shows what Excel shows (the oracle's text, or
//!   `formats::DISPLAY_CASES`).
//! - Where LibreOffice shows something else than Excel, the difference is pinned, with its
//!   reason, in `tests/data/oracle/libreoffice-differs.tsv`: a change on either side fails.
//! - From the xls and the ods LibreOffice writes, localmerge shows what LibreOffice shows for
//!   every pair where LibreOffice and Excel agree, except where LibreOffice's own conversion
//!   changes the code, pinned in the same file by format. The flat ods (`.fods`) reads as
//!   the ods does.
//!
//! `LOCALMERGE_LIBREOFFICE_REPORT=1` prints the current differences as lines of that file.

use std::collections::BTreeMap;
use std::process::Command;

use localmerge_core::Workbook;
use localmerge_core::format::{CellText, Locale};

fn soffice() -> Option<&'static str> {
    Command::new("soffice").arg("--version").output().ok().filter(|o| o.status.success()).map(|_| "soffice")
}

fn read_tsv(name: &str) -> Vec<Vec<String>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/oracle").join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

/// Every pair: (code, value, Excel's text).
fn pairs() -> Vec<(String, f64, String)> {
    let mut pairs: Vec<(String, f64, String)> = read_tsv("excel-display.tsv")
        .into_iter()
        .filter(|r| r[0] == "en-US" && !r[2].starts_with("text:"))
        .map(|r| (r[1].clone(), r[2].parse().expect("number"), r[3].clone()))
        .collect();
    pairs
        .extend(crate::formats::DISPLAY_CASES.iter().map(|(c, v, e)| ((*c).to_owned(), *v, (*e).to_owned())));
    pairs
}

/// A pair's key in the pin file: input format, code and value.
fn key(input: &str, code: &str, v: f64) -> (String, String, String) {
    (input.to_owned(), code.to_owned(), format!("{v}"))
}

#[test]
fn displayed_values_match_libreoffice() {
    let Some(soffice) = soffice() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install LibreOffice (Debian libreoffice-calc-nogui)"
        );
        eprintln!("soffice not found: the LibreOffice cross-check did not run");
        return;
    };
    let pairs = pairs();
    let cases: Vec<(&str, f64)> = pairs.iter().map(|(c, v, _)| (c.as_str(), *v)).collect();
    let dir = tempfile::tempdir().expect("tmp");
    let xlsx = dir.path().join("formats.xlsx");
    std::fs::write(&xlsx, localmerge_testdata::formats_xlsx(&cases).expect("workbook")).expect("write");

    let convert = |to: &str, file: &str| convert(soffice, dir.path(), &xlsx, to, file);
    // Comma, double quote, UTF-8 (76), first line 1, en-US (1033), save cells as shown.
    let csv_path = convert("csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,true", "formats.csv");
    let libreoffice: Vec<String> = csv::Reader::from_path(&csv_path)
        .expect("csv")
        .records()
        .map(|r| r.expect("record").get(1).unwrap_or_default().to_owned())
        .collect();
    assert_eq!(libreoffice.len(), pairs.len());
    let (xls, ods) = (convert("xls", "formats.xls"), convert("ods", "formats.ods"));
    let fods = convert("fods", "formats.fods");

    let pinned: BTreeMap<(String, String, String), (String, String)> = read_tsv("libreoffice-differs.tsv")
        .into_iter()
        .map(|r| ((r[0].clone(), r[1].clone(), r[2].clone()), (r[3].clone(), r[4].clone())))
        .collect();
    let mut found: BTreeMap<(String, String, String), String> = BTreeMap::new();
    let mut wrong = Vec::new();
    let ours_xlsx = render(&xlsx);
    for (i, (code, v, excel)) in pairs.iter().enumerate() {
        let lo = &libreoffice[i];
        let want = excel.as_str();
        if ours_xlsx[i] != want {
            wrong.push(format!("xlsx: {code:?} {v}: Excel {want:?}, localmerge {:?}", ours_xlsx[i]));
        }
        if lo != want {
            found.insert(key("libreoffice", code, *v), lo.clone());
        }
    }
    for (file, input) in [(&xls, "xls"), (&ods, "ods"), (&fods, "fods")] {
        let ours = render(file);
        assert_eq!(ours.len(), pairs.len(), "{input}");
        for (i, (code, v, excel)) in pairs.iter().enumerate() {
            let lo = &libreoffice[i];
            if excel != lo || ours[i] == *lo {
                continue;
            }
            found.insert(key(input, code, *v), ours[i].clone());
        }
    }
    if std::env::var_os("LOCALMERGE_LIBREOFFICE_REPORT").is_some() {
        for ((input, code, v), text) in &found {
            let reason =
                pinned.get(&(input.clone(), code.clone(), v.clone())).map_or("?", |(_, r)| r.as_str());
            println!("{input}\t{code}\t{v}\t{text}\t{reason}");
        }
    }
    assert!(wrong.is_empty(), "{} pairs differ from Excel:\n{}", wrong.len(), wrong.join("\n"));
    let mut drift = Vec::new();
    for (k, text) in &found {
        match pinned.get(k) {
            Some((pinned_text, _)) if pinned_text == text => {}
            Some((pinned_text, _)) => drift.push(format!("{k:?}: pinned {pinned_text:?}, now {text:?}")),
            None => drift.push(format!("{k:?}: a new difference, {text:?}")),
        }
    }
    for k in pinned.keys().filter(|k| !found.contains_key(*k)) {
        drift.push(format!("{k:?}: pinned, but no longer differs"));
    }
    assert!(drift.is_empty(), "{} differences from the pinned ones:\n{}", drift.len(), drift.join("\n"));
    assert!(pairs.len() > 500, "{} pairs", pairs.len());
}

/// Converts `source` with `soffice --convert-to` into `dir`, in a private profile so a
/// desktop LibreOffice or a parallel run cannot interfere.
fn convert(
    soffice: &str,
    dir: &std::path::Path,
    source: &std::path::Path,
    to: &str,
    file: &str,
) -> std::path::PathBuf {
    let profile = format!("-env:UserInstallation=file://{}", dir.join("profile").display());
    let out = Command::new(soffice)
        .args([profile.as_str(), "--headless", "--convert-to", to, "--outdir"])
        .arg(dir)
        .arg(source)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("soffice runs");
    let path = dir.join(file);
    assert!(path.exists(), "soffice wrote no {file}: {out:?}");
    path
}

#[test]
fn hidden_sheets_stay_out_of_the_default_in_xls_and_ods() {
    let Some(soffice) = soffice() else {
        assert!(std::env::var_os("CI").is_none(), "CI must install LibreOffice");
        eprintln!("soffice not found: the hidden-sheet check of xls and ods did not run");
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let xlsx = dir.path().join("hidden.xlsx");
    std::fs::write(&xlsx, localmerge_testdata::hidden_first_xlsx().expect("workbook")).expect("write");
    for (to, file) in [("xls", "hidden.xls"), ("ods", "hidden.ods")] {
        let path = convert(soffice, dir.path(), &xlsx, to, file);
        let mut wb = Workbook::open(std::fs::read(&path).expect("read")).expect("open");
        assert_eq!(wb.hidden_sheets(), ["Old list"], "{to}");
        assert_eq!(wb.read(None).expect("default").sheet, "Contacts", "{to}");
    }
}

/// What localmerge shows for every Value cell of a workbook (`########` included, which
/// a merge makes a problem of the row).
fn render(file: &std::path::Path) -> Vec<String> {
    let t = Workbook::open(std::fs::read(file).expect("read")).and_then(|mut w| w.read(None)).expect("table");
    let display = CellText::of_table(&t, Locale::en_us());
    let col = t.find_column("Value").expect("unique").expect("a Value column");
    t.rows
        .iter()
        .map(|r| {
            let mut s = String::new();
            display.write(&r.values[col], r.style(col), &mut s);
            s
        })
        .collect()
}
