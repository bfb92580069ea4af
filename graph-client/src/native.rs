//! Requests natively: reqwest, which tells a connection that could not be opened from one
//! that failed after the request left.

use crate::{Answer, Failed, Outgoing, error_chain};

/// The HTTP client natively: reqwest's, with the caller's timeouts and redirect policy.
pub type HttpClient = reqwest::Client;

/// Sends one request (a trait: the client is reqwest's own type).
pub(crate) trait Deliver {
    async fn send(&self, request: Outgoing<'_>) -> Result<Answer, Failed>;
}

impl Deliver for reqwest::Client {
    async fn send(&self, request: Outgoing<'_>) -> Result<Answer, Failed> {
        let method = match request.method {
            "GET" => reqwest::Method::GET,
            "PUT" => reqwest::Method::PUT,
            _ => reqwest::Method::POST,
        };
        let mut builder = self.request(method, request.url);
        if let Some(token) = request.bearer {
            builder = builder.bearer_auth(token);
        }
        for (name, value) in request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let failed = |e: &reqwest::Error, before_sending: bool| Failed {
            not_sent: before_sending && (e.is_connect() || e.is_builder()),
            message: error_chain(e),
        };
        let response = builder.send().await.map_err(|e| failed(&e, true))?;
        let status = response.status().as_u16();
        let retry_after =
            response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = response.bytes().await.map_err(|e| failed(&e, false))?.to_vec();
        Ok(Answer { status, retry_after, body })
    }
}
