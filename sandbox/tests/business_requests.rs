//! Products, eligibility, creation and reads: each user sees only their own requests.

mod common;

use common::*;
use vlens_client::types::RequestStatus;
use vlens_client::{KnownErrorCode, ResultExt};
use vlens_sandbox::control::CreateUserInput;
use vlens_sandbox::defaults::{
    COMMERCIAL_LEASE_TYPE_ID, DEVICE_INSTALMENT_TYPE_ID, PERSONAL_LOAN_TYPE_ID,
};

#[tokio::test]
async fn the_catalogue_lists_the_three_products_with_their_templates() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox.user(KEY).await;
    let client = sandbox.user_client(KEY, &user);
    let types = client.get_all_request_types().await.data().expect("types");
    let ids: Vec<i32> = types.iter().map(|t| t.id).collect();
    assert_eq!(
        ids,
        vec![
            PERSONAL_LOAN_TYPE_ID,
            COMMERCIAL_LEASE_TYPE_ID,
            DEVICE_INSTALMENT_TYPE_ID
        ]
    );
    let template = client
        .get_business_request_type_template_fields(None, PERSONAL_LOAN_TYPE_ID)
        .await
        .data()
        .expect("template");
    let dropdown = template
        .requests_fields
        .iter()
        .find(|f| f.type_ == "dropdown")
        .expect("a dropdown");
    assert!(
        dropdown
            .available_values
            .as_ref()
            .is_some_and(|v| !v.is_empty())
    );
    assert!(
        dropdown
            .available_values_items
            .as_ref()
            .is_some_and(|v| !v.is_empty())
    );
    assert!(
        template
            .requests_fields
            .iter()
            .any(|f| f.type_ == "table" && f.tabular_data.is_some())
    );
    assert!(template.requests_fields.iter().any(|f| f.type_ == "date"));
    assert!(template.requests_fields.iter().any(|f| f.type_ == "text"));
    assert_code(
        client
            .get_business_request_type_template_fields(None, 999)
            .await
            .data(),
        KnownErrorCode::RequestTypeNotFound,
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn eligibility_follows_verification_and_pending_requests() {
    let sandbox = TestSandbox::start().await;
    let unverified = sandbox
        .user_with(KEY, CreateUserInput::new().verified(false))
        .await;
    let client = sandbox.user_client(KEY, &unverified);
    let flags = client.check_eligibility().await.data().expect("flags");
    assert!(!flags.is_eligible && !flags.is_digital_identity_verified);
    let error = api_error(
        client
            .create_business_request(PERSONAL_LOAN_TYPE_ID, &create_input(loan_values()))
            .await
            .data(),
    );
    assert!(error.is(KnownErrorCode::NotEligible));
    assert_eq!(error.descriptions[0]["field"], "isDigitalIdentityVerified");

    let user = sandbox.user(KEY).await;
    let client = sandbox.user_client(KEY, &user);
    assert!(
        client
            .check_eligibility()
            .await
            .data()
            .expect("flags")
            .is_eligible
    );
    let request = create_request(&client, COMMERCIAL_LEASE_TYPE_ID).await;
    let flags = client.check_eligibility().await.data().expect("flags");
    assert!(flags.has_pending_request && !flags.is_eligible);
    assert_code(
        client
            .create_business_request(PERSONAL_LOAN_TYPE_ID, &create_input(loan_values()))
            .await
            .data(),
        KnownErrorCode::NotEligible,
    );
    // Approved still counts as pending; Rejected does not.
    sandbox.set_status(KEY, request, 2).await;
    assert!(
        client
            .check_eligibility()
            .await
            .data()
            .expect("flags")
            .has_pending_request
    );
    sandbox.set_status(KEY, request, 3).await;
    assert!(
        client
            .check_eligibility()
            .await
            .data()
            .expect("flags")
            .is_eligible
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn a_tenant_may_require_a_confirmed_email() {
    let sandbox = TestSandbox::start().await;
    let tenant = sandbox.tenant(true).await;
    let key = tenant.api_key.expose_secret();
    let unconfirmed = sandbox
        .user_with(
            key,
            CreateUserInput::new()
                .email("a@example.com")
                .email_confirmed(false),
        )
        .await;
    let flags = sandbox
        .user_client(key, &unconfirmed)
        .check_eligibility()
        .await
        .data()
        .expect("flags");
    assert!(!flags.is_eligible && !flags.is_email_confirmed && flags.is_digital_identity_verified);
    let confirmed = sandbox
        .user_with(key, CreateUserInput::new().email("b@example.com"))
        .await;
    let flags = sandbox
        .user_client(key, &confirmed)
        .check_eligibility()
        .await
        .data()
        .expect("flags");
    assert!(flags.is_eligible && flags.is_email_confirmed);
    sandbox.finish().await;
}

#[tokio::test]
async fn create_approves_the_loan_and_leaves_the_lease_pending() {
    let sandbox = TestSandbox::start().await;
    let first = sandbox.user(KEY).await;
    let created = sandbox
        .user_client(KEY, &first)
        .create_business_request(PERSONAL_LOAN_TYPE_ID, &create_input(loan_values()))
        .await
        .data()
        .expect("create");
    assert_eq!(created.requeststatus, Some(RequestStatus::APPROVED));
    assert_eq!(created.type_name, "Personal Loan");
    assert!(created.request_number.starts_with("REQ-"));
    let second = sandbox.user(KEY).await;
    let created = sandbox
        .user_client(KEY, &second)
        .create_business_request(COMMERCIAL_LEASE_TYPE_ID, &create_input(lease_values()))
        .await
        .data()
        .expect("create");
    assert_eq!(created.requeststatus, Some(RequestStatus::PENDING_APPROVAL));
    let read = sandbox
        .user_client(KEY, &second)
        .get_current_business_request(None)
        .await
        .data()
        .expect("current");
    assert_eq!(read.has_payment_check_per_request_feature, Some(true));
    let first_read = sandbox
        .user_client(KEY, &first)
        .get_current_business_request(None)
        .await
        .data()
        .expect("current");
    assert_eq!(
        first_read.has_payment_check_per_request_feature,
        Some(false)
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn field_values_are_checked_against_the_template() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox.user(KEY).await;
    let client = sandbox.user_client(KEY, &user);
    let mut values = loan_values();
    values.remove("fullName");
    values.insert("loanPurpose".into(), "Yacht".into());
    values.insert("favouriteColour".into(), "blue".into());
    values.insert("firstInstallmentDate".into(), "next week".into());
    let error = api_error(
        client
            .create_business_request(PERSONAL_LOAN_TYPE_ID, &create_input(values))
            .await
            .data(),
    );
    assert!(error.is(KnownErrorCode::InvalidFieldValue));
    let fields: Vec<&str> = error
        .descriptions
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    for key in [
        "fullName",
        "loanPurpose",
        "favouriteColour",
        "firstInstallmentDate",
    ] {
        assert!(fields.contains(&key), "{key} not in {fields:?}");
    }
    assert_code(
        client
            .create_business_request(4242, &create_input(loan_values()))
            .await
            .data(),
        KnownErrorCode::RequestTypeNotFound,
    );
    sandbox.finish().await;
}

#[tokio::test]
async fn current_list_and_ids_are_the_users_own_paged_newest_first() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox.user(KEY).await;
    let client = sandbox.user_client(KEY, &user);
    assert_code(
        client.get_current_business_request(None).await.data(),
        KnownErrorCode::RequestNotFound,
    );
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = create_request(&client, PERSONAL_LOAN_TYPE_ID).await;
        // Reject each so that the next create is eligible.
        sandbox.set_status(KEY, id, 3).await;
        ids.push(id);
    }
    let someone_else = sandbox.user(KEY).await;
    create_request(
        &sandbox.user_client(KEY, &someone_else),
        PERSONAL_LOAN_TYPE_ID,
    )
    .await;

    let current = client
        .get_current_business_request(Some(true))
        .await
        .data()
        .expect("current");
    assert_eq!(current.id, ids[2]);
    assert!(
        current.documents.is_none(),
        "minimal leaves out the documents"
    );
    let page = client
        .get_current_business_request_list(std::num::NonZeroU32::new(2), Some(0))
        .await
        .envelope()
        .expect("page");
    assert_eq!(page.total_count, Some(3));
    assert_eq!(page.returned_count, Some(2));
    let listed: Vec<_> = page.data.unwrap_or_default().iter().map(|r| r.id).collect();
    assert_eq!(listed, vec![ids[2], ids[1]]);
    let rest = client
        .get_current_business_request_list_ids(std::num::NonZeroU32::new(2), Some(2))
        .await
        .envelope()
        .expect("page");
    assert_eq!(rest.returned_count, Some(1));
    assert_eq!(rest.data.unwrap_or_default()[0].id, ids[0]);
    // The client cannot send MaxResultCount 0 (NonZeroU32); a raw call can.
    let reply = sandbox
        .http()
        .get(sandbox.url("/api/BusinessRequest/CurrentList?MaxResultCount=0"))
        .header("ApiKey", KEY)
        .bearer_auth(user.access_token.expose_secret())
        .send()
        .await
        .expect("answered");
    assert_eq!(reply.status(), 400);
    let body: serde_json::Value = reply.json().await.expect("json");
    assert_eq!(body["error_descriptions"][0]["field"], "MaxResultCount");
    sandbox.finish().await;
}

#[tokio::test]
async fn another_users_or_tenants_request_is_not_found_but_the_admin_sees_it() {
    let sandbox = TestSandbox::start().await;
    let owner = sandbox.user(KEY).await;
    let request = create_request(&sandbox.user_client(KEY, &owner), PERSONAL_LOAN_TYPE_ID).await;
    let stranger = sandbox.user(KEY).await;
    assert_code(
        sandbox
            .user_client(KEY, &stranger)
            .get_business_request_by_id(&request)
            .await
            .data(),
        KnownErrorCode::RequestNotFound,
    );
    let foreigner = sandbox.user(OTHER_KEY).await;
    assert_code(
        sandbox
            .user_client(OTHER_KEY, &foreigner)
            .get_business_request_by_id(&request)
            .await
            .data(),
        KnownErrorCode::RequestNotFound,
    );
    // The stranger's steps cannot touch it either.
    assert_code(
        sandbox
            .user_client(KEY, &stranger)
            .customer_sign_step_request_otp(&request_otp_input(CAIRO, Some(request)))
            .await
            .data(),
        KnownErrorCode::RequestNotFound,
    );
    let admin = sandbox.admin_client(KEY).await;
    let read = admin
        .get_business_request_by_id(&request)
        .await
        .data()
        .expect("admin reads");
    assert_eq!(read.id, request);
    assert_eq!(read.user.and_then(|u| u.id), Some(owner.user_id));
    sandbox.finish().await;
}

/// 416 is approved on creation like 414 and has the payment check like 415: its activation
/// needs no approval step, StepValidateOtp answers a payment URL and StepValidatePayment wants a
/// `paymentGateway`.
#[tokio::test]
async fn the_device_plan_is_approved_on_creation_and_goes_through_payment() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox.user(KEY).await;
    let client = sandbox.user_client(KEY, &user);
    let created = client
        .create_business_request(DEVICE_INSTALMENT_TYPE_ID, &create_input(device_values()))
        .await
        .data()
        .expect("created");
    assert_eq!(created.requeststatus, Some(RequestStatus::APPROVED));
    assert_eq!(created.type_name, "Device Instalment Plan");
    let request = created.id;
    let read = client
        .get_business_request_by_id(&request)
        .await
        .data()
        .expect("read");
    assert_eq!(read.has_payment_check_per_request_feature, Some(true));
    assert_eq!(read.amount.as_deref(), Some("60000"));

    let (otp_id, code) = sandbox
        .activation_otp(&client, KEY, &user.phone_number, request)
        .await;
    let url = client
        .customer_sign_step_validate_otp(&validate_otp_input(request, otp_id, &code))
        .await
        .data()
        .expect("the OTP validates")
        .into_exposed();
    assert!(
        url.starts_with(&format!(
            "{}/__sandbox/payments/{request}?SecurityHash=",
            sandbox.base_url()
        )),
        "{url}"
    );
    let without_gateway = api_error(
        client
            .customer_sign_step_validate_payment(&sign_input(Some(request), None))
            .await
            .data(),
    );
    assert_eq!(without_gateway.status, 400);
    client
        .customer_sign_step_validate_payment(&sign_input(Some(request), Some("kashier")))
        .await
        .data()
        .expect("activated");
    let status = client
        .get_business_request_by_id(&request)
        .await
        .data()
        .expect("read")
        .requeststatus;
    assert_eq!(status, RequestStatus::CUSTOMER_SIGNED);
    sandbox.finish().await;
}

/// A value out of 416's dropdowns is refused like any product's, naming the key.
#[tokio::test]
async fn the_device_plan_validates_its_fields() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox.user(KEY).await;
    let client = sandbox.user_client(KEY, &user);
    let mut values = device_values();
    values.insert("deviceCategory".into(), "Yacht".into());
    values.remove("devicePrice");
    let error = api_error(
        client
            .create_business_request(DEVICE_INSTALMENT_TYPE_ID, &create_input(values))
            .await
            .data(),
    );
    assert!(error.is(KnownErrorCode::InvalidFieldValue), "{error:?}");
    let fields: Vec<&str> = error
        .descriptions
        .as_array()
        .map(|items| items.iter().filter_map(|d| d["field"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        fields.contains(&"deviceCategory") && fields.contains(&"devicePrice"),
        "{fields:?}"
    );
    sandbox.finish().await;
}
