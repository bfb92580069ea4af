//! Workbooks in OneDrive and SharePoint: search the user's drive, describe an item (by its
//! drive and id, or by a sharing URL) and download its bytes. The paths, the wire types and
//! where bytes may come from are core's (`localmerge_core::drive`); this is only the fetching.

use localmerge_core::contacts::Page;
use localmerge_core::drive::{
    self, DownloadError, DriveFile, DriveItem, MAX_DOWNLOAD_BYTES, item_path, search_path, share_path,
};
use localmerge_core::send::{HttpRequest, HttpResponse, Method, Target, Transport};

use crate::{GraphClient, TokenSource};

/// Why a drive file could not be listed or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriveError {
    /// Graph or the file service could not be reached.
    #[error("Microsoft Graph could not be reached: {0}")]
    Unreachable(String),
    /// Graph answered with an error.
    #[error("Microsoft Graph refused to {action} ({status}): {message}{hint}")]
    Refused {
        /// What was asked.
        action: &'static str,
        /// The status.
        status: u16,
        /// Graph's message.
        message: String,
        /// What to do about it.
        hint: &'static str,
    },
    /// An answer was not what Graph documents.
    #[error("Microsoft Graph's answer was not a drive item: {0}")]
    Malformed(String),
    /// The item cannot be downloaded.
    #[error(transparent)]
    Download(#[from] DownloadError),
}

impl<T: TokenSource> GraphClient<T> {
    async fn get(&self, target: Target) -> Result<HttpResponse, DriveError> {
        let request = HttpRequest { method: Method::Get, target, headers: Vec::new(), body: Vec::new() };
        self.execute(request).await.map_err(|e| DriveError::Unreachable(e.message))
    }

    async fn get_json<R: serde::de::DeserializeOwned>(
        &self,
        path: String,
        action: &'static str,
    ) -> Result<R, DriveError> {
        let answer = self.get(Target::Graph(path)).await?;
        if answer.status != 200 {
            return Err(refused(action, &answer));
        }
        serde_json::from_slice(&answer.body).map_err(|e| DriveError::Malformed(e.to_string()))
    }

    /// The spreadsheets of the user's drive (and shared with them) whose name or content
    /// matches `text`, as Graph ranks them (one page).
    pub async fn search_drive(&self, text: &str) -> Result<Vec<DriveFile>, DriveError> {
        let page: Page<DriveItem> = self.get_json(search_path(text), "search your files").await?;
        Ok(page.value.iter().filter_map(DriveItem::spreadsheet).collect())
    }

    /// The item a sharing URL names.
    pub async fn shared_item(&self, url: &str) -> Result<DriveItem, DriveError> {
        self.get_json(share_path(url), "open the shared link").await
    }

    /// An item of a drive.
    pub async fn drive_item(&self, drive_id: &str, item_id: &str) -> Result<DriveItem, DriveError> {
        self.get_json(item_path(drive_id, item_id), "open the file").await
    }

    /// The item's bytes, from its pre-authenticated download URL (no token goes there), when
    /// core allows that URL.
    pub async fn download(&self, item: &DriveItem) -> Result<Vec<u8>, DriveError> {
        let url = drive::download_url(item, &self.base)?;
        let answer = self.get(Target::Upload(url.to_owned())).await?;
        if answer.status != 200 {
            return Err(refused("download the file", &answer));
        }
        let size = answer.body.len() as u64;
        if size > MAX_DOWNLOAD_BYTES {
            return Err(DownloadError::TooLarge { name: item.name.clone(), size }.into());
        }
        Ok(answer.body)
    }
}

fn refused(action: &'static str, answer: &HttpResponse) -> DriveError {
    let message = crate::graph_message(&answer.body);
    let hint = crate::hint(
        answer.status,
        " — reading files needs Files.Read.All (`localmerge login --files`), and the file must be shared with you",
        " — no such file, or the link has expired",
    );
    DriveError::Refused { action, status: answer.status, message, hint }
}
