//! Displayed values cross-checked against LibreOffice's own rendering: the same workbook
//! is converted to CSV by `soffice --headless` with "save cell contents as shown", and
//! every cell must read the same as localmerge renders it (en-US) — from the xlsx, and
//! from the xls and ods LibreOffice converts it to.

use std::process::Command;

use localmerge_core::{Merge, MergeSpec, Workbook};

/// (format code, value): where LibreOffice and Excel agree, localmerge must match both.
const AGREE: &[(&str, f64)] = &[
    ("General", 1234.5),
    ("General", 0.1),
    ("0", 2.5),
    ("0.00", 1.005),
    ("#,##0.00", 1234567.891),
    ("00000", 501.0),
    ("0%", 0.175),
    ("0.0%", 0.175),
    ("0.00E+00", 12345.0),
    ("\"€\"#,##0.00", 1234.5),
    ("[$€-40C]#,##0.00", 1234.5),
    ("0\" kg\"", 12.0),
    ("\\$0.00", 3.0),
    ("#,##0;(#,##0);\"-\"", -1234.0),
    ("#,##0;(#,##0);\"-\"", 0.0),
    ("#,##0.00_);[Red](#,##0.00)", -5.0),
    ("0.00;-0.00;\"zero\"", 0.0),
    ("0.###", 1.5),
    ("#,##0,\"k\"", 12345.0),
    ("[>=1000]#,##0,\"k\";0", 999.0),
    ("[>=1000]#,##0,\"k\";0", 12345.0),
    ("dd/mm/yyyy", 45352.0),
    ("d mmmm yyyy", 45352.0),
    ("mmm d, yyyy", 45352.0),
    ("dddd", 45352.0),
    ("ddd dd/mm/yy", 45657.0),
    ("h:mm AM/PM", 0.75),
    ("hh:mm:ss", 0.5 + 61.0 / 86400.0),
    ("[h]:mm", 1.5),
    ("yyyy-mm-dd hh:mm", 45352.5),
];

/// Where LibreOffice departs from Excel, localmerge follows Excel (the value a user of
/// Excel sees): (code, value, LibreOffice's text, localmerge's text).
const DIFFER: &[(&str, f64, &str, &str)] = &[
    // Excel's General shows at most 11 characters; LibreOffice up to 15 digits.
    ("General", 1.0 / 3.0, "0.333333333333333", "0.333333333"),
    ("General", 123456789012.0, "123456789012", "1.23457E+11"),
    // Excel counts 1900 as a leap year (serial 60 is 29 February 1900); LibreOffice does not.
    ("m/d/yyyy", 60.0, "2/28/1900", "2/29/1900"),
    // Excel rounds a time to the second it displays; LibreOffice truncates.
    ("h:mm:ss", 0.999999, "23:59:59", "0:00:00"),
];

fn soffice() -> Option<&'static str> {
    Command::new("soffice").arg("--version").output().ok().filter(|o| o.status.success()).map(|_| "soffice")
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
    let cases: Vec<(&str, f64)> =
        AGREE.iter().copied().chain(DIFFER.iter().map(|(c, v, _, _)| (*c, *v))).collect();
    let dir = tempfile::tempdir().expect("tmp");
    let xlsx = dir.path().join("formats.xlsx");
    std::fs::write(&xlsx, localmerge_testdata::formats_xlsx(&cases).expect("workbook")).expect("write");

    // A private profile, so a desktop LibreOffice or a parallel run cannot interfere.
    let profile = format!("-env:UserInstallation=file://{}", dir.path().join("profile").display());
    let out = Command::new(soffice)
        .args([profile.as_str(), "--headless", "--convert-to"])
        // Comma, double quote, UTF-8 (76), first line 1, en-US (1033), save cells as shown.
        .arg("csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,true")
        .arg("--outdir")
        .arg(dir.path())
        .arg(&xlsx)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("soffice runs");
    let csv_path = dir.path().join("formats.csv");
    assert!(csv_path.exists(), "soffice wrote no CSV: {out:?}");
    let libreoffice: Vec<String> = csv::Reader::from_path(&csv_path)
        .expect("csv")
        .records()
        .map(|r| r.expect("record").get(1).unwrap_or_default().to_owned())
        .collect();
    assert_eq!(libreoffice.len(), cases.len());

    // The same workbook as xls and ods, written by LibreOffice.
    let convert = |to: &str| {
        let out = Command::new(soffice)
            .args([profile.as_str(), "--headless", "--convert-to", to, "--outdir"])
            .arg(dir.path())
            .arg(&xlsx)
            .output()
            .expect("soffice runs");
        let file = dir.path().join(format!("formats.{to}"));
        assert!(file.exists(), "soffice wrote no {to}: {out:?}");
        file
    };
    let (xls, ods) = (convert("xls"), convert("ods"));

    for (file, format) in [(&xlsx, "xlsx"), (&xls, "xls"), (&ods, "ods")] {
        let ours = render(file);
        assert_eq!(ours.len(), cases.len(), "{format}");
        compare(format, &ours, &libreoffice);
    }
}

/// localmerge's rendering of every Value cell of a workbook.
fn render(file: &std::path::Path) -> Vec<String> {
    let t = Workbook::open(std::fs::read(file).expect("read")).and_then(|mut w| w.read(None)).expect("table");
    Merge::new(&t, &MergeSpec::html("s", "{{{Value}}}", "b"))
        .expect("merge")
        .plan(&t)
        .messages
        .into_iter()
        .map(|m| m.body)
        .collect()
}

fn compare(input: &str, ours: &[String], libreoffice: &[String]) {
    let mut mismatches = Vec::new();
    for (i, (code, v)) in AGREE.iter().enumerate() {
        if ours[i] != libreoffice[i] {
            mismatches.push(format!(
                "{input}: {code} {v}: LibreOffice {:?}, localmerge {:?}",
                libreoffice[i], ours[i]
            ));
        }
    }
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
    for (k, (code, v, theirs, want)) in DIFFER.iter().enumerate() {
        let i = AGREE.len() + k;
        assert_eq!(libreoffice[i], *theirs, "LibreOffice's known rendering of {code} {v} changed");
        // An ods file stores dates as calendar dates, so Excel's fictitious 1900-02-29
        // became 1900-02-28 when LibreOffice wrote it: there, both show that.
        let want = if input == "ods" && *v == 60.0 { theirs } else { want };
        assert_eq!(ours[i], *want, "{input}: {code} {v}");
    }
}
