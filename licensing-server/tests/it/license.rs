//! `POST /v1/license/check`: tokens, and the signed statement.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use localmerge_licensing_server::license::LicenseClaims;
use serde_json::json;

use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_refused_with_a_reason() {
    for db in backends() {
        let s = server(db).await;
        let (status, v) = s.call(reqwest::Method::POST, "/v1/license/check", None, None).await;
        assert_eq!((status, v["error"].as_str()), (401, Some("missing_token")), "{db:?}");
        let cases: Vec<(String, &str)> = vec![
            ("not.a.jwt".to_owned(), "malformed_token"),
            (token_with("t1", "u1", |t| t.key = "other.pem").await, "bad_signature"),
            (token_with("t1", "u1", |t| t.header.kid = Some("k9".to_owned())).await, "unknown_key"),
            (token_with("t1", "u1", |t| t.claims["exp"] = json!(1_000_000)).await, "expired"),
            // Not valid before an hour from now (beyond the minute of leeway).
            (
                token_with("t1", "u1", |t| {
                    t.claims["nbf"] = json!(t.claims["iat"].as_i64().unwrap() + 3600);
                })
                .await,
                "expired",
            ),
            (
                token_with("t1", "u1", |t| t.claims["aud"] = json!("api://someone-else")).await,
                "wrong_audience",
            ),
            (
                token_with("t1", "u1", |t| {
                    t.claims["iss"] = json!(t.claims["iss"].as_str().unwrap().replace("/t1/", "/t2/"));
                })
                .await,
                "wrong_issuer",
            ),
            (
                token_with("t1", "u1", |t| t.claims["iss"] = json!("https://evil.example/t1/v2.0")).await,
                "wrong_issuer",
            ),
            (
                token_with("t1", "u1", |t| {
                    t.claims.as_object_mut().unwrap().remove("oid").map(drop).unwrap_or(())
                })
                .await,
                "missing_claims",
            ),
        ];
        for (token, code) in cases {
            let (status, v) = s.check(&token).await;
            assert_eq!((status, v["error"].as_str()), (401, Some(code)), "{db:?}: {code}");
        }
        // alg "none" and a symmetric algorithm, forged by hand.
        let b64 =
            |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let valid = token("t1", "u1").await;
        let payload = valid.split('.').nth(1).unwrap();
        let none = format!("{}.{payload}.", b64(json!({"alg": "none", "typ": "JWT", "kid": "k1"})));
        let hs = jsonwebtoken::encode(
            &jsonwebtoken::Header {
                kid: Some("k1".to_owned()),
                ..jsonwebtoken::Header::new(Algorithm::HS256)
            },
            &serde_json::from_slice::<serde_json::Value>(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap(),
            )
            .unwrap(),
            &jsonwebtoken::EncodingKey::from_secret(b"the public key as an HMAC secret"),
        )
        .unwrap();
        for forged in [none, hs] {
            let (status, v) = s.check(&forged).await;
            assert_eq!(status, 401, "{db:?}: {v}");
            assert!(matches!(v["error"].as_str(), Some("unsupported_algorithm" | "malformed_token")), "{v}");
        }
        let (status, v) = s.check(&valid).await;
        assert_eq!(status, 200, "{db:?}: {v}");
        assert_eq!((v["licensed"].as_bool(), v["plan"].as_str()), (Some(false), Some("free")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purchase_licenses_the_buyer_with_an_offline_verifiable_statement() {
    for db in backends() {
        let s = server(db).await;
        let buyer = token("tenant-a", "buyer-1").await;
        assert_eq!(s.check(&buyer).await.1["licensed"], false);
        let (status, v) = s.buy("evt_1", "tenant-a", "buyer-1", 3).await;
        assert_eq!(status, 200, "{db:?}: {v}");
        let (status, v) = s.check(&buyer).await;
        assert_eq!(status, 200);
        assert_eq!((v["licensed"].as_bool(), v["plan"].as_str()), (Some(true), Some("pro")), "{db:?}: {v}");
        assert_eq!(v["expires_at"].as_str(), Some("2099-11-24T00:00:00Z"));
        // The statement verifies with the published keys alone.
        let (_, jwks) = s.call(reqwest::Method::GET, "/v1/license/public-key", None, None).await;
        let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks).unwrap();
        let license = v["license"].as_str().unwrap();
        let kid = jsonwebtoken::decode_header(license).unwrap().kid.unwrap();
        let key = DecodingKey::from_jwk(jwks.find(&kid).expect("kid published")).unwrap();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_aud = false;
        let claims = jsonwebtoken::decode::<LicenseClaims>(license, &key, &validation).unwrap().claims;
        assert_eq!((claims.sub.as_str(), claims.plan.as_str()), ("tenant-a/buyer-1", "pro"));
        assert_eq!(claims.exp - claims.iat, 7 * 86_400);
        // A tampered statement does not verify.
        let mut parts: Vec<&str> = license.split('.').collect();
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
            json!({ "sub": "tenant-a/buyer-1", "plan": "enterprise", "iat": claims.iat, "exp": claims.exp })
                .to_string(),
        );
        parts[1] = &forged;
        assert!(jsonwebtoken::decode::<LicenseClaims>(&parts.join("."), &key, &validation).is_err());

        // The same address in another user's token borrows nothing.
        let impostor = token_with("tenant-a", "someone-else", |t| {
            t.claims["preferred_username"] = json!("buyer-1@tenant-a.example");
        })
        .await;
        assert_eq!(s.check(&impostor).await.1["licensed"], false, "{db:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_user_rate_limits_answer_429_with_retry_after() {
    let s = server_with(Db::Sqlite, |c| c.rate_per_user = 3).await;
    let t = token("t1", "busy").await;
    for _ in 0..3 {
        assert_eq!(s.check(&t).await.0, 200);
    }
    let resp = s.http.post(format!("{}/v1/license/check", s.base)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert!(resp.headers().get("retry-after").is_some());
    // Another user is not affected.
    assert_eq!(s.check(&token("t1", "calm").await).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_api_audience_checks_say_what_is_missing() {
    let s = server_with(Db::Sqlite, |c| c.api_audience = None).await;
    let (status, v) = s.check(&token("t1", "u1").await).await;
    assert_eq!((status, v["error"].as_str()), (503, Some("not_configured")), "{v}");
    assert!(v["message"].as_str().unwrap().contains("LICENSING_API_AUDIENCE"));
}
