//! `localmerge`: the native front door to localmerge-core.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use localmerge_core::format::{CellText, Locale};
use localmerge_core::suppress::Suppressed;
use localmerge_core::unsubscribe::Unsubscribe;
use localmerge_core::{ColumnOverrides, Merge, MergeSpec, Planned, Table};
use serde::Serialize;

mod events;
mod login;
mod report;
mod send;
mod source;
mod suppress;
mod track;

/// Mail merge that never lets your spreadsheet leave your computer.
#[derive(Debug, Parser)]
#[command(name = "localmerge", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log what localmerge does to stderr (repeat for more detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print what localmerge sees in a spreadsheet, as JSON.
    Inspect {
        #[command(flatten)]
        source: source::SourceArgs,
        /// The locale values are shown in: en-US, en-GB, fr-FR, de-DE, es-ES, it-IT, nl-NL,
        /// pt-BR (default: the system's, from LC_ALL or LANG; else en-US).
        #[arg(long)]
        locale: Option<String>,
    },
    /// Print every message that would be sent, as JSON Lines; report problem rows on stderr.
    Preview(MergeArgs),
    /// Write a copy of the list with each row's outcome (Status, Sent at, Message id,
    /// Reason) from a campaign's journal, as .xlsx or .csv; the original is never touched.
    Report {
        /// The list the campaign read.
        #[command(flatten)]
        source: source::SourceArgs,
        /// The campaign's journal.
        #[arg(long)]
        journal: PathBuf,
        /// The report to write: REPORT.xlsx or REPORT.csv.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The locale the CSV shows values in (as preview's).
        #[arg(long)]
        locale: Option<String>,
    },
    /// Send every message through Microsoft Graph, exactly once: resumable with the same
    /// journal, whenever the run stops.
    Send(SendArgs),
    /// Follow up a campaign: to the rows that were sent and neither replied, bounced nor
    /// unsubscribed (read from the Inbox first), a reply in each one's conversation, exactly
    /// once like every campaign.
    Followup(FollowupArgs),
    /// Sign in to Microsoft 365 (device code) and print a Graph access token for `send`:
    /// export LOCALMERGE_GRAPH_TOKEN=$(localmerge login --client-id ID)
    Login {
        /// The application (client) id registered in Microsoft Entra ID.
        #[arg(long, env = "LOCALMERGE_CLIENT_ID")]
        client_id: String,
        /// The tenant: common, organizations, or your tenant's id or domain.
        #[arg(long, default_value = "organizations")]
        tenant: String,
        /// The identity platform's OAuth 2.0 endpoint base (default: Microsoft's, for the tenant).
        #[arg(long)]
        authority: Option<String>,
        /// Also ask for the permissions to send from shared mailboxes.
        #[arg(long)]
        shared: bool,
        /// Also ask to read Outlook contacts (DATA `contacts:`; with --shared, shared
        /// mailboxes' contacts too).
        #[arg(long)]
        contacts: bool,
        /// Also ask to read OneDrive and SharePoint files (DATA as a sharing URL).
        #[arg(long)]
        files: bool,
    },
    /// Read what came back from the sending mailbox's Inbox — replies, non-delivery reports,
    /// unsubscribe requests — into the campaign's journal (the report shows each row's), and
    /// add those who unsubscribed to the do-not-contact list. Nothing read leaves this computer.
    Track {
        /// The campaign's journal.
        #[arg(long)]
        journal: PathBuf,
        #[command(flatten)]
        graph: source::GraphArgs,
        #[command(flatten)]
        list: suppress::ListArgs,
    },
    /// Keep the do-not-contact list: addresses and domains no campaign mails (preview and
    /// send leave their rows out, saying which entry matched).
    Suppress {
        #[command(subcommand)]
        action: suppress::Action,
        #[command(flatten)]
        list: suppress::ListArgs,
    },
}

/// What to merge: the data, the templates, the columns and the locale.
#[derive(Debug, Clone, clap::Args)]
struct MergeArgs {
    #[command(flatten)]
    source: source::SourceArgs,
    /// The subject template, e.g. "Hello {{First Name}}".
    #[arg(long)]
    subject: String,
    /// The HTML body template file.
    #[arg(long)]
    body: PathBuf,
    /// The column of To addresses (default: detected).
    #[arg(long)]
    to: Option<String>,
    /// The column of CC addresses (default: a column named CC, if any).
    #[arg(long)]
    cc: Option<String>,
    /// The column of BCC addresses (default: a column named BCC, if any).
    #[arg(long)]
    bcc: Option<String>,
    /// One message per distinct value of this column, listing its rows with
    /// {{#each rows}}…{{/each}} (invoices, statements).
    #[arg(long, value_name = "COLUMN")]
    group_by: Option<String>,
    #[command(flatten)]
    suppress: suppress::ListArgs,
    /// The locale values are shown in: en-US, en-GB, fr-FR, de-DE, es-ES, it-IT, nl-NL,
    /// pt-BR (default: the system's, from LC_ALL or LANG; else en-US).
    #[arg(long)]
    locale: Option<String>,
    /// Send from this shared mailbox (you need Send As on it; Mail.Send.Shared). The
    /// body's {{unsubscribe}} links write to the sending mailbox; preview shows them to
    /// this address, or to you@example.invalid.
    #[arg(long, value_name = "ADDRESS", value_parser = bare_address)]
    from: Option<String>,
}

/// Where preview's `{{unsubscribe}}` links point without `--from` (send asks Graph).
const PREVIEW_MAILBOX: &str = "you@example.invalid";

#[derive(Debug, clap::Args)]
struct SendArgs {
    #[command(flatten)]
    merge: MergeArgs,
    /// The campaign journal: created on the first run; the same file resumes the campaign.
    #[arg(long)]
    journal: PathBuf,
    /// Create every draft in a folder named after the journal, for review in Outlook; run
    /// again without it to send them.
    #[arg(long)]
    drafts_only: bool,
    /// Schedule: Exchange releases the messages from this time on at the paced times
    /// (RFC 3339, or "2026-11-25 09:00" in your time zone); you can close your laptop.
    #[arg(long, value_name = "START")]
    schedule: Option<String>,
    #[command(flatten)]
    run: RunArgs,
}

/// A follow-up: the rows of a first campaign that were sent and neither replied, bounced
/// nor unsubscribed, each answered in its own conversation.
#[derive(Debug, clap::Args)]
struct FollowupArgs {
    #[command(flatten)]
    merge: MergeArgs,
    /// The first campaign's journal (what came back is read into it first).
    #[arg(long)]
    journal: PathBuf,
    /// The follow-up campaign's journal: created on the first run; the same file resumes it,
    /// and adds the rows that have become due since.
    #[arg(long, value_name = "FILE")]
    journal_out: PathBuf,
    /// Only rows whose first message left at least this many days ago.
    #[arg(long, value_name = "DAYS", default_value_t = 3)]
    after_days: u32,
    #[command(flatten)]
    run: RunArgs,
}

/// How a campaign runs: its pace, its budgets, its files.
#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Messages per minute (Exchange Online allows 30).
    #[arg(long, value_name = "PER_MINUTE", default_value_t = 30)]
    rate: u32,
    /// Recipients per rolling 24 hours (Exchange Online allows 10,000).
    #[arg(long, default_value_t = 10_000)]
    daily_recipients: u32,
    /// The tenant's licences, for its external recipient limit per 24 hours (Microsoft's
    /// formula 500 × licences^0.7 + 9,500: 10,000 for one).
    #[arg(long, value_name = "N", default_value_t = 1)]
    tenant_licences: u32,
    /// The tenant's external recipients per 24 hours, when known (overrides the estimate).
    #[arg(long, value_name = "N")]
    tenant_external_limit: Option<u32>,
    /// The folder that files named in the Attachments column are relative to (default: the
    /// spreadsheet's folder).
    #[arg(long, value_name = "DIR")]
    attachments: Option<PathBuf>,
    /// Send the valid rows even if some rows have problems (they are skipped and listed).
    #[arg(long)]
    skip_invalid: bool,
    /// The rate window in milliseconds (tests scale the minute down).
    #[arg(long, hide = true, default_value_t = 60_000)]
    rate_window_ms: u64,
    /// The first retry delay without Retry-After, in milliseconds.
    #[arg(long, hide = true, default_value_t = 1_000)]
    retry_base_ms: u64,
    /// The timeout of one request, in milliseconds.
    #[arg(long, hide = true, default_value_t = 100_000)]
    timeout_ms: u64,
    /// The seed of retry jitter.
    #[arg(long, hide = true)]
    seed: Option<u64>,
}

/// Exit status: all rows fine.
const OK: u8 = 0;
/// Exit status: some rows have problems.
const ROW_PROBLEMS: u8 = 1;
/// Exit status: nothing can be done.
const FATAL: u8 = 2;
/// Exit status: the campaign stopped early (budget, token, service); running the same
/// command again resumes it.
const STOPPED: u8 = 3;

/// The file being read, for the last-resort message if a reader panics.
static CURRENT_FILE: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

fn main() -> ExitCode {
    // core never panics on purpose; an upstream reader still might on a hostile file. Say
    // so in one line, with the file, and exit 2 (no backtrace).
    std::panic::set_hook(Box::new(|info| {
        let file = CURRENT_FILE.lock().map(|f| f.clone()).unwrap_or_default();
        let location = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!(
            "localmerge: error: {file}: the spreadsheet reader failed on this file (internal error{location})"
        );
        std::process::exit(i32::from(FATAL));
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { FATAL } else { OK });
        }
    };
    init_tracing(cli.verbose);
    match run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // One line: the file or template, then the cause.
            eprintln!("localmerge: error: {e:#}");
            ExitCode::from(FATAL)
        }
    }
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    // Standard error carries localmerge's own lines: other crates' logs (calamine's warnings
    // about a workbook, say) only when LOCALMERGE_LOG asks for them, and no colour codes
    // unless it is a terminal.
    let filter = tracing_subscriber::EnvFilter::try_from_env("LOCALMERGE_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("off,localmerge={level},localmerge_core={level}"))
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .init();
}

/// `--from`: one bare address, checked by core's rule (the pane uses the same).
fn bare_address(text: &str) -> Result<String, String> {
    localmerge_core::address::parse_address(text).map_err(|e| format!("\"{}\" {}", e.text, e.reason))
}

fn run(command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Inspect { source, locale } => inspect(&source, pick_locale(locale.as_deref())?),
        Command::Preview(args) => preview(args),
        Command::Report { source, journal, out, locale } => {
            if same_file(&source.data, &out) {
                anyhow::bail!(
                    "{}: the report would replace the list it reports on; choose another --out",
                    out.display()
                );
            }
            let locale = pick_locale(locale.as_deref())?;
            let rows = report::read_journal(&journal)?;
            let (_, table) = source.open(false, &CURRENT_FILE)?;
            report::write(&table, &rows, &out, locale)?;
            let sent = table
                .rows
                .iter()
                .filter(|r| {
                    rows.get(&r.number).is_some_and(|s| s.status == localmerge_core::send::RowStatus::Sent)
                })
                .count();
            eprintln!("{}: {} rows, {sent} sent", out.display(), table.rows.len());
            Ok(OK)
        }
        Command::Send(args) => {
            let campaign = Campaign {
                journal: args.journal.clone(),
                drafts_only: args.drafts_only,
                schedule: args.schedule.clone(),
                replies: None,
            };
            run_campaign(&args.merge, &args.run, campaign)
        }
        Command::Followup(args) => followup(&args),
        Command::Suppress { action, list } => suppress::run(&action, &list),
        Command::Track { journal, graph, list } => match track::run(&journal, &graph, &list) {
            Err(e) if track::transient(&e) => {
                eprintln!("localmerge: stopped: {e:#}; run the same command again later");
                Ok(STOPPED)
            }
            other => other,
        },
        Command::Login { client_id, tenant, authority, shared, contacts, files } => {
            login::run(&login::LoginOptions {
                client_id,
                authority: authority
                    .unwrap_or_else(|| format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0")),
                shared,
                contacts,
                files,
            })
        }
    }
}

/// A campaign's own settings beside the merge and the run's.
struct Campaign {
    journal: PathBuf,
    drafts_only: bool,
    schedule: Option<String>,
    /// A follow-up's rows and the messages they answer; `None`: every row of the merge.
    replies: Option<std::collections::BTreeMap<u32, String>>,
}

/// Sends (or resumes) a campaign: `send`, and `followup` over the rows it answers.
fn run_campaign(m: &MergeArgs, r: &RunArgs, c: Campaign) -> anyhow::Result<u8> {
    let limits = localmerge_core::send::Limits {
        messages_per_window: r.rate.max(1),
        message_window_ms: r.rate_window_ms.max(1),
        recipients_per_window: r.daily_recipients.max(1),
        external_per_window: r
            .tenant_external_limit
            .unwrap_or_else(|| localmerge_core::budget::tenant_external_limit(r.tenant_licences))
            .max(1),
        backoff_base_ms: r.retry_base_ms,
        ..localmerge_core::send::Limits::default()
    };
    let session = send::Session::open(send::SendOptions {
        journal: c.journal,
        graph_url: m.source.graph.graph_url.clone(),
        token_env: m.source.graph.token_env.clone(),
        from: m.from.clone(),
        limits,
        drafts_only: c.drafts_only,
        schedule: c.schedule,
        timeout: std::time::Duration::from_millis(r.timeout_ms.max(1)),
        seed: r.seed,
        replies: c.replies.clone().unwrap_or_default(),
    })?;
    // The mailbox's address is asked of Graph only for a body that may link to it.
    let body = read_template(&m.body)?;
    let mailbox = if mentions_unsubscribe(&body) {
        Some(session.mailbox().context("the address {{unsubscribe}} links to")?)
    } else {
        None
    };
    let (table, merge, mut plan, mut suppressed) = plan(m, &body, mailbox.as_deref(), session.campaign())?;
    if let Some(replies) = &c.replies {
        // A follow-up is about its rows only: the others are neither sent nor reported.
        plan.messages.retain(|msg| replies.contains_key(&msg.row));
        plan.problems.retain(|p| replies.contains_key(&p.row));
        suppressed.retain(|s| replies.contains_key(&s.row));
    }
    let root = match &r.attachments {
        Some(dir) => dir.clone(),
        None => source::default_attachments_dir(&m.source.data),
    };
    let folder = send::AttachmentDir { root };
    merge.check_attachments(&table, &mut plan, |name| folder.size(name));
    let shown = m.source.data.display();
    if !plan.problems.is_empty() {
        let mut err = std::io::stderr().lock();
        for p in &plan.problems {
            writeln!(err, "{shown}: {p}")?;
        }
        if !r.skip_invalid {
            writeln!(
                err,
                "localmerge: nothing sent: {} row(s) have problems; fix them, or pass --skip-invalid to send the other {}",
                plan.problems.len(),
                plan.messages.len()
            )?;
            return Ok(ROW_PROBLEMS);
        }
    }
    let mut skipped: Vec<(u32, String)> = plan
        .problems
        .iter()
        .map(|p| (p.row, p.issues.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")))
        .chain(suppressed.iter().map(|s| (s.row, suppressed_reason(s))))
        .collect();
    skipped.sort_by_key(|(row, _)| *row);
    {
        let mut err = std::io::stderr().lock();
        for s in &suppressed {
            writeln!(err, "{shown}: row {}: skipped: {}", s.row, suppressed_reason(s))?;
        }
    }
    Ok(match session.run(plan.messages, &skipped, folder)? {
        send::Outcome::Done { failed: 0 } => OK,
        send::Outcome::Done { .. } => ROW_PROBLEMS,
        send::Outcome::Stopped => STOPPED,
    })
}

/// `localmerge followup`: what came back is read first, then the rows that are due and
/// unanswered get their follow-up as a reply to their first message.
fn followup(a: &FollowupArgs) -> anyhow::Result<u8> {
    if same_file(&a.journal, &a.journal_out) {
        anyhow::bail!(
            "{}: the follow-up needs a journal of its own (--journal-out)",
            a.journal_out.display()
        );
    }
    // The follow-up leaves from the first campaign's mailbox, and nobody who answered gets
    // one: without the Inbox, nothing is sent.
    let first_sender = match send::read_journal(&a.journal)?.first() {
        Some(localmerge_core::send::Entry::Campaign { sender, .. }) => sender.clone(),
        _ => anyhow::bail!("{}: not a localmerge journal", a.journal.display()),
    };
    if a.merge.from.as_ref().map(|f| f.to_lowercase()) != first_sender {
        anyhow::bail!(
            "{}: a follow-up is sent from the first campaign's mailbox ({})",
            a.journal.display(),
            first_sender
                .as_deref()
                .map_or_else(|| "your own: leave out --from".to_owned(), |s| format!("--from {s}"))
        );
    }
    let checked = match track::check(&a.journal, &a.merge.source.graph, &a.merge.suppress) {
        Ok(c) => c,
        Err(e) if track::transient(&e) => {
            eprintln!("localmerge: stopped before any follow-up: {e:#}; run the same command again later");
            return Ok(STOPPED);
        }
        Err(e) => return Err(e),
    };
    track::say(&a.journal, &checked)?;
    let delay = u64::from(a.after_days) * 86_400_000;
    let due = localmerge_core::send::followups(&checked.entries, send::now_ms(), delay);
    eprintln!(
        "{}: {} to follow up now; {} answered (replied, bounced or unsubscribed); {} not due yet{}",
        a.journal.display(),
        due.rows.len(),
        due.answered,
        due.later,
        due.next.map(|t| format!(" (the next at {})", localmerge_core::send::iso_utc(t))).unwrap_or_default()
    );
    let campaign = Campaign {
        journal: a.journal_out.clone(),
        drafts_only: false,
        schedule: None,
        replies: Some(due.rows),
    };
    run_campaign(&a.merge, &a.run, campaign)
}

/// Writes `bytes` to `path` whole: a file beside it first, then renamed over it, so a crash
/// never leaves half a file (the report, the do-not-contact list).
fn write_whole(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).with_context(|| format!("{}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("{}", path.display()))
}

/// Whether two paths name the same file (an absent `b` is no file yet).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The locale asked for, else the system's (read here, at the edge: core never reads the
/// environment), else en-US.
fn pick_locale(asked: Option<&str>) -> anyhow::Result<&'static Locale> {
    if let Some(tag) = asked {
        let known: Vec<&str> = localmerge_core::format::LOCALES.iter().map(|l| l.tag).collect();
        return Locale::find(tag)
            .ok_or_else(|| anyhow::anyhow!("unknown locale \"{tag}\" (known: {})", known.join(", ")));
    }
    let system =
        ["LC_ALL", "LC_NUMERIC", "LANG"].iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    let tag = system.as_deref().and_then(|v| v.split(['.', '@']).next()).unwrap_or("");
    Ok(Locale::find(tag).unwrap_or_else(Locale::en_us))
}

/// An Excel table of the workbook.
#[derive(Serialize)]
struct TableInfo {
    name: String,
    sheet: String,
    range: String,
}

#[derive(Serialize)]
struct Inspection<'a> {
    file: String,
    format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delimiter: Option<String>,
    sheets: &'a [String],
    sheet: &'a str,
    header_row: u32,
    locale: &'static str,
    columns: Vec<ColumnInfo<'a>>,
    rows: usize,
    to: Option<&'a str>,
    cc: Option<&'a str>,
    bcc: Option<&'a str>,
    warnings: Vec<String>,
    /// The workbook's Excel tables (`--table NAME` reads one).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tables: Vec<TableInfo>,
    /// The workbook's other sheets that cannot be read, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unreadable_sheets: Vec<UnreadableSheet>,
}

#[derive(Serialize)]
struct UnreadableSheet {
    sheet: String,
    reason: String,
}

#[derive(Serialize)]
struct ColumnInfo<'a> {
    name: &'a str,
    column: String,
    /// The type of the column's first value: text, integer, decimal, boolean, datetime,
    /// duration, error, or empty.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The first value as the spreadsheet shows it.
    first_value: Option<String>,
}

fn inspect(args: &source::SourceArgs, locale: &'static Locale) -> anyhow::Result<u8> {
    let data = args.data.as_path();
    let (mut source, table) = args.open(true, &CURRENT_FILE)?;
    let tables = match &mut source {
        source::Data::File(workbook) => workbook
            .tables()
            .with_context(|| format!("{}", data.display()))?
            .into_iter()
            .map(|t| TableInfo { name: t.name, sheet: t.sheet, range: t.range })
            .collect(),
        source::Data::Contacts => Vec::new(),
    };
    let unreadable_sheets = match &mut source {
        source::Data::File(workbook) => workbook
            .unreadable_sheets(&table.sheet)
            .into_iter()
            .map(|(sheet, e)| UnreadableSheet { sheet, reason: e.to_string() })
            .collect(),
        source::Data::Contacts => Vec::new(),
    };
    let contact_sheets = [table.sheet.clone()];
    let (format, sheets, text_details) = match &source {
        source::Data::File(workbook) => {
            (workbook.format().name(), workbook.sheet_names(), workbook.text_details())
        }
        source::Data::Contacts => ("contacts", &contact_sheets[..], None),
    };
    let display = CellText::of_table(&table, locale);
    let first = |i: usize| {
        table.rows.iter().find(|r| r.values.get(i).is_some_and(|v| !v.is_blank())).map(|r| {
            let mut text = String::new();
            display.write(&r.values[i], r.style(i), &mut text);
            (r.values[i].type_name(), text)
        })
    };
    let detected = localmerge_core::recipients::detect(&table, &ColumnOverrides::default());
    let mut warnings: Vec<String> = table.warnings.iter().map(ToString::to_string).collect();
    if let Err(e) = &detected {
        warnings.push(e.to_string());
    }
    let name = |i: Option<usize>| i.map(|i| table.columns[i].name.as_str());
    let cols = detected.ok();
    let (encoding, delimiter) = match text_details {
        Some((e, d)) => (Some(e.to_string()), Some(d.to_string())),
        None => (None, None),
    };
    let report = Inspection {
        file: data.display().to_string(),
        format,
        encoding,
        delimiter,
        sheets,
        sheet: &table.sheet,
        header_row: table.header_row,
        columns: table
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (kind, first_value) = first(i).map_or(("empty", None), |(k, v)| (k, Some(v)));
                ColumnInfo { name: &c.name, column: c.letters(), kind, first_value }
            })
            .collect(),
        locale: locale.tag,
        rows: table.rows.len(),
        to: name(cols.map(|c| c.to)),
        cc: name(cols.and_then(|c| c.cc)),
        bcc: name(cols.and_then(|c| c.bcc)),
        warnings,
        tables,
        unreadable_sheets,
    };
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &report)?;
    writeln!(out)?;
    Ok(OK)
}

fn addrs(list: &[localmerge_core::address::Mailbox]) -> Vec<&str> {
    list.iter().map(|m| m.address.as_str()).collect()
}

#[derive(Serialize)]
struct PreviewLine<'a> {
    row: u32,
    /// A grouped message's rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    rows: Option<&'a [u32]>,
    to: Vec<&'a str>,
    cc: Vec<&'a str>,
    bcc: Vec<&'a str>,
    subject: &'a str,
    html: &'a str,
}

/// Reads the data, and checks and renders every row with the subject and `body` (the text
/// of `a.body`): the table, the merge and its plan, without the messages to a recipient on
/// the do-not-contact list (those are returned beside it, with the entry that matched).
/// `{{unsubscribe}}` links write to `mailbox` (none: a body using them is refused) and name
/// `campaign`.
fn plan(
    a: &MergeArgs,
    body: &str,
    mailbox: Option<&str>,
    campaign: &str,
) -> anyhow::Result<(Table, Merge, localmerge_core::Plan, Vec<Suppressed>)> {
    let (list, table, merge) = prepare(a, body, mailbox, campaign)?;
    let mut plan = merge.plan(&table);
    let suppressed = list.apply(&mut plan);
    Ok((table, merge, plan, suppressed))
}

/// What [`plan`] plans with: the do-not-contact list, the table and the merge.
fn prepare(
    a: &MergeArgs,
    body: &str,
    mailbox: Option<&str>,
    campaign: &str,
) -> anyhow::Result<(localmerge_core::suppress::Suppressions, Table, Merge)> {
    let options = Options::new(a, mailbox, campaign)?;
    let (_, table) = a.source.open(false, &CURRENT_FILE)?;
    let merge = options.compile(a, body, &table)?;
    Ok((options.list, table, merge))
}

/// What a merge is compiled with besides the table and the body: the do-not-contact list,
/// the locale and the `{{unsubscribe}}` links' mailbox.
struct Options {
    list: localmerge_core::suppress::Suppressions,
    locale: &'static Locale,
    unsubscribe: Option<Unsubscribe>,
}

impl Options {
    /// The options of `a`; `{{unsubscribe}}` links write to `mailbox` (none: a body using
    /// them is refused) and name `campaign`.
    fn new(a: &MergeArgs, mailbox: Option<&str>, campaign: &str) -> anyhow::Result<Options> {
        let list = suppress::load(&a.suppress)?;
        let locale = pick_locale(a.locale.as_deref())?;
        let unsubscribe = match mailbox {
            Some(m) => {
                Some(Unsubscribe::new(m, campaign, locale).with_context(|| format!("{}", a.body.display()))?)
            }
            None => None,
        };
        Ok(Options { list, locale, unsubscribe })
    }

    /// The merge of `a`'s subject and `body` for `table` (its header and first rows will do).
    fn compile(&self, a: &MergeArgs, body: &str, table: &Table) -> anyhow::Result<Merge> {
        let body_name = a.body.display().to_string();
        let mut spec = MergeSpec::html(&a.subject, body, &body_name);
        spec.columns = ColumnOverrides { to: a.to.clone(), cc: a.cc.clone(), bcc: a.bcc.clone() };
        spec.locale = self.locale;
        spec.group_by = a.group_by.clone();
        spec.unsubscribe = self.unsubscribe.clone();
        Merge::new(table, &spec).map_err(|e| match e {
            localmerge_core::MergeError::Template(t) => anyhow::anyhow!("{t}"),
            other => anyhow::anyhow!("{}: {other}", a.source.data.display()),
        })
    }
}

/// Why a suppressed message is left out.
fn suppressed_reason(s: &Suppressed) -> String {
    match &s.entry {
        localmerge_core::suppress::Entry::Address(_) => {
            format!("{} is on the do-not-contact list", s.address)
        }
        domain => format!("{} is on the do-not-contact list ({domain})", s.address),
    }
}

/// The body template's text.
fn read_template(path: &Path) -> anyhow::Result<String> {
    let body = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    String::from_utf8(body).map_err(|_| anyhow::anyhow!("{}: the template is not UTF-8 text", path.display()))
}

/// Whether a body template may use `{{unsubscribe}}` (the compiler decides; this only
/// spares a request to Graph for the many bodies that never mention it).
fn mentions_unsubscribe(body: &str) -> bool {
    body.to_lowercase().contains("unsubscribe")
}

/// How many rows `preview` reads before it compiles the merge and writes messages: the
/// rows column detection samples, and enough that a sheet of ordinary length is read whole
/// (and in order, whatever order its file stores its rows in). Past it, rows are handed
/// over as they are read, so a list of any length is previewed in the memory of this many
/// rows and of the addresses seen (which duplicates are found against).
const PREVIEW_HOLD: usize = 10_000;

fn preview(a: MergeArgs) -> anyhow::Result<u8> {
    let mailbox = a.from.as_deref().unwrap_or(PREVIEW_MAILBOX);
    let body = read_template(&a.body)?;
    let options = Options::new(&a, Some(mailbox), "preview")?;
    // Each message is written as soon as it is rendered, through one buffered writer.
    let mut lines = PreviewLines {
        grouped: a.group_by.is_some(),
        list: &options.list,
        out: BufWriter::new(std::io::stdout().lock()),
        written: Ok(()),
        messages: 0,
        problems: Vec::new(),
        suppressed: Vec::new(),
    };
    let (sheet, warnings) = if a.group_by.is_some() {
        // A grouped merge's groups need every row first.
        let (_, table) = a.source.open(false, &CURRENT_FILE)?;
        let merge = options.compile(&a, &body, &table)?;
        merge.plan_each(&table, |planned| {
            let _ = lines.take(planned);
        });
        (table.sheet, table.warnings)
    } else {
        let mut sink = PreviewSink {
            a: &a,
            body: &body,
            options: &options,
            planner: None,
            failed: None,
            lines: &mut lines,
        };
        let read = a.source.stream(&CURRENT_FILE, PREVIEW_HOLD, &mut sink)?;
        if let Some(e) = sink.failed {
            return Err(e);
        }
        read
    };
    lines.written?;
    lines.out.flush()?;
    let PreviewLines { messages, mut problems, suppressed, .. } = lines;
    problems.sort_by_key(|p| p.row);

    let mut err = std::io::stderr().lock();
    let shown = a.source.data.display();
    for p in &problems {
        writeln!(err, "{shown}: {p}")?;
    }
    for s in &suppressed {
        writeln!(err, "{shown}: row {}: skipped: {}", s.row, suppressed_reason(s))?;
    }
    if std::io::stderr().is_terminal() {
        for w in &warnings {
            writeln!(err, "{shown}: warning: {w}")?;
        }
        writeln!(
            err,
            "{messages} message(s) ready, {} row(s) with problems (sheet \"{sheet}\")",
            problems.len()
        )?;
    }
    Ok(if problems.is_empty() { OK } else { ROW_PROBLEMS })
}

/// `preview`'s output: each message a JSON line as soon as it is planned, problems and
/// suppressed rows kept for the end.
struct PreviewLines<'l, W: Write> {
    grouped: bool,
    list: &'l localmerge_core::suppress::Suppressions,
    out: W,
    written: std::io::Result<()>,
    messages: usize,
    problems: Vec<localmerge_core::RowProblem>,
    suppressed: Vec<Suppressed>,
}

impl<W: Write> PreviewLines<'_, W> {
    /// Writes (or keeps) one outcome; `Break` once the output cannot be written.
    fn take(&mut self, planned: Planned) -> std::ops::ControlFlow<()> {
        match planned {
            Planned::Message(m) => match self.list.check(&m) {
                Some(s) => self.suppressed.push(s),
                None if self.written.is_ok() => {
                    self.messages += 1;
                    let line = PreviewLine {
                        row: m.row,
                        rows: self.grouped.then_some(m.rows.as_slice()),
                        to: addrs(&m.to),
                        cc: addrs(&m.cc),
                        bcc: addrs(&m.bcc),
                        subject: &m.subject,
                        html: &m.body,
                    };
                    self.written = serde_json::to_writer(&mut self.out, &line)
                        .map_err(std::io::Error::from)
                        .and_then(|()| self.out.write_all(b"\n"));
                }
                None => {}
            },
            Planned::Problem(p) => self.problems.push(p),
        }
        if self.written.is_ok() {
            std::ops::ControlFlow::Continue(())
        } else {
            std::ops::ControlFlow::Break(())
        }
    }
}

/// `preview`'s rows as the sheet is read: the merge compiled from the head, then each row
/// planned and written away.
struct PreviewSink<'p, 'l, W: Write> {
    a: &'p MergeArgs,
    body: &'p str,
    options: &'p Options,
    planner: Option<localmerge_core::Planner>,
    /// Why the merge could not be compiled.
    failed: Option<anyhow::Error>,
    lines: &'p mut PreviewLines<'l, W>,
}

impl<W: Write> localmerge_core::RowSink for PreviewSink<'_, '_, W> {
    fn head(&mut self, head: Table) -> std::ops::ControlFlow<()> {
        let planner = match self.options.compile(self.a, self.body, &head) {
            Ok(merge) => merge.planner(&head),
            Err(e) => {
                self.failed = Some(e);
                return std::ops::ControlFlow::Break(());
            }
        };
        let Some(mut planner) = planner else {
            self.failed = Some(anyhow::anyhow!("a grouped merge is previewed from the whole table"));
            return std::ops::ControlFlow::Break(());
        };
        for row in &head.rows {
            self.lines.take(planner.row(row))?;
        }
        self.planner = Some(planner);
        std::ops::ControlFlow::Continue(())
    }

    fn row(&mut self, row: localmerge_core::Row) -> std::ops::ControlFlow<()> {
        match &mut self.planner {
            Some(planner) => self.lines.take(planner.row(&row)),
            None => std::ops::ControlFlow::Break(()),
        }
    }
}
