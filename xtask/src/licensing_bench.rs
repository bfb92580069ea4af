//! `cargo xtask bench-licensing`: the licensing server's license check under load from wrk on
//! loopback, on SQLite and on PostgreSQL, beside a bare axum "hello" on the same machine (the
//! ceiling of any axum service here). Tokens come from a local identity provider with the
//! test keys; the checked user holds a seat.

use std::net::SocketAddr;
use std::process::Command;

use anyhow::{Context, bail};
use axum::Json;
use axum::routing::{get, post};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use localmerge_licensing_server::billing::paddle;
use localmerge_licensing_server::{Config, app, build, now_ms};
use serde_json::{Value, json};

use crate::{root, target_dir};

const AUDIENCE: &str = "api://localmerge-bench";
const SECRET: &str = "bench-secret";

struct Measure {
    per_sec: f64,
    p99_ms: f64,
}

fn wrk(url: &str, token: &str, seconds: u32) -> anyhow::Result<Measure> {
    let dir = target_dir().join("bench");
    std::fs::create_dir_all(&dir)?;
    let script = dir.join("licensing.lua");
    std::fs::write(
        &script,
        format!("wrk.method = \"POST\"\nwrk.headers[\"Authorization\"] = \"Bearer {token}\"\n"),
    )?;
    let out = Command::new("wrk")
        .args(["-t2", "-c16", &format!("-d{seconds}s"), "--latency", "-s"])
        .arg(&script)
        .arg(url)
        .output()
        .context("wrk (apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() || text.contains("Non-2xx") {
        bail!("wrk against {url}: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    let per_sec = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .context("wrk's requests/sec")?;
    let p99 = text.lines().find_map(|l| l.trim().strip_prefix("99%")).map(str::trim).context("wrk's p99")?;
    let p99_ms = if let Some(us) = p99.strip_suffix("us") {
        us.parse::<f64>()? / 1000.0
    } else if let Some(ms) = p99.strip_suffix("ms") {
        ms.parse::<f64>()?
    } else if let Some(s) = p99.strip_suffix('s') {
        s.parse::<f64>()? * 1000.0
    } else {
        bail!("wrk's p99: {p99}")
    };
    Ok(Measure { per_sec, p99_ms })
}

async fn serve(router: axum::Router) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await;
    });
    Ok(format!("http://{addr}"))
}

async fn idp() -> anyhow::Result<String> {
    let data = root().join("licensing-server/tests/data");
    let comps: Value = serde_json::from_str(&std::fs::read_to_string(data.join("jwk-components.json"))?)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let jwks = json!({ "keys": [{ "kty": "RSA", "kid": "k1", "alg": "RS256", "n": comps["idp"]["n"], "e": comps["idp"]["e"] }] });
    let meta = json!({ "issuer": format!("{base}/{{tenantid}}/v2.0"), "jwks_uri": format!("{base}/keys") });
    let app = axum::Router::new()
        .route("/common/v2.0/.well-known/openid-configuration", get(move || async move { Json(meta) }))
        .route("/keys", get(move || async move { Json(jwks) }));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(base)
}

fn token(idp: &str) -> anyhow::Result<String> {
    let pem = std::fs::read(root().join("licensing-server/tests/data/idp.pem"))?;
    let now = now_ms() / 1000;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("k1".to_owned());
    let claims = json!({
        "aud": AUDIENCE, "iss": format!("{idp}/bench/v2.0"), "tid": "bench", "oid": "user-1",
        "name": "Bench User", "preferred_username": "user-1@bench.example", "iat": now, "exp": now + 3600,
    });
    Ok(jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(&pem)?)?)
}

async fn licensing(url: &str, idp: &str, token: &str, seconds: u32) -> anyhow::Result<Measure> {
    let mut c = Config::defaults();
    c.database_url = url.to_owned();
    c.oidc_authority = format!("{idp}/common/v2.0");
    c.api_audience = Some(AUDIENCE.to_owned());
    c.paddle_webhook_secret = Some(SECRET.to_owned());
    c.paddle_prices = "pri_x=pro".to_owned();
    c.signing_key = Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_owned());
    c.rate_per_user = 10_000_000;
    c.rate_per_ip = 10_000_000;
    let base = serve(app::router(build(c).await?)).await?;
    let event = json!({
        "event_id": "evt_bench", "event_type": "transaction.completed",
        "data": { "id": "txn_bench", "subscription_id": "sub_bench", "custom_data": { "tenant_id": "bench", "user_id": "user-1" },
                  "items": [{ "price": { "id": "pri_x" }, "quantity": 5 }] }
    });
    let body = serde_json::to_vec(&event)?;
    let sig = paddle::sign(SECRET, now_ms() / 1000, &body);
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/v1/webhooks/paddle"))
        .header("Paddle-Signature", sig)
        .body(body)
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("purchase: {}", r.status());
    }
    let check: Value =
        client.post(format!("{base}/v1/license/check")).bearer_auth(token).send().await?.json().await?;
    if check["licensed"] != true {
        bail!("the bench user is not licensed: {check}");
    }
    let (url, token, s) = (format!("{base}/v1/license/check"), token.to_owned(), seconds);
    tokio::task::spawn_blocking(move || wrk(&url, &token, s)).await?
}

pub fn run(seconds: u32) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let idp = idp().await?;
        let token = token(&idp)?;
        let hello = serve(axum::Router::new().route("/", post(|| async { "hello" }))).await?;
        let (h, t) = (format!("{hello}/"), token.clone());
        let hello = tokio::task::spawn_blocking(move || wrk(&h, &t, seconds)).await??;
        println!("axum-hello: {:.0} req/s, p99 {:.2} ms", hello.per_sec, hello.p99_ms);
        let dir = target_dir().join("bench").join("licensing");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let sqlite =
            licensing(&format!("sqlite://{}", dir.join("licensing.db").display()), &idp, &token, seconds)
                .await?;
        println!("license-check-sqlite: {:.0} checks/s, p99 {:.2} ms", sqlite.per_sec, sqlite.p99_ms);
        println!("check-vs-hello-sqlite: {:.3}", sqlite.per_sec / hello.per_sec);
        let admin = std::env::var("LICENSING_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        match postgres(&admin).await {
            Ok(url) => {
                let pg = licensing(&url, &idp, &token, seconds).await?;
                println!("license-check-postgres: {:.0} checks/s, p99 {:.2} ms", pg.per_sec, pg.p99_ms);
                println!("check-vs-hello-postgres: {:.3}", pg.per_sec / hello.per_sec);
            }
            Err(e) => println!("license-check-postgres: skipped ({e})"),
        }
        anyhow::Ok(())
    })
}

async fn postgres(admin: &str) -> anyhow::Result<String> {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    let name = format!("lic_bench_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await?;
    let (head, _) = admin.rsplit_once('/').context("database URL")?;
    Ok(format!("{head}/{name}"))
}
