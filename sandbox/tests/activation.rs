//! Activation: the 80 km rule, re-validation, OTP rules, step order and payment.

mod common;

use common::*;
use vlens_client::types::{self, RequestStatus};
use vlens_client::{KnownErrorCode, ResultExt};
use vlens_sandbox::control::{CreateUserInput, SentOtpPurpose};
use vlens_sandbox::defaults::{COMMERCIAL_LEASE_TYPE_ID, PERSONAL_LOAN_TYPE_ID};

#[tokio::test]
async fn within_79_km_an_otp_is_sent_and_81_km_needs_revalidation() {
    let sandbox = TestSandbox::start().await;
    let (user, client, request) = sandbox.approved_loan(KEY).await;
    for bearing in [0.0, 135.0, 270.0] {
        let near = from_cairo(bearing, 79.0);
        let sent = client
            .customer_sign_step_request_otp(&request_otp_input(near, Some(request)))
            .await
            .data()
            .expect("79 km is within range");
        let outbox = sandbox.otp(KEY, &user.phone_number).await;
        assert_eq!(outbox.otp_request_id, sent.otp_request_id);
        assert_eq!(outbox.purpose, SentOtpPurpose::Activation);
        assert_eq!(outbox.request_id, Some(request));

        let far = from_cairo(bearing, 81.0);
        assert_code(
            client
                .customer_sign_step_request_otp(&request_otp_input(far, Some(request)))
                .await
                .data(),
            KnownErrorCode::LocationRevalidationRequired,
        );
        // No OTP was sent for the refused call: the outbox still holds the previous one.
        assert_eq!(
            sandbox.otp(KEY, &user.phone_number).await.otp_request_id,
            sent.otp_request_id
        );
    }
    sandbox.finish().await;
}

#[tokio::test]
async fn the_boundary_sits_at_80_km() {
    let sandbox = TestSandbox::start().await;
    let (_user, client, request) = sandbox.approved_loan(KEY).await;
    let inside = from_cairo(45.0, 79.999);
    let outside = from_cairo(45.0, 80.01);
    assert!(vlens_sandbox::distance_km(CAIRO.0, CAIRO.1, inside.0, inside.1) <= 80.0);
    client
        .customer_sign_step_request_otp(&request_otp_input(inside, Some(request)))
        .await
        .data()
        .expect("just inside 80 km");
    assert_code(
        client
            .customer_sign_step_request_otp(&request_otp_input(outside, Some(request)))
            .await
            .data(),
        KnownErrorCode::LocationRevalidationRequired,
    );
    sandbox.finish().await;
}

fn revalidation(
    at: (f64, f64),
    request: uuid::Uuid,
    transaction: Option<uuid::Uuid>,
    faces: [Vec<u8>; 3],
) -> types::StepReValidateLivenessInput {
    let [a, b, c] = faces;
    types::StepReValidateLivenessInput {
        contract_storage_id: None,
        geo_location: geo(at),
        payment_gateway: None,
        request_id: Some(request),
        scan_transaction: types::ScanTransaction {
            face_1: b64(&a),
            face_2: b64(&b),
            face_3: b64(&c),
            image: None,
        },
        transaction_id: transaction,
        user_device_utc_time: now(),
    }
}

#[tokio::test]
async fn revalidation_moves_the_reference_then_a_new_otp_activates() {
    let sandbox = TestSandbox::start().await;
    let (user, client, request) = sandbox.approved_loan(KEY).await;
    let alexandria = from_cairo(315.0, 180.0);
    assert_code(
        client
            .customer_sign_step_request_otp(&request_otp_input(alexandria, Some(request)))
            .await
            .data(),
        KnownErrorCode::LocationRevalidationRequired,
    );
    // Another transaction than the user's KYC one is refused.
    assert_code(
        client
            .customer_sign_step_re_validate_liveness(&revalidation(
                alexandria,
                request,
                Some(uuid::Uuid::from_u128(42)),
                [png(1), png(2), png(3)],
            ))
            .await
            .data(),
        KnownErrorCode::TransactionMismatch,
    );
    // Identical frames are refused.
    assert_code(
        client
            .customer_sign_step_re_validate_liveness(&revalidation(
                alexandria,
                request,
                user.transaction_id,
                [png(1), png(1), png(3)],
            ))
            .await
            .data(),
        KnownErrorCode::LivenessFramesIdentical,
    );
    let message = client
        .customer_sign_step_re_validate_liveness(&revalidation(
            alexandria,
            request,
            user.transaction_id,
            [png(1), jpeg(2), png(3)],
        ))
        .await
        .data()
        .expect("re-validation succeeds");
    assert!(message.contains("Proceed"), "{message}");
    // Alexandria is the reference now: an OTP is sent there, and Cairo is too far.
    let sent = client
        .customer_sign_step_request_otp(&request_otp_input(alexandria, Some(request)))
        .await
        .data()
        .expect("a new OTP after re-validation");
    assert_code(
        client
            .customer_sign_step_request_otp(&request_otp_input(CAIRO, Some(request)))
            .await
            .data(),
        KnownErrorCode::LocationRevalidationRequired,
    );
    // The refused Cairo call sent nothing, so the Alexandria OTP is still the live one.
    let code = sandbox.otp(KEY, &user.phone_number).await.code;
    client
        .customer_sign_step_validate_otp(&validate_otp_input(request, sent.otp_request_id, &code))
        .await
        .data()
        .expect("the OTP validates");
    client
        .customer_sign_step_validate_payment(&sign_input(Some(request), None))
        .await
        .data()
        .expect("activation without a charge");
    let activated = client
        .get_business_request_by_id(&request)
        .await
        .data()
        .expect("read");
    assert_eq!(activated.requeststatus, RequestStatus::CUSTOMER_SIGNED);
    assert_eq!(activated.request_status_name, "Customer Signed");
    sandbox.finish().await;
}

#[tokio::test]
async fn a_login_from_a_new_place_moves_the_reference_point() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox
        .user_with(
            KEY,
            CreateUserInput::new()
                .password("s3cret-pass")
                .imei("phone-1"),
        )
        .await;
    let client = sandbox.user_client(KEY, &user);
    let request = create_request(&client, PERSONAL_LOAN_TYPE_ID).await;
    let aswan = from_cairo(170.0, 680.0);
    assert_code(
        client
            .customer_sign_step_request_otp(&request_otp_input(aswan, Some(request)))
            .await
            .data(),
        KnownErrorCode::LocationRevalidationRequired,
    );
    let login = sandbox
        .client(KEY)
        .digital_identity_login(&types::UserLoginInput {
            geo_location: Some(geo(aswan)),
            imei: "phone-1".to_string(),
            imsi: None,
            is_phone2_fa_enabled: None,
            password: Some("s3cret-pass".into()),
            phone_number: user.phone_number.clone(),
            phone_number_otp: None,
            phone_number_otp_request_id: None,
            sms_provider: None,
            sms_providers: None,
        })
        .await
        .data()
        .expect("login on a known device");
    let token = login.access_token.expect("a token").into_exposed();
    let relogged = sandbox.client_with_token(KEY, &token);
    relogged
        .customer_sign_step_request_otp(&request_otp_input(from_cairo(170.0, 700.0), Some(request)))
        .await
        .data()
        .expect("20 km from the login place");
    assert_code(
        relogged
            .customer_sign_step_request_otp(&request_otp_input(CAIRO, Some(request)))
            .await
            .data(),
        KnownErrorCode::LocationRevalidationRequired,
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn steps_out_of_order_are_refused() {
    let sandbox = TestSandbox::start().await;
    let (user, client, request) = sandbox.approved_loan(KEY).await;
    assert_code(
        client
            .customer_sign_step_validate_otp(&validate_otp_input(
                request,
                uuid::Uuid::from_u128(1),
                "123456",
            ))
            .await
            .data(),
        KnownErrorCode::StepOutOfOrder,
    );
    assert_code(
        client
            .customer_sign_step_validate_payment(&sign_input(Some(request), None))
            .await
            .data(),
        KnownErrorCode::StepOutOfOrder,
    );
    let sent = client
        .customer_sign_step_request_otp(&request_otp_input(CAIRO, Some(request)))
        .await
        .data()
        .expect("otp");
    // An OTP requested but not validated: payment is still out of order.
    assert_code(
        client
            .customer_sign_step_validate_payment(&sign_input(Some(request), None))
            .await
            .data(),
        KnownErrorCode::StepOutOfOrder,
    );
    let code = sandbox.otp(KEY, &user.phone_number).await.code;
    client
        .customer_sign_step_validate_otp(&validate_otp_input(request, sent.otp_request_id, &code))
        .await
        .data()
        .expect("validates");
    // Without requestId the step applies to the current request.
    client
        .customer_sign_step_validate_payment(&sign_input(None, None))
        .await
        .data()
        .expect("activates the current request");
    assert_code(
        client
            .customer_sign_step_request_otp(&request_otp_input(CAIRO, Some(request)))
            .await
            .data(),
        KnownErrorCode::RequestAlreadyActivated,
    );
    assert_code(
        client
            .customer_sign_step_validate_payment(&sign_input(Some(request), None))
            .await
            .data(),
        KnownErrorCode::RequestAlreadyActivated,
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn a_request_pending_or_rejected_is_not_approved() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox.user(KEY).await;
    let client = sandbox.user_client(KEY, &user);
    let request = create_request(&client, COMMERCIAL_LEASE_TYPE_ID).await;
    let read = client
        .get_business_request_by_id(&request)
        .await
        .data()
        .expect("read");
    assert_eq!(read.requeststatus, RequestStatus::PENDING_APPROVAL);
    assert_code(
        client
            .customer_sign_step_request_otp(&request_otp_input(CAIRO, Some(request)))
            .await
            .data(),
        KnownErrorCode::RequestNotApproved,
    );
    sandbox.set_status(KEY, request, 3).await;
    assert_code(
        client
            .customer_sign_step_request_otp(&request_otp_input(CAIRO, Some(request)))
            .await
            .data(),
        KnownErrorCode::RequestNotApproved,
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn a_paid_product_returns_a_payment_url_and_needs_a_gateway() {
    let sandbox = TestSandbox::start().await;
    let (_user, client, request, url) = sandbox.paid_lease_with_payment_url(KEY).await;
    assert!(
        url.starts_with(&format!(
            "{}/__sandbox/payments/{request}?SecurityHash=",
            sandbox.base_url()
        )),
        "{url}"
    );
    let page = sandbox.http().get(&url).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let error = api_error(
        client
            .customer_sign_step_validate_payment(&sign_input(Some(request), None))
            .await
            .data(),
    );
    assert_eq!(error.status, 400);
    assert!(error.message.unwrap_or_default().contains("paymentGateway"));
    client
        .customer_sign_step_validate_payment(&sign_input(Some(request), Some("fawry")))
        .await
        .data()
        .expect("paid activation");
    sandbox.finish().await;
}

#[tokio::test]
async fn an_otp_succeeds_once() {
    let sandbox = TestSandbox::start().await;
    let (user, client, request) = sandbox.approved_loan(KEY).await;
    let (sent_id, code) = sandbox
        .activation_otp(&client, KEY, &user.phone_number, request)
        .await;
    let input = validate_otp_input(request, sent_id, &code);
    client
        .customer_sign_step_validate_otp(&input)
        .await
        .data()
        .expect("first use");
    assert_code(
        client.customer_sign_step_validate_otp(&input).await.data(),
        KnownErrorCode::OtpAlreadyUsed,
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn an_otp_expires_after_300_seconds_of_tenant_clock() {
    let sandbox = TestSandbox::start().await;
    let tenant = sandbox.tenant(false).await;
    let key = tenant.api_key.expose_secret();
    let (user, client, request) = sandbox.approved_loan(key).await;
    let (sent_id, code) = sandbox
        .activation_otp(&client, key, &user.phone_number, request)
        .await;
    sandbox.advance_clock(key, 301).await;
    assert_code(
        client
            .customer_sign_step_validate_otp(&validate_otp_input(request, sent_id, &code))
            .await
            .data(),
        KnownErrorCode::OtpExpired,
    );
    // A new OTP works, and only this tenant's clock moved.
    let again = client
        .customer_sign_step_request_otp(&request_otp_input(CAIRO, Some(request)))
        .await
        .data()
        .expect("new otp");
    let code = sandbox.otp(key, &user.phone_number).await.code;
    // 290 s, not 299: the tenant clock is the wall clock plus the offset, so a loaded machine
    // must still have seconds to spare between issuing and validating.
    sandbox.advance_clock(key, 290).await;
    client
        .customer_sign_step_validate_otp(&validate_otp_input(request, again.otp_request_id, &code))
        .await
        .data()
        .expect("290 s is within the lifetime");
    sandbox.finish().await;
}

#[tokio::test]
async fn five_wrong_codes_kill_the_otp_and_a_newer_otp_supersedes() {
    let sandbox = TestSandbox::start().await;
    let (user, client, request) = sandbox.approved_loan(KEY).await;
    let (first_id, code) = sandbox
        .activation_otp(&client, KEY, &user.phone_number, request)
        .await;
    for _ in 0..5 {
        assert_code(
            client
                .customer_sign_step_validate_otp(&validate_otp_input(
                    request,
                    first_id,
                    wrong_code(&code),
                ))
                .await
                .data(),
            KnownErrorCode::OtpInvalid,
        );
    }
    assert_code(
        client
            .customer_sign_step_validate_otp(&validate_otp_input(request, first_id, &code))
            .await
            .data(),
        KnownErrorCode::OtpAttemptsExceeded,
    );
    let second = client
        .customer_sign_step_request_otp(&request_otp_input(CAIRO, Some(request)))
        .await
        .data()
        .expect("a new otp");
    let third = client
        .customer_sign_step_request_otp(&request_otp_input(CAIRO, Some(request)))
        .await
        .data()
        .expect("a newer otp");
    let second_code = sandbox.otp(KEY, &user.phone_number).await.code;
    assert_code(
        client
            .customer_sign_step_validate_otp(&validate_otp_input(
                request,
                second.otp_request_id,
                &second_code,
            ))
            .await
            .data(),
        KnownErrorCode::OtpRequestNotFound,
    );
    client
        .customer_sign_step_validate_otp(&validate_otp_input(
            request,
            third.otp_request_id,
            &second_code,
        ))
        .await
        .data()
        .expect("the newest OTP validates");
    sandbox.finish().await;
}

#[tokio::test]
async fn otp_traffic_does_not_grow_memory() {
    // 200 OTPs for one request: without throttling, which would stop them at 10.
    let sandbox = TestSandbox::start_unthrottled().await;
    let (_user, client, request) = sandbox.approved_loan(KEY).await;
    for _ in 0..200 {
        client
            .customer_sign_step_request_otp(&request_otp_input(CAIRO, Some(request)))
            .await
            .data()
            .expect("otp");
    }
    // Each OTP superseded the previous one for the same request.
    assert_eq!(sandbox.running().otp_count(), 1);
    sandbox.finish().await;
}

#[tokio::test]
async fn expired_otps_are_purged() {
    let sandbox = TestSandbox::start().await;
    let tenant = sandbox.tenant(false).await;
    let key = tenant.api_key.expose_secret();
    let (user, client, request) = sandbox.approved_loan(key).await;
    let (otp_id, code) = sandbox
        .activation_otp(&client, key, &user.phone_number, request)
        .await;
    assert_eq!(sandbox.running().otp_count(), 1);
    // Kept 600 s past its 300 s lifetime (a late attempt still says OtpExpired)...
    sandbox.advance_clock(key, 890).await;
    assert_eq!(sandbox.running().otp_count(), 1);
    assert_code(
        client
            .customer_sign_step_validate_otp(&validate_otp_input(request, otp_id, &code))
            .await
            .data(),
        KnownErrorCode::OtpExpired,
    );
    // ...then forgotten.
    sandbox.advance_clock(key, 20).await;
    assert_eq!(sandbox.running().otp_count(), 0);
    assert_code(
        client
            .customer_sign_step_validate_otp(&validate_otp_input(request, otp_id, &code))
            .await
            .data(),
        KnownErrorCode::OtpRequestNotFound,
    );
    sandbox.finish().await;
}

/// A status change through the control API voids the activation under way: a request signed,
/// then moved back to Approved, needs a new OTP before StepValidatePayment (no second
/// activation on the first OTP), and an OTP sent before a change no longer validates.
#[tokio::test]
async fn a_control_status_change_resets_the_activation() {
    let sandbox = TestSandbox::start().await;
    let (user, client, request) = sandbox.approved_loan(KEY).await;
    let input = sign_input(Some(request), None);
    let pay = || client.customer_sign_step_validate_payment(&input);
    sandbox
        .validated_otp(&client, KEY, &user.phone_number, request)
        .await;
    pay().await.data().expect("activates");
    sandbox
        .set_status(KEY, request, RequestStatus::APPROVED.0)
        .await;
    assert_code(pay().await.data(), KnownErrorCode::StepOutOfOrder);

    // An OTP sent, then a status change: the OTP is void.
    let (otp_id, code) = sandbox
        .activation_otp(&client, KEY, &user.phone_number, request)
        .await;
    sandbox
        .set_status(KEY, request, RequestStatus::APPROVED.0)
        .await;
    assert_code(
        client
            .customer_sign_step_validate_otp(&validate_otp_input(request, otp_id, &code))
            .await
            .data(),
        KnownErrorCode::StepOutOfOrder,
    );
    assert_code(pay().await.data(), KnownErrorCode::StepOutOfOrder);
    // A new OTP starts the activation over.
    sandbox
        .validated_otp(&client, KEY, &user.phone_number, request)
        .await;
    pay()
        .await
        .data()
        .expect("activates again after a fresh OTP");
    sandbox.finish().await;
}
