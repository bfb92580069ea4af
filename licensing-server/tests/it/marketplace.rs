//! Microsoft commercial marketplace: landing, activation, confirmed operations.

use serde_json::json;

use crate::harness::*;
use crate::oidc::{CLIENT_ID, CLIENT_SECRET, MARKET};

async fn market_server() -> Server {
    let base = idp().await.base.clone();
    // PostgreSQL where it runs (the replicas' database), else SQLite.
    let db = backends().last().copied().unwrap_or(Db::Sqlite);
    server_with(db, |c| {
        c.client_id = Some(CLIENT_ID.to_owned());
        c.client_secret = Some(CLIENT_SECRET.to_owned());
        c.marketplace_url = format!("{base}/mkt/api");
        c.marketplace_token_url = Some(format!("{base}/common/oauth2/v2.0/token"));
    })
    .await
}

fn operation(id: &str, sub: &str, action: &str, quantity: i64) {
    let mut m = MARKET.lock().unwrap();
    m.operations.insert(id.to_owned(), json!({ "id": id, "subscriptionId": sub, "action": action, "planId": "team", "quantity": quantity, "status": "InProgress" }));
    if let Some(s) = m.subscriptions.get_mut(sub) {
        s["quantity"] = json!(quantity);
    }
}

async fn notify(s: &Server, id: &str, sub: &str, action: &str) -> (u16, serde_json::Value) {
    let body = json!({ "id": id, "activityId": "a1", "subscriptionId": sub, "offerId": "localmerge", "publisherId": "us", "planId": "team", "quantity": 1, "action": action, "timeStamp": "2026-11-24T10:00:00Z", "status": "InProgress" });
    s.call(reqwest::Method::POST, "/v1/webhooks/marketplace", None, Some(body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marketplace_purchases_activate_and_operations_are_confirmed_before_acting() {
    let s = market_server().await;
    // A token with a line break or a control character is no token: refused, not a 500.
    for bad in ["landing%0D%0AX-Evil:%201", "landing%00", "%20"] {
        let resp = s.http.get(format!("{}/marketplace/landing?token={bad}", s.base)).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{bad}");
    }
    let resp =
        s.http.get(format!("{}/marketplace/landing?token=landing:tm:owner:10", s.base)).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.text().await.unwrap().contains("10 seats, team plan"));
    assert!(MARKET.lock().unwrap().activated.contains(&"mkt-tm".to_owned()), "activated");
    let owner = token("tm", "owner").await;
    assert_eq!(s.check(&owner).await.1["plan"], "team");

    // A call the marketplace does not know changes nothing.
    let (status, _) = notify(&s, "op-forged", "mkt-tm", "Unsubscribe").await;
    assert_eq!(status, 400);
    assert_eq!(s.check(&owner).await.1["licensed"], true);
    // A real operation whose action is not what the call says changes nothing either.
    operation("op-1", "mkt-tm", "ChangeQuantity", 20);
    assert_eq!(notify(&s, "op-1", "mkt-tm", "Unsubscribe").await.0, 400);

    assert_eq!(notify(&s, "op-1", "mkt-tm", "ChangeQuantity").await.0, 200);
    assert_eq!(s.subscription(&owner).await["seats"], 20);
    assert!(MARKET.lock().unwrap().patched.contains(&"op-1".to_owned()), "ChangeQuantity is acknowledged");
    assert_eq!(notify(&s, "op-1", "mkt-tm", "ChangeQuantity").await.1["duplicate"], true);

    operation("op-2", "mkt-tm", "Suspend", 20);
    assert_eq!(notify(&s, "op-2", "mkt-tm", "Suspend").await.0, 200);
    assert_eq!(s.check(&owner).await.1["licensed"], false);
    operation("op-3", "mkt-tm", "Reinstate", 20);
    assert_eq!(notify(&s, "op-3", "mkt-tm", "Reinstate").await.0, 200);
    assert_eq!(s.check(&owner).await.1["licensed"], true);
    operation("op-4", "mkt-tm", "Unsubscribe", 20);
    assert_eq!(notify(&s, "op-4", "mkt-tm", "Unsubscribe").await.0, 200);
    assert_eq!(s.check(&owner).await.1["licensed"], false);
}
