//! The web sign-in (OAuth 2.0 authorization code with PKCE, state and nonce checked) and
//! its sessions. The pending sign-in travels in a signed cookie; a session is a random id
//! in a cookie whose SHA-256 the store keeps with the user and an absolute end, so
//! sign-out and account deletion end it server-side. The form token is a MAC of the
//! session id: it changes with every session.

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, ExtraTokenFields, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::app::{AppState, Shared};
use crate::web::pages::{FormIn, message};

const LOGIN_COOKIE: &str = "lm_login";
const SESSION_COOKIE: &str = "lm_session";
/// A session's absolute lifetime.
pub const SESSION_HOURS: i64 = 8;
const SCOPES: &[&str] = &["openid", "profile", "email", "offline_access", "User.Read"];
/// Asked for only when an admin first assigns seats.
const DIRECTORY_SCOPE: &str = "User.ReadBasic.All";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdFields {
    #[serde(default)]
    id_token: Option<String>,
}

impl ExtraTokenFields for IdFields {}

type TokenWithId = StandardTokenResponse<IdFields, BasicTokenType>;

/// The state of a sign-in under way, in a signed cookie.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    state: String,
    verifier: String,
    nonce: String,
    directory: bool,
}

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// Its id (the cookie's value).
    id: String,
    /// The tenant.
    pub tid: String,
    /// The user.
    pub oid: String,
}

fn mac(state: &AppState, value: &[u8]) -> Vec<u8> {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&state.signer.secret(b"session-cookie")) else {
        return Vec::new();
    };
    mac.update(value);
    mac.finalize().into_bytes().to_vec()
}

fn sign_value(state: &AppState, value: &str) -> String {
    format!("{}.{}", URL_SAFE_NO_PAD.encode(value), URL_SAFE_NO_PAD.encode(mac(state, value.as_bytes())))
}

fn open_value(state: &AppState, signed: &str) -> Option<String> {
    let (value, tag) = signed.split_once('.')?;
    let value = String::from_utf8(URL_SAFE_NO_PAD.decode(value).ok()?).ok()?;
    let expected = mac(state, value.as_bytes());
    (!expected.is_empty() && same(&expected, &URL_SAFE_NO_PAD.decode(tag).ok()?)).then_some(value)
}

fn cookie(name: &str, value: &str, max_age: i64) -> HeaderValue {
    let text = format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// The session of a request, if it has one the store still holds.
pub async fn session(state: &AppState, headers: &HeaderMap) -> Option<Session> {
    let id = read_cookie(headers, SESSION_COOKIE)?;
    if id.len() != 43 {
        return None;
    }
    let (tid, oid) = state.store.session(&hash(id), crate::now_ms()).await.ok()??;
    Some(Session { id: id.to_owned(), tid, oid })
}

/// The form token of a session: a MAC of its id, so a form posted from elsewhere fails and
/// a new session has a new token.
pub fn csrf(state: &AppState, s: &Session) -> String {
    URL_SAFE_NO_PAD.encode(mac(state, format!("csrf\n{}", s.id).as_bytes()))
}

/// The session of a form post whose form token is right.
pub async fn checked(state: &AppState, headers: &HeaderMap, form: &FormIn) -> Result<Session, Response> {
    let Some(s) = session(state, headers).await else {
        return Err(message(
            StatusCode::UNAUTHORIZED,
            "Sign in",
            "Your session ended. Sign in again.",
            None,
            Some(("/login", "Sign in")),
        ));
    };
    let expected = csrf(state, &s);
    let given = form.csrf.as_deref().unwrap_or_default();
    if !same(given.as_bytes(), expected.as_bytes()) {
        return Err(message(
            StatusCode::FORBIDDEN,
            "Refused",
            "This form came from elsewhere.",
            Some(csrf(state, &s)),
            None,
        ));
    }
    Ok(s)
}

/// Equal, compared without an early exit (the form token is a secret).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A cookie that ends the browser's session.
pub fn clear_session() -> HeaderValue {
    cookie(SESSION_COOKIE, "", 0)
}

type OidcClient = oauth2::Client<
    BasicErrorResponse,
    TokenWithId,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

fn unavailable(what: &str) -> Response {
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sign-in unavailable",
        &format!("The server has no {what}."),
        None,
        None,
    )
}

async fn client(state: &AppState) -> Result<OidcClient, Response> {
    let (Some(id), Some(secret), Some(public)) =
        (&state.config.client_id, &state.config.client_secret, &state.config.public_url)
    else {
        return Err(unavailable("LICENSING_CLIENT_ID, LICENSING_CLIENT_SECRET and LICENSING_PUBLIC_URL"));
    };
    let (authorize, token) =
        state.verifier.endpoints().await.map_err(|_| unavailable("reachable identity provider"))?;
    let redirect = format!("{}/auth/callback", public.trim_end_matches('/'));
    let (Ok(a), Ok(t), Ok(r)) = (AuthUrl::new(authorize), TokenUrl::new(token), RedirectUrl::new(redirect))
    else {
        return Err(unavailable("valid sign-in URLs"));
    };
    Ok(oauth2::Client::new(ClientId::new(id.clone()))
        .set_client_secret(ClientSecret::new(secret.clone()))
        .set_auth_uri(a)
        .set_token_uri(t)
        .set_redirect_uri(r))
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    directory: Option<String>,
}

/// `GET /login`.
pub async fn login(State(state): State<Shared>, Query(q): Query<LoginQuery>) -> Response {
    let client = match client(&state).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = CsrfToken::new_random().secret().clone();
    let directory = q.directory.is_some();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(SCOPES.iter().map(|s| Scope::new((*s).to_owned())))
        .set_pkce_challenge(challenge)
        .add_extra_param("nonce", nonce.clone());
    if directory {
        request = request.add_scope(Scope::new(DIRECTORY_SCOPE.to_owned()));
    }
    let (url, csrf_state) = request.url();
    let pending =
        Pending { state: csrf_state.secret().clone(), verifier: verifier.secret().clone(), nonce, directory };
    let Ok(json) = serde_json::to_string(&pending) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut r = Redirect::to(url.as_str()).into_response();
    r.headers_mut().append(header::SET_COOKIE, cookie(LOGIN_COOKIE, &sign_value(&state, &json), 600));
    r
}

#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

fn refused(why: &str) -> Response {
    message(StatusCode::BAD_REQUEST, "Sign-in failed", why, None, Some(("/login", "Try again")))
}

#[derive(Debug, Deserialize)]
struct GraphMe {
    #[serde(rename = "displayName")]
    display_name: Option<String>,
    mail: Option<String>,
    #[serde(rename = "userPrincipalName")]
    upn: Option<String>,
}

/// `GET /auth/callback`.
pub async fn callback(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(cb): Query<Callback>,
) -> Response {
    let Some(pending) = read_cookie(&headers, LOGIN_COOKIE)
        .and_then(|c| open_value(&state, c))
        .and_then(|j| serde_json::from_str::<Pending>(&j).ok())
    else {
        return refused("The sign-in expired or was started elsewhere.");
    };
    if let Some(e) = cb.error {
        let e: String = e.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect();
        return refused(&format!("Microsoft refused the sign-in ({e})."));
    }
    if cb.state.as_deref() != Some(pending.state.as_str()) {
        return refused("The sign-in's state does not match.");
    }
    let Some(code) = cb.code else { return refused("No authorization code.") };
    let client = match client(&state).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let http = state.http.clone();
    let token = match client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
        .request_async(&|r| crate::outbound::oauth2(http.clone(), r))
        .await
    {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "code exchange failed");
            return refused("The identity provider did not accept the sign-in.");
        }
    };
    let Some(id_token) = token.extra_fields().id_token.clone() else { return refused("No ID token.") };
    let client_id = state.config.client_id.clone().unwrap_or_default();
    let who = match state.verifier.verify_id_token(&id_token, &client_id, &pending.nonce).await {
        Ok(w) => w,
        Err(e) => return refused(&format!("The ID token was refused ({e}).")),
    };
    // Rectification: the name and address come fresh from Graph at each sign-in.
    let access = token.access_token().secret().clone();
    let graph = state.config.graph_url.trim_end_matches('/');
    let me = match state.http.get(format!("{graph}/me")).bearer_auth(&access).send().await {
        Ok(r) if r.status().is_success() => r.json::<GraphMe>().await.ok(),
        _ => None,
    };
    let name = me.as_ref().and_then(|m| m.display_name.clone()).or(who.name.clone());
    let email = me.as_ref().and_then(|m| m.mail.clone().or(m.upn.clone())).or(who.email.clone());
    let now = crate::now_ms();
    if let Err(e) =
        state.store.record_user(&who.tid, &who.oid, name.as_deref(), email.as_deref(), now, false).await
    {
        tracing::error!(error = %e, "storing the user failed");
        return message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Sign-in failed",
            "The server could not record the sign-in; try again.",
            None,
            None,
        );
    }
    let expires = now + token.expires_in().map_or(3_600_000, |d| d.as_millis() as i64);
    if let Some(sealed) = super::directory::seal(&state, &access)
        && let Err(e) = state.store.save_graph_token(&who.tid, &who.oid, &sealed, expires).await
    {
        tracing::error!(error = %e, "storing the token failed");
    }
    let id = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let until = now + SESSION_HOURS * 3_600_000;
    if let Err(e) = state.store.open_session(&hash(&id), &who.tid, &who.oid, now, until).await {
        tracing::error!(error = %e, "opening the session failed");
        return message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Sign-in failed",
            "The server could not open a session; try again.",
            None,
            None,
        );
    }
    let mut r = Redirect::to(if pending.directory { "/admin" } else { "/account" }).into_response();
    r.headers_mut().append(header::SET_COOKIE, cookie(SESSION_COOKIE, &id, SESSION_HOURS * 3600));
    r.headers_mut().append(header::SET_COOKIE, cookie(LOGIN_COOKIE, "", 0));
    r
}

/// `GET /logout`: a page with the sign-out button (a GET changes nothing).
pub async fn logout_page(State(state): State<Shared>, headers: HeaderMap) -> Response {
    match session(&state, &headers).await {
        Some(s) => message(
            StatusCode::OK,
            "Sign out",
            "Sign out of localmerge on this browser?",
            Some(csrf(&state, &s)),
            None,
        ),
        None => Redirect::to("/account").into_response(),
    }
}

/// `POST /logout`: ends the session on the server and in the browser.
pub async fn logout(State(state): State<Shared>, headers: HeaderMap, Form(f): Form<FormIn>) -> Response {
    let s = match checked(&state, &headers, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(e) = state.store.end_session(&hash(&s.id)).await {
        tracing::error!(error = %e, "ending a session failed");
        return message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Sign out",
            "The server could not end the session; try again.",
            None,
            None,
        );
    }
    let mut r =
        message(StatusCode::OK, "Signed out", "You are signed out.", None, Some(("/login", "Sign in again")));
    r.headers_mut().append(header::SET_COOKIE, clear_session());
    r
}
