//! A local stand-in for Microsoft Graph's mail endpoints: what localmerge's tests and a
//! person trying the product without a Microsoft account send through.
//!
//! It behaves like the service where localmerge depends on it: bearer tokens, `/me`,
//! drafts (`POST …/messages`, immutable ids), the extended-property `$filter`, `GET` of a
//! message, `…/send`, attachments and upload sessions (sizes and chunk order checked),
//! mail folders; the limits of one mailbox (messages per minute, recipients per rolling
//! day, concurrent requests, requests per window) answered with 429 and `Retry-After`;
//! and faults on demand (503/504 before processing, latency, an error or a dropped
//! connection after processing). It records every delivered message, so tests and people
//! (`/_sandbox`, `/_sandbox/deliveries`) see what was delivered, how often and when.

mod contacts;
mod drive;
mod graph;
mod server;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use server::{Sandbox, serve};

/// The sandbox's limits for each mailbox (Exchange Online's and Graph's by default).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Messages sent per `message_window`.
    pub messages_per_window: u32,
    /// The message-rate window.
    pub message_window: Duration,
    /// Recipients per `recipient_window`.
    pub recipients_per_window: u32,
    /// Recipients outside the tenant's domains per `recipient_window`, for the whole tenant
    /// (the tenant external recipient limit; over it, Exchange bounces with 550 5.7.233).
    pub external_per_window: u32,
    /// The recipient window.
    pub recipient_window: Duration,
    /// Requests processed at once.
    pub concurrency: u32,
    /// Requests per `request_window`.
    pub requests_per_window: u32,
    /// The request window.
    pub request_window: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            messages_per_window: 30,
            message_window: Duration::from_secs(60),
            recipients_per_window: 10_000,
            external_per_window: 10_000,
            recipient_window: Duration::from_secs(24 * 3600),
            concurrency: 4,
            requests_per_window: 10_000,
            request_window: Duration::from_secs(600),
        }
    }
}

/// Faults injected at random (seeded).
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// The seed.
    pub seed: u64,
    /// Share of requests answered 503 or 504 before any processing.
    pub unavailable: f64,
    /// Share of requests with an effect (creating, sending, attaching) that are processed
    /// and then answered 500/504.
    pub error_after: f64,
    /// Share of requests with an effect that are processed and then lose their
    /// connection without an answer.
    pub drop_after: f64,
    /// Share of requests answered 429 (a throttling storm), with `storm_retry_after`.
    pub throttle: f64,
    /// The `Retry-After` of 429s and 503s, in seconds (fractions allowed).
    pub retry_after: f64,
    /// Latency added to every request, up to this many milliseconds.
    pub latency_ms: u64,
}

/// What a test can hold: the Nth request of a kind is processed, reported, and never
/// answered (the sender is killed meanwhile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hold {
    /// After the Nth draft is created.
    Create(usize),
    /// After the Nth send is accepted.
    Send(usize),
}

/// The sandbox's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Bearer tokens and the mailbox each signs in as.
    pub users: Vec<(String, String)>,
    /// Shared mailboxes and who may send as them.
    pub shared: Vec<(String, Vec<String>)>,
    /// Limits per mailbox.
    pub limits: Limits,
    /// Faults.
    pub faults: Faults,
    /// Outlook contacts, in the order Graph lists them.
    pub contacts: Vec<Contact>,
    /// The largest page of a list (`$top` is capped at it), to exercise paging.
    pub max_page: usize,
    /// The tenant's verified domains (`GET /organization`); `None`: the request is refused.
    pub domains: Option<Vec<String>>,
    /// Files in users' OneDrives.
    pub files: Vec<StoredFile>,
    /// Addresses that do not exist: a message to one puts a non-delivery report in the
    /// sender's Inbox (in its conversation, quoting its headers), as Exchange does.
    pub bounce: Vec<String>,
}

/// A message arriving in a mailbox's Inbox (a test's reply, an unsubscribe request, an
/// automatic reply).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Incoming {
    /// The mailbox it arrives in (`POST /_sandbox/inbox`; the default user's when `None`).
    #[serde(default)]
    pub mailbox: Option<String>,
    /// The sender's address.
    pub from: String,
    /// The subject.
    pub subject: String,
    /// The HTML body.
    #[serde(default)]
    pub body: String,
    /// The id of the message it answers (a delivered message's): it joins its conversation.
    #[serde(default)]
    pub reply_to: Option<String>,
    /// Its message class (`IPM.Note` when `None`; an out-of-office reply's is
    /// `IPM.Note.Rules.OofTemplate.Microsoft`).
    #[serde(default)]
    pub class: Option<String>,
}

/// A file in a user's OneDrive (its sharing URL is the `webUrl` the sandbox gives it).
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// The OneDrive's owner.
    pub owner: String,
    /// The file's name.
    pub name: String,
    /// Its bytes.
    pub bytes: Arc<[u8]>,
    /// When it last changed (ISO 8601).
    pub modified: String,
}

impl StoredFile {
    /// The URL that opens the file, which is also a sharing URL for it.
    pub fn web_url(&self) -> String {
        drive::web_url(self)
    }

    /// The files of `dir` (not its subfolders nor hidden files) as `owner`'s OneDrive files,
    /// by name.
    pub fn from_dir(dir: &std::path::Path, owner: &str) -> std::io::Result<Vec<StoredFile>> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
            if !path.is_file() || name.starts_with('.') {
                continue;
            }
            files.push(StoredFile {
                owner: owner.to_owned(),
                name: name.to_owned(),
                bytes: std::fs::read(&path)?.into(),
                modified: "2026-11-30T09:00:00Z".to_owned(),
            });
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }
}

impl Contact {
    /// Contacts from a JSON array of Graph `contact` resources, each optionally with
    /// `"mailbox"` (default `mailbox`) and `"folder"` (default: the Contacts folder).
    pub fn from_json(json: &[u8], mailbox: &str) -> Result<Vec<Contact>, serde_json::Error> {
        let list: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_slice(json)?;
        Ok(list
            .into_iter()
            .map(|mut resource| {
                let take = |r: &mut serde_json::Map<String, serde_json::Value>, key: &str| {
                    r.remove(key).and_then(|v| v.as_str().map(str::to_owned))
                };
                Contact {
                    mailbox: take(&mut resource, "mailbox").unwrap_or_else(|| mailbox.to_owned()),
                    folder: take(&mut resource, "folder"),
                    resource: serde_json::Value::Object(resource),
                }
            })
            .collect())
    }
}

/// An Outlook contact a mailbox holds.
#[derive(Debug, Clone)]
pub struct Contact {
    /// The mailbox whose contact it is.
    pub mailbox: String,
    /// The contact folder it is in (`None`: the default Contacts folder).
    pub folder: Option<String>,
    /// Graph's `contact` resource, as `GET /me/contacts` returns it.
    pub resource: serde_json::Value,
}

/// The token a default sandbox accepts.
pub const DEFAULT_TOKEN: &str = "sandbox-token";
/// The mailbox the default token signs in as.
pub const DEFAULT_USER: &str = "me@sandbox.localmerge.test";

impl Default for Config {
    fn default() -> Self {
        Config {
            users: vec![(DEFAULT_TOKEN.to_owned(), DEFAULT_USER.to_owned())],
            shared: vec![("team@sandbox.localmerge.test".to_owned(), vec![DEFAULT_USER.to_owned()])],
            limits: Limits::default(),
            faults: Faults::default(),
            contacts: Vec::new(),
            max_page: 1000,
            domains: Some(vec!["sandbox.localmerge.test".to_owned()]),
            files: Vec::new(),
            bounce: Vec::new(),
        }
    }
}

/// A message the sandbox delivered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    /// The message id.
    pub id: String,
    /// The mailbox it was sent from.
    pub mailbox: String,
    /// The `from` address, when set (sending as a shared mailbox).
    pub from: Option<String>,
    /// To addresses.
    pub to: Vec<String>,
    /// CC addresses.
    pub cc: Vec<String>,
    /// BCC addresses.
    pub bcc: Vec<String>,
    /// The subject.
    pub subject: String,
    /// The body.
    pub body: String,
    /// The `X-LocalMerge-Campaign` header.
    pub campaign: Option<String>,
    /// The `LocalMergeId` extended property.
    pub row_key: Option<String>,
    /// Its conversation.
    pub conversation: Option<String>,
    /// The message it replies to (a `createReply` draft's original).
    pub in_reply_to: Option<String>,
    /// When `/send` was accepted (ms since the Unix epoch).
    pub sent_at: u64,
    /// When it leaves Exchange (the deferred send time, if later).
    pub released_at: u64,
    /// Attachments: name and size.
    pub attachments: Vec<(String, u64)>,
}

/// Counters for tests and the page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Requests received.
    pub requests: u64,
    /// 429 answers for the message rate or the recipient budget.
    pub throttled_sends: u64,
    /// 429 answers for concurrency or the request rate.
    pub throttled_requests: u64,
    /// 429 answers injected as a storm.
    pub storm: u64,
    /// Faults injected (503/504 before, errors or dropped connections after processing).
    pub faults: u64,
    /// The most requests processed at once for one mailbox.
    pub max_concurrency: u32,
    /// Drafts created.
    pub drafts_created: u64,
    /// Files downloaded from a drive.
    pub downloads: u64,
    /// Non-delivery reports put in Inboxes.
    pub bounces: u64,
    /// Protocol mistakes a real mailbox would punish: sending a message that is not a
    /// draft, an `Authorization` header on an upload URL, a missing immutable-id header…
    pub violations: Vec<String>,
}

pub(crate) type Shared = Arc<Mutex<graph::World>>;

/// Locks the world; a poisoned lock (a panicking handler) still gives the data.
pub(crate) fn lock(world: &Shared) -> std::sync::MutexGuard<'_, graph::World> {
    world.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) type Held = std::sync::mpsc::Sender<Hold>;

/// Mailboxes by lower-case address.
pub(crate) type Mailboxes = HashMap<String, graph::Mailbox>;
