//! `Debug` of the client, its builder and its errors never shows a secret.

mod common;

use vlens_client::{Client, ResultExt, RetryPolicy};

const API_KEY: &str = "canary-api-key-7f3a";
const TOKEN: &str = "canary-token-91bc";

#[tokio::test]
async fn debug_output_holds_no_secret() {
    let server = common::MockServer::start().await;
    let builder = Client::builder(server.url.as_str(), API_KEY)
        .tenancy_name("Default")
        .bearer_token(TOKEN)
        .retry_policy(RetryPolicy::none());
    let builder_debug = format!("{builder:?}");
    let client = builder.build().expect("builds");
    client.set_bearer_token(TOKEN).expect("token");
    let client_debug = format!("{client:?} {client:#?}");

    server.script([common::Scripted::json(401, serde_json::json!({
        "data": null, "error_code": 401, "error_message": "Unauthorized", "error_descriptions": null
    }))]);
    let error = client.check_eligibility().await.data().expect_err("401");
    let error_debug = format!("{error:?} {error}");

    for text in [&builder_debug, &client_debug, &error_debug] {
        assert!(!text.contains(API_KEY), "ApiKey leaked: {text}");
        assert!(!text.contains(TOKEN), "token leaked: {text}");
    }
    assert!(client_debug.contains("[REDACTED]"), "{client_debug}");
    assert!(
        client_debug.contains("Default"),
        "non-secrets stay visible: {client_debug}"
    );
}
