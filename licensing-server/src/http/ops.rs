//! For the operator: liveness, readiness, metrics, the API's description.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use crate::app::Shared;

/// `GET /healthz`: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the database answers, every migration is applied, the signing keys are
/// loaded (they are, or the server would not have started), and the server is not draining
/// before a shutdown.
pub async fn readyz(State(state): State<Shared>) -> impl IntoResponse {
    if state.draining.load(std::sync::atomic::Ordering::Relaxed) {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "ready": false, "draining": true })));
    }
    match state.store.ready().await {
        Ok(true) => (
            StatusCode::OK,
            Json(json!({ "ready": true, "database": "ok", "migrations": "applied", "keys": "loaded" })),
        ),
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "ready": false, "database": "ok", "migrations": "pending" })),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "ready": false, "database": "unreachable" })))
        }
    }
}

/// `GET /metrics`, in the OpenMetrics text format.
pub async fn metrics(State(state): State<Shared>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
        state.metrics.render(),
    )
}

/// `GET /openapi.json`.
pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], include_str!("../../openapi.json"))
}
