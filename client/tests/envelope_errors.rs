//! A reply is a success only when its envelope says so; everything else is a typed error.

mod common;

use common::{MockServer, Scripted};
use serde_json::json;
use vlens_client::{Client, ErrorCode, KnownErrorCode, ResultExt, RetryPolicy, VlensError};

async fn setup() -> (MockServer, Client) {
    let server = MockServer::start().await;
    let client = Client::builder(server.url.as_str(), "k")
        .bearer_token("t")
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("builds");
    (server, client)
}

fn eligibility() -> serde_json::Value {
    json!({"isEligible": true, "isDigitalIdentityVerified": true, "hasPendingRequest": false, "isEmailConfirmed": true})
}

#[tokio::test]
async fn a_200_with_an_error_code_is_a_typed_error() {
    let (server, client) = setup().await;
    server.script([Scripted::json(
        200,
        json!({
            "data": null,
            "error_code": 4406,
            "error_message": "Location changed, liveness revalidation required.",
            "error_descriptions": null
        }),
    )]);
    let error = client
        .check_eligibility()
        .await
        .data()
        .expect_err("envelope error");
    let api = error.api().expect("an envelope error");
    assert_eq!(api.status, 200);
    assert_eq!(
        api.code,
        ErrorCode::Known(KnownErrorCode::LocationRevalidationRequired)
    );
    assert_eq!(
        api.message.as_deref(),
        Some("Location changed, liveness revalidation required.")
    );
    assert!(error.is(KnownErrorCode::LocationRevalidationRequired));
    assert_eq!(
        error.to_string(),
        "Vlens error 4406 LocationRevalidationRequired (HTTP 200): Location changed, liveness revalidation required."
    );
}

#[tokio::test]
async fn unknown_codes_are_kept_as_numbers_with_their_descriptions() {
    let (server, client) = setup().await;
    let descriptions = json!([{"field": "x", "message": "bad"}]);
    server.script([Scripted::json(200, json!({
        "data": null, "error_code": 7777, "error_message": "new", "error_descriptions": descriptions
    }))]);
    let error = client
        .check_eligibility()
        .await
        .data()
        .expect_err("envelope error");
    let api = error.api().expect("an envelope error");
    assert_eq!(api.code, ErrorCode::Other(7777));
    assert_eq!(api.code.code(), 7777);
    assert_eq!(api.descriptions, descriptions);
}

#[tokio::test]
async fn null_and_zero_error_codes_are_both_success() {
    let (server, client) = setup().await;
    server.script([
        Scripted::json(200, json!({"data": eligibility(), "error_code": null, "error_message": null, "error_descriptions": null})),
        Scripted::json(200, json!({"data": eligibility(), "error_code": 0, "error_message": "", "error_descriptions": null})),
    ]);
    for _ in 0..2 {
        let data = client.check_eligibility().await.data().expect("success");
        assert!(data.is_eligible);
    }
}

#[tokio::test]
async fn success_without_data_is_reported() {
    let (server, client) = setup().await;
    server.script([common::empty_success()]);
    let error = client
        .check_eligibility()
        .await
        .data()
        .expect_err("no data");
    assert!(
        matches!(error, VlensError::MissingData { status: 200 }),
        "{error:?}"
    );
}

#[tokio::test]
async fn transport_statuses_arrive_as_envelope_errors() {
    let (server, client) = setup().await;
    server.script([
        Scripted::json(401, json!({"data": null, "error_code": 401, "error_message": "Unauthorized - invalid API Key", "error_descriptions": null})),
        // A 4xx whose envelope carries no code is reported under its HTTP status.
        Scripted::json(403, json!({"data": null, "error_code": null, "error_message": null, "error_descriptions": null})),
    ]);
    let error = client.check_eligibility().await.data().expect_err("401");
    assert!(error.is(KnownErrorCode::Unauthorized));
    assert_eq!(error.api().map(|a| a.status), Some(401));
    let error = client.check_eligibility().await.data().expect_err("403");
    assert!(error.is(KnownErrorCode::Forbidden));
}

#[tokio::test]
async fn a_reply_that_does_not_match_the_spec_never_shows_its_body() {
    let (server, client) = setup().await;
    server.script([Scripted::json(200, json!({
        "data": {"isEligible": "eyJ-SECRET-TOKEN"}, "error_code": null, "error_message": null, "error_descriptions": null
    }))]);
    let error = client
        .check_eligibility()
        .await
        .data()
        .expect_err("decode error");
    assert!(
        matches!(
            error,
            VlensError::Decode {
                category: "data",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.to_string().contains("SECRET"), "{error}");
    assert!(!format!("{error:?}").contains("SECRET"), "{error:?}");
}

#[tokio::test]
async fn the_list_envelope_keeps_its_counts() {
    let (server, client) = setup().await;
    server.script([Scripted::json(
        200,
        json!({
            "data": [], "totalCount": 12, "returnedCount": 0,
            "error_code": null, "error_message": null, "error_descriptions": null
        }),
    )]);
    let envelope = client
        .get_current_business_request_list(std::num::NonZeroU32::new(10), Some(20))
        .await
        .envelope()
        .expect("success");
    assert_eq!(envelope.total_count, Some(12));
    assert_eq!(envelope.returned_count, Some(0));
}
