//! Paddle Billing webhooks: `Paddle-Signature: ts=…;h1=…` is HMAC-SHA256 over `ts:rawbody`
//! with the endpoint's secret; several `h1` may come during Paddle's secret rotation, and
//! several secrets may be configured during ours. Deliveries older than the tolerance are
//! refused (replay). Each event maps to what it asks for (`decide`); the seat rules apply it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Config;
use crate::store::{Purchase, Source, Status};

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

/// A month: how long a purchase recorded without a billing period licenses (the next
/// renewal event moves the end). Every license has an end.
pub const UNDATED_TERM_MS: i64 = 31 * 86_400_000;

/// What a Paddle event asks for.
#[derive(Debug)]
pub enum Decision {
    /// Record this purchase (and, for a completed transaction, seat the buyer).
    Apply {
        /// The purchase.
        purchase: Purchase,
        /// Whether the buyer gets a seat.
        seat_buyer: bool,
    },
    /// A price the configuration does not name: nothing is granted.
    UnknownPrice(String),
    /// An event type that changes nothing here.
    Ignored,
}

/// A Paddle event that cannot be applied.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadEvent(pub String);

/// An event's envelope.
#[derive(Debug, serde::Deserialize)]
pub struct Event {
    /// `evt_…`, the deduplication key.
    pub event_id: String,
    /// `entity.action`.
    pub event_type: String,
    /// The entity's snapshot.
    pub data: serde_json::Value,
}

fn parse_time(v: &serde_json::Value) -> Option<i64> {
    v.as_str()?.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond())
}

/// Maps an event to what it asks for. Only a price the configuration names sells a plan.
pub fn decide(event: &Event, config: &Config, now: i64) -> Result<Decision, BadEvent> {
    let d = &event.data;
    let custom = &d["custom_data"];
    let (status, ends, external, transaction, seat_buyer) = match event.event_type.as_str() {
        "transaction.completed" => (
            Status::Active,
            parse_time(&d["billing_period"]["ends_at"]),
            d["subscription_id"].as_str().or(d["id"].as_str()),
            d["id"].as_str().map(str::to_owned),
            true,
        ),
        kind @ ("subscription.created" | "subscription.updated" | "subscription.canceled") => {
            let status = match d["status"].as_str().unwrap_or_default() {
                _ if kind == "subscription.canceled" => Status::Canceled,
                "active" | "trialing" => Status::Active,
                "canceled" => Status::Canceled,
                _ => Status::Suspended,
            };
            (status, parse_time(&d["current_billing_period"]["ends_at"]), d["id"].as_str(), None, false)
        }
        _ => return Ok(Decision::Ignored),
    };
    let price = d["items"][0]["price"]["id"].as_str().unwrap_or_default();
    let Some(plan) = config.plan_for_price(price) else {
        return Ok(Decision::UnknownPrice(price.to_owned()));
    };
    let Some(tenant) = custom["tenant_id"].as_str().filter(|t| !t.is_empty()) else {
        return Err(BadEvent("custom_data.tenant_id is required".to_owned()));
    };
    let Some(external) = external.filter(|e| !e.is_empty()) else {
        return Err(BadEvent("the event names no subscription or transaction".to_owned()));
    };
    let seats: i64 = d["items"]
        .as_array()
        .map_or(0, |items| items.iter().map(|i| i["quantity"].as_i64().unwrap_or(1).clamp(0, 100_000)).sum());
    Ok(Decision::Apply {
        purchase: Purchase {
            source: Source::Paddle,
            external_id: external.to_owned(),
            tenant_id: tenant.to_owned(),
            buyer_user_id: custom["user_id"].as_str().map(str::to_owned),
            plan,
            seats: seats.max(1),
            status,
            expires_at: ends.unwrap_or(now + UNDATED_TERM_MS),
            billing_contact: d["customer_id"].as_str().map(str::to_owned),
            transaction_id: transaction,
        },
        seat_buyer,
    })
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
