//! `inspect` and `preview`: output shapes, stderr lines, exit statuses.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/data").join(name)
}

/// Runs `localmerge` with a neutral locale, whatever the machine's settings.
fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_localmerge"))
        .args(args)
        .env_remove("LC_ALL")
        .env_remove("LC_NUMERIC")
        .env("LANG", "C.UTF-8")
        .output()
        .expect("runs")
}

fn write(dir: &tempfile::TempDir, name: &str, content: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, content).expect("write");
    p.display().to_string()
}

fn stderr_lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stderr).lines().map(str::to_owned).collect()
}

#[track_caller]
fn assert_fatal(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(o.stdout.is_empty(), "{o:?}");
    let lines = stderr_lines(o);
    assert_eq!(lines.len(), 1, "one line: {lines:?}");
    assert!(lines[0].starts_with("localmerge: error: "), "{lines:?}");
    assert!(lines[0].contains(needle), "{lines:?} should mention {needle}");
}

#[test]
fn preview_prints_valid_rows_and_reports_problem_rows() {
    let dir = tempfile::tempdir().expect("tmp");
    let body = write(&dir, "body.html", "<p>Dear {{First Name}},</p>{{#if Note}}<p>{{Note}}</p>{{/if}}");
    let data = fixture("contacts.xlsxwriter.xlsx");
    let o = run(&[
        "preview",
        data.to_str().expect("utf8"),
        "--subject",
        "Hello {{First Name}} & co",
        "--body",
        &body,
    ]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let lines: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    let first = lines[0].as_object().expect("object");
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["bcc", "cc", "html", "row", "subject", "to"]);
    assert_eq!(lines[0]["row"], 2);
    assert_eq!(lines[0]["to"], serde_json::json!(["ada@example.org"]));
    assert_eq!(lines[0]["subject"], "Hello Ada & co");
    assert_eq!(lines[0]["html"], "<p>Dear Ada,</p><p>Zoë&#x27;s &lt;b&gt;note&lt;/b&gt; &amp; more</p>");
    assert_eq!(lines[1]["row"], 3);
    assert_eq!(lines[1]["cc"], serde_json::json!(["boss@example.com", "team@example.com"]));
    let err = stderr_lines(&o);
    assert_eq!(err.len(), 2, "one line per problem row: {err:?}");
    assert!(
        err[0].contains("row 5") && err[0].contains("\"Email\" (A)") && err[0].contains("not-an-address"),
        "{err:?}"
    );
    assert!(err[1].contains("row 6") && err[1].contains("duplicate") && err[1].contains("row 2"), "{err:?}");
}

#[test]
fn preview_exits_zero_when_every_row_is_fine() {
    let dir = tempfile::tempdir().expect("tmp");
    let data =
        write(&dir, "list.csv", "E-Mail-Adresse;Vorname\nanna@example.de;Anna\nbernd@example.de;Bernd\n");
    let body = write(&dir, "body.html", "Hallo {{Vorname}}");
    let o = run(&["preview", &data, "--subject", "Hi", "--body", &body]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(o.stderr.is_empty(), "{o:?}");
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 2);
}

#[test]
fn preview_with_an_explicit_to_column() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = write(&dir, "list.csv", "Email,Private\nwork@x.org,home@y.org\n");
    let body = write(&dir, "b.html", "x");
    let o = run(&["preview", &data, "--subject", "s", "--body", &body, "--to", "private"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let line: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(line["to"], serde_json::json!(["home@y.org"]));
    let o = run(&["preview", &data, "--subject", "s", "--body", &body, "--to", "Privat"]);
    assert_fatal(&o, "no column \"Privat\"; did you mean \"Private\"?");
}

#[test]
fn fatal_errors_are_one_line_with_exit_two() {
    let dir = tempfile::tempdir().expect("tmp");
    let body = write(&dir, "body.html", "Hi {{First Name}}");
    let data = fixture("contacts.libreoffice.ods");
    let data = data.to_str().expect("utf8");

    assert_fatal(&run(&["preview", "missing.xlsx", "--subject", "s", "--body", &body]), "missing.xlsx");
    assert_fatal(&run(&["preview", data, "--subject", "s", "--body", "nope.html"]), "nope.html");
    assert_fatal(
        &run(&["preview", data, "--subject", "s", "--body", &body, "--sheet", "Feuil1"]),
        "no sheet named \"Feuil1\"",
    );
    let typo = write(&dir, "typo.html", "Hello\n{{Frist Name}}");
    assert_fatal(
        &run(&["preview", data, "--subject", "s", "--body", &typo]),
        "typo.html:2:1: the sheet has no column \"Frist Name\"; did you mean \"First Name\"?",
    );
    let broken = write(&dir, "broken.html", "{{#if Note}}x");
    assert_fatal(&run(&["preview", data, "--subject", "s", "--body", &broken]), "broken.html:1:");
    assert_fatal(&run(&["preview", data, "--subject", "{{Nope}}", "--body", &body]), "subject:1:1");
    let corrupt = write(&dir, "corrupt.xlsx", "PK\u{3}\u{4} this is not a zip xl/workbook.xml");
    assert_fatal(
        &run(&["preview", &corrupt, "--subject", "s", "--body", &body]),
        "not a readable xlsx workbook",
    );
    let protected = fixture("contacts.password.xlsx");
    assert_fatal(&run(&["inspect", protected.to_str().expect("utf8")]), "password-protected");
}

#[test]
fn inspect_lists_the_sheets_it_cannot_read_with_the_reason() {
    let data = fixture("contacts.broken-cover.xlsx");
    let o = run(&["inspect", data.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(0), "the readable sheet is inspected: {o:?}");
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["sheet"], "Contacts");
    assert_eq!(v["unreadable_sheets"][0]["sheet"], "Cover");
    let reason = v["unreadable_sheets"][0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("not a cell reference"), "{reason}");
    // A workbook whose every sheet reads lists none.
    let o = run(&["inspect", fixture("contacts.openpyxl.xlsx").to_str().expect("utf8")]);
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["unreadable_sheets"], Value::Null);
}

#[test]
fn inspect_describes_the_sheet() {
    let data = fixture("contacts.openpyxl.xlsx");
    let o = run(&["inspect", data.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["sheets"], serde_json::json!(["Cover", "Contacts"]));
    assert_eq!(v["sheet"], "Contacts");
    assert_eq!(v["header_row"], 3);
    assert_eq!(v["rows"], 4);
    assert_eq!(v["to"], "Email");
    assert_eq!(v["cc"], "CC");
    assert_eq!(v["bcc"], Value::Null);
    assert_eq!(
        v["columns"][1],
        serde_json::json!({"name": "First Name", "column": "B", "type": "text", "first_value": "Ada"})
    );
    assert_eq!(v["columns"][5]["type"], "datetime");
    assert_eq!(v["columns"][5]["first_value"], "2024-03-01");
    assert_eq!(v["columns"][4]["type"], "integer");
    let o = run(&["inspect", data.to_str().expect("utf8"), "--sheet", "Cover"]);
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!((v["sheet"].as_str(), v["rows"].as_u64()), (Some("Cover"), Some(0)));

    let csv = fixture("contacts.fr-excel.csv");
    let v: Value =
        serde_json::from_slice(&run(&["inspect", csv.to_str().expect("utf8")]).stdout).expect("json");
    assert_eq!((v["format"].as_str(), v["delimiter"].as_str()), (Some("csv"), Some(";")));
}

#[test]
fn locale_shapes_displayed_values() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/data/contacts.xlsxwriter.xlsx");
    let data = data.to_str().expect("utf8");
    let amount = |args: &[&str]| -> Value {
        let mut all = vec!["inspect", data];
        all.extend_from_slice(args);
        let o = Command::new(env!("CARGO_BIN_EXE_localmerge"))
            .args(&all)
            .env_remove("LC_ALL")
            .env_remove("LC_NUMERIC")
            .env("LANG", "de_DE.UTF-8")
            .output()
            .expect("runs");
        assert_eq!(o.status.code(), Some(0), "{o:?}");
        let v: Value = serde_json::from_slice(&o.stdout).expect("json");
        serde_json::json!([v["locale"], v["columns"][3]["first_value"]])
    };
    assert_eq!(amount(&[]), serde_json::json!(["de-DE", "1234,5"]), "the system locale by default");
    assert_eq!(amount(&["--locale", "en-GB"]), serde_json::json!(["en-GB", "1234.5"]));
    let o = run(&["inspect", data, "--locale", "tlh"]);
    assert_fatal(&o, "unknown locale \"tlh\"");
}

#[test]
fn the_readme_examples_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let body = root.join("examples/welcome.html");
    let preview = |file: &str| {
        let data = root.join("examples").join(file);
        let subject = "Welcome aboard, {{First Name}}";
        run(&[
            "preview",
            data.to_str().expect("utf8"),
            "--subject",
            subject,
            "--body",
            body.to_str().expect("utf8"),
        ])
    };
    let clean = preview("contacts.xlsx");
    assert_eq!(clean.status.code(), Some(0), "{clean:?}");
    assert_eq!(String::from_utf8_lossy(&clean.stdout).lines().count(), 9);
    let problems = preview("contacts-with-problems.xlsx");
    assert_eq!(problems.status.code(), Some(1), "{problems:?}");
    assert_eq!(stderr_lines(&problems).len(), 3, "{problems:?}");
}

/// Standard error carries localmerge's own lines only: over calamine's corpus (whose odd
/// workbooks make calamine log warnings), `inspect` writes no third-party log line and no
/// colour code, and an error is one line.
#[test]
fn stderr_holds_only_localmerges_own_lines() {
    let Some(dir) = localmerge_testdata::calamine_corpus("the stderr check over calamine's corpus") else {
        return;
    };
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let mut ran = 0;
    for path in files.iter().filter(|p| p.extension().is_some_and(|e| e != "md")) {
        let o = run(&["inspect", path.to_str().expect("utf8")]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains('\u{1b}'), "{}: a colour code in {err:?}", path.display());
        assert!(!err.contains("WARN") && !err.contains("calamine::"), "{}: {err:?}", path.display());
        if o.status.code() == Some(2) {
            assert_eq!(stderr_lines(&o).len(), 1, "{}: {err:?}", path.display());
        }
        ran += 1;
    }
    assert!(ran > 50, "only {ran} corpus files");
}

/// A report with title rows above its list, and a sheet with one Excel table.
fn report_workbook(dir: &tempfile::TempDir) -> String {
    use rust_xlsxwriter::{Table, TableColumn, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Report").expect("sheet");
    ws.write_string(0, 0, "Guests — December").expect("cell");
    ws.write_string(2, 0, "Email").expect("cell");
    ws.write_string(2, 1, "First Name").expect("cell");
    for i in 0..2u32 {
        ws.write_string(3 + i, 0, format!("g{i}@example.org")).expect("cell");
        ws.write_string(3 + i, 1, format!("G{i}")).expect("cell");
    }
    let ws = wb.add_worksheet().set_name("Lists").expect("sheet");
    ws.write_string(0, 0, "Subscribers, as a table").expect("cell");
    for i in 0..3u32 {
        ws.write_string(2 + i, 1, format!("s{i}@example.net")).expect("cell");
        ws.write_string(2 + i, 2, format!("S{i}")).expect("cell");
    }
    let columns: Vec<TableColumn> =
        ["Email", "First Name"].iter().map(|h| TableColumn::new().set_header(*h)).collect();
    ws.add_table(1, 1, 4, 2, &Table::new().set_name("Subscribers").set_columns(&columns)).expect("table");
    let path = dir.path().join("report.xlsx");
    wb.save(&path).expect("save");
    path.display().to_string()
}

#[test]
fn a_header_below_title_rows_and_excel_tables_are_chosen_by_flag() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = report_workbook(&dir);
    let body = write(&dir, "body.html", "<p>Hi {{First Name}}</p>");
    let preview = |extra: &[&str]| {
        run(&[&["preview", data.as_str(), "--subject", "Hello", "--body", body.as_str()], extra].concat())
    };
    // The title is no header: without --header-row the template's column is unknown.
    let o = preview(&["--sheet", "Report"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let o = preview(&["--sheet", "Report", "--header-row", "3"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.lines().count(), 2);
    assert!(out.lines().next().unwrap_or_default().contains("\"row\":4"), "{out}");

    // The Lists sheet's only table is its list by default; --table names it anywhere.
    for args in [&["--sheet", "Lists"][..], &["--table", "subscribers"][..]] {
        let o = preview(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {o:?}");
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(out.lines().count(), 3, "{args:?}: {out}");
        assert!(out.contains("<p>Hi S2</p>"), "{out}");
    }
    let inspected: Value = serde_json::from_slice(&run(&["inspect", data.as_str()]).stdout).expect("JSON");
    assert_eq!(
        inspected["tables"],
        serde_json::json!([{ "name": "Subscribers", "sheet": "Lists", "range": "B2:C5" }])
    );

    assert_fatal(
        &preview(&["--table", "Nope"]),
        "there is no table named \"Nope\" (tables: \"Subscribers\")",
    );
    assert_eq!(preview(&["--header-row", "0"]).status.code(), Some(2));
    assert_eq!(preview(&["--header-row", "3", "--table", "Subscribers"]).status.code(), Some(2));
}

/// A list longer than `preview` holds before it writes (10,000 rows) is previewed as it is
/// read: every row in order, a duplicate found across the hand-over, problems at the end.
#[test]
fn a_list_longer_than_preview_holds_is_previewed_row_by_row() {
    const ROWS: u32 = 10_050;
    let dir = tempfile::tempdir().expect("tmp");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("Long").expect("name");
    for (c, h) in ["Email", "Name"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    for i in 0..ROWS {
        let email = match i + 2 {
            10_030 => "not an address".to_owned(),
            10_040 => "P0@example.com".to_owned(),
            _ => format!("p{i}@example.com"),
        };
        sheet.write_string(i + 1, 0, email).expect("cell");
        sheet.write_string(i + 1, 1, format!("Person {}", i + 2)).expect("cell");
    }
    let data = dir.path().join("long.xlsx");
    book.save(&data).expect("save");
    let body = write(&dir, "body.html", "<p>Dear {{Name}}</p>");
    let o = run(&["preview", data.to_str().expect("utf8"), "--subject", "For {{Name}}", "--body", &body]);
    assert_eq!(o.status.code(), Some(1), "{:?}", stderr_lines(&o));
    let lines: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let rows: Vec<u64> = lines.iter().map(|l| l["row"].as_u64().expect("row")).collect();
    let expected: Vec<u64> = (2..ROWS as u64 + 2).filter(|r| ![10_030, 10_040].contains(r)).collect();
    assert_eq!(rows, expected);
    let last = lines.last().expect("a line");
    assert_eq!(last["subject"], format!("For Person {}", ROWS + 1));
    assert_eq!(last["to"][0], format!("p{}@example.com", ROWS - 1));
    let problems = stderr_lines(&o);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("row 10030") && problems[0].contains("not an address"), "{problems:?}");
    assert!(problems[1].contains("row 10040") && problems[1].contains("already in row 2"), "{problems:?}");
}
