//! The send engine as a state machine: request shapes, Retry-After, and a simulation of
//! thousands of crashes and faults against a model mailbox, in virtual time.

use std::collections::HashMap;

use localmerge_core::send::{
    BodyPart, CampaignId, CampaignSettings, Engine, Entry, HttpResponse, Limits, Method, Mode, Poll,
    ROW_KEY_PROPERTY, Request, RowOutcome, RowStep, Sender, Target, TransportError,
};
use localmerge_core::{Merge, MergeSpec, Message};
use serde_json::{Value, json};

fn messages(n: usize) -> Vec<Message> {
    let mut text = String::from("Email,First Name\n");
    for i in 0..n {
        text.push_str(&format!("p{i}@example.org,N{i}\n"));
    }
    let table = crate::csv(&text);
    let merge =
        Merge::new(&table, &MergeSpec::html("Hi {{First Name}}", "<p>{{First Name}}</p>", "b.html")).unwrap();
    merge.plan(&table).messages
}

fn campaign(sender: Sender) -> CampaignSettings {
    CampaignSettings {
        id: CampaignId::parse("c1").unwrap(),
        sender,
        mode: Mode::Send,
        schedule: None,
        limits: Limits { messages_per_window: 1000, message_window_ms: 1000, ..Limits::default() },
        internal_domains: Vec::new(),
        skipped: Vec::new(),
        replies: Default::default(),
        folder_name: "localmerge test".to_owned(),
        seed: 1,
    }
}

fn body(req: &Request) -> Value {
    let mut bytes = Vec::new();
    for p in &req.spec.body {
        match p {
            BodyPart::Bytes(b) => bytes.extend_from_slice(b),
            other => panic!("unexpected {other:?}"),
        }
    }
    serde_json::from_slice(&bytes).unwrap()
}

fn request(poll: Poll) -> Request {
    match poll {
        Poll::Request(r) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

fn path(req: &Request) -> &str {
    match &req.spec.target {
        Target::Graph(p) => p,
        Target::Upload(u) => panic!("upload {u}"),
    }
}

fn answer(status: u16, body: Value) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse { status, retry_after_ms: None, body: serde_json::to_vec(&body).unwrap() })
}

#[test]
fn drafts_carry_the_row_key_and_campaign_header_and_are_journalled_first() {
    let mut e = Engine::new(campaign(Sender::Me), messages(1), &[]).unwrap();
    let r = request(e.poll(0));
    assert_eq!(r.spec.method, Method::Post);
    assert_eq!(path(&r), "/me/messages");
    assert!(r.spec.headers.contains(&("Prefer".to_owned(), "IdType=\"ImmutableId\"".to_owned())));
    assert_eq!(r.journal[0], Entry::Campaign { id: "c1".to_owned(), sender: None });
    assert!(matches!(&r.journal[1], Entry::Creating { row: 2, .. }), "{:?}", r.journal);
    let b = body(&r);
    assert_eq!(b["subject"], "Hi N0");
    assert_eq!(b["internetMessageHeaders"], json!([{ "name": "X-LocalMerge-Campaign", "value": "c1" }]));
    assert_eq!(b["singleValueExtendedProperties"], json!([{ "id": ROW_KEY_PROPERTY, "value": "c1/2" }]));
    assert!(b.get("from").is_none());

    let entries = e.complete(r.op, answer(201, json!({ "id": "A=/b+c", "isDraft": true })), 10);
    assert_eq!(
        entries,
        [Entry::Drafted { row: 2, id: "A=/b+c".to_owned(), conversation: None, internet_id: None }]
    );
    let send = request(e.poll(10));
    assert_eq!(path(&send), "/me/messages/A%3D%2Fb%2Bc/send");
    assert_eq!(send.journal, [Entry::Sending { row: 2 }]);
    let entries = e.complete(send.op, answer(202, Value::Null), 20);
    assert_eq!(entries, [Entry::Sent { row: 2, at: 20, recipients: 1 }]);
    assert!(matches!(e.poll(20), Poll::Done(s) if s.sent == 1));
}

#[test]
fn a_follow_up_is_a_reply_draft_in_the_originals_conversation_journalled_like_any() {
    let mut settings = campaign(Sender::Me);
    settings.replies.insert(3, "AAMk/orig=".to_owned());
    let mut e = Engine::new(settings, messages(2), &[]).unwrap();
    // Row 2 has no original: a new message; row 3 replies to its original.
    let first = request(e.poll(0));
    assert_eq!(path(&first), "/me/messages");
    let r = request(e.poll(0));
    assert_eq!(path(&r), "/me/messages/AAMk%2Forig%3D/createReply");
    assert!(matches!(&r.journal[..], [Entry::Creating { row: 3, .. }]), "{:?}", r.journal);
    let b = body(&r);
    assert_eq!(b["message"]["subject"], "Hi N1");
    assert_eq!(b["message"]["toRecipients"], json!([{ "emailAddress": { "address": "p1@example.org" } }]));
    assert_eq!(
        b["message"]["singleValueExtendedProperties"],
        json!([{ "id": ROW_KEY_PROPERTY, "value": "c1/3" }])
    );
    let entries = e.complete(
        r.op,
        answer(
            201,
            json!({ "id": "R1", "isDraft": true, "conversationId": "AAQk-1", "internetMessageId": "<r1@x>" }),
        ),
        10,
    );
    assert_eq!(
        entries,
        [Entry::Drafted {
            row: 3,
            id: "R1".into(),
            conversation: Some("AAQk-1".into()),
            internet_id: Some("<r1@x>".into())
        }]
    );
}

#[test]
fn shared_mailboxes_are_addressed_and_set_as_sender() {
    let mut e = Engine::new(campaign(Sender::Shared("Team@x.test".to_owned())), messages(1), &[]).unwrap();
    let r = request(e.poll(0));
    assert_eq!(path(&r), "/users/Team%40x%2Etest/messages");
    assert_eq!(body(&r)["from"], json!({ "emailAddress": { "address": "Team@x.test" } }));
    assert_eq!(r.journal[0], Entry::Campaign { id: "c1".to_owned(), sender: Some("team@x.test".to_owned()) });
}

#[test]
fn an_uncertain_create_is_looked_up_by_its_key_and_reused() {
    let mut e = Engine::new(campaign(Sender::Me), messages(1), &[]).unwrap();
    let r = request(e.poll(0));
    let lost = Err(TransportError { maybe_delivered: true, message: "connection reset".to_owned() });
    assert!(e.complete(r.op, lost, 5).is_empty());
    let find = match e.poll(5) {
        Poll::Wait(t) => request(e.poll(t)),
        other => panic!("{other:?}"),
    };
    assert_eq!(find.spec.method, Method::Get);
    let p = path(&find);
    assert!(p.starts_with("/me/messages?$filter=singleValueExtendedProperties%2FAny%28ep%3A%20ep%2Fid%20eq%20%27String%20%7B"), "{p}");
    assert!(p.contains("ep%2Fvalue%20eq%20%27c1%2F2%27%29"), "{p}");
    let entries =
        e.complete(find.op, answer(200, json!({ "value": [{ "id": "D1", "isDraft": true }] })), 2_000);
    assert_eq!(
        entries,
        [Entry::Drafted { row: 2, id: "D1".to_owned(), conversation: None, internet_id: None }]
    );
    let send = request(e.poll(2_000));
    assert_eq!(path(&send), "/me/messages/D1/send");
}

#[test]
fn retry_after_is_honoured_exactly_and_pauses_the_whole_mailbox() {
    let mut e = Engine::new(campaign(Sender::Me), messages(2), &[]).unwrap();
    let r = request(e.poll(1_000));
    let throttled = Ok(HttpResponse { status: 429, retry_after_ms: Some(7_000), body: Vec::new() });
    e.complete(r.op, throttled, 1_100);
    assert!(matches!(e.poll(1_100), Poll::Wait(8_100)), "nothing before Retry-After");
    assert!(matches!(e.poll(8_099), Poll::Wait(8_100)));
    let again = request(e.poll(8_100));
    assert_eq!(path(&again), "/me/messages", "a refused create is simply repeated (no lookup needed)");
}

#[test]
fn a_journal_of_another_campaign_or_an_edited_row_is_refused() {
    let e = Engine::new(
        campaign(Sender::Me),
        messages(1),
        &[Entry::Campaign { id: "other".to_owned(), sender: None }],
    );
    assert!(e.unwrap_err().to_string().contains("campaign other"));
    let journal = [
        Entry::Campaign { id: "c1".to_owned(), sender: None },
        Entry::Creating { row: 2, fingerprint: "0000000000000000".to_owned(), group: Vec::new() },
    ];
    let e = Engine::new(campaign(Sender::Me), messages(1), &journal);
    assert!(e.unwrap_err().to_string().contains("row 2 changed"));
}

/// A model mailbox: drafts keyed by row, sends, and faults.
#[derive(Default)]
struct Mailbox {
    messages: Vec<(String, String, bool)>, // id, row key, is draft
    deliveries: HashMap<String, usize>,
}

impl Mailbox {
    /// Processes a request; `None` when it took effect but the answer is lost.
    fn handle(&mut self, req: &Request, rng: &mut fastrand::Rng) -> Result<HttpResponse, TransportError> {
        let roll = rng.f64();
        if roll < 0.05 {
            return Ok(HttpResponse {
                status: 429,
                retry_after_ms: Some(rng.u64(0..3_000)),
                body: Vec::new(),
            });
        }
        if roll < 0.10 {
            return Err(TransportError { maybe_delivered: false, message: "refused".to_owned() });
        }
        let p = path(req).to_owned();
        let response = if req.spec.method == Method::Post && p == "/me/messages" {
            let key = body(req)["singleValueExtendedProperties"][0]["value"].as_str().unwrap().to_owned();
            let id = format!("m{}", self.messages.len());
            self.messages.push((id.clone(), key, true));
            answer(201, json!({ "id": id, "isDraft": true }))
        } else if let Some(rest) = p.strip_prefix("/me/messages?$filter=") {
            let filter = percent_decode(rest);
            let key = filter.rsplit("ep/value eq '").next().unwrap().split('\'').next().unwrap().to_owned();
            let found: Vec<Value> = self
                .messages
                .iter()
                .filter(|m| m.1 == key)
                .map(|m| json!({ "id": m.0, "isDraft": m.2 }))
                .collect();
            answer(200, json!({ "value": found }))
        } else if let Some(id) = p.strip_prefix("/me/messages/").and_then(|r| r.strip_suffix("/send")) {
            let m = self.messages.iter_mut().find(|m| m.0 == id).unwrap();
            assert!(m.2, "a sent message was sent again");
            m.2 = false;
            *self.deliveries.entry(m.1.clone()).or_default() += 1;
            answer(202, Value::Null)
        } else if let Some(id) = p.strip_prefix("/me/messages/").and_then(|r| r.split('?').next()) {
            match self.messages.iter().find(|m| m.0 == id) {
                Some(m) => answer(200, json!({ "id": m.0, "isDraft": m.2 })),
                None => answer(404, json!({ "error": { "code": "ErrorItemNotFound" } })),
            }
        } else {
            panic!("unexpected request {p}");
        };
        let roll = rng.f64();
        if req.spec.method == Method::Post && roll < 0.10 {
            return Err(TransportError { maybe_delivered: true, message: "dropped".to_owned() });
        }
        if req.spec.method == Method::Post && roll < 0.15 {
            return answer(504, json!({ "error": { "code": "GatewayTimeout" } }));
        }
        response
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() + 1 {
            out.push(u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Runs a campaign against the model, crashing the sender at random points: requests in
/// flight are lost (processed or not), the engine is rebuilt from the durable journal.
fn simulate(seed: u64, rows: usize) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut mailbox = Mailbox::default();
    let mut journal: Vec<Entry> = Vec::new();
    let mut now = 1_000u64;
    let mut crashes = 0;
    'life: for _life in 0..200 {
        let mut c = campaign(Sender::Me);
        c.seed = rng.u64(..);
        let mut engine =
            Engine::new(c, messages(rows), &journal).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        // The report a resumed campaign gives is the journal's: a row is sent exactly when
        // the journal says so, and the summary counts the same rows.
        let report = engine.report();
        assert_eq!(report.len(), rows);
        for r in &report {
            let journalled = journal.iter().any(|e| matches!(e, Entry::Sent { row, .. } if *row == r.row));
            assert_eq!(
                r.outcome == RowOutcome::Sent,
                journalled,
                "seed {seed}: row {}: {:?}",
                r.row,
                r.outcome
            );
            assert!(!matches!(r.outcome, RowOutcome::Failed(_)), "seed {seed}: row {} failed", r.row);
        }
        let sent = report.iter().filter(|r| r.outcome == RowOutcome::Sent).count();
        assert_eq!(engine.summary().sent, sent, "seed {seed}");
        let mut in_flight: Vec<Request> = Vec::new();
        loop {
            // Fill up, then complete one request in random order, sometimes crashing.
            loop {
                match engine.poll(now) {
                    Poll::Request(r) => {
                        journal.extend(r.journal.iter().cloned());
                        in_flight.push(r);
                    }
                    Poll::Wait(t) if in_flight.is_empty() => now = t,
                    Poll::Wait(_) | Poll::Busy => break,
                    Poll::Done(s) => {
                        assert_eq!(s.sent, rows, "seed {seed}: {s:?}");
                        assert!(engine.report().iter().all(|r| r.outcome == RowOutcome::Sent), "seed {seed}");
                        break 'life;
                    }
                    Poll::Stopped(s) => panic!("seed {seed}: stopped {s:?}"),
                }
            }
            assert!(in_flight.len() <= 4, "never more than 4 requests in flight");
            if crashes < 8 && rng.f64() < 0.08 {
                // The process dies: each request in flight reached Graph, or not.
                crashes += 1;
                for r in in_flight.drain(..) {
                    if rng.bool() {
                        let _ = mailbox.handle(&r, &mut rng);
                    }
                }
                continue 'life;
            }
            let r = in_flight.swap_remove(rng.usize(0..in_flight.len()));
            now += rng.u64(1..50);
            let result = mailbox.handle(&r, &mut rng);
            journal.extend(engine.complete(r.op, result, now));
        }
    }
    for i in 0..rows {
        let key = format!("c1/{}", i + 2);
        assert_eq!(mailbox.deliveries.get(&key), Some(&1), "seed {seed}: {key}: {:?}", mailbox.deliveries);
    }
    assert!(mailbox.messages.iter().all(|m| !m.2), "seed {seed}: no draft left behind");
    let sent = journal.iter().filter(|e| matches!(e, Entry::Sent { .. })).count();
    assert_eq!(sent, rows, "seed {seed}: the journal has one sent entry per row");
}

#[test]
fn each_row_entry_names_its_row_and_step() {
    let cases = [
        (Entry::Campaign { id: "c1".into(), sender: None }, None),
        (Entry::Folder { id: "f".into() }, None),
        (
            Entry::Creating { row: 2, fingerprint: "x".into(), group: Vec::new() },
            Some((2, RowStep::Drafting)),
        ),
        (
            Entry::Drafted { row: 3, id: "d".into(), conversation: None, internet_id: None },
            Some((3, RowStep::Drafted)),
        ),
        (Entry::Attached { row: 4, index: 0 }, Some((4, RowStep::Drafting))),
        (Entry::Sending { row: 5 }, Some((5, RowStep::Sending))),
        (Entry::Sent { row: 6, at: 1, recipients: 1 }, Some((6, RowStep::Sent))),
        (Entry::Failed { row: 7, reason: "no".into() }, Some((7, RowStep::Failed))),
    ];
    for (entry, step) in cases {
        assert_eq!(entry.row_step(), step, "{entry:?}");
    }
}

#[test]
fn thousands_of_crashes_and_faults_in_virtual_time_deliver_each_row_exactly_once() {
    for seed in 0..400 {
        simulate(seed, 12);
    }
}

#[test]
fn thirty_thousand_recipients_two_fifths_external_are_planned_and_released_over_three_days() {
    use localmerge_core::budget::forecast;
    let mut text = String::from("Email\n");
    for i in 0..30_000 {
        let domain = if i % 5 < 2 { "example.org" } else { "contoso.com" };
        text.push_str(&format!("p{i}@{domain}\n"));
    }
    let table = crate::csv(&text);
    let merge = Merge::new(&table, &MergeSpec::html("Hi", "<p>Hello</p>", "b.html")).unwrap();
    let messages = merge.plan(&table).messages;
    let domains = vec!["contoso.com".to_owned()];
    let limits = Limits::default();
    let f = forecast(&messages, &limits, &domains, 0);
    assert_eq!((f.recipients, f.external, f.days), (30_000, 12_000, 3), "{f:?}");
    // Scheduled, the campaign's messages are released at the pace and within both budgets
    // of every rolling day: no refusal from Exchange, no bounce from the tenant's limit.
    let releases = localmerge_core::send::release_plan(&limits, 0, &messages, &domains);
    let day = limits.recipient_window_ms;
    let external: Vec<u64> =
        messages.iter().map(|m| u64::from(m.to[0].address.ends_with("@example.org"))).collect();
    let (mut start, mut all, mut ext) = (0usize, 0u64, 0u64);
    for (i, at) in releases.iter().enumerate() {
        assert!(i == 0 || releases[i - 1] <= *at, "in order");
        all += 1;
        ext += external[i];
        while releases[start] + day <= *at {
            all -= 1;
            ext -= external[start];
            start += 1;
        }
        assert!(
            all <= 10_000 && ext <= 10_000,
            "message {i} at {at}: {all} recipients, {ext} external in a day"
        );
    }
    let last = *releases.last().unwrap();
    assert!(last >= 2 * day && last < 3 * day, "the last release on the third day: {last}");
    assert!(f.finish_at >= 2 * day && f.finish_at < 3 * day, "the forecast says so too: {}", f.finish_at);
}

#[test]
fn the_report_gives_every_row_of_a_grouped_message_its_standing() {
    let table = crate::csv("Email,Item\na@example.org,1\nb@example.org,2\na@example.org,3\n");
    let mut spec = MergeSpec::html("Hi", "{{#each rows}}{{Item}}{{/each}}", "b.html");
    spec.group_by = Some("Email".to_owned());
    let messages = Merge::new(&table, &spec).unwrap().plan(&table).messages;
    let mut e = Engine::new(campaign(Sender::Me), messages, &[]).unwrap();
    let r = request(e.poll(0));
    assert!(
        matches!(&r.journal[1], Entry::Creating { row: 2, group, .. } if group == &[4]),
        "{:?}",
        r.journal
    );
    let rows: Vec<(u32, RowOutcome)> = e.report().into_iter().map(|r| (r.row, r.outcome)).collect();
    assert_eq!(rows, [(2, RowOutcome::Pending), (4, RowOutcome::Pending), (3, RowOutcome::Pending)]);
}
