//! Reading a mailbox's Outlook contacts from Graph: every page followed, a folder found by
//! its name, categories filtered. The requests and the wire types are core's
//! (`localmerge_core::contacts`); this is only the loop that fetches them.

use crate::{GraphClient, Hints, ListError, TokenSource};
use localmerge_core::contacts::{
    self, Contact, ContactFolder, MAX_CONTACTS, contacts_path, find_folder, folders_path,
};

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
    /// A list could not be read.
    #[error(transparent)]
    List(#[from] ListError),
    /// No folder has that name.
    #[error("no contact folder is named \"{name}\" (folders: {available})")]
    NoFolder {
        /// The name asked for.
        name: String,
        /// The folders there are.
        available: String,
    },
}

/// What to do when Graph refuses to list contacts.
const CONTACT_HINTS: Hints = Hints {
    what: "the contacts",
    forbidden: " — reading contacts needs Contacts.Read (Contacts.Read.Shared for a shared mailbox's)",
    not_found: " — no such mailbox or folder",
    too_many: "pick a folder or a category",
};

impl<T: TokenSource> GraphClient<T> {
    /// The contacts `query` names, in Graph's order.
    pub async fn contacts(&self, query: &ContactQuery) -> Result<Vec<Contact>, ContactsError> {
        let mailbox = query.mailbox.as_deref();
        let folder_id = match &query.folder {
            None => None,
            Some(name) => {
                let mut folders: Vec<ContactFolder> = Vec::new();
                self.all_pages(folders_path(mailbox), &CONTACT_HINTS, MAX_CONTACTS, |f| {
                    folders.push(f);
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
        self.all_pages(
            contacts_path(mailbox, folder_id.as_deref()),
            &CONTACT_HINTS,
            MAX_CONTACTS,
            |c: Contact| {
                if c.in_any(&query.categories) {
                    out.push(c);
                }
            },
        )
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
