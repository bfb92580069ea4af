//! The tenant's domains, for telling colleagues from external recipients (`GET
//! /organization`, allowed by User.Read). The request and the wire types are core's.

use localmerge_core::budget::{ORGANIZATION_PATH, tenant_domains};
use localmerge_core::send::{HttpRequest, Method, Target, Transport};

use crate::{GraphClient, TokenSource};

impl<T: TokenSource> GraphClient<T> {
    /// The tenant's verified domains, lower case.
    pub async fn tenant_domains(&self) -> Result<Vec<String>, String> {
        let request = HttpRequest {
            method: Method::Get,
            target: Target::Graph(ORGANIZATION_PATH.to_owned()),
            headers: Vec::new(),
            body: Vec::new(),
        };
        let answer = self.execute(request).await.map_err(|e| e.message)?;
        if answer.status != 200 {
            return Err(format!("Microsoft Graph answered {} to GET /organization", answer.status));
        }
        tenant_domains(&answer.body)
    }
}
