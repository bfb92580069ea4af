//! Reading a mailbox's Outlook contacts from Graph: every page followed, a folder found by
//! its name, categories filtered. The requests and the wire types are core's
//! (`localmerge_core::contacts`); this is only the loop that fetches them.

use localmerge_core::contacts::{
    self, Contact, ContactFolder, MAX_CONTACTS, Page, contacts_path, find_folder, folders_path,
};
use localmerge_core::send::{HttpRequest, Method, Target, Transport};
use serde::de::DeserializeOwned;

use crate::{GraphClient, TokenSource};

/// Which contacts to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactQuery {
    /// A shared mailbox's address (`None`: the signed-in user's own contacts).
    pub mailbox: Option<String>,
    /// A contact folder's name (`None`: every contact of the mailbox).
    pub folder: Option<String>,
    /// Only contacts in any of these categories (none: all).
    pub categories: Vec<String>,
}

/// Why contacts could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactsError {
    /// Graph could not be reached.
    #[error("Microsoft Graph could not be reached: {0}")]
    Unreachable(String),
    /// Graph answered with an error.
    #[error("Microsoft Graph refused to list the contacts ({status}): {message}{hint}")]
    Refused {
        /// The status.
        status: u16,
        /// Graph's message.
        message: String,
        /// What to do about it.
        hint: &'static str,
    },
    /// An answer was not a page of contacts.
    #[error("Microsoft Graph's answer was not a list: {0}")]
    Malformed(String),
    /// A next page pointed somewhere other than Graph.
    #[error("Microsoft Graph's next page is not on {0}; not followed")]
    ForeignLink(String),
    /// No folder has that name.
    #[error("no contact folder is named \"{name}\" (folders: {available})")]
    NoFolder {
        /// The name asked for.
        name: String,
        /// The folders there are.
        available: String,
    },
    /// More contacts than a table holds.
    #[error("more than {MAX_CONTACTS} contacts: pick a folder or a category")]
    TooMany,
}

impl<T: TokenSource> GraphClient<T> {
    /// Every page of a Graph list, from `first` (a path under the base) on.
    async fn all_pages<I: DeserializeOwned>(
        &self,
        first: String,
        mut keep: impl FnMut(I) -> bool,
    ) -> Result<(), ContactsError> {
        let mut next = Some(first);
        while let Some(path) = next.take() {
            let request = HttpRequest {
                method: Method::Get,
                target: Target::Graph(path),
                headers: Vec::new(),
                body: Vec::new(),
            };
            let answer = self.execute(request).await.map_err(|e| ContactsError::Unreachable(e.message))?;
            if answer.status != 200 {
                let message = crate::graph_message(&answer.body);
                let hint = crate::hint(
                    answer.status,
                    " — reading contacts needs Contacts.Read (Contacts.Read.Shared for a shared mailbox's)",
                    " — no such mailbox or folder",
                );
                return Err(ContactsError::Refused { status: answer.status, message, hint });
            }
            let page: Page<I> =
                serde_json::from_slice(&answer.body).map_err(|e| ContactsError::Malformed(e.to_string()))?;
            for item in page.value {
                if !keep(item) {
                    return Err(ContactsError::TooMany);
                }
            }
            // A next page is followed only on the same Graph: contact data never goes elsewhere.
            next = match page.next_link {
                None => None,
                Some(link) => Some(
                    link.strip_prefix(self.base.as_str())
                        .filter(|rest| rest.starts_with('/'))
                        .map(str::to_owned)
                        .ok_or_else(|| ContactsError::ForeignLink(self.base.clone()))?,
                ),
            };
        }
        Ok(())
    }

    /// The contacts `query` names, in Graph's order.
    pub async fn contacts(&self, query: &ContactQuery) -> Result<Vec<Contact>, ContactsError> {
        let mailbox = query.mailbox.as_deref();
        let folder_id = match &query.folder {
            None => None,
            Some(name) => {
                let mut folders: Vec<ContactFolder> = Vec::new();
                self.all_pages(folders_path(mailbox), |f| {
                    folders.push(f);
                    folders.len() <= MAX_CONTACTS
                })
                .await?;
                let found = find_folder(&folders, name).map(|f| f.id.clone());
                Some(found.ok_or_else(|| ContactsError::NoFolder {
                    name: name.clone(),
                    available: folders.iter().map(|f| f.display_name.as_str()).collect::<Vec<_>>().join(", "),
                })?)
            }
        };
        let mut out: Vec<Contact> = Vec::new();
        self.all_pages(contacts_path(mailbox, folder_id.as_deref()), |c: Contact| {
            if c.in_any(&query.categories) {
                out.push(c);
            }
            out.len() <= MAX_CONTACTS
        })
        .await?;
        Ok(out)
    }
}

/// The contacts as a table named for where they came from (`contacts`, or
/// `contacts:team@contoso.com`, with `/Folder` when one was picked).
pub fn contacts_table(query: &ContactQuery, list: &[Contact]) -> localmerge_core::Table {
    let mut name = String::from("contacts");
    if let Some(m) = &query.mailbox {
        name.push(':');
        name.push_str(m);
    }
    if let Some(f) = &query.folder {
        name.push('/');
        name.push_str(f);
    }
    contacts::table(&name, list)
}
