//! Tenant admins: their subscriptions, seats and delegated admins. Every rule is in `seats`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::json;

use crate::app::Shared;
use crate::http::error::ApiResult;
use crate::http::extract::{Authed, holder};
use crate::http::license::iso;
use crate::seats;
use crate::store::Role;

/// `GET /v1/admin/subscriptions`.
pub async fn subscriptions(
    State(state): State<Shared>,
    Authed(who): Authed,
) -> ApiResult<Json<serde_json::Value>> {
    let mut out = Vec::new();
    for sub in state.store.administered(&who.tid, &who.oid).await? {
        let role = state.store.role(&sub, &who.tid, &who.oid).await?;
        let holders = state.store.holders(&sub.id).await?;
        let mut v = json!({
            "id": sub.id, "plan": sub.plan, "seats": sub.seats, "seats_used": sub.seats_used,
            "status": sub.status, "expires_at": iso(sub.expires_at), "assignments": holders,
            "role": if role == Some(Role::Buyer) { "buyer" } else { "delegated" },
        });
        // Delegated admins have no billing access.
        if role == Some(Role::Buyer) {
            v["billing_contact"] = json!(sub.billing_contact);
            v["transaction_id"] = json!(sub.transaction_id);
        }
        out.push(v);
    }
    Ok(Json(json!({ "subscriptions": out })))
}

/// `POST /v1/admin/subscriptions/{id}/assignments`.
pub async fn assign(
    State(state): State<Shared>,
    Authed(who): Authed,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let admin = seats::authorize(&state.store, &id, &who.tid, &who.oid).await?;
    let h = holder(&body)?;
    seats::assign(&state.store, &admin, &h, crate::now_ms()).await?;
    state.metrics.seat("assigned", 1);
    Ok(StatusCode::CREATED)
}

/// `DELETE /v1/admin/subscriptions/{id}/assignments/{user_id}`.
pub async fn unassign(
    State(state): State<Shared>,
    Authed(who): Authed,
    Path((id, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let admin = seats::authorize(&state.store, &id, &who.tid, &who.oid).await?;
    seats::unassign(&state.store, &admin, &user, crate::now_ms()).await?;
    state.metrics.seat("unassigned", 1);
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /v1/admin/subscriptions/{id}/assignments/{user_id}`: the seat moves in one step.
pub async fn reassign(
    State(state): State<Shared>,
    Authed(who): Authed,
    Path((id, user)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let admin = seats::authorize(&state.store, &id, &who.tid, &who.oid).await?;
    let h = holder(&body)?;
    seats::reassign(&state.store, &admin, &user, &h, crate::now_ms()).await?;
    state.metrics.seat("reassigned", 1);
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/admin/subscriptions/{id}/admins`: the buyer names a delegated admin.
pub async fn add_admin(
    State(state): State<Shared>,
    Authed(who): Authed,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let admin = seats::authorize(&state.store, &id, &who.tid, &who.oid).await?;
    let h = holder(&body)?;
    seats::add_admin(&state.store, &admin, &h).await?;
    Ok(StatusCode::CREATED)
}
