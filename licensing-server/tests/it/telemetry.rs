//! `POST /v1/telemetry` and the organisation's switch: anonymous daily sums, and nothing a
//! client writes outside the server's lists is ever stored.

use reqwest::header::COOKIE;
use serde_json::{Value, json};

use crate::harness::*;
use crate::web::{csrf, no_redirects, page, session_of, sign_in, web_server_on};

fn today() -> String {
    jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
}

async fn post(s: &Server, body: &Value, token: Option<&str>) -> u16 {
    s.call(reqwest::Method::POST, "/v1/telemetry", token, Some(body.clone())).await.0
}

/// Every text the database files hold, as bytes (the WAL too): where a leak would be.
fn database_bytes(s: &Server) -> Vec<u8> {
    let db = s._dir.as_ref().unwrap().path().join("licensing.db");
    [std::fs::read(&db).unwrap(), std::fs::read(db.with_extension("db-wal")).unwrap_or_default()].concat()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_become_daily_sums_with_no_one_in_them() {
    for db in backends() {
        let s = server(db).await;
        let day = today();
        let report = json!({
            "day": day, "version": "0.1.0", "platform": "OfficeOnline",
            "counts": {"campaigns_started": 1, "campaigns_finished": 1, "messages_sent": 12},
            "errors": [{"kind": "graph_throttled", "location": "send", "count": 2}]
        });
        // No token is needed; one given is not read (a report is the same whoever sends it).
        assert_eq!(post(&s, &report, None).await, 204, "{db:?}");
        assert_eq!(post(&s, &report, Some(&token("t-tel", "u-tel").await)).await, 204, "{db:?}");
        let store = localmerge_licensing_server::store::Store::connect(&s.database_url).await.unwrap();
        let sums: Vec<(String, String, String, String, i64)> = store
            .telemetry()
            .await
            .unwrap()
            .into_iter()
            .map(|d| (d.day, d.version, d.platform, d.name, d.total))
            .collect();
        let row = |name: &str, total| {
            (day.clone(), "0.1.0".to_owned(), "OfficeOnline".to_owned(), name.to_owned(), total)
        };
        assert_eq!(
            sums,
            vec![
                row("campaigns_finished", 2),
                row("campaigns_started", 2),
                row("error.graph_throttled.send", 2 * 2),
                row("messages_sent", 24)
            ],
            "{db:?}"
        );
        // Refused: a word off the lists, a day too old, a field the server does not know.
        for bad in [
            json!({"day": day, "version": "0.1.0", "platform": "PC", "counts": {"ana@example.org": 1}}),
            json!({"day": "2020-01-01", "version": "0.1.0", "platform": "PC", "counts": {"messages_sent": 1}}),
            json!({"day": day, "version": "0.1.0", "platform": "PC", "counts": {"messages_sent": 1}, "tenant": "t-tel"}),
            json!({"day": day, "version": "0.1.0", "platform": "PC", "errors": [{"kind": "read", "location": "Guests!B7", "count": 1}]}),
        ] {
            assert_eq!(post(&s, &bad, None).await, 400, "{db:?}: {bad}");
        }
        assert_eq!(store.telemetry().await.unwrap().len(), 4, "{db:?}: nothing refused was added");
    }
}

/// Names and addresses a client might carelessly put anywhere in a report.
const SECRETS: &[&str] =
    &["Zephyrine", "zephyrine.qx@example.org", "Vallorbe", "t-secret-tenant", "u-secret-user"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatever_a_client_sends_no_name_or_address_is_stored() {
    // Every field of a report, in turn, given each secret, alone and beside valid words:
    // the server answers (204 or 400) and its files never hold the text.
    let s = server(Db::Sqlite).await;
    let day = today();
    let valid = json!({"day": day, "version": "0.1.0", "platform": "PC", "counts": {"messages_sent": 1},
        "errors": [{"kind": "read", "location": "read", "count": 1}]});
    let mut sent = 0;
    for secret in SECRETS {
        let mut cases = Vec::new();
        for field in ["day", "version", "platform"] {
            let mut v = valid.clone();
            v[field] = json!(secret);
            cases.push(v);
            let mut v = valid.clone();
            v[field] = json!(format!("{}{secret}", valid[field].as_str().unwrap()));
            cases.push(v);
        }
        let mut v = valid.clone();
        v["counts"][*secret] = json!(1);
        cases.push(v);
        for key in ["kind", "location"] {
            let mut v = valid.clone();
            v["errors"][0][key] = json!(secret);
            cases.push(v);
        }
        let mut v = valid.clone();
        v["user"] = json!(secret);
        cases.push(v);
        for case in cases {
            let status = post(&s, &case, Some(&token(SECRETS[3], SECRETS[4]).await)).await;
            assert_eq!(status, 400, "{case}");
            sent += 1;
        }
    }
    assert_eq!(post(&s, &valid, Some(&token(SECRETS[3], SECRETS[4]).await)).await, 204);
    let bytes = database_bytes(&s);
    for secret in SECRETS {
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{secret} is in the database");
    }
    assert!(sent > 40);
}

/// Posts the organisation's switch as `session`, with `fields`; the answer's status.
async fn switch(s: &Server, session: &str, fields: &[(&str, String)]) -> u16 {
    let r = no_redirects()
        .post(format!("{}/admin/telemetry", s.base))
        .header(COOKIE, session)
        .form(fields)
        .send()
        .await
        .unwrap();
    r.status().as_u16()
}

async fn telemetry_allowed(s: &Server, tid: &str) -> Value {
    s.check(&token(tid, "someone").await).await.1["telemetry"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_turns_usage_counts_off_for_the_organisation() {
    for db in backends() {
        let s = web_server_on(db, |_| {}).await;
        s.buy(&format!("evt_tel_{db:?}"), "t-org", "boss", 2).await;
        assert_eq!(telemetry_allowed(&s, "t-org").await, true, "{db:?}");
        let off = |html: &str| [("csrf", csrf(html)), ("telemetry_off", "1".to_owned())];
        // Someone of the organisation who administers nothing cannot.
        let other = session_of(&sign_in(&s, "t-org:someone", false, false).await);
        let html = page(&s, "/account", &other).await;
        assert_eq!(switch(&s, &other, &off(&html)).await, 404, "{db:?}");
        assert_eq!(telemetry_allowed(&s, "t-org").await, true, "{db:?}");
        // The buyer can, from /admin; every license check of the organisation then says so.
        let session = session_of(&sign_in(&s, "t-org:boss", false, false).await);
        let html = page(&s, "/admin", &session).await;
        assert!(html.contains("Turn usage counts off for my organisation"), "{html}");
        assert_eq!(switch(&s, &session, &off(&html)).await, 303, "{db:?}");
        assert_eq!(telemetry_allowed(&s, "t-org").await, false, "{db:?}");
        assert_eq!(telemetry_allowed(&s, "t-elsewhere").await, true, "{db:?}");
        let html = page(&s, "/admin", &session).await;
        assert!(
            html.contains("sends no usage counts") && html.contains("Turn usage counts back on"),
            "{html}"
        );
        // A form from elsewhere (no token) changes nothing.
        assert_eq!(switch(&s, &session, &[("telemetry_off", "0".to_owned())]).await, 403, "{db:?}");
        assert_eq!(telemetry_allowed(&s, "t-org").await, false, "{db:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_description_lists_the_words_the_server_accepts() {
    use localmerge_licensing_server::telemetry::{COUNTERS, ERROR_KINDS, LOCATIONS, PLATFORMS};
    let s = server(Db::Sqlite).await;
    let (_, spec) = s.call(reqwest::Method::GET, "/openapi.json", None, None).await;
    let body =
        &spec["paths"]["/v1/telemetry"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    let words = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_owned()).collect()
    };
    let counters: Vec<String> =
        body["properties"]["counts"]["properties"].as_object().unwrap().keys().cloned().collect();
    let mut want: Vec<String> = COUNTERS.iter().map(|w| (*w).to_owned()).collect();
    want.sort();
    let mut counters = counters;
    counters.sort();
    assert_eq!(counters, want);
    let error = &body["properties"]["errors"]["items"]["properties"];
    assert_eq!(words(&error["kind"]["enum"]), ERROR_KINDS);
    assert_eq!(words(&error["location"]["enum"]), LOCATIONS);
    assert_eq!(words(&body["properties"]["platform"]["enum"]), PLATFORMS);
}
