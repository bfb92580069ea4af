//! A person's rights: everything stored about them, and its deletion.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::app::{AppState, Shared};
use crate::http::error::ApiResult;
use crate::http::extract::Authed;
use crate::store::StoreError;

/// `GET /v1/me/export`.
pub async fn export(State(state): State<Shared>, Authed(who): Authed) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(state.store.export(&who.tid, &who.oid).await?))
}

/// Deletes a person: revoked at once (seats, roles, sessions, a buyer's rights), purged
/// now or after the configured delay. The one path of the API's and the account page's
/// deletion.
pub async fn erase(state: &AppState, tid: &str, oid: &str) -> Result<(), StoreError> {
    let now = crate::now_ms();
    state.store.revoke(tid, oid, now).await?;
    if let Ok(mut t) = state.touched.lock() {
        t.remove(&(tid.to_owned(), oid.to_owned()));
    }
    if state.config.purge_after_days == 0 {
        state.purge().await?;
    }
    Ok(())
}

/// `DELETE /v1/me`.
pub async fn delete(State(state): State<Shared>, Authed(who): Authed) -> ApiResult<StatusCode> {
    erase(&state, &who.tid, &who.oid).await?;
    Ok(StatusCode::NO_CONTENT)
}
