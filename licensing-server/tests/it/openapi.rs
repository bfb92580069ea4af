//! `GET /openapi.json` describes the API; schemathesis, run against it with a real token,
//! finds no server error and no answer outside the description.

use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_schema_violation() {
    let st = ["st", "schemathesis"]
        .into_iter()
        .find(|c| std::process::Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()));
    let Some(st) = st else {
        assert!(std::env::var_os("CI").is_none(), "CI installs schemathesis (pip install schemathesis)");
        eprintln!("skipped: schemathesis is not installed (pip install schemathesis)");
        return;
    };
    let base = idp().await.base.clone();
    let s = server_with(Db::Sqlite, |c| {
        c.client_id = Some(crate::oidc::CLIENT_ID.to_owned());
        c.client_secret = Some(crate::oidc::CLIENT_SECRET.to_owned());
        c.marketplace_url = format!("{base}/mkt/api");
        c.marketplace_token_url = Some(format!("{base}/common/oauth2/v2.0/token"));
        c.marketplace_tenant_id = Some("publisher-tenant".to_owned());
    })
    .await;
    s.buy("evt_st", "tst", "buyer", 5).await;
    let token = token("tst", "buyer").await;
    let (status, spec) = s.call(reqwest::Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(spec["openapi"], "3.1.0");
    let url = format!("{}/openapi.json", s.base);
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(st)
            .args(["run", &url, "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"])
            .args(["-H", &format!("Authorization: Bearer {token}"), "-n", "40", "--seed", "7", "--generation-deterministic"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
}
