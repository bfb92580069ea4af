//! Racing for the last seats: never oversubscribed, on one process or two replicas.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgres_never_oversubscribe() {
    if !backends().contains(&Db::Postgres) {
        return; // said by `backends`
    }
    let url = postgres_url().await;
    let (_replicas, bases) = replicas(&url, 2).await;
    let http = reqwest::Client::new();
    let s = Server { base: bases[0].clone(), http: http.clone(), database_url: String::new(), _dir: None };
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
