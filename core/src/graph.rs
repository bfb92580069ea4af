//! Microsoft Graph mail payloads. These types are a wire format: their JSON is what Graph
//! documents for `POST /me/sendMail` and `POST /me/messages`.

use serde::{Deserialize, Serialize};

use crate::address::Mailbox;

/// The body of `POST /me/sendMail`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMailRequest {
    /// The message.
    pub message: GraphMessage,
    /// Keep a copy in Sent Items.
    pub save_to_sent_items: bool,
}

/// A Graph `message` resource, with the fields a merge sets. Empty recipient lists are
/// left out: Graph rejects some empty arrays and they carry nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphMessage {
    /// The subject line.
    pub subject: String,
    /// The body.
    pub body: ItemBody,
    /// To recipients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to_recipients: Vec<Recipient>,
    /// CC recipients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc_recipients: Vec<Recipient>,
    /// BCC recipients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bcc_recipients: Vec<Recipient>,
    /// The sending mailbox, when it is not the signed-in user's (a shared mailbox).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Recipient>,
    /// Custom `X-` headers (at most 5; Graph refuses an empty list, so none is left out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub internet_message_headers: Vec<Header>,
    /// MAPI properties: the campaign's row key, the deferred send time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub single_value_extended_properties: Vec<ExtendedProperty>,
    /// Files sent in the draft itself (small ones, while the request stays small).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<FileAttachment>,
}

/// A `fileAttachment` as sent. The send engine leaves `content_bytes` empty and the
/// transport streams the file's base64 where it stands (`send::requests::streamed`), so a
/// file is never held in memory twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileAttachment {
    /// `#microsoft.graph.fileAttachment`.
    #[serde(rename = "@odata.type")]
    pub odata_type: String,
    /// The file's name.
    pub name: String,
    /// Its media type.
    #[serde(rename = "contentType")]
    pub content_type: String,
    /// Its bytes in base64.
    #[serde(rename = "contentBytes")]
    pub content_bytes: String,
}

impl FileAttachment {
    /// An attachment named `name` whose bytes the transport supplies.
    pub fn streamed(name: &str) -> FileAttachment {
        FileAttachment {
            odata_type: "#microsoft.graph.fileAttachment".to_owned(),
            name: name.to_owned(),
            content_type: "application/octet-stream".to_owned(),
            content_bytes: String::new(),
        }
    }
}

/// An internet message header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The name, starting with `X-`.
    pub name: String,
    /// The value.
    pub value: String,
}

/// A `singleValueLegacyExtendedProperty`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtendedProperty {
    /// The property id: `String {guid} Name LocalMergeId`, `SystemTime 0x3FEF`.
    pub id: String,
    /// The value.
    pub value: String,
}

/// A message as Graph returns it (the fields the send engine reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRef {
    /// The (immutable) id.
    pub id: String,
    /// Whether it is still a draft (not sent).
    #[serde(default)]
    pub is_draft: Option<bool>,
    /// The conversation it starts (replies share it): what `track` matches replies by.
    #[serde(default)]
    pub conversation_id: Option<String>,
    /// Its RFC 5322 `Message-ID`, set when the draft is made and kept when it is sent
    /// (`<…@….prod.outlook.com>`): what non-delivery reports quote.
    #[serde(default)]
    pub internet_message_id: Option<String>,
}

/// One page of a Graph collection: its items and the link to the next page.
#[derive(Debug, Clone, Deserialize)]
pub struct Page<T> {
    /// The items.
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    /// The next page's URL, absent on the last page.
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
}

/// A collection answer: `{"value": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Collection<T> {
    /// The items.
    pub value: Vec<T>,
}

/// An attachment as listed by `GET …/messages/{id}/attachments`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AttachmentRef {
    /// The file name.
    pub name: String,
    /// Its size in bytes (Graph's size includes some overhead, so it is not compared).
    #[serde(default)]
    pub size: Option<u64>,
}

/// A mail folder (`id` is all the engine needs).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FolderRef {
    /// The folder id.
    pub id: String,
}

/// The answer to `createUploadSession`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadSession {
    /// The pre-authenticated URL the chunks go to.
    pub upload_url: String,
}

/// The signed-in user's address (User.Read): where `{{unsubscribe}}` writes to when the
/// campaign sends from the user's own mailbox.
pub const ME_PATH: &str = "/me?$select=mail,userPrincipalName";

/// `GET /me`'s answer, the fields localmerge reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Me {
    mail: Option<String>,
    user_principal_name: Option<String>,
}

/// The mailbox's address from `GET /me`: `mail`, else the user principal name (a mailbox
/// without a primary SMTP address in the directory).
pub fn me_address(body: &[u8]) -> Result<String, String> {
    let me: Me = serde_json::from_slice(body).map_err(|e| format!("GET /me: {e}"))?;
    me.mail
        .filter(|m| !m.is_empty())
        .or(me.user_principal_name)
        .ok_or_else(|| "GET /me names no address".to_owned())
}

/// Graph's error body: `{"error": {"code": …, "message": …}}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The detail of a Graph error.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ErrorDetail {
    /// A code such as `ErrorSendAsDenied`.
    #[serde(default)]
    pub code: String,
    /// A message for people.
    #[serde(default)]
    pub message: String,
}

/// A Graph `itemBody`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemBody {
    /// `HTML` or `Text`.
    pub content_type: BodyType,
    /// The content.
    pub content: String,
}

/// Graph's `bodyType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BodyType {
    /// HTML.
    #[serde(rename = "HTML", alias = "html")]
    Html,
    /// Plain text.
    #[serde(rename = "Text", alias = "text")]
    Text,
}

/// A Graph `recipient`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    /// The address.
    pub email_address: EmailAddress,
}

/// A Graph `emailAddress`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailAddress {
    /// The SMTP address.
    pub address: String,
    /// The display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl From<&Mailbox> for Recipient {
    fn from(m: &Mailbox) -> Self {
        Recipient { email_address: EmailAddress { address: m.address.clone(), name: m.name.clone() } }
    }
}
