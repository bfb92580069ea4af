//! localmerge's licensing server: the only server of the product, and the only place the
//! company holds personal data — a user's ids, name and email, last use, purchases and
//! seats; nothing from any campaign, ever.

pub mod auth;
pub mod config;
pub mod http;
pub mod license;
pub mod marketplace;
pub mod paddle;
pub mod store;
pub mod web;

use std::sync::Arc;

pub use config::Config;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Builds the application from a configuration: the store (migrated), the verifier, the
/// signing keys.
pub async fn build(config: Config) -> anyhow::Result<Arc<http::AppState>> {
    let store = store::Store::connect(&config.database_url)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e}", config.database_url))?;
    let key_file = config
        .database_url
        .strip_prefix("sqlite://")
        .map(|p| p.split('?').next().unwrap_or(p))
        .filter(|p| !p.contains(":memory:"))
        .map(|p| {
            let dir = std::path::Path::new(p).parent().map(std::path::Path::to_path_buf).unwrap_or_default();
            dir.join("licensing-signing.key")
        });
    let signer = license::Signer::load(config.signing_key.as_deref(), key_file.as_deref())?;
    let verifier = auth::Verifier::new(&config.oidc_authority, config.api_audience.clone());
    Ok(Arc::new(http::AppState::new(store, verifier, signer, config)))
}
