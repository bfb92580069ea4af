//! The transport against the Graph sandbox: the token goes to Graph, answers come back as
//! they are, and a failure says whether the request may have been delivered.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use localmerge_core::send::{HttpRequest, Method, Target, Transport};
use localmerge_graph_client::{Failures, FixedToken, GraphClient};
use localmerge_graph_sandbox::{Config, DEFAULT_TOKEN, Sandbox};

fn get(path: &str) -> HttpRequest {
    HttpRequest {
        method: Method::Get,
        target: Target::Graph(path.to_owned()),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

#[tokio::test]
async fn answers_come_back_and_failures_say_whether_they_may_have_been_delivered() {
    let sandbox = Sandbox::start(Config::default()).unwrap();
    let client = reqwest::Client::new();
    let graph = GraphClient::new(
        client.clone(),
        &sandbox.url(),
        FixedToken(DEFAULT_TOKEN.to_owned()),
        Failures::Distinguished,
    );
    let r = graph.execute(get("/me")).await.unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // A refused token is an answer, not a failure.
    let wrong = GraphClient::new(
        client.clone(),
        &sandbox.url(),
        FixedToken("wrong".to_owned()),
        Failures::Distinguished,
    );
    assert_eq!(wrong.execute(get("/me")).await.unwrap().status, 401);
    // Nothing listens there: natively the request surely never left; where the platform
    // cannot tell (a browser), it may have.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    for (failures, maybe) in [(Failures::Distinguished, false), (Failures::MayHaveDelivered, true)] {
        let nowhere = GraphClient::new(client.clone(), &base, FixedToken(DEFAULT_TOKEN.to_owned()), failures);
        let e = nowhere.execute(get("/me")).await.expect_err("nothing listens");
        assert_eq!(e.maybe_delivered, maybe, "{failures:?}: {}", e.message);
        assert!(!e.message.is_empty());
    }
}
