//! The control API, tenant isolation, seeded reproducibility and secret-free logs.

mod common;

use common::*;
use vlens_client::{ResultExt, types};
use vlens_sandbox::control::{
    CreateUserInput, CreatedUser, TenantInfo, types::HealthService, types::HealthStatus,
};
use vlens_sandbox::defaults::PERSONAL_LOAN_TYPE_ID;
use vlens_sandbox::kit::KitError;

#[tokio::test]
async fn health_names_the_tenant() {
    let sandbox = TestSandbox::start().await;
    for (key, name) in [(KEY, "Default"), (OTHER_KEY, "Other")] {
        let health = sandbox.kit(key).health().await.expect("health");
        assert_eq!(health.status, HealthStatus::Ok);
        assert_eq!(health.service, HealthService::VlensSandbox);
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
    assert_ne!(tenant.api_key.expose_secret(), KEY);
    let user = sandbox
        .user_with(
            tenant.api_key.expose_secret(),
            CreateUserInput::new().phone_number("+201011112222"),
        )
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
    assert!(check(tenant.api_key.expose_secret()).await);
    assert!(!check(KEY).await);
    // The same phone can be registered in another tenant.
    sandbox
        .user_with(KEY, CreateUserInput::new().phone_number("+201011112222"))
        .await;
    let duplicate = CreateUserInput::new().phone_number("+201011112222");
    let refused = sandbox
        .kit(tenant.api_key.expose_secret())
        .user(&duplicate)
        .await;
    let Err(KitError::Control(error)) = refused else {
        panic!("a duplicate phone within a tenant is refused, got {refused:?}");
    };
    assert_eq!((error.status, error.fields()), (400, vec!["phoneNumber"]));
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
        let changed = sandbox
            .kit(KEY)
            .set_status(request, types::RequestStatus(status))
            .await
            .expect("the status changes");
        assert_eq!((changed.id, changed.requeststatus), (request, status));
        assert_eq!(changed.request_status_name, name);
        let read = client
            .get_business_request_by_id(&request)
            .await
            .data()
            .expect("read");
        assert_eq!(read.requeststatus.0, status);
    }
    // Another tenant cannot change it.
    let other = sandbox.kit(OTHER_KEY);
    let refused = other
        .set_status(request, types::RequestStatus::APPROVED)
        .await;
    assert_eq!(refused.map_err(|e| e.status()).err(), Some(Some(404)));
    let refused = sandbox
        .kit(KEY)
        .set_status(request, types::RequestStatus(9))
        .await;
    let Err(KitError::Control(error)) = refused else {
        panic!("status 9 is refused, got {refused:?}");
    };
    assert_eq!((error.status, error.fields()), (400, vec!["status"]));
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
        let code = sandbox
            .otp(KEY, &user.phone_number)
            .await
            .code
            .into_exposed();
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
