//! The driver: performs the engine's requests through the caller's adapters. It does no
//! I/O of its own, so the same loop runs natively (tokio and reqwest) and in the browser
//! (fetch, IndexedDB and browser timers).

use std::future::Future;
use std::pin::Pin;
use std::task::Poll as TaskPoll;

use base64::Engine as _;

use super::{
    BodyPart, Engine, Entry, HttpRequest, HttpResponse, Millis, Notice, OpId, Poll, Stop, Summary,
    TransportError,
};

/// Carries requests to Microsoft Graph (or the sandbox).
#[allow(async_fn_in_trait, reason = "the driver is generic; wasm transports are not Send")]
pub trait Transport {
    /// Performs one request.
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// Keeps the campaign journal durable.
#[allow(async_fn_in_trait, reason = "the driver is generic; wasm stores are not Send")]
pub trait JournalStore {
    /// Appends entries; returns once they are durable (a file synced, a transaction committed).
    async fn append(&mut self, entries: &[Entry]) -> Result<(), String>;
}

/// The caller's clock.
#[allow(async_fn_in_trait, reason = "the driver is generic; browser timers are not Send")]
pub trait Clock {
    /// Now, in milliseconds since the Unix epoch.
    fn now(&self) -> Millis;
    /// Resolves at `t` (or later).
    async fn sleep_until(&self, t: Millis);
}

/// Reads attachment files named in the sheet (relative to the caller's folder).
#[allow(async_fn_in_trait, reason = "the driver is generic; browser file reads are not Send")]
pub trait Files {
    /// The bytes `start..end` of a file (`end` = `u64::MAX` for the whole file).
    async fn read(&self, name: &str, start: u64, end: u64) -> Result<Vec<u8>, String>;
}

/// What the driver reports as it goes.
#[derive(Debug)]
pub enum Event<'a> {
    /// A journal entry was made durable.
    Entry(&'a Entry),
    /// A notice from the engine.
    Notice(&'a Notice),
    /// The driver waits until this time (pace, throttling, retries).
    Waiting(Millis),
}

/// Sees the driver's events (a progress bar, JSON lines, the task pane).
pub trait Observer {
    /// One event, with the engine for its summary.
    fn event(&mut self, engine: &Engine, event: Event<'_>);
}

/// Why the driver stopped without finishing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DriveError {
    /// The journal could not be written: nothing more is sent.
    #[error("the campaign journal could not be written: {0}")]
    Journal(String),
}

/// How a drive ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// Every row ended.
    Done(Summary),
    /// The campaign stopped early; driving it again resumes.
    Stopped(Stop),
}

type InFlight<'a> = Pin<Box<dyn Future<Output = (OpId, Result<HttpResponse, TransportError>)> + 'a>>;

/// Runs the campaign until it ends or stops. Every journal entry is durable before the
/// request it announces is sent; a failing journal stops everything.
pub async fn drive<T, J, C, F, O>(
    engine: &mut Engine,
    transport: &T,
    journal: &mut J,
    clock: &C,
    files: &F,
    observer: &mut O,
) -> Result<Finish, DriveError>
where
    T: Transport,
    J: JournalStore,
    C: Clock,
    F: Files,
    O: Observer,
{
    let mut in_flight: Vec<InFlight<'_>> = Vec::new();
    loop {
        let mut wait = None;
        loop {
            match engine.poll(clock.now()) {
                Poll::Request(req) => {
                    let body = match assemble(files, &req.spec.body).await {
                        Ok(b) => b,
                        Err(reason) => {
                            let mut entries = req.journal.clone();
                            entries.extend(engine.abandon(req.op, reason));
                            record(engine, journal, observer, &entries).await?;
                            continue;
                        }
                    };
                    record(engine, journal, observer, &req.journal).await?;
                    let http = HttpRequest {
                        method: req.spec.method,
                        target: req.spec.target,
                        headers: req.spec.headers,
                        body,
                    };
                    let op = req.op;
                    in_flight.push(Box::pin(async move { (op, transport.execute(http).await) }));
                }
                Poll::Wait(t) => {
                    wait = Some(t);
                    break;
                }
                Poll::Busy => break,
                Poll::Done(s) => return Ok(Finish::Done(s)),
                Poll::Stopped(s) => return Ok(Finish::Stopped(s)),
            }
        }
        notices(engine, observer);
        if let Some(t) = wait {
            observer.event(engine, Event::Waiting(t));
        }
        let mut sleep = wait.map(|t| Box::pin(clock.sleep_until(t)));
        let done = std::future::poll_fn(|cx| {
            for (k, f) in in_flight.iter_mut().enumerate() {
                if let TaskPoll::Ready(r) = f.as_mut().poll(cx) {
                    return TaskPoll::Ready(Some((k, r)));
                }
            }
            match sleep.as_mut() {
                Some(s) => s.as_mut().poll(cx).map(|()| None),
                // Nothing to wait for: the engine is never busy with nothing in flight,
                // so this is only reached with requests in flight.
                None if in_flight.is_empty() => TaskPoll::Ready(None),
                None => TaskPoll::Pending,
            }
        })
        .await;
        drop(sleep);
        if let Some((k, (op, result))) = done {
            drop(in_flight.swap_remove(k));
            let entries = engine.complete(op, result, clock.now());
            record(engine, journal, observer, &entries).await?;
        }
    }
}

async fn record<J: JournalStore, O: Observer>(
    engine: &Engine,
    journal: &mut J,
    observer: &mut O,
    entries: &[Entry],
) -> Result<(), DriveError> {
    if entries.is_empty() {
        return Ok(());
    }
    journal.append(entries).await.map_err(DriveError::Journal)?;
    for e in entries {
        observer.event(engine, Event::Entry(e));
    }
    Ok(())
}

fn notices<O: Observer>(engine: &mut Engine, observer: &mut O) {
    for n in engine.take_notices() {
        observer.event(engine, Event::Notice(&n));
    }
}

async fn assemble<F: Files>(files: &F, parts: &[BodyPart]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    for part in parts {
        match part {
            BodyPart::Bytes(b) => body.extend_from_slice(b),
            BodyPart::Base64File(name) => {
                let bytes =
                    files.read(name, 0, u64::MAX).await.map_err(|e| format!("attachment \"{name}\": {e}"))?;
                body.extend_from_slice(base64::engine::general_purpose::STANDARD.encode(bytes).as_bytes());
            }
            BodyPart::FileRange { name, start, end } => {
                let bytes = files
                    .read(name, *start, *end)
                    .await
                    .map_err(|e| format!("attachment \"{name}\": {e}"))?;
                if bytes.len() as u64 != end - start {
                    return Err(format!("attachment \"{name}\" changed size since it was checked"));
                }
                body.extend_from_slice(&bytes);
            }
        }
    }
    Ok(body)
}
