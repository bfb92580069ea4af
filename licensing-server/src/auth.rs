//! Access tokens from the Microsoft identity platform: RS256 signatures checked with the
//! authority's JWKS (cached; refreshed when a token names an unknown key), expiry, audience
//! and the issuer — the metadata's issuer with `{tenantid}` replaced by the token's `tid`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::Digest as _;
use tokio::sync::{Mutex, RwLock};

/// Why a token is refused; the code goes to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("missing_token")]
    Missing,
    /// Not a JWT.
    #[error("malformed_token")]
    Malformed,
    /// Not RS256 (`none`, HS256…).
    #[error("unsupported_algorithm")]
    Algorithm,
    /// The key id is not in the authority's JWKS.
    #[error("unknown_key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("bad_signature")]
    Signature,
    /// Expired (or not yet valid).
    #[error("expired")]
    Expired,
    /// For another API.
    #[error("wrong_audience")]
    Audience,
    /// From another issuer or tenant.
    #[error("wrong_issuer")]
    Issuer,
    /// `tid` or `oid` missing.
    #[error("missing_claims")]
    Claims,
    /// The authority's keys cannot be fetched.
    #[error("authority_unavailable")]
    Unavailable,
    /// The ID token's nonce is not the one sent.
    #[error("wrong_nonce")]
    Nonce,
    /// The server has no API audience configured.
    #[error("not_configured")]
    NotConfigured,
}

/// The signed-in user, from a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Tenant id.
    pub tid: String,
    /// Object id.
    pub oid: String,
    /// Display name.
    pub name: Option<String>,
    /// Address (`preferred_username` or `email`).
    pub email: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    exp: i64,
    tid: Option<String>,
    oid: Option<String>,
    iss: String,
    name: Option<String>,
    preferred_username: Option<String>,
    email: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    /// The client application (v1 tokens).
    #[serde(default)]
    appid: Option<String>,
    /// The client application (v2 tokens).
    #[serde(default)]
    azp: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Metadata {
    issuer: String,
    jwks_uri: String,
    #[serde(default)]
    authorization_endpoint: Option<String>,
    #[serde(default)]
    token_endpoint: Option<String>,
}

#[derive(Debug)]
struct Keys {
    issuer: String,
    jwks: JwkSet,
    authorize: Option<String>,
    token: Option<String>,
}

/// Checks access tokens.
#[derive(Debug)]
pub struct Verifier {
    authority: String,
    audience: Option<String>,
    keys: RwLock<Option<Keys>>,
    last_refresh: Mutex<Option<Instant>>,
    /// Tokens already verified (by SHA-256), with their expiry: a token is immutable, so a
    /// second check of the same one needs no RSA. Bounded; emptied when full.
    verified: std::sync::Mutex<HashMap<[u8; 32], (Identity, i64)>>,
    http: reqwest::Client,
}

/// The most verified tokens remembered.
const VERIFIED_CAPACITY: usize = 50_000;

/// Unknown key ids trigger at most one JWKS refresh per this interval.
const REFRESH_EVERY: Duration = Duration::from_secs(30);

impl Verifier {
    /// A verifier for tokens of `audience` from `authority`.
    pub fn new(authority: &str, audience: Option<String>) -> Verifier {
        Verifier {
            authority: authority.trim_end_matches('/').to_owned(),
            audience,
            keys: RwLock::new(None),
            last_refresh: Mutex::new(None),
            verified: std::sync::Mutex::new(HashMap::new()),
            http: crate::outbound::client(),
        }
    }

    async fn refresh(&self, force: bool) -> Result<(), AuthError> {
        let mut last = self.last_refresh.lock().await;
        if let Some(at) = *last
            && (!force || at.elapsed() < REFRESH_EVERY)
        {
            return Ok(());
        }
        let meta: Metadata =
            self.fetch(&format!("{}/.well-known/openid-configuration", self.authority)).await?;
        let jwks: JwkSet = self.fetch(&meta.jwks_uri).await?;
        *self.keys.write().await = Some(Keys {
            issuer: meta.issuer,
            jwks,
            authorize: meta.authorization_endpoint,
            token: meta.token_endpoint,
        });
        *last = Some(Instant::now());
        Ok(())
    }

    async fn fetch<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, AuthError> {
        let response = self.http.get(url).send().await.and_then(reqwest::Response::error_for_status);
        response.map_err(|_| AuthError::Unavailable)?.json().await.map_err(|_| AuthError::Unavailable)
    }

    /// Checks a token and returns who it is for.
    pub async fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        let Some(audience) = &self.audience else { return Err(AuthError::NotConfigured) };
        let digest: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
        let now = crate::now_ms() / 1000;
        if let Ok(cache) = self.verified.lock()
            && let Some((who, exp)) = cache.get(&digest)
        {
            // The same leeway as the full check.
            if now <= exp + 60 {
                return Ok(who.clone());
            }
            return Err(AuthError::Expired);
        }
        let (who, c) = self.decode(token, audience, false).await?;
        if let Ok(mut cache) = self.verified.lock() {
            if cache.len() >= VERIFIED_CAPACITY {
                cache.clear();
            }
            cache.insert(digest, (who.clone(), c.exp));
        }
        Ok(who)
    }

    /// Checks an ID token of the web sign-in: audience the client id, and the nonce sent.
    pub async fn verify_id_token(
        &self,
        token: &str,
        client_id: &str,
        nonce: &str,
    ) -> Result<Identity, AuthError> {
        let (who, claims) = self.decode(token, client_id, false).await?;
        if claims.nonce.as_deref() != Some(nonce) {
            return Err(AuthError::Nonce);
        }
        Ok(who)
    }

    /// Checks an application's token: for `audience`, issued in `tenant` to the application
    /// `app` (a v1 token's issuer, `https://sts.windows.net/{tid}/`, is accepted beside
    /// the authority's).
    pub async fn verify_app(
        &self,
        token: &str,
        audience: &str,
        tenant: &str,
        app: &str,
    ) -> Result<(), AuthError> {
        let (who, claims) = self.decode(token, audience, true).await?;
        if who.tid != tenant {
            return Err(AuthError::Issuer);
        }
        if claims.appid.as_deref().or(claims.azp.as_deref()) != Some(app) {
            return Err(AuthError::Claims);
        }
        Ok(())
    }

    /// The authority's authorization and token endpoints.
    pub async fn endpoints(&self) -> Result<(String, String), AuthError> {
        if self.keys.read().await.is_none() {
            self.refresh(false).await?;
        }
        let keys = self.keys.read().await;
        let k = keys.as_ref().ok_or(AuthError::Unavailable)?;
        match (&k.authorize, &k.token) {
            (Some(a), Some(t)) => Ok((a.clone(), t.clone())),
            _ => Err(AuthError::Unavailable),
        }
    }

    async fn decode(&self, token: &str, audience: &str, v1: bool) -> Result<(Identity, Claims), AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidAlgorithmName => AuthError::Algorithm,
            _ => AuthError::Malformed,
        })?;
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::Algorithm);
        }
        let kid = header.kid.ok_or(AuthError::UnknownKey)?;
        if self.keys.read().await.is_none() {
            self.refresh(false).await?;
        }
        let mut found = self.key(&kid).await;
        if found.is_none() {
            self.refresh(true).await?;
            found = self.key(&kid).await;
        }
        let (key, issuer) = found.ok_or(AuthError::UnknownKey)?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "aud", "iss"]);
        // A token is refused before its `nbf` as after its `exp`, with the same leeway.
        validation.validate_nbf = true;
        validation.leeway = 60;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            match e.kind() {
                K::InvalidSignature => AuthError::Signature,
                K::ExpiredSignature | K::ImmatureSignature => AuthError::Expired,
                K::InvalidAudience => AuthError::Audience,
                K::InvalidIssuer => AuthError::Issuer,
                K::InvalidAlgorithm => AuthError::Algorithm,
                K::MissingRequiredClaim(_) => AuthError::Claims,
                _ => AuthError::Malformed,
            }
        })?;
        let c = data.claims;
        let (Some(tid), Some(oid)) = (c.tid.clone(), c.oid.clone()) else { return Err(AuthError::Claims) };
        let v1_issuer = v1 && c.iss == format!("https://sts.windows.net/{tid}/");
        if c.iss != issuer.replace("{tenantid}", &tid) && !v1_issuer {
            return Err(AuthError::Issuer);
        }
        let who = Identity {
            tid,
            oid,
            name: c.name.clone(),
            email: c.preferred_username.clone().or(c.email.clone()),
        };
        Ok((who, c))
    }

    async fn key(&self, kid: &str) -> Option<(DecodingKey, String)> {
        let keys = self.keys.read().await;
        let keys = keys.as_ref()?;
        let jwk = keys.jwks.find(kid)?;
        Some((DecodingKey::from_jwk(jwk).ok()?, keys.issuer.clone()))
    }
}
