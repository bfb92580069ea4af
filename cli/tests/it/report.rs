//! `localmerge report`: the list with each row's outcome, read back by localmerge's own
//! reader and by openpyxl (Python's reference reader of xlsx), and as CSV.

use std::process::Command;

use localmerge_core::{Value, Workbook};
use localmerge_graph_sandbox::{Config, Limits, Sandbox};
use rust_xlsxwriter::{Format, Workbook as Writer};

use super::localmerge_in as localmerge;

/// Four customers: one sent, one with a bad address (skipped), one on the do-not-contact
/// list (skipped), one whose name is a formula-looking text.
/// A text cell's text ("" for any other value).
fn text(v: &Value) -> &str {
    match v {
        Value::Text(t) => t,
        _ => "",
    }
}

fn workbook(path: &std::path::Path) {
    let mut book = Writer::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Customers").expect("name");
    let money = Format::new().set_num_format("#,##0.00");
    let day = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in ["Email", "Name", "Amount", "Due"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    let rows = [
        ("ann@example.org", "Ann", 1234.5, 46_000.0),
        ("not-an-address", "Bob", 2.0, 46_001.0),
        ("cy@example.org", "=HYPERLINK(\"x\")", 3.25, 46_002.0),
        ("dee@blocked.test", "Dee", 4.0, 46_003.0),
    ];
    for (r, (email, name, amount, due)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, *email).expect("cell");
        sheet.write_string(r, 1, *name).expect("cell");
        sheet.write_number_with_format(r, 2, *amount, &money).expect("cell");
        sheet.write_number_with_format(r, 3, *due, &day).expect("cell");
    }
    book.save(path).expect("save");
}

#[test]
fn the_report_is_the_list_with_each_rows_outcome_as_a_workbook_and_as_csv() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = |name: &str| dir.path().join(name).to_str().expect("utf8").to_owned();
    let data = p("customers.xlsx");
    workbook(std::path::Path::new(&data));
    let original = std::fs::read(&data).expect("read");
    std::fs::write(p("body.html"), "<p>Dear {{Name}}</p>").expect("write");
    std::fs::write(p("blocked.txt"), "@blocked.test\n").expect("write");
    let sb = Sandbox::start(Config {
        limits: Limits { messages_per_window: 1000, ..Limits::default() },
        ..Config::default()
    })
    .expect("sandbox");
    let o = localmerge(
        dir.path(),
        &[
            "send",
            &data,
            "--subject",
            "Hi",
            "--body",
            &p("body.html"),
            "--journal",
            &p("c.jsonl"),
            "--graph-url",
            &sb.url(),
            "--rate",
            "1000",
            "--skip-invalid",
            "--suppress",
            &p("blocked.txt"),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(sb.deliveries().len(), 2);

    let o =
        localmerge(dir.path(), &["report", &data, "--journal", &p("c.jsonl"), "--out", &p("report.xlsx")]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(std::fs::read(&data).expect("read"), original, "the list is never touched");

    // Read back by localmerge's reader: the columns, the statuses, dates as dates, formats kept.
    let mut report = Workbook::open(std::fs::read(p("report.xlsx")).expect("report")).expect("xlsx");
    let t = report.read(None).expect("table");
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Email", "Name", "Amount", "Due", "Status", "Sent at", "Message id", "Reason"]);
    let status: Vec<String> = t.rows.iter().map(|r| text(&r.values[4]).to_owned()).collect();
    assert_eq!(status, ["sent", "skipped", "sent", "skipped"]);
    assert!(matches!(t.rows[0].values[5], Value::Date(_)), "{:?}", t.rows[0].values[5]);
    assert!(matches!(t.rows[0].values[3], Value::Date(_)), "the due date stays a date");
    assert!(matches!(t.rows[1].values[5], Value::Empty));
    assert!(text(&t.rows[0].values[6]).starts_with("AAMk"), "{:?}", t.rows[0].values[6]);
    assert!(text(&t.rows[1].values[7]).contains("not-an-address"), "{:?}", t.rows[1].values[7]);
    assert!(text(&t.rows[3].values[7]).contains("do-not-contact list (@blocked.test)"));
    let shown = localmerge_core::format::CellText::of_table(&t, localmerge_core::format::Locale::en_us());
    let mut amount = String::new();
    shown.write(&t.rows[0].values[2], t.rows[0].style(2), &mut amount);
    assert_eq!(amount, "1,234.50", "the amount keeps its number format");

    // Read back by openpyxl, when it is installed (CI installs it).
    let script = r#"
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1]).active
rows = list(ws.iter_rows(values_only=False))
print(json.dumps({
  "title": ws.title,
  "header": [c.value for c in rows[0]],
  "status": [r[4].value for r in rows[1:]],
  "sent_is_date": rows[1][5].is_date, "sent_type": type(rows[1][5].value).__name__,
  "amount_format": rows[1][2].number_format, "amount": rows[1][2].value,
  "due_is_date": rows[1][3].is_date,
}))
"#;
    match Command::new("python3").args(["-c", script, &p("report.xlsx")]).output() {
        Ok(o) if o.status.success() => {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
            assert_eq!(v["title"], "Customers");
            assert_eq!(v["status"], serde_json::json!(["sent", "skipped", "sent", "skipped"]));
            assert_eq!(
                (&v["sent_is_date"], &v["sent_type"]),
                (&serde_json::json!(true), &serde_json::json!("datetime")),
                "{v}"
            );
            assert_eq!(
                (&v["amount_format"], &v["amount"]),
                (&serde_json::json!("#,##0.00"), &serde_json::json!(1234.5))
            );
            assert_eq!(v["due_is_date"], true);
        }
        other => {
            assert!(std::env::var_os("CI").is_none(), "CI must have openpyxl: {other:?}");
            eprintln!("openpyxl is not installed: the report was not read back by it (pip install openpyxl)");
        }
    }

    // CSV: the text the merge shows, formulas made inert.
    let o = localmerge(
        dir.path(),
        &["report", &data, "--journal", &p("c.jsonl"), "--out", &p("report.csv"), "--locale", "en-US"],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let csv = std::fs::read_to_string(p("report.csv")).expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "Email,Name,Amount,Due,Status,Sent at,Message id,Reason");
    assert!(lines[1].starts_with("ann@example.org,Ann,\"1,234.50\",2025-12-09,sent,20"), "{}", lines[1]);
    assert!(lines[3].contains("'=HYPERLINK"), "{}", lines[3]);

    // Never over the list itself; only .xlsx or .csv.
    let o = localmerge(dir.path(), &["report", &data, "--journal", &p("c.jsonl"), "--out", &data]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert_eq!(std::fs::read(&data).expect("read"), original);
    let o = localmerge(dir.path(), &["report", &data, "--journal", &p("c.jsonl"), "--out", &p("r.pdf")]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
}

#[test]
fn every_row_of_a_grouped_message_gets_its_status() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = |name: &str| dir.path().join(name).to_str().expect("utf8").to_owned();
    std::fs::write(p("lines.csv"), "Email,Item\nann@example.org,a\nbob@example.org,b\nann@example.org,c\n")
        .expect("write");
    std::fs::write(p("body.html"), "{{#each rows}}{{Item}} {{/each}}").expect("write");
    std::fs::write(p("dnc.txt"), "").expect("write");
    let sb = Sandbox::start(Config::default()).expect("sandbox");
    let send = [
        "send",
        &p("lines.csv"),
        "--subject",
        "Hi",
        "--body",
        &p("body.html"),
        "--group-by",
        "Email",
        "--journal",
        &p("c.jsonl"),
        "--graph-url",
        &sb.url(),
        "--rate",
        "1000",
        "--suppress",
        &p("dnc.txt"),
    ];
    let o = localmerge(dir.path(), &send);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(sb.deliveries().len(), 2);
    let o = localmerge(
        dir.path(),
        &["report", &p("lines.csv"), "--journal", &p("c.jsonl"), "--out", &p("r.csv")],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let report = std::fs::read_to_string(p("r.csv")).expect("report");
    let status: Vec<&str> = report.lines().skip(1).map(|l| l.split(',').nth(2).expect("status")).collect();
    assert_eq!(status, ["sent", "sent", "sent"], "{report}");
}
