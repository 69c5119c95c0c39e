//! Memory is bounded (issue 8): lasting records stop at their caps with a 507 that names the
//! cap, expiring records make room, incomplete ApiKey-only transactions expire with their images,
//! and control-API tenants are capped. The soak figures are in `bench/soak.sh`.

use crate::common::*;
use serde_json::{Value, json};
use vlens_client::{KnownErrorCode, ResultExt, types};
use vlens_sandbox::{Caps, SandboxConfig, defaults};

async fn capped(caps: Caps) -> TestSandbox {
    TestSandbox::start_config(SandboxConfig {
        caps,
        ..SandboxConfig::default()
    })
    .await
}

/// A 507 envelope whose message names `knob`.
fn assert_full<T: std::fmt::Debug>(result: Result<T, vlens_client::VlensError>, knob: &str) {
    let error = api_error(result);
    assert_eq!(error.status, 507, "{error:?}");
    let message = error.message.unwrap_or_default();
    assert!(message.contains(&format!("caps.{knob}")), "{message}");
}

/// The same for a control-API reply.
fn assert_control_full(status: u16, envelope: &Value, knob: &str) {
    assert_eq!(status, 507);
    assert_eq!(envelope["error_code"], 507);
    let message = envelope["error_message"].as_str().unwrap_or_default();
    assert!(message.contains(&format!("caps.{knob}")), "{message}");
}

#[tokio::test]
async fn an_incomplete_api_key_only_transaction_expires_with_its_images() {
    let sandbox = TestSandbox::start().await;
    let tenant = sandbox.tenant(false).await;
    let key = tenant.api_key.expose_secret();
    let client = sandbox.client(key);
    let tx = client
        .verify_id_front(&id_side(&png(1), None))
        .await
        .data()
        .expect("front")
        .id_front_data
        .expect("front data")
        .transaction_id;
    sandbox
        .advance_clock(key, defaults::INCOMPLETE_TRANSACTION_LIFETIME_SECONDS - 10)
        .await;
    client
        .verify_id_back(&id_side(&png(2), Some(tx)))
        .await
        .data()
        .expect("still open seconds before its hour");
    sandbox.advance_clock(key, 10).await;
    assert_code(
        client
            .verify_id_back(&id_side(&png(2), Some(tx)))
            .await
            .data(),
        KnownErrorCode::TransactionNotFound,
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn image_bytes_stop_at_their_cap_and_expiry_frees_them() {
    let sandbox = capped(Caps {
        image_bytes: 100,
        ..Caps::default()
    })
    .await;
    let tenant = sandbox.tenant(false).await;
    let key = tenant.api_key.expose_secret();
    let client = sandbox.client(key);
    let mut padded = png(1);
    padded.resize(60, 0);
    client
        .verify_id_front(&id_side(&padded, None))
        .await
        .data()
        .expect("60 of 100 bytes");
    assert_full(
        client.verify_id_front(&id_side(&padded, None)).await.data(),
        "image_bytes",
    );
    sandbox
        .advance_clock(key, defaults::INCOMPLETE_TRANSACTION_LIFETIME_SECONDS)
        .await;
    client
        .verify_id_front(&id_side(&padded, None))
        .await
        .data()
        .expect("the expired transaction freed its bytes");
    sandbox.finish().await;
}

#[tokio::test]
async fn users_requests_and_transactions_stop_at_their_caps() {
    let sandbox = capped(Caps {
        users: 2,
        requests: 1,
        transactions: 3,
        ..Caps::default()
    })
    .await;
    let tenant = sandbox.tenant(false).await;
    let key = tenant.api_key.expose_secret();
    // Two verified users hold two of the three transactions.
    let user = sandbox.user(key).await;
    sandbox.user(key).await;
    let (status, envelope) = sandbox
        .control_raw(
            reqwest::Method::POST,
            "/__sandbox/users",
            key,
            Some(json!({})),
        )
        .await;
    assert_control_full(status, &envelope, "users");
    // Register past the cap spends nothing: its phone OTP still validates afterwards.
    let anonymous = sandbox.client(key);
    let phone = "+201012340000";
    let sent = anonymous
        .register_step_verify_phone(&types::VerifyPhoneInput {
            phone_number: phone.to_string(),
            phone_number_otp: None,
            phone_number_otp_request_id: None,
            sms_providers: None,
        })
        .await
        .data()
        .expect("an OTP");
    let code = sandbox.otp(key, phone).await.code;
    let register = types::RegisterInput {
        phone_number: phone.to_string(),
        phone_number_otp: Some(code.expose_secret().into()),
        phone_number_otp_request_id: sent.phone_number_otp_request_id,
        ..serde_json::from_value(json!({"phoneNumber": phone})).expect("a minimal input")
    };
    assert_full(anonymous.register(&register).await.data(), "users");
    anonymous
        .register_step_verify_phone(&types::VerifyPhoneInput {
            phone_number: phone.to_string(),
            phone_number_otp: Some(code.expose_secret().into()),
            phone_number_otp_request_id: sent.phone_number_otp_request_id,
            sms_providers: None,
        })
        .await
        .data()
        .expect("the refused Register did not spend the OTP");

    let client = sandbox.user_client(key, &user);
    create_request(&client, defaults::PERSONAL_LOAN_TYPE_ID).await;
    sandbox
        .set_status(key, *requests_of(&client).await.first().expect("one"), 3)
        .await;
    assert_full(
        client
            .create_business_request(
                defaults::PERSONAL_LOAN_TYPE_ID,
                &create_input(loan_values()),
            )
            .await
            .data(),
        "requests",
    );

    client
        .verify_id_front(&id_side(&png(1), None))
        .await
        .data()
        .expect("the third transaction");
    assert_full(
        client.verify_id_front(&id_side(&png(1), None)).await.data(),
        "transactions",
    );
    sandbox.finish().await;
}

async fn requests_of(client: &vlens_client::Client) -> Vec<uuid::Uuid> {
    client
        .get_current_business_request_list_ids(None, None)
        .await
        .data()
        .expect("list")
        .iter()
        .map(|summary| summary.id)
        .collect()
}

#[tokio::test]
async fn control_api_tenants_stop_at_their_cap() {
    let sandbox = capped(Caps {
        tenants: 2,
        ..Caps::default()
    })
    .await;
    sandbox.tenant(false).await;
    sandbox.tenant(false).await;
    let (status, envelope) = sandbox
        .control_raw(
            reqwest::Method::POST,
            "/__sandbox/tenants",
            KEY,
            Some(json!({})),
        )
        .await;
    assert_control_full(status, &envelope, "tenants");
    sandbox.finish().await;
}

/// Links and refresh tokens expire anyway, so past the cap the oldest make room.
#[tokio::test]
async fn links_and_refresh_tokens_make_room_for_new_ones() {
    let sandbox = capped(Caps {
        short_lived: 3,
        ..Caps::default()
    })
    .await;
    let tenant = sandbox.tenant(false).await;
    let key = tenant.api_key.expose_secret();
    let (user, client, request) = sandbox.approved_loan(key).await;
    let mut hashes = Vec::new();
    for _ in 0..4 {
        let url = signing_link(&client, request).await;
        hashes.push(parse_link(&url, sandbox.base_url()).1);
    }
    assert_code(
        client.view_contract_pdf(&request, &hashes[0]).await.data(),
        KnownErrorCode::InvalidSecurityHash,
    );
    for hash in &hashes[1..] {
        client
            .view_contract_pdf(&request, hash)
            .await
            .data()
            .expect("the three newest links open");
    }
    // The control API's user holds one refresh token; three refreshes later it is gone.
    let refresh = |token: String| {
        let client = sandbox.client(key);
        async move {
            client
                .digital_identity_refresh_token(&types::RefreshTokenInput {
                    refresh_token: Some(token.into()),
                })
                .await
                .data()
        }
    };
    let other = sandbox.user(key).await;
    for _ in 0..3 {
        sandbox.user(key).await;
    }
    assert_code(
        refresh(other.refresh_token.clone().into_exposed()).await,
        KnownErrorCode::InvalidRefreshToken,
    );
    refresh(user.refresh_token.clone().into_exposed())
        .await
        .expect_err("older still: gone too");
    sandbox.finish().await;
}
