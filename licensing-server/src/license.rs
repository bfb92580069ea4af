//! License statements: compact JWS (RFC 7515) signed with EdDSA/Ed25519 (RFC 8037), that
//! the add-in verifies offline with the keys of `GET /v1/license/public-key`.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use sha2::Digest;

/// The claims of a license statement.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct LicenseClaims {
    /// `<tid>/<oid>`.
    pub sub: String,
    /// The plan.
    pub plan: String,
    /// Issued at (seconds).
    pub iat: i64,
    /// Expires (seconds).
    pub exp: i64,
}

struct Key {
    seed: [u8; 32],
    kid: String,
    public: [u8; 32],
    encoding: EncodingKey,
}

/// The signing keys: the first signs, all are published.
pub struct Signer {
    keys: Vec<Key>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("kids", &self.keys.iter().map(|k| &k.kid).collect::<Vec<_>>()).finish()
    }
}

fn key(seed: [u8; 32]) -> anyhow::Result<Key> {
    let signing = SigningKey::from_bytes(&seed);
    let public = signing.verifying_key().to_bytes();
    let der = signing.to_pkcs8_der().map_err(|e| anyhow::anyhow!("signing key: {e}"))?;
    let digest = sha2::Sha256::digest(public);
    Ok(Key {
        seed,
        kid: URL_SAFE_NO_PAD.encode(&digest[..12]),
        public,
        encoding: EncodingKey::from_ed_der(der.as_bytes()),
    })
}

fn seed(text: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = STANDARD.decode(text.trim()).map_err(|e| anyhow::anyhow!("signing key: not base64 ({e})"))?;
    bytes.try_into().map_err(|_| anyhow::anyhow!("signing key: expected 32 bytes"))
}

impl Signer {
    /// From `LICENSING_SIGNING_KEY` (base64 seeds, comma-separated), or else from the key
    /// file beside the database, generated on first start.
    pub fn load(configured: Option<&str>, key_file: Option<&Path>) -> anyhow::Result<Signer> {
        let seeds: Vec<[u8; 32]> = match (configured, key_file) {
            (Some(text), _) => {
                text.split(',').filter(|s| !s.trim().is_empty()).map(seed).collect::<Result<_, _>>()?
            }
            (None, Some(path)) => match std::fs::read_to_string(path) {
                Ok(text) => vec![seed(&text)?],
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let fresh = SigningKey::generate(&mut rand::rngs::OsRng).to_bytes();
                    write_private(path, &STANDARD.encode(fresh))?;
                    tracing::info!(path = %path.display(), "generated a license signing key");
                    vec![fresh]
                }
                Err(e) => return Err(anyhow::anyhow!("{}: {e}", path.display())),
            },
            (None, None) => {
                anyhow::bail!("set LICENSING_SIGNING_KEY: with PostgreSQL every replica needs the same key")
            }
        };
        if seeds.is_empty() {
            anyhow::bail!("LICENSING_SIGNING_KEY holds no key");
        }
        Ok(Signer { keys: seeds.into_iter().map(key).collect::<Result<_, _>>()? })
    }

    /// Signs a statement.
    pub fn sign(&self, claims: &LicenseClaims) -> Result<String, jsonwebtoken::errors::Error> {
        let k = &self.keys[0];
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(k.kid.clone());
        jsonwebtoken::encode(&header, claims, &k.encoding)
    }

    /// A secret for `label` derived from the signing key (every replica has the same one):
    /// the session cookies' MAC key, and the token key when `LICENSING_TOKEN_KEY` is unset.
    pub fn secret(&self, label: &[u8]) -> [u8; 32] {
        let mut h = sha2::Sha256::new();
        h.update(b"localmerge-licensing/");
        h.update(label);
        h.update(self.keys[0].seed);
        h.finalize().into()
    }

    /// The public keys as a JWK Set.
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<_> = self
            .keys
            .iter()
            .map(|k| {
                serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(k.public),
                    "kid": k.kid, "alg": "EdDSA", "use": "sig",
                })
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}
