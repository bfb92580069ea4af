//! Microsoft commercial marketplace: landing, activation, confirmed operations.

use serde_json::json;

use crate::harness::*;
use crate::oidc::{CLIENT_ID, CLIENT_SECRET, MARKET, PUBLISHER_TOKENS};

const PUBLISHER_TENANT: &str = "publisher-tenant";
const MARKETPLACE_APP: &str = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7";

pub(crate) async fn market_server() -> Server {
    let base = idp().await.base.clone();
    // PostgreSQL where it runs (the replicas' database), else SQLite.
    let db = backends().last().copied().unwrap_or(Db::Sqlite);
    server_with(db, |c| {
        c.client_id = Some(CLIENT_ID.to_owned());
        c.client_secret = Some(CLIENT_SECRET.to_owned());
        c.marketplace_url = format!("{base}/mkt/api");
        c.marketplace_token_url = Some(format!("{base}/common/oauth2/v2.0/token"));
        c.marketplace_tenant_id = Some(PUBLISHER_TENANT.to_owned());
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

/// The marketplace's own token for its webhook calls: issued in the publisher's tenant to
/// the marketplace's application, for ours. `edit` forges it.
async fn marketplace_token(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let base = idp().await.base.clone();
    token_with(PUBLISHER_TENANT, "marketplace-sp", |t| {
        t.claims["aud"] = json!(CLIENT_ID);
        t.claims["appid"] = json!(MARKETPLACE_APP);
        t.claims["iss"] = json!(format!("{base}/{PUBLISHER_TENANT}/v2.0"));
        edit(&mut t.claims);
    })
    .await
}

async fn notify_with(
    s: &Server,
    token: Option<&str>,
    id: &str,
    sub: &str,
    action: &str,
) -> (u16, serde_json::Value) {
    let body = json!({ "id": id, "activityId": "a1", "subscriptionId": sub, "offerId": "localmerge", "publisherId": "us", "planId": "team", "quantity": 1, "action": action, "timeStamp": "2026-11-24T10:00:00Z", "status": "InProgress" });
    s.call(reqwest::Method::POST, "/v1/webhooks/marketplace", token, Some(body)).await
}

async fn notify(s: &Server, id: &str, sub: &str, action: &str) -> (u16, serde_json::Value) {
    notify_with(s, Some(&marketplace_token(|_| {}).await), id, sub, action).await
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

    // A call without the marketplace's token, or with a forged one, is refused before any
    // outbound request: no publisher token is asked for, the marketplace is not called.
    let tokens_before = PUBLISHER_TOKENS.load(std::sync::atomic::Ordering::SeqCst);
    let forged = [
        None,
        Some(marketplace_token(|c| c["appid"] = json!("someone-else")).await),
        Some(marketplace_token(|c| c["tid"] = json!("attacker-tenant")).await),
        Some(marketplace_token(|c| c["aud"] = json!("api://another-app")).await),
        Some(token("tm", "owner").await),
    ];
    for t in &forged {
        let (status, v) = notify_with(&s, t.as_deref(), "op-x", "mkt-tm", "Unsubscribe").await;
        assert_eq!(status, 401, "{v}");
    }
    assert_eq!(PUBLISHER_TOKENS.load(std::sync::atomic::Ordering::SeqCst), tokens_before, "no outbound work");
    assert_eq!(s.check(&owner).await.1["licensed"], true);

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
    // One publisher token served every call since the landing page: it is kept until it
    // expires.
    assert_eq!(PUBLISHER_TOKENS.load(std::sync::atomic::Ordering::SeqCst), tokens_before);
}
