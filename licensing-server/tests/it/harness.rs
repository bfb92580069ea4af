//! The test world: an identity provider, a server on a chosen database, tokens, webhooks.

use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::Json;
use axum::routing::get;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use localmerge_licensing_server::billing::paddle;
use localmerge_licensing_server::{Config, app, build};
use serde_json::{Value, json};

pub const AUDIENCE: &str = "api://localmerge-test";
pub const PADDLE_SECRET: &str = "pdl_ntfset_test_secret";
/// A fixed Ed25519 seed (base64), so tests can pin the key id.
pub const SIGNING_SEED: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// The databases the tests run against: SQLite always; PostgreSQL when its server answers
/// (`LICENSING_TEST_POSTGRES`, else 127.0.0.1:5432). Under CI it must answer; elsewhere
/// its absence is said once on standard error and the PostgreSQL half is skipped.
pub fn backends() -> Vec<Db> {
    static POSTGRES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let reachable = *POSTGRES.get_or_init(|| {
        let url = localmerge_testdata::postgres_url();
        let up = localmerge_testdata::answers(localmerge_testdata::postgres_addr(&url));
        if !up {
            assert!(std::env::var_os("CI").is_none(), "CI must run PostgreSQL at {url}");
            eprintln!(
                "no PostgreSQL at {url}: the licensing tests ran on SQLite only (set LICENSING_TEST_POSTGRES=postgres://user@host:port/db to run them on PostgreSQL too)"
            );
        }
        up
    });
    if reachable { vec![Db::Sqlite, Db::Postgres] } else { vec![Db::Sqlite] }
}

fn data(name: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name))
        .unwrap()
}

/// The identity provider: `/{tenant}/v2.0/.well-known/openid-configuration` and `/keys`.
pub struct Idp {
    pub base: String,
}

pub async fn idp() -> &'static Idp {
    static IDP: OnceLock<Idp> = OnceLock::new();
    if let Some(i) = IDP.get() {
        return i;
    }
    // The provider lives on its own thread and runtime, shared by every test.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let base = format!("http://{addr}");
            let comps: Value = serde_json::from_str(&data("jwk-components.json")).unwrap();
            let jwks = json!({ "keys": [{
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "k1",
                "n": comps["idp"]["n"], "e": comps["idp"]["e"],
            }]});
            let meta = json!({
                "issuer": format!("{base}/{{tenantid}}/v2.0"),
                "jwks_uri": format!("{base}/keys"),
                "authorization_endpoint": format!("{base}/common/oauth2/v2.0/authorize"),
                "token_endpoint": format!("{base}/common/oauth2/v2.0/token"),
            });
            let app = axum::Router::new()
                .route(
                    "/common/v2.0/.well-known/openid-configuration",
                    get(move || async move { Json(meta) }),
                )
                .route("/keys", get(move || async move { Json(jwks) }))
                .merge(crate::oidc::router(base.clone()));
            tx.send(base).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    let base = rx.recv().unwrap();
    let _ = IDP.set(Idp { base });
    IDP.get().unwrap()
}

/// A token for `tid`/`oid`; `edit` changes the claims or header before signing.
pub struct TokenSpec {
    pub header: Header,
    pub claims: Value,
    pub key: &'static str,
}

pub async fn token_with(tid: &str, oid: &str, edit: impl FnOnce(&mut TokenSpec)) -> String {
    let base = &idp().await.base;
    let now = localmerge_licensing_server::now_ms() / 1000;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("k1".to_owned());
    let mut spec = TokenSpec {
        header,
        claims: json!({
            "aud": AUDIENCE, "iss": format!("{base}/{tid}/v2.0"), "tid": tid, "oid": oid,
            "name": format!("User {oid}"), "preferred_username": format!("{oid}@{tid}.example"),
            "iat": now, "nbf": now, "exp": now + 3600,
        }),
        key: "idp.pem",
    };
    edit(&mut spec);
    let key = EncodingKey::from_rsa_pem(data(spec.key).as_bytes()).unwrap();
    jsonwebtoken::encode(&spec.header, &spec.claims, &key).unwrap()
}

pub async fn token(tid: &str, oid: &str) -> String {
    token_with(tid, oid, |_| {}).await
}

/// A fresh PostgreSQL database on the machine's server.
pub async fn postgres_url() -> String {
    use sqlx::Connection as _;
    let admin = localmerge_testdata::postgres_url();
    let mut conn =
        sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| panic!("PostgreSQL at {admin}: {e}"));
    let name = format!("lic_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    let (head, _) = admin.rsplit_once('/').unwrap();
    format!("{head}/{name}")
}

pub fn config(url: &str) -> Config {
    let mut c = Config::defaults();
    c.database_url = url.to_owned();
    c.api_audience = Some(AUDIENCE.to_owned());
    c.paddle_webhook_secret = Some(PADDLE_SECRET.to_owned());
    c.paddle_prices = "pri_pro=pro,pri_team=team".to_owned();
    c.signing_key = Some(SIGNING_SEED.to_owned());
    c.rate_per_user = 100_000;
    c.rate_per_ip = 100_000;
    c
}

pub async fn database(db: Db) -> (String, Option<tempfile::TempDir>) {
    match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            (format!("sqlite://{}", dir.path().join("licensing.db").display()), Some(dir))
        }
        Db::Postgres => (postgres_url().await, None),
    }
}

/// A running server.
pub struct Server {
    pub base: String,
    pub http: reqwest::Client,
    /// The database it runs on (a test may open its own `Store` to read what was kept).
    pub database_url: String,
    pub _dir: Option<tempfile::TempDir>,
}

pub async fn server(db: Db) -> Server {
    server_with(db, |_| {}).await
}

pub async fn server_with(db: Db, edit: impl FnOnce(&mut Config)) -> Server {
    let idp = idp().await;
    let (url, dir) = database(db).await;
    let mut c = config(&url);
    let database_url = url.clone();
    c.oidc_authority = format!("{}/common/v2.0", idp.base);
    edit(&mut c);
    let state = build(c).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app::router(state).into_make_service_with_connect_info::<SocketAddr>())
            .await
            .unwrap();
    });
    Server { base: format!("http://{addr}"), http: reqwest::Client::new(), database_url, _dir: dir }
}

impl Server {
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut r = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn check(&self, token: &str) -> (u16, Value) {
        self.call(reqwest::Method::POST, "/v1/license/check", Some(token), None).await
    }

    /// Delivers a Paddle event signed now with `secret`.
    pub async fn paddle(&self, event: &Value, secret: &str, ts_offset: i64) -> (u16, Value) {
        let body = serde_json::to_vec(event).unwrap();
        let ts = localmerge_licensing_server::now_ms() / 1000 + ts_offset;
        self.paddle_raw(&body, &paddle::sign(secret, ts, &body)).await
    }

    pub async fn paddle_raw(&self, body: &[u8], signature: &str) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}/v1/webhooks/paddle", self.base))
            .header("Paddle-Signature", signature)
            .header("Content-Type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// A purchase: `transaction.completed` for `seats` seats, bought by tid/oid.
    pub async fn buy(&self, event_id: &str, tid: &str, oid: &str, seats: i64) -> (u16, Value) {
        let event = purchase(event_id, tid, oid, seats, "pri_pro");
        self.paddle(&event, PADDLE_SECRET, 0).await
    }

    /// The first subscription `token` administers.
    pub async fn subscription(&self, token: &str) -> Value {
        let (s, v) = self.call(reqwest::Method::GET, "/v1/admin/subscriptions", Some(token), None).await;
        assert_eq!(s, 200, "{v}");
        v["subscriptions"][0].clone()
    }
}

pub fn purchase(event_id: &str, tid: &str, oid: &str, seats: i64, price: &str) -> Value {
    json!({
        "event_id": event_id,
        "event_type": "transaction.completed",
        "occurred_at": "2026-11-24T10:00:00Z",
        "data": {
            "id": format!("txn_{event_id}"),
            "subscription_id": format!("sub_{tid}_{oid}"),
            "customer_id": "ctm_01",
            "status": "completed",
            "custom_data": { "tenant_id": tid, "user_id": oid },
            "items": [{ "price": { "id": price }, "quantity": seats }],
            "billing_period": { "starts_at": "2026-11-24T00:00:00Z", "ends_at": "2099-11-24T00:00:00Z" },
        }
    })
}

/// A replica: the server's binary in its own process, killed when dropped.
pub struct Replica(pub std::process::Child);

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Replica {
    /// Sends a signal (`TERM`, `KILL`).
    pub fn signal(&self, name: &str) {
        let ok =
            std::process::Command::new("kill").args([&format!("-{name}"), &self.0.id().to_string()]).status();
        assert!(ok.is_ok_and(|s| s.success()), "kill -{name}");
    }
}

/// `n` replicas of the server on the database `url`, started and answering; their bases.
pub async fn replicas(url: &str, n: usize) -> (Vec<Replica>, Vec<String>) {
    replicas_with(url, n, &[("LICENSING_LOG", "warn")], false).await
}

/// The same, with more environment variables, and standard output piped when `capture`.
pub async fn replicas_with(
    url: &str,
    n: usize,
    env: &[(&str, &str)],
    capture: bool,
) -> (Vec<Replica>, Vec<String>) {
    let idp = idp().await;
    let mut replicas = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..n {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_localmerge-licensing-server"))
            .env("LICENSING_DATABASE_URL", url)
            .env("LICENSING_LISTEN", format!("127.0.0.1:{port}"))
            .env("LICENSING_OIDC_AUTHORITY", format!("{}/common/v2.0", idp.base))
            .env("LICENSING_API_AUDIENCE", AUDIENCE)
            .env("LICENSING_PADDLE_WEBHOOK_SECRET", PADDLE_SECRET)
            .env("LICENSING_PADDLE_PRICES", "pri_pro=pro,pri_team=team")
            .env("LICENSING_SIGNING_KEY", SIGNING_SEED)
            .env("LICENSING_RATE_PER_USER", "100000")
            .env("LICENSING_RATE_PER_IP", "100000")
            .env("LICENSING_SHUTDOWN_DRAIN_SECS", "2")
            .envs(env.iter().copied())
            .stdout(if capture { std::process::Stdio::piped() } else { std::process::Stdio::null() })
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .unwrap();
        replicas.push(Replica(child));
        bases.push(format!("http://127.0.0.1:{port}"));
    }
    let http = reqwest::Client::new();
    for base in &bases {
        let mut up = false;
        for _ in 0..200 {
            if http.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
                up = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(up, "{base} did not start");
    }
    (replicas, bases)
}
