//! Who may touch which subscription: the buyer, delegated admins, users, other tenants.

use reqwest::Method;
use serde_json::json;

use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorisation_matrix() {
    for db in backends() {
        let s = server(db).await;
        s.buy("evt_a", "tenant-a", "buyer-a", 3).await;
        s.buy("evt_b", "tenant-b", "buyer-b", 2).await;
        let (buyer_a, buyer_b) = (token("tenant-a", "buyer-a").await, token("tenant-b", "buyer-b").await);
        let (delegate, user) = (token("tenant-a", "delegate-a").await, token("tenant-a", "user-a").await);
        let sub_a = s.subscription(&buyer_a).await["id"].as_str().unwrap().to_owned();
        let seats = format!("/v1/admin/subscriptions/{sub_a}/assignments");
        let admins = format!("/v1/admin/subscriptions/{sub_a}/admins");
        let holder = |id: &str| json!({ "user_id": id, "name": format!("Name {id}"), "email": format!("{id}@a.example") });

        // A plain user, and another tenant's admin, can do nothing: to them the subscription
        // does not exist (the same answer as an unknown id).
        let absent = format!("/v1/admin/subscriptions/{}/assignments", "0".repeat(32));
        for (who, path) in [(&user, &seats), (&buyer_b, &seats), (&delegate, &admins), (&buyer_a, &absent)] {
            let (status, v) = s.call(Method::POST, path, Some(who), Some(holder("user-a"))).await;
            assert_eq!((status, v["error"].as_str()), (404, Some("not_found")), "{db:?} {path}");
        }
        // The buyer names a delegated admin, who manages seats but sees no billing.
        assert_eq!(s.call(Method::POST, &admins, Some(&buyer_a), Some(holder("delegate-a"))).await.0, 201);
        assert_eq!(s.call(Method::POST, &seats, Some(&delegate), Some(holder("user-a"))).await.0, 201);
        assert_eq!(s.check(&user).await.1["licensed"], true);
        let seen_by_delegate = s.subscription(&delegate).await;
        assert_eq!(seen_by_delegate["role"], "delegated");
        assert!(
            seen_by_delegate.get("billing_contact").is_none()
                && seen_by_delegate.get("transaction_id").is_none()
        );
        let seen_by_buyer = s.subscription(&buyer_a).await;
        assert_eq!(seen_by_buyer["billing_contact"], "ctm_01");
        // Delegates cannot name admins.
        assert_eq!(s.call(Method::POST, &admins, Some(&delegate), Some(holder("user-a"))).await.0, 403);
        // Seats are counted: 3 bought, the buyer and user-a hold two.
        assert_eq!(s.call(Method::POST, &seats, Some(&buyer_a), Some(holder("user-c"))).await.0, 201);
        let (status, v) = s.call(Method::POST, &seats, Some(&buyer_a), Some(holder("user-d"))).await;
        assert_eq!((status, v["error"].as_str()), (409, Some("no_free_seat")), "{db:?}");
        let (status, v) = s.call(Method::POST, &seats, Some(&buyer_a), Some(holder("user-c"))).await;
        assert_eq!(status, 409, "{v}");
        // Reassign user-c's seat to user-d; unassign user-a.
        let (status, v) =
            s.call(Method::PUT, &format!("{seats}/user-c"), Some(&delegate), Some(holder("user-d"))).await;
        assert_eq!(status, 204, "{db:?}: {v}");
        assert_eq!(s.check(&token("tenant-a", "user-d").await).await.1["licensed"], true);
        assert_eq!(s.check(&token("tenant-a", "user-c").await).await.1["licensed"], false);
        assert_eq!(s.call(Method::DELETE, &format!("{seats}/user-a"), Some(&delegate), None).await.0, 204);
        assert_eq!(s.check(&user).await.1["licensed"], false);
        assert_eq!(s.call(Method::DELETE, &format!("{seats}/user-a"), Some(&buyer_b), None).await.0, 404);
        // Bad input is a clear 400.
        let (status, v) =
            s.call(Method::POST, &seats, Some(&buyer_a), Some(json!({ "user_id": "../../x" }))).await;
        assert_eq!((status, v["error"].as_str()), (400, Some("bad_request")), "{v}");
    }
}

/// Bad input is never a server error: text holding a NUL (which PostgreSQL's text type
/// refuses) in a holder, a path id and a webhook's ids answers 4xx on both databases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_in_any_input_is_a_client_error() {
    for db in backends() {
        let s = server(db).await;
        s.buy("evt_n", "tenant-n", "buyer-n", 3).await;
        let buyer = token("tenant-n", "buyer-n").await;
        let sub = s.subscription(&buyer).await["id"].as_str().unwrap().to_owned();
        let seats = format!("/v1/admin/subscriptions/{sub}/assignments");
        let nul = json!({ "user_id": "user\u{0}x", "name": "N\u{0}", "email": "n\u{0}@a.example" });
        let (status, v) = s.call(Method::POST, &seats, Some(&buyer), Some(nul)).await;
        assert!((400..500).contains(&status), "{db:?}: holder with NUL: {status} {v}");
        let (status, v) =
            s.call(Method::GET, &format!("/v1/admin/subscriptions/{sub}%00x"), Some(&buyer), None).await;
        assert!((400..500).contains(&status), "{db:?}: path with NUL: {status} {v}");
        let event = purchase("evt_n\u{0}2", "tenant\u{0}n", "b\u{0}", 1, "pri_pro");
        let (status, v) = s.paddle(&event, PADDLE_SECRET, 0).await;
        assert!((400..500).contains(&status), "{db:?}: webhook with NUL: {status} {v}");
    }
}
