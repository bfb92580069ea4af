//! Project automation: `cargo xtask <command>`.
//!
//! - `bench [--rows N] [--runs N]`: reads and renders the same generated workbook natively
//!   and with the peers (SheetJS, handlebars.js in Node), and prints the speed-up ratios.
//! - `gen-example`: rewrites `examples/contacts.xlsx`.
//! - `bench-licensing [--seconds N]`: license checks per second and p99 latency (wrk, on
//!   loopback) against SQLite and PostgreSQL, beside a bare axum "hello" as the ceiling.
//! - `demo [--keep]`: starts the Graph sandbox and sends the example campaign through it
//!   with `localmerge send`, exactly as it would go to Microsoft 365; `--keep` leaves the
//!   sandbox running to look at what was delivered.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use localmerge_core::{Merge, MergeSpec, Workbook};

mod licensing_bench;
#[cfg(test)]
mod tidy;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str, default: u32| -> anyhow::Result<u32> {
        match args.iter().position(|a| a == name) {
            Some(i) => {
                args.get(i + 1).context("a value")?.parse().with_context(|| format!("{name} takes a number"))
            }
            None => Ok(default),
        }
    };
    match args.first().map(String::as_str) {
        Some("bench") => bench(flag("--rows", 50_000)?, flag("--runs", 7)?),
        Some("gen-example") => {
            for (name, problems) in [("contacts.xlsx", false), ("contacts-with-problems.xlsx", true)] {
                let path = root().join("examples").join(name);
                std::fs::write(&path, localmerge_testdata::example_xlsx(problems)?)?;
                println!("wrote {}", path.display());
            }
            Ok(())
        }
        Some("demo") => demo(args.iter().any(|a| a == "--keep")),
        Some("bench-licensing") => licensing_bench::run(flag("--seconds", 10)?),
        _ => bail!(
            "usage: cargo xtask bench [--rows N] [--runs N] | gen-example | demo [--keep] | bench-licensing [--seconds N]"
        ),
    }
}

/// The README's main job: the example campaign, sent through the Graph sandbox.
fn demo(keep: bool) -> anyhow::Result<()> {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--locked", "-p", "localmerge-cli", "--bin", "localmerge"])
        .current_dir(root())
        .status()
        .context("cargo build")?;
    if !status.success() {
        bail!("building localmerge failed");
    }
    let sandbox = localmerge_graph_sandbox::Sandbox::start_on("127.0.0.1:8990")
        .or_else(|_| localmerge_graph_sandbox::Sandbox::start(localmerge_graph_sandbox::Config::default()))
        .context("starting the Graph sandbox")?;
    println!("Graph sandbox: {} (Exchange Online's limits: 30 messages a minute)", sandbox.url());
    let dir = root().join("target").join("demo");
    std::fs::create_dir_all(&dir)?;
    let journal = dir.join("welcome.jsonl");
    // Each demo is a new campaign; a real one resumes from its journal.
    let _ = std::fs::remove_file(&journal);
    let status = Command::new(root().join("target").join("debug").join("localmerge"))
        .current_dir(root())
        .args(["send", "examples/contacts.xlsx", "--subject", "Welcome aboard, {{First Name}}"])
        .args(["--body", "examples/welcome.html", "--journal"])
        .arg(&journal)
        .args(["--graph-url", &sandbox.url()])
        .env("LOCALMERGE_GRAPH_TOKEN", localmerge_graph_sandbox::DEFAULT_TOKEN)
        .status()
        .context("localmerge send")?;
    if !status.success() {
        bail!("localmerge send failed ({status})");
    }
    let deliveries = sandbox.deliveries();
    let mut keys: Vec<_> = deliveries.iter().filter_map(|d| d.row_key.clone()).collect();
    keys.sort();
    keys.dedup();
    println!(
        "The sandbox delivered {} messages to {} recipients, each once: http://{}/_sandbox",
        deliveries.len(),
        keys.len(),
        sandbox.addr()
    );
    if keys.len() != deliveries.len() {
        bail!("a row was delivered more than once");
    }
    // The licensing server, on its embedded default (a SQLite file), beside the sandbox.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let licensing = runtime.block_on(async {
        let mut config = localmerge_licensing_server::Config::defaults();
        config.database_url = format!("sqlite://{}", dir.join("licensing.db").display());
        let state = localmerge_licensing_server::build(config).await?;
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:8787").await {
            Ok(l) => l,
            Err(_) => tokio::net::TcpListener::bind("127.0.0.1:0").await?,
        };
        let base = format!("http://{}", listener.local_addr()?);
        let app = localmerge_licensing_server::http::router(state)
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let keys: serde_json::Value =
            reqwest::get(format!("{base}/v1/license/public-key")).await?.json().await?;
        anyhow::ensure!(keys["keys"][0]["kty"] == "OKP", "the licensing server's public key: {keys}");
        anyhow::Ok(base)
    })?;
    println!(
        "Licensing server (SQLite, target/demo/licensing.db): {licensing} (its keys: {licensing}/v1/license/public-key)"
    );
    if keep {
        println!(
            "The sandbox keeps running (token \"{}\"); Ctrl-C stops it.",
            localmerge_graph_sandbox::DEFAULT_TOKEN
        );
        loop {
            std::thread::park();
        }
    }
    Ok(())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Times `f` (median of `runs`, after a warm-up). Each previous result is freed before the
/// next run starts, outside the timed region, as the peers' garbage collector frees theirs
/// outside theirs.
fn time<T>(runs: u32, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut last = Some(f()); // warm-up
    let mut ms = Vec::new();
    for _ in 0..runs.max(1) {
        drop(last.take());
        let t = Instant::now();
        let out = f();
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        last = Some(out);
    }
    let last = last.unwrap_or_else(&mut f);
    (median(ms), last)
}

fn bench(rows: u32, runs: u32) -> anyhow::Result<()> {
    let dir = root().join("target/bench");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join(format!("contacts-{rows}.xlsx"));
    let bytes = localmerge_testdata::contacts_xlsx(rows)?;
    std::fs::write(&file, &bytes)?;
    let subject = std::fs::read_to_string(root().join("bench/templates/subject.hbs"))?;
    let body = std::fs::read_to_string(root().join("bench/templates/body.html"))?;
    println!(
        "workbook: {rows} rows x 10 columns, {:.1} MB xlsx; median of {runs} runs",
        bytes.len() as f64 / 1e6
    );

    let (read_ms, table) = time(runs, || Workbook::open(bytes.clone()).and_then(|mut w| w.read(None)));
    let table = table?;
    anyhow::ensure!(table.rows.len() == rows as usize, "read {} rows", table.rows.len());
    let merge = Merge::new(&table, &MergeSpec::html(subject.trim_end(), &body, "body.html"))?;
    let (render_ms, plan) = time(runs, || merge.plan(&table));
    anyhow::ensure!(plan.messages.len() == rows as usize, "{} problems", plan.problems.len());
    let chars: usize = plan.messages.iter().map(|m| m.subject.chars().count() + m.body.chars().count()).sum();

    let peers = root().join("bench");
    if !peers.join("node_modules/xlsx").exists() {
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent"])
            .current_dir(&peers))?;
    }
    let out = Command::new("node")
        .arg(peers.join("peers.mjs"))
        .arg(&file)
        .arg(runs.to_string())
        .output()
        .context("node (the peers run in Node.js)")?;
    if !out.status.success() {
        bail!("peers failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let js: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let num = |k: &str| js[k].as_f64().with_context(|| format!("peers printed no {k}"));
    let (js_parse, js_render) = (num("parse_ms")?, num("render_ms")?);
    anyhow::ensure!(js["rows"].as_u64() == Some(u64::from(rows)), "SheetJS read {} rows", js["rows"]);

    println!("localmerge read (bytes -> typed table): {read_ms:.1} ms");
    println!("SheetJS read (xlsx.read dense + sheet_to_json): {js_parse:.1} ms");
    println!("localmerge render (checks + subject + HTML, {chars} chars): {render_ms:.1} ms");
    println!("handlebars.js render (subject + HTML, {} chars): {js_render:.1} ms", js["output_chars"]);
    println!("parse-vs-sheetjs: {:.2}", js_parse / read_ms);
    println!("render-vs-handlebarsjs: {:.2}", js_render / render_ms);
    Ok(())
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd.status().with_context(|| format!("{cmd:?}"))?;
    anyhow::ensure!(status.success(), "{cmd:?} failed");
    Ok(())
}
