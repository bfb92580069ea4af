//! The API's one error: each variant a status and a machine-readable code in a JSON body
//! (5xx details go to the log, never to the client).

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::AuthError;
use crate::billing::paddle::SignatureError;
use crate::seats::SeatError;
use crate::store::StoreError;

/// An error answer.
#[derive(Debug)]
pub enum ApiError {
    /// 401 with a reason code.
    Unauthorized(AuthError),
    /// 401 for a webhook signature.
    Signature(SignatureError),
    /// 403: seen, but not for this caller to change.
    Forbidden,
    /// 404: absent, or not the caller's (the same answer for both).
    NotFound,
    /// 409 with a code.
    Conflict(&'static str),
    /// 400 with a message.
    BadRequest(String),
    /// 429.
    TooMany(Duration),
    /// 503: a part of the configuration is missing.
    NotConfigured(&'static str),
    /// 502: a service the server depends on failed (logged, not shown).
    Upstream(String),
    /// 500: logged, not shown.
    Internal(String),
}

/// A handler's result.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        // One mapping of storage outcomes, the seat rules' (a database failure is a 500).
        SeatError::from(e).into()
    }
}

impl From<SeatError> for ApiError {
    fn from(e: SeatError) -> Self {
        match e {
            SeatError::NotFound => ApiError::NotFound,
            SeatError::BuyerOnly => ApiError::Forbidden,
            SeatError::NoSeat => ApiError::Conflict("no_free_seat"),
            SeatError::AlreadyAssigned => ApiError::Conflict("already_assigned"),
            SeatError::NotHolder => ApiError::NotFound,
            SeatError::Inactive => ApiError::Conflict("subscription_inactive"),
            SeatError::BadUser => ApiError::BadRequest("user_id must be a directory object id".to_owned()),
            SeatError::Store(e) => ApiError::Internal(e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            ApiError::Unauthorized(e) => {
                (StatusCode::UNAUTHORIZED, e.to_string(), "the access token was refused".to_owned())
            }
            ApiError::Signature(e) => {
                (StatusCode::UNAUTHORIZED, e.to_string(), "the webhook signature was refused".to_owned())
            }
            ApiError::Forbidden => {
                (StatusCode::FORBIDDEN, "forbidden".to_owned(), "only the buyer may do this".to_owned())
            }
            ApiError::NotFound => {
                (StatusCode::NOT_FOUND, "not_found".to_owned(), "no such resource".to_owned())
            }
            ApiError::Conflict(code) => (StatusCode::CONFLICT, code.to_owned(), code.replace('_', " ")),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request".to_owned(), m),
            ApiError::TooMany(wait) => {
                let mut r = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(json!({ "error": "rate_limited", "message": "too many requests" })),
                )
                    .into_response();
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                return r;
            }
            ApiError::NotConfigured(what) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "not_configured".to_owned(),
                format!("the server has no {what}"),
            ),
            ApiError::Upstream(detail) => {
                tracing::warn!(%detail, "a service the server depends on failed");
                (
                    StatusCode::BAD_GATEWAY,
                    "upstream".to_owned(),
                    "a service behind this one failed".to_owned(),
                )
            }
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal".to_owned(), "internal error".to_owned())
            }
        };
        (status, Json(json!({ "error": code, "message": message }))).into_response()
    }
}
