//! `localmerge send`: the native adapters of the send engine (reqwest, a journal file,
//! tokio's clock, the attachments folder) and its terminal and JSON output.

use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::events::{self, SummaryLine};
use anyhow::{Context as _, bail};
use localmerge_core::budget;
use localmerge_core::send::{
    CampaignId, CampaignSettings, Clock, Engine, Entry, Event, Files, Finish, JournalStore, Limits, Millis,
    Mode, Notice, Observer, Sender, drive, iso_utc, read_lines,
};
use localmerge_graph_client::{FixedToken, GraphClient};

/// What `send` needs beyond the merge itself.
#[derive(Debug)]
pub struct SendOptions {
    pub journal: PathBuf,
    pub graph_url: String,
    pub token_env: String,
    pub from: Option<String>,
    pub limits: Limits,
    pub drafts_only: bool,
    pub schedule: Option<String>,
    pub timeout: Duration,
    pub seed: Option<u64>,
    /// A follow-up's rows and the messages they answer (empty: a campaign of new messages).
    pub replies: std::collections::BTreeMap<u32, String>,
}

pub fn now_ms() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Reads a journal: JSON Lines of entries. A torn last line (the process died while
/// writing it, before the request it announced was sent) is dropped and cut off the file.
pub fn read_journal(path: &Path) -> anyhow::Result<Vec<Entry>> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("{}", path.display())),
    };
    let journal = read_lines(&text).with_context(|| format!("{}", path.display()))?;
    if text.len() > journal.complete_len {
        let f = OpenOptions::new().write(true).open(path).with_context(|| format!("{}", path.display()))?;
        f.set_len(journal.complete_len as u64).with_context(|| format!("{}", path.display()))?;
        f.sync_all().with_context(|| format!("{}", path.display()))?;
    }
    Ok(journal.entries)
}

/// The journal file, appended and synced before each request it announces.
struct FileJournal {
    file: File,
}

impl JournalStore for FileJournal {
    async fn append(&mut self, entries: &[Entry]) -> Result<(), String> {
        write_entries(&mut self.file, entries).map_err(|e| e.to_string())
    }
}

/// Appends entries to a journal and syncs them to disk.
fn write_entries(file: &mut File, entries: &[Entry]) -> std::io::Result<()> {
    let text: String = entries.iter().map(Entry::to_line).collect();
    file.write_all(text.as_bytes())?;
    file.sync_data()
}

/// Appends entries to the journal at `path` (what `track` found).
pub fn append_journal(path: &Path, entries: &[Entry]) -> anyhow::Result<()> {
    let mut file =
        OpenOptions::new().append(true).open(path).with_context(|| format!("{}", path.display()))?;
    write_entries(&mut file, entries).with_context(|| format!("{}", path.display()))
}

struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Millis {
        now_ms()
    }

    async fn sleep_until(&self, t: Millis) {
        let now = now_ms();
        if t > now {
            tokio::time::sleep(Duration::from_millis(t - now)).await;
        }
    }
}

/// Attachments, named relative to one folder.
pub struct AttachmentDir {
    pub root: PathBuf,
}

impl AttachmentDir {
    fn path(&self, name: &str) -> Result<PathBuf, String> {
        let rel = Path::new(name);
        if rel.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
            return Err(format!("must be a path inside the attachments folder {}", self.root.display()));
        }
        Ok(self.root.join(rel))
    }

    /// A file's size, or why it cannot be attached.
    pub fn size(&self, name: &str) -> Result<u64, String> {
        let path = self.path(name)?;
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(m.len()),
            Ok(_) => Err(format!("{} is not a file", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(format!("not found: {}", path.display()))
            }
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }
}

impl Files for AttachmentDir {
    async fn read(&self, name: &str, start: u64, end: u64) -> Result<Vec<u8>, String> {
        let path = self.path(name)?;
        let mut f = File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        f.seek(SeekFrom::Start(start)).map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        f.take(end.saturating_sub(start))
            .read_to_end(&mut buf)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(buf)
    }
}

/// The terminal's progress bar: rows ended, the pace and an ETA at that pace.
struct Bar {
    bar: indicatif::ProgressBar,
    ended: u64,
    window_ms: u64,
    per_window: u32,
    scheduled: bool,
    status: String,
}

impl Bar {
    fn refresh(&self) {
        let remaining = self.bar.length().unwrap_or(0).saturating_sub(self.ended);
        let pace = if self.scheduled {
            "scheduled: Exchange releases them at their times".to_owned()
        } else {
            let eta = remaining * self.window_ms / u64::from(self.per_window.max(1)) / 1000;
            let per_minute = f64::from(self.per_window) * 60_000.0 / self.window_ms as f64;
            format!("{per_minute:.0}/min · ETA {}:{:02}:{:02}", eta / 3600, eta / 60 % 60, eta % 60)
        };
        if self.status.is_empty() {
            self.bar.set_message(pace);
        } else {
            self.bar.set_message(format!("{pace} · {}", self.status));
        }
    }
}

/// Progress on a terminal, or one JSON line per event.
enum Output {
    Bar(Bar),
    Json,
}

impl Observer for Output {
    fn event(&mut self, _engine: &Engine, event: Event<'_>) {
        match self {
            Output::Json => {
                if let Some(line) = events::line(&event, now_ms())
                    && let Ok(line) = serde_json::to_string(&line)
                {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{line}");
                    let _ = out.flush();
                }
            }
            Output::Bar(b) => {
                match event {
                    Event::Entry(Entry::Sent { .. } | Entry::Failed { .. }) => {
                        b.ended += 1;
                        b.bar.set_position(b.ended);
                        b.status.clear();
                    }
                    Event::Notice(Notice::Throttled { status, until }) => {
                        b.status = format!("throttled ({status}) until {}", iso_utc(*until));
                    }
                    Event::Notice(Notice::Retrying { reason, .. }) => {
                        b.status = format!("retrying: {reason}")
                    }
                    Event::Notice(Notice::Pace { per_window }) => {
                        b.per_window = *per_window;
                        b.status = "the mailbox's limit is lower: pacing to it".to_owned();
                    }
                    _ => return,
                }
                b.refresh();
            }
        }
    }
}

/// How a run of `send` ended; `main` decides the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every row ended; this many failed.
    Done { failed: usize },
    /// The campaign stopped early; the same command resumes it.
    Stopped,
}

/// A campaign about to run: its journal read, its id known (the journal's, or a new one),
/// the Graph client ready. Opened before the messages are rendered, which may name the
/// campaign (`{{unsubscribe}}`).
pub struct Session {
    opts: SendOptions,
    history: Vec<Entry>,
    id: String,
    transport: GraphClient<FixedToken>,
    runtime: tokio::runtime::Runtime,
}

impl Session {
    /// Reads the journal and the token, and makes the client; nothing is sent yet.
    pub fn open(opts: SendOptions) -> anyhow::Result<Session> {
        let journal_path = &opts.journal;
        let history = read_journal(journal_path)?;
        let id = match history.first() {
            Some(Entry::Campaign { id, .. }) => id.clone(),
            Some(_) => bail!("{}: not a localmerge journal", journal_path.display()),
            None => uuid::Uuid::new_v4().simple().to_string(),
        };
        let transport = crate::source::graph_client(&opts.graph_url, &opts.token_env, opts.timeout)?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        Ok(Session { opts, history, id, transport, runtime })
    }

    /// The campaign's id.
    pub fn campaign(&self) -> &str {
        &self.id
    }

    /// The sending mailbox's address: the shared mailbox's, else the signed-in user's (`GET /me`).
    pub fn mailbox(&self) -> anyhow::Result<String> {
        match &self.opts.from {
            Some(from) => Ok(from.clone()),
            None => self.runtime.block_on(self.transport.me_address()).map_err(|e| anyhow::anyhow!("{e}")),
        }
    }

    /// Runs (or resumes) the campaign.
    pub fn run(
        self,
        messages: Vec<localmerge_core::Message>,
        skipped: &[(u32, String)],
        files: AttachmentDir,
    ) -> anyhow::Result<Outcome> {
        let Session { opts, history, id, transport, runtime } = self;
        let journal_path = &opts.journal;
        let schedule = match &opts.schedule {
            None => None,
            Some(text) => {
                let t = parse_time(text)?;
                if history.is_empty() && t + 60_000 < now_ms() {
                    bail!("--schedule {text}: that time has passed");
                }
                Some(t)
            }
        };
        let stem = journal_path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        // The tenant's domains tell colleagues from external recipients; without them every
        // recipient counts against the tenant's external budget.
        let domains = runtime.block_on(transport.tenant_domains()).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the tenant's domains are unknown: every recipient counts as external");
            Vec::new()
        });
        let forecast = budget::forecast(&messages, &opts.limits, &domains, schedule.unwrap_or_else(now_ms));
        let campaign = CampaignSettings {
            id: CampaignId::parse(&id).map_err(|e| anyhow::anyhow!("{}: {e}", journal_path.display()))?,
            sender: opts.from.clone().map_or(Sender::Me, Sender::Shared),
            mode: if opts.drafts_only { Mode::DraftsOnly } else { Mode::Send },
            schedule,
            limits: opts.limits,
            internal_domains: domains,
            skipped: skipped.to_vec(),
            replies: opts.replies.clone(),
            folder_name: format!("localmerge {stem}"),
            seed: opts.seed.unwrap_or_else(|| now_ms() ^ u64::from(std::process::id()).rotate_left(32)),
        };
        let mut engine = Engine::new(campaign, messages, &history)
            .map_err(|e| anyhow::anyhow!("{}: {e}", journal_path.display()))?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(journal_path)
            .with_context(|| format!("{}", journal_path.display()))?;
        let mut journal = FileJournal { file };
        let start = engine.summary();
        let plan = events::PlanFields::new(&forecast);
        let mut output = if std::io::stdout().is_terminal() {
            println!(
                "{} messages to {} recipients ({} outside the organization); budgets per 24 hours: {} for the mailbox, {} outside the tenant; {}, the last message about {}",
                plan.messages,
                plan.recipients,
                plan.external,
                plan.mailbox_budget,
                plan.tenant_external_budget,
                if plan.days == 1 { "one day".to_owned() } else { format!("spread over {} days", plan.days) },
                plan.finish_at
            );
            let bar = indicatif::ProgressBar::new(start.total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} sent · {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            let b = Bar {
                ended: (start.sent + start.failed.len()) as u64,
                bar,
                window_ms: opts.limits.message_window_ms,
                per_window: opts.limits.messages_per_window,
                scheduled: opts.schedule.is_some(),
                status: String::new(),
            };
            b.bar.set_position(b.ended);
            b.refresh();
            Output::Bar(b)
        } else {
            println!("{}", serde_json::to_string(&events::Line::Campaign { id: &id, plan: Some(plan) })?);
            Output::Json
        };
        let finish = runtime.block_on(drive(
            &mut engine,
            &transport,
            &mut journal,
            &TokioClock,
            &files,
            &mut output,
        ))?;
        if let Output::Bar(b) = &output {
            b.bar.finish_and_clear();
        }
        let (summary, stop) = match &finish {
            Finish::Done(s) => (s, None),
            Finish::Stopped(s) => (&s.summary, Some(&s.reason)),
        };
        let line = SummaryLine::new(&id, summary, skipped, stop);
        if matches!(output, Output::Json) {
            println!("{}", serde_json::to_string(&events::Line::Summary(line))?);
        } else {
            print_summary(&line, opts.drafts_only);
        }
        Ok(match stop {
            Some(_) => Outcome::Stopped,
            None => Outcome::Done { failed: summary.failed.len() },
        })
    }
}

fn print_summary(s: &SummaryLine<'_>, drafts_only: bool) {
    if drafts_only {
        println!("{} of {} drafts ready for review in Outlook (campaign {})", s.drafted, s.total, s.campaign);
    } else {
        println!("{} of {} messages sent (campaign {})", s.sent, s.total, s.campaign);
    }
    for f in &s.failed {
        println!("  row {}: failed: {}", f.row, f.reason);
    }
    for f in &s.skipped {
        println!("  row {}: skipped: {}", f.row, f.reason);
    }
    if let Some(why) = &s.stopped {
        println!("Stopped: {why}.");
        if let Some(at) = &s.resume_at {
            println!("It can resume at {at}: run the same command again then.");
        } else {
            println!("Run the same command again to resume; nothing is sent twice.");
        }
    }
}

/// `--schedule`: an RFC 3339 time (`2026-11-25T09:00:00+01:00`), or a date and time in the
/// system's time zone (`2026-11-25 09:00`).
pub fn parse_time(text: &str) -> anyhow::Result<Millis> {
    let ts = match text.parse::<jiff::Timestamp>() {
        Ok(ts) => ts,
        Err(_) => {
            let civil: jiff::civil::DateTime = text.parse().map_err(|e| {
                anyhow::anyhow!("--schedule {text}: not a date and time such as 2026-11-25T09:00 ({e})")
            })?;
            civil
                .to_zoned(jiff::tz::TimeZone::system())
                .map_err(|e| anyhow::anyhow!("--schedule {text}: {e}"))?
                .timestamp()
        }
    };
    u64::try_from(ts.as_millisecond()).map_err(|_| anyhow::anyhow!("--schedule {text}: before 1970"))
}
