//! `localmerge login`: a Graph access token for your own mailbox, through the OAuth 2.0
//! device-code flow (RFC 8628) of the Microsoft identity platform.

use std::io::Write as _;
use std::time::Duration;

use anyhow::Context as _;
use oauth2::basic::BasicClient;
use oauth2::{
    ClientId, DeviceAuthorizationUrl, Scope, StandardDeviceAuthorizationResponse, TokenResponse, TokenUrl,
};

/// The delegated permissions a campaign needs (the shared ones only when asked for).
const SCOPES: &[&str] = &["offline_access", "User.Read", "Mail.ReadWrite", "Mail.Send"];
const SHARED_SCOPES: &[&str] = &["Mail.ReadWrite.Shared", "Mail.Send.Shared"];

/// The permissions to ask for: a campaign's, plus the shared mailboxes', the contacts' and
/// the files' only when asked for.
fn scopes(shared: bool, contacts: bool, files: bool) -> Vec<&'static str> {
    let mut all = SCOPES.to_vec();
    if shared {
        all.extend_from_slice(SHARED_SCOPES);
    }
    if contacts {
        all.push("Contacts.Read");
        if shared {
            all.push("Contacts.Read.Shared");
        }
    }
    if files {
        // Read-only, and every drive the user can open: a sharing link or a search result is
        // often another user's file.
        all.push("Files.Read.All");
    }
    all
}

#[derive(Debug)]
pub struct LoginOptions {
    /// The application (client) id registered in Entra ID.
    pub client_id: String,
    /// `https://login.microsoftonline.com/{tenant}/oauth2/v2.0`.
    pub authority: String,
    /// Also ask for the shared-mailbox permissions.
    pub shared: bool,
    /// Also ask to read contacts (with `shared`, shared mailboxes' too).
    pub contacts: bool,
    /// Also ask to read OneDrive and SharePoint files.
    pub files: bool,
}

/// A failed exchange with the identity platform.
#[derive(Debug)]
pub struct HttpError(String);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

/// Runs the flow: prints where to sign in on stderr, and the access token on stdout
/// (`export LOCALMERGE_GRAPH_TOKEN=$(localmerge login …)`).
pub fn run(opts: &LoginOptions) -> anyhow::Result<u8> {
    let base = opts.authority.trim_end_matches('/');
    let client = BasicClient::new(ClientId::new(opts.client_id.clone()))
        .set_device_authorization_url(
            DeviceAuthorizationUrl::new(format!("{base}/devicecode")).context("the authority URL")?,
        )
        .set_token_uri(TokenUrl::new(format!("{base}/token")).context("the authority URL")?);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .context("HTTP client")?;
    let call = |request: oauth2::HttpRequest| {
        let http = http.clone();
        async move {
            let (parts, body) = request.into_parts();
            let mut builder = http.request(parts.method, parts.uri.to_string()).body(body);
            for (k, v) in &parts.headers {
                builder = builder.header(k, v);
            }
            let response = builder.send().await.map_err(|e| HttpError(e.to_string()))?;
            let mut out = oauth2::http::Response::builder().status(response.status());
            for (k, v) in response.headers() {
                out = out.header(k, v);
            }
            let body = response.bytes().await.map_err(|e| HttpError(e.to_string()))?;
            out.body(body.to_vec()).map_err(|e| HttpError(e.to_string()))
        }
    };
    let scopes = scopes(opts.shared, opts.contacts, opts.files).into_iter().map(|s| Scope::new(s.to_owned()));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let token = runtime.block_on(async {
        let details: StandardDeviceAuthorizationResponse = client
            .exchange_device_code()
            .add_scopes(scopes)
            .request_async(&call)
            .await
            .map_err(|e| anyhow::anyhow!("{base}/devicecode: {e}"))?;
        let mut err = std::io::stderr().lock();
        writeln!(
            err,
            "To sign in, open {} and enter the code {}",
            details.verification_uri().as_str(),
            details.user_code().secret()
        )?;
        drop(err);
        client
            .exchange_device_access_token(&details)
            .request_async(&call, tokio::time::sleep, None)
            .await
            .map_err(|e| anyhow::anyhow!("{base}/token: {e}"))
    })?;
    println!("{}", token.access_token().secret());
    Ok(crate::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_files_and_shared_mailboxes_are_asked_for_only_when_used() {
        assert_eq!(scopes(false, false, false), SCOPES);
        assert!(!scopes(true, false, false).iter().any(|s| s.starts_with("Contacts.")));
        assert_eq!(scopes(false, true, false).last(), Some(&"Contacts.Read"));
        assert_eq!(scopes(false, false, true).last(), Some(&"Files.Read.All"));
        assert!(!scopes(true, true, false).iter().any(|s| s.starts_with("Files.")));
        let both = scopes(true, true, false);
        assert!(
            both.contains(&"Contacts.Read")
                && both.contains(&"Contacts.Read.Shared")
                && both.contains(&"Mail.Send.Shared")
        );
    }
}
