//! Fault injection (`POST /__sandbox/faults`): which requests it hits, how `count` drains, the
//! 500 through the panic guard, tenants, reset, bad input, and the client's retries against it.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use vlens_client::{Client, KnownErrorCode, ResultExt, RetryPolicy, types};
use vlens_sandbox::control::{InjectFaultInput, InjectedFault};

const FAULTS: &str = "/__sandbox/faults";
const ELIGIBILITY: &str = "/api/BusinessRequest/CheckEligibility";
const CATALOGUE: &str = "/api/BusinessRequest/GetAllRequestTypes";

async fn inject(sandbox: &TestSandbox, api_key: &str, fault: InjectFaultInput) -> InjectedFault {
    let kit = sandbox.kit(api_key);
    kit.inject_fault(&fault).await.expect("the fault is armed")
}

/// A sandbox with this fault armed in the Default tenant.
async fn sandbox_with_fault(fault: InjectFaultInput) -> TestSandbox {
    let sandbox = TestSandbox::start().await;
    inject(&sandbox, KEY, fault).await;
    sandbox
}

/// A raw GET with the ApiKey and a user token (to see the headers and the envelope as sent).
async fn raw_get(sandbox: &TestSandbox, path: &str, token: &str) -> reqwest::Response {
    sandbox
        .http()
        .get(sandbox.url(path))
        .header("ApiKey", KEY)
        .bearer_auth(token)
        .send()
        .await
        .expect("answered")
}

/// The HTTP status of GetAllRequestTypes (a GET; `client` has a user token).
async fn catalogue_status(client: &Client) -> u16 {
    match client.get_all_request_types().await.data() {
        Ok(_) => 200,
        Err(error) => api_error::<()>(Err(error)).status,
    }
}

/// The HTTP status of CheckExistenceOfEmailOrPhone (a POST that takes the ApiKey alone).
async fn existence_status(client: &Client) -> u16 {
    let input = types::CheckExistenceInput {
        email: None,
        phone_number: Some("+201011112222".to_string()),
    };
    match client
        .check_existence_of_email_or_phone(&input)
        .await
        .data()
    {
        Ok(_) => 200,
        Err(error) => api_error::<()>(Err(error)).status,
    }
}

#[tokio::test]
async fn a_503_with_retry_after_hits_the_named_operation_only() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox.user(KEY).await;
    // Sent as JSON without `status` and `count` (the typed body always has them): the
    // server's defaults are under test.
    let (status, envelope) = sandbox
        .control_raw(
            reqwest::Method::POST,
            FAULTS,
            KEY,
            Some(json!({"operationId": "check-eligibility", "retryAfterSeconds": 7})),
        )
        .await;
    assert_eq!(status, 200, "{envelope}");
    let recorded: InjectedFault =
        serde_json::from_value(envelope["data"].clone()).expect("a recorded fault");
    assert_eq!(
        recorded,
        InjectedFault {
            operation_id: "check-eligibility".to_string(),
            status: 503,
            count: 1,
            retry_after_seconds: Some(7),
        },
        "status and count default to 503 and 1"
    );
    // Another operation of the same tenant is served as usual and leaves the fault armed.
    let client = sandbox.user_client(KEY, &user);
    assert_eq!(catalogue_status(&client).await, 200);
    let reply = raw_get(&sandbox, ELIGIBILITY, user.access_token.expose_secret()).await;
    assert_eq!(reply.status().as_u16(), 503);
    assert_eq!(
        reply
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("7")
    );
    let body: Value = reply.json().await.expect("an envelope");
    assert_eq!(body["error_code"], 503);
    assert_eq!(body["data"], Value::Null);
    assert!(
        body["error_message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Service Unavailable")),
        "{body}"
    );
    client
        .check_eligibility()
        .await
        .data()
        .expect("the fault is spent");
    sandbox.finish().await;
}

#[tokio::test]
async fn count_drains_exactly_then_the_normal_reply() {
    let sandbox = sandbox_with_fault(
        InjectFaultInput::new("get-all-request-types")
            .status(504)
            .count(3),
    )
    .await;
    let user = sandbox.user(KEY).await;
    for _ in 0..3 {
        let reply = raw_get(&sandbox, CATALOGUE, user.access_token.expose_secret()).await;
        assert_eq!(reply.status().as_u16(), 504);
        assert!(
            reply.headers().get("retry-after").is_none(),
            "no Retry-After unless asked for"
        );
    }
    let client = sandbox.user_client(KEY, &user);
    assert_eq!(catalogue_status(&client).await, 200);
    assert_eq!(catalogue_status(&client).await, 200);
    sandbox.finish().await;
}

#[tokio::test]
async fn any_operation_is_hit_by_a_star_fault() {
    let sandbox = sandbox_with_fault(InjectFaultInput::new("*").status(502).count(2)).await;
    let user = sandbox.user(KEY).await;
    let client = sandbox.user_client(KEY, &user);
    assert_eq!(catalogue_status(&client).await, 502);
    assert_eq!(existence_status(&client).await, 502);
    assert_eq!(catalogue_status(&client).await, 200);
    assert_eq!(existence_status(&client).await, 200);
    // The control API itself is never faulted.
    sandbox
        .kit(KEY)
        .health()
        .await
        .expect("the control API answers");
    sandbox.finish().await;
}

#[tokio::test]
async fn the_fault_comes_before_the_token_and_body_checks() {
    let sandbox = sandbox_with_fault(InjectFaultInput::new("create-business-request")).await;
    // No bearer token and no body: without the fault this is a 401.
    let post = || {
        sandbox
            .http()
            .post(sandbox.url("/api/BusinessRequest/Create/414"))
            .header("ApiKey", KEY)
            .send()
    };
    assert_eq!(post().await.expect("answered").status().as_u16(), 503);
    assert_eq!(post().await.expect("answered").status().as_u16(), 401);
    sandbox.finish().await;
}

#[tokio::test]
async fn a_500_comes_from_the_panic_guard_and_the_server_keeps_serving() {
    let sandbox =
        sandbox_with_fault(InjectFaultInput::new("get-current-business-request-list").status(500))
            .await;
    let user = sandbox.user(KEY).await;
    let client = sandbox.user_client(KEY, &user);
    let result = client
        .get_current_business_request_list(None, None)
        .await
        .data();
    // The guard's envelope: InternalError with the spec's message.
    let api = api_error(result);
    assert!(api.is(KnownErrorCode::InternalError), "{api:?}");
    assert_eq!(api.status, 500);
    assert_eq!(
        api.message.as_deref(),
        Some(KnownErrorCode::InternalError.message())
    );
    // The worker that unwound is fine: the same operation and others are served.
    client
        .get_current_business_request_list(None, None)
        .await
        .data()
        .expect("served after the 500");
    create_request(&client, vlens_sandbox::defaults::PERSONAL_LOAN_TYPE_ID).await;
    sandbox.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_consume_exactly_count_faults() {
    const REQUESTS: usize = 20;
    const COUNT: usize = 5;
    let sandbox = sandbox_with_fault(
        InjectFaultInput::new("check-existence-of-email-or-phone").count(COUNT as i32),
    )
    .await;
    let client = Arc::new(sandbox.client(KEY));
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..REQUESTS {
        let client = Arc::clone(&client);
        calls.spawn(async move { existence_status(&client).await });
    }
    let statuses = calls.join_all().await;
    let faulted = statuses.iter().filter(|s| **s == 503).count();
    let served = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!((faulted, served), (COUNT, REQUESTS - COUNT), "{statuses:?}");
    sandbox.finish().await;
}

#[tokio::test]
async fn another_tenant_is_unaffected_and_reset_forgets_faults() {
    let sandbox = TestSandbox::start().await;
    let tenant = sandbox.tenant(false).await;
    let mut clients = Vec::new();
    for key in [KEY, OTHER_KEY, tenant.api_key.expose_secret()] {
        let user = sandbox.user(key).await;
        clients.push(sandbox.user_client(key, &user));
    }
    let [default, other, isolated] = clients.as_slice() else {
        unreachable!("three clients were made")
    };
    inject(
        &sandbox,
        tenant.api_key.expose_secret(),
        InjectFaultInput::new("*").count(10),
    )
    .await;
    assert_eq!(catalogue_status(default).await, 200);
    assert_eq!(catalogue_status(other).await, 200);
    assert_eq!(catalogue_status(isolated).await, 503);
    let kit = sandbox.kit(tenant.api_key.expose_secret());
    kit.reset().await.expect("reset");
    assert_eq!(
        existence_status(&sandbox.client(tenant.api_key.expose_secret())).await,
        200
    );
    // The user was forgotten too: the call gets past the fault layer to the token check.
    assert_eq!(catalogue_status(isolated).await, 401);
    sandbox.finish().await;
}

#[tokio::test]
async fn bad_input_is_400_naming_the_field() {
    let sandbox = TestSandbox::start().await;
    let cases = [
        (json!({"operationId": "check-eligibilty"}), "operationId"),
        (json!({"status": 503}), "operationId"),
        (json!({"operationId": "login", "status": 418}), "status"),
        (json!({"operationId": "login", "count": 0}), "count"),
        (json!({"operationId": "login", "count": -3}), "count"),
        (
            json!({"operationId": "login", "retryAfterSeconds": -1}),
            "retryAfterSeconds",
        ),
        (
            json!({"operationId": "login", "status": 500, "retryAfterSeconds": 1}),
            "retryAfterSeconds",
        ),
        (json!({"operationId": "login", "after": 1}), "after"),
        (json!({"operationId": "sandbox-health"}), "operationId"),
    ];
    for (body, field) in cases {
        let (status, envelope) = sandbox
            .control_raw(reqwest::Method::POST, FAULTS, KEY, Some(body.clone()))
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(envelope["error_descriptions"][0]["field"], field, "{body}");
        let message = envelope["error_message"].as_str().unwrap_or_default();
        assert!(message.contains(&format!("`{field}`")), "{body}: {message}");
    }
    // Every field at fault is listed.
    let (_, envelope) = sandbox
        .control_raw(
            reqwest::Method::POST,
            FAULTS,
            KEY,
            Some(json!({"operationId": "nope", "status": 200, "count": 0})),
        )
        .await;
    let fields: Vec<&str> = envelope["error_descriptions"]
        .as_array()
        .map(|items| items.iter().filter_map(|i| i["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["operationId", "status", "count"]);
    let (status, _) = sandbox
        .control_raw(
            reqwest::Method::POST,
            FAULTS,
            "wrong",
            Some(json!({"operationId": "login"})),
        )
        .await;
    assert_eq!(status, 401);
    // Nothing was armed by the refused calls.
    assert_eq!(existence_status(&sandbox.client(KEY)).await, 200);
    sandbox.finish().await;
}

fn retrying_client(sandbox: &TestSandbox) -> Client {
    Client::builder(sandbox.base_url(), KEY)
        .retry_policy(RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(100),
        })
        .build()
        .expect("client builds")
}

#[tokio::test]
async fn the_client_retries_a_get_through_two_503s() {
    let sandbox = sandbox_with_fault(
        InjectFaultInput::new("get-all-request-types")
            .count(2)
            .retry_after_seconds(0),
    )
    .await;
    let user = sandbox.user(KEY).await;
    let before = sandbox.checked_replies();
    let client = retrying_client(&sandbox);
    client
        .set_bearer_token(user.access_token.expose_secret())
        .expect("a header value");
    let types = client
        .get_all_request_types()
        .await
        .data()
        .expect("the third attempt succeeds");
    assert!(!types.is_empty());
    assert_eq!(
        sandbox.checked_replies() - before,
        3,
        "two faulted attempts and one served"
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn the_client_does_not_retry_a_post() {
    let sandbox =
        sandbox_with_fault(InjectFaultInput::new("check-existence-of-email-or-phone")).await;
    let client = retrying_client(&sandbox);
    let before = sandbox.checked_replies();
    assert_eq!(existence_status(&client).await, 503);
    assert_eq!(sandbox.checked_replies() - before, 1, "sent once");
    assert_eq!(existence_status(&client).await, 200);
    sandbox.finish().await;
}
