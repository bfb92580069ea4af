//! The mailboxes and what each Graph request does to them (no I/O: the server module
//! carries requests here and answers back).

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use base64::Engine as _;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use crate::{Config, Delivery, Hold, Mailboxes, Stats};

/// The property our drafts carry, as Graph spells it back.
const ROW_KEY_NAME: &str = "Name LocalMergeId";
/// Graph's request-size limit.
pub(crate) const MAX_REQUEST: usize = 4 * 1024 * 1024;
/// The largest attachment `POST …/attachments` takes.
const MAX_SMALL_ATTACHMENT: usize = 3 * 1024 * 1024;
/// The largest attachment an upload session takes.
const MAX_ATTACHMENT: u64 = 150 * 1024 * 1024;
/// The largest upload chunk.
const MAX_CHUNK: usize = 4 * 1024 * 1024;

/// The time of a request, read once by the server (the I/O edge) and handed to the world,
/// which reads no clock: monotonic for windows, wall-clock for deferred sends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Now {
    /// For rate windows.
    pub(crate) at: Instant,
    /// Milliseconds since the Unix epoch, for deferred send times and delivery records.
    pub(crate) unix_ms: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Msg {
    id: String,
    folder: String,
    is_draft: bool,
    json: Value,
    attachments: Vec<(String, u64)>,
    deferred: Option<u64>,
    /// PidTagMessageClass: `IPM.Note`, or a report's or an automatic reply's.
    class: String,
}

impl Msg {
    pub(crate) fn is_draft(&self) -> bool {
        self.is_draft
    }

    fn ext(&self, id_suffix: &str) -> Option<String> {
        self.json["singleValueExtendedProperties"].as_array()?.iter().find_map(|p| {
            let id = p["id"].as_str()?;
            id.ends_with(id_suffix).then(|| p["value"].as_str().map(str::to_owned)).flatten()
        })
    }

    fn summary(&self) -> Value {
        json!({
            "id": self.id,
            "isDraft": self.is_draft,
            "subject": self.json["subject"],
            "parentFolderId": self.folder,
            "hasAttachments": !self.attachments.is_empty(),
            "conversationId": self.json["conversationId"],
            "internetMessageId": self.json["internetMessageId"],
        })
    }

    /// As a folder's list shows it: who sent it, when it arrived, and its class when
    /// `$expand` asks for it (Graph spells the property's id back in its short form).
    fn listed(&self, class: bool) -> Value {
        let mut v = self.summary();
        v["from"] = self.json["from"].clone();
        v["receivedDateTime"] = self.json["receivedDateTime"].clone();
        if class {
            v["singleValueExtendedProperties"] = json!([{ "id": "String 0x1a", "value": self.class }]);
        }
        v
    }

    fn received(&self) -> Option<u64> {
        self.json["receivedDateTime"].as_str().and_then(parse_iso)
    }
}

/// What left (or will leave, for deferred messages) at which time, in time order: a rolling
/// budget is kept when no window of its length holds more than the limit. Exchange applies
/// its daily limits when a message leaves the mailbox, so a deferred message counts at its
/// release time.
#[derive(Debug, Default)]
pub(crate) struct Ledger(Vec<(u64, u32)>);

impl Ledger {
    /// Records `n` leaving at `at` (ms since the epoch); whether some window of `window` ms
    /// now holds more than `limit`. Only the windows that contain `at` can have changed.
    pub(crate) fn add(&mut self, at: u64, n: u32, window: u64, limit: u32) -> bool {
        // What left more than a window before the oldest possible check no longer matters.
        let keep_from = at.saturating_sub(window);
        let i = self.0.partition_point(|(t, _)| *t <= at);
        self.0.insert(i, (at, n));
        let old = self.0.partition_point(|(t, _)| t.saturating_add(window) <= keep_from);
        self.0.drain(..old);
        let i = i - old;
        // A window holding `at` that holds the most ends at `at` or at a later entry.
        self.0[i..].iter().take_while(|(t, _)| *t < at.saturating_add(window)).any(|(end, _)| {
            let start = self.0.partition_point(|(t, _)| t.saturating_add(window) <= *end);
            let upto = self.0.partition_point(|(t, _)| t <= end);
            self.0[start..upto].iter().map(|(_, n)| u64::from(*n)).sum::<u64>() > u64::from(limit)
        })
    }
}

#[derive(Debug, Default)]
pub(crate) struct Mailbox {
    pub(crate) messages: Vec<Msg>,
    /// Recipients by the time they leave, deferred messages included.
    pub(crate) released: Ledger,
    pub(crate) folders: Vec<(String, String)>,
    pub(crate) sends: VecDeque<(Instant, u32)>,
    pub(crate) requests: VecDeque<Instant>,
    pub(crate) in_flight: u32,
}

#[derive(Debug)]
pub(crate) struct Session {
    mailbox: String,
    message: String,
    name: String,
    size: u64,
    data: Vec<u8>,
}

/// A Graph request on a mailbox: `rest` is the path after the mailbox (`messages/…`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Req<'a> {
    pub(crate) method: &'a str,
    pub(crate) rest: &'a [String],
    pub(crate) query: &'a HashMap<String, String>,
    pub(crate) prefer_immutable: bool,
    pub(crate) body: &'a [u8],
    pub(crate) base: &'a str,
    /// The request's absolute URL without its query (for next-page links).
    pub(crate) url: &'a str,
}

/// An answer, and what the server may do around it.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) retry_after: Option<f64>,
    pub(crate) location: Option<String>,
    /// The request changed the mailbox (faults after processing apply).
    pub(crate) effect: bool,
    /// A hold that matched: report it and never answer.
    pub(crate) hold: Option<Hold>,
}

impl Reply {
    pub(crate) fn ok(status: u16, body: Value) -> Reply {
        Reply { status, body, retry_after: None, location: None, effect: false, hold: None }
    }

    pub(crate) fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::ok(status, json!({ "error": { "code": code, "message": message } }))
    }

    fn effect(mut self) -> Reply {
        self.effect = true;
        self
    }
}

#[derive(Debug)]
pub(crate) struct World {
    pub(crate) config: Config,
    pub(crate) mailboxes: Mailboxes,
    pub(crate) deliveries: Vec<Delivery>,
    pub(crate) stats: Stats,
    pub(crate) sessions: HashMap<String, Session>,
    pub(crate) rng: fastrand::Rng,
    pub(crate) holds: Vec<Hold>,
    pub(crate) creates: usize,
    pub(crate) sends: usize,
    /// Device codes of `localmerge login` and how often each was polled.
    pub(crate) device_codes: HashMap<String, u32>,
    /// External recipients of the tenant's sends by the time they leave, for its external
    /// recipient limit.
    pub(crate) external: Ledger,
    pub(crate) downloads: HashMap<String, usize>,
    next_id: u64,
}

fn addresses(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(|r| r["emailAddress"]["address"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Parses `2026-11-24T09:30:00Z` (what Graph takes for SystemTime properties).
fn parse_iso(s: &str) -> Option<u64> {
    u64::try_from(s.parse::<jiff::Timestamp>().ok()?.as_millisecond()).ok()
}

/// The two quoted values of our extended-property filter:
/// `singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…')`.
fn parse_property_filter(filter: &str) -> Option<(String, String)> {
    let rest = filter.trim().strip_prefix("singleValueExtendedProperties/Any(")?;
    let (var, rest) = rest.split_once(':')?;
    let var = var.trim();
    let rest = rest.trim().strip_prefix(&format!("{var}/id eq '"))?;
    let (id, rest) = rest.split_once('\'')?;
    let rest = rest.trim().strip_prefix(&format!("and {var}/value eq '"))?;
    let (value, rest) = rest.split_once('\'')?;
    (rest.trim() == ")").then(|| (id.to_owned(), value.to_owned()))
}

impl World {
    pub(crate) fn new(config: Config) -> World {
        let mut mailboxes = Mailboxes::new();
        for address in config.users.iter().map(|u| &u.1).chain(config.shared.iter().map(|s| &s.0)) {
            let mut mb = Mailbox::default();
            for f in ["drafts", "sentitems", "outbox", "deleteditems", "inbox"] {
                mb.folders.push((f.to_owned(), f.to_owned()));
            }
            mailboxes.insert(address.to_lowercase(), mb);
        }
        World {
            rng: fastrand::Rng::with_seed(config.faults.seed),
            config,
            mailboxes,
            deliveries: Vec::new(),
            stats: Stats::default(),
            sessions: HashMap::new(),
            holds: Vec::new(),
            creates: 0,
            sends: 0,
            device_codes: HashMap::new(),
            external: Ledger::default(),
            downloads: HashMap::new(),
            next_id: 0,
        }
    }

    fn id(&mut self) -> String {
        self.next_id += 1;
        // Shaped like Exchange's ids: base64url with '-', '_' and '=' padding.
        format!("AAMkADlm-{:08}_x=", self.next_id)
    }

    pub(crate) fn user(&self, token: &str) -> Option<String> {
        self.config.users.iter().find(|(t, _)| t == token).map(|(_, u)| u.to_lowercase())
    }

    /// The mailbox a path names for this user, or the error.
    pub(crate) fn mailbox(&self, user: &str, named: Option<&str>) -> Result<String, Reply> {
        let Some(named) = named.map(str::to_lowercase) else { return Ok(user.to_owned()) };
        if named == user {
            return Ok(named);
        }
        match self.config.shared.iter().find(|(a, _)| a.to_lowercase() == named) {
            Some((_, allowed)) if allowed.iter().any(|a| a.to_lowercase() == user) => Ok(named),
            Some(_) => Err(Reply::error(
                403,
                "ErrorSendAsDenied",
                "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account.",
            )),
            None => Err(Reply::error(404, "ErrorInvalidUser", "The requested user is invalid.")),
        }
    }

    /// One Graph request on a mailbox.
    pub(crate) fn process(&mut self, mailbox: &str, req: &Req<'_>, now: Now) -> Reply {
        let Req { method, rest, query, prefer_immutable, body, base, url } = *req;
        let segs: Vec<&str> = rest.iter().map(String::as_str).collect();
        if method == "GET"
            && let Some(reply) = crate::contacts::answer(
                &self.config.contacts,
                self.config.max_page,
                mailbox,
                &segs,
                query,
                url,
            )
        {
            return reply;
        }
        match (method, segs.as_slice()) {
            ("GET", []) => Reply::ok(
                200,
                json!({
                    "id": format!("{:x}", mailbox.len()),
                    "displayName": mailbox.split('@').next().unwrap_or(mailbox),
                    "mail": mailbox,
                    "userPrincipalName": mailbox,
                }),
            ),
            ("POST", ["messages"]) => self.create(mailbox, "drafts", prefer_immutable, body, None),
            ("POST", ["messages", id, "createReply"]) => {
                let id = (*id).to_owned();
                self.create(mailbox, "drafts", prefer_immutable, body, Some(&id))
            }
            ("POST", ["mailFolders", folder, "messages"]) => {
                let folder = (*folder).to_owned();
                self.create(mailbox, &folder, prefer_immutable, body, None)
            }
            ("GET", ["messages"]) => self.filter(mailbox, query),
            ("GET", ["messages", id]) => match self.find(mailbox, id) {
                Some(m) if query.get("$select").is_some_and(|s| s.split(',').any(|f| f == "body")) => {
                    Reply::ok(200, json!({ "id": m.id, "body": m.json["body"] }))
                }
                Some(m) => Reply::ok(200, m.summary()),
                None => not_found(),
            },
            ("POST", ["messages", id, "send"]) => {
                let id = (*id).to_owned();
                self.send(mailbox, &id, now)
            }
            ("GET", ["messages", id, "attachments"]) => match self.find(mailbox, id) {
                Some(m) => Reply::ok(
                    200,
                    json!({ "value": m.attachments.iter().map(|(n, s)| json!({
                    "@odata.type": "#microsoft.graph.fileAttachment", "name": n, "size": s
                })).collect::<Vec<_>>() }),
                ),
                None => not_found(),
            },
            ("POST", ["messages", id, "attachments"]) => {
                let id = (*id).to_owned();
                self.attach(mailbox, &id, body)
            }
            ("POST", ["messages", id, "attachments", "createUploadSession"]) => {
                let id = (*id).to_owned();
                self.upload_session(mailbox, &id, body, base)
            }
            ("GET", ["mailFolders"]) => {
                let Some(filter) = query.get("$filter") else {
                    return Reply::ok(200, json!({ "value": self.folders(mailbox, None) }));
                };
                let name = filter
                    .strip_prefix("displayName eq '")
                    .and_then(|r| r.strip_suffix('\''))
                    .map(|n| n.replace("''", "'"));
                match name {
                    Some(n) => Reply::ok(200, json!({ "value": self.folders(mailbox, Some(&n)) })),
                    None => Reply::error(400, "ErrorInvalidUrlQueryFilter", "unsupported $filter"),
                }
            }
            ("POST", ["mailFolders"]) => self.create_folder(mailbox, body),
            ("GET", ["mailFolders", folder, "messages"]) => self.folder_messages(mailbox, folder, query, url),
            _ => Reply::error(400, "BadRequest", "the sandbox does not implement this request"),
        }
    }

    /// A folder's messages: `$filter=receivedDateTime ge …` (the one filter `track` uses),
    /// oldest first, paged by `$top` and `$skip`.
    fn folder_messages(
        &self,
        mailbox: &str,
        folder: &str,
        query: &HashMap<String, String>,
        url: &str,
    ) -> Reply {
        let folder = folder.to_lowercase();
        let Some(mb) = self.mailboxes.get(mailbox) else { return not_found() };
        let since = match query.get("$filter") {
            None => None,
            Some(f) => match f.strip_prefix("receivedDateTime ge ").and_then(parse_iso) {
                Some(t) => Some(t),
                None => return Reply::error(400, "ErrorInvalidUrlQueryFilter", "unsupported $filter"),
            },
        };
        let class = query.get("$expand").is_some_and(|e| e.contains("singleValueExtendedProperties"));
        let mut list: Vec<&Msg> = mb
            .messages
            .iter()
            .filter(|m| m.folder.to_lowercase() == folder)
            .filter(|m| since.is_none_or(|t| m.received().is_some_and(|r| r >= t)))
            .collect();
        list.sort_by_key(|m| m.received());
        let items = list.iter().map(|m| m.listed(class)).collect();
        page(items, query, self.config.max_page, url)
    }

    /// A message arriving in `mailbox`'s Inbox at `at` (ms since the epoch); `reply_to`
    /// names a message it answers (it joins its conversation).
    pub(crate) fn receive(&mut self, mailbox: &str, incoming: &crate::Incoming, at: u64) -> Option<String> {
        let id = self.id();
        let mb = self.mailboxes.get_mut(&mailbox.to_lowercase())?;
        let conversation = match &incoming.reply_to {
            Some(original) => mb.messages.iter().find(|m| m.id == *original)?.json["conversationId"].clone(),
            None => Value::String(format!("AAQkADc-{id}")),
        };
        let json = json!({
            "subject": incoming.subject,
            "from": { "emailAddress": { "address": incoming.from } },
            "body": { "contentType": "html", "content": incoming.body },
            "conversationId": conversation,
            "internetMessageId": format!("<in.{id}@example.org>"),
            "receivedDateTime": iso(at),
        });
        let class = incoming.class.clone().unwrap_or_else(|| "IPM.Note".to_owned());
        mb.messages.push(Msg {
            id: id.clone(),
            folder: "inbox".to_owned(),
            is_draft: false,
            json,
            attachments: Vec::new(),
            deferred: None,
            class,
        });
        Some(id)
    }

    fn folders(&self, mailbox: &str, name: Option<&str>) -> Vec<Value> {
        self.mailboxes.get(mailbox).map_or_else(Vec::new, |mb| {
            mb.folders
                .iter()
                .filter(|(_, n)| name.is_none_or(|x| x == n))
                .map(|(id, n)| json!({ "id": id, "displayName": n }))
                .collect()
        })
    }

    fn create_folder(&mut self, mailbox: &str, body: &[u8]) -> Reply {
        let Some(name) = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v["displayName"].as_str().map(str::to_owned))
        else {
            return Reply::error(400, "ErrorInvalidRequest", "displayName is required");
        };
        let id = self.id();
        let Some(mb) = self.mailboxes.get_mut(mailbox) else { return not_found() };
        if mb.folders.iter().any(|(_, n)| *n == name) {
            return Reply::error(
                409,
                "ErrorFolderExists",
                "A folder with the specified name already exists.",
            );
        }
        mb.folders.push((id.clone(), name.clone()));
        Reply::ok(201, json!({ "id": id, "displayName": name })).effect()
    }

    fn find(&self, mailbox: &str, id: &str) -> Option<&Msg> {
        self.mailboxes.get(mailbox)?.messages.iter().find(|m| m.id == id)
    }

    /// A new draft, or (`reply_to`) `createReply`'s reply draft to a message of the mailbox:
    /// in its conversation, its fields those of the request's `message`.
    fn create(
        &mut self,
        mailbox: &str,
        folder: &str,
        prefer_immutable: bool,
        body: &[u8],
        reply_to: Option<&str>,
    ) -> Reply {
        if !prefer_immutable {
            self.stats.violations.push("a draft created without Prefer: IdType=\"ImmutableId\"".to_owned());
        }
        let json: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return Reply::error(400, "RequestBodyRead", &format!("invalid JSON: {e}")),
        };
        let (json, conversation) = match reply_to {
            None => (json, None),
            Some(original) => {
                let Some(o) = self.find(mailbox, original) else { return not_found() };
                if o.is_draft {
                    return Reply::error(400, "ErrorInvalidOperation", "Cannot reply to a draft.");
                }
                let conversation = o.json["conversationId"].clone();
                let mut m = json.get("message").cloned().unwrap_or_else(|| json!({}));
                m["inReplyTo"] = Value::String(original.to_owned());
                (m, Some(conversation))
            }
        };
        if let Some(headers) = json.get("internetMessageHeaders") {
            let list = headers.as_array().map(Vec::as_slice).unwrap_or_default();
            if list.is_empty() || list.len() > 5 {
                return Reply::error(
                    400,
                    "InvalidInternetMessageHeaderCollection",
                    "Maximum number of headers in one message should be less than or equal to 5.",
                );
            }
            if list.iter().any(|h| !h["name"].as_str().is_some_and(|n| n.to_lowercase().starts_with("x-"))) {
                return Reply::error(
                    400,
                    "InvalidInternetMessageHeader",
                    "The internet message header name should start with 'x-' or 'X-'.",
                );
            }
        }
        let mut attachments = Vec::new();
        if let Some(list) = json.get("attachments").and_then(Value::as_array) {
            for a in list {
                match decode_attachment(a) {
                    Ok(x) => attachments.push(x),
                    Err(r) => return r,
                }
            }
        }
        let deferred = json["singleValueExtendedProperties"].as_array().and_then(|l| {
            l.iter().find(|p| p["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case("SystemTime 0x3FEF")))
        });
        let deferred = match deferred.map(|p| p["value"].as_str().and_then(parse_iso)) {
            None => None,
            Some(Some(t)) => Some(t),
            Some(None) => return Reply::error(400, "ErrorInvalidProperty", "invalid SystemTime value"),
        };
        let id = self.id();
        let mut json = json;
        // Set when the draft is made and kept when it is sent, as Exchange does.
        json["conversationId"] = conversation.unwrap_or_else(|| Value::String(format!("AAQkADc-{id}")));
        json["internetMessageId"] =
            Value::String(format!("<{}.{}@sandbox.prod.outlook.com>", self.next_id, mailbox.len()));
        let Some(mb) = self.mailboxes.get_mut(mailbox) else { return not_found() };
        let folder = match mb.folders.iter().find(|(f, _)| f.eq_ignore_ascii_case(folder)) {
            Some((f, _)) => f.clone(),
            None => return not_found(),
        };
        let msg =
            Msg { id, folder, is_draft: true, json, attachments, deferred, class: "IPM.Note".to_owned() };
        let reply = Reply::ok(201, msg.summary()).effect();
        mb.messages.push(msg);
        self.stats.drafts_created += 1;
        self.creates += 1;
        self.hold_check(Hold::Create(self.creates), reply)
    }

    fn hold_check(&mut self, hold: Hold, mut reply: Reply) -> Reply {
        if let Some(pos) = self.holds.iter().position(|h| *h == hold) {
            self.holds.remove(pos);
            reply.hold = Some(hold);
        }
        reply
    }

    fn filter(&self, mailbox: &str, query: &HashMap<String, String>) -> Reply {
        let Some((id, value)) = query.get("$filter").and_then(|f| parse_property_filter(f)) else {
            return Reply::error(
                400,
                "ErrorInvalidUrlQueryFilter",
                "the sandbox supports only the extended-property filter",
            );
        };
        if !id.ends_with(ROW_KEY_NAME) {
            return Reply::ok(200, json!({ "value": [] }));
        }
        let Some(mb) = self.mailboxes.get(mailbox) else { return not_found() };
        let found: Vec<Value> = mb
            .messages
            .iter()
            .filter(|m| m.ext(ROW_KEY_NAME).as_deref() == Some(value.as_str()))
            .map(Msg::summary)
            .collect();
        Reply::ok(200, json!({ "value": found }))
    }

    fn send(&mut self, mailbox: &str, id: &str, clock: Now) -> Reply {
        let limits = self.config.limits;
        let now = clock.at;
        let Some(mb) = self.mailboxes.get_mut(mailbox) else { return not_found() };
        let Some(pos) = mb.messages.iter().position(|m| m.id == id) else { return not_found() };
        if !mb.messages[pos].is_draft {
            self.stats.violations.push(format!("message {id} was sent again"));
            return Reply::error(400, "ErrorInvalidOperation", "The message has already been sent.");
        }
        let m = &mb.messages[pos];
        let recipients = ["toRecipients", "ccRecipients", "bccRecipients"]
            .iter()
            .map(|k| addresses(&m.json[*k]).len() as u32)
            .sum::<u32>();
        if recipients == 0 {
            return Reply::error(400, "ErrorInvalidRecipients", "At least one recipient isn't valid.");
        }
        let immediate = m.deferred.is_none_or(|t| t <= clock.unix_ms);
        // Exchange's limits bind when a message leaves the mailbox: an immediate send over
        // them is refused; deferred messages wait in the Outbox and are counted when they leave.
        if immediate {
            let keep = limits.message_window.max(limits.recipient_window);
            while mb.sends.front().is_some_and(|(t, _)| now.duration_since(*t) >= keep) {
                mb.sends.pop_front();
            }
            let in_window =
                mb.sends.iter().filter(|(t, _)| now.duration_since(*t) < limits.message_window).count();
            if in_window >= limits.messages_per_window as usize {
                let recent: Vec<Instant> = mb
                    .sends
                    .iter()
                    .filter(|(t, _)| now.duration_since(*t) < limits.message_window)
                    .map(|(t, _)| *t)
                    .collect();
                let oldest = recent[recent.len() - limits.messages_per_window as usize];
                let wait = limits.message_window.saturating_sub(now.duration_since(oldest)).as_secs_f64();
                self.stats.throttled_sends += 1;
                let mut r = Reply::error(429, "ApplicationThrottled", "Message rate limit exceeded.");
                r.retry_after = Some(wait.max(0.001));
                return r;
            }
            let day: u32 = mb
                .sends
                .iter()
                .filter(|(t, _)| now.duration_since(*t) < limits.recipient_window)
                .map(|(_, n)| *n)
                .sum();
            if day + recipients > limits.recipients_per_window {
                self.stats.throttled_sends += 1;
                let mut r = Reply::error(
                    429,
                    "ErrorSubmissionQuotaExceeded",
                    "Cannot submit message: the mailbox's submission quota is exceeded.",
                );
                r.retry_after = Some(limits.recipient_window.as_secs_f64());
                return r;
            }
            mb.sends.push_back((now, recipients));
        }
        // When it leaves: now, or its deferred time. Over the mailbox's budget a deferred
        // message would bounce when released; over the tenant's external budget Exchange
        // accepts the message and then bounces it (550 5.7.233). A campaign must cause neither.
        let leaves = mb.messages[pos].deferred.map_or(clock.unix_ms, |d| d.max(clock.unix_ms));
        let window = u64::try_from(limits.recipient_window.as_millis()).unwrap_or(u64::MAX);
        if mb.released.add(leaves, recipients, window, limits.recipients_per_window) && !immediate {
            self.stats.violations.push(format!(
                "deferred messages leave over the mailbox's recipient limit ({}) within a day",
                limits.recipients_per_window
            ));
        }
        let domains = self.config.domains.clone().unwrap_or_default();
        let all = ["toRecipients", "ccRecipients", "bccRecipients"];
        let external = all
            .iter()
            .flat_map(|k| addresses(&mb.messages[pos].json[*k]))
            .filter(|a| {
                let domain = a.rsplit_once('@').map_or("", |(_, d)| d).to_lowercase();
                !domains.contains(&domain)
            })
            .count() as u32;
        if self.external.add(leaves, external, window, limits.external_per_window) {
            self.stats.violations.push(format!(
                "the tenant's external recipient limit ({}) was exceeded: 550 5.7.233",
                limits.external_per_window
            ));
        }
        let m = &mut mb.messages[pos];
        m.is_draft = false;
        m.folder = if immediate { "sentitems" } else { "outbox" }.to_owned();
        let sent_at = clock.unix_ms;
        let j = &m.json;
        let delivery = Delivery {
            id: m.id.clone(),
            mailbox: mailbox.to_owned(),
            from: j["from"]["emailAddress"]["address"].as_str().map(str::to_owned),
            to: addresses(&j["toRecipients"]),
            cc: addresses(&j["ccRecipients"]),
            bcc: addresses(&j["bccRecipients"]),
            subject: j["subject"].as_str().unwrap_or_default().to_owned(),
            body: j["body"]["content"].as_str().unwrap_or_default().to_owned(),
            campaign: campaign_header(j).map(str::to_owned),
            row_key: m.ext(ROW_KEY_NAME),
            conversation: j["conversationId"].as_str().map(str::to_owned),
            in_reply_to: j["inReplyTo"].as_str().map(str::to_owned),
            sent_at,
            released_at: m.deferred.map_or(sent_at, |d| d.max(sent_at)),
            attachments: m.attachments.clone(),
        };
        let bounced: Vec<String> = [&delivery.to, &delivery.cc, &delivery.bcc]
            .into_iter()
            .flatten()
            .filter(|a| self.config.bounce.iter().any(|b| b.eq_ignore_ascii_case(a)))
            .cloned()
            .collect();
        if !bounced.is_empty() {
            let report = non_delivery_report(&m.id, &m.json, &bounced);
            let at = delivery.released_at + 1_000;
            if let Some(ndr) = self.receive(mailbox, &report, at) {
                self.stats.bounces += 1;
                tracing::debug!(ndr, "non-delivery report");
            }
        }
        self.deliveries.push(delivery);
        self.sends += 1;
        let reply = Reply::ok(202, Value::Null).effect();
        self.hold_check(Hold::Send(self.sends), reply)
    }

    fn draft_mut(&mut self, mailbox: &str, id: &str) -> Result<&mut Msg, Reply> {
        let m = self.mailboxes.get_mut(mailbox).and_then(|mb| mb.messages.iter_mut().find(|m| m.id == id));
        match m {
            Some(m) if m.is_draft => Ok(m),
            Some(_) => Err(Reply::error(400, "ErrorInvalidOperation", "The message is not a draft.")),
            None => Err(not_found()),
        }
    }

    fn attach(&mut self, mailbox: &str, id: &str, body: &[u8]) -> Reply {
        let a: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return Reply::error(400, "RequestBodyRead", &format!("invalid JSON: {e}")),
        };
        let att = match decode_attachment(&a) {
            Ok(x) => x,
            Err(r) => return r,
        };
        match self.draft_mut(mailbox, id) {
            Ok(m) => {
                m.attachments.push(att.clone());
                Reply::ok(
                    201,
                    json!({ "id": format!("att{}", m.attachments.len()), "name": att.0, "size": att.1 }),
                )
                .effect()
            }
            Err(r) => r,
        }
    }

    fn upload_session(&mut self, mailbox: &str, id: &str, body: &[u8], base: &str) -> Reply {
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let item = &v["AttachmentItem"];
        let (Some(name), Some(size)) = (item["name"].as_str(), item["size"].as_u64()) else {
            return Reply::error(400, "ErrorInvalidRequest", "AttachmentItem needs name and size");
        };
        if item["attachmentType"].as_str() != Some("file") {
            return Reply::error(400, "ErrorInvalidRequest", "attachmentType must be file");
        }
        if size > MAX_ATTACHMENT {
            return Reply::error(413, "ErrorAttachmentSizeLimitExceeded", "The attachment is too large.");
        }
        if let Err(r) = self.draft_mut(mailbox, id) {
            return r;
        }
        let token = format!("s{}", self.rng.u64(..));
        self.sessions.insert(
            token.clone(),
            Session {
                mailbox: mailbox.to_owned(),
                message: id.to_owned(),
                name: name.to_owned(),
                size,
                data: Vec::new(),
            },
        );
        Reply::ok(
            201,
            json!({
                "uploadUrl": format!("{base}/upload/{token}"),
                "expirationDateTime": "2099-01-01T00:00:00Z",
                "nextExpectedRanges": ["0-"],
            }),
        )
        .effect()
    }

    /// `PUT {uploadUrl}`.
    pub(crate) fn upload(
        &mut self,
        token: &str,
        authorization: bool,
        range: Option<&str>,
        body: &[u8],
    ) -> Reply {
        if authorization {
            self.stats.violations.push("an Authorization header on an upload URL".to_owned());
            return Reply::error(
                401,
                "InvalidAuthenticationToken",
                "Do not send an Authorization header to the upload URL.",
            );
        }
        let Some(session) = self.sessions.get_mut(token) else { return not_found() };
        let parsed = range.and_then(|r| {
            let r = r.strip_prefix("bytes ")?;
            let (span, total) = r.split_once('/')?;
            let (a, b) = span.split_once('-')?;
            Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?, total.parse::<u64>().ok()?))
        });
        let Some((start, end, total)) = parsed else {
            return Reply::error(
                400,
                "InvalidContentRange",
                "Content-Range is required: bytes start-end/total",
            );
        };
        if body.len() > MAX_CHUNK {
            return Reply::error(413, "RequestEntityTooLarge", "Chunks must be smaller than 4 MB.");
        }
        if total != session.size
            || start != session.data.len() as u64
            || end < start
            || end - start + 1 != body.len() as u64
            || end >= total
        {
            self.stats.violations.push(format!(
                "upload chunk bytes {start}-{end}/{total} out of order or size (expected from {} of {})",
                session.data.len(),
                session.size
            ));
            return Reply::error(416, "InvalidRange", "The range does not match the next expected range.");
        }
        session.data.extend_from_slice(body);
        if (session.data.len() as u64) < session.size {
            return Reply::ok(200, json!({ "nextExpectedRanges": [format!("{}-", session.data.len())] }));
        }
        let Some(session) = self.sessions.remove(token) else { return not_found() };
        let (mailbox, message) = (session.mailbox.clone(), session.message.clone());
        match self.draft_mut(&mailbox, &message) {
            Ok(m) => {
                m.attachments.push((session.name, session.size));
                let mut r = Reply::ok(201, Value::Null).effect();
                r.location = Some(format!("messages/{message}/attachments/att{}", m.attachments.len()));
                r
            }
            Err(r) => r,
        }
    }
}

/// `t` (ms since the epoch) as Graph writes times.
fn iso(t: u64) -> String {
    jiff::Timestamp::from_millisecond(i64::try_from(t).unwrap_or(i64::MAX))
        .map(|ts| ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// The report Exchange puts in the sender's Inbox when recipients do not exist: in the
/// message's conversation, naming the failed recipients and quoting the original headers
/// (HTML-escaped, as Exchange's are).
fn non_delivery_report(id: &str, original: &Value, bounced: &[String]) -> crate::Incoming {
    let campaign = campaign_header(original).unwrap_or_default();
    let message_id = original["internetMessageId"].as_str().unwrap_or_default();
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let body = format!(
        "<p><b>Your message to {} couldn't be delivered.</b></p><p>Remote server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'</p><p>Original message headers:</p><pre>Message-ID: {}\nSubject: {}\nX-LocalMerge-Campaign: {}</pre>",
        escape(&bounced.join(", ")),
        escape(message_id),
        escape(original["subject"].as_str().unwrap_or_default()),
        escape(campaign),
    );
    crate::Incoming {
        from: "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@sandbox.localmerge.test".to_owned(),
        subject: format!("Undeliverable: {}", original["subject"].as_str().unwrap_or_default()),
        body,
        reply_to: Some(id.to_owned()),
        class: Some("REPORT.IPM.Note.NDR".to_owned()),
        mailbox: None,
    }
}

/// Graph's page size when `$top` is not given.
const DEFAULT_PAGE: usize = 10;

/// One page of `items`, with the link to the next one built on `url` (this request's
/// absolute URL without its query): contacts, folders' messages.
pub(crate) fn page(items: Vec<Value>, query: &HashMap<String, String>, max_page: usize, url: &str) -> Reply {
    let top = query
        .get("$top")
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(DEFAULT_PAGE)
        .clamp(1, max_page.max(1));
    let skip = query.get("$skip").and_then(|s| s.parse::<usize>().ok()).unwrap_or(0);
    let end = (skip + top).min(items.len());
    let value: Vec<Value> = items.get(skip..end).map(<[Value]>::to_vec).unwrap_or_default();
    let mut body = json!({ "value": value });
    if end < items.len() {
        // The next link keeps the request's other options, as Graph's do.
        let mut link = format!("{url}?$top={top}&$skip={end}");
        for key in ["$filter", "$orderby", "$select", "$expand"] {
            if let Some(v) = query.get(key) {
                link.push_str(&format!("&{key}={}", utf8_percent_encode(v, NON_ALPHANUMERIC)));
            }
        }
        body["@odata.nextLink"] = Value::String(link);
    }
    Reply::ok(200, body)
}

/// The `X-LocalMerge-Campaign` header a message carries.
fn campaign_header(message: &Value) -> Option<&str> {
    message["internetMessageHeaders"]
        .as_array()?
        .iter()
        .find(|h| h["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case("X-LocalMerge-Campaign")))?["value"]
        .as_str()
}

fn not_found() -> Reply {
    Reply::error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
}

fn decode_attachment(a: &Value) -> Result<(String, u64), Reply> {
    if a["@odata.type"].as_str() != Some("#microsoft.graph.fileAttachment") {
        return Err(Reply::error(400, "ErrorInvalidRequest", "only file attachments"));
    }
    let Some(name) = a["name"].as_str() else {
        return Err(Reply::error(400, "ErrorInvalidRequest", "name is required"));
    };
    let Some(content) = a["contentBytes"].as_str() else {
        return Err(Reply::error(400, "ErrorInvalidRequest", "contentBytes is required"));
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content)
        .map_err(|e| Reply::error(400, "ErrorInvalidRequest", &format!("contentBytes is not base64: {e}")))?;
    if bytes.len() >= MAX_SMALL_ATTACHMENT {
        return Err(Reply::error(
            413,
            "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
            "Use an upload session for attachments of 3 MB or more.",
        ));
    }
    Ok((name.to_owned(), bytes.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_filter_parses() {
        let f = "singleValueExtendedProperties/Any(ep: ep/id eq 'String {x} Name LocalMergeId' and ep/value eq 'c1/7')";
        assert_eq!(
            parse_property_filter(f),
            Some(("String {x} Name LocalMergeId".to_owned(), "c1/7".to_owned()))
        );
        assert_eq!(parse_property_filter("subject eq 'x'"), None);
    }

    #[test]
    fn upload_sessions_check_order_sizes_and_authorization() {
        let mut w = World::new(Config::default());
        let q = HashMap::new();
        let mb = crate::DEFAULT_USER;
        let rest = vec!["messages".to_owned()];
        let r = w.process(
            mb,
            &Req {
                method: "POST",
                rest: &rest,
                query: &q,
                prefer_immutable: true,
                body: br#"{"subject":"s","toRecipients":[{"emailAddress":{"address":"a@b.c"}}]}"#,
                base: "http://sb",
                url: "http://sb/v1.0/me/messages",
            },
            Now::read(),
        );
        assert_eq!(r.status, 201);
        let id = r.body["id"].as_str().unwrap().to_owned();
        let rest = vec![
            "messages".to_owned(),
            id.clone(),
            "attachments".to_owned(),
            "createUploadSession".to_owned(),
        ];
        let body = br#"{"AttachmentItem":{"attachmentType":"file","name":"x.bin","size":10}}"#;
        let r = w.process(
            mb,
            &Req {
                method: "POST",
                rest: &rest,
                query: &q,
                prefer_immutable: true,
                body,
                base: "http://sb",
                url: "http://sb/v1.0/me/messages",
            },
            Now::read(),
        );
        assert_eq!(r.status, 201);
        let token = r.body["uploadUrl"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
        assert_eq!(w.upload(&token, true, Some("bytes 0-4/10"), b"01234").status, 401);
        assert_eq!(w.upload(&token, false, Some("bytes 5-9/10"), b"56789").status, 416, "out of order");
        assert_eq!(w.upload(&token, false, Some("bytes 0-4/11"), b"01234").status, 416, "wrong total");
        assert_eq!(w.upload(&token, false, Some("bytes 0-4/10"), b"01234").status, 200);
        let r = w.upload(&token, false, Some("bytes 5-9/10"), b"56789");
        assert_eq!(r.status, 201);
        assert!(r.location.is_some());
        assert_eq!(w.find(mb, &id).unwrap().attachments, [("x.bin".to_owned(), 10)]);
        assert_eq!(w.stats.violations.len(), 3, "{:?}", w.stats.violations);
    }

    #[test]
    fn iso_times_parse() {
        assert_eq!(parse_iso("1970-01-02T00:00:01Z"), Some(86_401_000));
        assert_eq!(parse_iso("2026-11-24T09:30:00Z"), Some(1_795_512_600_000));
    }

    #[test]
    fn a_rolling_budget_counts_what_leaves_in_any_window_whatever_the_order_it_was_sent() {
        const DAY: u64 = 86_400_000;
        let mut l = Ledger::default();
        // 4 a day: two at noon, two the next morning (within a day of noon), sent in any order.
        assert!(!l.add(8 * 3_600_000 + DAY, 2, DAY, 4));
        assert!(!l.add(12 * 3_600_000, 2, DAY, 4));
        // One more the first evening: the day to the next morning holds 5.
        assert!(l.add(20 * 3_600_000, 1, DAY, 4));
        let mut l = Ledger::default();
        // Spread a day apart, 4 each: never more than 4 in a day.
        for day in (0..5).rev() {
            assert!(!l.add(day * DAY, 4, DAY, 4), "day {day}");
        }
        // A window is half-open: what left exactly a day earlier is out of it.
        assert!(!l.add(5 * DAY, 4, DAY, 4));
        assert!(l.add(5 * DAY + 1, 1, DAY, 4));
    }
}
