//! The web sign-in (OAuth 2.0 authorization code with PKCE, state and nonce checked) and the
//! small server-rendered pages: account (license, export, delete) and admin (seats, with a
//! directory search through Microsoft Graph whose terms and results are never stored).

use std::collections::HashMap;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
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
use sha2::Sha256;

use crate::http::AppState;
use crate::store::{Holder, Role};

type Shared = std::sync::Arc<AppState>;

const LOGIN_COOKIE: &str = "lm_login";
const SESSION_COOKIE: &str = "lm_session";
const SESSION_HOURS: i64 = 8;
const SCOPES: &[&str] = &["openid", "profile", "email", "offline_access", "User.Read"];
/// Asked for only when an admin first assigns seats.
const DIRECTORY_SCOPE: &str = "User.ReadBasic.All";

/// The sign-in's routes.
pub fn router() -> Router<Shared> {
    Router::new()
        .route("/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/logout", get(logout))
        .route("/account", get(account))
        .route("/account/export", get(account_export))
        .route("/account/delete", post(account_delete))
        .route("/admin", get(admin))
        .route("/admin/assign", post(admin_assign))
        .route("/admin/unassign", post(admin_unassign))
}

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
struct Session {
    tid: String,
    oid: String,
}

fn mac_key(state: &AppState) -> [u8; 32] {
    state.signer.secret(b"session-cookie")
}

fn sign_value(state: &AppState, value: &str) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&mac_key(state)) else { return String::new() };
    mac.update(value.as_bytes());
    format!("{}.{}", URL_SAFE_NO_PAD.encode(value), URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

fn open_value(state: &AppState, signed: &str) -> Option<String> {
    let (value, tag) = signed.split_once('.')?;
    let value = String::from_utf8(URL_SAFE_NO_PAD.decode(value).ok()?).ok()?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&mac_key(state)).ok()?;
    mac.update(value.as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(tag).ok()?).ok()?;
    Some(value)
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

fn session(state: &AppState, headers: &HeaderMap) -> Option<Session> {
    let value = open_value(state, read_cookie(headers, SESSION_COOKIE)?)?;
    let mut parts = value.split('\n');
    let (tid, oid, exp) = (parts.next()?, parts.next()?, parts.next()?.parse::<i64>().ok()?);
    (exp > crate::now_ms()).then(|| Session { tid: tid.to_owned(), oid: oid.to_owned() })
}

/// The form token of a session: a MAC of the session, so a form posted from elsewhere fails.
fn csrf(state: &AppState, s: &Session) -> String {
    sign_value(state, &format!("csrf\n{}\n{}", s.tid, s.oid)).split('.').nth(1).unwrap_or_default().to_owned()
}

fn token_cipher(state: &AppState) -> Option<XChaCha20Poly1305> {
    let key = match &state.config.token_key {
        Some(k) => {
            base64::engine::general_purpose::STANDARD.decode(k.trim()).ok().filter(|k| k.len() == 32)?
        }
        None => state.signer.secret(b"token-key").to_vec(),
    };
    XChaCha20Poly1305::new_from_slice(&key).ok()
}

/// Encrypts an access token for storage (XChaCha20-Poly1305, a random nonce per token).
fn seal(state: &AppState, plain: &str) -> Option<String> {
    let cipher = token_cipher(state)?;
    let nonce: [u8; 24] = rand::random();
    let mut out = nonce.to_vec();
    out.extend(cipher.encrypt(XNonce::from_slice(&nonce), plain.as_bytes()).ok()?);
    Some(URL_SAFE_NO_PAD.encode(out))
}

fn unseal(state: &AppState, sealed: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
    let (nonce, data) = bytes.split_at_checked(24)?;
    String::from_utf8(token_cipher(state)?.decrypt(XNonce::from_slice(nonce), data).ok()?).ok()
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title} · localmerge</title><style>body{{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:.3rem .6rem;text-align:left}}button{{font:inherit}}</style></head>\
         <body><header><nav aria-label=\"Main\"><a href=\"/account\">Account</a> · <a href=\"/admin\">Seats</a> · <a href=\"/logout\">Sign out</a></nav></header>\
         <main><h1>{title}</h1>{body}</main></body></html>"
    ))
}

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn unavailable(what: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        page("Sign-in unavailable", &format!("<p>The server has no {}.</p>", esc(what))),
    )
        .into_response()
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
struct LoginQuery {
    #[serde(default)]
    directory: Option<String>,
}

async fn login(State(state): State<Shared>, Query(q): Query<LoginQuery>) -> Response {
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
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

fn refused(why: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        page("Sign-in failed", &format!("<p>{}</p><p><a href=\"/login\">Try again</a></p>", esc(why))),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct GraphMe {
    #[serde(rename = "displayName")]
    display_name: Option<String>,
    mail: Option<String>,
    #[serde(rename = "userPrincipalName")]
    upn: Option<String>,
}

async fn callback(State(state): State<Shared>, headers: HeaderMap, Query(cb): Query<Callback>) -> Response {
    let Some(pending) = read_cookie(&headers, LOGIN_COOKIE)
        .and_then(|c| open_value(&state, c))
        .and_then(|j| serde_json::from_str::<Pending>(&j).ok())
    else {
        return refused("The sign-in expired or was started elsewhere.");
    };
    if let Some(e) = cb.error {
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
        .request_async(&|r| crate::http::outbound(http.clone(), r))
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
    if let Err(e) = state.store.upsert_user(&who.tid, &who.oid, name.as_deref(), email.as_deref(), now).await
    {
        tracing::error!(error = %e, "storing the user failed");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let expires = now + token.expires_in().map_or(3_600_000, |d| d.as_millis() as i64);
    if let Some(sealed) = seal(&state, &access)
        && let Err(e) = state.store.save_graph_token(&who.tid, &who.oid, &sealed, expires).await
    {
        tracing::error!(error = %e, "storing the token failed");
    }
    let until = now + SESSION_HOURS * 3_600_000;
    let value = sign_value(&state, &format!("{}\n{}\n{until}", who.tid, who.oid));
    let mut r = Redirect::to(if pending.directory { "/admin" } else { "/account" }).into_response();
    r.headers_mut().append(header::SET_COOKIE, cookie(SESSION_COOKIE, &value, SESSION_HOURS * 3600));
    r.headers_mut().append(header::SET_COOKIE, cookie(LOGIN_COOKIE, "", 0));
    r
}

async fn logout() -> Response {
    let mut r = Redirect::to("/account").into_response();
    r.headers_mut().append(header::SET_COOKIE, cookie(SESSION_COOKIE, "", 0));
    r
}

fn sign_in_first() -> Response {
    page(
        "Sign in",
        "<p><a href=\"/login\">Sign in with your Microsoft 365 account</a> to see your license.</p>",
    )
    .into_response()
}

async fn account(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let Some(s) = session(&state, &headers) else { return sign_in_first() };
    let now = crate::now_ms();
    let (user, seat) =
        match (state.store.user(&s.tid, &s.oid).await, state.store.seat(&s.tid, &s.oid, now).await) {
            (Ok(u), Ok(seat)) => (u, seat),
            _ => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        };
    let name = user.as_ref().and_then(|u| u.name.clone()).unwrap_or_default();
    let email = user.as_ref().and_then(|u| u.email.clone()).unwrap_or_default();
    let status = match seat {
        Some(seat) => format!("<p>Licensed: the <strong>{}</strong> plan.</p>", esc(&seat.plan)),
        None => format!(
            "<p>Free plan: messages end with a short localmerge footer.</p>{}",
            checkout(&state, &s, &email)
        ),
    };
    let token = csrf(&state, &s);
    page(
        "Your account",
        &format!(
            "<p>Signed in as {} ({}).</p>{status}\
             <h2>Your data</h2><p><a href=\"/account/export\" download=\"localmerge-data.json\">Download everything we store about you</a> (JSON).</p>\
             <form method=\"post\" action=\"/account/delete\"><input type=\"hidden\" name=\"csrf\" value=\"{token}\">\
             <button type=\"submit\">Delete my account and data</button></form>",
            esc(&name),
            esc(&email)
        ),
    )
    .into_response()
}

/// The "Buy" button: Paddle's checkout, carrying the buyer's tenant and user ids so the
/// purchase webhook gives them a seat.
fn checkout(state: &AppState, s: &Session, email: &str) -> String {
    let (Some(token), Some(price)) = (&state.config.paddle_client_token, &state.config.paddle_checkout_price)
    else {
        return "<p>Purchases are not open on this server yet.</p>".to_owned();
    };
    let options = serde_json::json!({
        "items": [{ "priceId": price, "quantity": 1 }],
        "customData": { "tenant_id": s.tid, "user_id": s.oid },
        "customer": { "email": email },
    });
    let env = if state.config.paddle_sandbox { "Paddle.Environment.set('sandbox');" } else { "" };
    // The options are JSON inside a script: `<` is escaped so no value can close the tag.
    let options = options.to_string().replace('<', "\\u003c");
    format!(
        "<p><button type=\"button\" id=\"buy\" data-tenant=\"{}\" data-user=\"{}\">Buy localmerge</button></p>\
         <script src=\"https://cdn.paddle.com/paddle/v2/paddle.js\"></script>\
         <script>{env}Paddle.Initialize({{ token: {} }});\
         document.getElementById('buy').addEventListener('click', function () {{ Paddle.Checkout.open({options}); }});</script>",
        esc(&s.tid),
        esc(&s.oid),
        serde_json::Value::String(token.clone()).to_string().replace('<', "\\u003c"),
    )
}

async fn account_export(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let Some(s) = session(&state, &headers) else { return StatusCode::UNAUTHORIZED.into_response() };
    match state.store.export(&s.tid, &s.oid).await {
        Ok(v) => Json(v).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn account_delete(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some(s) = session(&state, &headers) else { return StatusCode::UNAUTHORIZED.into_response() };
    if f.get("csrf") != Some(&csrf(&state, &s)) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let now = crate::now_ms();
    if state.store.revoke(&s.tid, &s.oid, now).await.is_err()
        || (state.config.purge_after_days == 0 && state.store.purge(now).await.is_err())
    {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut r = page("Account deleted", "<p>Your license and your data are gone.</p>").into_response();
    r.headers_mut().append(header::SET_COOKIE, cookie(SESSION_COOKIE, "", 0));
    r
}

#[derive(Debug, Deserialize)]
struct GraphUser {
    id: String,
    #[serde(rename = "displayName")]
    display_name: Option<String>,
    mail: Option<String>,
    #[serde(rename = "userPrincipalName")]
    upn: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GraphUsers {
    value: Vec<GraphUser>,
}

/// Searches the admin's directory through Graph with their own token. Nothing of it is kept.
async fn search(state: &AppState, s: &Session, q: &str) -> Result<Vec<GraphUser>, &'static str> {
    let sealed = state.store.graph_token(&s.tid, &s.oid, crate::now_ms()).await.map_err(|_| "storage")?;
    let Some(token) = sealed.and_then(|t| unseal(state, &t)) else { return Err("consent") };
    let term = q.replace('"', "");
    let search = format!("\"displayName:{term}\" OR \"mail:{term}\"");
    let enc =
        |v: &str| percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string();
    let url = format!(
        "{}/users?$search={}&$select=id,displayName,mail,userPrincipalName&$top=10",
        state.config.graph_url.trim_end_matches('/'),
        enc(&search)
    );
    let r = state
        .http
        .get(url)
        .header("ConsistencyLevel", "eventual")
        .bearer_auth(token)
        .send()
        .await
        .map_err(|_| "graph")?;
    match r.status().as_u16() {
        200 => r.json::<GraphUsers>().await.map(|u| u.value).map_err(|_| "graph"),
        401 | 403 => Err("consent"),
        _ => Err("graph"),
    }
}

#[derive(Debug, Deserialize)]
struct AdminQuery {
    #[serde(default)]
    q: Option<String>,
}

async fn admin(State(state): State<Shared>, headers: HeaderMap, Query(aq): Query<AdminQuery>) -> Response {
    let Some(s) = session(&state, &headers) else { return sign_in_first() };
    let Ok(subs) = state.store.administered(&s.tid, &s.oid).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if subs.is_empty() {
        return page("Seats", "<p>You do not administer any localmerge subscription.</p>").into_response();
    }
    let token = csrf(&state, &s);
    let mut body = String::new();
    let found = match aq.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => Some(search(&state, &s, q).await),
        None => None,
    };
    for sub in &subs {
        let holders = state.store.holders(&sub.id).await.unwrap_or_default();
        body.push_str(&format!(
            "<section><h2>{} plan: {} of {} seats used</h2><table><caption>Seat holders</caption><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Email</th><th scope=\"col\">Action</th></tr></thead><tbody>",
            esc(&sub.plan), sub.seats_used, sub.seats
        ));
        for h in &holders {
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td><form method=\"post\" action=\"/admin/unassign\"><input type=\"hidden\" name=\"csrf\" value=\"{token}\">\
                 <input type=\"hidden\" name=\"subscription\" value=\"{}\"><input type=\"hidden\" name=\"user_id\" value=\"{}\">\
                 <button type=\"submit\">Take back the seat of {}</button></form></td></tr>",
                esc(h.name.as_deref().unwrap_or("")),
                esc(h.email.as_deref().unwrap_or("")),
                esc(&sub.id),
                esc(&h.user_id),
                esc(h.name.as_deref().unwrap_or(&h.user_id)),
            ));
        }
        body.push_str("</tbody></table>");
        if let Some(Ok(users)) = &found {
            body.push_str("<ul aria-label=\"Search results\">");
            for u in users {
                let name = u.display_name.clone().unwrap_or_default();
                let mail = u.mail.clone().or(u.upn.clone()).unwrap_or_default();
                body.push_str(&format!(
                    "<li>{} ({}) <form method=\"post\" action=\"/admin/assign\" style=\"display:inline\"><input type=\"hidden\" name=\"csrf\" value=\"{token}\">\
                     <input type=\"hidden\" name=\"subscription\" value=\"{}\"><input type=\"hidden\" name=\"user_id\" value=\"{}\">\
                     <input type=\"hidden\" name=\"name\" value=\"{}\"><input type=\"hidden\" name=\"email\" value=\"{}\">\
                     <button type=\"submit\">Give {} a seat</button></form></li>",
                    esc(&name), esc(&mail), esc(&sub.id), esc(&u.id), esc(&name), esc(&mail), esc(&name)
                ));
            }
            body.push_str("</ul>");
        }
        body.push_str("</section>");
    }
    let note = match &found {
        Some(Err("consent")) => {
            "<p role=\"alert\">To search your directory, localmerge needs to read basic profiles of your organisation's users. <a href=\"/login?directory=1\">Allow it</a>.</p>"
        }
        Some(Err(_)) => "<p role=\"alert\">The directory search failed; try again.</p>",
        _ => "",
    };
    let form = format!(
        "<form method=\"get\" action=\"/admin\" role=\"search\"><label for=\"q\">Find a person in your organisation</label> \
         <input id=\"q\" name=\"q\" value=\"{}\" autocomplete=\"off\"> <button type=\"submit\">Search</button></form>{note}",
        esc(aq.q.as_deref().unwrap_or(""))
    );
    page("Seats", &format!("{form}{body}")).into_response()
}

async fn seat_change(
    state: &AppState,
    headers: &HeaderMap,
    f: &HashMap<String, String>,
    assign: bool,
) -> Response {
    let Some(s) = session(state, headers) else { return StatusCode::UNAUTHORIZED.into_response() };
    if f.get("csrf") != Some(&csrf(state, &s)) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let (Some(sub_id), Some(user)) = (f.get("subscription"), f.get("user_id")) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Ok(sub) = state.store.subscription(sub_id).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.store.role(&sub, &s.tid, &s.oid).await {
        Ok(Some(Role::Buyer | Role::Delegated)) => {}
        _ => return StatusCode::FORBIDDEN.into_response(),
    }
    let now = crate::now_ms();
    let result = if assign {
        let holder =
            Holder { user_id: user.clone(), name: f.get("name").cloned(), email: f.get("email").cloned() };
        state.store.assign(&sub, &holder, now).await
    } else {
        state.store.unassign(&sub.id, user, now).await
    };
    match result {
        Ok(()) => Redirect::to("/admin").into_response(),
        Err(e) => (
            StatusCode::CONFLICT,
            page(
                "Seats",
                &format!("<p role=\"alert\">{}</p><p><a href=\"/admin\">Back</a></p>", esc(&e.to_string())),
            ),
        )
            .into_response(),
    }
}

async fn admin_assign(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    seat_change(&state, &headers, &f, true).await
}

async fn admin_unassign(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    seat_change(&state, &headers, &f, false).await
}
