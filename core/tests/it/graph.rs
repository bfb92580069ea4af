//! Graph payloads against the JSON shape Graph documents for `POST /me/sendMail`.

use serde_json::json;

use crate::csv;
use localmerge_core::{Merge, MergeSpec};

#[test]
fn send_mail_request_matches_graphs_documented_shape() {
    let t =
        csv("Email,CC,Name\n\"\"\"Doe, Jane\"\" <jane@x.org>\",boss@x.org; hr@x.org,Jane\nbob@y.com,,Bob\n");
    let p = Merge::new(&t, &MergeSpec::html("Hi {{Name}}", "<p>{{Name}}</p>", "b")).expect("merge").plan(&t);
    let first = serde_json::to_value(p.messages[0].send_mail_request()).expect("json");
    assert_eq!(
        first,
        json!({
            "message": {
                "subject": "Hi Jane",
                "body": { "contentType": "HTML", "content": "<p>Jane</p>" },
                "toRecipients": [ { "emailAddress": { "address": "jane@x.org", "name": "Doe, Jane" } } ],
                "ccRecipients": [
                    { "emailAddress": { "address": "boss@x.org" } },
                    { "emailAddress": { "address": "hr@x.org" } }
                ]
            },
            "saveToSentItems": true
        })
    );
    // No empty arrays: Graph rejects some, and they say nothing.
    let second = serde_json::to_value(p.messages[1].send_mail_request()).expect("json");
    assert!(second["message"].get("ccRecipients").is_none());
    assert!(second["message"].get("bccRecipients").is_none());
    // The types read Graph's own JSON back (e.g. a message fetched from Drafts).
    let back: localmerge_core::graph::SendMailRequest = serde_json::from_value(first).expect("round trip");
    assert_eq!(back, p.messages[0].send_mail_request());
}
