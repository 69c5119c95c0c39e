//! Issue 9.2: no order of building reqwest clients panics. A test binary of its own: nothing
//! else in the process may build a Vlens client (which installed the provider) first.

mod common;

use vlens_client::{Client, ResultExt, RetryPolicy};

#[tokio::test]
async fn an_own_reqwest_client_builds_before_and_after_the_vlens_client() {
    // First, before anything of vlens-client ran: with reqwest's `rustls-no-provider` and no
    // process-wide provider this panicked ("No rustls crypto provider is configured").
    let before = reqwest::Client::builder()
        .build()
        .expect("an own client builds before any Vlens client");

    let server = common::MockServer::start().await;
    let client = Client::builder(server.url.as_str(), "k")
        .http_client(before)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("the Vlens client builds around it");
    let _ = client.check_eligibility().await.envelope();

    let after = reqwest::Client::new();
    let reply = after
        .get(format!("{}/health", server.url))
        .send()
        .await
        .expect("an own client built after the Vlens client works");
    assert_eq!(reply.status(), 200);
    assert_eq!(server.recorded().len(), 2);
}
