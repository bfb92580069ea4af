//! Operating several replicas: three on one PostgreSQL behind the reverse proxy of
//! `deploy/Caddyfile` (the compose file's) under load, with purchases arriving; one stopped
//! with SIGTERM (it drains: readiness answers 503, the proxy stops sending, requests in
//! flight finish — no failure at all), one killed outright (only its requests in flight
//! fail); no purchase is lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::harness::*;

struct Proxy(std::process::Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn caddy_installed() -> bool {
    let found = std::process::Command::new("caddy").arg("version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "CI installs caddy (apt-get install caddy)");
        eprintln!(
            "skipped: caddy is not installed (apt-get install caddy): the replicas-behind-a-proxy test did not run"
        );
    }
    found
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_stopped_or_killed_mid_load_fail_only_the_killed_ones_requests_and_lose_no_webhook() {
    if !backends().contains(&Db::Postgres) || !caddy_installed() {
        return;
    }
    let url = postgres_url().await;
    let (mut replicas, bases) = replicas(&url, 3).await;
    let port = free_port();
    let upstreams: Vec<&str> = bases.iter().map(|b| b.trim_start_matches("http://")).collect();
    let caddyfile = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/Caddyfile");
    let _proxy = Proxy(
        std::process::Command::new("caddy")
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&caddyfile)
            .env("LISTEN", format!("127.0.0.1:{port}"))
            .env("UPSTREAMS", upstreams.join(" "))
            .env("HOME", std::env::temp_dir())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let proxy = Server {
        base: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::new(),
        database_url: String::new(),
        _dir: None,
    };
    let mut up = false;
    for _ in 0..200 {
        if proxy
            .http
            .get(format!("{}/readyz", proxy.base))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the proxy did not start");
    assert_eq!(proxy.buy("evt_lb", "tlb", "user", 1).await.0, 200);
    let user = token("tlb", "user").await;

    const WORKERS: usize = 8;
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut load = Vec::new();
    for _ in 0..WORKERS {
        let (stop, ok, failed, http, url, user) = (
            stop.clone(),
            ok.clone(),
            failed.clone(),
            proxy.http.clone(),
            format!("{}/v1/license/check", proxy.base),
            user.clone(),
        );
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match http.post(&url).bearer_auth(&user).send().await.map(|r| r.status().as_u16()) {
                    Ok(200) => ok.fetch_add(1, Ordering::Relaxed),
                    // The proxy's answer for a replica that failed, or no answer at all.
                    Ok(502..=504) | Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                    Ok(status) => panic!("a license check answered {status}"),
                };
            }
        }));
    }
    // Purchases arrive during the load, each delivered again until acknowledged, as Paddle
    // does (at least once).
    let sender = {
        let http = proxy.http.clone();
        let base = proxy.base.clone();
        tokio::spawn(async move {
            let mut attempts = 0;
            for i in 0..40 {
                let event = purchase(&format!("evt_lb_{i}"), "tlb2", &format!("w{i}"), 1, "pri_pro");
                let body = serde_json::to_vec(&event).unwrap();
                let mut delivered = false;
                for _ in 0..10 {
                    attempts += 1;
                    let ts = localmerge_licensing_server::now_ms() / 1000;
                    let sig = localmerge_licensing_server::billing::paddle::sign(PADDLE_SECRET, ts, &body);
                    let r = http
                        .post(format!("{base}/v1/webhooks/paddle"))
                        .header("Paddle-Signature", sig)
                        .header("Content-Type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    if r.is_ok_and(|r| r.status().is_success()) {
                        delivered = true;
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                assert!(delivered, "event {i} was never acknowledged");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            attempts
        })
    };
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    // SIGTERM: the replica drains for 2 s (readiness 503), then stops listening and exits
    // once its requests in flight are answered.
    replicas[0].signal("TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, v) =
        Server { base: bases[0].clone(), http: proxy.http.clone(), database_url: String::new(), _dir: None }
            .call(reqwest::Method::GET, "/readyz", None, None)
            .await;
    assert_eq!((status, v["draining"].as_bool()), (503, Some(true)), "{v}");
    let exited = loop {
        if let Some(status) = replicas[0].0.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the replica did not stop after SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(exited.success(), "the replica exited with {exited}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let failed_by_term = failed.load(Ordering::Relaxed);
    let before_kill = ok.load(Ordering::Relaxed);
    replicas[1].signal("KILL");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.await.unwrap();
    }
    let attempts = sender.await.unwrap();
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    eprintln!(
        "replicas: {ok} checks answered ({before_kill} before the kill), {failed} failed ({failed_by_term} by the SIGTERM), in {:.1} s; 40 purchases in {attempts} deliveries",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(failed_by_term, 0, "a replica stopped with SIGTERM failed requests");
    assert!(
        before_kill > 50 && ok > before_kill + 50,
        "the load did not run: {ok} ({before_kill} before the kill)"
    );
    // A killed replica fails the requests it had in flight (one per client at most) and,
    // for the moment before the proxy marks it down, requests the proxy had already handed
    // a kept-alive connection to it (Caddy retries only requests whose connection could
    // not be made): at most one more per client. Seen on this machine: 4–10 of ~6,500.
    assert!(
        failed <= 2 * WORKERS,
        "{failed} checks failed: more than a killed replica can fail for {WORKERS} clients"
    );
    // After: every check answers, every purchase licenses its buyer, once.
    for _ in 0..20 {
        assert_eq!(proxy.check(&user).await.0, 200);
    }
    for i in 0..40 {
        let (status, v) = proxy.check(&token("tlb2", &format!("w{i}")).await).await;
        assert_eq!((status, v["licensed"].as_bool()), (200, Some(true)), "purchase {i} was lost: {v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_json_lines_without_personal_data_or_colour() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("licensing.db").display());
    let (mut replicas, bases) = replicas_with(&url, 1, &[("LICENSING_LOG", "info,access=info")], true).await;
    let s = Server {
        base: bases[0].clone(),
        http: reqwest::Client::new(),
        database_url: String::new(),
        _dir: None,
    };
    assert_eq!(s.buy("evt_log", "tlog", "logged-user", 1).await.0, 200);
    let user = token("tlog", "logged-user").await;
    assert_eq!(s.check(&user).await.1["licensed"], true);
    assert_eq!(s.call(reqwest::Method::DELETE, "/v1/me", Some(&user), None).await.0, 204);
    replicas[0].signal("TERM");
    let child = &mut replicas[0].0;
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}")))
        .collect();
    assert!(lines.len() >= 4, "too few log lines:\n{out}");
    assert!(lines.iter().all(|v| v["level"].is_string() && v["timestamp"].is_string()), "{out}");
    assert!(!out.contains('\u{1b}'), "colour codes in the logs");
    for personal in ["logged-user", "tlog.example"] {
        assert!(!out.contains(personal), "{personal} is in the logs:\n{out}");
    }
    // The access log names routes, never paths (ids), and clients by their /24.
    let access: Vec<&serde_json::Value> = lines.iter().filter(|v| v["target"] == "access").collect();
    assert!(access.iter().any(|v| v["fields"]["route"] == "/v1/license/check"), "no access line:\n{out}");
    assert!(access.iter().all(|v| v["fields"]["client"] == "127.0.0.0/24"), "{out}");
}
