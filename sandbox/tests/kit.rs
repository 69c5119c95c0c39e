//! The test kit (`vlens_sandbox::kit`): each fixture against a sandbox whose every reply is
//! checked against the specs, its errors, and what it never shows.

mod common;

use std::time::Duration;

use common::*;
use vlens_client::types::{self, RequestStatus};
use vlens_client::{KnownErrorCode, ResultExt};
use vlens_sandbox::control::{
    CreateTenantInput, CreateUserInput, InjectFaultInput, MintIdTokenInputProvider, RateLimit,
    SentOtpPurpose, SetRateLimitsInput,
};
use vlens_sandbox::defaults::{
    COMMERCIAL_LEASE_TYPE_ID, DEVICE_INSTALMENT_TYPE_ID, PERSONAL_LOAN_TYPE_ID,
};
use vlens_sandbox::kit::{Kit, KitError, SigningLink};

#[tokio::test]
async fn a_user_as_asked_password_email_and_location_included() {
    let sandbox = TestSandbox::start().await;
    let kit = sandbox.kit(KEY);
    let alexandria = geo(from_cairo(315.0, 180.0));
    let input = CreateUserInput::new()
        .password("S3cret-pass")
        .email("Mona@Example.com")
        .geo_location(alexandria.clone())
        .imei("mona-phone");
    let user = kit.user(&input).await.expect("a user");
    assert!(user.is_digital_identity_verified && user.transaction_id.is_some());
    assert_eq!(user.email.as_deref(), Some("mona@example.com"));
    // The password logs in, on the device given.
    let login = types::UserLoginInput::new("mona-phone", user.phone_number.clone())
        .password("S3cret-pass")
        .geo_location(alexandria);
    let logged_in = kit.client().expect("client");
    logged_in
        .digital_identity_login(&login)
        .await
        .data()
        .expect("the password logs in");
    // The location is the user's reference point: Cairo is 180 km away.
    let loan = kit
        .approved_request(&user, PERSONAL_LOAN_TYPE_ID)
        .await
        .expect("a loan");
    match kit.activation_otp(&user, loan.id).await {
        Err(KitError::Vlens(error)) if error.is(KnownErrorCode::LocationRevalidationRequired) => {}
        other => panic!("expected the 80 km rule from Cairo, got {other:?}"),
    }
    // Unverified, on request.
    let unverified = kit
        .user(&CreateUserInput::new().verified(false))
        .await
        .expect("a user");
    assert!(!unverified.is_digital_identity_verified && unverified.transaction_id.is_none());
    sandbox.finish().await;
}

#[tokio::test]
async fn an_approved_request_of_each_product() {
    let sandbox = TestSandbox::start().await;
    let kit = sandbox.kit(KEY);
    for (product, created_as) in [
        (PERSONAL_LOAN_TYPE_ID, RequestStatus::APPROVED),
        (COMMERCIAL_LEASE_TYPE_ID, RequestStatus::PENDING_APPROVAL),
        (DEVICE_INSTALMENT_TYPE_ID, RequestStatus::APPROVED),
    ] {
        let user = kit.verified_user().await.expect("a user");
        let created = kit.request(&user, product).create().await.expect("created");
        assert_eq!(created.requeststatus, Some(created_as), "{product}");
        // The first request is still open, so each approved one needs a user of its own.
        let owner = kit.verified_user().await.expect("a user");
        let approved = kit
            .approved_request(&owner, product)
            .await
            .expect("approved");
        assert_eq!(approved.requeststatus, RequestStatus::APPROVED, "{product}");
        // 415 and 416 are the paid products.
        let paid = product != PERSONAL_LOAN_TYPE_ID;
        assert_eq!(approved.has_payment_check_per_request_feature, Some(paid));
    }
    sandbox.finish().await;
}

#[tokio::test]
async fn a_request_at_any_status_with_the_values_given() {
    let sandbox = TestSandbox::start().await;
    let kit = sandbox.kit(KEY);
    for status in [
        RequestStatus::PENDING_APPROVAL,
        RequestStatus::REJECTED,
        RequestStatus::CUSTOMER_SIGNED,
        RequestStatus::SERVICE_PROVIDER_SIGNED,
    ] {
        let user = kit.verified_user().await.expect("a user");
        let request = kit
            .request(&user, COMMERCIAL_LEASE_TYPE_ID)
            .value("business_name", "Nile Tech Solutions")
            .at_status(status.clone())
            .await
            .expect("a request");
        assert_eq!(request.requeststatus, status);
        let name = request
            .request_fields
            .iter()
            .flatten()
            .find(|field| field.key == "business_name")
            .and_then(|field| field.value.clone());
        assert_eq!(name.as_deref(), Some("Nile Tech Solutions"));
    }
    // A value the form refuses is the Vlens API's error, named.
    let user = kit.verified_user().await.expect("a user");
    let refused = kit
        .request(&user, PERSONAL_LOAN_TYPE_ID)
        .value("loanPurpose", "Yacht")
        .create()
        .await;
    match refused {
        Err(KitError::Vlens(error)) if error.is(KnownErrorCode::InvalidFieldValue) => {}
        other => panic!("expected InvalidFieldValue, got {other:?}"),
    }
    sandbox.finish().await;
}

#[tokio::test]
async fn a_signing_link_an_activation_otp_and_a_whole_activation() {
    let sandbox = TestSandbox::start().await;
    let kit = sandbox.kit(KEY);
    let user = kit.verified_user().await.expect("a user");
    let lease = kit
        .approved_request(&user, COMMERCIAL_LEASE_TYPE_ID)
        .await
        .expect("a lease");
    let link = kit.signing_link(&user, lease.id).await.expect("a link");
    assert_eq!(link.request_id, lease.id);
    let page = sandbox
        .http()
        .get(link.url.expose_secret())
        .send()
        .await
        .expect("the page answers");
    assert_eq!(page.status(), 200);

    let otp = kit.activation_otp(&user, lease.id).await.expect("an OTP");
    assert_eq!(otp.purpose, SentOtpPurpose::Activation);
    assert_eq!(otp.request_id, Some(lease.id));
    assert_eq!(
        kit.last_otp(&user.phone_number).await.expect("the outbox"),
        otp
    );
    let signed = kit.activate(&user, lease.id).await.expect("activated");
    assert_eq!(signed.requeststatus, RequestStatus::CUSTOMER_SIGNED);
    sandbox.finish().await;
}

#[tokio::test]
async fn an_isolated_tenant_has_its_own_clock_admin_and_settings() {
    let sandbox = TestSandbox::start().await;
    let kit = sandbox.kit(KEY);
    let tenant = kit
        .isolated_tenant_with(&CreateTenantInput::new().require_email_confirmation(true))
        .await
        .expect("a tenant");
    let info = tenant.tenant().expect("its credentials");
    assert!(info.require_email_confirmation);
    assert_ne!(tenant.api_key().expose_secret(), KEY);
    assert_eq!(
        tenant.health().await.expect("health").tenancy_name,
        info.tenancy_name
    );

    let before = kit.advance_clock(Duration::ZERO).await.expect("the clock");
    let later = tenant
        .advance_clock(Duration::from_millis(3_600_500))
        .await
        .expect("moved");
    let after = kit.advance_clock(Duration::ZERO).await.expect("the clock");
    // Rounded up to whole seconds; the Default tenant's clock did not move with it.
    assert!(
        later - before >= chrono::Duration::seconds(3_601),
        "{before} {later}"
    );
    assert!(
        after - before < chrono::Duration::seconds(60),
        "{before} {after}"
    );

    // Its admin signs in; the Default tenant's admin through a kit that learns its name.
    for admin in [
        tenant.admin_client().await.expect("an admin"),
        Kit::connect(sandbox.base_url(), OTHER_KEY)
            .expect("a kit")
            .admin_client()
            .await
            .expect("an admin"),
    ] {
        admin
            .get_user_digital_identity_images("+201000000001")
            .await
            .data()
            .expect_err("no such user, but an admin's call");
    }
    sandbox.finish().await;
}

#[tokio::test]
async fn faults_limits_resets_and_id_tokens() {
    let sandbox = TestSandbox::start().await;
    let tenant = sandbox.kit(KEY).isolated_tenant().await.expect("a tenant");
    let fault = InjectFaultInput::new("check-eligibility")
        .status(502)
        .count(2);
    let recorded = tenant.inject_fault(&fault).await.expect("armed");
    assert_eq!((recorded.status, recorded.count), (502, 2));
    let user = tenant.verified_user().await.expect("a user");
    let client = tenant.user_client(&user).expect("a client");
    let error = client
        .check_eligibility()
        .await
        .data()
        .expect_err("faulted");
    assert_eq!(error.api().map(|api| api.status), Some(502));

    let limits = SetRateLimitsInput::new()
        .otp_requests(RateLimit::new(1, 60))
        .failed_passwords(None);
    let now = tenant.set_rate_limits(&limits).await.expect("set");
    assert_eq!(now.otp_requests, Some(RateLimit::new(1, 60)));
    assert_eq!(now.failed_passwords, None);
    assert!(now.wrong_otp_codes.is_some(), "a limit left out stays");

    tenant.reset().await.expect("reset");
    let restored = tenant
        .set_rate_limits(&SetRateLimitsInput::new())
        .await
        .expect("read");
    assert_eq!(restored, vlens_sandbox::RateLimits::default().into());
    // The reset forgot the user and the fault.
    let error = client
        .check_eligibility()
        .await
        .data()
        .expect_err("forgotten");
    assert!(error.is(KnownErrorCode::Unauthorized), "{error:?}");

    let token = tenant
        .id_token(MintIdTokenInputProvider::Microsoft, "ms@example.com")
        .await
        .expect("minted");
    let verified = tenant
        .client()
        .expect("client")
        .verify_o_auth_token(&types::OAuthTokenInput::new(
            token.expose_secret(),
            types::OAuthTokenInputProvider::Microsoft,
        ))
        .await
        .data()
        .expect("verified");
    assert!(verified.is_verified);
    sandbox.finish().await;
}

#[tokio::test]
async fn control_errors_name_the_operation_status_and_fields() {
    let sandbox = TestSandbox::start().await;
    let kit = sandbox.kit(KEY);
    let taken = CreateUserInput::new().phone_number("+201011112222");
    kit.user(&taken).await.expect("a user");
    let Err(KitError::Control(error)) = kit.user(&taken).await else {
        panic!("a duplicate phone is refused");
    };
    assert_eq!(error.operation, "sandbox-create-user");
    assert_eq!((error.status, error.error_code), (400, Some(400)));
    assert_eq!(error.fields(), ["phoneNumber"]);
    let shown = KitError::Control(error).to_string();
    assert!(
        shown.starts_with("sandbox-create-user: HTTP 400: "),
        "{shown}"
    );

    let missing = kit.last_otp("+201099999999").await.expect_err("no OTP");
    assert_eq!(missing.status(), Some(404));

    let wrong_key = sandbox.kit("not-a-key");
    assert_eq!(
        wrong_key
            .verified_user()
            .await
            .expect_err("refused")
            .status(),
        Some(401)
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn no_secret_in_debug_or_in_a_transport_error() {
    let sandbox = TestSandbox::start().await;
    let kit = sandbox.kit(KEY);
    let user = kit
        .user(&CreateUserInput::new().password("pw-canary-1"))
        .await
        .expect("a user");
    let loan = kit
        .approved_request(&user, PERSONAL_LOAN_TYPE_ID)
        .await
        .expect("a loan");
    let link = kit.signing_link(&user, loan.id).await.expect("a link");
    let otp = kit.activation_otp(&user, loan.id).await.expect("an OTP");
    let tenant = kit.isolated_tenant().await.expect("a tenant");
    let secrets = [
        KEY.to_owned(),
        user.access_token.expose_secret().to_owned(),
        user.refresh_token.expose_secret().to_owned(),
        link.security_hash.expose_secret().to_owned(),
        otp.code.expose_secret().to_owned(),
        tenant.api_key().expose_secret().to_owned(),
    ];
    let shown = format!(
        "{kit:?} {user:?} {link:?} {otp:?} {tenant:?} {:?} {:?}",
        tenant.tenant(),
        CreateUserInput::new().password("pw-canary-1")
    );
    for secret in secrets.iter().map(String::as_str).chain(["pw-canary-1"]) {
        assert!(!shown.contains(secret), "{shown}");
    }

    // Nothing listens there: the error names the operation, not the URL's query or the key.
    let closed =
        Kit::connect("http://127.0.0.1:9/base?key=query-canary", "key-canary").expect("a kit");
    let error = closed.health().await.expect_err("nothing listens");
    assert!(matches!(error, KitError::Transport { .. }), "{error:?}");
    let message = format!("{error} {error:?}");
    assert!(message.starts_with("sandbox-health: "), "{message}");
    assert!(!message.contains("canary"), "{message}");
    sandbox.finish().await;
}

#[test]
fn a_rate_limit_left_out_is_absent_and_one_turned_off_is_null() {
    let left_out = SetRateLimitsInput::new();
    let turned_off = SetRateLimitsInput::new().wrong_otp_codes(None);
    assert_eq!(serde_json::to_string(&left_out).expect("json"), "{}");
    assert_eq!(
        serde_json::to_string(&turned_off).expect("json"),
        r#"{"wrongOtpCodes":null}"#
    );
    for (json, expected) in [
        (r#"{}"#, left_out),
        (r#"{"wrongOtpCodes":null}"#, turned_off),
    ] {
        let read: SetRateLimitsInput = serde_json::from_str(json).expect("reads");
        assert_eq!(read, expected, "{json}");
    }
}

#[test]
fn a_signing_link_without_its_parts_is_a_fixture_error() {
    let request = uuid::Uuid::new_v4();
    let url = format!("http://127.0.0.1:1/sign?RequestId={request}&SecurityHash=abc");
    let link = SigningLink::parse(url.into()).expect("parses");
    assert_eq!(
        (link.request_id, link.security_hash.expose_secret()),
        (request, "abc")
    );
    for broken in [
        "http://127.0.0.1:1/sign",
        "http://127.0.0.1:1/sign?SecurityHash=abc",
        "http://127.0.0.1:1/sign?RequestId=nope&SecurityHash=abc",
        "http://127.0.0.1:1/sign?RequestId=7f0e4c1a-1c1d-4b8e-9a55-1f1f1f1f1f1f",
    ] {
        let error = SigningLink::parse(broken.into()).expect_err(broken);
        assert!(matches!(error, KitError::Fixture(_)), "{broken}: {error:?}");
    }
}

/// `Kit::new` takes the Default tenant's ApiKey the sandbox was configured with.
#[tokio::test]
async fn a_kit_for_a_sandbox_with_its_own_api_key() {
    let sandbox = TestSandbox::start_config(vlens_sandbox::SandboxConfig {
        api_key: "my-own-key".to_owned(),
        ..vlens_sandbox::SandboxConfig::default()
    })
    .await;
    let kit = Kit::new(sandbox.running()).expect("a kit");
    assert_eq!(kit.api_key().expose_secret(), "my-own-key");
    let health = kit.health().await.expect("the key works");
    assert_eq!(health.tenancy_name, "Default");
    sandbox.finish().await;
}
