//! The one Microsoft Graph transport of both front doors: core's [`Transport`] over reqwest,
//! natively (the command line) and in the browser (the add-in, where reqwest is `fetch`).
//! What differs between them is a parameter, not a copy: where the token comes from
//! ([`TokenSource`]), and whether a failed request can be known not to have reached the
//! service ([`Failures`]).

use std::future::Future;

use localmerge_core::send::{self, HttpRequest, HttpResponse, Target, Transport, TransportError};

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

/// Graph at `base` (`https://graph.microsoft.com/v1.0`, or the sandbox).
#[derive(Debug, Clone)]
pub struct GraphClient<T> {
    client: reqwest::Client,
    base: String,
    token: T,
    failures: Failures,
}

impl<T: TokenSource> GraphClient<T> {
    /// A transport over `client`.
    pub fn new(client: reqwest::Client, base: &str, token: T, failures: Failures) -> Self {
        GraphClient { client, base: base.trim_end_matches('/').to_owned(), token, failures }
    }

    fn failed(&self, e: &reqwest::Error, before_sending: bool) -> TransportError {
        let maybe_delivered = match self.failures {
            Failures::MayHaveDelivered => true,
            Failures::Distinguished => !(before_sending && not_sent(e)),
        };
        TransportError { maybe_delivered, message: error_chain(e) }
    }
}

impl<T: TokenSource> Transport for GraphClient<T> {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = match request.method {
            send::Method::Get => reqwest::Method::GET,
            send::Method::Post => reqwest::Method::POST,
            send::Method::Put => reqwest::Method::PUT,
        };
        let mut builder = match &request.target {
            Target::Graph(path) => {
                let token = self
                    .token
                    .token()
                    .await
                    .map_err(|message| TransportError { maybe_delivered: false, message })?;
                self.client.request(method, format!("{}{path}", self.base)).bearer_auth(token)
            }
            // An upload URL carries its own authorization: no token goes there.
            Target::Upload(url) => self.client.request(method, url),
        };
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if !request.body.is_empty() || matches!(request.method, send::Method::Post | send::Method::Put) {
            builder = builder.body(request.body);
        }
        let response = builder.send().await.map_err(|e| self.failed(&e, true))?;
        let status = response.status().as_u16();
        let retry_after_ms = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(send::parse_retry_after);
        let body = response.bytes().await.map_err(|e| self.failed(&e, false))?.to_vec();
        Ok(HttpResponse { status, retry_after_ms, body })
    }
}

/// Whether the request surely never left: a connection that could not be opened, or a
/// request that could not be built. (`fetch` in a browser tells neither.)
#[cfg(not(target_arch = "wasm32"))]
fn not_sent(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_builder()
}

#[cfg(target_arch = "wasm32")]
fn not_sent(e: &reqwest::Error) -> bool {
    e.is_builder()
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
