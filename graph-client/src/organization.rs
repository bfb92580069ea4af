//! Who the user is, with User.Read: the tenant's domains, for telling colleagues from
//! external recipients (`GET /organization`), and the mailbox's address (`GET /me`). The
//! requests and the wire types are core's.

use localmerge_core::budget::{ORGANIZATION_PATH, tenant_domains};
use localmerge_core::graph::{ME_PATH, me_address};
use localmerge_core::send::{HttpRequest, Method, Target, Transport};

use crate::{GraphClient, TokenSource};

impl<T: TokenSource> GraphClient<T> {
    /// The tenant's verified domains, lower case.
    pub async fn tenant_domains(&self) -> Result<Vec<String>, String> {
        tenant_domains(&self.get_ok(ORGANIZATION_PATH).await?)
    }

    /// The signed-in user's address.
    pub async fn me_address(&self) -> Result<String, String> {
        me_address(&self.get_ok(ME_PATH).await?)
    }

    /// `GET path`'s body when Graph answers 200.
    async fn get_ok(&self, path: &str) -> Result<Vec<u8>, String> {
        let request = HttpRequest {
            method: Method::Get,
            target: Target::Graph(path.to_owned()),
            headers: Vec::new(),
            body: Vec::new(),
        };
        let answer = self.execute(request).await.map_err(|e| e.message)?;
        if answer.status != 200 {
            let what = path.split('?').next().unwrap_or(path);
            return Err(format!("Microsoft Graph answered {} to GET {what}", answer.status));
        }
        Ok(answer.body)
    }
}
