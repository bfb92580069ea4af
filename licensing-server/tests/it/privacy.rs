//! Export and deletion of everything stored about a user.

use reqwest::Method;
use serde_json::json;

use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_delete_revokes_at_once_and_purges() {
    for db in backends() {
        let s = server(db).await;
        s.buy("evt_p", "tp", "buyer", 2).await;
        let buyer = token("tp", "buyer").await;
        let sub = s.subscription(&buyer).await["id"].as_str().unwrap().to_owned();
        let seats = format!("/v1/admin/subscriptions/{sub}/assignments");
        let holder = json!({ "user_id": "member", "name": "Mem Ber", "email": "member@tp.example" });
        assert_eq!(s.call(Method::POST, &seats, Some(&buyer), Some(holder)).await.0, 201);
        let member = token("tp", "member").await;
        assert_eq!(s.check(&member).await.1["licensed"], true);

        let (status, v) = s.call(Method::GET, "/v1/me/export", Some(&member), None).await;
        assert_eq!(status, 200);
        assert_eq!(v["user"]["email"], "member@tp.example", "{db:?}: {v}");
        assert!(v["user"]["last_used_at"].as_i64().is_some());
        assert_eq!(v["seats"][0]["subscription_id"], sub.as_str());
        // Nothing else than these sections exists about anyone.
        let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["admin_of", "purchases", "seats", "sessions", "user"]);

        assert_eq!(s.call(Method::DELETE, "/v1/me", Some(&member), None).await.0, 204);
        assert_eq!(s.check(&member).await.1["licensed"], false, "revoked at once");
        let (_, v) = s.call(Method::GET, "/v1/me/export", Some(&member), None).await;
        assert_eq!(
            v,
            json!({ "user": null, "seats": [], "admin_of": [], "purchases": [], "sessions": [] }),
            "{db:?}"
        );
        assert_eq!(s.subscription(&buyer).await["seats_used"], 1, "the seat is free again");

        // A buyer's deletion keeps only an anonymised billing record.
        assert_eq!(s.call(Method::DELETE, "/v1/me", Some(&buyer), None).await.0, 204);
        let (_, v) = s.call(Method::GET, "/v1/me/export", Some(&buyer), None).await;
        assert_eq!(v["purchases"], json!([]), "{v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlicensed_checks_store_nothing() {
    let s = server(Db::Sqlite).await;
    let t = token("tz", "nobody").await;
    assert_eq!(s.check(&t).await.0, 200);
    let (_, v) = s.call(Method::GET, "/v1/me/export", Some(&t), None).await;
    assert_eq!(v, json!({ "user": null, "seats": [], "admin_of": [], "purchases": [], "sessions": [] }));
}
