//! The admin's directory search through Microsoft Graph with their own token, kept
//! encrypted at rest. Search terms and results are never stored.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::Deserialize;

use crate::app::AppState;

fn token_cipher(state: &AppState) -> Option<XChaCha20Poly1305> {
    let key = match &state.config.token_key {
        Some(k) => {
            base64::engine::general_purpose::STANDARD.decode(k.trim()).ok().filter(|k| k.len() == 32)?
        }
        None => state.signer.secret(b"token-key").to_vec(),
    };
    XChaCha20Poly1305::new_from_slice(&key).ok()
}

/// Encrypts an access token for storage (XChaCha20-Poly1305, a random nonce per token).
pub fn seal(state: &AppState, plain: &str) -> Option<String> {
    let cipher = token_cipher(state)?;
    let nonce: [u8; 24] = rand::random();
    let mut out = nonce.to_vec();
    out.extend(cipher.encrypt(XNonce::from_slice(&nonce), plain.as_bytes()).ok()?);
    Some(URL_SAFE_NO_PAD.encode(out))
}

fn unseal(state: &AppState, sealed: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
    let (nonce, data) = bytes.split_at_checked(24)?;
    String::from_utf8(token_cipher(state)?.decrypt(XNonce::from_slice(nonce), data).ok()?).ok()
}

/// A person found.
#[derive(Debug, Deserialize)]
pub struct GraphUser {
    /// The object id.
    pub id: String,
    /// The name.
    #[serde(rename = "displayName")]
    pub display_name: Option<String>,
    /// The address.
    pub mail: Option<String>,
    /// The sign-in name (the address when `mail` is empty).
    #[serde(rename = "userPrincipalName")]
    pub upn: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GraphUsers {
    value: Vec<GraphUser>,
}

/// Why a search found nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchError {
    /// The admin has not consented to reading their directory (or the token expired).
    Consent,
    /// Graph or the store failed.
    Failed,
}

/// Searches the admin's directory by name or address, ten people at most.
pub async fn search(state: &AppState, tid: &str, oid: &str, q: &str) -> Result<Vec<GraphUser>, SearchError> {
    let sealed = state.store.graph_token(tid, oid, crate::now_ms()).await.map_err(|_| SearchError::Failed)?;
    let Some(token) = sealed.and_then(|t| unseal(state, &t)) else { return Err(SearchError::Consent) };
    let term: String = q.chars().filter(|c| *c != '"' && *c != '\\' && !c.is_control()).take(100).collect();
    let search = format!("\"displayName:{term}\" OR \"mail:{term}\"");
    let enc =
        |v: &str| percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string();
    let url = format!(
        "{}/users?$search={}&$select=id,displayName,mail,userPrincipalName&$top=10",
        state.config.graph_url.trim_end_matches('/'),
        enc(&search)
    );
    let r = state
        .http
        .get(url)
        .header("ConsistencyLevel", "eventual")
        .bearer_auth(token)
        .send()
        .await
        .map_err(|_| SearchError::Failed)?;
    match r.status().as_u16() {
        200 => r.json::<GraphUsers>().await.map(|u| u.value).map_err(|_| SearchError::Failed),
        401 | 403 => Err(SearchError::Consent),
        _ => Err(SearchError::Failed),
    }
}
