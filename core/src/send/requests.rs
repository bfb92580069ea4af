//! The requests the engine makes: Graph paths, headers and bodies for each step of a row.

use super::*;
use crate::graph::{EmailAddress, ExtendedProperty, FileAttachment, Header, Recipient};

impl Engine {
    pub(super) fn prefix(&self) -> String {
        self.campaign.sender.prefix()
    }

    pub(super) fn row_key(&self, row: &RowProgress) -> String {
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
        let json_len = serde_json::to_vec(&message).map_or(0, |j| j.len());
        // Small attachments ride in the draft itself while the request stays under Graph's
        // size limit (base64 adds a third).
        let mut inline = Vec::new();
        let mut size = json_len as u64;
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
        message.attachments = inline
            .iter()
            .map(|&a| FileAttachment::streamed(&file_name(&row.message.attachments[a].name)))
            .collect();
        let files: Vec<String> = inline.iter().map(|&a| row.message.attachments[a].name.clone()).collect();
        let mut body = streamed(&message, &files);
        let path = match (self.campaign.replies.get(&row.message.row), &self.folder) {
            // A follow-up: a reply draft in the original's conversation, the message's own
            // fields given whole (`createReply`'s `message`).
            (Some(original), _) => {
                body.insert(0, BodyPart::Bytes(b"{\"message\":".to_vec()));
                body.push(BodyPart::Bytes(b"}".to_vec()));
                format!("{}/messages/{}/createReply", self.prefix(), encode(original))
            }
            (None, DraftsFolder::Known(f)) => format!("{}/mailFolders/{}/messages", self.prefix(), encode(f)),
            (None, _) => format!("{}/messages", self.prefix()),
        };
        let mut spec = Self::graph(Method::Post, path, None);
        spec.headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        spec.body = body;
        let group = row.message.rows.iter().copied().filter(|r| *r != row.message.row).collect();
        let intent = Entry::Creating { row: row.message.row, fingerprint: row.fingerprint.clone(), group };
        // The op remembers the state before (planned): a refused create leaves no draft.
        let poll = self.start_op(now, Some(i), OpKind::CreateDraft { inline }, spec, Some(intent));
        self.rows[i].state = State::Creating;
        poll
    }

    pub(super) fn find_draft(&mut self, now: Millis, i: usize) -> Poll {
        let key = self.row_key(&self.rows[i]);
        let filter = format!(
            "singleValueExtendedProperties/Any(ep: ep/id eq '{ROW_KEY_PROPERTY}' and ep/value eq '{key}')"
        );
        let path = format!(
            "{}/messages?$filter={}&$select=id,isDraft,conversationId,internetMessageId",
            self.prefix(),
            encode(&filter)
        );
        self.start_op(now, Some(i), OpKind::FindDraft, Self::graph(Method::Get, path, None), None)
    }

    pub(super) fn check_draft(&mut self, now: Millis, i: usize, id: &str) -> Poll {
        let path = format!(
            "{}/messages/{}?$select=id,isDraft,conversationId,internetMessageId",
            self.prefix(),
            encode(id)
        );
        self.start_op(now, Some(i), OpKind::CheckDraft, Self::graph(Method::Get, path, None), None)
    }

    pub(super) fn list_attachments(&mut self, now: Millis, i: usize, id: &str) -> Poll {
        let path = format!("{}/messages/{}/attachments?$select=name,size", self.prefix(), encode(id));
        self.start_op(now, Some(i), OpKind::ListAttachments, Self::graph(Method::Get, path, None), None)
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
            return self.start_op(now, Some(i), OpKind::UploadChunk { end, total }, spec, None);
        }
        let Some(index) = row.attached.iter().position(|a| !a) else { return Poll::Busy };
        let att = &row.message.attachments[index];
        let size = att.size.unwrap_or(0);
        let base = format!("{}/messages/{}/attachments", self.prefix(), encode(id));
        if size < SMALL_ATTACHMENT_BYTES {
            let mut spec = Self::graph(Method::Post, base, None);
            spec.headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
            spec.body =
                streamed(&FileAttachment::streamed(&file_name(&att.name)), std::slice::from_ref(&att.name));
            self.start_op(now, Some(i), OpKind::AddAttachment { index }, spec, None)
        } else {
            let body = serde_json::json!({
                "AttachmentItem": { "attachmentType": "file", "name": file_name(&att.name), "size": size }
            })
            .to_string()
            .into_bytes();
            let spec = Self::graph(Method::Post, format!("{base}/createUploadSession"), Some(body));
            self.start_op(now, Some(i), OpKind::CreateUploadSession { index }, spec, None)
        }
    }

    pub(super) fn send(&mut self, now: Millis, i: usize, id: &str, pace: Option<u64>) -> Poll {
        let path = format!("{}/messages/{}/send", self.prefix(), encode(id));
        let spec = Self::graph(Method::Post, path, None);
        let intent = Entry::Sending { row: self.rows[i].message.row };
        // The op remembers the state before (drafted): a refused send sent nothing.
        let poll = self.start_op(now, Some(i), OpKind::Send { pace: pace.unwrap_or(0) }, spec, Some(intent));
        self.rows[i].state = State::Sending(id.to_owned());
        poll
    }
}

/// The JSON of `value` as body parts, with the base64 of each of `files`, in order, where
/// the n-th empty `"contentBytes":""` stands. A key can only be written by serde, never by a
/// value (quotes inside values are escaped), so no cell can move a file's bytes.
pub(super) fn streamed(value: &impl serde::Serialize, files: &[String]) -> Vec<BodyPart> {
    const SLOT: &[u8] = b"\"contentBytes\":\"";
    let json = serde_json::to_vec(value).unwrap_or_default();
    let mut parts = Vec::new();
    let mut rest = json.as_slice();
    for file in files {
        let Some(at) =
            rest.windows(SLOT.len() + 1).position(|w| w[..SLOT.len()] == *SLOT && w[SLOT.len()] == b'"')
        else {
            break;
        };
        let (head, tail) = rest.split_at(at + SLOT.len());
        parts.push(BodyPart::Bytes(head.to_vec()));
        parts.push(BodyPart::Base64File(file.clone()));
        rest = tail;
    }
    parts.push(BodyPart::Bytes(rest.to_vec()));
    parts
}

/// Percent-encodes a URL path segment or query value.
pub(crate) fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The name Graph gets for a file named in the sheet: its last path component.
pub(super) fn file_name(name: &str) -> String {
    name.rsplit(['/', '\\']).next().unwrap_or(name).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts as the transport joins them, with each file's base64 stood in by `<name>`.
    fn joined(parts: &[BodyPart]) -> serde_json::Value {
        let mut text = Vec::new();
        for p in parts {
            match p {
                BodyPart::Bytes(b) => text.extend_from_slice(b),
                BodyPart::Base64File(name) => text.extend_from_slice(format!("<{name}>").as_bytes()),
                BodyPart::FileRange { .. } => panic!("no range here"),
            }
        }
        serde_json::from_slice(&text).unwrap()
    }

    #[test]
    fn files_stream_only_where_serde_wrote_an_attachments_content() {
        // A cell can hold the very text the transport looks for: it stays text.
        let trap = r#"x","contentBytes":"","y"#;
        let value = serde_json::json!({
            "subject": trap,
            "body": { "contentType": "html", "content": format!("<p>{trap}</p>") },
            "attachments": [FileAttachment::streamed("a.pdf"), FileAttachment::streamed("b.png")],
        });
        let files = ["dir/a.pdf".to_owned(), "b.png".to_owned()];
        let v = joined(&streamed(&value, &files));
        assert_eq!(v["subject"], trap);
        assert_eq!(v["body"]["content"], format!("<p>{trap}</p>"));
        assert_eq!(v["attachments"][0]["contentBytes"], "<dir/a.pdf>");
        assert_eq!(v["attachments"][1]["contentBytes"], "<b.png>");
        assert_eq!(v["attachments"][1]["@odata.type"], "#microsoft.graph.fileAttachment");
        // Without files, the JSON is serde's, whole.
        assert_eq!(joined(&streamed(&value, &[])), serde_json::to_value(&value).unwrap());
    }
}
