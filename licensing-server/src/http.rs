//! The HTTP API. Handlers are thin: identity from the bearer token, rate limits, one store
//! call or two, and a typed error that becomes a JSON answer with a machine-readable code
//! (5xx details go to the log, never to the client).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{AuthError, Identity, Verifier};
use crate::config::Config;
use crate::license::{LicenseClaims, Signer};
use crate::paddle;
use crate::store::{Holder, Purchase, Role, Store, StoreError, Subscription};

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
    users: DefaultKeyedRateLimiter<String>,
    ips: DefaultKeyedRateLimiter<IpAddr>,
    /// When each licensed user's last use was last written (at most once a minute).
    touched: Mutex<HashMap<(String, String), i64>>,
}

impl AppState {
    /// Puts the parts together.
    pub fn new(store: Store, verifier: Verifier, signer: Signer, config: Config) -> AppState {
        let per = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        AppState {
            http: new_client(),
            users: RateLimiter::keyed(per(config.rate_per_user)),
            ips: RateLimiter::keyed(per(config.rate_per_ip)),
            store,
            verifier,
            signer,
            config,
            touched: Mutex::new(HashMap::new()),
        }
    }
}

impl AppState {
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
}

type Shared = Arc<AppState>;

/// An error answer.
#[derive(Debug)]
pub enum ApiError {
    /// 401 with a reason code.
    Unauthorized(AuthError),
    /// 401 for a webhook signature.
    Signature(paddle::SignatureError),
    /// 403: not yours.
    Forbidden,
    /// 404.
    NotFound,
    /// 409 with a code.
    Conflict(&'static str),
    /// 400 with a message.
    BadRequest(String),
    /// 429.
    TooMany(Duration),
    /// 503: a part of the configuration is missing.
    NotConfigured(&'static str),
    /// 500: logged, not shown.
    Internal(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSeat => ApiError::Conflict("no_free_seat"),
            StoreError::AlreadyAssigned => ApiError::Conflict("already_assigned"),
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Db(e) => ApiError::Internal(e.to_string()),
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
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden".to_owned(),
                "not an admin of this subscription".to_owned(),
            ),
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
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal".to_owned(), "internal error".to_owned())
            }
        };
        (status, Json(json!({ "error": code, "message": message }))).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The signed-in user of a request (a valid bearer token for this API).
#[derive(Debug)]
pub struct Authed(pub Identity);

impl FromRequestParts<Shared> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .ok_or(ApiError::Unauthorized(AuthError::Missing))?;
        let identity = state.verifier.verify(token.trim()).await.map_err(|e| match e {
            AuthError::NotConfigured => ApiError::NotConfigured("LICENSING_API_AUDIENCE"),
            e => ApiError::Unauthorized(e),
        })?;
        if let Err(not_until) = state.users.check_key(&format!("{}/{}", identity.tid, identity.oid)) {
            return Err(ApiError::TooMany(
                not_until
                    .wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default())),
            ));
        }
        Ok(Authed(identity))
    }
}

/// The API's routes.
pub fn router(state: Shared) -> Router {
    // The add-in calls these two from its own origin with a bearer token (never cookies),
    // so any origin may: the token is the authority, and nothing here reads cookies.
    let add_in = Router::new()
        .route("/v1/license/check", post(check))
        .route("/v1/license/public-key", get(public_key))
        .layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(tower_http::cors::Any)
                .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
                .allow_headers([axum::http::header::AUTHORIZATION, axum::http::header::CONTENT_TYPE])
                .expose_headers([axum::http::header::RETRY_AFTER])
                .max_age(Duration::from_secs(3600)),
        );
    Router::new()
        .merge(add_in)
        .route("/v1/webhooks/paddle", post(paddle_webhook))
        .route("/v1/webhooks/marketplace", post(crate::marketplace::webhook))
        .route("/marketplace/landing", get(crate::marketplace::landing))
        .route("/v1/admin/subscriptions", get(admin_subscriptions))
        .route("/v1/admin/subscriptions/{id}/assignments", post(assign))
        .route("/v1/admin/subscriptions/{id}/assignments/{user_id}", delete(unassign).put(reassign))
        .route("/v1/admin/subscriptions/{id}/admins", post(add_admin))
        .route("/v1/me/export", get(export))
        .route("/v1/me", delete(delete_me))
        .route("/openapi.json", get(openapi))
        .route("/healthz", get(|| async { "ok" }))
        .merge(crate::web::router())
        .layer(middleware::from_fn_with_state(state.clone(), per_ip))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(15),
        ))
        .with_state(state)
}

/// The per-address rate limit, and the access log (with the address truncated: no full IP
/// address is ever written).
async fn per_ip(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let ip = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if let Some(Err(not_until)) = ip.map(|ip| state.ips.check_key(&ip)) {
        let clock = governor::clock::DefaultClock::default();
        return ApiError::TooMany(not_until.wait_time_from(governor::clock::Clock::now(&clock)))
            .into_response();
    }
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    tracing::info!(target: "access", %method, %path, status = response.status().as_u16(), client = %ip.map(truncate).unwrap_or_default());
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

async fn check(State(state): State<Shared>, Authed(who): Authed) -> ApiResult<Json<serde_json::Value>> {
    let now = crate::now_ms();
    let seat = state.store.seat(&who.tid, &who.oid, now).await?;
    if seat.is_some() {
        // Only licensed users' last use is kept, and written at most once a minute.
        let key = (who.tid.clone(), who.oid.clone());
        let due =
            state.touched.lock().map(|t| t.get(&key).is_none_or(|&at| now - at >= 60_000)).unwrap_or(true);
        if due {
            state.store.touch(&who.tid, &who.oid, who.name.as_deref(), who.email.as_deref(), now).await?;
            if let Ok(mut t) = state.touched.lock() {
                t.insert(key, now);
            }
        }
    }
    let plan = seat.as_ref().map_or_else(|| "free".to_owned(), |s| s.plan.clone());
    let iat = now / 1000;
    let claims = LicenseClaims {
        sub: format!("{}/{}", who.tid, who.oid),
        plan: plan.clone(),
        iat,
        exp: iat + i64::from(state.config.license_days) * 86_400,
    };
    let license = state.signer.sign(&claims).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(json!({
        "licensed": seat.is_some(),
        "plan": plan,
        "expires_at": seat.and_then(|s| s.expires_at).map(iso),
        "license": license,
    })))
}

fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_default()
}

async fn public_key(State(state): State<Shared>) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "public, max-age=3600")], Json(state.signer.jwks()))
}

#[derive(Debug, Deserialize)]
struct PaddleEvent {
    event_id: String,
    event_type: String,
    data: serde_json::Value,
}

/// Text holding a NUL character is refused as bad input: PostgreSQL's text type cannot
/// store it (a database error, a 500, before this), and no id, name or address holds one.
pub(crate) fn reject_nul(v: &serde_json::Value) -> ApiResult<()> {
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

fn parse_time(v: &serde_json::Value) -> Option<i64> {
    v.as_str()?.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond())
}

async fn paddle_webhook(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let secrets = state
        .config
        .paddle_webhook_secret
        .as_deref()
        .ok_or(ApiError::NotConfigured("LICENSING_PADDLE_WEBHOOK_SECRET"))?;
    let secrets: Vec<&str> = secrets.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let signature = headers.get("paddle-signature").and_then(|v| v.to_str().ok());
    let now = crate::now_ms();
    paddle::verify(signature, &body, &secrets, now / 1000).map_err(ApiError::Signature)?;
    let raw: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("not a Paddle event: {e}")))?;
    reject_nul(&raw)?;
    let event: PaddleEvent =
        serde_json::from_value(raw).map_err(|e| ApiError::BadRequest(format!("not a Paddle event: {e}")))?;
    // Deliveries are at least once: an event seen before is acknowledged and not applied
    // again (and applying is idempotent anyway, for two deliveries racing).
    if state.store.seen(&event.event_id).await? {
        return Ok(Json(json!({ "received": true, "duplicate": true })));
    }
    let d = &event.data;
    let custom = &d["custom_data"];
    let seats: i64 = d["items"]
        .as_array()
        .map_or(0, |items| items.iter().map(|i| i["quantity"].as_i64().unwrap_or(1)).sum());
    let price = d["items"][0]["price"]["id"].as_str().unwrap_or_default();
    let known = matches!(
        event.event_type.as_str(),
        "transaction.completed" | "subscription.created" | "subscription.updated" | "subscription.canceled"
    );
    let plan = state.config.plan_for_price(price);
    let Some(plan) = plan.or_else(|| (!known).then(String::new)) else {
        // Only a price the configuration names sells a plan: another grants nothing. The
        // event is acknowledged (Paddle would deliver it again and again) and the operator
        // told, by the log and by the answer.
        tracing::warn!(price, event_type = %event.event_type, "a Paddle price id the configuration does not name: nothing granted");
        state.store.first_delivery(&event.event_id, "paddle", now).await?;
        return Ok(Json(json!({ "received": true, "applied": false, "reason": "unknown price" })));
    };
    match event.event_type.as_str() {
        "transaction.completed" => {
            let (Some(tid), buyer) = (custom["tenant_id"].as_str(), custom["user_id"].as_str()) else {
                return Err(ApiError::BadRequest("custom_data.tenant_id is required".to_owned()));
            };
            let external = d["subscription_id"].as_str().or(d["id"].as_str()).unwrap_or_default().to_owned();
            let purchase = Purchase {
                source: "paddle",
                external_id: external,
                tenant_id: tid.to_owned(),
                buyer_user_id: buyer.map(str::to_owned),
                plan,
                seats: seats.max(1),
                status: "active".to_owned(),
                expires_at: parse_time(&d["billing_period"]["ends_at"]),
                billing_contact: d["customer_id"].as_str().map(str::to_owned),
                transaction_id: d["id"].as_str().map(str::to_owned),
            };
            let sub = state.store.upsert_subscription(&purchase, now).await?;
            if let Some(buyer) = buyer {
                let holder = Holder { user_id: buyer.to_owned(), name: None, email: None };
                match state.store.assign(&sub, &holder, now).await {
                    Ok(()) | Err(StoreError::AlreadyAssigned | StoreError::NoSeat) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        "subscription.created" | "subscription.updated" | "subscription.canceled" => {
            let external = d["id"].as_str().unwrap_or_default().to_owned();
            let status = match d["status"].as_str().unwrap_or_default() {
                _ if event.event_type == "subscription.canceled" => "canceled",
                "active" | "trialing" => "active",
                "canceled" => "canceled",
                _ => "suspended",
            };
            let Some(tid) = custom["tenant_id"].as_str() else {
                return Err(ApiError::BadRequest("custom_data.tenant_id is required".to_owned()));
            };
            let purchase = Purchase {
                source: "paddle",
                external_id: external,
                tenant_id: tid.to_owned(),
                buyer_user_id: custom["user_id"].as_str().map(str::to_owned),
                plan,
                seats: seats.max(1),
                status: status.to_owned(),
                expires_at: parse_time(&d["current_billing_period"]["ends_at"]),
                billing_contact: d["customer_id"].as_str().map(str::to_owned),
                transaction_id: None,
            };
            state.store.upsert_subscription(&purchase, now).await?;
        }
        other => tracing::info!(event_type = other, "Paddle event ignored"),
    }
    state.store.first_delivery(&event.event_id, "paddle", now).await?;
    Ok(Json(json!({ "received": true })))
}

async fn admin_of(state: &AppState, id: &str, who: &Identity) -> ApiResult<(Subscription, Role)> {
    let sub = state.store.subscription(id).await?;
    match state.store.role(&sub, &who.tid, &who.oid).await? {
        Some(role) => Ok((sub, role)),
        // Another tenant's subscription does not exist, as far as this user knows.
        None if sub.tenant_id != who.tid => Err(ApiError::NotFound),
        None => Err(ApiError::Forbidden),
    }
}

async fn admin_subscriptions(
    State(state): State<Shared>,
    Authed(who): Authed,
) -> ApiResult<Json<serde_json::Value>> {
    let mut out = Vec::new();
    for sub in state.store.administered(&who.tid, &who.oid).await? {
        let role = state.store.role(&sub, &who.tid, &who.oid).await?;
        let holders = state.store.holders(&sub.id).await?;
        let mut v = json!({
            "id": sub.id, "plan": sub.plan, "seats": sub.seats, "seats_used": sub.seats_used,
            "status": sub.status, "expires_at": sub.expires_at.map(iso), "assignments": holders,
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

#[derive(Debug, Deserialize)]
struct HolderIn {
    user_id: String,
    name: Option<String>,
    email: Option<String>,
}

impl HolderIn {
    fn checked(self) -> ApiResult<Holder> {
        let id = self.user_id.trim();
        if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(ApiError::BadRequest("user_id must be a directory object id".to_owned()));
        }
        let clip = |s: Option<String>| s.map(|s| s.chars().take(256).collect::<String>());
        Ok(Holder { user_id: id.to_owned(), name: clip(self.name), email: clip(self.email) })
    }
}

fn json_body(body: &Bytes) -> ApiResult<HolderIn> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("expected {{\"user_id\", \"name\", \"email\"}}: {e}")))
}

async fn assign(
    State(state): State<Shared>,
    Authed(who): Authed,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let holder = json_body(&body)?.checked()?;
    let (sub, _) = admin_of(&state, &id, &who).await?;
    if sub.status != "active" {
        return Err(ApiError::Conflict("subscription_inactive"));
    }
    state.store.assign(&sub, &holder, crate::now_ms()).await?;
    Ok(StatusCode::CREATED)
}

async fn unassign(
    State(state): State<Shared>,
    Authed(who): Authed,
    Path((id, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let (sub, _) = admin_of(&state, &id, &who).await?;
    state.store.unassign(&sub.id, &user, crate::now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reassign(
    State(state): State<Shared>,
    Authed(who): Authed,
    Path((id, user)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let holder = json_body(&body)?.checked()?;
    let (sub, _) = admin_of(&state, &id, &who).await?;
    let now = crate::now_ms();
    state.store.unassign(&sub.id, &user, now).await?;
    if let Err(e) = state.store.assign(&sub, &holder, now).await {
        // Give the seat back to its holder rather than lose it.
        let back = Holder { user_id: user, name: None, email: None };
        let _ = state.store.assign(&sub, &back, now).await;
        return Err(e.into());
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn add_admin(
    State(state): State<Shared>,
    Authed(who): Authed,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let holder = json_body(&body)?.checked()?;
    let (sub, role) = admin_of(&state, &id, &who).await?;
    if role != Role::Buyer {
        return Err(ApiError::Forbidden);
    }
    state.store.add_admin(&sub, &holder).await?;
    Ok(StatusCode::CREATED)
}

async fn export(State(state): State<Shared>, Authed(who): Authed) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(state.store.export(&who.tid, &who.oid).await?))
}

async fn delete_me(State(state): State<Shared>, Authed(who): Authed) -> ApiResult<StatusCode> {
    let now = crate::now_ms();
    state.store.revoke(&who.tid, &who.oid, now).await?;
    if let Ok(mut t) = state.touched.lock() {
        t.remove(&(who.tid.clone(), who.oid.clone()));
    }
    if state.config.purge_after_days == 0 {
        state.store.purge(now).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], include_str!("../openapi.json"))
}

/// A failed outbound exchange (the identity provider's token endpoint).
#[derive(Debug)]
pub struct HttpError(String);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

/// A client for calls to other services (the identity provider, Graph, the marketplace):
/// connections pooled, redirects off (oauth2's advice against SSRF), 15 seconds at most per
/// call. One per server, never a process-wide one: pooled connections belong to the async
/// runtime that opened them, and a second server in the same process (tests start many)
/// would otherwise be handed connections whose runtime is gone.
pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap_or_default()
}

/// oauth2's HTTP client over `client`.
pub async fn outbound(
    client: reqwest::Client,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, HttpError> {
    let (parts, body) = request.into_parts();
    let mut builder = client.request(parts.method, parts.uri.to_string()).body(body);
    for (k, v) in &parts.headers {
        builder = builder.header(k, v);
    }
    let response = builder.send().await.map_err(|e| HttpError(e.to_string()))?;
    let mut out = oauth2::http::Response::builder().status(response.status());
    for (k, v) in response.headers() {
        out = out.header(k, v);
    }
    let bytes = response.bytes().await.map_err(|e| HttpError(e.to_string()))?;
    out.body(bytes.to_vec()).map_err(|e| HttpError(e.to_string()))
}
