//! Outlook contacts as Graph serves them: `GET …/contacts`, `GET …/contactFolders` and
//! `GET …/contactFolders/{id}/contacts`, on the user's own mailbox or a shared one, paged
//! with `$top` (Graph's default page is 10) and `@odata.nextLink` (`$skip`).

use std::collections::HashMap;

use serde_json::json;

use crate::Contact;
use crate::graph::{Reply, page};

/// The folders of a mailbox, in the order their contacts were configured; each id is
/// `folder-N`.
fn folders<'a>(contacts: &'a [Contact], mailbox: &str) -> Vec<&'a str> {
    let mut names: Vec<&str> = Vec::new();
    for c in contacts.iter().filter(|c| c.mailbox.eq_ignore_ascii_case(mailbox)) {
        if let Some(f) = c.folder.as_deref()
            && !names.contains(&f)
        {
            names.push(f);
        }
    }
    names
}

/// The answer to a contacts request on `mailbox`, or `None` when `rest` is not one.
pub(crate) fn answer(
    contacts: &[Contact],
    max_page: usize,
    mailbox: &str,
    rest: &[&str],
    query: &HashMap<String, String>,
    url: &str,
) -> Option<Reply> {
    let mine = || contacts.iter().filter(|c| c.mailbox.eq_ignore_ascii_case(mailbox));
    Some(match rest {
        // The default Contacts folder's, as Graph lists them (not its subfolders').
        ["contacts"] => page(
            mine().filter(|c| c.folder.is_none()).map(|c| c.resource.clone()).collect(),
            query,
            max_page,
            url,
        ),
        ["contactFolders"] => {
            let list = folders(contacts, mailbox)
                .iter()
                .enumerate()
                .map(|(i, name)| json!({ "id": format!("folder-{i}"), "displayName": name }))
                .collect();
            page(list, query, max_page, url)
        }
        ["contactFolders", id, "contacts"] => {
            let names = folders(contacts, mailbox);
            let Some(name) =
                id.strip_prefix("folder-").and_then(|i| i.parse::<usize>().ok()).and_then(|i| names.get(i))
            else {
                return Some(Reply::error(
                    404,
                    "ErrorItemNotFound",
                    "The specified object was not found in the store.",
                ));
            };
            let list =
                mine().filter(|c| c.folder.as_deref() == Some(*name)).map(|c| c.resource.clone()).collect();
            page(list, query, max_page, url)
        }
        _ => return None,
    })
}
