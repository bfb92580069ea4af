//! The HTTP exchanges with Microsoft Graph, as plain values: the engine builds requests and
//! reads answers; the caller's transport carries them.

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A Graph path and query, relative to the Graph base URL (`/me/messages?…`); the
    /// transport adds the base URL and the `Authorization` header.
    Graph(String),
    /// An upload session's pre-authenticated URL: no `Authorization` header.
    Upload(String),
}

/// A piece of a request body: bytes, or a file's content the driver reads at send time
/// (core reads no files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyPart {
    /// Literal bytes.
    Bytes(Vec<u8>),
    /// A whole file, base64-encoded (an inline attachment's `contentBytes`).
    Base64File(String),
    /// The bytes `start..end` of a file, raw (an upload-session chunk).
    FileRange {
        /// The file name as written in the sheet.
        name: String,
        /// First byte.
        start: u64,
        /// One past the last byte.
        end: u64,
    },
}

/// A request. The engine makes them with a body of [`BodyPart`]s ([`RequestSpec`]); the
/// driver reads the files they name and hands the transport the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest<B = Vec<u8>> {
    /// The method.
    pub method: Method,
    /// The URL.
    pub target: Target,
    /// Headers other than `Authorization` (and `Content-Length`).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: B,
}

/// A request as the engine makes it: the files in its body are read by the driver.
pub type RequestSpec = HttpRequest<Vec<BodyPart>>;

/// An answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The `Retry-After` header, in milliseconds (Graph sends seconds).
    pub retry_after_ms: Option<u64>,
    /// The body.
    pub body: Vec<u8>,
}

/// A request that got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TransportError {
    /// Whether the request may have reached the service (a timeout or a dropped connection
    /// after it was written), so its effect may have happened. `false` only when it surely
    /// did not (the connection could not be opened).
    pub maybe_delivered: bool,
    /// What happened.
    pub message: String,
}

/// Parses a `Retry-After` header value in seconds (Graph's form) into milliseconds.
pub fn parse_retry_after(value: &str) -> Option<u64> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| (secs * 1000.0).ceil() as u64)
}
