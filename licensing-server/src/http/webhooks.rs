//! The sellers' webhooks: authenticated first (Paddle's signature, the marketplace's
//! bearer token), then de-duplicated, then applied through the seat rules.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::json;

use crate::app::Shared;
use crate::billing::marketplace::{self, MarketplaceError, Notice, Outcome};
use crate::billing::paddle::{self, Decision, Event};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{bearer, reject_nul};
use crate::seats;

/// `POST /v1/webhooks/paddle`.
pub async fn paddle(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let result = paddle_event(&state, &headers, &body).await;
    let outcome = match &result {
        Ok(v) if v["duplicate"] == true => "duplicate",
        Ok(v) if v["applied"] == false => "ignored",
        Ok(_) => "applied",
        Err(_) => "refused",
    };
    state.metrics.webhook("paddle", outcome);
    result.map(Json)
}

async fn paddle_event(state: &Shared, headers: &HeaderMap, body: &Bytes) -> ApiResult<serde_json::Value> {
    let secrets = state
        .config
        .paddle_webhook_secret
        .as_deref()
        .ok_or(ApiError::NotConfigured("LICENSING_PADDLE_WEBHOOK_SECRET"))?;
    let secrets: Vec<&str> = secrets.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let signature = headers.get("paddle-signature").and_then(|v| v.to_str().ok());
    let now = crate::now_ms();
    paddle::verify(signature, body, &secrets, now / 1000).map_err(ApiError::Signature)?;
    let raw: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("not a Paddle event: {e}")))?;
    reject_nul(&raw)?;
    let event: Event =
        serde_json::from_value(raw).map_err(|e| ApiError::BadRequest(format!("not a Paddle event: {e}")))?;
    // Deliveries are at least once: an event seen before is acknowledged and not applied
    // again (and applying is idempotent anyway, for two deliveries racing).
    if state.store.seen(&event.event_id).await? {
        return Ok(json!({ "received": true, "duplicate": true }));
    }
    let answer = match paddle::decide(&event, &state.config, now).map_err(|e| ApiError::BadRequest(e.0))? {
        Decision::Apply { purchase, seat_buyer } => {
            let applied = seats::apply_purchase(&state.store, purchase, seat_buyer, now).await?;
            if applied.released > 0 {
                state.metrics.seat("released", applied.released);
            }
            if applied.buyer_seated {
                state.metrics.seat("assigned", 1);
            }
            json!({ "received": true })
        }
        Decision::UnknownPrice(price) => {
            // Acknowledged (Paddle would deliver it again and again), nothing granted, the
            // operator told by the log, the metrics and the answer.
            tracing::warn!(%price, event_type = %event.event_type, "a Paddle price id the configuration does not name: nothing granted");
            json!({ "received": true, "applied": false, "reason": "unknown price" })
        }
        Decision::Ignored => {
            tracing::info!(event_type = %event.event_type, "Paddle event ignored");
            json!({ "received": true, "applied": false, "reason": "event type not used" })
        }
    };
    state.store.first_delivery(&event.event_id, "paddle", now).await?;
    Ok(answer)
}

impl From<MarketplaceError> for ApiError {
    fn from(e: MarketplaceError) -> Self {
        match e {
            MarketplaceError::NotConfigured(what) => ApiError::NotConfigured(what),
            MarketplaceError::Unauthorized(e) => ApiError::Unauthorized(e),
            MarketplaceError::Refused(m) => ApiError::BadRequest(m),
            MarketplaceError::Upstream(m) => ApiError::Upstream(m),
            MarketplaceError::Seat(e) => e.into(),
        }
    }
}

/// `POST /v1/webhooks/marketplace`.
pub async fn marketplace(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let result = async {
        marketplace::authenticate(&state, bearer(&headers)).await?;
        let raw: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("not a marketplace operation: {e}")))?;
        reject_nul(&raw)?;
        let notice: Notice = serde_json::from_value(raw)
            .map_err(|e| ApiError::BadRequest(format!("not a marketplace operation: {e}")))?;
        Ok::<_, ApiError>(match marketplace::apply(&state, &notice).await? {
            Outcome::Applied => json!({ "received": true }),
            Outcome::Duplicate => json!({ "received": true, "duplicate": true }),
        })
    }
    .await;
    let outcome = match &result {
        Ok(v) if v["duplicate"] == true => "duplicate",
        Ok(_) => "applied",
        Err(_) => "refused",
    };
    state.metrics.webhook("marketplace", outcome);
    result.map(Json)
}
