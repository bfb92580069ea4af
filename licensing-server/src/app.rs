//! The application: its state, how it is built from a configuration, and the router that
//! assembles the API (`http`), the pages (`web`) and the layers every request passes:
//! per-address rate limit, access log and metrics, security headers, body limit, timeout.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::auth::Verifier;
use crate::billing::marketplace::PublisherToken;
use crate::config::Config;
use crate::http::error::ApiError;
use crate::license::Signer;
use crate::metrics::Metrics;
use crate::store::Store;

/// Everything a handler needs.
#[derive(Debug)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Access-token checks.
    pub verifier: Verifier,
    /// License statements.
    pub signer: Signer,
    /// The configuration.
    pub config: Config,
    /// Calls to Graph and the marketplace.
    pub http: reqwest::Client,
    /// What the server counts.
    pub metrics: Metrics,
    /// The marketplace API's token, kept until it expires.
    pub publisher_token: PublisherToken,
    /// Set on SIGTERM: readiness answers 503 while requests are still served.
    pub draining: std::sync::atomic::AtomicBool,
    pub(crate) users: DefaultKeyedRateLimiter<String>,
    ips: DefaultKeyedRateLimiter<IpAddr>,
    /// When each licensed user's last use was last written (at most once a minute).
    pub(crate) touched: Mutex<HashMap<(String, String), i64>>,
}

/// The state as handlers hold it.
pub type Shared = Arc<AppState>;

impl AppState {
    /// Puts the parts together.
    pub fn new(store: Store, verifier: Verifier, signer: Signer, config: Config) -> AppState {
        let per = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        AppState {
            http: crate::outbound::client(),
            users: RateLimiter::keyed(per(config.rate_per_user)),
            ips: RateLimiter::keyed(per(config.rate_per_ip)),
            metrics: Metrics::default(),
            publisher_token: PublisherToken::default(),
            draining: std::sync::atomic::AtomicBool::new(false),
            store,
            verifier,
            signer,
            config,
            touched: Mutex::new(HashMap::new()),
        }
    }

    /// Forgets rate-limit and last-use entries that no longer matter (memory stays bounded
    /// by the recent users and addresses, not by every one ever seen).
    pub fn housekeeping(&self) {
        self.users.retain_recent();
        self.ips.retain_recent();
        let cutoff = crate::now_ms() - 60_000;
        if let Ok(mut t) = self.touched.lock() {
            t.retain(|_, at| *at > cutoff);
        }
    }

    /// The hourly chores: deleted accounts past the purge delay lose their personal fields,
    /// ended sessions go. Returns how many users were purged.
    pub async fn purge(&self) -> Result<u64, crate::store::StoreError> {
        let now = crate::now_ms();
        let cutoff = now - i64::from(self.config.purge_after_days) * 86_400_000;
        self.store.purge(cutoff, now).await
    }
}

/// Builds the application from a configuration: the store (migrated), the verifier, the
/// signing keys.
pub async fn build(config: Config) -> anyhow::Result<Shared> {
    let store = Store::connect(&config.database_url)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e}", crate::config::redact(&config.database_url)))?;
    let key_file = config
        .database_url
        .strip_prefix("sqlite://")
        .map(|p| p.split('?').next().unwrap_or(p))
        .filter(|p| !p.contains(":memory:"))
        .map(|p| {
            let dir = std::path::Path::new(p).parent().map(std::path::Path::to_path_buf).unwrap_or_default();
            dir.join("licensing-signing.key")
        });
    let signer = Signer::load(config.signing_key.as_deref(), key_file.as_deref())?;
    let verifier = Verifier::new(&config.oidc_authority, config.api_audience.clone());
    Ok(Arc::new(AppState::new(store, verifier, signer, config)))
}

/// The security headers of every answer: no page may be framed, no page loads anything but
/// its own style sheet and script (and Paddle's checkout, on the account page), no address
/// leaks in a `Referer`.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     script-src 'self' https://cdn.paddle.com; frame-src https://*.paddle.com; \
     connect-src 'self' https://*.paddle.com; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The whole application.
pub fn router(state: Shared) -> Router {
    Router::new()
        .merge(crate::http::router())
        .merge(crate::web::router())
        .layer(middleware::from_fn_with_state(state.clone(), per_ip))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(15),
        ))
        .with_state(state)
}

/// The per-address rate limit, the access log (with the address truncated: no full IP
/// address is ever written) and the request metrics (by route template, never by path: a
/// path can hold an id).
async fn per_ip(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let mut ip = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if state.config.behind_proxy
        && let Some(forwarded) = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .and_then(|a| a.trim().parse::<IpAddr>().ok())
    {
        ip = Some(forwarded);
    }
    if let Some(Err(not_until)) = ip.map(|ip| state.ips.check_key(&ip)) {
        state.metrics.rate_limited("address");
        let clock = governor::clock::DefaultClock::default();
        return ApiError::TooMany(not_until.wait_time_from(governor::clock::Clock::now(&clock)))
            .into_response();
    }
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    state.metrics.request(&route, method.as_str(), status, started.elapsed().as_secs_f64());
    tracing::info!(target: "access", %method, %route, status, client = %ip.map(truncate).unwrap_or_default());
    response
}

/// An address with its host part removed: /24 for IPv4, /48 for IPv6.
pub fn truncate(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}
