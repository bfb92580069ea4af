//! Paddle webhooks: signatures, replay, rotation, idempotency, plans.

use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_are_checked_and_deliveries_applied_once() {
    for db in backends() {
        let s =
            server_with(db, |c| c.paddle_webhook_secret = Some(format!("old_secret,{PADDLE_SECRET}"))).await;
        let event = purchase("evt_9", "t9", "b9", 2, "pri_team");
        let body = serde_json::to_vec(&event).unwrap();
        let now = localmerge_licensing_server::now_ms() / 1000;
        // Tampered body.
        let sig = localmerge_licensing_server::billing::paddle::sign(PADDLE_SECRET, now, &body);
        let mut tampered = body.clone();
        let pos = tampered.windows(1).position(|w| w == b"2").unwrap();
        tampered[pos] = b'9';
        assert_eq!(s.paddle_raw(&tampered, &sig).await.1["error"], "bad_signature", "{db:?}");
        // Replayed past the tolerance.
        assert_eq!(s.paddle(&event, PADDLE_SECRET, -30).await.1["error"], "stale_signature");
        // Unsigned.
        assert_eq!(s.paddle_raw(&body, "").await.1["error"], "malformed_signature");
        // Signed with the secret being rotated out: accepted.
        let (status, v) = s.paddle(&event, "old_secret", 0).await;
        assert_eq!(status, 200, "{db:?}: {v}");
        // Delivered again (Paddle retries): acknowledged, not applied twice.
        let (status, v) = s.paddle(&event, PADDLE_SECRET, 0).await;
        assert_eq!((status, v["duplicate"].as_bool()), (200, Some(true)), "{v}");
        let sub = s.subscription(&token("t9", "b9").await).await;
        assert_eq!(
            (sub["plan"].as_str(), sub["seats"].as_i64(), sub["seats_used"].as_i64()),
            (Some("team"), Some(2), Some(1)),
            "{sub}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_events_change_seats_and_cancel() {
    for db in backends() {
        let s = server(db).await;
        s.buy("evt_a", "t1", "b1", 1).await;
        let buyer = token("t1", "b1").await;
        let update = |id: &str, status: &str, qty: i64, price: &str| {
            serde_json::json!({
                "event_id": id, "event_type": "subscription.updated",
                "data": { "id": "sub_t1_b1", "status": status, "customer_id": "ctm_01",
                          "custom_data": { "tenant_id": "t1", "user_id": "b1" },
                          "items": [{ "price": { "id": price }, "quantity": qty }],
                          "current_billing_period": { "ends_at": "2099-01-01T00:00:00Z" } }
            })
        };
        // A price the configuration does not name grants nothing: the subscription stays
        // as it was, and a purchase at that price licenses no one.
        let (status, v) = s.paddle(&update("evt_b", "active", 5, "pri_unknown"), PADDLE_SECRET, 0).await;
        assert_eq!((status, v["applied"].as_bool()), (200, Some(false)), "{db:?}: {v}");
        let sub = s.subscription(&buyer).await;
        assert_eq!((sub["seats"].as_i64(), sub["plan"].as_str()), (Some(1), Some("pro")), "{db:?}: {sub}");
        let (status, _) = s.paddle(&purchase("evt_x", "t7", "b7", 3, "pri_unknown"), PADDLE_SECRET, 0).await;
        assert_eq!(status, 200);
        assert_eq!(s.check(&token("t7", "b7").await).await.1["licensed"], false, "{db:?}: unknown price");
        assert_eq!(s.paddle(&update("evt_b2", "active", 5, "pri_team"), PADDLE_SECRET, 0).await.0, 200);
        let sub = s.subscription(&buyer).await;
        assert_eq!((sub["seats"].as_i64(), sub["plan"].as_str()), (Some(5), Some("team")), "{db:?}: {sub}");
        assert_eq!(s.check(&buyer).await.1["licensed"], true);
        assert_eq!(s.paddle(&update("evt_c", "canceled", 5, "pri_pro"), PADDLE_SECRET, 0).await.0, 200);
        assert_eq!(s.check(&buyer).await.1["licensed"], false, "{db:?}: canceled");
    }
}
