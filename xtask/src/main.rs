//! Project automation: `cargo xtask <command>`.
//!
//! - `bench [--rows N] [--runs N]`: reads and renders the same generated workbook natively
//!   and with the peers (SheetJS, handlebars.js in Node), and prints the speed-up ratios, and
//!   the read against the machine's limit (`read-vs-limit`: the parts inflated and their XML
//!   scanned, building nothing).
//! - `bench-preview [--rows N] [--pairs N]`: the CLI's `preview` of the same workbook
//!   against awdeorio/mailmerge's `--dry-run` of the same rows (`preview-vs-mailmerge`).
//! - `bench-million [--rows N] [--pairs N]`: the CLI's `preview` of a million-row workbook
//!   against the 50,000-row one: peak resident memory (`preview-peak-1m-vs-50k`).
//! - `bench-data [--rows N]`: writes the benchmark's workbook (for `npm run bench`) and
//!   prints its path.
//! - `gen-example`: rewrites `examples/contacts.xlsx`.
//! - `test`: every test — the workspace's, the add-in's JS API as WebAssembly in Node.js,
//!   the task pane's type-check, and the add-in end to end in Chromium.
//! - `bench-licensing [--seconds N]`: license checks per second and p99 latency (wrk, on
//!   loopback) against SQLite and PostgreSQL, beside a bare axum "hello" as the ceiling.
//! - `demo [--keep]`: builds the task pane and serves it over https on localhost, starts
//!   the Graph sandbox and the licensing server (SQLite), prints their URLs, and sends the
//!   example campaign through the sandbox with `localmerge send`, exactly as it would go to
//!   Microsoft 365; `--keep` leaves everything running.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use localmerge_core::{Merge, MergeSpec, Workbook};

mod licensing_bench;
mod limit;
mod million;
mod pane;
mod preview;
#[cfg(test)]
mod tidy;

fn root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// Cargo's build folder: `CARGO_TARGET_DIR` when set (relative to the repository), else
/// `target/` in it.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
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
        Some("bench-data") => {
            // The workbook `npm run bench` reads: written once per size, its path printed.
            let rows = flag("--rows", 50_000)?;
            let dir = target_dir().join("bench");
            std::fs::create_dir_all(&dir)?;
            let file = dir.join(format!("contacts-{rows}.xlsx"));
            if !file.exists() {
                std::fs::write(&file, localmerge_testdata::contacts_xlsx(rows)?)?;
            }
            println!("{}", file.canonicalize()?.display());
            Ok(())
        }
        Some("test") => test_all(),
        Some("demo") => demo(args.iter().any(|a| a == "--keep")),
        Some("bench-licensing") => licensing_bench::run(flag("--seconds", 10)?),
        Some("bench-preview") => preview::bench(flag("--rows", 50_000)?, flag("--pairs", 5)?),
        Some("bench-million") => million::bench(flag("--rows", 1_000_000)?, flag("--pairs", 3)?),
        _ => bail!(
            "usage: cargo xtask bench [--rows N] [--runs N] | bench-preview [--rows N] [--pairs N] | bench-million [--rows N] [--pairs N] | bench-data [--rows N] | gen-example | demo [--keep] | test | bench-licensing [--seconds N]"
        ),
    }
}

/// Builds the task pane (WebAssembly core and TypeScript) into `addin/dist` with npm.
fn build_pane() -> anyhow::Result<()> {
    if !root().join("node_modules/.package-lock.json").exists() {
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(root()))?;
    }
    run(Command::new("npm").args(["run", "--silent", "build"]).current_dir(root()))
}

/// Says, before the tests, what this machine lacks and which tests will skip for it (each
/// test also says so where it skips, but cargo shows a passing test's output only on
/// request); under CI, where everything is installed, a missing piece fails at once.
fn preflight() -> anyhow::Result<()> {
    let corpus = localmerge_testdata::calamine_corpus_dir();
    let postgres = localmerge_testdata::postgres_url();
    let pg_addr = localmerge_testdata::postgres_addr(&postgres);
    let answers = localmerge_testdata::answers;
    let on_path =
        |tool: &str, arg: &str| Command::new(tool).arg(arg).output().is_ok_and(|o| o.status.success());
    let chromium =
        std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    let missing: Vec<String> = [
        (!corpus.is_dir()).then(|| format!(
            "calamine's corpus ({}): the corpus tests skip — set LOCALMERGE_CORPUS=<a copy of calamine's tests/ folder>",
            corpus.display()
        )),
        (!answers(pg_addr)).then(|| format!(
            "PostgreSQL ({pg_addr}): the licensing tests run on SQLite only — set LICENSING_TEST_POSTGRES=postgres://user@host:port/db"
        )),
        (!on_path("soffice", "--version")).then(|| "LibreOffice (soffice): the displayed-value cross-check skips — apt-get install libreoffice-calc-nogui".to_owned()),
        (!on_path("caddy", "version")).then(|| "Caddy: the replicas test skips — apt-get install caddy".to_owned()),
        (!on_path("st", "--version")).then(|| "schemathesis (st): the OpenAPI check skips — pip install \"schemathesis>=4,<5\"".to_owned()),
        (!Command::new("python3").args(["-c", "import openpyxl"]).output().is_ok_and(|o| o.status.success()))
            .then(|| "openpyxl: the report is not read back by Python's xlsx reader — pip install openpyxl".to_owned()),
        (!chromium.exists()).then(|| format!(
            "Chromium ({}): the add-in's end-to-end tests skip — apt-get install chromium, or set CHROMIUM",
            chromium.display()
        )),
    ]
    .into_iter()
    .flatten()
    .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if std::env::var_os("CI").is_some() {
        bail!("CI must have everything the tests use; missing:\n  {}", missing.join("\n  "));
    }
    eprintln!("Not on this machine (the tests that need them say so and skip):");
    for m in &missing {
        eprintln!("  - {m}");
    }
    Ok(())
}

/// The README's "all tests": the workspace's tests, then the add-in's (its WebAssembly API
/// in Node.js, the pane's TypeScript, and the whole add-in in Chromium).
fn test_all() -> anyhow::Result<()> {
    preflight()?;
    run(Command::new(env!("CARGO")).args(["test", "--workspace", "--locked"]).current_dir(root()))?;
    // core as the add-in's first module builds it: xls, xlsb and ods refused by name.
    run(Command::new(env!("CARGO"))
        .args(["test", "--locked", "-p", "localmerge-core", "--no-default-features", "--lib"])
        .current_dir(root()))?;
    build_pane().context("building the task pane (needs Node.js and npm)")?;
    run(Command::new("npm").args(["run", "--silent", "typecheck"]).current_dir(root()))?;
    // The pane's pure modules (the CSV guard, the license statement, the words) in Node.
    run(Command::new("npm").args(["run", "--silent", "test:unit"]).current_dir(root()))?;
    // Store readiness a machine can check offline: both manifests, icons, pages, Office.js.
    run(Command::new("npm").args(["run", "--silent", "test:store"]).current_dir(root()))?;
    // The runner comes with the wasm-bindgen CLI the pane's build chose (PATH or target/tools).
    let local = target_dir().join("tools/bin/wasm-bindgen-test-runner");
    let runner = if local.exists() { local } else { PathBuf::from("wasm-bindgen-test-runner") };
    // The four modules' API: the first (it never sends), the send module, the full one (every
    // format, Outlook contacts, the Inbox) and the report's (the workbook).
    for features in
        [&[][..], &["--features", "send"], &["--features", "all-formats"], &["--features", "report-workbook"]]
    {
        run(Command::new(env!("CARGO"))
            .args([
                "test",
                "--locked",
                "-p",
                "localmerge-addin",
                "--target",
                "wasm32-unknown-unknown",
                "--test",
                "api",
            ])
            .args(features)
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &runner)
            .current_dir(root()))?;
    }
    run(Command::new("npm").args(["run", "--silent", "test:e2e"]).current_dir(root()))
}

/// The README's main job: the task pane over https, the Graph sandbox and the licensing
/// server on SQLite; the example campaign sent through the sandbox.
fn demo(keep: bool) -> anyhow::Result<()> {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--locked", "-p", "localmerge-cli", "--bin", "localmerge"])
        .current_dir(root())
        .status()
        .context("cargo build")?;
    if !status.success() {
        bail!("building localmerge failed");
    }
    build_pane().context("building the task pane (needs Node.js and npm)")?;
    let sandbox = localmerge_graph_sandbox::Sandbox::start_on("127.0.0.1:8990")
        .or_else(|_| localmerge_graph_sandbox::Sandbox::start(localmerge_graph_sandbox::Config::default()))
        .context("starting the Graph sandbox")?;
    println!("Graph sandbox: {} (Exchange Online's limits: 30 messages a minute)", sandbox.url());
    let dir = target_dir().join("demo");
    std::fs::create_dir_all(&dir)?;

    // The licensing server, on its embedded default (a SQLite file), and the task pane.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let tls = pane::certificate(&dir.join("tls"))?;
    let (licensing, pane_url) = runtime.block_on(async {
        let mut config = localmerge_licensing_server::Config::defaults();
        config.database_url = format!("sqlite://{}", dir.join("licensing.db").display());
        let state = localmerge_licensing_server::build(config).await?;
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:8787").await {
            Ok(l) => l,
            Err(_) => tokio::net::TcpListener::bind("127.0.0.1:0").await?,
        };
        let base = format!("http://{}", listener.local_addr()?);
        let app = localmerge_licensing_server::app::router(state)
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let keys: serde_json::Value =
            reqwest::get(format!("{base}/v1/license/public-key")).await?.json().await?;
        anyhow::ensure!(keys["keys"][0]["kty"] == "OKP", "the licensing server's public key: {keys}");

        let config = serde_json::json!({
            "mode": "sandbox",
            "graphUrl": sandbox.url(),
            "licensingUrl": base,
            "graphToken": localmerge_graph_sandbox::DEFAULT_TOKEN,
            "perMinute": 30,
        });
        let dist = root().join("addin").join("dist");
        let addr = match pane::serve(dist.clone(), config.clone(), &tls, "127.0.0.1:3000".parse()?).await {
            Ok(a) => a,
            Err(e) => {
                eprintln!("port 3000 is taken ({e:#}); the pane takes another (manifest.xml expects 3000)");
                pane::serve(dist, config, &tls, "127.0.0.1:0".parse()?).await?
            }
        };
        let url = format!("https://localhost:{}/taskpane.html", addr.port());
        // The pane answers over https with the certificate the development CA signed.
        let ca = reqwest::Certificate::from_pem(&std::fs::read(&tls.ca)?)?;
        let client = reqwest::Client::builder().add_root_certificate(ca).build()?;
        let page = client.get(&url).send().await?.error_for_status()?.text().await?;
        anyhow::ensure!(page.contains("taskpane.js"), "the pane's page: {page}");
        anyhow::Ok((base, url))
    })?;
    println!(
        "Licensing server (SQLite, target/demo/licensing.db): {licensing} (its keys: {licensing}/v1/license/public-key)"
    );
    println!("Task pane (https, against the sandbox): {pane_url}");
    println!(
        "  Its certificate is signed by a CA made on this machine: trust {} once to sideload manifest.xml into Outlook.",
        tls.ca.display()
    );

    let journal = dir.join("welcome.jsonl");
    // Each demo is a new campaign; a real one resumes from its journal.
    let _ = std::fs::remove_file(&journal);
    let status = Command::new(target_dir().join("debug").join("localmerge"))
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
    if keep {
        println!(
            "Everything keeps running: open {pane_url} in a browser, pick examples/contacts.xlsx, and send; Ctrl-C stops."
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
    let dir = target_dir().join("bench");
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
    // The floor: the same parts inflated and their XML scanned, alternated with the read run
    // by run; the ratio is the median of the pairs'.
    let read = || {
        let t = Instant::now();
        let table = Workbook::open(bytes.clone()).and_then(|mut w| w.read(None));
        (t.elapsed().as_secs_f64() * 1e3, table.map(|t| t.rows.len()))
    };
    let floor = || {
        let t = Instant::now();
        let events = limit::scan(&bytes);
        (t.elapsed().as_secs_f64() * 1e3, events)
    };
    let mut pairs = Vec::new();
    let mut limit_ms = Vec::new();
    for run in 0..runs.max(1) {
        let ((r, rows_read), (l, events)) = if run % 2 == 0 {
            let r = read();
            (r, floor())
        } else {
            let l = floor();
            (read(), l)
        };
        anyhow::ensure!(rows_read? == rows as usize && events? > 0, "the read or the scan saw nothing");
        pairs.push(r / l);
        limit_ms.push(l);
    }
    let (lo, hi) = pairs.iter().fold((f64::MAX, 0f64), |(lo, hi), &p| (lo.min(p), hi.max(p)));
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
    println!(
        "the limit (inflate the parts the reader needs and scan their XML, building nothing): {:.1} ms; per-pair read/limit {lo:.2}–{hi:.2}",
        median(limit_ms)
    );
    println!("read-vs-limit: {:.2}", median(pairs));
    let memory = read_memory(&file)?;
    println!(
        "heap reading it: {:.1} MB at the peak (the file's {:.1} MB included), the table {:.1} MB",
        memory.0 as f64 / 1e6,
        bytes.len() as f64 / 1e6,
        memory.1 as f64 / 1e6
    );
    println!("read-peak-vs-table: {:.2}", memory.0 as f64 / memory.1 as f64);
    println!("SheetJS read (xlsx.read dense + sheet_to_json): {js_parse:.1} ms");
    println!("localmerge render (checks + subject + HTML, {chars} chars): {render_ms:.1} ms");
    println!("handlebars.js render (subject + HTML, {} chars): {js_render:.1} ms", js["output_chars"]);
    println!("parse-vs-sheetjs: {:.2}", js_parse / read_ms);
    println!("render-vs-handlebarsjs: {:.2}", js_render / render_ms);
    Ok(())
}

/// The heap reading `file` takes at its peak and the table it makes, in bytes (the
/// `read-memory` binary, whose counting allocator stays out of this process's timings).
fn read_memory(file: &Path) -> anyhow::Result<(u64, u64)> {
    run(Command::new("cargo").args([
        "build",
        "--quiet",
        "--release",
        "-p",
        "xtask",
        "--bin",
        "read-memory",
    ]))?;
    let out = Command::new(target_dir().join("release/read-memory")).arg(file).output()?;
    anyhow::ensure!(out.status.success(), "read-memory: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let num = |k: &str| v[k].as_u64().with_context(|| format!("read-memory printed no {k}"));
    Ok((num("peak_bytes")?, num("table_bytes")?))
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd.status().with_context(|| format!("{cmd:?}"))?;
    anyhow::ensure!(status.success(), "{cmd:?} failed");
    Ok(())
}
