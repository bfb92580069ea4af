//! The one HTTP client for calls to other services (the identity provider, Graph, the
//! marketplace), and oauth2's adapter over it. Depends on nothing else of the server.

use std::time::Duration;

/// A failed outbound exchange.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OutboundError(String);

/// A client: connections pooled, redirects off (oauth2's advice against SSRF), 15 seconds
/// at most per call. One per server, never a process-wide one: pooled connections belong to
/// the async runtime that opened them, and a second server in the same process (tests start
/// many) would otherwise be handed connections whose runtime is gone.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap_or_default()
}

/// oauth2's HTTP client over `client`.
pub async fn oauth2(
    client: reqwest::Client,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, OutboundError> {
    let (parts, body) = request.into_parts();
    let mut builder = client.request(parts.method, parts.uri.to_string()).body(body);
    for (k, v) in &parts.headers {
        builder = builder.header(k, v);
    }
    let response = builder.send().await.map_err(|e| OutboundError(e.to_string()))?;
    let mut out = oauth2::http::Response::builder().status(response.status());
    for (k, v) in response.headers() {
        out = out.header(k, v);
    }
    let bytes = response.bytes().await.map_err(|e| OutboundError(e.to_string()))?;
    out.body(bytes.to_vec()).map_err(|e| OutboundError(e.to_string()))
}
