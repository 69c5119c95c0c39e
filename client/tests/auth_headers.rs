//! The ApiKey, TenancyName and bearer token are added once, by the client, to every call.

mod common;

use common::MockServer;
use vlens_client::types;
use vlens_client::{Client, RetryPolicy};

fn client(url: &str) -> Client {
    Client::builder(url, "test-api-key")
        .tenancy_name("Default")
        .bearer_token("first-token")
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client builds")
}

fn authorizations(server: &MockServer) -> Vec<Option<String>> {
    server
        .recorded()
        .iter()
        .map(|r| header(r, "authorization").map(str::to_string))
        .collect()
}

fn header<'a>(recorded: &'a common::Recorded, name: &str) -> Option<&'a str> {
    recorded.headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn every_call_carries_the_api_key_and_tenancy() {
    let server = MockServer::start().await;
    let client = client(&server.url);

    let _ = client.check_eligibility().await;
    let _ = client
        .check_existence_of_email_or_phone(&types::CheckExistenceInput {
            email: None,
            phone_number: Some("+201000000001".into()),
        })
        .await;
    let _ = client
        .get_user_digital_identity_images("+201000000001")
        .await;
    let _ = client
        .customer_sign_step_validate_payment(&types::CustomerSignInput {
            contract_storage_id: None,
            geo_location: common::cairo(),
            payment_gateway: None,
            request_id: None,
            transaction_id: None,
            user_device_utc_time: chrono::Utc::now(),
        })
        .await;

    let recorded = server.recorded();
    assert_eq!(recorded.len(), 4);
    for request in &recorded {
        assert_eq!(
            header(request, "ApiKey"),
            Some("test-api-key"),
            "{}",
            request.path
        );
        assert_eq!(
            header(request, "TenancyName"),
            Some("Default"),
            "{}",
            request.path
        );
        assert_eq!(header(request, "api-version"), None, "{}", request.path);
    }
}

#[tokio::test]
async fn the_token_goes_only_to_operations_that_take_one() {
    let server = MockServer::start().await;
    let client = client(&server.url);

    let _ = client.check_eligibility().await; // user token
    let _ = client
        .get_step_image("a.jpg", None, None, &uuid::Uuid::nil())
        .await; // admin token
    let _ = client
        .register_step_verify_phone(&types::VerifyPhoneInput {
            phone_number: "+201000000001".into(),
            phone_number_otp: None,
            phone_number_otp_request_id: None,
            sms_providers: None,
        })
        .await; // ApiKey only

    assert_eq!(
        authorizations(&server),
        [
            Some("Bearer first-token".into()),
            Some("Bearer first-token".into()),
            None
        ],
        "user, admin, then an ApiKey-only operation"
    );
}

#[tokio::test]
async fn the_token_can_be_replaced_and_cleared_at_run_time() {
    let server = MockServer::start().await;
    let client = client(&server.url);
    let clone = client.clone();

    let _ = client.check_eligibility().await;
    client
        .set_bearer_token("second-token")
        .expect("valid token");
    let _ = clone.check_eligibility().await; // clones share the token
    client.clear_bearer_token();
    let _ = client.check_eligibility().await;

    assert_eq!(
        authorizations(&server),
        [
            Some("Bearer first-token".into()),
            Some("Bearer second-token".into()),
            None
        ]
    );
    assert!(!client.has_bearer_token());
}

#[tokio::test]
async fn without_a_tenancy_name_no_tenancy_header_is_sent() {
    let server = MockServer::start().await;
    let client = Client::builder(server.url.as_str(), "k")
        .build()
        .expect("builds");
    let _ = client.check_eligibility().await;
    let recorded = server.recorded();
    assert_eq!(header(&recorded[0], "TenancyName"), None);
    assert_eq!(header(&recorded[0], "authorization"), None);
}

#[test]
fn unusable_header_values_are_refused_without_echoing_them() {
    let error = Client::builder("http://127.0.0.1:1", "bad\nkey-SECRET")
        .build()
        .expect_err("newline in ApiKey");
    let message = error.to_string();
    assert!(message.contains("ApiKey"), "{message}");
    assert!(!message.contains("SECRET"), "{message}");

    let client = Client::builder("http://127.0.0.1:1", "k")
        .build()
        .expect("builds");
    let error = client
        .set_bearer_token("tok\r\nen-SECRET")
        .expect_err("CRLF in token");
    assert!(!error.to_string().contains("SECRET"));

    let error = Client::builder("ftp://example.com", "k")
        .build()
        .expect_err("ftp");
    assert!(error.to_string().contains("ftp"), "{error}");
    let error = Client::builder("not a url", "k")
        .build()
        .expect_err("garbage");
    assert!(error.to_string().contains("not a url"), "{error}");
}
