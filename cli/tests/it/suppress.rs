//! The do-not-contact list: kept with `localmerge suppress`, in the user's configuration
//! folder or a named file, and checked by `preview` and `send` before every campaign.

use localmerge_graph_sandbox::{Config, Limits, Sandbox};
use serde_json::Value;

use super::localmerge_in as localmerge;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn entries_are_added_listed_and_removed_in_a_file_a_person_can_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("list.txt");
    let f = file.to_str().expect("utf8");
    let o = localmerge(dir.path(), &["suppress", "--suppress", f, "add", "Ada@Example.org", "@bounce.test"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(text(&o.stderr).contains("2 added, 2 listed"), "{o:?}");
    let o = localmerge(dir.path(), &["suppress", "add", "ada@example.org", "--suppress", f]);
    assert!(text(&o.stderr).contains("0 added, 2 listed"), "{o:?}");
    let o = localmerge(dir.path(), &["suppress", "list", "--suppress", f]);
    assert_eq!(text(&o.stdout), "ada@example.org\n@bounce.test\n");
    assert!(std::fs::read_to_string(&file).expect("file").starts_with("# localmerge's do-not-contact list"));
    // A bad entry changes nothing and is named.
    let o = localmerge(dir.path(), &["suppress", "--suppress", f, "add", "ok@x.org", "Team <t@x.org>"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(text(&o.stderr).contains("\"Team <t@x.org>\" is neither an email address nor @domain"), "{o:?}");
    let o = localmerge(dir.path(), &["suppress", "--suppress", f, "remove", "@BOUNCE.test"]);
    assert!(text(&o.stderr).contains("1 removed, 1 listed"), "{o:?}");
    // Without --suppress: the configuration folder's list.
    localmerge(dir.path(), &["suppress", "add", "eve@x.org"]);
    assert!(dir.path().join("localmerge/suppress.txt").is_file());
    assert_eq!(text(&localmerge(dir.path(), &["suppress", "list"]).stdout), "eve@x.org\n");
    // A named list that does not exist is a mistake for preview; a line it cannot read too.
    std::fs::write(dir.path().join("bad.txt"), "ok@x.org\nnobody\n").expect("write");
    let csv = dir.path().join("people.csv");
    std::fs::write(&csv, "Email\na@x.org\n").expect("write");
    let body = dir.path().join("b.html");
    std::fs::write(&body, "x").expect("write");
    let (csv, body) = (csv.to_str().expect("utf8"), body.to_str().expect("utf8"));
    let preview = ["preview", csv, "--subject", "s", "--body", body, "--suppress"];
    let o = localmerge(dir.path(), &[&preview[..], &["missing.txt"]].concat());
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let o = localmerge(
        dir.path(),
        &[&preview[..], &[dir.path().join("bad.txt").to_str().expect("utf8")]].concat(),
    );
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(text(&o.stderr).contains("line 2: \"nobody\""), "{o:?}");
}

#[test]
fn listed_recipients_are_left_out_of_preview_and_send_with_the_entry_that_matched() {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = dir.path().join("people.csv");
    std::fs::write(&csv, "Email,Name\nann@example.org,Ann\nbob@bounce.test,Bob\ncy@example.org,Cy\n")
        .expect("write");
    let body = dir.path().join("b.html");
    std::fs::write(&body, "<p>Hi {{Name}}</p>").expect("write");
    let (csv, body) = (csv.to_str().expect("utf8"), body.to_str().expect("utf8"));
    localmerge(dir.path(), &["suppress", "add", "CY@example.org", "@bounce.test"]);

    let o = localmerge(dir.path(), &["preview", csv, "--subject", "Hi", "--body", body]);
    assert_eq!(o.status.code(), Some(0), "a listed recipient is not a problem: {o:?}");
    let rows: Vec<u64> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON")["row"].as_u64().expect("row"))
        .collect();
    assert_eq!(rows, [2]);
    let err = text(&o.stderr);
    assert!(
        err.contains("row 3: skipped: bob@bounce.test is on the do-not-contact list (@bounce.test)"),
        "{err}"
    );
    assert!(err.contains("row 4: skipped: cy@example.org is on the do-not-contact list"), "{err}");

    let limits = Limits { messages_per_window: 1000, ..Limits::default() };
    let sb = Sandbox::start(Config { limits, ..Config::default() }).expect("sandbox");
    let journal = dir.path().join("c.jsonl");
    let o = localmerge(
        dir.path(),
        &[
            "send",
            csv,
            "--subject",
            "Hi",
            "--body",
            body,
            "--journal",
            journal.to_str().expect("utf8"),
            "--graph-url",
            &sb.url(),
            "--rate",
            "1000",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let to: Vec<String> = sb.deliveries().iter().map(|d| d.to[0].clone()).collect();
    assert_eq!(to, ["ann@example.org"]);
    let summary: Value =
        serde_json::from_str(text(&o.stdout).lines().last().expect("summary")).expect("JSON");
    assert_eq!(summary["skipped"][0]["row"], 3);
    assert_eq!(summary["skipped"][1]["reason"], "cy@example.org is on the do-not-contact list");
}
