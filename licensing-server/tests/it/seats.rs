//! Racing for the last seats: never oversubscribed, on one process or two replicas.

use std::process::{Child, Command, Stdio};

use reqwest::Method;
use serde_json::json;

use crate::harness::*;

async fn race(servers: &[String], token: &str, sub: &str, n: usize) -> usize {
    let http = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..n {
        let url = format!("{}/v1/admin/subscriptions/{sub}/assignments", servers[i % servers.len()]);
        let (http, token) = (http.clone(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .json(&json!({ "user_id": format!("racer-{i}") }))
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        }));
    }
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap() {
            201 => created += 1,
            409 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    created
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_assignments_for_fifty_seats_on_sqlite() {
    let s = server(Db::Sqlite).await;
    s.buy("evt_r", "tr", "buyer", 50).await;
    let buyer = token("tr", "buyer").await;
    let sub = s.subscription(&buyer).await["id"].as_str().unwrap().to_owned();
    // The buyer holds one seat; 49 are left for 200 racers.
    assert_eq!(race(std::slice::from_ref(&s.base), &buyer, &sub, 200).await, 49);
    let after = s.subscription(&buyer).await;
    assert_eq!(
        (after["seats_used"].as_i64(), after["assignments"].as_array().map(Vec::len)),
        (Some(50), Some(50))
    );
}

struct Replica(Child);

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgres_never_oversubscribe() {
    if !backends().contains(&Db::Postgres) {
        return; // said by `backends`
    }
    let idp = idp().await;
    let url = postgres_url().await;
    let mut replicas = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..2 {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_localmerge-licensing-server"))
            .env("LICENSING_DATABASE_URL", &url)
            .env("LICENSING_LISTEN", format!("127.0.0.1:{port}"))
            .env("LICENSING_OIDC_AUTHORITY", format!("{}/common/v2.0", idp.base))
            .env("LICENSING_API_AUDIENCE", AUDIENCE)
            .env("LICENSING_PADDLE_WEBHOOK_SECRET", PADDLE_SECRET)
            .env("LICENSING_PADDLE_PRICES", "pri_pro=pro,pri_team=team")
            .env("LICENSING_SIGNING_KEY", SIGNING_SEED)
            .env("LICENSING_RATE_PER_USER", "100000")
            .env("LICENSING_RATE_PER_IP", "100000")
            .env("LICENSING_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        replicas.push(Replica(child));
        bases.push(format!("http://127.0.0.1:{port}"));
    }
    let http = reqwest::Client::new();
    for base in &bases {
        let mut up = false;
        for _ in 0..200 {
            if http.get(format!("{base}/healthz")).send().await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(up, "{base} did not start");
    }
    let s = Server { base: bases[0].clone(), http: http.clone(), _dir: None };
    assert_eq!(s.buy("evt_pg", "tpg", "buyer", 50).await.0, 200);
    let buyer = token("tpg", "buyer").await;
    let sub = s.subscription(&buyer).await["id"].as_str().unwrap().to_owned();
    assert_eq!(race(&bases, &buyer, &sub, 200).await, 49);
    let after = s.subscription(&buyer).await;
    assert_eq!(
        (after["seats_used"].as_i64(), after["assignments"].as_array().map(Vec::len)),
        (Some(50), Some(50)),
        "{after}"
    );
    let (status, _) = s.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, 200);
}
