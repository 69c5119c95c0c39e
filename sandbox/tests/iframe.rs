//! Iframe session (ApiKey only) and invitation (admin) tokens.

mod common;

use std::collections::BTreeMap;

use common::*;
use vlens_client::types::{self};
use vlens_client::{KnownErrorCode, ResultExt};
use vlens_sandbox::defaults::PERSONAL_LOAN_TYPE_ID;

fn session(ids: Vec<i32>, key: Option<&str>) -> types::SessionInput {
    types::SessionInput {
        email: Some("iframe@example.com".to_string()),
        phone_number: Some("+201012345678".to_string()),
        session_permissions: Some(types::SessionPermissions {
            allowed_contract_type_ids: Some(ids),
            digital_identity_only: Some(false),
            minimal_signature_flow: Some(true),
        }),
        user_public_key: key.map(str::to_string),
    }
}

fn assert_jwt(token: &str) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT: {token}");
    assert!(parts.iter().all(|p| !p.is_empty()));
}

#[tokio::test]
async fn session_tokens_check_the_catalogue_and_the_key() {
    let sandbox = TestSandbox::start().await;
    let client = sandbox.client(KEY);
    let token = client
        .create_auth_session(&session(vec![PERSONAL_LOAN_TYPE_ID], None))
        .await
        .data()
        .expect("token")
        .into_exposed();
    assert_jwt(&token);
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----",
        b64(&[7u8; 48])
    );
    client
        .create_auth_session(&session(vec![PERSONAL_LOAN_TYPE_ID], Some(&pem)))
        .await
        .data()
        .expect("a PEM key is accepted");
    let error = api_error(
        client
            .create_auth_session(&session(vec![], Some("not a key")))
            .await
            .data(),
    );
    assert_eq!(error.status, 400);
    assert_eq!(error.descriptions[0]["field"], "userPublicKey");
    assert_code(
        client
            .create_auth_session(&session(vec![PERSONAL_LOAN_TYPE_ID, 999], None))
            .await
            .data(),
        KnownErrorCode::RequestTypeNotFound,
    );
    assert_code(
        sandbox
            .client("bad-key")
            .create_auth_session(&session(vec![], None))
            .await
            .data(),
        KnownErrorCode::Unauthorized,
    );
    sandbox.finish().await;
}

fn invitation(values: BTreeMap<String, BTreeMap<String, String>>) -> types::CreateInvitationInput {
    types::CreateInvitationInput {
        session_input: types::InvitationSessionInput {
            email: None,
            phone_number: Some("+201012345678".to_string()),
            request_fields_values: Some(values),
            session_permissions: None,
        },
    }
}

fn values(type_id: &str, pairs: &[(&str, &str)]) -> BTreeMap<String, BTreeMap<String, String>> {
    BTreeMap::from([(
        type_id.to_string(),
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )])
}

#[tokio::test]
async fn invitations_need_an_admin_and_valid_prefilled_values() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox.user(KEY).await;
    let ok_values = values(
        "414",
        &[("fullName", "Nour Hassan"), ("loanPurpose", "Home")],
    );
    assert_code(
        sandbox
            .user_client(KEY, &user)
            .create_invitation(&invitation(ok_values.clone()))
            .await
            .data(),
        KnownErrorCode::Forbidden,
    );
    let admin = sandbox.admin_client(KEY).await;
    assert_jwt(
        &admin
            .create_invitation(&invitation(ok_values))
            .await
            .data()
            .expect("token")
            .into_exposed(),
    );
    assert_code(
        admin
            .create_invitation(&invitation(values("999", &[("a", "b")])))
            .await
            .data(),
        KnownErrorCode::RequestTypeNotFound,
    );
    let error = api_error(
        admin
            .create_invitation(&invitation(values(
                "414",
                &[("loanPurpose", "Yacht"), ("bogus", "1")],
            )))
            .await
            .data(),
    );
    assert!(error.is(KnownErrorCode::InvalidFieldValue));
    let fields: Vec<&str> = error
        .descriptions
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"SessionInput.RequestFieldsValues.414.loanPurpose"),
        "{fields:?}"
    );
    assert!(
        fields.contains(&"SessionInput.RequestFieldsValues.414.bogus"),
        "{fields:?}"
    );
    sandbox.finish().await;
}
