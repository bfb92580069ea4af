//! Where the pane's rows come from besides a file the user picks: workbooks in OneDrive and
//! SharePoint, Outlook contacts (in the full module only, with the `contacts` feature: 20 KB
//! gzipped that most users never need), and the tenant's domains for the plan. Every request
//! here is in the modules built with `send`, none in the one the pane loads first. Each is core's path
//! and wire type fetched by `localmerge-graph-client` through the page's `fetch` — the same
//! requests the command line makes — so contact data and workbook bytes only ever come from
//! Microsoft. The token is the caller's (one read is short; a campaign asks before each
//! request instead).

#[cfg(feature = "contacts")]
use localmerge_core::contacts::Contact;
#[cfg(feature = "contacts")]
use localmerge_graph_client::{ContactQuery, contacts_table};
use localmerge_graph_client::{Failures, FixedToken, GraphClient, HttpClient};
#[cfg(feature = "contacts")]
use serde::Deserialize;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::js_error;

pub(crate) fn client(graph_url: &str, token: String) -> GraphClient<FixedToken> {
    GraphClient::new(HttpClient::new(), graph_url, FixedToken(token), Failures::MayHaveDelivered)
}

/// A workbook read from a drive: `{ name, bytes }` (the `DriveDownload` TypeScript type).
fn download_dto(name: String, bytes: Vec<u8>) -> Result<JsValue, JsError> {
    let out = js_sys::Object::new();
    js_sys::Reflect::set(&out, &"name".into(), &name.into()).map_err(|_| js_error("name"))?;
    let bytes = js_sys::Uint8Array::from(bytes.as_slice());
    js_sys::Reflect::set(&out, &"bytes".into(), &bytes).map_err(|_| js_error("bytes"))?;
    Ok(out.into())
}

/// The spreadsheets in the user's drive (and shared with them) that match `text`.
#[wasm_bindgen(js_name = searchDrive, unchecked_return_type = "DriveFile[]")]
pub async fn search_drive(graph_url: String, token: String, text: String) -> Result<JsValue, JsError> {
    let found = client(&graph_url, token).search_drive(&text).await.map_err(js_error)?;
    found.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(js_error)
}

/// A drive's file, by its drive and item ids: its name and bytes.
#[wasm_bindgen(js_name = driveFile, unchecked_return_type = "DriveDownload")]
pub async fn drive_file(
    graph_url: String,
    token: String,
    drive_id: String,
    item_id: String,
) -> Result<JsValue, JsError> {
    let graph = client(&graph_url, token);
    let item = graph.drive_item(&drive_id, &item_id).await.map_err(js_error)?;
    let bytes = graph.download(&item).await.map_err(js_error)?;
    download_dto(item.name, bytes)
}

/// The file a OneDrive or SharePoint sharing URL names: its name and bytes.
#[wasm_bindgen(js_name = sharedFile, unchecked_return_type = "DriveDownload")]
pub async fn shared_file(graph_url: String, token: String, url: String) -> Result<JsValue, JsError> {
    if !localmerge_core::drive::is_sharing_url(&url) {
        return Err(js_error(format!("\"{url}\" is not a OneDrive or SharePoint link (https://…)")));
    }
    let graph = client(&graph_url, token);
    let item = graph.shared_item(&url).await.map_err(js_error)?;
    let bytes = graph.download(&item).await.map_err(js_error)?;
    download_dto(item.name, bytes)
}

/// Which contacts (the `ContactQuery` TypeScript type).
#[cfg(feature = "contacts")]
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct QueryDto {
    mailbox: Option<String>,
    folder: Option<String>,
    categories: Vec<String>,
}

/// The contacts `query` names, every page, as JSON to keep with a campaign and to read with
/// `Spreadsheet.fromContacts`.
#[cfg(feature = "contacts")]
#[wasm_bindgen(js_name = readContacts)]
pub async fn read_contacts(
    graph_url: String,
    token: String,
    #[wasm_bindgen(unchecked_param_type = "ContactQuery")] query: JsValue,
) -> Result<String, JsError> {
    let q: QueryDto = serde_wasm_bindgen::from_value(query).map_err(js_error)?;
    let query = ContactQuery {
        mailbox: q.mailbox.filter(|m| !m.trim().is_empty()),
        folder: q.folder.filter(|f| !f.trim().is_empty()),
        categories: q.categories.into_iter().filter(|c| !c.trim().is_empty()).collect(),
    };
    let list = client(&graph_url, token).contacts(&query).await.map_err(js_error)?;
    let name = contacts_table(&query, &[]).sheet;
    serde_json::to_string(&Contacts { name, list }).map_err(js_error)
}

/// Contacts as kept: the table's name and the contacts.
#[cfg(feature = "contacts")]
#[derive(Serialize, Deserialize)]
pub(crate) struct Contacts {
    pub(crate) name: String,
    pub(crate) list: Vec<Contact>,
}

/// The tenant's verified domains (for telling colleagues from external recipients).
#[wasm_bindgen(js_name = tenantDomains)]
pub async fn tenant_domains(graph_url: String, token: String) -> Result<Vec<String>, JsError> {
    client(&graph_url, token).tenant_domains().await.map_err(js_error)
}
