//! The one Microsoft Graph transport of both front doors: core's [`Transport`] over HTTP,
//! natively (the command line, reqwest) and in the browser (the add-in, the page's `fetch`).
//! What differs between them is a parameter, not a copy: where the token comes from
//! ([`TokenSource`]), and whether a failed request can be known not to have reached the
//! service ([`Failures`]). Only the last step — bytes out, status, `Retry-After` and bytes
//! back — is the platform's (`native.rs`, `web.rs`).

use std::future::Future;

use localmerge_core::send::{self, HttpRequest, HttpResponse, Target, Transport, TransportError};

mod contacts;
mod drive;
mod inbox;
#[cfg(not(target_arch = "wasm32"))]
mod native;
mod organization;
#[cfg(target_arch = "wasm32")]
mod web;

pub use contacts::{ContactQuery, ContactsError, contacts_table};
pub use drive::DriveError;
pub use inbox::MAX_INBOX;
#[cfg(not(target_arch = "wasm32"))]
use native::Deliver as _;
#[cfg(not(target_arch = "wasm32"))]
pub use native::HttpClient;
#[cfg(target_arch = "wasm32")]
pub use web::HttpClient;

/// Where the bearer token for Graph comes from.
pub trait TokenSource {
    /// The token for the next request (a host may refresh it between requests).
    fn token(&self) -> impl Future<Output = Result<String, String>>;
}

/// A token obtained before the campaign (the command line's).
#[derive(Debug, Clone)]
pub struct FixedToken(pub String);

impl TokenSource for FixedToken {
    async fn token(&self) -> Result<String, String> {
        Ok(self.0.clone())
    }
}

/// What a failed request may have done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failures {
    /// The platform tells a connection that could not be opened (nothing was delivered)
    /// from one that failed later (native reqwest).
    Distinguished,
    /// The platform does not say (a browser's `fetch`): every failure may have reached the
    /// service, so the engine reconciles instead of repeating.
    MayHaveDelivered,
}

/// A request as the platform sends it.
struct Outgoing<'a> {
    method: &'static str,
    url: &'a str,
    /// `Authorization: Bearer …`, for Graph itself (an upload URL carries its own).
    bearer: Option<String>,
    headers: &'a [(String, String)],
    body: Option<Vec<u8>>,
}

/// An answer as the platform received it.
struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: Vec<u8>,
}

/// A platform failure: whether the request surely never left, and why.
struct Failed {
    not_sent: bool,
    message: String,
}

/// Graph at `base` (`https://graph.microsoft.com/v1.0`, or the sandbox).
#[derive(Debug, Clone)]
pub struct GraphClient<T> {
    http: HttpClient,
    base: String,
    token: T,
    failures: Failures,
}

impl<T: TokenSource> GraphClient<T> {
    /// A transport over `http`.
    pub fn new(http: HttpClient, base: &str, token: T, failures: Failures) -> Self {
        GraphClient { http, base: base.trim_end_matches('/').to_owned(), token, failures }
    }
}

impl<T: TokenSource> Transport for GraphClient<T> {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = request.method.as_str();
        let (url, bearer) = match &request.target {
            Target::Graph(path) => {
                let token = self
                    .token
                    .token()
                    .await
                    .map_err(|message| TransportError { maybe_delivered: false, message })?;
                (format!("{}{path}", self.base), Some(token))
            }
            // An upload URL carries its own authorization: no token goes there.
            Target::Upload(url) => (url.clone(), None),
        };
        let has_body =
            !request.body.is_empty() || matches!(request.method, send::Method::Post | send::Method::Put);
        let outgoing = Outgoing {
            method,
            url: &url,
            bearer,
            headers: &request.headers,
            body: has_body.then_some(request.body),
        };
        let answer = self.http.send(outgoing).await.map_err(|f| TransportError {
            maybe_delivered: match self.failures {
                Failures::MayHaveDelivered => true,
                Failures::Distinguished => !f.not_sent,
            },
            message: f.message,
        })?;
        Ok(HttpResponse {
            status: answer.status,
            retry_after_ms: answer.retry_after.as_deref().and_then(send::parse_retry_after),
            body: answer.body,
        })
    }
}

/// An error with its causes, one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(c) = source {
        s.push_str(": ");
        s.push_str(&c.to_string());
        source = c.source();
    }
    s
}

/// Graph's `error.message` in an error answer's body (empty when there is none).
pub(crate) fn graph_message(body: &[u8]) -> String {
    serde_json::from_slice::<localmerge_core::graph::ErrorBody>(body)
        .map(|b| b.error.message)
        .unwrap_or_default()
}

/// What to do about a refused read, by status: `forbidden` names the permission it needs,
/// `not_found` what may be missing.
pub(crate) fn hint(status: u16, forbidden: &'static str, not_found: &'static str) -> &'static str {
    match status {
        401 => " — sign in again",
        403 => forbidden,
        404 => not_found,
        429 | 503 | 504 => " — Graph is throttling; try again in a minute",
        _ => "",
    }
}

/// Why a Graph list could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    /// Graph could not be reached.
    #[error("Microsoft Graph could not be reached: {0}")]
    Unreachable(String),
    /// Graph answered with an error.
    #[error("Microsoft Graph refused to list {what} ({status}): {message}{hint}")]
    Refused {
        /// What was listed.
        what: &'static str,
        /// The status.
        status: u16,
        /// Graph's message.
        message: String,
        /// What to do about it.
        hint: &'static str,
    },
    /// An answer was not a page of the list.
    #[error("Microsoft Graph's answer was not a list: {0}")]
    Malformed(String),
    /// A next page pointed somewhere other than Graph.
    #[error("Microsoft Graph's next page is not on {0}; not followed")]
    ForeignLink(String),
    /// More items than localmerge reads.
    #[error("more than {limit} of {what}: {advice}")]
    TooMany {
        /// What was listed.
        what: &'static str,
        /// The most read.
        limit: usize,
        /// What to do.
        advice: &'static str,
    },
}

impl ListError {
    /// Whether trying again later may succeed (Graph unreachable, throttling, or busy).
    pub fn is_transient(&self) -> bool {
        matches!(self, ListError::Unreachable(_) | ListError::Refused { status: 429 | 500..=599, .. })
    }
}

/// What a list is, for its errors.
pub(crate) struct Hints {
    pub(crate) what: &'static str,
    pub(crate) forbidden: &'static str,
    pub(crate) not_found: &'static str,
    pub(crate) too_many: &'static str,
}

impl<T: TokenSource> GraphClient<T> {
    /// Every item of a Graph list, from `first` (a path under the base) on, each handed to
    /// `keep`; at most `limit` items. A next page is followed only on the same Graph: what
    /// a list holds never goes elsewhere.
    pub(crate) async fn all_pages<I: serde::de::DeserializeOwned>(
        &self,
        first: String,
        hints: &Hints,
        limit: usize,
        mut keep: impl FnMut(I),
    ) -> Result<(), ListError> {
        let mut next = Some(first);
        let mut seen = 0usize;
        while let Some(path) = next.take() {
            let request = HttpRequest {
                method: send::Method::Get,
                target: Target::Graph(path),
                headers: Vec::new(),
                body: Vec::new(),
            };
            let answer = self.execute(request).await.map_err(|e| ListError::Unreachable(e.message))?;
            if answer.status != 200 {
                let message = graph_message(&answer.body);
                let hint = hint(answer.status, hints.forbidden, hints.not_found);
                return Err(ListError::Refused { what: hints.what, status: answer.status, message, hint });
            }
            let page: localmerge_core::graph::Page<I> =
                serde_json::from_slice(&answer.body).map_err(|e| ListError::Malformed(e.to_string()))?;
            for item in page.value {
                seen += 1;
                if seen > limit {
                    return Err(ListError::TooMany { what: hints.what, limit, advice: hints.too_many });
                }
                keep(item);
            }
            next = match page.next_link {
                None => None,
                Some(link) => Some(
                    link.strip_prefix(self.base.as_str())
                        .filter(|rest| rest.starts_with('/'))
                        .map(str::to_owned)
                        .ok_or_else(|| ListError::ForeignLink(self.base.clone()))?,
                ),
            };
        }
        Ok(())
    }
}
