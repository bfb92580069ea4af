//! The add-in's license check and the keys that verify its statements offline.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::json;

use crate::app::Shared;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::Authed;
use crate::license::LicenseClaims;

/// `POST /v1/license/check`.
pub async fn check(State(state): State<Shared>, Authed(who): Authed) -> ApiResult<Json<serde_json::Value>> {
    let now = crate::now_ms();
    let seat = state.store.seat(&who.tid, &who.oid, now).await?;
    if seat.is_some() {
        // Only licensed users' last use is kept, and written at most once a minute.
        let key = (who.tid.clone(), who.oid.clone());
        let due =
            state.touched.lock().map(|t| t.get(&key).is_none_or(|&at| now - at >= 60_000)).unwrap_or(true);
        if due {
            state
                .store
                .record_user(&who.tid, &who.oid, who.name.as_deref(), who.email.as_deref(), now, true)
                .await?;
            if let Ok(mut t) = state.touched.lock() {
                t.insert(key, now);
            }
        }
    }
    state.metrics.check(if seat.is_some() { "licensed" } else { "free" });
    let plan = seat.as_ref().map_or_else(|| "free".to_owned(), |s| s.plan.clone());
    let iat = now / 1000;
    let claims = LicenseClaims {
        sub: format!("{}/{}", who.tid, who.oid),
        plan: plan.clone(),
        iat,
        exp: iat + i64::from(state.config.license_days) * 86_400,
    };
    let license = state.signer.sign(&claims).map_err(|e| ApiError::Internal(e.to_string()))?;
    // Whether the pane may send its anonymous usage counts: not when the organisation's
    // administrator turned them off (the pane also has its own switch).
    let telemetry = !state.store.telemetry_off(&who.tid).await?;
    Ok(Json(json!({
        "telemetry": telemetry,
        "licensed": seat.is_some(),
        "plan": plan,
        "expires_at": seat.map(|s| iso(s.expires_at)),
        "license": license,
    })))
}

/// A time as RFC 3339 text.
pub fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_default()
}

/// `GET /v1/license/public-key`.
pub async fn public_key(State(state): State<Shared>) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "public, max-age=3600")], Json(state.signer.jwks()))
}
