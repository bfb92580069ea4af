//! Workbooks in OneDrive and SharePoint, as Graph serves them: a sharing URL turned into
//! the share id Graph documents (`u!` + unpadded base64url), the paths that search the
//! user's drive and describe one item, the `driveItem` wire type, and the rule for where a
//! file's bytes may be downloaded from. Pure: the front doors fetch.
//!
//! A file's bytes are read from the item's `@microsoft.graph.downloadUrl` — the
//! pre-authenticated URL Microsoft's file service gives (the same one `…/content` redirects
//! to, which a browser cannot follow across origins) — with no token sent, and only when that
//! URL is Microsoft's file storage or the Graph the item came from.

use base64::Engine as _;
use serde::Deserialize;

use crate::send::encode;

/// The largest workbook read from a drive: a bound on what a download may make us
/// allocate, far above any mail-merge list.
pub const MAX_DOWNLOAD_BYTES: u64 = 200 * 1024 * 1024;

/// The most search results asked for.
pub const SEARCH_PAGE: usize = 50;

/// What localmerge reads, by file name (the reader recognises the content; this only keeps
/// a search's list to spreadsheets).
const EXTENSIONS: [&str; 10] = ["xlsx", "xlsm", "xlsb", "xls", "ods", "csv", "tsv", "txt", "xml", "fods"];

/// Graph's id of a sharing URL: `u!` followed by the URL in base64url without padding.
pub fn share_id(url: &str) -> String {
    format!("u!{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url.trim()))
}

/// Whether DATA is a sharing URL (an `https://` link to a OneDrive or SharePoint file).
pub fn is_sharing_url(data: &str) -> bool {
    data.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://"))
}

/// The path of the item a sharing URL names, with its download URL.
pub fn share_path(url: &str) -> String {
    format!("/shares/{}/driveItem?{SELECT}", share_id(url))
}

/// The path of an item of a drive, with its download URL.
pub fn item_path(drive_id: &str, item_id: &str) -> String {
    format!("/drives/{}/items/{}?{SELECT}", encode(drive_id), encode(item_id))
}

/// The path that searches the signed-in user's drive (and what is shared with them) for
/// `text`: Graph's `search(q='…')`, the quote doubled as OData writes it.
pub fn search_path(text: &str) -> String {
    let q = encode(&text.trim().replace('\'', "''"));
    format!(
        "/me/drive/root/search(q='{q}')?$top={SEARCH_PAGE}&$select=id,name,size,file,parentReference,remoteItem,lastModifiedDateTime,webUrl"
    )
}

/// The fields of an item asked for (the download URL comes with an item's own GET).
const SELECT: &str =
    "$select=id,name,size,file,parentReference,lastModifiedDateTime,webUrl,@microsoft.graph.downloadUrl";

/// Where an item lives.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ParentReference {
    /// The drive's id.
    pub drive_id: Option<String>,
    /// The folder's path, `/drive/root:/Folder`.
    pub path: Option<String>,
}

/// A file (present only on files, not folders).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct FileFacet {
    /// The MIME type Graph gives.
    pub mime_type: Option<String>,
}

/// An item of another drive, as search lists what is shared with the user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RemoteItem {
    /// Its id in its own drive.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its size in bytes.
    pub size: Option<u64>,
    /// Present when it is a file.
    pub file: Option<FileFacet>,
    /// Its drive.
    pub parent_reference: ParentReference,
}

/// Graph's `driveItem`, the fields localmerge uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DriveItem {
    /// The item's id in its drive.
    pub id: String,
    /// The file's name.
    pub name: String,
    /// Its size in bytes.
    pub size: Option<u64>,
    /// Present when it is a file.
    pub file: Option<FileFacet>,
    /// Its drive and folder.
    pub parent_reference: ParentReference,
    /// The item of another drive this one stands for.
    pub remote_item: Option<RemoteItem>,
    /// When it last changed (ISO 8601, UTC).
    pub last_modified_date_time: Option<String>,
    /// Where the user opens it in a browser.
    pub web_url: Option<String>,
    /// The pre-authenticated URL of its bytes (an item's own GET only).
    #[serde(rename = "@microsoft.graph.downloadUrl")]
    pub download_url: Option<String>,
}

/// A spreadsheet found in a drive, as a front door lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DriveFile {
    /// The drive's id.
    pub drive_id: String,
    /// The item's id in that drive.
    pub item_id: String,
    /// The file's name.
    pub name: String,
    /// Its size in bytes, when Graph says.
    pub size: Option<u64>,
    /// When it last changed, when Graph says.
    pub modified: Option<String>,
}

impl DriveItem {
    /// The file this item is (or stands for), if it is a spreadsheet with a drive.
    pub fn spreadsheet(&self) -> Option<DriveFile> {
        let (id, name, size, file, parent) = match &self.remote_item {
            Some(r) => (
                &r.id,
                r.name.as_deref().unwrap_or(&self.name),
                r.size.or(self.size),
                r.file.as_ref().or(self.file.as_ref()),
                &r.parent_reference,
            ),
            None => (&self.id, self.name.as_str(), self.size, self.file.as_ref(), &self.parent_reference),
        };
        file?;
        if !is_spreadsheet_name(name) {
            return None;
        }
        Some(DriveFile {
            drive_id: parent.drive_id.clone()?,
            item_id: id.clone(),
            name: name.to_owned(),
            size,
            modified: self.last_modified_date_time.clone(),
        })
    }
}

/// Whether a file's name says it is something localmerge reads.
pub fn is_spreadsheet_name(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(_, ext)| EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(ext)))
}

/// Why a drive item cannot be downloaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DownloadError {
    /// A folder, or an item without bytes.
    #[error("\"{0}\" is not a file")]
    NotAFile(String),
    /// Graph gave no download URL (the user may view but not download it).
    #[error(
        "Microsoft Graph gave no download link for \"{0}\" (you may be allowed to view it, not to download it)"
    )]
    NoLink(String),
    /// The download URL is not Microsoft's file storage.
    #[error(
        "the download link of \"{name}\" points to {host}, which is not Microsoft's file storage; not followed"
    )]
    ForeignHost {
        /// The file.
        name: String,
        /// The host the link named.
        host: String,
    },
    /// Larger than a workbook localmerge reads.
    #[error("\"{name}\" is {size} bytes; localmerge reads workbooks up to {MAX_DOWNLOAD_BYTES} bytes")]
    TooLarge {
        /// The file.
        name: String,
        /// Its size.
        size: u64,
    },
}

/// The hosts of Microsoft's file storage a download URL may name (SharePoint and OneDrive
/// for work or school in every cloud, OneDrive personal's).
const FILE_HOSTS: [&str; 7] = [
    ".sharepoint.com",
    ".sharepoint.us",
    ".sharepoint-mil.us",
    ".sharepoint.cn",
    ".microsoftpersonalcontent.com",
    ".livefilestore.com",
    ".files.1drv.com",
];

/// The scheme and host (with port) of `url`, lower case.
fn origin(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    if host.is_empty() || host.contains('@') {
        return None;
    }
    Some((scheme.to_ascii_lowercase(), host.to_ascii_lowercase()))
}

/// The URL the item's bytes are downloaded from — with no token — once it is known to be a
/// file of acceptable size whose link is Microsoft's file storage over HTTPS, or the same
/// origin as `graph_base` (the Graph the item came from: the sandbox).
pub fn download_url<'a>(item: &'a DriveItem, graph_base: &str) -> Result<&'a str, DownloadError> {
    if item.file.is_none() {
        return Err(DownloadError::NotAFile(item.name.clone()));
    }
    if let Some(size) = item.size.filter(|s| *s > MAX_DOWNLOAD_BYTES) {
        return Err(DownloadError::TooLarge { name: item.name.clone(), size });
    }
    let url = item.download_url.as_deref().ok_or_else(|| DownloadError::NoLink(item.name.clone()))?;
    let foreign = || DownloadError::ForeignHost {
        name: item.name.clone(),
        host: origin(url).map(|(_, h)| h).unwrap_or_else(|| url.chars().take(60).collect()),
    };
    let (scheme, host) = origin(url).ok_or_else(foreign)?;
    let same_as_graph = origin(graph_base).is_some_and(|g| g == (scheme.clone(), host.clone()));
    let name = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
    let microsoft = scheme == "https" && FILE_HOSTS.iter().any(|suffix| name.ends_with(suffix));
    if same_as_graph || microsoft { Ok(url) } else { Err(foreign()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_ids_are_graphs_encoding() {
        // Microsoft's example: "https://onedrive.live.com/redir?resid=1231244193912!12&authKey=1201919!12921!1".
        let url = "https://onedrive.live.com/redir?resid=1231244193912!12&authKey=1201919!12921!1";
        assert_eq!(
            share_id(url),
            "u!aHR0cHM6Ly9vbmVkcml2ZS5saXZlLmNvbS9yZWRpcj9yZXNpZD0xMjMxMjQ0MTkzOTEyITEyJmF1dGhLZXk9MTIwMTkxOSExMjkyMSEx"
        );
        // base64url: '-' and '_' instead of '+' and '/', no padding.
        let id = share_id("https://contoso.sharepoint.com/:x:/g/EX??>>");
        assert!(!id.contains(['+', '/', '=']), "{id}");
        assert!(is_sharing_url("HTTPS://contoso.sharepoint.com/x"));
        assert!(!is_sharing_url("http://contoso.sharepoint.com/x"));
        assert!(!is_sharing_url("contacts:"));
    }

    #[test]
    fn search_escapes_the_text() {
        assert_eq!(
            search_path(" O'Brien list ").split('?').next(),
            Some("/me/drive/root/search(q='O%27%27Brien%20list')")
        );
    }

    fn item(json: &str) -> DriveItem {
        serde_json::from_str(json).expect("item")
    }

    #[test]
    fn spreadsheets_are_files_with_a_known_extension_and_a_drive() {
        let own = item(
            r#"{"id":"A1","name":"Customers.XLSX","size":12,"file":{},"parentReference":{"driveId":"d1"},"lastModifiedDateTime":"2026-11-30T10:00:00Z"}"#,
        );
        assert_eq!(
            own.spreadsheet(),
            Some(DriveFile {
                drive_id: "d1".into(),
                item_id: "A1".into(),
                name: "Customers.XLSX".into(),
                size: Some(12),
                modified: Some("2026-11-30T10:00:00Z".into()),
            })
        );
        // Shared with the user: the remote item's drive and id.
        let shared = item(
            r#"{"id":"local","name":"q.csv","remoteItem":{"id":"R9","size":5,"file":{},"parentReference":{"driveId":"other"}}}"#,
        );
        let s = shared.spreadsheet().expect("shared file");
        assert_eq!((s.drive_id.as_str(), s.item_id.as_str(), s.size), ("other", "R9", Some(5)));
        assert_eq!(
            item(r#"{"id":"F","name":"Reports","folder":{},"parentReference":{"driveId":"d"}}"#)
                .spreadsheet(),
            None
        );
        assert_eq!(
            item(r#"{"id":"P","name":"a.pdf","file":{},"parentReference":{"driveId":"d"}}"#).spreadsheet(),
            None
        );
    }

    #[test]
    fn bytes_come_only_from_microsofts_storage_or_the_same_graph() {
        let with = |url: &str, size: u64| {
            item(&format!(
                r#"{{"id":"1","name":"a.xlsx","size":{size},"file":{{}},"@microsoft.graph.downloadUrl":"{url}"}}"#
            ))
        };
        let graph = "https://graph.microsoft.com/v1.0";
        for ok in [
            "https://contoso-my.sharepoint.com/personal/a/_layouts/15/download.aspx?UniqueId=1&tempauth=x",
            "https://my.microsoftpersonalcontent.com/personal/x/_layouts/15/download.aspx",
            "https://public.bn1304.livefilestore.com/y4m",
        ] {
            assert_eq!(download_url(&with(ok, 10), graph), Ok(ok));
        }
        assert_eq!(
            download_url(&with("http://127.0.0.1:8990/download/t", 10), "http://127.0.0.1:8990/v1.0"),
            Ok("http://127.0.0.1:8990/download/t")
        );
        for bad in [
            "http://contoso.sharepoint.com/x",
            "https://sharepoint.com.evil.example/x",
            "https://evil.example/?.sharepoint.com",
            "https://user@contoso.sharepoint.com@evil.example/",
            "http://127.0.0.1:8991/download/t",
            "not a url",
        ] {
            assert!(
                matches!(download_url(&with(bad, 10), graph), Err(DownloadError::ForeignHost { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            download_url(&with("https://a.sharepoint.com/x", MAX_DOWNLOAD_BYTES + 1), graph),
            Err(DownloadError::TooLarge { .. })
        ));
        assert_eq!(
            download_url(&item(r#"{"id":"1","name":"a.xlsx","file":{}}"#), graph),
            Err(DownloadError::NoLink("a.xlsx".into()))
        );
        assert_eq!(
            download_url(&item(r#"{"id":"1","name":"Reports","folder":{}}"#), graph),
            Err(DownloadError::NotAFile("Reports".into()))
        );
    }
}
