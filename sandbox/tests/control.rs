//! The control API, tenant isolation, seeded reproducibility and secret-free logs.

mod common;

use common::*;
use serde_json::{Value, json};
use vlens_client::{ResultExt, types};
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
    let (_user, client, request) = sandbox.approved_loan(KEY).await;
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
