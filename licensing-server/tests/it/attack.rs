//! The server tried as an attacker would: one case per promise, against SQLite and
//! PostgreSQL. Deleted people are gone (from the files too), and stay gone; only configured
//! prices license, and every license ends; the seat rules hold on every path and under
//! races; sessions end; pages escape what they print and may not be framed; bad input is
//! never a server error; the operator sees it all in the metrics.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::COOKIE;
use serde_json::{Value, json};

use crate::harness::*;
use crate::web::{csrf, no_redirects, page, session_of, sign_in, web_server_on};

fn sqlite_files(s: &Server) -> Vec<u8> {
    let db = s._dir.as_ref().unwrap().path().join("licensing.db");
    ["licensing.db", "licensing.db-wal", "licensing.db-shm", "licensing.db-journal"]
        .iter()
        .flat_map(|f| std::fs::read(db.with_file_name(f)).unwrap_or_default())
        .collect()
}

fn holds(bytes: &[u8], text: &str) -> bool {
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

fn holder(id: &str, name: &str, email: &str) -> Value {
    json!({ "user_id": id, "name": name, "email": email })
}

async fn sub_id(s: &Server, admin: &str) -> String {
    s.subscription(admin).await["id"].as_str().unwrap().to_owned()
}

/// `subscription.updated` for the subscription `transaction.completed` of `purchase` made.
fn updated(event: &str, tid: &str, oid: &str, status: &str, qty: i64, customer: &str) -> Value {
    json!({
        "event_id": event, "event_type": "subscription.updated",
        "data": { "id": format!("sub_{tid}_{oid}"), "status": status, "customer_id": customer,
                  "custom_data": { "tenant_id": tid, "user_id": oid },
                  "items": [{ "price": { "id": "pri_pro" }, "quantity": qty }],
                  "current_billing_period": { "ends_at": "2099-01-01T00:00:00Z" } }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_means_gone_from_the_database_files() {
    let s = server(Db::Sqlite).await;
    let mut event = purchase("evt_gone", "tq", "gone-buyer", 3, "pri_pro");
    event["data"]["customer_id"] = json!("ctm_gone_7f3a");
    assert_eq!(s.paddle(&event, PADDLE_SECRET, 0).await.0, 200);
    let buyer = token("tq", "gone-buyer").await;
    let sub = sub_id(&s, &buyer).await;
    let seats = format!("/v1/admin/subscriptions/{sub}/assignments");
    let zelda = holder("zelda-9", "Zelda Quarterhorse", "zelda.quarterhorse@tq.example");
    assert_eq!(s.call(Method::POST, &seats, Some(&buyer), Some(zelda)).await.0, 201);
    let member = token("tq", "zelda-9").await;
    assert_eq!(s.check(&member).await.1["licensed"], true);
    assert_eq!(s.check(&buyer).await.1["licensed"], true);
    // Before: the files hold them (so the search below can find them).
    let secrets = [
        "Zelda Quarterhorse",
        "zelda.quarterhorse@tq.example",
        "User gone-buyer",
        "gone-buyer@tq.example",
        "ctm_gone_7f3a",
    ];
    let before = sqlite_files(&s);
    for secret in secrets {
        assert!(holds(&before, secret), "{secret} should be stored before the deletion");
    }
    assert_eq!(s.call(Method::DELETE, "/v1/me", Some(&member), None).await.0, 204);
    assert_eq!(s.call(Method::DELETE, "/v1/me", Some(&buyer), None).await.0, 204);
    let after = sqlite_files(&s);
    for secret in secrets {
        assert!(!holds(&after, secret), "{secret} is still in the database files after the deletion");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_stays_a_deletion_whatever_the_seller_sends_later() {
    for db in backends() {
        let s = server(db).await;
        s.buy("evt_d1", "td", "leaver", 2).await;
        let leaver = token("td", "leaver").await;
        assert_eq!(s.check(&leaver).await.1["licensed"], true);
        assert_eq!(s.call(Method::DELETE, "/v1/me", Some(&leaver), None).await.0, 204);
        // Renewal, update, another completed transaction of the same checkout: none brings
        // the buyer back, as buyer, admin or seat holder.
        let mut renewal = purchase("evt_d2", "td", "leaver", 2, "pri_pro");
        renewal["data"]["id"] = json!("txn_renewal");
        for event in [renewal, updated("evt_d3", "td", "leaver", "active", 3, "ctm_back")] {
            let (status, v) = s.paddle(&event, PADDLE_SECRET, 0).await;
            assert_eq!(status, 200, "{db:?}: {v}");
        }
        assert_eq!(s.check(&leaver).await.1["licensed"], false, "{db:?}: the deleted buyer got a seat again");
        let (_, mine) = s.call(Method::GET, "/v1/admin/subscriptions", Some(&leaver), None).await;
        assert_eq!(mine["subscriptions"], json!([]), "{db:?}: the deleted buyer administers it again");
        let (_, v) = s.call(Method::GET, "/v1/me/export", Some(&leaver), None).await;
        assert_eq!(
            v,
            json!({ "user": null, "seats": [], "admin_of": [], "purchases": [], "sessions": [] }),
            "{db:?}"
        );
        if db == Db::Sqlite {
            assert!(!holds(&sqlite_files(&s), "ctm_back"), "the billing contact came back");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_purge_delay_deleted_admins_lose_every_right_at_once() {
    for db in backends() {
        let s = server_with(db, |c| c.purge_after_days = 7).await;
        s.buy("evt_p1", "tp7", "boss", 4).await;
        let (boss, deputy) = (token("tp7", "boss").await, token("tp7", "deputy").await);
        let sub = sub_id(&s, &boss).await;
        let seats = format!("/v1/admin/subscriptions/{sub}/assignments");
        let admins = format!("/v1/admin/subscriptions/{sub}/admins");
        assert_eq!(
            s.call(Method::POST, &admins, Some(&boss), Some(holder("deputy", "D", "d@x.example"))).await.0,
            201
        );
        assert_eq!(s.call(Method::DELETE, "/v1/me", Some(&deputy), None).await.0, 204);
        let (status, _) =
            s.call(Method::POST, &seats, Some(&deputy), Some(holder("u1", "U", "u@x.example"))).await;
        assert_eq!(status, 404, "{db:?}: a deleted delegated admin still assigns seats");
        assert_eq!(s.call(Method::DELETE, "/v1/me", Some(&boss), None).await.0, 204);
        let (status, _) =
            s.call(Method::POST, &seats, Some(&boss), Some(holder("u2", "U", "u@x.example"))).await;
        assert_eq!(status, 404, "{db:?}: a deleted buyer still assigns seats");
        let (_, mine) = s.call(Method::GET, "/v1/admin/subscriptions", Some(&boss), None).await;
        assert_eq!(mine["subscriptions"], json!([]), "{db:?}");
        s.paddle(&updated("evt_p2", "tp7", "boss", "active", 4, "ctm_01"), PADDLE_SECRET, 0).await;
        assert_eq!(s.check(&boss).await.1["licensed"], false, "{db:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_configured_prices_license_and_every_license_ends() {
    for db in backends() {
        let s = server(db).await;
        // A signed event for a price the configuration does not name grants nothing.
        let (status, v) =
            s.paddle(&purchase("evt_u", "tu", "u", 5, "pri_free_lunch"), PADDLE_SECRET, 0).await;
        assert_eq!((status, v["applied"].as_bool()), (200, Some(false)), "{db:?}: {v}");
        assert_eq!(s.check(&token("tu", "u").await).await.1["licensed"], false);
        // A purchase without a billing period still ends: a month on, until a renewal.
        let mut undated = purchase("evt_n", "tn", "n", 1, "pri_pro");
        undated["data"].as_object_mut().unwrap().remove("billing_period");
        assert_eq!(s.paddle(&undated, PADDLE_SECRET, 0).await.0, 200);
        let (_, v) = s.check(&token("tn", "n").await).await;
        assert_eq!(v["licensed"], true, "{db:?}: {v}");
        let ends: jiff::Timestamp = v["expires_at"].as_str().expect("an end").parse().unwrap();
        let days = (ends.as_second() - jiff::Timestamp::now().as_second()) as f64 / 86_400.0;
        assert!((30.0..32.0).contains(&days), "{db:?}: the license ends in {days} days");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inactive_subscription_takes_no_new_holder_by_any_path() {
    for db in backends() {
        let s = web_server_on(db, |_| {}).await;
        s.buy("evt_i1", "ti", "boss", 3).await;
        let boss = token("ti", "boss").await;
        let sub = sub_id(&s, &boss).await;
        let seats = format!("/v1/admin/subscriptions/{sub}/assignments");
        assert_eq!(
            s.call(Method::POST, &seats, Some(&boss), Some(holder("keep", "K", "k@x.example"))).await.0,
            201
        );
        for (event, status) in [("evt_i2", "canceled"), ("evt_i3", "past_due")] {
            assert_eq!(
                s.paddle(&updated(event, "ti", "boss", status, 3, "ctm_01"), PADDLE_SECRET, 0).await.0,
                200
            );
            // The API: assign and reassign.
            let (code, v) =
                s.call(Method::POST, &seats, Some(&boss), Some(holder("new", "N", "n@x.example"))).await;
            assert_eq!((code, v["error"].as_str()), (409, Some("subscription_inactive")), "{db:?} {status}");
            let (code, v) = s
                .call(
                    Method::PUT,
                    &format!("{seats}/keep"),
                    Some(&boss),
                    Some(holder("new", "N", "n@x.example")),
                )
                .await;
            assert_eq!((code, v["error"].as_str()), (409, Some("subscription_inactive")), "{db:?} {status}");
            // The page's form.
            let session = session_of(&sign_in(&s, "ti:boss", false, false).await);
            let token = csrf(&page(&s, "/admin", &session).await);
            let r = no_redirects()
                .post(format!("{}/admin/assign", s.base))
                .header(COOKIE, &session)
                .form(&[("csrf", token.as_str()), ("subscription", sub.as_str()), ("user_id", "new")])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 409, "{db:?} {status}");
            assert_eq!(s.check(&token_for("ti", "new").await).await.1["licensed"], false);
        }
    }
}

async fn token_for(tid: &str, oid: &str) -> String {
    token(tid, oid).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lower_quantity_takes_back_the_latest_seats() {
    for db in backends() {
        let s = server(db).await;
        s.buy("evt_q1", "tq2", "boss", 5).await;
        let boss = token("tq2", "boss").await;
        let sub = sub_id(&s, &boss).await;
        let seats = format!("/v1/admin/subscriptions/{sub}/assignments");
        for who in ["first", "second", "third"] {
            assert_eq!(
                s.call(Method::POST, &seats, Some(&boss), Some(holder(who, who, "x@x.example"))).await.0,
                201
            );
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        assert_eq!(
            s.paddle(&updated("evt_q2", "tq2", "boss", "active", 2, "ctm_01"), PADDLE_SECRET, 0).await.0,
            200
        );
        let after = s.subscription(&boss).await;
        assert_eq!(
            (after["seats"].as_i64(), after["seats_used"].as_i64()),
            (Some(2), Some(2)),
            "{db:?}: {after}"
        );
        for (who, licensed) in [("boss", true), ("first", true), ("second", false), ("third", false)] {
            assert_eq!(s.check(&token("tq2", who).await).await.1["licensed"], licensed, "{db:?}: {who}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_being_moved_is_never_taken_by_a_racing_assignment() {
    for db in backends() {
        let s = server(db).await;
        s.buy("evt_r1", "tr2", "boss", 2).await;
        let boss = token("tr2", "boss").await;
        let sub = sub_id(&s, &boss).await;
        let seats = format!("/v1/admin/subscriptions/{sub}/assignments");
        assert_eq!(
            s.call(Method::POST, &seats, Some(&boss), Some(holder("h0", "H", "h@x.example"))).await.0,
            201
        );
        // Ten moves of the one seat, each raced by five assignments of newcomers.
        let mut current = "h0".to_owned();
        for round in 1..=10 {
            let next = format!("h{round}");
            let mut tasks = Vec::new();
            let url = format!("{}{seats}/{current}", s.base);
            let (http, t) = (s.http.clone(), boss.clone());
            let body = holder(&next, "H", "h@x.example");
            tasks.push(tokio::spawn(async move {
                http.put(url).bearer_auth(t).json(&body).send().await.unwrap().status().as_u16()
            }));
            for i in 0..5 {
                let (http, t, url) = (s.http.clone(), boss.clone(), format!("{}{seats}", s.base));
                let body = holder(&format!("racer-{round}-{i}"), "R", "r@x.example");
                tasks.push(tokio::spawn(async move {
                    http.post(url).bearer_auth(t).json(&body).send().await.unwrap().status().as_u16()
                }));
            }
            let codes: Vec<u16> = futures_join(tasks).await;
            assert_eq!(codes[0], 204, "{db:?}: the move failed");
            assert!(codes[1..].iter().all(|c| *c == 409), "{db:?}: a racer took a seat: {codes:?}");
            current = next;
        }
        let after = s.subscription(&boss).await;
        assert_eq!(after["seats_used"], 2, "{db:?}");
        assert_eq!(after["assignments"].as_array().unwrap().len(), 2, "{db:?}: {after}");
        assert_eq!(s.check(&token("tr2", "h10").await).await.1["licensed"], true);
    }
}

async fn futures_join(tasks: Vec<tokio::task::JoinHandle<u16>>) -> Vec<u16> {
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_on_sign_out_and_at_their_end() {
    let s = web_server_on(Db::Sqlite, |_| {}).await;
    let first = session_of(&sign_in(&s, "ts:sam", false, false).await);
    let second = session_of(&sign_in(&s, "ts:sam", false, false).await);
    let (html1, html2) = (page(&s, "/account", &first).await, page(&s, "/account", &second).await);
    assert!(html1.contains("Your account") && html2.contains("Your account"));
    assert_ne!(csrf(&html1), csrf(&html2), "the form token rotates with the session");
    // A GET changes nothing; a POST without the session's form token is refused.
    assert!(page(&s, "/logout", &first).await.contains("action=\"/logout\""));
    assert!(page(&s, "/account", &first).await.contains("Your account"));
    let post = |session: String, token: String| {
        let url = format!("{}/logout", s.base);
        async move {
            no_redirects().post(url).header(COOKIE, session).form(&[("csrf", token)]).send().await.unwrap()
        }
    };
    assert_eq!(post(first.clone(), csrf(&html2)).await.status().as_u16(), 403);
    let out = post(first.clone(), csrf(&html1)).await;
    assert_eq!(out.status().as_u16(), 200);
    assert!(crate::web::cookie_of(&out, "lm_session").unwrap().contains("Max-Age=0"));
    // The copied cookie opens nothing any more; the other browser's session lives on.
    assert!(page(&s, "/account", &first).await.contains("Sign in with your Microsoft 365 account"));
    assert!(page(&s, "/account", &second).await.contains("Your account"));
    // A session past its absolute end is refused by the server, whatever the browser keeps.
    let db = s._dir.as_ref().unwrap().path().join("licensing.db");
    let mut conn =
        <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
    sqlx::query("UPDATE sessions SET expires_at = 1").execute(&mut conn).await.unwrap();
    assert!(page(&s, "/account", &second).await.contains("Sign in with your Microsoft 365 account"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_forbids_framing_and_pages_escape_what_they_print() {
    let s = crate::marketplace::market_server().await;
    for path in [
        "/account",
        "/admin",
        "/logout",
        "/v1/license/public-key",
        "/healthz",
        "/nowhere",
        "/marketplace/landing",
    ] {
        let r = no_redirects().get(format!("{}{path}", s.base)).send().await.unwrap();
        let h = r.headers();
        let csp = h.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(h.get("x-frame-options").and_then(|v| v.to_str().ok()), Some("DENY"), "{path}");
        assert_eq!(h.get("referrer-policy").and_then(|v| v.to_str().ok()), Some("no-referrer"), "{path}");
    }
    // The marketplace's plan name is text, not markup.
    let hostile = "<script>alert(1)</script>";
    let url = format!("{}/marketplace/landing?token=landing:tx:owner:2:{}", s.base, urlencode(hostile));
    let html = s.http.get(url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("alert(1)") && !html.contains(hostile) && !html.contains("<script"), "{html}");
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seat_holders_names_are_text_on_the_seats_page() {
    let s = web_server_on(Db::Sqlite, |_| {}).await;
    s.buy("evt_x1", "tx2", "boss", 3).await;
    let boss = token("tx2", "boss").await;
    let sub = sub_id(&s, &boss).await;
    let evil = holder("mallory", "<img src=x onerror=alert(1)>", "\"><script>alert(2)</script>@x.example");
    assert_eq!(
        s.call(Method::POST, &format!("/v1/admin/subscriptions/{sub}/assignments"), Some(&boss), Some(evil))
            .await
            .0,
        201
    );
    let session = session_of(&sign_in(&s, "tx2:boss", false, false).await);
    let html = page(&s, "/admin", &session).await;
    assert!(html.contains("img src=x onerror=alert(1)"), "{html}");
    assert!(!html.contains("<img") && !html.contains("<script"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_never_a_server_error() {
    for db in backends() {
        let s = web_server_on(db, |c| c.marketplace_tenant_id = Some("publisher".to_owned())).await;
        s.buy("evt_b1", "tb", "boss", 2).await;
        let boss = token("tb", "boss").await;
        let sub = sub_id(&s, &boss).await;
        let long = "x".repeat(5000);
        let api: Vec<(Method, String, Option<Value>)> = vec![
            (
                Method::POST,
                format!("/v1/admin/subscriptions/{sub}/assignments"),
                Some(json!({ "user_id": 5 })),
            ),
            (Method::POST, format!("/v1/admin/subscriptions/{sub}/assignments"), Some(json!([1, 2]))),
            (
                Method::POST,
                format!("/v1/admin/subscriptions/{long}/assignments"),
                Some(holder("a", "b", "c")),
            ),
            (
                Method::PUT,
                format!("/v1/admin/subscriptions/{sub}/assignments/%E2%80%8B"),
                Some(holder("a", "b", "c")),
            ),
            (Method::DELETE, format!("/v1/admin/subscriptions/{sub}/assignments/{long}"), None),
            (
                Method::POST,
                format!("/v1/admin/subscriptions/{sub}/admins"),
                Some(json!({ "user_id": "é\u{7}" })),
            ),
            (Method::POST, "/v1/webhooks/marketplace".to_owned(), Some(json!({ "id": "\u{0}" }))),
            (Method::GET, "/v1/me/export?x=%00".to_owned(), None),
        ];
        for (method, path, body) in api {
            let (status, v) = s.call(method.clone(), &path, Some(&boss), body).await;
            assert!(status < 500, "{db:?}: {method} {path}: {status} {v}");
        }
        // Webhooks: signed bodies that are no events, or events with impossible values.
        let strange = [
            b"\xff\xfe not json".to_vec(),
            br#"{"event_id":"e1","event_type":"transaction.completed","data":{"custom_data":{"tenant_id":"t"},"items":[{"price":{"id":"pri_pro"},"quantity":-5}]}}"#.to_vec(),
            br#"{"event_id":"e2","event_type":"subscription.updated","data":{"id":"","custom_data":{"tenant_id":"t"},"items":[{"price":{"id":"pri_pro"},"quantity":9223372036854775807}]}}"#.to_vec(),
            br#"{"event_id":"e3","event_type":"transaction.completed","data":{"id":"t","custom_data":{"tenant_id":7},"items":[{"price":{"id":"pri_pro"}}]}}"#.to_vec(),
        ];
        for body in strange {
            let ts = localmerge_licensing_server::now_ms() / 1000;
            let sig = localmerge_licensing_server::billing::paddle::sign(PADDLE_SECRET, ts, &body);
            let (status, v) = s.paddle_raw(&body, &sig).await;
            assert!(status < 500, "{db:?}: {}: {status} {v}", String::from_utf8_lossy(&body));
        }
        // Pages: forms missing fields, hostile queries, a forged callback.
        let session = session_of(&sign_in(&s, "tb:boss", false, false).await);
        let token = csrf(&page(&s, "/admin", &session).await);
        let http = no_redirects();
        let forms: Vec<(&str, Vec<(&str, String)>)> = vec![
            ("/admin/assign", vec![("csrf", token.clone())]),
            (
                "/admin/assign",
                vec![("csrf", token.clone()), ("subscription", sub.clone()), ("user_id", long.clone())],
            ),
            (
                "/admin/unassign",
                vec![
                    ("csrf", token.clone()),
                    ("subscription", "\u{0}".to_owned()),
                    ("user_id", "x".to_owned()),
                ],
            ),
            ("/account/delete", vec![]),
            ("/logout", vec![("csrf", long.clone())]),
        ];
        for (path, fields) in forms {
            let r = http
                .post(format!("{}{path}", s.base))
                .header(COOKIE, &session)
                .form(&fields)
                .send()
                .await
                .unwrap();
            assert!(r.status().as_u16() < 500, "{db:?}: {path} {fields:?}: {}", r.status());
        }
        for path in [
            "/admin?q=%00%22%5C",
            "/auth/callback?error=%3Cscript%3E&state=x",
            "/auth/callback?code=%0D%0A",
            "/login?directory=%FF",
            "/marketplace/landing?token=%E2%80%8B",
        ] {
            let r = http.get(format!("{}{path}", s.base)).header(COOKIE, &session).send().await.unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            assert!(status < 500, "{db:?}: {path}: {status}");
            assert!(!text.contains("<script>"), "{db:?}: {path} printed markup it was given");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_sees_health_readiness_and_metrics_without_personal_data() {
    let s = server(Db::Sqlite).await;
    assert_eq!(s.http.get(format!("{}/healthz", s.base)).send().await.unwrap().status().as_u16(), 200);
    let (status, ready) = s.call(Method::GET, "/readyz", None, None).await;
    assert_eq!((status, ready["ready"].as_bool()), (200, Some(true)), "{ready}");
    s.buy("evt_m1", "tenant-metrics", "person-metrics", 1).await;
    s.paddle(&purchase("evt_m2", "tm2", "p", 1, "pri_unknown"), PADDLE_SECRET, 0).await;
    s.check(&token("tenant-metrics", "person-metrics").await).await;
    s.check(&token("tenant-metrics", "someone-free").await).await;
    let r = s.http.get(format!("{}/metrics", s.base)).send().await.unwrap();
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = r.text().await.unwrap();
    for line in [
        r#"licensing_license_checks_total{outcome="licensed"} 1"#,
        r#"licensing_license_checks_total{outcome="free"} 1"#,
        r#"licensing_webhooks_total{source="paddle",outcome="applied"} 1"#,
        r#"licensing_webhooks_total{source="paddle",outcome="ignored"} 1"#,
        r#"licensing_seat_changes_total{outcome="assigned"} 1"#,
        r#"licensing_http_requests_total{route="/v1/license/check",method="POST",status="200"} 2"#,
        r#"licensing_http_request_duration_seconds_count{route="/v1/license/check",status="200"} 2"#,
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
    assert!(!text.contains("tenant-metrics") && !text.contains("person-metrics"), "ids in the metrics");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_address_limit_reads_the_proxys_address_only_behind_a_proxy() {
    async fn statuses(s: &Server, forwarded: &str) -> Vec<u16> {
        let mut out = Vec::new();
        for _ in 0..3 {
            let r = s
                .http
                .get(format!("{}/healthz", s.base))
                .header("X-Forwarded-For", forwarded)
                .send()
                .await
                .unwrap();
            out.push(r.status().as_u16());
        }
        out
    }
    // Without a proxy, a client choosing its X-Forwarded-For gains nothing.
    let direct = server_with(Db::Sqlite, |c| c.rate_per_ip = 2).await;
    assert_eq!(statuses(&direct, "10.0.0.1").await, [200, 200, 429]);
    assert_eq!(statuses(&direct, "10.0.0.2").await, [429, 429, 429]);
    // Behind one, the proxy's last entry is the client.
    let proxied = server_with(Db::Sqlite, |c| {
        c.rate_per_ip = 2;
        c.behind_proxy = true;
    })
    .await;
    assert_eq!(statuses(&proxied, "203.0.113.9, 10.0.0.1").await, [200, 200, 429]);
    assert_eq!(statuses(&proxied, "10.0.0.2").await, [200, 200, 429]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_seat_goes_to_one_racer_whatever_path_each_takes() {
    for db in backends() {
        let s = web_server_on(db, |_| {}).await;
        s.buy("evt_l1", "tl", "boss", 3).await;
        let boss = token("tl", "boss").await;
        let sub = sub_id(&s, &boss).await;
        let seats = format!("/v1/admin/subscriptions/{sub}/assignments");
        assert_eq!(
            s.call(Method::POST, &seats, Some(&boss), Some(holder("held", "H", "h@x.example"))).await.0,
            201
        );
        // One seat is left: five assignments through the API and five through the page's
        // form race for it.
        let session = session_of(&sign_in(&s, "tl:boss", false, false).await);
        let form_token = csrf(&page(&s, "/admin", &session).await);
        let mut tasks = Vec::new();
        for i in 0..5 {
            let (http, t, url) = (s.http.clone(), boss.clone(), format!("{}{seats}", s.base));
            let body = holder(&format!("api-{i}"), "A", "a@x.example");
            tasks.push(tokio::spawn(async move {
                http.post(url).bearer_auth(t).json(&body).send().await.unwrap().status().as_u16()
            }));
            let (url, session, token, sub) =
                (format!("{}/admin/assign", s.base), session.clone(), form_token.clone(), sub.clone());
            tasks.push(tokio::spawn(async move {
                let form = [("csrf", token), ("subscription", sub), ("user_id", format!("web-{i}"))];
                let r = no_redirects().post(url).header(COOKIE, session).form(&form).send().await.unwrap();
                // The form answers a redirect to the seats page when it took the seat.
                match r.status().as_u16() {
                    303 => 201,
                    other => other,
                }
            }));
        }
        let codes = futures_join(tasks).await;
        assert_eq!(codes.iter().filter(|c| **c == 201).count(), 1, "{db:?}: {codes:?}");
        assert!(codes.iter().all(|c| *c == 201 || *c == 409), "{db:?}: {codes:?}");
        let after = s.subscription(&boss).await;
        assert_eq!(
            (after["seats_used"].as_i64(), after["assignments"].as_array().map(Vec::len)),
            (Some(3), Some(3)),
            "{db:?}"
        );
    }
}
