//! `SandboxConfig`: configured lifetimes reach every reply and expiry, and settings out of
//! range stop the start with a message naming each.

use crate::common::*;
use vlens_client::{KnownErrorCode, ResultExt, types};
use vlens_sandbox::{Lifetimes, SandboxConfig, StartError};

async fn short_lived() -> TestSandbox {
    TestSandbox::start_config(SandboxConfig {
        lifetimes: Lifetimes {
            otp_seconds: 60,
            link_seconds: 120,
            access_token_seconds: 600,
            ..Lifetimes::default()
        },
        ..SandboxConfig::default()
    })
    .await
}

#[tokio::test]
async fn an_otp_lives_the_configured_seconds() {
    let sandbox = short_lived().await;
    let tenant = sandbox.tenant(false).await;
    let key = tenant.api_key.expose_secret();
    let (user, client, request) = sandbox.approved_loan(key).await;
    let (otp_id, code) = sandbox
        .activation_otp(&client, key, &user.phone_number, request)
        .await;
    let sent = sandbox.otp(key, &user.phone_number).await;
    let lifetime = sent.expires_at - chrono::Utc::now();
    assert!(
        lifetime <= chrono::Duration::seconds(60) && lifetime > chrono::Duration::seconds(50),
        "{lifetime:?}"
    );
    sandbox.advance_clock(key, 60).await;
    assert_code(
        client
            .customer_sign_step_validate_otp(&validate_otp_input(request, otp_id, &code))
            .await
            .data(),
        KnownErrorCode::OtpExpired,
    );
    // The registration step reports the configured lifetime.
    let step = sandbox
        .client(key)
        .register_step_verify_phone(&types::VerifyPhoneInput {
            phone_number: "+201055512345".to_string(),
            phone_number_otp: None,
            phone_number_otp_request_id: None,
            sms_providers: None,
        })
        .await
        .data()
        .expect("an OTP is sent");
    assert_eq!(step.phone_otp_expire_in_seconds, Some(60));
    sandbox.finish().await;
}

#[tokio::test]
async fn a_signing_link_lives_the_configured_seconds() {
    let sandbox = short_lived().await;
    let tenant = sandbox.tenant(false).await;
    let key = tenant.api_key.expose_secret();
    let (_user, client, request) = sandbox.approved_loan(key).await;
    let url = signing_link(&client, request).await;
    let (_, hash) = parse_link(&url, sandbox.base_url());
    // Margins of seconds on either side: the wall clock runs between the calls too.
    sandbox.advance_clock(key, 110).await;
    client
        .view_contract_pdf(&request, &hash)
        .await
        .data()
        .expect("still live at 110 s");
    sandbox.advance_clock(key, 10).await;
    assert_code(
        client.view_contract_pdf(&request, &hash).await.data(),
        KnownErrorCode::InvalidSecurityHash,
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn an_access_token_lives_the_configured_seconds() {
    let sandbox = short_lived().await;
    let tenant = sandbox.tenant(false).await;
    let key = tenant.api_key.expose_secret();
    let admin = sandbox.admin_login(key, &tenant.tenancy_name).await;
    assert_eq!(admin.expire_in_seconds, 600);
    let user = sandbox.user(key).await;
    let client = sandbox.user_client(key, &user);
    // `exp` is in whole seconds, so a token made at 10.9 s may end at 610 s: 598 s on, it is
    // valid whatever the fraction; 600 s on, it is not.
    sandbox.advance_clock(key, 598).await;
    client
        .check_eligibility()
        .await
        .data()
        .expect("still valid at 598 s");
    sandbox.advance_clock(key, 2).await;
    let expired = api_error(client.check_eligibility().await.data());
    assert_eq!(expired.status, 401);
    sandbox.finish().await;
}

#[tokio::test]
async fn settings_out_of_range_are_refused_by_name() {
    let config = SandboxConfig {
        lifetimes: Lifetimes {
            otp_seconds: 0,
            access_token_seconds: i64::MAX,
            ..Lifetimes::default()
        },
        ..SandboxConfig::default()
    };
    match vlens_sandbox::start(config).await {
        Err(StartError::InvalidSettings(problems)) => {
            let text = problems.join("; ");
            assert!(text.contains("lifetimes.otp_seconds"), "{text}");
            assert!(text.contains("lifetimes.access_token_seconds"), "{text}");
            assert!(!text.contains("link_seconds"), "{text}");
        }
        other => panic!("expected InvalidSettings, got {other:?}"),
    }
}
