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
