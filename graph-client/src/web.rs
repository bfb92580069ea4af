//! Requests in the browser: the page's `fetch`, which never says whether a failed request
//! reached the service.

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestInit, Response};

use crate::{Answer, Failed, Outgoing};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch` (a window's or a worker's).
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_request(request: &Request) -> Promise;
}

/// The HTTP client in the browser: the page's `fetch` (it has no settings of its own).
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpClient;

fn failed(e: JsValue) -> Failed {
    let message = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "the request failed".to_owned());
    Failed { not_sent: false, message }
}

impl HttpClient {
    /// The page's `fetch` (as `reqwest::Client::new()` is natively).
    pub fn new() -> Self {
        HttpClient
    }

    pub(crate) async fn send(&self, request: Outgoing<'_>) -> Result<Answer, Failed> {
        let headers = Headers::new().map_err(failed)?;
        if let Some(token) = &request.bearer {
            headers.set("Authorization", &format!("Bearer {token}")).map_err(failed)?;
        }
        for (name, value) in request.headers {
            headers.set(name, value).map_err(failed)?;
        }
        let init = RequestInit::new();
        init.set_method(request.method);
        init.set_headers(&headers);
        if let Some(body) = &request.body {
            init.set_body(&Uint8Array::from(body.as_slice()));
        }
        let request = Request::new_with_str_and_init(request.url, &init).map_err(failed)?;
        let response: Response =
            JsFuture::from(fetch_request(&request)).await.map_err(failed)?.unchecked_into();
        let retry_after = response.headers().get("retry-after").ok().flatten();
        let buffer = JsFuture::from(response.array_buffer().map_err(failed)?).await.map_err(failed)?;
        Ok(Answer { status: response.status(), retry_after, body: Uint8Array::new(&buffer).to_vec() })
    }
}
