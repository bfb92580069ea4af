//! The requests the engine makes: Graph paths, headers and bodies for each step of a row.

use super::*;
use crate::graph::{EmailAddress, ExtendedProperty, Header, Recipient};

impl Engine {
    pub(super) fn prefix(&self) -> String {
        self.campaign.sender.prefix()
    }

    pub(super) fn row_key(&self, row: &Row) -> String {
        format!("{}/{}", self.campaign.id.0, row.message.row)
    }

    pub(super) fn graph(method: Method, path: String, json: Option<Vec<u8>>) -> RequestSpec {
        let mut headers = vec![("Prefer".to_owned(), "IdType=\"ImmutableId\"".to_owned())];
        let body = match json {
            Some(b) => {
                headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
                vec![BodyPart::Bytes(b)]
            }
            None => Vec::new(),
        };
        RequestSpec { method, target: Target::Graph(path), headers, body }
    }

    pub(super) fn create_draft(&mut self, now: Millis, i: usize) -> Poll {
        let row = &self.rows[i];
        let mut message = row.message.to_graph();
        message.internet_message_headers =
            vec![Header { name: CAMPAIGN_HEADER.to_owned(), value: self.campaign.id.0.clone() }];
        message.single_value_extended_properties =
            vec![ExtendedProperty { id: ROW_KEY_PROPERTY.to_owned(), value: self.row_key(row) }];
        if let Some(t) = row.release_at {
            message
                .single_value_extended_properties
                .push(ExtendedProperty { id: DEFERRED_SEND_TIME.to_owned(), value: iso_utc(t) });
        }
        if let Sender::Shared(address) = &self.campaign.sender {
            message.from =
                Some(Recipient { email_address: EmailAddress { address: address.clone(), name: None } });
        }
        let mut json = serde_json::to_vec(&message).unwrap_or_default();
        // Small attachments ride in the draft itself while the request stays under Graph's
        // size limit (base64 adds a third).
        let mut inline = Vec::new();
        let mut size = json.len() as u64;
        for (a, att) in row.message.attachments.iter().enumerate() {
            let bytes = att.size.unwrap_or(u64::MAX);
            let encoded = bytes.saturating_add(2) / 3 * 4 + att.name.len() as u64 + 128;
            if !row.attached[a]
                && bytes < SMALL_ATTACHMENT_BYTES
                && size.saturating_add(encoded) < MAX_REQUEST_BYTES
            {
                size += encoded;
                inline.push(a);
            }
        }
        let mut body = Vec::new();
        if inline.is_empty() {
            body.push(BodyPart::Bytes(json));
        } else {
            json.pop(); // the closing brace
            json.extend_from_slice(b",\"attachments\":[");
            for (k, &a) in inline.iter().enumerate() {
                let name = &row.message.attachments[a].name;
                let head = serde_json::json!({
                    "@odata.type": "#microsoft.graph.fileAttachment",
                    "name": file_name(name),
                    "contentType": "application/octet-stream",
                })
                .to_string();
                if k > 0 {
                    json.push(b',');
                }
                json.extend_from_slice(&head.as_bytes()[..head.len() - 1]);
                json.extend_from_slice(b",\"contentBytes\":\"");
                body.push(BodyPart::Bytes(std::mem::take(&mut json)));
                body.push(BodyPart::Base64File(name.clone()));
                json.extend_from_slice(b"\"}");
            }
            json.extend_from_slice(b"]}");
            body.push(BodyPart::Bytes(json));
        }
        let path = match &self.folder {
            Folder::Known(f) => format!("{}/mailFolders/{}/messages", self.prefix(), encode(f)),
            _ => format!("{}/messages", self.prefix()),
        };
        let mut spec = Self::graph(Method::Post, path, None);
        spec.headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        spec.body = body;
        let intent = Entry::Creating { row: row.message.row, fingerprint: row.fingerprint.clone() };
        // The op remembers the state before (planned): a refused create leaves no draft.
        let poll = self.issue(now, Some(i), OpKind::CreateDraft { inline }, spec, Some(intent));
        self.rows[i].state = State::Creating;
        poll
    }

    pub(super) fn find_draft(&mut self, now: Millis, i: usize) -> Poll {
        let key = self.row_key(&self.rows[i]);
        let filter = format!(
            "singleValueExtendedProperties/Any(ep: ep/id eq '{ROW_KEY_PROPERTY}' and ep/value eq '{key}')"
        );
        let path = format!("{}/messages?$filter={}&$select=id,isDraft", self.prefix(), encode(&filter));
        self.issue(now, Some(i), OpKind::FindDraft, Self::graph(Method::Get, path, None), None)
    }

    pub(super) fn check_draft(&mut self, now: Millis, i: usize, id: &str) -> Poll {
        let path = format!("{}/messages/{}?$select=id,isDraft", self.prefix(), encode(id));
        self.issue(now, Some(i), OpKind::CheckDraft, Self::graph(Method::Get, path, None), None)
    }

    pub(super) fn list_attachments(&mut self, now: Millis, i: usize, id: &str) -> Poll {
        let path = format!("{}/messages/{}/attachments?$select=name,size", self.prefix(), encode(id));
        self.issue(now, Some(i), OpKind::ListAttachments, Self::graph(Method::Get, path, None), None)
    }

    pub(super) fn next_attachment(&mut self, now: Millis, i: usize, id: &str) -> Poll {
        let row = &self.rows[i];
        if let Some(up) = &row.upload {
            let att = &row.message.attachments[up.index];
            let total = att.size.unwrap_or(0);
            let end = (up.next + UPLOAD_CHUNK_BYTES).min(total);
            let spec = RequestSpec {
                method: Method::Put,
                target: Target::Upload(up.url.clone()),
                headers: vec![
                    ("Content-Type".to_owned(), "application/octet-stream".to_owned()),
                    (
                        "Content-Range".to_owned(),
                        format!("bytes {}-{}/{}", up.next, end.saturating_sub(1), total),
                    ),
                ],
                body: vec![BodyPart::FileRange { name: att.name.clone(), start: up.next, end }],
            };
            return self.issue(now, Some(i), OpKind::UploadChunk { end, total }, spec, None);
        }
        let Some(index) = row.attached.iter().position(|a| !a) else { return Poll::Busy };
        let att = &row.message.attachments[index];
        let size = att.size.unwrap_or(0);
        let base = format!("{}/messages/{}/attachments", self.prefix(), encode(id));
        if size < SMALL_ATTACHMENT_BYTES {
            let head = serde_json::json!({
                "@odata.type": "#microsoft.graph.fileAttachment",
                "name": file_name(&att.name),
                "contentType": "application/octet-stream",
            })
            .to_string();
            let mut spec = Self::graph(Method::Post, base, None);
            spec.headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
            spec.body = vec![
                BodyPart::Bytes(format!("{},\"contentBytes\":\"", &head[..head.len() - 1]).into_bytes()),
                BodyPart::Base64File(att.name.clone()),
                BodyPart::Bytes(b"\"}".to_vec()),
            ];
            self.issue(now, Some(i), OpKind::AddAttachment { index }, spec, None)
        } else {
            let body = serde_json::json!({
                "AttachmentItem": { "attachmentType": "file", "name": file_name(&att.name), "size": size }
            })
            .to_string()
            .into_bytes();
            let spec = Self::graph(Method::Post, format!("{base}/createUploadSession"), Some(body));
            self.issue(now, Some(i), OpKind::CreateUploadSession { index }, spec, None)
        }
    }

    pub(super) fn send(&mut self, now: Millis, i: usize, id: &str, pace: Option<u64>) -> Poll {
        let path = format!("{}/messages/{}/send", self.prefix(), encode(id));
        let spec = Self::graph(Method::Post, path, None);
        let intent = Entry::Sending { row: self.rows[i].message.row };
        // The op remembers the state before (drafted): a refused send sent nothing.
        let poll = self.issue(now, Some(i), OpKind::Send { pace: pace.unwrap_or(0) }, spec, Some(intent));
        self.rows[i].state = State::Sending(id.to_owned());
        poll
    }
}

/// Percent-encodes a URL path segment or query value.
pub(super) fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The name Graph gets for a file named in the sheet: its last path component.
pub(super) fn file_name(name: &str) -> String {
    name.rsplit(['/', '\\']).next().unwrap_or(name).to_owned()
}
