//! localmerge's licensing server: the only server of the product, and the only place the
//! company holds personal data — a user's ids, name and email, last use, purchases and
//! seats; nothing from any campaign, ever.
//!
//! Dependencies point one way: `app` assembles `http` and `web`, which call `seats`,
//! `billing` and `store`; `auth`, `license`, `metrics` and `outbound` depend on none of
//! them.

pub mod app;
pub mod auth;
pub mod billing;
pub mod config;
pub mod http;
pub mod license;
pub mod metrics;
pub mod outbound;
pub mod seats;
pub mod store;
pub mod telemetry;
pub mod web;

pub use app::build;
pub use config::Config;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}
