//! The HTTP side: routing, bearer tokens, per-mailbox concurrency and request limits,
//! injected faults, and connections dropped on purpose.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Extension, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;
use tokio::sync::Notify;
use tower::ServiceExt as _;

use crate::graph::{MAX_REQUEST, Reply, Req, World};
use crate::{Config, Delivery, Faults, Hold, Shared, Stats, lock};

#[derive(Clone)]
struct App {
    world: Shared,
    held: Arc<Mutex<Option<crate::Held>>>,
}

/// Lets a handler drop its own connection without answering.
#[derive(Clone)]
struct Kill(Arc<Notify>);

/// Serves the sandbox on `listener` until the future is dropped.
pub async fn serve(listener: tokio::net::TcpListener, config: Config) -> std::io::Result<()> {
    let world = Arc::new(Mutex::new(World::new(config)));
    run(listener, App { world, held: Arc::new(Mutex::new(None)) }).await
}

async fn run(listener: tokio::net::TcpListener, app: App) -> std::io::Result<()> {
    let router = Router::new()
        .route("/upload/{token}", put(upload))
        .route("/download/{token}", get(download))
        .route("/{tenant}/oauth2/v2.0/devicecode", post(devicecode))
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/_sandbox", get(page))
        .route("/_sandbox/deliveries", get(deliveries))
        .route("/_sandbox/stats", get(stats))
        .route("/_sandbox/inbox", post(inbox))
        .fallback(graph)
        .layer(DefaultBodyLimit::max(MAX_REQUEST * 2))
        // Graph answers browsers from any origin (the add-in calls it with a bearer token);
        // preflights are answered here, before tokens and limits, as Graph does.
        .layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(tower_http::cors::Any)
                .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
                .allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    header::CONTENT_RANGE,
                    header::HeaderName::from_static("prefer"),
                    header::HeaderName::from_static("consistencylevel"),
                ])
                .expose_headers([header::RETRY_AFTER, header::LOCATION])
                .max_age(Duration::from_secs(3600)),
        )
        .with_state(app);
    loop {
        let (stream, _) = listener.accept().await?;
        let router = router.clone();
        tokio::spawn(async move {
            let kill = Arc::new(Notify::new());
            let k = Kill(kill.clone());
            let service =
                hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(k.clone());
                    router.clone().oneshot(req)
                });
            let conn =
                hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                () = kill.notified() => {}
            }
        });
    }
}

/// A sandbox running on its own thread, for tests: start it, point the sender at
/// [`Sandbox::url`], then look at what it delivered.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    world: Shared,
    held_rx: Mutex<std::sync::mpsc::Receiver<Hold>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sandbox {
    /// Starts a sandbox on a free loopback port.
    pub fn start(config: Config) -> std::io::Result<Sandbox> {
        Sandbox::start_with(config, "127.0.0.1:0")
    }

    /// Starts a default sandbox on `addr` (fails if it is taken).
    pub fn start_on(addr: &str) -> std::io::Result<Sandbox> {
        Sandbox::start_with(Config::default(), addr)
    }

    fn start_with(config: Config, addr: &str) -> std::io::Result<Sandbox> {
        let world = Arc::new(Mutex::new(World::new(config)));
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let app = App { world: world.clone(), held: Arc::new(Mutex::new(Some(held_tx))) };
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else { return };
                tokio::select! {
                    _ = run(listener, app) => {}
                    _ = stopped => {}
                }
            });
            runtime.shutdown_background();
        });
        Ok(Sandbox { addr, world, held_rx: Mutex::new(held_rx), stop: Some(stop), thread: Some(thread) })
    }

    /// The Graph base URL (`http://127.0.0.1:PORT/v1.0`).
    pub fn url(&self) -> String {
        format!("http://{}/v1.0", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every delivered message, in the order the sends were accepted.
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.world).deliveries.clone()
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        lock(&self.world).stats.clone()
    }

    /// A message arriving in `mailbox`'s Inbox now; its id, or `None` when the mailbox or the
    /// message it answers does not exist.
    pub fn receive(&self, mailbox: &str, incoming: &crate::Incoming) -> Option<String> {
        let now = crate::graph::Now::read().unix_ms;
        lock(&self.world).receive(mailbox, incoming, now)
    }

    /// Drafts (unsent messages) in a mailbox.
    pub fn drafts(&self, mailbox: &str) -> usize {
        lock(&self.world).drafts(mailbox)
    }

    /// Changes the faults from now on.
    pub fn set_faults(&self, faults: Faults) {
        let mut w = lock(&self.world);
        w.rng = fastrand::Rng::with_seed(faults.seed);
        w.config.faults = faults;
    }

    /// Holds a request: it is processed, reported to [`Sandbox::wait_held`], and never answered.
    pub fn hold(&self, hold: Hold) {
        lock(&self.world).holds.push(hold);
    }

    /// Removes pending holds.
    pub fn clear_holds(&self) {
        lock(&self.world).holds.clear();
    }

    /// Counts of drafts created and sends accepted so far.
    pub fn counts(&self) -> (usize, usize) {
        let w = lock(&self.world);
        (w.creates, w.sends)
    }

    /// Waits for a held request.
    pub fn wait_held(&self, timeout: Duration) -> Option<Hold> {
        self.held_rx.lock().ok()?.recv_timeout(timeout).ok()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl World {
    fn drafts(&self, mailbox: &str) -> usize {
        self.mailboxes.get(&mailbox.to_lowercase()).map_or(0, |mb| mb.drafts())
    }
}

impl crate::graph::Mailbox {
    fn drafts(&self) -> usize {
        self.messages.iter().filter(|m| m.is_draft()).count()
    }
}

fn respond(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = if reply.body.is_null() {
        status.into_response()
    } else {
        (status, axum::Json(reply.body)).into_response()
    };
    if let Some(ra) = reply.retry_after {
        // Graph sends whole seconds; scaled-down sandboxes need fractions.
        let text = if ra.fract() == 0.0 { format!("{ra:.0}") } else { format!("{ra:.3}") };
        if let Ok(v) = HeaderValue::from_str(&text) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    if let Some(loc) = reply.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LOCATION, loc);
    }
    response
}

/// Graph's answer to a request without a valid bearer token.
fn invalid_token() -> Reply {
    Reply::error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
}

/// Never answers (the connection is dropped, or the sender killed, meanwhile).
async fn never() -> ! {
    loop {
        std::future::pending::<()>().await;
    }
}

enum After {
    Answer,
    Error(u16),
    Drop,
}

/// Decrements a mailbox's requests in flight however the request ends.
struct InFlight {
    world: Shared,
    mailbox: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(mb) = lock(&self.world).mailboxes.get_mut(&self.mailbox) {
            mb.in_flight = mb.in_flight.saturating_sub(1);
        }
    }
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

async fn graph(
    State(app): State<App>,
    kill: Option<Extension<Kill>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(path) = uri.path().strip_prefix("/v1.0/") else {
        return respond(Reply::error(404, "NotFound", "the sandbox serves /v1.0/"));
    };
    let segs: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(decode).collect();
    let query: HashMap<String, String> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(&v.replace('+', " "))))
        .collect();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    let world = app.world.clone();
    if segs == ["organization"] && method == Method::GET {
        let w = lock(&world);
        if w.user(&token).is_none() {
            return respond(invalid_token());
        }
        return respond(match &w.config.domains {
            Some(domains) => Reply::ok(
                200,
                serde_json::json!({ "value": [{
                    "id": "00000000-0000-0000-0000-00000000000a",
                    "displayName": "Sandbox",
                    "verifiedDomains": domains.iter().enumerate().map(|(i, d)| serde_json::json!({
                        "name": d, "isDefault": i == 0, "isInitial": i == 0, "type": "Managed"
                    })).collect::<Vec<_>>(),
                }]}),
            ),
            None => Reply::error(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            ),
        });
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1").to_owned();
    if matches!(segs.first().map(String::as_str), Some("drives" | "shares"))
        || segs.get(..2).is_some_and(|s| s == ["me", "drive"])
    {
        let mut w = lock(&world);
        w.stats.requests += 1;
        let Some(user) = w.user(&token) else {
            return respond(invalid_token());
        };
        if let Some(reply) = w.drive(&user, &segs, &query, &format!("http://{host}")) {
            return respond(reply);
        }
    }
    let (named, rest) = match segs.first().map(String::as_str) {
        Some("me") => (None, segs[1..].to_vec()),
        Some("users") if segs.len() >= 2 => (Some(segs[1].clone()), segs[2..].to_vec()),
        _ => return respond(Reply::error(400, "BadRequest", "expected /me/… or /users/{address}/…")),
    };
    let (mailbox, faults, guard) = {
        let mut w = lock(&world);
        w.stats.requests += 1;
        let Some(user) = w.user(&token) else {
            return respond(invalid_token());
        };
        let mailbox = match w.mailbox(&user, named.as_deref()) {
            Ok(m) => m,
            Err(r) => return respond(r),
        };
        let limits = w.config.limits;
        let now = Instant::now();
        let Some(mb) = w.mailboxes.get_mut(&mailbox) else {
            return respond(Reply::error(404, "ErrorInvalidUser", "no such mailbox"));
        };
        while mb.requests.front().is_some_and(|t| now.duration_since(*t) >= limits.request_window) {
            mb.requests.pop_front();
        }
        if mb.requests.len() >= limits.requests_per_window as usize {
            let wait = mb
                .requests
                .front()
                .map_or(Duration::ZERO, |t| limits.request_window.saturating_sub(now.duration_since(*t)));
            w.stats.throttled_requests += 1;
            let mut r = Reply::error(429, "ApplicationThrottled", "Application is over its request limit.");
            r.retry_after = Some(wait.as_secs_f64().max(0.001));
            return respond(r);
        }
        if mb.in_flight >= limits.concurrency {
            w.stats.throttled_requests += 1;
            let mut r = Reply::error(
                429,
                "ApplicationThrottled",
                "Application is over its MailboxConcurrency limit.",
            );
            r.retry_after = Some(1.0);
            return respond(r);
        }
        mb.in_flight += 1;
        mb.requests.push_back(now);
        let in_flight = mb.in_flight;
        w.stats.max_concurrency = w.stats.max_concurrency.max(in_flight);
        (mailbox.clone(), w.config.faults, InFlight { world: world.clone(), mailbox })
    };
    if faults.latency_ms > 0 {
        let ms = { lock(&world).rng.u64(0..=faults.latency_ms) };
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    {
        let mut w = lock(&world);
        let roll = w.rng.f64();
        if roll < faults.throttle {
            w.stats.storm += 1;
            let mut r = Reply::error(429, "ApplicationThrottled", "Too many requests.");
            r.retry_after = Some(faults.retry_after);
            return respond(r);
        }
        if roll < faults.throttle + faults.unavailable {
            w.stats.faults += 1;
            let mut r = Reply::error(503, "ServiceUnavailable", "The service is temporarily unavailable.");
            if w.rng.bool() {
                r.retry_after = Some(faults.retry_after);
            } else {
                r = Reply::error(504, "GatewayTimeout", "The gateway timed out.");
            }
            return respond(r);
        }
    }
    let prefer_immutable = headers
        .get_all("prefer")
        .iter()
        .any(|v| v.to_str().is_ok_and(|s| s.replace(' ', "").contains("IdType=\"ImmutableId\"")));
    if body.len() > MAX_REQUEST {
        return respond(Reply::error(413, "RequestEntityTooLarge", "Maximum request length exceeded."));
    }
    let base = format!("http://{host}");
    let url = format!("{base}{}", uri.path());
    let req = Req {
        method: method.as_str(),
        rest: &rest,
        query: &query,
        prefer_immutable,
        body: &body,
        base: &base,
        url: &url,
    };
    let reply = lock(&world).process(&mailbox, &req, crate::graph::Now::read());
    if let Some(hold) = reply.hold {
        // A held request no longer counts against the mailbox's concurrency: its sender is
        // about to be killed, and the connection may linger.
        drop(guard);
        if let Ok(Some(tx)) = app.held.lock().as_deref() {
            let _ = tx.send(hold);
        }
        never().await;
    }
    let after = if reply.effect {
        let mut w = lock(&world);
        let roll = w.rng.f64();
        if roll < faults.drop_after {
            w.stats.faults += 1;
            After::Drop
        } else if roll < faults.drop_after + faults.error_after {
            w.stats.faults += 1;
            After::Error(if w.rng.bool() { 500 } else { 504 })
        } else {
            After::Answer
        }
    } else {
        After::Answer
    };
    match after {
        After::Drop => {
            if let Some(Extension(Kill(k))) = kill {
                drop(guard);
                k.notify_one();
                never().await;
            }
        }
        After::Error(status) => {
            return respond(Reply::error(
                status,
                "InternalServerError",
                "An internal server error occurred.",
            ));
        }
        After::Answer => {}
    }
    drop(guard);
    respond(reply)
}

async fn upload(
    State(app): State<App>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let range = headers.get(header::CONTENT_RANGE).and_then(|v| v.to_str().ok());
    let auth = headers.contains_key(header::AUTHORIZATION);
    respond(lock(&app.world).upload(&token, auth, range, &body))
}

/// A pre-authenticated download URL: no token, as a file service's.
async fn download(State(app): State<App>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let mut w = lock(&app.world);
    if headers.contains_key(header::AUTHORIZATION) {
        w.stats
            .violations
            .push("an Authorization header sent to a pre-authenticated download URL".to_owned());
    }
    match w.download(&token) {
        Some(bytes) => ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response(),
        None => respond(Reply::error(404, "itemNotFound", "The download link has expired.")),
    }
}

async fn deliveries(State(app): State<App>) -> Response {
    axum::Json(lock(&app.world).deliveries.clone()).into_response()
}

async fn stats(State(app): State<App>) -> Response {
    axum::Json(lock(&app.world).stats.clone()).into_response()
}

/// `POST /_sandbox/inbox`: a message arrives in a mailbox's Inbox (`mailbox`, default the
/// default user's) — a test's reply, out-of-office or unsubscribe request.
async fn inbox(State(app): State<App>, axum::Json(m): axum::Json<crate::Incoming>) -> Response {
    let mailbox = m.mailbox.clone().unwrap_or_else(|| crate::DEFAULT_USER.to_owned());
    let now = crate::graph::Now::read().unix_ms;
    match lock(&app.world).receive(&mailbox, &m, now) {
        Some(id) => (StatusCode::CREATED, axum::Json(serde_json::json!({ "id": id }))).into_response(),
        None => (StatusCode::NOT_FOUND, "no such mailbox or message").into_response(),
    }
}

fn clock(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map_or_else(String::new, |t| t.strftime("%Y-%m-%d %H:%M:%S%.3f").to_string())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

async fn page(State(app): State<App>) -> Html<String> {
    let w = lock(&app.world);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for d in &w.deliveries {
        *counts.entry(d.row_key.as_deref().unwrap_or(&d.id)).or_default() += 1;
    }
    let mut rows = String::new();
    for d in w.deliveries.iter().rev().take(500) {
        let times = counts.get(d.row_key.as_deref().unwrap_or(&d.id)).copied().unwrap_or(1);
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            clock(d.released_at),
            escape(&d.to.join(", ")),
            escape(&d.subject),
            escape(d.row_key.as_deref().unwrap_or("")),
            d.attachments.len(),
            if times == 1 { "once".to_owned() } else { format!("<strong>{times} times</strong>") },
        ));
    }
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Graph sandbox</title>\
         <style>body{{font-family:system-ui;margin:2rem}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}}</style></head>\
         <body><h1>localmerge Graph sandbox</h1><p>{} delivered, {} drafts created, {} requests, {} throttled, {} faults injected. \
         JSON: <a href=\"/_sandbox/deliveries\">deliveries</a>, <a href=\"/_sandbox/stats\">stats</a>.</p>\
         <table><caption>Latest deliveries</caption><thead><tr><th>Leaves (UTC)</th><th>To</th><th>Subject</th><th>Row key</th><th>Attachments</th><th>Delivered</th></tr></thead><tbody>{rows}</tbody></table></body></html>",
        w.deliveries.len(),
        w.stats.drafts_created,
        w.stats.requests,
        w.stats.throttled_sends + w.stats.throttled_requests + w.stats.storm,
        w.stats.faults,
    ))
}

fn form(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(&k.replace('+', " ")), decode(&v.replace('+', " "))))
        .collect()
}

/// The identity platform's device-code endpoint, as far as `localmerge login` needs it: the
/// "user" approves at the first poll.
async fn devicecode(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let f = form(&body);
    let scopes = f.get("scope").cloned().unwrap_or_default();
    if f.get("client_id").is_none_or(String::is_empty) {
        return (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({"error": "invalid_request"})))
            .into_response();
    }
    if !scopes.split(' ').any(|s| s == "Mail.Send") {
        return (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({"error": "invalid_scope"})))
            .into_response();
    }
    let code = {
        let mut w = lock(&app.world);
        let code = format!("dc{}", w.rng.u64(..));
        w.device_codes.insert(code.clone(), 0);
        code
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    axum::Json(serde_json::json!({
        "device_code": code,
        "user_code": "SANDBOX1",
        "verification_uri": format!("http://{host}/_sandbox"),
        "expires_in": 900,
        "interval": 1,
        "message": "The sandbox approves at once.",
    }))
    .into_response()
}

async fn token(State(app): State<App>, body: Bytes) -> Response {
    let f = form(&body);
    let bad =
        |e: &str| (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({ "error": e }))).into_response();
    if f.get("grant_type").map(String::as_str) != Some("urn:ietf:params:oauth:grant-type:device_code") {
        return bad("unsupported_grant_type");
    }
    let mut w = lock(&app.world);
    let Some(polls) = f.get("device_code").and_then(|c| w.device_codes.get_mut(c)) else {
        return bad("invalid_grant");
    };
    *polls += 1;
    if *polls == 1 {
        return bad("authorization_pending");
    }
    let token = w.config.users.first().map(|u| u.0.clone()).unwrap_or_default();
    axum::Json(serde_json::json!({
        "token_type": "Bearer",
        "access_token": token,
        "expires_in": 3600,
        "scope": "User.Read Mail.ReadWrite Mail.Send",
    }))
    .into_response()
}

/// The clock is read here, at the edge, once per request.
impl crate::graph::Now {
    /// The clock's reading.
    pub(crate) fn read() -> crate::graph::Now {
        let unix_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        crate::graph::Now { at: Instant::now(), unix_ms }
    }
}
