//! Microsoft commercial marketplace SaaS fulfilment (API version 2018-08-31): the landing
//! page resolves the purchase token and activates the subscription; the webhook's
//! operations (ChangePlan, ChangeQuantity, Suspend, Reinstate, Unsubscribe, Renew) are
//! confirmed with Get Operation before anything is changed, so a forged call changes
//! nothing. A webhook call must first carry the marketplace's own Entra token (audience our
//! application, issued in the publisher's tenant to the marketplace's application): a
//! caller without one costs no outbound request. The publisher token is kept until it
//! expires.

use std::time::{Duration, Instant};

use oauth2::basic::BasicClient;
use oauth2::{ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::auth::AuthError;
use crate::seats::{self, SeatError};
use crate::store::{Purchase, Source, Status, Subscription};

const API_VERSION: &str = "2018-08-31";
/// The marketplace API's application id: the resource of the publisher's token, and the
/// application the marketplace's webhook tokens are issued to.
pub const MARKETPLACE_APP: &str = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7";

/// Why a marketplace exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum MarketplaceError {
    /// A setting is missing.
    #[error("the server has no {0}")]
    NotConfigured(&'static str),
    /// The webhook's bearer token was refused.
    #[error("{0}")]
    Unauthorized(AuthError),
    /// The caller's input is not what the marketplace knows.
    #[error("{0}")]
    Refused(String),
    /// The marketplace or the token endpoint failed.
    #[error("{0}")]
    Upstream(String),
    /// Applying it failed.
    #[error(transparent)]
    Seat(#[from] SeatError),
}

/// The publisher's token for the marketplace API, kept until a minute before it expires.
#[derive(Debug, Default)]
pub struct PublisherToken(tokio::sync::Mutex<Option<(String, Instant)>>);

async fn publisher_token(state: &AppState) -> Result<String, MarketplaceError> {
    let mut cached = state.publisher_token.0.lock().await;
    if let Some((token, until)) = cached.as_ref()
        && Instant::now() < *until
    {
        return Ok(token.clone());
    }
    let (Some(id), Some(secret), Some(url)) =
        (&state.config.client_id, &state.config.client_secret, &state.config.marketplace_token_url)
    else {
        return Err(MarketplaceError::NotConfigured(
            "LICENSING_CLIENT_ID, LICENSING_CLIENT_SECRET and LICENSING_MARKETPLACE_TOKEN_URL",
        ));
    };
    let token_url = TokenUrl::new(url.clone())
        .map_err(|_| MarketplaceError::NotConfigured("valid LICENSING_MARKETPLACE_TOKEN_URL"))?;
    let client = BasicClient::new(ClientId::new(id.clone()))
        .set_client_secret(ClientSecret::new(secret.clone()))
        .set_token_uri(token_url);
    let http = state.http.clone();
    let token = client
        .exchange_client_credentials()
        .add_scope(Scope::new(format!("{MARKETPLACE_APP}/.default")))
        .request_async(&|r| crate::outbound::oauth2(http.clone(), r))
        .await
        .map_err(|e| MarketplaceError::Upstream(format!("marketplace token: {e}")))?;
    let lifetime = token.expires_in().unwrap_or(Duration::from_secs(300));
    let secret = token.access_token().secret().clone();
    *cached = Some((secret.clone(), Instant::now() + lifetime.saturating_sub(Duration::from_secs(60))));
    Ok(secret)
}

async fn call(
    state: &AppState,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
    landing: Option<&str>,
) -> Result<Value, MarketplaceError> {
    let token = publisher_token(state).await?;
    let url = format!(
        "{}{path}{}api-version={API_VERSION}",
        state.config.marketplace_url.trim_end_matches('/'),
        if path.contains('?') { '&' } else { '?' }
    );
    let mut r = state
        .http
        .request(method, url)
        .bearer_auth(token)
        .header("x-ms-requestid", uuid::Uuid::new_v4().to_string());
    if let Some(t) = landing {
        r = r.header("x-ms-marketplace-token", t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.map_err(|e| MarketplaceError::Upstream(format!("marketplace: {e}")))?;
    let status = resp.status();
    // The body stays out of errors and logs: it can name the purchaser.
    let text = resp.text().await.unwrap_or_default();
    if matches!(status.as_u16(), 400 | 404) {
        return Err(MarketplaceError::Refused(format!("the marketplace does not know this ({status})")));
    }
    if status.as_u16() == 401 || status.as_u16() == 403 {
        // Our token was refused: take a new one next time.
        *state.publisher_token.0.lock().await = None;
    }
    if !status.is_success() {
        return Err(MarketplaceError::Upstream(format!("marketplace answered {status}")));
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn purchase_from(
    sub: &Value,
    plan: &str,
    quantity: Option<i64>,
    status: Status,
    now: i64,
) -> Option<Purchase> {
    let beneficiary = &sub["beneficiary"];
    let purchaser = &sub["purchaser"];
    let tenant = beneficiary["tenantId"].as_str().filter(|t| !t.is_empty())?;
    // The purchaser administers it when they belong to the tenant; otherwise (a partner
    // buying for a customer) the beneficiary does.
    let buyer = if purchaser["tenantId"].as_str() == Some(tenant) {
        purchaser["objectId"].as_str()
    } else {
        beneficiary["objectId"].as_str()
    };
    Some(Purchase {
        source: Source::Marketplace,
        external_id: sub["id"].as_str().filter(|i| !i.is_empty())?.to_owned(),
        tenant_id: tenant.to_owned(),
        buyer_user_id: buyer.map(str::to_owned),
        plan: plan.to_owned(),
        seats: quantity.or(sub["quantity"].as_i64()).unwrap_or(1).clamp(1, 100_000),
        status,
        expires_at: sub["term"]["endDate"]
            .as_str()
            .and_then(|d| d.parse::<jiff::Timestamp>().ok())
            .map_or(now + crate::billing::paddle::UNDATED_TERM_MS, |t| t.as_millisecond()),
        billing_contact: purchaser["emailId"].as_str().map(str::to_owned),
        transaction_id: None,
    })
}

/// Whether a landing token can be one: opaque printable text. Anything else (a line break,
/// a control character) is refused before any call goes out.
pub fn landing_token(t: &str) -> bool {
    !t.is_empty() && t.len() <= 4096 && t.bytes().all(|b| b.is_ascii_graphic())
}

/// The landing page's work: resolve the purchase token, activate, record, seat the buyer.
pub async fn activate(state: &AppState, token: &str) -> Result<Subscription, MarketplaceError> {
    let resolved =
        call(state, reqwest::Method::POST, "/saas/subscriptions/resolve", None, Some(token)).await?;
    let sub = &resolved["subscription"];
    let plan = resolved["planId"].as_str().or(sub["planId"].as_str()).unwrap_or("standard").to_owned();
    let id = resolved["id"]
        .as_str()
        .filter(|i| seats::is_id(i))
        .ok_or_else(|| MarketplaceError::Refused("no subscription id".to_owned()))?
        .to_owned();
    let quantity = resolved["quantity"].as_i64().or(sub["quantity"].as_i64());
    call(
        state,
        reqwest::Method::POST,
        &format!("/saas/subscriptions/{id}/activate"),
        Some(json!({ "planId": plan, "quantity": quantity })),
        None,
    )
    .await?;
    let mut full = sub.clone();
    full["id"] = json!(id);
    let now = crate::now_ms();
    let p = purchase_from(&full, &plan, quantity, Status::Active, now)
        .ok_or_else(|| MarketplaceError::Refused("no beneficiary".to_owned()))?;
    Ok(seats::apply_purchase(&state.store, p, true, now).await?.sub)
}

/// A webhook call's body (read leniently: Microsoft may add fields).
#[derive(Debug, Deserialize)]
pub struct Notice {
    id: String,
    #[serde(rename = "subscriptionId")]
    subscription_id: String,
    action: String,
}

/// Checks the webhook's bearer token: issued by the identity platform in the publisher's
/// tenant, for our application, to the marketplace's application.
pub async fn authenticate(state: &AppState, bearer: Option<&str>) -> Result<(), MarketplaceError> {
    let (Some(client), Some(tenant)) = (&state.config.client_id, &state.config.marketplace_tenant_id) else {
        return Err(MarketplaceError::NotConfigured(
            "LICENSING_CLIENT_ID and LICENSING_MARKETPLACE_TENANT_ID",
        ));
    };
    let token = bearer.ok_or(MarketplaceError::Unauthorized(AuthError::Missing))?;
    state
        .verifier
        .verify_app(token, client, tenant, MARKETPLACE_APP)
        .await
        .map_err(MarketplaceError::Unauthorized)
}

/// What a confirmed operation did.
#[derive(Debug)]
pub enum Outcome {
    /// Applied.
    Applied,
    /// Seen before.
    Duplicate,
}

/// Applies an operation the marketplace confirms, from what it says there, never from the
/// call's body.
pub async fn apply(state: &AppState, notice: &Notice) -> Result<Outcome, MarketplaceError> {
    if !seats::is_id(&notice.id) || !seats::is_id(&notice.subscription_id) {
        return Err(MarketplaceError::Refused("id and subscriptionId must be marketplace ids".to_owned()));
    }
    let key = format!("marketplace:{}", notice.id);
    if state.store.seen(&key).await.map_err(SeatError::from)? {
        return Ok(Outcome::Duplicate);
    }
    let path = format!("/saas/subscriptions/{}/operations/{}", notice.subscription_id, notice.id);
    let op = call(state, reqwest::Method::GET, &path, None, None).await?;
    let action = op["action"].as_str().unwrap_or_default();
    if action != notice.action || op["subscriptionId"].as_str() != Some(notice.subscription_id.as_str()) {
        return Err(MarketplaceError::Refused("the operation does not match the marketplace's".to_owned()));
    }
    let sub = call(
        state,
        reqwest::Method::GET,
        &format!("/saas/subscriptions/{}", notice.subscription_id),
        None,
        None,
    )
    .await?;
    let plan = op["planId"].as_str().or(sub["planId"].as_str()).unwrap_or("standard").to_owned();
    let status = match action {
        "Suspend" => Status::Suspended,
        "Unsubscribe" => Status::Canceled,
        _ => Status::Active,
    };
    let quantity = op["quantity"].as_i64().or(sub["quantity"].as_i64());
    let now = crate::now_ms();
    let p = purchase_from(&sub, &plan, quantity, status, now)
        .ok_or_else(|| MarketplaceError::Refused("no beneficiary".to_owned()))?;
    seats::apply_purchase(&state.store, p, false, now).await?;
    if matches!(action, "ChangePlan" | "ChangeQuantity") {
        // These wait for our answer before the marketplace completes them.
        call(state, reqwest::Method::PATCH, &path, Some(json!({ "status": "Success" })), None).await?;
    }
    state.store.first_delivery(&key, "marketplace", crate::now_ms()).await.map_err(SeatError::from)?;
    Ok(Outcome::Applied)
}
