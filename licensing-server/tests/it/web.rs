//! The web sign-in and its pages.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::harness::*;
use crate::oidc::{CLIENT_ID, CLIENT_SECRET};

pub(crate) fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

pub(crate) fn cookie_of(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

async fn web_server() -> Server {
    web_server_on(Db::Sqlite, |_| {}).await
}

/// A server with the web sign-in configured, on `db`.
pub(crate) async fn web_server_on(
    db: Db,
    edit: impl FnOnce(&mut localmerge_licensing_server::Config),
) -> Server {
    let base = idp().await.base.clone();
    server_with(db, |c| {
        c.client_id = Some(CLIENT_ID.to_owned());
        c.client_secret = Some(CLIENT_SECRET.to_owned());
        c.public_url = Some("https://licensing.example".to_owned());
        c.graph_url = format!("{base}/graph/v1.0");
        c.paddle_client_token = Some("test_client_token".to_owned());
        c.paddle_checkout_price = Some("pri_pro".to_owned());
        edit(c);
    })
    .await
}

/// Signs in through the identity provider as `hint` (`tid:oid[:badnonce]`); returns the
/// callback's answer.
pub(crate) async fn sign_in(
    s: &Server,
    hint: &str,
    directory: bool,
    tamper_state: bool,
) -> reqwest::Response {
    let http = no_redirects();
    let login = http
        .get(format!("{}/login{}", s.base, if directory { "?directory=1" } else { "" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 303);
    let pending = cookie_of(&login, "lm_login").expect("login cookie");
    for flag in ["HttpOnly", "Secure", "SameSite=Lax"] {
        assert!(pending.contains(flag), "{pending}");
    }
    let authorize = login.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(authorize.contains("code_challenge_method=S256") && authorize.contains("nonce="), "{authorize}");
    assert_eq!(authorize.contains("User.ReadBasic.All"), directory, "{authorize}");
    let back = http.get(format!("{authorize}&login_hint={hint}")).send().await.unwrap();
    assert_eq!(back.status().as_u16(), 303, "{authorize}");
    let mut callback =
        back.headers()[LOCATION].to_str().unwrap().replace("https://licensing.example", &s.base);
    if tamper_state {
        callback = callback.replace("state=", "state=x");
    }
    let jar = pending.split(';').next().unwrap().to_owned();
    http.get(callback).header(COOKIE, jar).send().await.unwrap()
}

pub(crate) async fn page(s: &Server, path: &str, session: &str) -> String {
    no_redirects()
        .get(format!("{}{path}", s.base))
        .header(COOKIE, session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub(crate) fn session_of(resp: &reqwest::Response) -> String {
    let c = cookie_of(resp, "lm_session").expect("session cookie");
    assert!(c.contains("HttpOnly") && c.contains("Secure") && c.contains("SameSite=Lax"), "{c}");
    c.split(';').next().unwrap().to_owned()
}

pub(crate) fn csrf(html: &str) -> String {
    html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_with_pkce_state_and_nonce_then_the_account_page() {
    let s = web_server().await;
    let r = sign_in(&s, "tw:alice", false, false).await;
    assert_eq!(r.status().as_u16(), 303, "{:?}", r.text().await);
    let session = session_of(&r);
    let html = page(&s, "/account", &session).await;
    // Name and address are refreshed from Graph at sign-in.
    assert!(html.contains("Fresh Name alice") && html.contains("alice@fresh.example"), "{html}");
    assert!(html.contains("Free plan") && html.contains("data-tenant=\"tw\""), "{html}");
    // The checkout carries who buys, for the purchase webhook, in data attributes a script
    // file reads: the pages run no inline script.
    assert!(
        html.contains(r#"data-user="alice""#)
            && html.contains(r#"data-price="pri_pro""#)
            && html.contains(r#"<script src="/static/checkout.js" defer>"#)
            && !html.contains("<script>"),
        "{html}"
    );

    // The stored Graph token is encrypted.
    let db = s._dir.as_ref().unwrap().path().join("licensing.db");
    let bytes = [std::fs::read(&db).unwrap(), std::fs::read(db.with_extension("db-wal")).unwrap_or_default()]
        .concat();
    assert!(!bytes.windows(12).any(|w| w == b"graph:tw:ali"), "the access token is stored in the clear");

    // State and nonce are checked.
    assert_eq!(sign_in(&s, "tw:alice", false, true).await.status().as_u16(), 400);
    let forged = sign_in(&s, "tw:alice:badnonce", false, false).await;
    assert_eq!(forged.status().as_u16(), 400);
    assert!(forged.text().await.unwrap().contains("wrong_nonce"));

    // Export and deletion from the page.
    let export = page(&s, "/account/export", &session).await;
    assert!(export.contains("alice@fresh.example"), "{export}");
    let http = no_redirects();
    let r = http
        .post(format!("{}/account/delete", s.base))
        .header(COOKIE, &session)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403, "a form from elsewhere is refused");
    let token = csrf(&html);
    let r = http
        .post(format!("{}/account/delete", s.base))
        .header(COOKIE, &session)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // The session ended with the account: the old cookie opens nothing.
    let r = http.get(format!("{}/account/export", s.base)).header(COOKIE, &session).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(!r.text().await.unwrap().contains("alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_find_people_in_their_directory_and_give_them_seats() {
    let s = web_server().await;
    s.buy("evt_web", "tw2", "boss", 3).await;
    let session = session_of(&sign_in(&s, "tw2:boss", false, false).await);
    // Without the directory permission: a link asks for it, nothing else.
    let html = page(&s, "/admin?q=ada", &session).await;
    assert!(html.contains("/login?directory=1") && !html.contains("Ada Lovelace"), "{html}");
    let session = session_of(&sign_in(&s, "tw2:boss", true, false).await);
    let html = page(&s, "/admin?q=lovelace", &session).await;
    assert!(html.contains("Give Ada Lovelace a seat"), "{html}");
    // Search terms and results are not stored.
    let db = s._dir.as_ref().unwrap().path().join("licensing.db");
    let bytes = [std::fs::read(&db).unwrap(), std::fs::read(db.with_extension("db-wal")).unwrap_or_default()]
        .concat();
    assert!(!bytes.windows(8).any(|w| w == b"Lovelace"));
    let form = html.split("action=\"/admin/assign\"").nth(1).unwrap();
    let field = |name: &str| {
        form.split(&format!("name=\"{name}\" value=\"")).nth(1).unwrap().split('"').next().unwrap().to_owned()
    };
    let fields = [
        ("csrf", field("csrf")),
        ("subscription", field("subscription")),
        ("user_id", field("user_id")),
        ("name", field("name")),
        ("email", field("email")),
    ];
    let r = no_redirects()
        .post(format!("{}/admin/assign", s.base))
        .header(COOKIE, &session)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(s.check(&token("tw2", "u-ada").await).await.1["licensed"], true);
    let html = page(&s, "/admin", &session).await;
    assert!(html.contains("2 of 3 seats used") && html.contains("ada@contoso.example"), "{html}");
    // Someone else of the tenant, signed in, cannot change seats: with the admin's form
    // token the form is refused (the token belongs to another session), with their own the
    // subscription is not found, as one that does not exist.
    let other = session_of(&sign_in(&s, "tw2:intruder", false, false).await);
    let url = format!("{}/admin/unassign", s.base);
    let post = |session: String, fields: Vec<(&'static str, String)>| {
        let url = url.clone();
        async move {
            no_redirects()
                .post(url)
                .header(COOKIE, session)
                .form(&fields)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let theirs = vec![
        ("csrf", field("csrf")),
        ("subscription", field("subscription")),
        ("user_id", "u-ada".to_owned()),
    ];
    assert_eq!(post(other.clone(), theirs).await, 403);
    let own = csrf(&page(&s, "/admin", &other).await);
    let not_yours =
        vec![("csrf", own.clone()), ("subscription", field("subscription")), ("user_id", "u-ada".to_owned())];
    let absent = vec![("csrf", own), ("subscription", "0".repeat(32)), ("user_id", "u-ada".to_owned())];
    assert_eq!(post(other.clone(), not_yours).await, 404);
    assert_eq!(post(other, absent).await, 404);
    assert_eq!(s.check(&token("tw2", "u-ada").await).await.1["licensed"], true);
}
