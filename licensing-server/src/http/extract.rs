//! What handlers take from a request: the signed-in user (a valid bearer token, within the
//! per-user rate limit), and bodies checked as bad input before anything is stored.

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, header, request::Parts};
use serde::Deserialize;

use crate::app::Shared;
use crate::auth::{AuthError, Identity};
use crate::http::error::{ApiError, ApiResult};
use crate::store::Holder;

/// The signed-in user of a request.
#[derive(Debug)]
pub struct Authed(pub Identity);

/// The token of an `Authorization: Bearer` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
}

impl FromRequestParts<Shared> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers).ok_or(ApiError::Unauthorized(AuthError::Missing))?;
        let identity = state.verifier.verify(token).await.map_err(|e| match e {
            AuthError::NotConfigured => ApiError::NotConfigured("LICENSING_API_AUDIENCE"),
            e => ApiError::Unauthorized(e),
        })?;
        if let Err(not_until) = state.users.check_key(&format!("{}/{}", identity.tid, identity.oid)) {
            state.metrics.rate_limited("user");
            return Err(ApiError::TooMany(
                not_until
                    .wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default())),
            ));
        }
        Ok(Authed(identity))
    }
}

/// Text holding a NUL character is refused as bad input: PostgreSQL's text type cannot
/// store it (a database error, a 500, before this), and no id, name or address holds one.
pub fn reject_nul(v: &serde_json::Value) -> ApiResult<()> {
    let bad = match v {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => return items.iter().try_for_each(reject_nul),
        serde_json::Value::Object(map) => {
            if map.keys().any(|k| k.contains('\0')) {
                true
            } else {
                return map.values().try_for_each(reject_nul);
            }
        }
        _ => false,
    };
    if bad { Err(ApiError::BadRequest("text with a NUL character".to_owned())) } else { Ok(()) }
}

#[derive(Debug, Deserialize)]
struct HolderIn {
    user_id: String,
    name: Option<String>,
    email: Option<String>,
}

/// A person named in a body: `{"user_id", "name", "email"}` (the id's syntax is checked
/// where every path checks it, `seats::holder`).
pub fn holder(body: &Bytes) -> ApiResult<Holder> {
    let raw: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("expected {{\"user_id\", \"name\", \"email\"}}: {e}")))?;
    reject_nul(&raw)?;
    let h: HolderIn = serde_json::from_value(raw)
        .map_err(|e| ApiError::BadRequest(format!("expected {{\"user_id\", \"name\", \"email\"}}: {e}")))?;
    Ok(crate::seats::holder(&h.user_id, h.name.as_deref(), h.email.as_deref())?)
}
