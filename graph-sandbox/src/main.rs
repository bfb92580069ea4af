//! `localmerge-graph-sandbox`: Microsoft Graph's mail endpoints on your machine.

use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use localmerge_graph_sandbox::{
    Config, Contact, DEFAULT_TOKEN, DEFAULT_USER, Faults, Limits, StoredFile, serve,
};

/// A local stand-in for Microsoft Graph's mail endpoints (drafts, send, attachments, upload
/// sessions, folders), with Exchange Online's limits and injectable faults. Open
/// http://ADDRESS/_sandbox to see what was delivered.
#[derive(Debug, Parser)]
#[command(name = "localmerge-graph-sandbox", version, about)]
struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8990")]
    listen: String,
    /// The bearer token accepted (it signs in as me@sandbox.localmerge.test).
    #[arg(long, default_value = DEFAULT_TOKEN)]
    token: String,
    /// Messages per window (Exchange Online: 30 per minute).
    #[arg(long, default_value_t = 30)]
    messages_per_window: u32,
    /// The message window, in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    message_window_ms: u64,
    /// Recipients per rolling 24 hours.
    #[arg(long, default_value_t = 10_000)]
    recipients_per_day: u32,
    /// Requests processed at once per mailbox.
    #[arg(long, default_value_t = 4)]
    concurrency: u32,
    /// Share of requests answered 503/504 before processing (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    fault_unavailable: f64,
    /// Share of sends, drafts and uploads processed then answered 500/504.
    #[arg(long, default_value_t = 0.0)]
    fault_error_after: f64,
    /// Share of sends, drafts and uploads processed then left without an answer (the
    /// connection is dropped).
    #[arg(long, default_value_t = 0.0)]
    fault_drop_after: f64,
    /// Share of requests answered 429.
    #[arg(long, default_value_t = 0.0)]
    fault_throttle: f64,
    /// Retry-After of injected 429 and 503 answers, in seconds.
    #[arg(long, default_value_t = 1.0)]
    retry_after: f64,
    /// Latency added to each request, up to this many milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Seed of the fault injection.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// A folder whose spreadsheets are the signed-in user's OneDrive files (searchable, and
    /// each opened by its webUrl as a sharing URL).
    #[arg(long, value_name = "DIR")]
    files: Option<std::path::PathBuf>,
    /// A JSON array of Graph contact resources (each may name its "mailbox" and "folder"):
    /// the mailboxes' Outlook contacts.
    #[arg(long, value_name = "FILE")]
    contacts: Option<std::path::PathBuf>,
    /// An address that does not exist: a message to it puts a non-delivery report in the
    /// sender's Inbox (repeat for several).
    #[arg(long, value_name = "ADDRESS")]
    bounce: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let a = Args::parse();
    let files = match &a.files {
        Some(dir) => StoredFile::from_dir(dir, DEFAULT_USER).with_context(|| format!("{}", dir.display()))?,
        None => Vec::new(),
    };
    let contacts = match &a.contacts {
        Some(path) => {
            let json = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
            Contact::from_json(&json, DEFAULT_USER).with_context(|| format!("{}", path.display()))?
        }
        None => Vec::new(),
    };
    let config = Config {
        users: vec![(a.token.clone(), DEFAULT_USER.to_owned())],
        limits: Limits {
            messages_per_window: a.messages_per_window,
            message_window: Duration::from_millis(a.message_window_ms),
            recipients_per_window: a.recipients_per_day,
            concurrency: a.concurrency,
            ..Limits::default()
        },
        faults: Faults {
            seed: a.seed,
            unavailable: a.fault_unavailable,
            error_after: a.fault_error_after,
            drop_after: a.fault_drop_after,
            throttle: a.fault_throttle,
            retry_after: a.retry_after,
            latency_ms: a.latency_ms,
        },
        files,
        contacts,
        bounce: a.bounce.clone(),
        ..Config::default()
    };
    let listener = tokio::net::TcpListener::bind(&a.listen).await?;
    let addr = listener.local_addr()?;
    println!("Graph sandbox: http://{addr}/v1.0 (token \"{}\", mailbox {DEFAULT_USER})", a.token);
    println!("Deliveries:    http://{addr}/_sandbox");
    tokio::select! {
        r = serve(listener, config) => r?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
