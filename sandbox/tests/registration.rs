//! Registration: duplicate checks, the phone OTP (never echoed), the email OTP, OAuth ID
//! tokens and Register.

mod common;

use common::*;
use vlens_client::types::{self, OAuthTokenInputProvider};
use vlens_client::{KnownErrorCode, ResultExt};
use vlens_sandbox::control::{CreateUserInput, MintIdTokenInputProvider, SentOtpPurpose};

fn send_phone(phone: &str) -> types::VerifyPhoneInput {
    types::VerifyPhoneInput {
        phone_number: phone.to_string(),
        phone_number_otp: None,
        phone_number_otp_request_id: None,
        sms_providers: Some(types::SmsProvider(0)),
    }
}

fn register_input(phone: &str) -> types::RegisterInput {
    types::RegisterInput {
        email: None,
        email_otp_request_id: None,
        geo_location: Some(geo(CAIRO)),
        imei: Some("device-1".to_string()),
        name: Some("Nour".to_string()),
        o_auth_token_verification_request_id: None,
        password: Some("pass-1234".into()),
        phone_number: phone.to_string(),
        phone_number_otp: None,
        phone_number_otp_request_id: None,
        surname: Some("Hassan".to_string()),
    }
}

/// Sends a phone OTP to `phone`; returns its request id and (from the outbox) its code.
async fn sent_phone_otp(
    sandbox: &TestSandbox,
    client: &vlens_client::Client,
    phone: &str,
) -> (Option<uuid::Uuid>, String) {
    let sent = client
        .register_step_verify_phone(&send_phone(phone))
        .await
        .data()
        .expect("sent");
    (
        sent.phone_number_otp_request_id,
        sandbox.otp(KEY, phone).await.code.into_exposed(),
    )
}

/// A Register input for `phone` carrying a freshly sent phone OTP and its code.
async fn register_with_phone_otp(
    sandbox: &TestSandbox,
    client: &vlens_client::Client,
    phone: &str,
) -> types::RegisterInput {
    let (id, code) = sent_phone_otp(sandbox, client, phone).await;
    let mut input = register_input(phone);
    input.phone_number_otp_request_id = id;
    input.phone_number_otp = Some(code.into());
    input
}

#[tokio::test]
async fn phone_otp_then_register_then_duplicates_are_refused() {
    let sandbox = TestSandbox::start().await;
    let client = sandbox.client(KEY);
    let phone = "+201055512345";
    let sent = client
        .register_step_verify_phone(&send_phone(phone))
        .await
        .data()
        .expect("sent");
    assert!(sent.phone_number_otp.is_none(), "the OTP is never echoed");
    let otp_id = sent.phone_number_otp_request_id.expect("request id");
    let outbox = sandbox.otp(KEY, phone).await;
    assert_eq!(outbox.otp_request_id, otp_id);
    assert_eq!(outbox.purpose, SentOtpPurpose::RegisterPhone);
    assert_eq!(outbox.code.expose_secret().len(), 6);

    // Register before the phone is proven.
    assert_code(
        client.register(&register_input(phone)).await.data(),
        KnownErrorCode::PhoneNumberNotVerified,
    );
    let validate = |code: &str| types::VerifyPhoneInput {
        phone_number: phone.to_string(),
        phone_number_otp: Some(code.into()),
        phone_number_otp_request_id: Some(otp_id),
        sms_providers: None,
    };
    assert_code(
        client
            .register_step_verify_phone(&validate(&wrong_code(outbox.code.expose_secret())))
            .await
            .data(),
        KnownErrorCode::OtpInvalid,
    );
    let validated = client
        .register_step_verify_phone(&validate(outbox.code.expose_secret()))
        .await
        .data()
        .expect("validated");
    assert_eq!(validated.is_phone_number_confirmed, Some(true));
    assert!(validated.phone_number_otp.is_none());

    let mut input = register_input(phone);
    input.phone_number_otp_request_id = Some(otp_id);
    let registered = client.register(&input).await.data().expect("registered");
    assert!(!registered.is_digital_identity_verified);
    assert_eq!(registered.user.phone_number.as_deref(), Some(phone));
    sandbox
        .client_with_token(KEY, registered.access_token.expose_secret())
        .check_eligibility()
        .await
        .data()
        .expect("the new token works");

    assert_code(
        client.register(&input).await.data(),
        KnownErrorCode::PhoneNumberAlreadyRegistered,
    );
    assert_code(
        client
            .register_step_verify_phone(&send_phone(phone))
            .await
            .data(),
        KnownErrorCode::PhoneNumberAlreadyRegistered,
    );
    let exists = client
        .check_existence_of_email_or_phone(&types::CheckExistenceInput {
            email: None,
            phone_number: Some(phone.to_string()),
        })
        .await
        .data()
        .expect("check");
    assert!(exists.exists && exists.is_phone_number_exists == Some(true));
    // Another tenant has no such account.
    let elsewhere = sandbox
        .client(OTHER_KEY)
        .check_existence_of_email_or_phone(&types::CheckExistenceInput {
            email: None,
            phone_number: Some(phone.to_string()),
        })
        .await
        .data()
        .expect("check");
    assert!(!elsewhere.exists);
    sandbox.finish().await;
}

#[tokio::test]
async fn register_with_the_code_in_one_call_and_the_location_is_the_reference() {
    let sandbox = TestSandbox::start().await;
    let client = sandbox.client(KEY);
    let phone = "+201055599999";
    let luxor = from_cairo(160.0, 500.0);
    let mut input = register_with_phone_otp(&sandbox, &client, phone).await;
    input.geo_location = Some(geo(luxor));
    let registered = client.register(&input).await.data().expect("registered");
    // Verify the identity, create a loan, and request an OTP near Luxor (not Cairo).
    let user = sandbox.client_with_token(KEY, registered.access_token.expose_secret());
    verify_identity(&user).await;
    let request = create_request(&user, vlens_sandbox::defaults::PERSONAL_LOAN_TYPE_ID).await;
    user.customer_sign_step_request_otp(&request_otp_input(
        from_cairo(160.0, 470.0),
        Some(request),
    ))
    .await
    .data()
    .expect("30 km from the registration point");
    assert_code(
        user.customer_sign_step_request_otp(&request_otp_input(CAIRO, Some(request)))
            .await
            .data(),
        KnownErrorCode::LocationRevalidationRequired,
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn email_otp_confirms_the_email_and_duplicates_are_refused() {
    let sandbox = TestSandbox::start().await;
    let client = sandbox.client(KEY);
    let email = "nour@example.com";
    let sent = client
        .register_step_verify_email(&types::VerifyEmailInput {
            email: email.to_string(),
            email_otp: None,
            email_otp_request_id: None,
        })
        .await
        .data()
        .expect("sent");
    let email_otp_id = sent.email_otp_request_id.expect("id");
    let kit = sandbox.kit(KEY);
    let outbox = kit.last_email_otp(email).await.expect("an email OTP");
    assert_eq!(outbox.purpose, SentOtpPurpose::RegisterEmail);
    client
        .register_step_verify_email(&types::VerifyEmailInput {
            email: email.to_string(),
            email_otp: Some(outbox.code),
            email_otp_request_id: Some(email_otp_id),
        })
        .await
        .data()
        .expect("validated");
    let phone = "+201055577777";
    let mut input = register_with_phone_otp(&sandbox, &client, phone).await;
    input.email = Some(email.to_string());
    input.email_otp_request_id = Some(email_otp_id);
    let registered = client.register(&input).await.data().expect("registered");
    let login = sandbox.client_with_token(KEY, registered.access_token.expose_secret());
    assert!(
        login
            .check_eligibility()
            .await
            .data()
            .expect("flags")
            .is_email_confirmed
    );
    assert_code(
        client
            .register_step_verify_email(&types::VerifyEmailInput {
                email: email.to_string(),
                email_otp: None,
                email_otp_request_id: None,
            })
            .await
            .data(),
        KnownErrorCode::EmailAlreadyRegistered,
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn oauth_id_tokens_minted_by_the_sandbox_verify() {
    let sandbox = TestSandbox::start().await;
    let client = sandbox.client(KEY);
    let minted = sandbox
        .kit(KEY)
        .id_token(MintIdTokenInputProvider::Google, "g@example.com")
        .await
        .expect("minted");
    let input = |provider, token: &str| types::OAuthTokenInput {
        id_token: token.into(),
        provider,
    };
    let wrong_provider = client
        .verify_o_auth_token(&input(
            OAuthTokenInputProvider::Microsoft,
            minted.expose_secret(),
        ))
        .await
        .data()
        .expect("answered");
    assert!(
        !wrong_provider.is_verified
            && wrong_provider
                .o_auth_token_verification_request_id
                .is_none()
    );
    let garbage = client
        .register_step_verify_o_auth_token(&input(OAuthTokenInputProvider::Google, "x.y.z"))
        .await
        .data()
        .expect("answered");
    assert!(!garbage.is_verified);
    // A token minted for another tenant does not verify here.
    let foreign = sandbox
        .kit(OTHER_KEY)
        .id_token(MintIdTokenInputProvider::Google, "g@example.com")
        .await
        .expect("minted");
    assert!(
        !client
            .verify_o_auth_token(&input(
                OAuthTokenInputProvider::Google,
                foreign.expose_secret()
            ))
            .await
            .data()
            .expect("answered")
            .is_verified
    );
    let verified = client
        .register_step_verify_o_auth_token(&input(
            OAuthTokenInputProvider::Google,
            minted.expose_secret(),
        ))
        .await
        .data()
        .expect("verified");
    assert!(verified.is_verified);
    assert_eq!(verified.email.as_deref(), Some("g@example.com"));
    let phone = "+201055566666";
    let mut input = register_with_phone_otp(&sandbox, &client, phone).await;
    input.o_auth_token_verification_request_id = verified.o_auth_token_verification_request_id;
    let registered = client.register(&input).await.data().expect("registered");
    assert_eq!(
        registered.user.email_address.as_deref(),
        Some("g@example.com")
    );
    // The verification is spent.
    let phone2 = "+201055566667";
    let mut again = register_with_phone_otp(&sandbox, &client, phone2).await;
    again.o_auth_token_verification_request_id = verified.o_auth_token_verification_request_id;
    assert_code(
        client.register(&again).await.data(),
        KnownErrorCode::OAuthVerificationNotFound,
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn registration_input_is_checked() {
    let sandbox = TestSandbox::start().await;
    let client = sandbox.client(KEY);
    let error = api_error(
        client
            .register_step_verify_phone(&send_phone("0123"))
            .await
            .data(),
    );
    assert_eq!(error.status, 400);
    assert_eq!(error.descriptions[0]["field"], "phoneNumber");
    let error = api_error(
        client
            .check_existence_of_email_or_phone(&types::CheckExistenceInput::default())
            .await
            .data(),
    );
    assert_eq!(error.status, 400);
    let error = api_error(
        client
            .register_step_verify_email(&types::VerifyEmailInput {
                email: "not-an-email".to_string(),
                email_otp: None,
                email_otp_request_id: None,
            })
            .await
            .data(),
    );
    assert_eq!(error.descriptions[0]["field"], "email");
    sandbox.finish().await;
}

/// A Register that fails on its email spends nothing: the phone OTP (sent with its code, or
/// validated in StepVerifyPhone) still serves a corrected Register.
#[tokio::test]
async fn a_register_failing_on_the_email_leaves_the_phone_otp_usable() {
    let sandbox = TestSandbox::start().await;
    let client = sandbox.client(KEY);
    let _taken = sandbox
        .user_with(KEY, CreateUserInput::new().email("taken@example.com"))
        .await;
    let kit = sandbox.kit(KEY);
    let mint = |email: &'static str| {
        let kit = kit.clone();
        async move {
            let minted = kit.id_token(MintIdTokenInputProvider::Google, email).await;
            minted.expect("minted").into_exposed()
        }
    };
    let verify = |token: String| {
        let client = client.clone();
        async move {
            client
                .register_step_verify_o_auth_token(&types::OAuthTokenInput {
                    id_token: token.as_str().into(),
                    provider: OAuthTokenInputProvider::Google,
                })
                .await
                .data()
                .expect("verified")
                .o_auth_token_verification_request_id
        }
    };

    // The code sent along; the OAuth email already has an account.
    let phone = "+201055577777";
    let mut input = register_with_phone_otp(&sandbox, &client, phone).await;
    input.o_auth_token_verification_request_id = verify(mint("taken@example.com").await).await;
    assert_code(
        client.register(&input).await.data(),
        KnownErrorCode::EmailAlreadyRegistered,
    );
    // An unknown OAuth verification, then an email OTP never validated.
    input.o_auth_token_verification_request_id = Some(uuid::Uuid::from_u128(42));
    assert_code(
        client.register(&input).await.data(),
        KnownErrorCode::OAuthVerificationNotFound,
    );
    input.o_auth_token_verification_request_id = None;
    input.email = Some("fresh@example.com".to_string());
    input.email_otp_request_id = Some(uuid::Uuid::from_u128(43));
    assert_code(
        client.register(&input).await.data(),
        KnownErrorCode::OtpRequestNotFound,
    );
    // Corrected: the same phone OTP and code register.
    input.email_otp_request_id = None;
    input.o_auth_token_verification_request_id = verify(mint("fresh@example.com").await).await;
    let registered = client.register(&input).await.data().expect("registered");
    assert_eq!(
        registered.user.email_address.as_deref(),
        Some("fresh@example.com")
    );

    // The phone validated in StepVerifyPhone first, then the same.
    let phone = "+201055577778";
    let (otp_id, code) = sent_phone_otp(&sandbox, &client, phone).await;
    client
        .register_step_verify_phone(&types::VerifyPhoneInput {
            phone_number: phone.to_string(),
            phone_number_otp: Some(code.as_str().into()),
            phone_number_otp_request_id: otp_id,
            sms_providers: None,
        })
        .await
        .data()
        .expect("validated");
    let mut input = register_input(phone);
    input.phone_number_otp_request_id = otp_id;
    input.o_auth_token_verification_request_id = verify(mint("taken@example.com").await).await;
    assert_code(
        client.register(&input).await.data(),
        KnownErrorCode::EmailAlreadyRegistered,
    );
    input.o_auth_token_verification_request_id = None;
    client.register(&input).await.data().expect("registered");
    sandbox.finish().await;
}
