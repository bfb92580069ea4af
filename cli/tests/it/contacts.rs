//! Outlook contacts as DATA (`contacts:`, `contacts:ADDRESS`), read from the Graph sandbox:
//! every page, categories, folders, a shared mailbox's, and sending to them.

use std::process::{Command, Output};

use localmerge_graph_sandbox::{Config, Contact, DEFAULT_USER, Limits, Sandbox};
use serde_json::{Value, json};

const SHARED: &str = "team@sandbox.localmerge.test";

fn contact(mailbox: &str, folder: Option<&str>, resource: Value) -> Contact {
    Contact { mailbox: mailbox.to_owned(), folder: folder.map(str::to_owned), resource }
}

/// 23 contacts of the user's own (the odd ones customers, one of them without an address),
/// 3 in a "Newsletter" folder, 2 in the shared mailbox; pages of at most 10.
fn sandbox() -> Sandbox {
    let mut contacts = Vec::new();
    for i in 0..23 {
        let category = if i % 2 == 1 { "Customers" } else { "Partners" };
        let emails = if i == 5 {
            json!([])
        } else {
            json!([{ "name": format!("P{i}"), "address": format!("p{i}@example.org") }])
        };
        contacts.push(contact(
            DEFAULT_USER,
            None,
            json!({ "givenName": format!("Given{i}"), "surname": format!("Sur{i}"), "emailAddresses": emails,
                    "categories": [category], "birthday": "1906-12-09T11:59:00Z",
                    "businessAddress": { "city": "Vallorbe", "countryOrRegion": "Switzerland" } }),
        ));
    }
    for i in 0..3 {
        contacts.push(contact(
            DEFAULT_USER,
            Some("Newsletter"),
            json!({ "givenName": format!("Reader{i}"), "emailAddresses": [{ "address": format!("r{i}@example.net") }] }),
        ));
    }
    for i in 0..2 {
        contacts.push(contact(
            SHARED,
            None,
            json!({ "givenName": format!("Team{i}"), "emailAddresses": [{ "address": format!("t{i}@example.com") }] }),
        ));
    }
    let limits = Limits { messages_per_window: 1000, ..Limits::default() };
    Sandbox::start(Config { contacts, max_page: 10, limits, ..Config::default() }).expect("sandbox")
}

fn localmerge(sb: &Sandbox, args: &[&str]) -> Output {
    crate::with_graph(sb, args)
}

fn inspect(sb: &Sandbox, args: &[&str]) -> Value {
    let o = localmerge(sb, &[&["inspect"], args].concat());
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    serde_json::from_slice(&o.stdout).expect("JSON")
}

#[test]
fn contacts_are_read_from_every_page_by_category_folder_and_mailbox() {
    let sb = sandbox();
    let all = inspect(&sb, &["contacts:"]);
    assert_eq!(all["format"], "contacts");
    assert_eq!(all["rows"], 23, "three pages of at most 10, all followed: {all}");
    assert_eq!(all["to"], "Email");
    let names: Vec<&str> =
        all["columns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, localmerge_core::contacts::COLUMNS);
    assert_eq!(all["columns"][14]["type"], "datetime", "a birthday is a date");

    assert_eq!(inspect(&sb, &["contacts:", "--category", "customers"])["rows"], 11);
    assert_eq!(inspect(&sb, &["contacts:", "--category", "Customers", "--category", "Partners"])["rows"], 23);
    assert_eq!(inspect(&sb, &["contacts:", "--contact-folder", "newsletter"])["rows"], 3);
    let shared = inspect(&sb, &[&format!("contacts:{SHARED}")]);
    assert_eq!(
        (shared["rows"].as_u64(), shared["sheet"].as_str()),
        (Some(2), Some("contacts:team@sandbox.localmerge.test"))
    );

    // Mistakes are named: a folder that does not exist, contact options on a file, a
    // mailbox the user may not read, a bad address, no token.
    let o = localmerge(&sb, &["inspect", "contacts:", "--contact-folder", "Nobody"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no contact folder is named \"Nobody\" (folders: Newsletter)"), "{err}");
    let o = localmerge(&sb, &["inspect", "list.csv", "--category", "VIP"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--category and --contact-folder are for DATA contacts:")
    );
    let o = localmerge(&sb, &["inspect", "contacts:nobody@sandbox.localmerge.test"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("(404)"), "{o:?}");
    let o = localmerge(&sb, &["inspect", "contacts:Team <team@x.org>"]);
    assert_eq!(o.status.code(), Some(2));
    let o = Command::new(env!("CARGO_BIN_EXE_localmerge"))
        .args(["inspect", "contacts:", "--graph-url", &sb.url()])
        .env_remove("LOCALMERGE_GRAPH_TOKEN")
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no Microsoft Graph token"));
}

#[test]
fn contacts_preview_with_the_usual_checks_and_send_exactly_once() {
    let sb = sandbox();
    let dir = tempfile::tempdir().expect("tmp");
    let body = dir.path().join("body.html");
    std::fs::write(&body, "<p>Dear {{First Name}} of {{City}}, born {{Birthday}}</p>").expect("write");
    let body = body.to_str().expect("utf8");
    let merge =
        ["--subject", "Hello {{First Name}}", "--body", body, "--locale", "en-GB", "--category", "Customers"];
    let o = localmerge(&sb, &[&["preview", "contacts:"], &merge[..]].concat());
    // The customer without an address is a problem row (the third customer: row 4), said
    // with its row and column; the others render.
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("row 4: column \"Email\" (D): no email address"), "{err}");
    let lines: Vec<Value> =
        String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(lines.len(), 10);
    assert_eq!(lines[0]["to"], json!(["p1@example.org"]));
    assert_eq!(lines[0]["html"], "<p>Dear Given1 of Vallorbe, born 09/12/1906</p>");

    let journal = dir.path().join("c.jsonl");
    let journal = journal.to_str().expect("utf8");
    let send =
        [&["send", "contacts:"], &merge[..], &["--journal", journal, "--skip-invalid", "--rate", "1000"]]
            .concat();
    let o = localmerge(&sb, &send);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let again = localmerge(&sb, &send);
    assert_eq!(again.status.code(), Some(0), "{again:?}");
    let mut to: Vec<String> = sb.deliveries().iter().map(|d| d.to[0].clone()).collect();
    to.sort();
    let mut want: Vec<String> =
        (1..23).step_by(2).filter(|i| *i != 5).map(|i| format!("p{i}@example.org")).collect();
    want.sort();
    assert_eq!(to, want, "every customer with an address once, across two runs");
}
