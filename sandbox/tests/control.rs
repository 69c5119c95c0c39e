//! The control API, tenant isolation, seeded reproducibility and secret-free logs.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use common::*;
use serde_json::{Value, json};
use vlens_client::{KnownErrorCode, ResultExt, types};
use vlens_sandbox::control::{CreatedUser, Health, TenantInfo};
use vlens_sandbox::defaults::PERSONAL_LOAN_TYPE_ID;

#[tokio::test]
async fn health_names_the_tenant() {
    let sandbox = TestSandbox::start().await;
    for (key, name) in [(KEY, "Default"), (OTHER_KEY, "Other")] {
        let health: Health = sandbox
            .control(reqwest::Method::GET, "/__sandbox/health", key, None)
            .await;
        assert_eq!(health.status, "ok");
        assert_eq!(health.service, "vlens-sandbox");
        assert_eq!(health.tenancy_name, name);
    }
    assert!(
        sandbox.checked_replies() >= 2,
        "the replies went through the spec check"
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn a_created_tenant_is_isolated() {
    let sandbox = TestSandbox::start().await;
    let tenant: TenantInfo = sandbox.tenant(false).await;
    assert_ne!(tenant.api_key, KEY);
    let user = sandbox
        .user_with(&tenant.api_key, json!({ "phoneNumber": "+201011112222" }))
        .await;
    let check = |key: &str| {
        let client = sandbox.client(key);
        async move {
            client
                .check_existence_of_email_or_phone(&types::CheckExistenceInput {
                    email: None,
                    phone_number: Some("+201011112222".to_string()),
                })
                .await
                .data()
                .expect("check")
                .exists
        }
    };
    assert!(check(&tenant.api_key).await);
    assert!(!check(KEY).await);
    // The same phone can be registered in another tenant.
    sandbox
        .user_with(KEY, json!({ "phoneNumber": "+201011112222" }))
        .await;
    let (status, _) = sandbox
        .control_raw::<Value>(
            reqwest::Method::POST,
            "/__sandbox/users",
            &tenant.api_key,
            Some(json!({ "phoneNumber": "+201011112222" })),
        )
        .await;
    assert_eq!(status, 400, "a duplicate phone within a tenant is refused");
    assert_eq!(user.phone_number, "+201011112222");
    sandbox.finish().await;
}

#[tokio::test]
async fn status_changes_approve_reject_and_countersign() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox.user(KEY).await;
    let client = sandbox.user_client(KEY, &user);
    let request = create_request(&client, PERSONAL_LOAN_TYPE_ID).await;
    for (status, name) in [
        (3, "Rejected"),
        (2, "Approved"),
        (5, "Service Provider Signed"),
    ] {
        let changed: Value = sandbox
            .control(
                reqwest::Method::POST,
                &format!("/__sandbox/requests/{request}/status"),
                KEY,
                Some(json!({ "status": status })),
            )
            .await;
        assert_eq!(changed["requeststatus"], status);
        assert_eq!(changed["requestStatusName"], name);
        let read = client
            .get_business_request_by_id(&request)
            .await
            .data()
            .expect("read");
        assert_eq!(read.requeststatus.0, status);
    }
    // Another tenant cannot change it.
    let (code, _) = sandbox
        .control_raw::<Value>(
            reqwest::Method::POST,
            &format!("/__sandbox/requests/{request}/status"),
            OTHER_KEY,
            Some(json!({ "status": 2 })),
        )
        .await;
    assert_eq!(code, 404);
    let (code, envelope) = sandbox
        .control_raw::<Value>(
            reqwest::Method::POST,
            &format!("/__sandbox/requests/{request}/status"),
            KEY,
            Some(json!({ "status": 9 })),
        )
        .await;
    assert_eq!(code, 400);
    assert_eq!(envelope.error_descriptions[0]["field"], "status");
    sandbox.finish().await;
}

#[tokio::test]
async fn the_same_seed_gives_the_same_ids_and_codes() {
    async fn run(seed: u64) -> (CreatedUser, String, uuid::Uuid) {
        let sandbox = TestSandbox::start_with(Some(seed)).await;
        let user = sandbox.user(KEY).await;
        let client = sandbox.user_client(KEY, &user);
        let request = create_request(&client, PERSONAL_LOAN_TYPE_ID).await;
        client
            .customer_sign_step_request_otp(&request_otp_input(CAIRO, Some(request)))
            .await
            .data()
            .expect("otp");
        let code = sandbox.otp(KEY, &user.phone_number).await.code;
        sandbox.finish().await;
        (user, code, request)
    }
    let (a_user, a_code, a_request) = run(7).await;
    let (b_user, b_code, b_request) = run(7).await;
    let (c_user, _, c_request) = run(8).await;
    assert_eq!(a_user.phone_number, b_user.phone_number);
    assert_eq!(a_user.transaction_id, b_user.transaction_id);
    assert_eq!(a_user.id_number, b_user.id_number);
    assert_eq!(a_request, b_request);
    assert_eq!(a_code, b_code);
    assert_ne!(a_request, c_request);
    assert_ne!(a_user.transaction_id, c_user.transaction_id);
}

/// A tracing writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// A current-thread runtime, so that the thread-local subscriber sees the server's events.
#[tokio::test]
async fn logs_carry_no_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sandbox = TestSandbox::start().await;
    let user = sandbox
        .user_with(KEY, json!({ "password": "pw-SECRET-123" }))
        .await;
    let client = sandbox.user_client(KEY, &user);
    let request = create_request(&client, PERSONAL_LOAN_TYPE_ID).await;
    let sent = client
        .customer_sign_step_request_otp(&request_otp_input(CAIRO, Some(request)))
        .await
        .data()
        .expect("otp");
    let otp = sandbox.otp(KEY, &user.phone_number).await;
    assert_code(
        client
            .customer_sign_step_validate_otp(&validate_otp_input(
                request,
                sent.otp_request_id,
                &wrong_code(&otp.code),
            ))
            .await
            .data(),
        KnownErrorCode::OtpInvalid,
    );
    let url = client
        .generate_sign_contract_link(&sign_input(Some(request), None))
        .await
        .data()
        .expect("link");
    let hash = url.rsplit('=').next().unwrap_or_default().to_string();
    sandbox.http().get(&url).send().await.expect("page");
    sandbox.finish().await;

    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap_or_else(PoisonError::into_inner))
        .into_owned();
    assert!(
        logs.contains("/api/BusinessRequest/CustomerSign/StepRequestOtp"),
        "requests are logged: {logs}"
    );
    for secret in [
        KEY,
        user.access_token.as_str(),
        user.refresh_token.as_str(),
        "pw-SECRET-123",
        otp.code.as_str(),
        hash.as_str(),
    ] {
        assert!(!logs.contains(secret), "a secret leaked into the logs");
    }
}
