//! The server-rendered pages: the web sign-in (`session`), the account and seat pages and
//! the marketplace's landing page (`pages`, HTML from `templates/` with escaping by
//! default), and the admin's directory search (`directory`).

pub mod directory;
pub mod pages;
pub mod session;

use axum::Router;
use axum::http::header;
use axum::routing::{get, post};

use crate::app::Shared;

/// The pages' routes.
pub fn router() -> Router<Shared> {
    Router::new()
        .route("/login", get(session::login))
        .route("/auth/callback", get(session::callback))
        .route("/logout", get(session::logout_page).post(session::logout))
        .route("/account", get(pages::account))
        .route("/account/export", get(pages::account_export))
        .route("/account/delete", post(pages::account_delete))
        .route("/admin", get(pages::admin))
        .route("/admin/assign", post(pages::admin_assign))
        .route("/admin/unassign", post(pages::admin_unassign))
        .route("/admin/telemetry", post(pages::admin_telemetry))
        .route("/marketplace/landing", get(pages::landing))
        .route(
            "/static/site.css",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../../static/site.css"))
            }),
        )
        .route(
            "/static/checkout.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    include_str!("../../static/checkout.js"),
                )
            }),
        )
}
