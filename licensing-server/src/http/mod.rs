//! The HTTP API, by resource. Handlers are thin: identity from the bearer token (`extract`),
//! one call into the seat rules, the billing mappings or the store, and one error type
//! (`error`) that becomes a JSON answer with a machine-readable code.

pub mod admin;
pub mod error;
pub mod extract;
pub mod license;
pub mod me;
pub mod ops;
pub mod telemetry;
pub mod webhooks;

use std::time::Duration;

use axum::Router;
use axum::http::{Method, header};
use axum::routing::{delete, get, post};

use crate::app::Shared;

/// The API's routes.
pub fn router() -> Router<Shared> {
    // The add-in calls these from its own origin with a bearer token (never cookies), or
    // with nothing (its anonymous usage counts), so any origin may: the token is the
    // authority, and nothing here reads cookies.
    let add_in = Router::new()
        .route("/v1/license/check", post(license::check))
        .route("/v1/license/public-key", get(license::public_key))
        .route("/v1/telemetry", post(telemetry::report))
        .layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(tower_http::cors::Any)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
                .expose_headers([header::RETRY_AFTER])
                .max_age(Duration::from_secs(3600)),
        );
    Router::new()
        .merge(add_in)
        .route("/v1/webhooks/paddle", post(webhooks::paddle))
        .route("/v1/webhooks/marketplace", post(webhooks::marketplace))
        .route("/v1/admin/subscriptions", get(admin::subscriptions))
        .route("/v1/admin/subscriptions/{id}/assignments", post(admin::assign))
        .route(
            "/v1/admin/subscriptions/{id}/assignments/{user_id}",
            delete(admin::unassign).put(admin::reassign),
        )
        .route("/v1/admin/subscriptions/{id}/admins", post(admin::add_admin))
        .route("/v1/me/export", get(me::export))
        .route("/v1/me", delete(me::delete))
        .route("/openapi.json", get(ops::openapi))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
}
