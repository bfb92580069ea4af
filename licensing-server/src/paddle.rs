//! Paddle Billing webhooks: `Paddle-Signature: ts=…;h1=…` is HMAC-SHA256 over `ts:rawbody`
//! with the endpoint's secret; several `h1` may come during Paddle's secret rotation, and
//! several secrets may be configured during ours. Deliveries older than the tolerance are
//! refused (replay).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The tolerance on the signature's timestamp, in seconds.
pub const TOLERANCE_SECS: i64 = 5;

/// Why a signature is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No or unreadable header.
    #[error("malformed_signature")]
    Malformed,
    /// The timestamp is outside the tolerance.
    #[error("stale_signature")]
    Stale,
    /// No `h1` matches.
    #[error("bad_signature")]
    Mismatch,
}

/// Checks a delivery against the secrets at time `now` (seconds).
pub fn verify(header: Option<&str>, body: &[u8], secrets: &[&str], now: i64) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Malformed)?;
    let mut ts = None;
    let mut h1 = Vec::new();
    for part in header.split(';') {
        match part.trim().split_once('=') {
            Some(("ts", v)) => ts = v.parse::<i64>().ok(),
            Some(("h1", v)) => h1.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
            _ => {}
        }
    }
    let ts = ts.ok_or(SignatureError::Malformed)?;
    if h1.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - ts).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    for secret in secrets {
        for sig in &h1 {
            let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { continue };
            mac.update(ts.to_string().as_bytes());
            mac.update(b":");
            mac.update(body);
            if mac.verify_slice(sig).is_ok() {
                return Ok(());
            }
        }
    }
    Err(SignatureError::Mismatch)
}

/// Signs like Paddle (for tests and local tools).
pub fn sign(secret: &str, ts: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length: the error case cannot happen.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return String::new() };
    mac.update(ts.to_string().as_bytes());
    mac.update(b":");
    mac.update(body);
    format!("ts={ts};h1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_rotate_and_expire() {
        let body = br#"{"event_id":"evt_1"}"#;
        let h = sign("s1", 1000, body);
        assert_eq!(verify(Some(&h), body, &["s1"], 1003), Ok(()));
        assert_eq!(verify(Some(&h), body, &["old", "s1"], 1000), Ok(()), "our rotation");
        let both = format!("{};h1={}", h, sign("s2", 1000, body).split("h1=").nth(1).unwrap());
        assert_eq!(verify(Some(&both), body, &["s2"], 1000), Ok(()), "Paddle's rotation");
        assert_eq!(
            verify(Some(&h), b"{\"event_id\":\"evt_2\"}", &["s1"], 1000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify(Some(&h), body, &["s1"], 1006), Err(SignatureError::Stale));
        assert_eq!(verify(Some("ts=1000"), body, &["s1"], 1000), Err(SignatureError::Malformed));
        assert_eq!(verify(None, body, &["s1"], 1000), Err(SignatureError::Malformed));
    }
}
