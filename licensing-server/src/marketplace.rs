//! Microsoft commercial marketplace SaaS fulfilment (API version 2018-08-31): the landing
//! page resolves the purchase token and activates the subscription; the webhook's
//! operations (ChangePlan, ChangeQuantity, Suspend, Reinstate, Unsubscribe) are confirmed
//! with Get Operation before anything is changed, so a forged call changes nothing.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use oauth2::basic::BasicClient;
use oauth2::{ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::{ApiError, AppState};
use crate::store::{Holder, Purchase, StoreError};

type Shared = std::sync::Arc<AppState>;

const API_VERSION: &str = "2018-08-31";
/// The marketplace API's resource id (for the publisher's client-credentials token).
const MARKETPLACE_SCOPE: &str = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default";

/// A token for the marketplace API, with the publisher's application credentials.
async fn publisher_token(state: &AppState) -> Result<String, ApiError> {
    let (Some(id), Some(secret), Some(url)) =
        (&state.config.client_id, &state.config.client_secret, &state.config.marketplace_token_url)
    else {
        return Err(ApiError::NotConfigured(
            "LICENSING_CLIENT_ID, LICENSING_CLIENT_SECRET and LICENSING_MARKETPLACE_TOKEN_URL",
        ));
    };
    let token_url = TokenUrl::new(url.clone()).map_err(|e| ApiError::Internal(e.to_string()))?;
    let client = BasicClient::new(ClientId::new(id.clone()))
        .set_client_secret(ClientSecret::new(secret.clone()))
        .set_token_uri(token_url);
    let http = state.http.clone();
    let token = client
        .exchange_client_credentials()
        .add_scope(Scope::new(MARKETPLACE_SCOPE.to_owned()))
        .request_async(&|r| crate::http::outbound(http.clone(), r))
        .await
        .map_err(|e| ApiError::Internal(format!("marketplace token: {e}")))?;
    Ok(token.access_token().secret().clone())
}

async fn call(
    state: &AppState,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
    landing: Option<&str>,
) -> Result<Value, ApiError> {
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
    let resp = r.send().await.map_err(|e| ApiError::Internal(format!("marketplace: {e}")))?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if status.as_u16() == 404 || status.as_u16() == 400 {
        return Err(ApiError::BadRequest(format!("the marketplace does not know this ({status})")));
    }
    if !status.is_success() {
        return Err(ApiError::Internal(format!("marketplace answered {status}: {text}")));
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn purchase_from(sub: &Value, plan: &str, quantity: Option<i64>, status: &str) -> Option<Purchase> {
    let beneficiary = &sub["beneficiary"];
    let purchaser = &sub["purchaser"];
    let tenant = beneficiary["tenantId"].as_str()?;
    // The purchaser administers it when they belong to the tenant; otherwise (a partner
    // buying for a customer) the beneficiary does.
    let buyer = if purchaser["tenantId"].as_str() == Some(tenant) {
        purchaser["objectId"].as_str()
    } else {
        beneficiary["objectId"].as_str()
    };
    Some(Purchase {
        source: "marketplace",
        external_id: sub["id"].as_str()?.to_owned(),
        tenant_id: tenant.to_owned(),
        buyer_user_id: buyer.map(str::to_owned),
        plan: plan.to_owned(),
        seats: quantity.or(sub["quantity"].as_i64()).unwrap_or(1).max(1),
        status: status.to_owned(),
        expires_at: sub["term"]["endDate"]
            .as_str()
            .and_then(|d| d.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_millisecond()),
        billing_contact: purchaser["emailId"].as_str().map(str::to_owned),
        transaction_id: None,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct Landing {
    token: Option<String>,
}

/// The landing page: resolve the purchase token, activate, record.
pub(crate) async fn landing(State(state): State<Shared>, Query(q): Query<Landing>) -> Response {
    // A landing token is opaque printable text: anything else (a line break, a control
    // character) is no token, refused before any call goes out.
    let token =
        q.token.filter(|t| !t.is_empty() && t.len() <= 4096 && t.bytes().all(|b| b.is_ascii_graphic()));
    let Some(token) = token else {
        return (
            StatusCode::BAD_REQUEST,
            Html("<p>This page is opened from the Microsoft marketplace.</p>".to_owned()),
        )
            .into_response();
    };
    let result = async {
        let resolved =
            call(&state, reqwest::Method::POST, "/saas/subscriptions/resolve", None, Some(&token)).await?;
        let sub = &resolved["subscription"];
        let plan = resolved["planId"].as_str().or(sub["planId"].as_str()).unwrap_or("standard").to_owned();
        let id = resolved["id"]
            .as_str()
            .ok_or_else(|| ApiError::BadRequest("no subscription id".to_owned()))?
            .to_owned();
        let quantity = resolved["quantity"].as_i64().or(sub["quantity"].as_i64());
        call(
            &state,
            reqwest::Method::POST,
            &format!("/saas/subscriptions/{id}/activate"),
            Some(json!({ "planId": plan, "quantity": quantity })),
            None,
        )
        .await?;
        let mut full = sub.clone();
        full["id"] = json!(id);
        let p = purchase_from(&full, &plan, quantity, "active")
            .ok_or_else(|| ApiError::BadRequest("no beneficiary".to_owned()))?;
        let now = crate::now_ms();
        let stored = state.store.upsert_subscription(&p, now).await?;
        if let Some(buyer) = &p.buyer_user_id {
            match state
                .store
                .assign(&stored, &Holder { user_id: buyer.clone(), name: None, email: None }, now)
                .await
            {
                Ok(()) | Err(StoreError::AlreadyAssigned | StoreError::NoSeat) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok::<_, ApiError>(stored)
    }
    .await;
    match result {
        Ok(sub) => Html(format!(
            "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>localmerge</title><main><h1>Thank you</h1>\
             <p>Your subscription ({} seats, {} plan) is active. <a href=\"/admin\">Assign seats</a>.</p></main></html>",
            sub.seats,
            crate::web::esc(&sub.plan)
        ))
        .into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct Notice {
    id: String,
    #[serde(rename = "subscriptionId")]
    subscription_id: String,
    action: String,
}

/// The webhook: each operation is read back from the marketplace and applied from what it
/// says there, never from the call's body.
pub(crate) async fn webhook(State(state): State<Shared>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let notice: Notice = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("not a marketplace operation: {e}")))?;
    let safe =
        |v: &str| !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !safe(&notice.id) || !safe(&notice.subscription_id) {
        return Err(ApiError::BadRequest("id and subscriptionId must be marketplace ids".to_owned()));
    }
    let key = format!("marketplace:{}", notice.id);
    if state.store.seen(&key).await? {
        return Ok(Json(json!({ "received": true, "duplicate": true })));
    }
    let op = call(
        &state,
        reqwest::Method::GET,
        &format!("/saas/subscriptions/{}/operations/{}", notice.subscription_id, notice.id),
        None,
        None,
    )
    .await?;
    let action = op["action"].as_str().unwrap_or_default();
    if action != notice.action || op["subscriptionId"].as_str() != Some(notice.subscription_id.as_str()) {
        return Err(ApiError::BadRequest("the operation does not match the marketplace's".to_owned()));
    }
    let sub = call(
        &state,
        reqwest::Method::GET,
        &format!("/saas/subscriptions/{}", notice.subscription_id),
        None,
        None,
    )
    .await?;
    let plan = op["planId"].as_str().or(sub["planId"].as_str()).unwrap_or("standard").to_owned();
    let status = match action {
        "Suspend" => "suspended",
        "Unsubscribe" => "canceled",
        _ => "active",
    };
    let quantity = op["quantity"].as_i64().or(sub["quantity"].as_i64());
    let p = purchase_from(&sub, &plan, quantity, status)
        .ok_or_else(|| ApiError::BadRequest("no beneficiary".to_owned()))?;
    state.store.upsert_subscription(&p, crate::now_ms()).await?;
    if matches!(action, "ChangePlan" | "ChangeQuantity") {
        // These wait for our answer before the marketplace completes them.
        call(
            &state,
            reqwest::Method::PATCH,
            &format!("/saas/subscriptions/{}/operations/{}", notice.subscription_id, notice.id),
            Some(json!({ "status": "Success" })),
            None,
        )
        .await?;
    }
    state.store.first_delivery(&key, "marketplace", crate::now_ms()).await?;
    Ok(Json(json!({ "received": true })))
}
