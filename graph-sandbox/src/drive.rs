//! OneDrive files as Graph serves them: `GET /me/drive/root/search(q='…')` (and `GET
//! /me/drive/recent`, retired: empty since November 2026), `GET
//! /drives/{drive}/items/{id}` and `GET /shares/{shareId}/driveItem` (each with its
//! pre-authenticated `@microsoft.graph.downloadUrl`), `…/content` answered 302 to that URL,
//! and the download itself (`GET /download/{token}`, no bearer token, as a file service's).
//! A file's sharing URL is its `webUrl`; anyone signed in to the sandbox may open it.

use std::collections::HashMap;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::StoredFile;
use crate::graph::{Reply, World};

/// The drive id of a user's OneDrive.
fn drive_id(owner: &str) -> String {
    format!("b!{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(owner.to_lowercase()))
}

/// A path segment as SharePoint writes it: unreserved characters as they are.
const SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'.').remove(b'-').remove(b'_').remove(b'~');

/// Where a file is opened in a browser, and the sharing URL that names it.
pub(crate) fn web_url(file: &StoredFile) -> String {
    let user = file.owner.split('@').next().unwrap_or_default();
    format!(
        "https://sandbox-my.sharepoint.com/personal/{user}/Documents/{}",
        percent_encoding::utf8_percent_encode(&file.name, SEGMENT)
    )
}

fn resource(i: usize, file: &StoredFile) -> Value {
    json!({
        "id": format!("item-{i}"),
        "name": file.name,
        "size": file.bytes.len(),
        "file": { "mimeType": mime(&file.name) },
        "lastModifiedDateTime": file.modified,
        "webUrl": web_url(file),
        "parentReference": { "driveId": drive_id(&file.owner), "path": "/drive/root:" },
    })
}

fn mime(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).as_deref() {
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("csv") => "text/csv",
        _ => "application/octet-stream",
    }
}

fn not_found() -> Reply {
    Reply::error(404, "itemNotFound", "The resource could not be found.")
}

/// The text of `search(q='…')`, its doubled quotes undone.
fn search_text(segment: &str) -> Option<String> {
    let inner = segment.strip_prefix("search(q='")?.strip_suffix("')")?;
    Some(inner.replace("''", "'"))
}

/// The file a sharing id (`u!` + base64url of the URL) names.
fn shared(files: &[StoredFile], share_id: &str) -> Option<usize> {
    let encoded = share_id.strip_prefix("u!")?;
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded.trim_end_matches('=')).ok()?;
    let url = String::from_utf8(url).ok()?;
    files.iter().position(|f| web_url(f) == url)
}

impl World {
    /// An item with a fresh download URL on `base`.
    fn item_with_link(&mut self, i: usize, base: &str) -> Reply {
        let Some(file) = self.config.files.get(i) else { return not_found() };
        let mut body = resource(i, file);
        let token = format!("{i}-{:016x}", self.rng.u64(..));
        self.downloads.insert(token.clone(), i);
        body["@microsoft.graph.downloadUrl"] = Value::String(format!("{base}/download/{token}"));
        Reply::ok(200, body)
    }

    /// The answer to a drive request by `user` (`segs` after `/v1.0/`), or `None` when it is
    /// not one.
    pub(crate) fn drive(
        &mut self,
        user: &str,
        segs: &[String],
        query: &HashMap<String, String>,
        base: &str,
    ) -> Option<Reply> {
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        let (i, content) = match segs.as_slice() {
            // Deprecated, and since November 2026 it returns no data (Microsoft's notice).
            ["me", "drive", "recent"] => return Some(Reply::ok(200, json!({ "value": [] }))),
            ["me", "drive", "root", search] => {
                let text = search_text(search)?.to_lowercase();
                let top = query.get("$top").and_then(|t| t.parse::<usize>().ok()).unwrap_or(200);
                let value: Vec<Value> = (self.config.files.iter().enumerate())
                    .filter(|(_, f)| f.owner.eq_ignore_ascii_case(user))
                    .filter(|(_, f)| text.is_empty() || f.name.to_lowercase().contains(&text))
                    .take(top)
                    .map(|(i, f)| resource(i, f))
                    .collect();
                return Some(Reply::ok(200, json!({ "value": value })));
            }
            ["drives", drive, "items", id, rest @ ..] => {
                let i = id.strip_prefix("item-").and_then(|i| i.parse::<usize>().ok());
                let owned = i
                    .and_then(|i| self.config.files.get(i))
                    .is_some_and(|f| f.owner.eq_ignore_ascii_case(user) && drive_id(&f.owner) == *drive);
                match (i, owned, rest) {
                    (Some(i), true, []) => (i, false),
                    (Some(i), true, ["content"]) => (i, true),
                    _ => return Some(not_found()),
                }
            }
            ["shares", id, "driveItem", rest @ ..] => match (shared(&self.config.files, id), rest) {
                (Some(i), []) => (i, false),
                (Some(i), ["content"]) => (i, true),
                _ => return Some(not_found()),
            },
            _ => return None,
        };
        let reply = self.item_with_link(i, base);
        if !content {
            return Some(reply);
        }
        // `…/content` redirects to the download URL, as Graph documents.
        let mut redirect = Reply::ok(302, Value::Null);
        redirect.location = reply.body["@microsoft.graph.downloadUrl"].as_str().map(str::to_owned);
        Some(redirect)
    }

    /// The bytes a download URL names; `None` for an unknown token.
    pub(crate) fn download(&mut self, token: &str) -> Option<Vec<u8>> {
        let i = *self.downloads.get(token)?;
        self.stats.downloads += 1;
        self.config.files.get(i).map(|f| f.bytes.to_vec())
    }
}
