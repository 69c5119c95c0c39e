//! Bad input: every case answers an envelope with the declared status and a message naming
//! the field; never a 500.

mod common;

use common::*;
use serde_json::{Value, json};
use vlens_client::ResultExt;

const OTP_PATH: &str = "/api/BusinessRequest/CustomerSign/StepRequestOtp";

async fn post_raw(
    sandbox: &TestSandbox,
    path: &str,
    token: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let mut request = sandbox
        .http()
        .post(sandbox.url(path))
        .header("ApiKey", KEY)
        .bearer_auth(token)
        .body(body);
    if let Some(content_type) = content_type {
        request = request.header("Content-Type", content_type);
    }
    let reply = request.send().await.expect("answered");
    let status = reply.status().as_u16();
    (status, reply.json().await.expect("an envelope"))
}

fn first_field(body: &Value) -> &str {
    body["error_descriptions"][0]["field"]
        .as_str()
        .unwrap_or_default()
}

fn assert_names(body: &Value, field: &str) {
    assert_eq!(first_field(body), field, "{body}");
    let message = body["error_message"].as_str().unwrap_or_default();
    assert!(message.contains(&format!("`{field}`")), "{message}");
    assert_eq!(body["data"], Value::Null);
}

#[tokio::test]
async fn malformed_json_missing_and_mistyped_fields_are_400() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox.user(KEY).await;
    let token = user.access_token.expose_secret();
    let json = Some("application/json");

    let time = "2025-01-01T00:00:00Z";
    let cases = [
        ("{\"geoLocation\": ".to_string(), "body"),
        (json!({"userDeviceUtcTime": time}).to_string(), "geoLocation"),
        (
            json!({"geoLocation": {"latitude": "30", "longitude": 31.2}, "userDeviceUtcTime": time}).to_string(),
            "geoLocation.latitude",
        ),
        (
            json!({"geoLocation": {"latitude": 95.0, "longitude": 31.2}, "userDeviceUtcTime": time}).to_string(),
            "geoLocation.latitude",
        ),
        (
            json!({"geoLocation": {"latitude": 30.0, "longitude": 31.2}, "userDeviceUtcTime": "yesterday"}).to_string(),
            "userDeviceUtcTime",
        ),
        (
            json!({"geoLocation": {"latitude": 30.0, "longitude": 31.2}, "userDeviceUtcTime": time, "requestId": "not-a-uuid"}).to_string(),
            "requestId",
        ),
    ];
    for (body, field) in cases {
        let (status, reply) = post_raw(&sandbox, OTP_PATH, token, json, body).await;
        assert_eq!(status, 400, "{field}");
        assert_names(&reply, field);
    }
    sandbox.finish().await;
}

#[tokio::test]
async fn a_wrong_or_missing_content_type_is_415() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox.user(KEY).await;
    let body = json!({"geoLocation": {"latitude": 30.0, "longitude": 31.2}, "userDeviceUtcTime": "2025-01-01T00:00:00Z"}).to_string();
    for content_type in [
        Some("text/plain"),
        Some("application/xml"),
        Some("text/json"),
        None,
    ] {
        let (status, reply) = post_raw(
            &sandbox,
            OTP_PATH,
            user.access_token.expose_secret(),
            content_type,
            body.clone(),
        )
        .await;
        assert_eq!(status, 415, "{content_type:?}");
        assert_eq!(reply["error_code"], 415);
    }
    let (status, _) = post_raw(
        &sandbox,
        OTP_PATH,
        user.access_token.expose_secret(),
        Some("application/json; charset=utf-8"),
        body,
    )
    .await;
    assert_ne!(status, 415);
    sandbox.finish().await;
}

#[tokio::test]
async fn a_body_over_4_mib_is_413() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox.user(KEY).await;
    let huge = format!("{{\"image\": \"{}\"}}", "A".repeat(4 * 1024 * 1024));
    let (status, body) = post_raw(
        &sandbox,
        "/api/DigitalIdentity/verify/id/front",
        user.access_token.expose_secret(),
        Some("application/json"),
        huge,
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(body["error_code"], 413);
    sandbox.finish().await;
}

#[tokio::test]
async fn invalid_path_and_query_parameters_are_400_naming_them() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox.user(KEY).await;
    let get = |path: &str| {
        sandbox
            .http()
            .get(sandbox.url(path))
            .header("ApiKey", KEY)
            .bearer_auth(user.access_token.expose_secret())
            .send()
    };
    for (path, field) in [
        (
            "/api/BusinessRequest/GetBusinessRequestById/not-a-uuid",
            "id",
        ),
        (
            "/api/BusinessRequest/ViewContractPdf?RequestId=xyz&SecurityHash=00",
            "RequestId",
        ),
        (
            "/api/BusinessRequest/ViewContractPdf?RequestId=7f0e4c1a-1c1d-4b8e-9a55-1f1f1f1f1f1f",
            "SecurityHash",
        ),
        (
            "/api/BusinessRequest/GetBusinessRequestTypeTemplateFields?requestTypeId=abc",
            "requestTypeId",
        ),
        (
            "/api/BusinessRequest/GetBusinessRequestTypeTemplateFields",
            "requestTypeId",
        ),
        ("/api/BusinessRequest/Current?minimal=maybe", "minimal"),
        (
            "/api/BusinessRequest/CurrentListIds?SkipCount=-1",
            "SkipCount",
        ),
    ] {
        let reply = get(path).await.expect("answered");
        assert_eq!(reply.status(), 400, "{path}");
        let body: Value = reply.json().await.expect("envelope");
        assert_names(&body, field);
    }
    let (status, body) = post_raw(
        &sandbox,
        "/api/BusinessRequest/Create/loan",
        user.access_token.expose_secret(),
        Some("application/json"),
        json!({"geoLocation": {"latitude": 30.0, "longitude": 31.2}, "requestFieldsValues": {}})
            .to_string(),
    )
    .await;
    assert_eq!(status, 400);
    assert_names(&body, "typeId");
    sandbox.finish().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_envelopes() {
    let sandbox = TestSandbox::start().await;
    let reply = sandbox
        .http()
        .get(sandbox.url("/api/Nothing/Here"))
        .send()
        .await
        .expect("answered");
    assert_eq!(reply.status(), 404);
    let body: Value = reply.json().await.expect("envelope");
    assert_eq!(body["error_code"], 404);
    let reply = sandbox
        .http()
        .delete(sandbox.url("/api/BusinessRequest/CheckEligibility"))
        .header("ApiKey", KEY)
        .send()
        .await
        .expect("answered");
    assert_eq!(reply.status(), 405);
    let body: Value = reply.json().await.expect("envelope");
    assert_eq!(body["error_code"], 405);
    sandbox.finish().await;
}

#[tokio::test]
async fn control_inputs_are_checked_too() {
    let sandbox = TestSandbox::start().await;
    let (status, envelope) = sandbox
        .control_raw(
            reqwest::Method::POST,
            "/__sandbox/clock",
            KEY,
            Some(json!({"advanceSeconds": -5})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(envelope["error_descriptions"][0]["field"], "advanceSeconds");
    let (status, envelope) = sandbox
        .control_raw(
            reqwest::Method::POST,
            "/__sandbox/users",
            KEY,
            Some(json!({"favourite": 1})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(envelope["error_descriptions"][0]["field"], "favourite");
    let (status, _) = sandbox
        .control_raw(
            reqwest::Method::GET,
            "/__sandbox/otp?phoneNumber=%2B201000000000",
            KEY,
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = sandbox
        .control_raw(reqwest::Method::GET, "/__sandbox/health", "wrong", None)
        .await;
    assert_eq!(status, 401);
    let (status, _) = sandbox
        .control_raw(
            reqwest::Method::POST,
            "/__sandbox/requests/7f0e4c1a-1c1d-4b8e-9a55-1f1f1f1f1f1f/status",
            KEY,
            Some(json!({"status": 2})),
        )
        .await;
    assert_eq!(status, 404);
    sandbox.finish().await;
}

/// `advanceSeconds` and `expiresInSeconds` are bounded (ten years a call, a hundred years of
/// clock offset in all): beyond that a 400 names the field, nothing moves, and the tenant goes
/// on answering (an out-of-range clock used to panic on every later request).
#[tokio::test]
async fn control_time_fields_are_bounded_and_nothing_panics() {
    let sandbox = TestSandbox::start().await;
    let tenant = sandbox.tenant(false).await;
    let key = tenant.api_key.expose_secret();
    let post = |path: &'static str, body: Value| {
        sandbox.control_raw(reqwest::Method::POST, path, key, Some(body))
    };
    for seconds in [10_000_000_000_000_i64, i64::MAX, 315_360_001] {
        let (status, envelope) =
            post("/__sandbox/clock", json!({ "advanceSeconds": seconds })).await;
        assert_eq!(status, 400, "{seconds}: {envelope:?}");
        assert_eq!(envelope["error_descriptions"][0]["field"], "advanceSeconds");
    }
    // Nothing moved: a token minted now is still good, and the tenant answers.
    let (_, client, request) = sandbox.approved_loan(key).await;
    client
        .get_business_request_by_id(&request)
        .await
        .data()
        .expect("the tenant still answers");
    // Ten years at a time up to a hundred years ahead, then a 400 and still no panic.
    for _ in 0..10 {
        let (status, envelope) =
            post("/__sandbox/clock", json!({ "advanceSeconds": 315_360_000 })).await;
        assert_eq!(status, 200, "{envelope:?}");
    }
    let (status, envelope) = post("/__sandbox/clock", json!({ "advanceSeconds": 1 })).await;
    assert_eq!(status, 400, "{envelope:?}");
    assert_eq!(envelope["error_descriptions"][0]["field"], "advanceSeconds");
    let _ = sandbox.user(key).await;

    for seconds in [i64::MAX, 315_360_001] {
        let (status, envelope) = post(
            "/__sandbox/oauth/id-token",
            json!({"provider": "Google", "email": "a@example.com", "expiresInSeconds": seconds}),
        )
        .await;
        assert_eq!(status, 400, "{seconds}: {envelope:?}");
        assert_eq!(
            envelope["error_descriptions"][0]["field"],
            "expiresInSeconds"
        );
    }
    let (status, envelope) = post(
        "/__sandbox/oauth/id-token",
        json!({"provider": "Google", "email": "a@example.com", "expiresInSeconds": 315_360_000}),
    )
    .await;
    assert_eq!(status, 200, "{envelope:?}");
    sandbox.finish().await;
}

/// Issue 8: path ids were accepted uppercase, in braces, as `urn:uuid:` and without hyphens.
/// Ids are written lowercase and hyphenated (the docs); a URL accepts only that spelling.
#[tokio::test]
async fn path_and_query_ids_must_be_canonical_uuids() {
    let sandbox = TestSandbox::start().await;
    let (user, _client, request) = sandbox.approved_loan(KEY).await;
    let canonical = request.to_string();
    let spellings = [
        canonical.to_uppercase(),
        format!("{{{canonical}}}"),
        format!("urn:uuid:{canonical}"),
        canonical.replace('-', ""),
        format!(" {canonical}"),
    ];
    let get = |path: String| {
        sandbox
            .http()
            .get(sandbox.url(&path))
            .header("ApiKey", KEY)
            .bearer_auth(user.access_token.expose_secret())
            .send()
    };
    let by_id = |id: &str| format!("/api/BusinessRequest/GetBusinessRequestById/{id}");
    let reply = get(by_id(&canonical)).await.expect("answered");
    assert_eq!(reply.status(), 200);
    for spelling in &spellings {
        let reply = get(by_id(spelling)).await.expect("answered");
        assert_eq!(reply.status(), 400, "{spelling}");
        let body: Value = reply.json().await.expect("an envelope");
        assert_names(&body, "id");
    }
    // The control API's and the hosted pages' path ids, and the query's, the same.
    for spelling in &spellings {
        let (status, envelope) = sandbox
            .control_raw(
                reqwest::Method::POST,
                &format!("/__sandbox/requests/{spelling}/status"),
                KEY,
                Some(json!({"status": 2})),
            )
            .await;
        assert_eq!(status, 400, "{spelling}: {envelope:?}");
        let payment = get(format!(
            "/__sandbox/payments/{spelling}?SecurityHash={}",
            "a".repeat(40)
        ))
        .await
        .expect("answered");
        assert_eq!(payment.status(), 400, "{spelling}");
        let pdf = get(format!(
            "/api/BusinessRequest/ViewContractPdf?RequestId={}&SecurityHash={}",
            spelling
                .replace('{', "%7B")
                .replace('}', "%7D")
                .replace(' ', "%20"),
            "a".repeat(40)
        ))
        .await
        .expect("answered");
        assert_eq!(pdf.status(), 400, "{spelling}");
    }
    sandbox.finish().await;
}

/// Issue 8: `userDeviceUtcTime` accepted `+99999-…`, `-0001-…` and a space for the `T`.
#[tokio::test]
async fn user_device_utc_time_must_be_rfc3339() {
    let sandbox = TestSandbox::start().await;
    let (user, _client, request) = sandbox.approved_loan(KEY).await;
    let body = |time: &str| {
        json!({
            "geoLocation": {"latitude": CAIRO.0, "longitude": CAIRO.1},
            "userDeviceUtcTime": time,
            "requestId": request,
        })
        .to_string()
    };
    let json = Some("application/json");
    for bad in [
        "+99999-01-01T00:00:00Z",
        "-0001-01-01T00:00:00Z",
        "2025-01-15 10:30:00Z",
    ] {
        let (status, reply) = post_raw(
            &sandbox,
            OTP_PATH,
            user.access_token.expose_secret(),
            json,
            body(bad),
        )
        .await;
        assert_eq!(status, 400, "{bad}: {reply}");
        assert_names(&reply, "userDeviceUtcTime");
        assert!(
            !reply.to_string().contains(bad),
            "the value is not echoed: {reply}"
        );
    }
    let (status, reply) = post_raw(
        &sandbox,
        OTP_PATH,
        user.access_token.expose_secret(),
        json,
        body("2025-01-15T10:30:00+02:00"),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    sandbox.finish().await;
}

/// Issue 8: an enum's 400 repeated the value sent.
#[tokio::test]
async fn an_unknown_enum_value_is_not_echoed() {
    let sandbox = TestSandbox::start().await;
    let (status, body) = post_raw(
        &sandbox,
        "/api/DigitalIdentity/VerifyOAuthToken",
        "unused",
        Some("application/json"),
        json!({"provider": "Canary-Secret-77", "idToken": "x"}).to_string(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_names(&body, "provider");
    assert!(!body.to_string().contains("Canary"), "{body}");
    assert!(
        body.to_string().contains("Google"),
        "the expectation is named: {body}"
    );
    sandbox.finish().await;
}
