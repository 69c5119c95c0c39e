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

/// Credentials inside generated types (`x-vlens-secret` in the spec) are `Secret`s: they
/// serialise as plain strings but never show in `Debug`.
#[test]
fn generated_types_redact_their_credentials() {
    use vlens_client::types;

    let login: types::ApiOutputLogin = serde_json::from_value(serde_json::json!({
        "data": {
            "accessToken": TOKEN, "refreshToken": "canary-refresh-55de",
            "expireInSeconds": 86400, "refreshTokenExpireInSeconds": 604800
        },
        "error_code": null, "error_message": null, "error_descriptions": null
    }))
    .expect("decodes");
    let otp = types::StepValidateOtpInput {
        contract_storage_id: None,
        geo_location: common::cairo(),
        otp_code: "481516".into(),
        otp_request_id: uuid::Uuid::nil(),
        payment_gateway: None,
        request_id: None,
        transaction_id: None,
        user_device_utc_time: chrono::Utc::now(),
    };
    let link: types::ApiOutputSecretString = serde_json::from_value(serde_json::json!({
        "data": "http://x/sign?RequestId=1&SecurityHash=canaryhash0042",
        "error_code": null, "error_message": null, "error_descriptions": null
    }))
    .expect("decodes");

    let debug = format!("{login:?} {otp:?} {link:?}");
    for secret in [TOKEN, "canary-refresh-55de", "481516", "canaryhash0042"] {
        assert!(!debug.contains(secret), "{secret} leaked: {debug}");
    }
    // The wire format is unchanged, and the value is there for whoever asks for it.
    let data = login.data.expect("data");
    assert_eq!(data.access_token.expose_secret(), TOKEN);
    assert_eq!(
        serde_json::to_value(&otp).expect("serialises")["otpCode"],
        "481516"
    );
}
