//! A campaign in the browser: core's send engine and driver over the page's adapters —
//! Graph over the browser's `fetch`, the journal in the host's
//! IndexedDB store, timers from `setTimeout`, attachments from files the user picked. Only in
//! the modules built with `send` (the pane fetches one when a list is opened, ahead of the
//! send): the module the pane loads first checks and previews, and never sends.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll as TaskPoll, Waker};

use localmerge_core::send::{
    self, Clock, Engine, Entry, Event, Files, Finish, JournalStore, Millis, Notice, Observer, RowOutcome,
    RowReport, RowStep, StopReason, Summary,
};
use localmerge_graph_client::{Failures, GraphClient, HttpClient, TokenSource};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::js_error;
use crate::options::{Options, settings};

#[wasm_bindgen]
extern "C" {
    /// What the task pane provides: tokens, the journal's store, files and progress.
    #[wasm_bindgen(typescript_type = "CampaignHost")]
    pub type Host;

    #[wasm_bindgen(method, catch)]
    async fn token(this: &Host) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch)]
    async fn append(this: &Host, lines: Vec<String>) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = readFile)]
    async fn read_file(this: &Host, name: &str, start: f64, end: f64) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method)]
    fn event(this: &Host, event: JsValue);

    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: f64) -> JsValue;
}

/// Where a campaign stands (the `CampaignSummary` TypeScript type).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct SummaryDto {
    total: usize,
    sent: usize,
    drafted: usize,
    failed: Vec<FailedDto>,
}

/// A row that will not be sent, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FailedDto {
    row: u32,
    reason: String,
}

impl From<&Summary> for SummaryDto {
    fn from(s: &Summary) -> Self {
        SummaryDto {
            total: s.total,
            sent: s.sent,
            drafted: s.drafted,
            failed: s
                .failed
                .iter()
                .map(|(row, reason)| FailedDto { row: *row, reason: reason.clone() })
                .collect(),
        }
    }
}

/// One progress event (the `CampaignEvent` TypeScript type).
#[derive(Debug, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum EventDto {
    /// A row took a step (its journal entry is durable).
    Row {
        /// The spreadsheet row.
        row: u32,
        /// `drafting`, `drafted`, `sending`, `sent` or `failed`.
        step: &'static str,
        /// Where the campaign stands.
        summary: SummaryDto,
    },
    /// Throttled until `until`.
    Throttled {
        /// 429, 503 or 504.
        status: u16,
        /// Milliseconds since the epoch.
        until: f64,
        /// Where the campaign stands.
        summary: SummaryDto,
    },
    /// The mailbox's real rate was learnt.
    #[serde(rename_all = "camelCase")]
    Pace {
        /// Messages per window.
        per_window: u32,
        /// Where the campaign stands.
        summary: SummaryDto,
    },
    /// A request will be retried.
    Retrying {
        /// Its row.
        row: Option<u32>,
        /// Why.
        reason: String,
        /// Not before.
        at: f64,
        /// Where the campaign stands.
        summary: SummaryDto,
    },
    /// Waiting for the pace.
    Waiting {
        /// Until.
        until: f64,
        /// Where the campaign stands.
        summary: SummaryDto,
    },
}

/// How a run ended (the `CampaignFinish` TypeScript type).
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FinishDto {
    /// Every row ended.
    done: bool,
    /// Paused by the user (resumable).
    paused: bool,
    /// Why it stopped early, if it did (resumable).
    stopped: Option<String>,
    /// The stop's kind (`budget`, `unauthorized`, `forbidden`, `unavailable`, `quota`),
    /// without the text of `stopped`.
    stop_code: Option<&'static str>,
    /// Whether signing in again is what it needs.
    sign_in: bool,
    /// When the daily budget allows more.
    resume_at: Option<f64>,
    /// Where the campaign stands.
    summary: SummaryDto,
}

/// Parses the journal's lines (as the host stored them) into entries.
pub fn parse_history(lines: &[String]) -> Result<Vec<Entry>, String> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            Entry::from_line(l, i + 1).map_err(|e| format!("campaign journal entry {}: {}", i + 1, e.message))
        })
        .collect()
}

/// The finish of a drive, as the pane reads it (pure; tested natively).
pub fn finish_dto(finish: &Finish) -> FinishDto {
    match finish {
        Finish::Done(s) => FinishDto {
            done: true,
            paused: false,
            stopped: None,
            stop_code: None,
            sign_in: false,
            resume_at: None,
            summary: s.into(),
        },
        Finish::Stopped(stop) => FinishDto {
            done: false,
            paused: false,
            stopped: Some(stop.reason.to_string()),
            stop_code: Some(stop.reason.code()),
            sign_in: matches!(stop.reason, StopReason::Unauthorized(_)),
            resume_at: stop.reason.resume_at().map(|t| t as f64),
            summary: (&stop.summary).into(),
        },
    }
}

fn step_name(step: RowStep) -> &'static str {
    match step {
        RowStep::Drafting => "drafting",
        RowStep::Drafted => "drafted",
        RowStep::Sending => "sending",
        RowStep::Sent => "sent",
        RowStep::Failed => "failed",
    }
}

/// One row of the campaign's report (the `CampaignRow` TypeScript type).
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ReportRowDto {
    row: u32,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// Where each row stands, as the pane's report shows it (pure; tested natively).
pub fn report_dto(report: Vec<RowReport>) -> Vec<ReportRowDto> {
    report
        .into_iter()
        .map(|r| {
            let (status, reason) = match r.outcome {
                RowOutcome::Pending => ("pending", None),
                RowOutcome::Drafted => ("drafted", None),
                RowOutcome::Sent => ("sent", None),
                RowOutcome::Failed(reason) => ("failed", Some(reason)),
            };
            ReportRowDto { row: r.row, status, reason }
        })
        .collect()
}

/// The event the pane sees for a driver event (pure; tested natively).
pub fn event_dto(summary: &Summary, event: &Event<'_>) -> Option<EventDto> {
    let summary = SummaryDto::from(summary);
    Some(match event {
        Event::Entry(e) => {
            let (row, step) = e.row_step()?;
            EventDto::Row { row, step: step_name(step), summary }
        }
        Event::Notice(Notice::Throttled { status, until }) => {
            EventDto::Throttled { status: *status, until: *until as f64, summary }
        }
        Event::Notice(Notice::Pace { per_window }) => EventDto::Pace { per_window: *per_window, summary },
        Event::Notice(Notice::Retrying { row, reason, at }) => {
            EventDto::Retrying { row: *row, reason: reason.clone(), at: *at as f64, summary }
        }
        Event::Waiting(t) => EventDto::Waiting { until: *t as f64, summary },
    })
}

/// Resolves once the user pauses.
#[derive(Debug, Default)]
struct PauseSignal {
    paused: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl PauseSignal {
    fn pause(&self) {
        self.paused.set(true);
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }

    async fn wait(&self) {
        std::future::poll_fn(|cx| {
            if self.paused.get() {
                TaskPoll::Ready(())
            } else {
                *self.waker.borrow_mut() = Some(cx.waker().clone());
                TaskPoll::Pending
            }
        })
        .await;
    }
}

struct Inner {
    engine: Engine,
    graph_url: String,
}

/// A campaign the pane can run, pause and resume. Its journal is written through the host
/// before each request; a campaign made again from the same rows and journal resumes
/// without sending any row twice.
#[wasm_bindgen]
pub struct Campaign {
    inner: Rc<RefCell<Option<Inner>>>,
    summary: Rc<RefCell<Summary>>,
    pause: Rc<PauseSignal>,
}

impl std::fmt::Debug for Campaign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Campaign").field("summary", &self.summary.borrow()).finish_non_exhaustive()
    }
}

impl Campaign {
    pub(crate) fn create(
        messages: Vec<localmerge_core::Message>,
        options: &Options,
        history: &[String],
    ) -> Result<Campaign, JsError> {
        let history = parse_history(history).map_err(js_error)?;
        let settings = settings(options, &options.id).map_err(js_error)?;
        let engine = Engine::new(settings, messages, &history).map_err(js_error)?;
        let summary = engine.summary();
        Ok(Campaign {
            inner: Rc::new(RefCell::new(Some(Inner {
                engine,
                graph_url: options.graph_url.trim_end_matches('/').to_owned(),
            }))),
            summary: Rc::new(RefCell::new(summary)),
            pause: Rc::new(PauseSignal::default()),
        })
    }
}

#[wasm_bindgen]
impl Campaign {
    /// Where the campaign stands.
    #[wasm_bindgen(getter, unchecked_return_type = "CampaignSummary")]
    pub fn summary(&self) -> Result<JsValue, JsError> {
        serde_wasm_bindgen::to_value(&SummaryDto::from(&*self.summary.borrow())).map_err(js_error)
    }

    /// Sends (or resumes) until every row ended, the campaign stopped, or [`Campaign::pause`].
    #[wasm_bindgen(unchecked_return_type = "Promise<CampaignFinish>")]
    pub fn run(&self, host: Host) -> js_sys::Promise {
        let inner = self.inner.clone();
        let summary = self.summary.clone();
        let pause = self.pause.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let Some(mut state) = inner.borrow_mut().take() else {
                return Err(js_error("this campaign is already running").into());
            };
            pause.paused.set(false);
            let host = Rc::new(host);
            let transport =
                // The browser does not say whether a failed fetch reached the service.
                GraphClient::new(
                    HttpClient::new(),
                    &state.graph_url,
                    HostToken(host.clone()),
                    Failures::MayHaveDelivered,
                );
            let mut journal = HostJournal(host.clone());
            let mut observer = HostObserver { host: host.clone(), summary: summary.clone() };
            let files = HostFiles(host.clone());
            let result = {
                let mut drive = pin!(send::drive(
                    &mut state.engine,
                    &transport,
                    &mut journal,
                    &BrowserClock,
                    &files,
                    &mut observer,
                ));
                let mut paused = pin!(pause.wait());
                std::future::poll_fn(|cx| {
                    if let TaskPoll::Ready(r) = drive.as_mut().poll(cx) {
                        return TaskPoll::Ready(Some(r));
                    }
                    paused.as_mut().poll(cx).map(|()| None)
                })
                .await
            };
            *summary.borrow_mut() = state.engine.summary();
            let dto = match result {
                // Paused: requests in flight are abandoned like a closed tab; the journal
                // already names them, so the next run reconciles them before going on.
                None => FinishDto {
                    done: false,
                    paused: true,
                    stopped: None,
                    stop_code: None,
                    sign_in: false,
                    resume_at: None,
                    summary: (&state.engine.summary()).into(),
                },
                Some(Ok(finish)) => finish_dto(&finish),
                Some(Err(e)) => {
                    *inner.borrow_mut() = Some(state);
                    return Err(js_error(e).into());
                }
            };
            *inner.borrow_mut() = Some(state);
            serde_wasm_bindgen::to_value(&dto).map_err(|e| js_error(e).into())
        })
    }

    /// Every row of the campaign and where it stands (not while it runs).
    #[wasm_bindgen(unchecked_return_type = "CampaignRow[]")]
    pub fn report(&self) -> Result<JsValue, JsError> {
        let inner = self.inner.borrow();
        let state = inner.as_ref().ok_or_else(|| js_error("the campaign is running"))?;
        serde_wasm_bindgen::to_value(&report_dto(state.engine.report())).map_err(js_error)
    }

    /// Pauses a running campaign: `run` resolves with `paused: true`; `run` again resumes.
    pub fn pause(&self) {
        self.pause.pause();
    }
}

/// The pane's Graph token, asked of the host before each request (MSAL refreshes it).
struct HostToken(Rc<Host>);

impl TokenSource for HostToken {
    async fn token(&self) -> Result<String, String> {
        self.0
            .token()
            .await
            .ok()
            .and_then(|t| t.as_string())
            .ok_or_else(|| "no Microsoft Graph token".to_owned())
    }
}

struct HostJournal(Rc<Host>);

impl JournalStore for HostJournal {
    async fn append(&mut self, entries: &[Entry]) -> Result<(), String> {
        let lines: Vec<String> = entries.iter().map(|e| e.to_line().trim_end().to_owned()).collect();
        self.0.append(lines).await.map(drop).map_err(describe)
    }
}

struct HostFiles(Rc<Host>);

impl Files for HostFiles {
    async fn read(&self, name: &str, start: u64, end: u64) -> Result<Vec<u8>, String> {
        // `u64::MAX` (the whole file) becomes a number JS reads as "to the end".
        let end = if end == u64::MAX { f64::INFINITY } else { end as f64 };
        let value = self.0.read_file(name, start as f64, end).await.map_err(describe)?;
        let bytes: js_sys::Uint8Array = value.dyn_into().map_err(|_| format!("{name}: not bytes"))?;
        Ok(bytes.to_vec())
    }
}

struct HostObserver {
    host: Rc<Host>,
    summary: Rc<RefCell<Summary>>,
}

impl Observer for HostObserver {
    fn event(&mut self, engine: &Engine, event: Event<'_>) {
        let summary = engine.summary();
        if let Some(dto) = event_dto(&summary, &event)
            && let Ok(value) = serde_wasm_bindgen::to_value(&dto)
        {
            self.host.event(value);
        }
        *self.summary.borrow_mut() = summary;
    }
}

struct BrowserClock;

impl Clock for BrowserClock {
    fn now(&self) -> Millis {
        js_sys::Date::now() as Millis
    }

    async fn sleep_until(&self, t: Millis) {
        let ms = t.saturating_sub(self.now()) as f64;
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            set_timeout(&resolve, ms);
        });
        // A timer cannot fail; its promise only resolves.
        drop(wasm_bindgen_futures::JsFuture::from(promise).await);
    }
}

fn describe(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "the task pane's storage failed".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_lines_round_trip_and_bad_lines_are_named() {
        let entries = vec![
            Entry::Campaign { id: "c1".into(), sender: None },
            Entry::Sent { row: 2, at: 1_700_000_000_123, recipients: 1 },
        ];
        let lines: Vec<String> = entries.iter().map(|e| serde_json::to_string(e).unwrap()).collect();
        assert_eq!(parse_history(&lines).unwrap(), entries);
        let err = parse_history(&[lines[0].clone(), "{\"event\":\"nope\"}".into()]).unwrap_err();
        assert!(err.starts_with("campaign journal entry 2:"), "{err}");
    }

    #[test]
    fn stops_tell_the_pane_what_to_do() {
        let summary = Summary { total: 3, sent: 1, drafted: 0, failed: vec![(4, "bad".into())] };
        let stop = |reason| Finish::Stopped(send::Stop { reason, summary: summary.clone() });
        let d = finish_dto(&stop(StopReason::Unauthorized("401".into())));
        assert!(d.sign_in && !d.done && d.stopped.as_deref().unwrap().contains("sign in again"));
        assert_eq!(d.stop_code, Some("unauthorized"));
        let d = finish_dto(&stop(StopReason::BudgetSpent { resume_at: 99 }));
        assert_eq!((d.resume_at, d.sign_in, d.stop_code), (Some(99.0), false, Some("budget")));
        let d = finish_dto(&Finish::Done(summary.clone()));
        assert!(d.done && d.stopped.is_none());
        assert_eq!(d.summary.failed, [FailedDto { row: 4, reason: "bad".into() }]);
        let e = event_dto(&summary, &Event::Entry(&Entry::Sending { row: 3 })).unwrap();
        assert_eq!(e, EventDto::Row { row: 3, step: "sending", summary: (&summary).into() });
        let e = event_dto(&summary, &Event::Entry(&Entry::Failed { row: 4, reason: "bad".into() })).unwrap();
        assert_eq!(e, EventDto::Row { row: 4, step: "failed", summary: (&summary).into() });
        assert_eq!(event_dto(&summary, &Event::Entry(&Entry::Folder { id: "f".into() })), None);
    }

    #[test]
    fn the_report_names_each_row_and_why_it_failed() {
        let report = vec![
            RowReport { row: 2, outcome: RowOutcome::Sent },
            RowReport { row: 3, outcome: RowOutcome::Failed("bad".into()) },
            RowReport { row: 4, outcome: RowOutcome::Pending },
            RowReport { row: 5, outcome: RowOutcome::Drafted },
        ];
        let json = serde_json::to_string(&report_dto(report)).unwrap();
        assert_eq!(
            json,
            r#"[{"row":2,"status":"sent"},{"row":3,"status":"failed","reason":"bad"},{"row":4,"status":"pending"},{"row":5,"status":"drafted"}]"#
        );
    }
}
