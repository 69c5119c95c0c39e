//! ApiKeys, token kinds and lifetimes, admin login, end-user login and refresh rotation.

mod common;

use common::*;
use vlens_client::types::{self, LoginInput};
use vlens_client::{Client, KnownErrorCode, ResultExt, RetryPolicy};
use vlens_sandbox::control::{CreateUserInput, SentOtpPurpose};
use vlens_sandbox::defaults::{ADMIN_PASSWORD, ADMIN_USER_NAME};

fn login_input(tenancy: &str, user: &str, password: &str) -> LoginInput {
    LoginInput {
        password: password.into(),
        tenancy_name: tenancy.try_into().expect("short name"),
        user_name_or_email_address: user.try_into().expect("short name"),
    }
}

#[tokio::test]
async fn a_missing_or_unknown_api_key_is_401() {
    let sandbox = TestSandbox::start().await;
    let reply = sandbox
        .http()
        .get(sandbox.url("/api/BusinessRequest/CheckEligibility"))
        .send()
        .await
        .expect("answered");
    assert_eq!(reply.status(), 401);
    let error = api_error(
        sandbox
            .client("no-such-key")
            .check_eligibility()
            .await
            .data(),
    );
    assert_eq!(error.status, 401);
    assert!(error.message.unwrap_or_default().contains("API Key"));
    sandbox.finish().await;
}

#[tokio::test]
async fn user_operations_need_a_user_token() {
    let sandbox = TestSandbox::start().await;
    let no_token = sandbox.client(KEY);
    assert_code(
        no_token.check_eligibility().await.data(),
        KnownErrorCode::Unauthorized,
    );
    let garbage = sandbox.client_with_token(KEY, "not-a-jwt");
    assert_code(
        garbage.check_eligibility().await.data(),
        KnownErrorCode::Unauthorized,
    );
    let admin = sandbox.admin_client(KEY).await;
    assert_code(
        admin.check_eligibility().await.data(),
        KnownErrorCode::Forbidden,
    );
    assert_code(
        admin.get_all_request_types().await.data(),
        KnownErrorCode::Forbidden,
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn admin_operations_need_an_admin_token() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox.user(KEY).await;
    let client = sandbox.user_client(KEY, &user);
    assert_code(
        client
            .get_user_digital_identity_images(&user.phone_number)
            .await
            .data(),
        KnownErrorCode::Forbidden,
    );
    assert_code(
        sandbox
            .client(KEY)
            .get_user_digital_identity_images(&user.phone_number)
            .await
            .data(),
        KnownErrorCode::Unauthorized,
    );
    let admin = sandbox.admin_client(KEY).await;
    let images = admin
        .get_user_digital_identity_images(&user.phone_number)
        .await
        .data()
        .expect("admin reads the images");
    assert_eq!(images.transaction_id, user.transaction_id);
    sandbox.finish().await;
}

#[tokio::test]
async fn a_token_of_another_tenant_is_401() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox.user(OTHER_KEY).await;
    let crossed = sandbox.client_with_token(KEY, user.access_token.expose_secret());
    assert_code(
        crossed.check_eligibility().await.data(),
        KnownErrorCode::Unauthorized,
    );
    let own = sandbox.client_with_token(OTHER_KEY, user.access_token.expose_secret());
    own.check_eligibility()
        .await
        .data()
        .expect("own tenant works");
    sandbox.finish().await;
}

#[tokio::test]
async fn tokens_expire_on_the_tenant_clock() {
    let sandbox = TestSandbox::start().await;
    let tenant = sandbox.tenant(false).await;
    let user = sandbox.user(tenant.api_key.expose_secret()).await;
    let client = sandbox.user_client(tenant.api_key.expose_secret(), &user);
    // Token times are whole seconds: leave a margin below the 86,400 s lifetime.
    sandbox
        .advance_clock(tenant.api_key.expose_secret(), 86_390)
        .await;
    client
        .check_eligibility()
        .await
        .data()
        .expect("still valid");
    sandbox
        .advance_clock(tenant.api_key.expose_secret(), 10)
        .await;
    let error = api_error(client.check_eligibility().await.data());
    assert_eq!(error.status, 401);
    assert!(error.message.unwrap_or_default().contains("expired"));
    // The Default tenant's clock did not move.
    let other = sandbox.user(KEY).await;
    sandbox
        .user_client(KEY, &other)
        .check_eligibility()
        .await
        .data()
        .expect("unaffected");
    sandbox.finish().await;
}

#[tokio::test]
async fn admin_login_checks_tenancy_and_password() {
    let sandbox = TestSandbox::start().await;
    let build = |tenancy: &str| {
        Client::builder(sandbox.base_url(), KEY)
            .tenancy_name(tenancy)
            .retry_policy(RetryPolicy::none())
            .build()
            .expect("client")
    };
    let ok = build("Default")
        .login(&login_input("Default", ADMIN_USER_NAME, ADMIN_PASSWORD))
        .await
        .data()
        .expect("login");
    assert_eq!(ok.expire_in_seconds, 86_400);
    assert_eq!(ok.refresh_token_expire_in_seconds, 604_800);
    for (header, body, user, password) in [
        ("Default", "Default", ADMIN_USER_NAME, "wrong"),
        ("Default", "Default", "someone", ADMIN_PASSWORD),
        ("Other", "Default", ADMIN_USER_NAME, ADMIN_PASSWORD),
        ("Default", "Other", ADMIN_USER_NAME, ADMIN_PASSWORD),
    ] {
        assert_code(
            build(header)
                .login(&login_input(body, user, password))
                .await
                .data(),
            KnownErrorCode::Unauthorized,
        );
    }
    // Without the TenancyName header: 400 naming it.
    let error = api_error(
        sandbox
            .client(KEY)
            .login(&login_input("Default", ADMIN_USER_NAME, ADMIN_PASSWORD))
            .await
            .data(),
    );
    assert_eq!(error.status, 400);
    assert!(error.message.unwrap_or_default().contains("TenancyName"));
    sandbox.finish().await;
}

#[tokio::test]
async fn admin_refresh_tokens_rotate() {
    let sandbox = TestSandbox::start().await;
    let client = Client::builder(sandbox.base_url(), KEY)
        .tenancy_name("Default")
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    let login = client
        .login(&login_input("Default", ADMIN_USER_NAME, ADMIN_PASSWORD))
        .await
        .data()
        .expect("login");
    let refresh = |token: &str| types::RefreshTokenInput {
        refresh_token: Some(token.into()),
    };
    let first = client
        .refresh_token(&refresh(login.refresh_token.expose_secret()))
        .await
        .data()
        .expect("refresh");
    let next = first
        .new_refresh_token
        .clone()
        .expect("a new refresh token");
    assert_eq!(first.refresh_token.as_ref(), Some(&next));
    assert_code(
        client
            .refresh_token(&refresh(login.refresh_token.expose_secret()))
            .await
            .data(),
        KnownErrorCode::InvalidRefreshToken,
    );
    client
        .refresh_token(&refresh(next.expose_secret()))
        .await
        .data()
        .expect("the rotated token works");
    // A user's refresh token is not an admin one.
    let user = sandbox.user(KEY).await;
    assert_code(
        client
            .refresh_token(&refresh(user.refresh_token.expose_secret()))
            .await
            .data(),
        KnownErrorCode::InvalidRefreshToken,
    );
    let admin = sandbox.client_with_token(KEY, first.access_token.expose_secret());
    admin
        .get_user_digital_identity_images(&user.phone_number)
        .await
        .data()
        .expect("the refreshed token is an admin token");
    sandbox.finish().await;
}

#[tokio::test]
async fn user_refresh_tokens_rotate_and_expire() {
    let sandbox = TestSandbox::start().await;
    let tenant = sandbox.tenant(false).await;
    let key = tenant.api_key.expose_secret();
    let user = sandbox.user(key).await;
    let client = sandbox.client(key);
    let refresh = |token: &str| types::RefreshTokenInput {
        refresh_token: Some(token.into()),
    };
    let first = client
        .digital_identity_refresh_token(&refresh(user.refresh_token.expose_secret()))
        .await
        .data()
        .expect("refresh");
    sandbox
        .client_with_token(key, first.access_token.expose_secret())
        .check_eligibility()
        .await
        .data()
        .expect("new access token works");
    assert_code(
        client
            .digital_identity_refresh_token(&refresh(user.refresh_token.expose_secret()))
            .await
            .data(),
        KnownErrorCode::InvalidRefreshToken,
    );
    sandbox.advance_clock(key, 604_800).await;
    assert_code(
        client
            .digital_identity_refresh_token(&refresh(
                first.new_refresh_token.unwrap_or_default().expose_secret(),
            ))
            .await
            .data(),
        KnownErrorCode::InvalidRefreshToken,
    );
    sandbox.finish().await;
}

fn user_login(phone: &str, imei: &str, password: Option<&str>) -> types::UserLoginInput {
    types::UserLoginInput {
        geo_location: Some(geo(CAIRO)),
        imei: imei.to_string(),
        imsi: None,
        is_phone2_fa_enabled: None,
        password: password.map(Into::into),
        phone_number: phone.to_string(),
        phone_number_otp: None,
        phone_number_otp_request_id: None,
        sms_provider: Some(types::SmsProvider(0)),
        sms_providers: None,
    }
}

#[tokio::test]
async fn a_new_device_needs_an_otp_first() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox
        .user_with(
            KEY,
            CreateUserInput::new()
                .password("pass-1234")
                .imei("old-phone"),
        )
        .await;
    let client = sandbox.client(KEY);
    assert_code(
        client
            .digital_identity_login(&user_login(&user.phone_number, "old-phone", Some("nope")))
            .await
            .data(),
        KnownErrorCode::Unauthorized,
    );
    assert_code(
        client
            .digital_identity_login(&user_login("+201999999999", "old-phone", Some("pass-1234")))
            .await
            .data(),
        KnownErrorCode::Unauthorized,
    );
    let known = client
        .digital_identity_login(&user_login(
            &user.phone_number,
            "old-phone",
            Some("pass-1234"),
        ))
        .await
        .data()
        .expect("known device");
    assert!(known.access_token.is_some() && known.refresh_token.is_some());
    assert_eq!(known.transaction_id, user.transaction_id);

    let first = client
        .digital_identity_login(&user_login(
            &user.phone_number,
            "new-phone",
            Some("pass-1234"),
        ))
        .await
        .data()
        .expect("an OTP is sent");
    assert!(first.access_token.is_none());
    assert!(first.phone_number_otp.is_none(), "the OTP is never echoed");
    let otp_id = first.phone_number_otp_request_id.expect("otp request id");
    let sent = sandbox.otp(KEY, &user.phone_number).await;
    assert_eq!(sent.purpose, SentOtpPurpose::Login);
    assert_eq!(sent.otp_request_id, otp_id);
    let mut second = user_login(&user.phone_number, "new-phone", Some("pass-1234"));
    second.phone_number_otp_request_id = Some(otp_id);
    second.phone_number_otp = Some(wrong_code(sent.code.expose_secret()).into());
    assert_code(
        client.digital_identity_login(&second).await.data(),
        KnownErrorCode::OtpInvalid,
    );
    second.phone_number_otp = Some(sent.code.clone());
    let done = client
        .digital_identity_login(&second)
        .await
        .data()
        .expect("logged in");
    let token = done.access_token.expect("token").into_exposed();
    sandbox
        .client_with_token(KEY, &token)
        .check_eligibility()
        .await
        .data()
        .expect("works");
    // The device is known now: no OTP on the next login.
    let third = client
        .digital_identity_login(&user_login(
            &user.phone_number,
            "new-phone",
            Some("pass-1234"),
        ))
        .await
        .data()
        .expect("known now");
    assert!(third.access_token.is_some());
    sandbox.finish().await;
}

#[tokio::test]
async fn a_reset_tenant_forgets_its_users() {
    let sandbox = TestSandbox::start().await;
    let tenant = sandbox.tenant(false).await;
    let user = sandbox.user(tenant.api_key.expose_secret()).await;
    let client = sandbox.user_client(tenant.api_key.expose_secret(), &user);
    client.check_eligibility().await.data().expect("works");
    let kit = sandbox.kit(tenant.api_key.expose_secret());
    kit.reset().await.expect("reset");
    assert_code(
        client.check_eligibility().await.data(),
        KnownErrorCode::Unauthorized,
    );
    // The admin stays.
    sandbox.admin_client(tenant.api_key.expose_secret()).await;
    sandbox.finish().await;
}
