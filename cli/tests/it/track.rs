//! After the send: `{{unsubscribe}}` links, and `localmerge track` reading replies,
//! non-delivery reports and unsubscribe requests from the sending mailbox's Inbox into the
//! journal, the report and the do-not-contact list.

use localmerge_graph_sandbox::{Config, DEFAULT_USER, Incoming, Limits, Sandbox};
use serde_json::Value;

use super::localmerge_in as localmerge;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn replies_bounces_and_unsubscribes_come_back_into_the_journal_the_report_and_the_list() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = |name: &str| dir.path().join(name).to_str().expect("utf8").to_owned();
    std::fs::write(
        p("people.csv"),
        "Email,Name\nann@example.org,Ann\nghost@example.org,Ghost\ncy@example.org,Cy\ndee@example.org,Dee\n",
    )
    .expect("write");
    std::fs::write(p("body.html"), "<p>Hi {{Name}}</p><p>{{unsubscribe \"No more, thanks\"}}</p>")
        .expect("write");
    let sb = Sandbox::start(Config {
        limits: Limits { messages_per_window: 1000, ..Limits::default() },
        bounce: vec!["ghost@example.org".into()],
        ..Config::default()
    })
    .expect("sandbox");
    let list = p("dnc.txt");
    std::fs::write(&list, "# our do-not-contact list\n").expect("write");
    let merge = ["people.csv", "--subject", "Hi {{Name}}", "--body", "body.html"]
        .map(|a| if a.contains('.') && !a.contains(' ') { p(a) } else { a.to_owned() });

    // Preview links to a stand-in address, naming no campaign yet.
    let o = localmerge(dir.path(), &[&["preview"], &merge.each_ref().map(String::as_str)[..]].concat());
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let first: Value = serde_json::from_str(text(&o.stdout).lines().next().expect("line")).expect("json");
    assert!(
        first["html"].as_str().expect("html").contains(
            "<a href=\"mailto:you@example.invalid?subject=Unsubscribe%20%5Bpreview%2F2%5D\">No more, thanks</a>"
        ),
        "{first}"
    );

    // Sent: each message links to the user's own mailbox with the journal's campaign and its row.
    let mut send = vec!["send".to_owned()];
    send.extend(merge.iter().cloned());
    send.extend(
        ["--journal", &p("c.jsonl"), "--graph-url", &sb.url(), "--rate", "1000", "--suppress", &list]
            .map(str::to_owned),
    );
    let send: Vec<&str> = send.iter().map(String::as_str).collect();
    let o = localmerge(dir.path(), &send);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let journal = std::fs::read_to_string(p("c.jsonl")).expect("journal");
    let campaign: Value = serde_json::from_str(journal.lines().next().expect("first")).expect("json");
    let campaign = campaign["id"].as_str().expect("id").to_owned();
    let deliveries = sb.deliveries();
    assert_eq!(deliveries.len(), 4);
    let by = |who: &str| deliveries.iter().find(|d| d.to == [who]).expect(who).clone();
    let expected = format!("mailto:{DEFAULT_USER}?subject=Unsubscribe%20%5B{campaign}%2F4%5D");
    assert!(by("cy@example.org").body.contains(&expected), "{}", by("cy@example.org").body);
    assert!(journal.contains("\"conversation\":\"AAQk"), "drafts journal their conversation");
    assert_eq!(sb.stats().bounces, 1, "the sandbox bounced ghost@");

    // What comes back: Cy replies, Dee is out of office, Ann follows the link, and a
    // stranger writes about something else.
    sb.receive(
        DEFAULT_USER,
        &Incoming {
            from: "cy@example.org".into(),
            subject: "RE: Hi Cy".into(),
            body: "Thanks!".into(),
            reply_to: Some(by("cy@example.org").id),
            class: None,
            ..Incoming::default()
        },
    )
    .expect("reply");
    sb.receive(
        DEFAULT_USER,
        &Incoming {
            from: "dee@example.org".into(),
            subject: "Automatic reply: Hi Dee".into(),
            body: "Away".into(),
            reply_to: Some(by("dee@example.org").id),
            class: Some("IPM.Note.Rules.OofTemplate.Microsoft".into()),
            ..Incoming::default()
        },
    )
    .expect("oof");
    sb.receive(
        DEFAULT_USER,
        &Incoming {
            from: "Ann@Example.org".into(),
            subject: format!("Unsubscribe [{campaign}/2]"),
            body: String::new(),
            reply_to: None,
            class: None,
            ..Incoming::default()
        },
    )
    .expect("unsubscribe");
    sb.receive(
        DEFAULT_USER,
        &Incoming { from: "x@y.org".into(), subject: "Lunch?".into(), ..Incoming::default() },
    )
    .expect("other");

    let track = ["track", "--journal", &p("c.jsonl"), "--graph-url", &sb.url(), "--suppress", &list];
    let o = localmerge(dir.path(), &track);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let checked: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(
        checked,
        serde_json::json!({"campaign": campaign, "sent": 4, "replied": 1, "bounced": 1, "unsubscribed": 1, "listed": 1})
    );
    assert_eq!(
        std::fs::read_to_string(&list)
            .expect("list")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>(),
        ["ann@example.org"]
    );
    // Checking again finds nothing new and writes nothing.
    let before = std::fs::read(p("c.jsonl")).expect("journal");
    let o = localmerge(dir.path(), &track);
    let again: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(
        (again["replied"].as_u64(), again["bounced"].as_u64(), again["listed"].as_u64()),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!(std::fs::read(p("c.jsonl")).expect("journal"), before);

    // The report shows each row's response.
    let o = localmerge(
        dir.path(),
        &["report", &p("people.csv"), "--journal", &p("c.jsonl"), "--out", &p("report.csv")],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let report = std::fs::read_to_string(p("report.csv")).expect("report");
    let status: Vec<&str> = report.lines().skip(1).map(|l| l.split(',').nth(2).expect("status")).collect();
    assert_eq!(status, ["unsubscribed", "bounced", "replied", "sent"], "{report}");

    // The next campaign leaves Ann out.
    let o = localmerge(
        dir.path(),
        &[&["preview"], &merge.each_ref().map(String::as_str)[..], &["--suppress", &list]].concat(),
    );
    assert!(
        text(&o.stderr).contains("row 2: skipped: ann@example.org is on the do-not-contact list"),
        "{o:?}"
    );
    assert!(sb.stats().violations.is_empty(), "{:?}", sb.stats().violations);
}

#[test]
fn track_says_what_it_cannot_do() {
    let dir = tempfile::tempdir().expect("tmp");
    let journal = dir.path().join("c.jsonl");
    std::fs::write(&journal, "{\"event\":\"campaign\",\"id\":\"c1\"}\n").expect("write");
    let sb = Sandbox::start(Config::default()).expect("sandbox");
    let o = localmerge(
        dir.path(),
        &["track", "--journal", journal.to_str().expect("utf8"), "--graph-url", &sb.url()],
    );
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(text(&o.stderr).contains("nothing of this campaign was sent yet"), "{o:?}");
    // A follow-up leaves from the first campaign's mailbox, and has a journal of its own.
    std::fs::write(dir.path().join("p.csv"), "Email\na@example.org\n").expect("write");
    std::fs::write(dir.path().join("b.html"), "x").expect("write");
    let p = |n: &str| dir.path().join(n).to_str().expect("utf8").to_owned();
    let url = sb.url();
    let followup = |extra: &[&str]| {
        let mut args =
            vec!["followup", "p.csv", "--subject", "s", "--body", "b.html", "--journal", "c.jsonl"];
        args.extend_from_slice(extra);
        let args: Vec<String> =
            args.iter().map(|a| if a.contains('.') { p(a) } else { (*a).to_owned() }).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).chain(["--graph-url", url.as_str()]).collect();
        localmerge(dir.path(), &args)
    };
    let o = followup(&["--journal-out", "f.jsonl", "--from", "team@sandbox.localmerge.test"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(
        text(&o.stderr).contains("sent from the first campaign's mailbox (your own: leave out --from)"),
        "{o:?}"
    );
    let o = followup(&["--journal-out", "c.jsonl"]);
    assert!(text(&o.stderr).contains("needs a journal of its own"), "{o:?}");
}
