//! The identity provider's authorize and token endpoints (authorization code with PKCE), and
//! Graph's `/me` and `/users` for the web sign-in, as the tests need them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use sha2::Digest as _;

pub const CLIENT_ID: &str = "web-client";
pub const CLIENT_SECRET: &str = "web-secret";

#[derive(Clone, Default)]
struct Codes(Arc<Mutex<HashMap<String, HashMap<String, String>>>>);

pub fn router(base: String) -> axum::Router {
    axum::Router::new()
        .route("/common/oauth2/v2.0/authorize", get(authorize))
        .route("/common/oauth2/v2.0/token", post(token))
        .route("/graph/v1.0/me", get(me))
        .route("/graph/v1.0/users", get(users))
        .route("/mkt/api/saas/subscriptions/resolve", post(mkt_resolve))
        .route("/mkt/api/saas/subscriptions/{id}/activate", post(mkt_activate))
        .route("/mkt/api/saas/subscriptions/{id}", get(mkt_subscription))
        .route("/mkt/api/saas/subscriptions/{id}/operations/{op}", get(mkt_operation).patch(mkt_patch))
        .with_state((Codes::default(), base))
}

async fn authorize(
    State((codes, _)): State<(Codes, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let code = format!("code-{}", uuid::Uuid::new_v4().simple());
    let redirect = format!("{}?code={code}&state={}", q["redirect_uri"], q["state"]);
    codes.0.lock().unwrap().insert(code, q);
    Redirect::to(&redirect).into_response()
}

async fn token(
    State((codes, base)): State<(Codes, String)>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let bad = |e: &str| (StatusCode::BAD_REQUEST, Json(json!({ "error": e }))).into_response();
    if f.get("grant_type").map(String::as_str) == Some("client_credentials") {
        let scope_ok = f.get("scope").is_some_and(|s| s == "20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default");
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
        );
        let client_ok = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(basic.as_str());
        if !(scope_ok && client_ok) {
            return bad("invalid_client");
        }
        PUBLISHER_TOKENS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        return Json(json!({ "access_token": MKT_TOKEN, "token_type": "Bearer", "expires_in": 3600 }))
            .into_response();
    }
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    let secret_ok = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(basic.as_str())
        || f.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET);
    if !secret_ok {
        return bad("invalid_client");
    }
    let Some(q) = f.get("code").and_then(|c| codes.0.lock().unwrap().remove(c)) else {
        return bad("invalid_grant");
    };
    // PKCE: the verifier must hash to the challenge sent at authorize.
    let verifier = f.get("code_verifier").cloned().unwrap_or_default();
    let hashed =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    if q.get("code_challenge_method").map(String::as_str) != Some("S256")
        || q.get("code_challenge") != Some(&hashed)
    {
        return bad("invalid_grant");
    }
    if f.get("redirect_uri") != q.get("redirect_uri") {
        return bad("invalid_grant");
    }
    let hint = q.get("login_hint").cloned().unwrap_or_else(|| "t:u".to_owned());
    let mut parts = hint.split(':');
    let (tid, oid, flag) = (parts.next().unwrap().to_owned(), parts.next().unwrap().to_owned(), parts.next());
    let nonce = if flag == Some("badnonce") { "forged".to_owned() } else { q["nonce"].clone() };
    let directory = q["scope"].split(' ').any(|s| s == "User.ReadBasic.All");
    let now = localmerge_licensing_server::now_ms() / 1000;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("k1".to_owned());
    let pem =
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/idp.pem")).unwrap();
    let id_token = jsonwebtoken::encode(
        &header,
        &json!({ "aud": CLIENT_ID, "iss": format!("{base}/{tid}/v2.0"), "tid": tid, "oid": oid, "nonce": nonce,
                 "name": "Stale Name", "preferred_username": "stale@old.example", "iat": now, "exp": now + 3600 }),
        &EncodingKey::from_rsa_pem(&pem).unwrap(),
    )
    .unwrap();
    let access = format!("graph:{tid}:{oid}{}", if directory { ":dir" } else { "" });
    Json(json!({ "access_token": access, "token_type": "Bearer", "expires_in": 3600, "id_token": id_token }))
        .into_response()
}

fn graph_user(headers: &HeaderMap) -> Option<(String, bool)> {
    let t = headers.get("authorization")?.to_str().ok()?.strip_prefix("Bearer graph:")?;
    let mut p = t.split(':');
    let (_tid, oid) = (p.next()?, p.next()?);
    Some((oid.to_owned(), p.next() == Some("dir")))
}

async fn me(headers: HeaderMap) -> Response {
    match graph_user(&headers) {
        Some((oid, _)) => Json(
            json!({ "displayName": format!("Fresh Name {oid}"), "mail": format!("{oid}@fresh.example") }),
        )
        .into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn users(headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some((_, directory)) = graph_user(&headers) else { return StatusCode::UNAUTHORIZED.into_response() };
    if !directory {
        return (StatusCode::FORBIDDEN, Json(json!({ "error": { "code": "Authorization_RequestDenied" } })))
            .into_response();
    }
    if headers.get("consistencylevel").and_then(|v| v.to_str().ok()) != Some("eventual") {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": { "code": "Request_UnsupportedQuery" } })))
            .into_response();
    }
    let search = q.get("$search").cloned().unwrap_or_default().to_lowercase();
    let people =
        [("u-ada", "Ada Lovelace", "ada@contoso.example"), ("u-bob", "Bob Stone", "bob@contoso.example")];
    let found: Vec<_> = people
        .iter()
        .filter(|(_, name, mail)| {
            search
                .split('"')
                .filter_map(|t| t.split_once(':'))
                .any(|(_, term)| name.to_lowercase().contains(term) || mail.contains(term))
        })
        .map(|(id, name, mail)| json!({ "id": id, "displayName": name, "mail": mail }))
        .collect();
    Json(json!({ "value": found })).into_response()
}

const MKT_TOKEN: &str = "publisher-token";

/// How many publisher tokens the identity provider issued (the server keeps one until it
/// expires, and asks for none for an unauthenticated caller).
pub static PUBLISHER_TOKENS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The marketplace's subscriptions and operations, as tests set them.
#[derive(Default)]
pub struct Market {
    pub subscriptions: HashMap<String, serde_json::Value>,
    pub operations: HashMap<String, serde_json::Value>,
    pub patched: Vec<String>,
    pub activated: Vec<String>,
}

pub static MARKET: std::sync::LazyLock<Mutex<Market>> =
    std::sync::LazyLock::new(|| Mutex::new(Market::default()));

fn publisher(headers: &HeaderMap, q: &HashMap<String, String>) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {MKT_TOKEN}"))
        && q.get("api-version").map(String::as_str) == Some("2018-08-31")
}

async fn mkt_resolve(headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if !publisher(&headers, &q) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    // Landing tokens in these tests read `landing:<tenant>:<object id>:<quantity>[:<plan>]`.
    let token =
        headers.get("x-ms-marketplace-token").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let parts: Vec<&str> = token.split(':').collect();
    if !(4..=5).contains(&parts.len()) || parts[0] != "landing" {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let (tid, oid, qty) = (parts[1], parts[2], parts[3].parse::<i64>().unwrap_or(1));
    let plan = parts.get(4).copied().unwrap_or("team");
    let id = format!("mkt-{tid}");
    let sub = json!({
        "id": id, "name": "localmerge", "offerId": "localmerge", "planId": plan, "quantity": qty,
        "beneficiary": { "tenantId": tid, "objectId": oid, "emailId": format!("{oid}@{tid}.example") },
        "purchaser": { "tenantId": tid, "objectId": oid, "emailId": format!("{oid}@{tid}.example") },
        "saasSubscriptionStatus": "PendingFulfillmentStart",
    });
    MARKET.lock().unwrap().subscriptions.insert(id.clone(), sub.clone());
    Json(json!({ "id": id, "subscriptionName": "localmerge", "offerId": "localmerge", "planId": plan, "quantity": qty, "subscription": sub })).into_response()
}

async fn mkt_activate(
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    if !publisher(&headers, &q) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut m = MARKET.lock().unwrap();
    match m.subscriptions.get_mut(&id) {
        Some(s) => {
            s["saasSubscriptionStatus"] = json!("Subscribed");
            m.activated.push(id);
            StatusCode::OK.into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn mkt_subscription(
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    if !publisher(&headers, &q) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match MARKET.lock().unwrap().subscriptions.get(&id) {
        Some(s) => Json(s.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn mkt_operation(
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    axum::extract::Path((_id, op)): axum::extract::Path<(String, String)>,
) -> Response {
    if !publisher(&headers, &q) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match MARKET.lock().unwrap().operations.get(&op) {
        Some(o) => Json(o.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn mkt_patch(
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    axum::extract::Path((_id, op)): axum::extract::Path<(String, String)>,
) -> Response {
    if !publisher(&headers, &q) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    MARKET.lock().unwrap().patched.push(op);
    StatusCode::OK.into_response()
}
