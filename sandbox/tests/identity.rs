//! Identity verification: one transaction for front, back and liveness; the image checks;
//! ApiKey-only transactions and linking; the admin's image reads.

mod common;

use common::*;
use vlens_client::types::{self};
use vlens_client::{Client, KnownErrorCode, ResultExt};
use vlens_sandbox::control::CreateUserInput;

async fn unverified(sandbox: &TestSandbox) -> Client {
    let user = sandbox
        .user_with(KEY, CreateUserInput::new().verified(false))
        .await;
    sandbox.user_client(KEY, &user)
}

#[tokio::test]
async fn back_then_front_then_liveness_verifies_the_user() {
    let sandbox = TestSandbox::start().await;
    let client = unverified(&sandbox).await;
    let back = client
        .verify_id_back(&id_side(&jpeg(1), None))
        .await
        .envelope()
        .expect("back");
    let tx = back
        .data
        .as_ref()
        .and_then(|d| d.id_back_data.as_ref())
        .expect("back data")
        .transaction_id;
    assert!(back.services.is_some(), "the DI envelope carries services");
    // Liveness before the front: both sides are needed.
    assert_code(
        client
            .verify_liveness_multi(&liveness_input(tx, [&png(1), &png(2), &png(3)]))
            .await
            .data(),
        KnownErrorCode::IdSidesRequired,
    );
    let front = client
        .verify_id_front(&id_side(&png(9), Some(tx)))
        .await
        .data()
        .expect("front");
    let front_data = front.id_front_data.expect("front data");
    assert_eq!(front_data.transaction_id, tx);
    assert!(
        front_data.id_number.is_some(),
        "getExtractedData fills the fields"
    );
    assert!(!front.is_verification_process_completed);
    let done = client
        .verify_liveness_multi(&liveness_input(tx, [&png(1), &png(2), &jpeg(3)]))
        .await
        .data()
        .expect("liveness");
    assert!(done.is_verification_process_completed && done.is_digital_identity_verified);
    assert!(
        client
            .check_eligibility()
            .await
            .data()
            .expect("flags")
            .is_digital_identity_verified
    );
    // A completed transaction takes no more steps.
    assert_code(
        client
            .verify_id_front(&id_side(&png(9), Some(tx)))
            .await
            .data(),
        KnownErrorCode::TransactionAlreadyCompleted,
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn liveness_frames_must_differ_and_be_small_images() {
    let sandbox = TestSandbox::start().await;
    let client = unverified(&sandbox).await;
    let front = client
        .verify_id_front(&id_side(&png(1), None))
        .await
        .data()
        .expect("front");
    let tx = front.id_front_data.expect("data").transaction_id;
    client
        .verify_id_back(&id_side(&png(2), Some(tx)))
        .await
        .data()
        .expect("back");
    let error = api_error(
        client
            .verify_liveness_multi(&liveness_input(tx, [&png(1), &png(2), &png(1)]))
            .await
            .data(),
    );
    assert!(error.is(KnownErrorCode::LivenessFramesIdentical));
    assert_eq!(error.descriptions[0]["field"], "face_3");
    let mut big = png(7);
    big.resize(512_001, 0);
    let error = api_error(
        client
            .verify_liveness_multi(&liveness_input(tx, [&png(1), &big, &png(3)]))
            .await
            .data(),
    );
    assert!(error.is(KnownErrorCode::ImageTooLarge));
    assert_eq!(error.descriptions[0]["field"], "face_2");
    let mut exactly = png(8);
    exactly.resize(512_000, 0);
    assert_code(
        client
            .verify_liveness_multi(&liveness_input(tx, [b"GIF89a....", &png(2), &png(3)]))
            .await
            .data(),
        KnownErrorCode::CardNotDetected,
    );
    client
        .verify_liveness_multi(&liveness_input(tx, [&png(1), &exactly, &png(3)]))
        .await
        .data()
        .expect("512000 bytes is within the limit");
    sandbox.finish().await;
}

#[tokio::test]
async fn invalid_base64_is_a_400_naming_the_field() {
    let sandbox = TestSandbox::start().await;
    let client = unverified(&sandbox).await;
    let error = api_error(
        client
            .verify_id_front(&types::VerifyIdInput {
                image: "***not base64***".to_string(),
                ..id_side(&[], None)
            })
            .await
            .data(),
    );
    assert_eq!(error.status, 400);
    assert_eq!(error.descriptions[0]["field"], "image");
    assert!(error.message.unwrap_or_default().contains("`image`"));
    assert_code(
        client
            .verify_id_front(&id_side(b"plain text", None))
            .await
            .data(),
        KnownErrorCode::CardNotDetected,
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn transactions_belong_to_their_owner() {
    let sandbox = TestSandbox::start().await;
    let owner = unverified(&sandbox).await;
    let tx = owner
        .verify_id_front(&id_side(&png(1), None))
        .await
        .data()
        .expect("front")
        .id_front_data
        .expect("data")
        .transaction_id;
    let other = unverified(&sandbox).await;
    assert_code(
        other
            .verify_id_back(&id_side(&png(2), Some(tx)))
            .await
            .data(),
        KnownErrorCode::TransactionNotFound,
    );
    let foreign = sandbox
        .user_with(OTHER_KEY, CreateUserInput::new().verified(false))
        .await;
    assert_code(
        sandbox
            .user_client(OTHER_KEY, &foreign)
            .verify_id_back(&id_side(&png(2), Some(tx)))
            .await
            .data(),
        KnownErrorCode::TransactionNotFound,
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn an_api_key_only_transaction_is_linked_after_login() {
    let sandbox = TestSandbox::start().await;
    let anonymous = sandbox.client(KEY);
    let tx = anonymous
        .verify_id_front(&id_side(&png(1), None))
        .await
        .data()
        .expect("front")
        .id_front_data
        .expect("data")
        .transaction_id;
    anonymous
        .verify_id_back(&id_side(&png(2), Some(tx)))
        .await
        .data()
        .expect("back");
    let user = sandbox
        .user_with(KEY, CreateUserInput::new().verified(false))
        .await;
    let client = sandbox.user_client(KEY, &user);
    let link = |id| types::LinkTransactionInput {
        get_extracted_data: None,
        transaction_id: id,
    };
    assert_code(
        client
            .link_user_with_existing_transaction(&link(tx))
            .await
            .data(),
        KnownErrorCode::TransactionNotCompleted,
    );
    assert_code(
        client
            .link_user_with_existing_transaction(&link(uuid::Uuid::from_u128(5)))
            .await
            .data(),
        KnownErrorCode::TransactionNotFound,
    );
    let done = anonymous
        .verify_liveness_multi(&liveness_input(tx, [&png(3), &png(4), &png(5)]))
        .await
        .data()
        .expect("liveness");
    assert!(done.is_verification_process_completed && !done.is_digital_identity_verified);
    let linked = client
        .link_user_with_existing_transaction(&link(tx))
        .await
        .data()
        .expect("linked");
    assert!(linked.is_digital_identity_verified);
    assert!(
        client
            .check_eligibility()
            .await
            .data()
            .expect("flags")
            .is_eligible
    );
    let second = sandbox
        .user_with(KEY, CreateUserInput::new().verified(false))
        .await;
    assert_code(
        sandbox
            .user_client(KEY, &second)
            .link_user_with_existing_transaction(&link(tx))
            .await
            .data(),
        KnownErrorCode::TransactionAlreadyCompleted,
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn the_admin_lists_and_downloads_the_images() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox
        .user_with(
            KEY,
            CreateUserInput::new()
                .verified(false)
                .email("kyc@example.com"),
        )
        .await;
    let client = sandbox.user_client(KEY, &user);
    // Front jpeg(1), back png(2), faces png(3..=5).
    let tx = verify_identity(&client).await;
    let admin = sandbox.admin_client(KEY).await;
    let images = admin
        .get_user_digital_identity_images("kyc@example.com")
        .await
        .data()
        .expect("images");
    assert_eq!(images.transaction_id, Some(tx));
    let front = images.id_front_image.expect("front file");
    assert!(front.ends_with(".jpg"), "{front}");
    let step = admin
        .get_step_image(&front, None, None, &tx)
        .await
        .data()
        .expect("image");
    assert_eq!(step.image, b64(&jpeg(1)));
    let face = images.liveness_face02_image.expect("face 2");
    assert_eq!(
        admin
            .get_step_image(&face, None, None, &tx)
            .await
            .data()
            .expect("image")
            .image,
        b64(&png(4))
    );
    assert_code(
        admin
            .get_step_image("nope.png", None, None, &tx)
            .await
            .data(),
        KnownErrorCode::ImageNotFound,
    );
    assert_code(
        admin
            .get_step_image(&front, None, None, &uuid::Uuid::from_u128(3))
            .await
            .data(),
        KnownErrorCode::TransactionNotFound,
    );
    assert_code(
        admin
            .get_step_image(&front, Some(2), None, &tx)
            .await
            .data(),
        KnownErrorCode::Forbidden,
    );
    assert_code(
        admin
            .get_user_digital_identity_images("+201000000001")
            .await
            .data(),
        KnownErrorCode::UserNotFound,
    );
    sandbox.finish().await;
}
