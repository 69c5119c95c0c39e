//! Issue 9.2/9.3: a handed-in reqwest client, per-call timeouts, and what errors say about
//! themselves (retryable, timeout, transport, gateway statuses by name, codes by message).

mod common;

use std::time::Duration;

use common::{MockServer, Scripted};
use serde_json::json;
use vlens_client::{Client, ErrorCode, KnownErrorCode, ResultExt, RetryPolicy};

fn client(url: &str) -> Client {
    Client::builder(url, "k")
        .bearer_token("t")
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("builds")
}

fn envelope_error(status: u16, code: i32, message: &str) -> Scripted {
    Scripted::json(
        status,
        json!({"data": null, "error_code": code, "error_message": message, "error_descriptions": null}),
    )
}

fn eligibility() -> Scripted {
    Scripted::json(
        200,
        json!({
            "data": {"isEligible": true, "isDigitalIdentityVerified": true, "hasPendingRequest": false, "isEmailConfirmed": true},
            "error_code": null, "error_message": null, "error_descriptions": null
        }),
    )
}

#[tokio::test]
async fn a_handed_in_client_carries_every_call_and_the_hooks_still_apply() {
    let server = MockServer::start().await;
    server.script([envelope_error(503, 503, "busy"), eligibility()]);
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-integrator", "acme".parse().expect("header"));
    let own = vlens_client::http::client_builder()
        .user_agent("acme-app/2.0")
        .default_headers(headers)
        .build()
        .expect("own client");
    let client = Client::builder(server.url.as_str(), "my-key")
        .bearer_token("my-token")
        .http_client(own)
        .retry_policy(RetryPolicy {
            max_retries: 1,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
        })
        .build()
        .expect("builds");

    let data = client
        .check_eligibility()
        .await
        .data()
        .expect("after one retry");
    assert!(data.is_eligible);
    let sent = server.recorded();
    assert_eq!(sent.len(), 2, "the retry ran through the handed-in client");
    for request in &sent {
        let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
        assert_eq!(
            header("user-agent"),
            Some("acme-app/2.0"),
            "the own client was used"
        );
        assert_eq!(header("x-integrator"), Some("acme"));
        assert_eq!(header("apikey"), Some("my-key"), "the hooks add auth");
        assert_eq!(header("authorization"), Some("Bearer my-token"));
    }
}

#[tokio::test]
async fn a_per_call_timeout_is_a_retryable_timeout_with_a_clear_message() {
    let server = MockServer::start().await;
    server.script([eligibility().delayed(Duration::from_secs(2)), eligibility()]);
    let client = client(&server.url);

    let error = client
        .with_timeout(Duration::from_millis(100))
        .check_eligibility()
        .await
        .data()
        .expect_err("times out");
    assert!(error.is_timeout(), "{error:?}");
    assert!(error.is_transport(), "{error:?}");
    assert!(error.is_retryable(), "{error:?}");
    assert!(error.to_string().contains("timed out"), "{error}");
    let source = std::error::Error::source(&error).expect("a source");
    assert!(
        std::error::Error::source(source).is_some_and(|inner| inner.is::<reqwest::Error>()),
        "reqwest's error stays reachable as the source"
    );

    // The original client keeps its own (30 s) timeout: the clone's did not leak into it.
    let data = client.check_eligibility().await.data().expect("no timeout");
    assert!(data.is_eligible);
}

#[tokio::test]
async fn a_refused_connection_is_a_retryable_transport_error_but_no_timeout() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("addr"))
    };
    let error = client(&closed)
        .check_eligibility()
        .await
        .data()
        .expect_err("refused");
    assert!(
        error.is_transport() && error.is_retryable() && !error.is_timeout(),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("transport error: cannot connect"),
        "{error}"
    );
}

#[tokio::test]
async fn gateway_statuses_are_named_and_retryable() {
    let server = MockServer::start().await;
    server.script([
        envelope_error(502, 502, "bad gateway"),
        envelope_error(503, 503, "unavailable"),
        envelope_error(504, 504, "gateway timeout"),
        envelope_error(400, 400, "Bad Request - Input parameters are invalid."),
    ]);
    let client = client(&server.url);
    for expected in [
        ErrorCode::BadGateway,
        ErrorCode::ServiceUnavailable,
        ErrorCode::GatewayTimeout,
    ] {
        let error = client.check_eligibility().await.data().expect_err("error");
        let api = error.api().expect("an envelope error");
        assert_eq!(api.code, expected);
        assert!(error.is_retryable(), "{error}");
        assert!(!error.is_transport() && !error.is_timeout(), "{error}");
        assert!(
            error.to_string().contains(expected.name().expect("named")),
            "{error}"
        );
    }
    let error = client.check_eligibility().await.data().expect_err("400");
    assert!(!error.is_retryable(), "{error}");
}

/// `LocationRevalidationRequired` is this project's number (4406) for a documented message; a
/// real server that numbers it otherwise must still match it.
#[tokio::test]
async fn a_guessed_code_also_matches_by_its_documented_message() {
    let server = MockServer::start().await;
    let documented = KnownErrorCode::LocationRevalidationRequired.message();
    server.script([
        envelope_error(200, 1234, documented),
        envelope_error(200, 1234, &documented.to_uppercase()),
        // Same message under a code Vlens publishes: the number decides, not the message.
        envelope_error(200, 1234, KnownErrorCode::CardNotDetected.message()),
        envelope_error(200, 1234, "Something else."),
    ]);
    let client = client(&server.url);
    for _ in 0..2 {
        let error = client.check_eligibility().await.data().expect_err("error");
        assert_eq!(error.api().map(|a| a.code), Some(ErrorCode::Other(1234)));
        assert!(
            error.is(KnownErrorCode::LocationRevalidationRequired),
            "{error}"
        );
    }
    let error = client.check_eligibility().await.data().expect_err("error");
    assert!(!error.is(KnownErrorCode::CardNotDetected), "{error}");
    let error = client.check_eligibility().await.data().expect_err("error");
    assert!(
        !error.is(KnownErrorCode::LocationRevalidationRequired),
        "{error}"
    );
}

#[tokio::test]
async fn the_token_login_returns_is_accepted_as_is() {
    let server = MockServer::start().await;
    let client = client(&server.url);
    let login: vlens_client::types::ApiOutputLogin = serde_json::from_value(json!({
        "data": {"accessToken": "from-login", "refreshToken": "r", "expireInSeconds": 1, "refreshTokenExpireInSeconds": 1},
        "error_code": null, "error_message": null, "error_descriptions": null
    }))
    .expect("decodes");
    let data = login.data.expect("data");
    client
        .set_bearer_token(&data.access_token)
        .expect("a Secret");
    let _ = client.check_eligibility().await;
    client.set_bearer_token("plain-str").expect("a &str");
    let _ = client.check_eligibility().await;
    let sent: Vec<_> = server
        .recorded()
        .iter()
        .map(|r| {
            r.headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .collect();
    assert_eq!(
        sent,
        [
            Some("Bearer from-login".to_string()),
            Some("Bearer plain-str".to_string())
        ]
    );
}
