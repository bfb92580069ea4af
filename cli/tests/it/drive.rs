//! A workbook in OneDrive or SharePoint as DATA, named by its sharing URL: the item read
//! from Graph's `/shares/{id}/driveItem`, its bytes from the pre-authenticated download URL
//! with no token, then the usual reading, checks and preview.

use std::process::{Command, Output};

use localmerge_graph_sandbox::{Config, DEFAULT_USER, Sandbox, StoredFile};
use serde_json::Value;

fn sandbox() -> (Sandbox, Vec<StoredFile>) {
    let file = |name: &str, bytes: Vec<u8>| StoredFile {
        owner: DEFAULT_USER.to_owned(),
        name: name.to_owned(),
        bytes: bytes.into(),
        modified: "2026-12-01T08:00:00Z".to_owned(),
    };
    let files = vec![
        file("Customers 2026.xlsx", localmerge_testdata::contacts_xlsx(12).expect("xlsx")),
        file("scan.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec()),
    ];
    let sb = Sandbox::start(Config { files: files.clone(), ..Config::default() }).expect("sandbox");
    (sb, files)
}

fn localmerge(sb: &Sandbox, args: &[&str]) -> Output {
    crate::with_graph(sb, args)
}

#[test]
fn a_sharing_url_is_read_through_graph_then_checked_and_previewed_like_a_file() {
    let (sb, files) = sandbox();
    let url = files[0].web_url();
    let o = localmerge(&sb, &["inspect", &url]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let seen: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!((seen["format"].as_str(), seen["rows"].as_u64()), (Some("xlsx"), Some(12)), "{seen}");
    assert_eq!(seen["to"], "Email");

    let dir = tempfile::tempdir().expect("tmp");
    let body = dir.path().join("body.html");
    std::fs::write(&body, "<p>Hello {{First Name}}</p>").expect("write");
    let o = localmerge(
        &sb,
        &["preview", &url, "--subject", "Hi {{First Name}}", "--body", body.to_str().expect("utf8")],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 12);

    // Each read fetched the bytes once, from the download URL, without a token.
    let stats = sb.stats();
    assert_eq!(stats.downloads, 2);
    assert!(stats.violations.is_empty(), "{:?}", stats.violations);
}

#[test]
fn a_link_to_nothing_or_to_no_list_is_named() {
    let (sb, files) = sandbox();
    let o =
        localmerge(&sb, &["inspect", "https://sandbox-my.sharepoint.com/personal/me/Documents/gone.xlsx"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("gone.xlsx") && err.contains("(404)") && err.contains("the link has expired"),
        "{err}"
    );

    // The file is read, and what it holds is judged as a file's would be, named by the link
    // and the file's name.
    let o = localmerge(&sb, &["inspect", &files[1].web_url()]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("(scan.xlsx)") && err.contains("PDF"), "{err}");

    let o = Command::new(env!("CARGO_BIN_EXE_localmerge"))
        .args(["inspect", &files[0].web_url(), "--graph-url", &sb.url()])
        .env_remove("LOCALMERGE_GRAPH_TOKEN")
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no Microsoft Graph token"));
    assert_eq!(sb.stats().downloads, 1);
}
