//! OneDrive files against the Graph sandbox: search lists spreadsheets only, an item comes
//! with its download URL, the bytes come from it without a token, and what Graph refuses is
//! said with its status.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use localmerge_graph_client::{DriveError, Failures, FixedToken, GraphClient};
use localmerge_graph_sandbox::{Config, DEFAULT_TOKEN, DEFAULT_USER, Sandbox, StoredFile};

fn file(owner: &str, name: &str, bytes: &[u8]) -> StoredFile {
    StoredFile {
        owner: owner.to_owned(),
        name: name.to_owned(),
        bytes: bytes.into(),
        modified: "2026-12-01T08:00:00Z".to_owned(),
    }
}

#[tokio::test]
async fn search_then_download_from_the_link_graph_gives() {
    let files = vec![
        file(DEFAULT_USER, "Invoices Q4.xlsx", b"PK-invoices"),
        file(DEFAULT_USER, "Invoices.pdf", b"%PDF"),
        file(DEFAULT_USER, "o'brien invoices.csv", b"Email\na@b.c\n"),
        file("other@sandbox.localmerge.test", "Invoices (theirs).xlsx", b"PK-theirs"),
    ];
    let sandbox = Sandbox::start(Config { files: files.clone(), ..Config::default() }).unwrap();
    let graph = GraphClient::new(
        reqwest::Client::new(),
        &sandbox.url(),
        FixedToken(DEFAULT_TOKEN.to_owned()),
        Failures::Distinguished,
    );
    let found = graph.search_drive("invoices").await.unwrap();
    let names: Vec<&str> = found.iter().map(|f| f.name.as_str()).collect();
    // Spreadsheets of the user's drive; the PDF is left out, the other user's is not theirs.
    assert_eq!(names, ["Invoices Q4.xlsx", "o'brien invoices.csv"]);
    assert_eq!(graph.search_drive("O'Brien").await.unwrap().len(), 1, "a quote in the text");

    let item = graph.drive_item(&found[0].drive_id, &found[0].item_id).await.unwrap();
    assert_eq!(item.size, Some(11));
    assert_eq!(graph.download(&item).await.unwrap(), b"PK-invoices");
    let shared = graph.shared_item(&files[2].web_url()).await.unwrap();
    assert_eq!(graph.download(&shared).await.unwrap(), b"Email\na@b.c\n");
    assert_eq!(sandbox.stats().downloads, 2);
    assert!(sandbox.stats().violations.is_empty(), "no token went to a download URL");

    match graph.drive_item(&found[0].drive_id, "item-99").await {
        Err(DriveError::Refused { status: 404, .. }) => {}
        other => panic!("{other:?}"),
    }
    // Another user's file is not found through this user's drive id.
    let theirs = graph.drive_item(&found[0].drive_id, "item-3").await;
    assert!(matches!(theirs, Err(DriveError::Refused { status: 404, .. })), "{theirs:?}");
}
