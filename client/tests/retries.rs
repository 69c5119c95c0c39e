//! GETs are retried with backoff on 429, 502, 503, 504 and connection errors; POSTs never.

mod common;

use std::time::Duration;

use common::{MockServer, Scripted};
use serde_json::json;
use vlens_client::types;
use vlens_client::{Client, KnownErrorCode, ResultExt, RetryPolicy, VlensError};

fn fast_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
    }
}

fn unavailable(status: u16) -> Scripted {
    Scripted::json(
        status,
        json!({"data": null, "error_code": status, "error_message": "try later", "error_descriptions": null}),
    )
}

fn ok_eligibility() -> Scripted {
    Scripted::json(
        200,
        json!({
            "data": {"isEligible": true, "isDigitalIdentityVerified": true, "hasPendingRequest": false, "isEmailConfirmed": true},
            "error_code": null, "error_message": null, "error_descriptions": null
        }),
    )
}

fn client(url: &str, policy: RetryPolicy) -> Client {
    Client::builder(url, "k")
        .bearer_token("t")
        .retry_policy(policy)
        .build()
        .expect("builds")
}

fn request_otp_input() -> types::StepRequestOtpInput {
    types::StepRequestOtpInput {
        contract_storage_id: None,
        geo_location: common::cairo(),
        payment_gateway: None,
        request_id: None,
        sms_providers: None,
        transaction_id: None,
        user_device_utc_time: chrono::Utc::now(),
    }
}

#[tokio::test]
async fn a_get_is_retried_on_each_retryable_status_until_it_succeeds() {
    let server = MockServer::start().await;
    server.script([
        unavailable(503),
        unavailable(429),
        unavailable(502),
        unavailable(504),
        ok_eligibility(),
    ]);
    let client = client(&server.url, fast_retries(4));
    let data = client
        .check_eligibility()
        .await
        .data()
        .expect("succeeds after retries");
    assert!(data.is_eligible);
    assert_eq!(server.recorded().len(), 5);
}

#[tokio::test]
async fn a_get_gives_up_after_max_retries_with_the_last_reply() {
    let server = MockServer::start().await;
    server.fallback(unavailable(503));
    let client = client(&server.url, fast_retries(2));
    let error = client
        .check_eligibility()
        .await
        .data()
        .expect_err("still unavailable");
    assert_eq!(error.api().map(|a| a.status), Some(503));
    assert_eq!(server.recorded().len(), 3, "one attempt and two retries");
}

#[tokio::test]
async fn a_get_is_not_retried_on_other_errors() {
    let server = MockServer::start().await;
    server.script([unavailable(500), unavailable(400)]);
    let client = client(&server.url, fast_retries(3));
    let error = client.check_eligibility().await.data().expect_err("500");
    assert!(error.is(KnownErrorCode::InternalError));
    let _ = client.check_eligibility().await;
    assert_eq!(server.recorded().len(), 2);
}

#[tokio::test]
async fn a_post_is_never_retried() {
    let server = MockServer::start().await;
    server.fallback(unavailable(503));
    let client = client(&server.url, fast_retries(3));
    let error = client
        .customer_sign_step_request_otp(&request_otp_input())
        .await
        .data()
        .expect_err("unavailable");
    assert_eq!(error.api().map(|a| a.status), Some(503));
    assert_eq!(server.recorded().len(), 1, "a POST must be sent once");
}

#[tokio::test]
async fn retry_after_is_honoured_up_to_the_cap() {
    let server = MockServer::start().await;
    server.script([
        unavailable(429).with_header("retry-after", "1"),
        ok_eligibility(),
    ]);
    let policy = RetryPolicy {
        max_retries: 1,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(300),
    };
    let client = client(&server.url, policy);
    let (result, logs) = common::capture_logs(client.check_eligibility()).await;
    result.data().expect("succeeds");
    // Retry-After asked for 1 s, the initial backoff is 1 ms: the cap of 300 ms wins.
    assert!(logs.contains("wait=300ms"), "{logs}");
    assert_eq!(logs.matches("retrying GET").count(), 1, "{logs}");
}

#[tokio::test]
async fn connection_errors_are_retried_for_gets_only() {
    // Nothing listens on a freshly closed port: every attempt is a connection error.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let client = client(&url, fast_retries(3));

    let (result, logs) = common::capture_logs(client.check_eligibility()).await;
    let error = result.data().expect_err("refused");
    assert!(matches!(error, VlensError::Transport(_)), "{error:?}");
    assert_eq!(logs.matches("retrying GET").count(), 3, "{logs}");

    let (result, logs) =
        common::capture_logs(client.customer_sign_step_request_otp(&request_otp_input())).await;
    let error = result.data().expect_err("refused");
    assert!(matches!(error, VlensError::Transport(_)), "{error:?}");
    assert_eq!(
        logs.matches("retrying").count(),
        0,
        "a POST is never retried: {logs}"
    );
}

#[test]
fn backoff_doubles_and_is_capped() {
    let policy = RetryPolicy {
        max_retries: 5,
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(500),
    };
    assert_eq!(policy.backoff(0, None), Duration::from_millis(100));
    assert_eq!(policy.backoff(1, None), Duration::from_millis(200));
    assert_eq!(policy.backoff(2, None), Duration::from_millis(400));
    assert_eq!(policy.backoff(3, None), Duration::from_millis(500));
    assert_eq!(
        policy.backoff(0, Some(Duration::from_millis(300))),
        Duration::from_millis(300)
    );
    assert_eq!(policy.backoff(40, None), Duration::from_millis(500));
}
