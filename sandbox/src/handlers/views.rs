//! Records rendered as the generated reply types, and lookups shared by the handlers.

use uuid::Uuid;
use vlens_client::KnownErrorCode;
use vlens_client::types::{self, RequestStatus};

use crate::catalogue;
use crate::error::{ApiError, ApiResult};
use crate::store::{BusinessRequestRecord, Tenant, TenantState, User};

/// `requestStatusName` of a status.
pub fn status_name(status: i32) -> String {
    RequestStatus(status)
        .name()
        .unwrap_or("Unknown")
        .to_string()
}

pub fn user(user: &User) -> types::User {
    types::User {
        address: None,
        email_address: user.email.clone(),
        full_name: Some(user.full_name()),
        id: Some(user.id),
        id_number: user.id_number.clone(),
        name: Some(user.name.clone()),
        phone_number: Some(user.phone.clone()),
        surname: Some(user.surname.clone()),
        user_name: Some(user.phone.clone()),
    }
}

fn product_names(
    record: &BusinessRequestRecord,
) -> (String, Option<i32>, Option<i32>, Option<String>) {
    match catalogue::product(record.product_id) {
        Some(product) => (
            product.name.to_string(),
            Some(product.category),
            Some(product.contract_type_id),
            Some(product.contract_type_name.to_string()),
        ),
        None => (
            format!("Request type {}", record.product_id),
            None,
            None,
            None,
        ),
    }
}

/// The full BusinessRequest (`minimal` leaves out the contract documents).
pub fn business_request(
    record: &BusinessRequestRecord,
    owner: Option<&User>,
    minimal: bool,
) -> types::BusinessRequest {
    let (type_name, category, contract_type_id, contract_type_name) = product_names(record);
    let product = catalogue::product(record.product_id);
    // The first of these keys the product has: 414's loan fields, 416's device-plan fields.
    let value = |keys: &[&str]| keys.iter().find_map(|key| record.values.get(*key).cloned());
    let amount = value(&["loanAmount", "devicePrice"]);
    let months = value(&["loanTermMonths", "installmentMonths"]);
    let documents = (!minimal).then(|| {
        vec![types::ContractDocument {
            order: Some(1),
            title: Some(format!("{type_name} contract")),
            content: Some(format!(
                "Contract {} between the provider and {} for {type_name}.",
                record.number,
                owner.map_or_else(|| "the customer".to_string(), User::full_name)
            )),
            signature: None,
            is_html: Some(false),
        }]
    });
    let signed = record.status >= RequestStatus::CUSTOMER_SIGNED.0;
    types::BusinessRequest {
        amount,
        confirmation_message: None,
        contract_document: None,
        contract_signer_signature: None,
        contract_type_id,
        contract_type_name,
        cover_page: None,
        creation_time: Some(record.created_at),
        creator_user_full_name: owner.map(User::full_name),
        customer_signature: None,
        customer_signers: owner.map(|owner| {
            vec![types::CustomerSigner {
                customer_signer: Some(user(owner)),
                is_signed: Some(signed),
            }]
        }),
        documents,
        financial_tc: None,
        first_installment_date: value(&["firstInstallmentDate"]),
        full_name: owner.map(User::full_name),
        general_tc: None,
        has_payment_check_per_request_feature: product.map(|p| p.payment_check),
        id: record.id,
        id_number: owner.and_then(|o| o.id_number.clone()),
        installment_value: None,
        installment_value_number: None,
        installments_no: months.clone(),
        kyc_confirmation: None,
        last_modification_time: record.modified_at,
        period_unit: months.as_ref().map(|_| "month".to_string()),
        period_value: months,
        promissory_note: None,
        related_business_request: None,
        request_fields: product.map(|p| p.filled_fields(&record.values)),
        request_number: record.number.clone(),
        request_status_name: status_name(record.status),
        requeststatus: RequestStatus(record.status),
        technical_tc: None,
        total_amount: None,
        total_amount_number: None,
        type_: category,
        type_name,
        user: owner.map(user),
    }
}

/// The CurrentListIds item.
pub fn summary(
    record: &BusinessRequestRecord,
    owner: Option<&User>,
) -> types::BusinessRequestSummary {
    let (type_name, category, contract_type_id, contract_type_name) = product_names(record);
    types::BusinessRequestSummary {
        contract_type_id,
        contract_type_name,
        creation_time: record.created_at,
        full_name: owner.map(User::full_name),
        id: record.id,
        id_number: owner.and_then(|o| o.id_number.clone()),
        request_number: record.number.clone(),
        request_status_name: status_name(record.status),
        requeststatus: RequestStatus(record.status),
        type_: category,
        type_name,
    }
}

/// CheckEligibility's flags.
pub fn eligibility(tenant: &Tenant, state: &TenantState, user: &User) -> types::Eligibility {
    let has_pending_request = user.requests.iter().any(|id| {
        state.requests.get(id).is_some_and(|r| {
            r.status == RequestStatus::PENDING_APPROVAL.0 || r.status == RequestStatus::APPROVED.0
        })
    });
    let email_ok = !tenant.require_email_confirmation || user.email_confirmed;
    types::Eligibility {
        has_pending_request,
        is_digital_identity_verified: user.verified,
        is_eligible: user.verified && !has_pending_request && email_ok,
        is_email_confirmed: user.email_confirmed,
    }
}

/// The calling user (the extractor checked that it exists; a reset in between is a 401).
pub fn caller(state: &TenantState, user_id: i64) -> ApiResult<&User> {
    state.users.get(&user_id).ok_or(ApiError::Unauthorized(
        "Unauthorized - the token's user no longer exists",
    ))
}

/// See [`caller`].
pub fn caller_mut(state: &mut TenantState, user_id: i64) -> ApiResult<&mut User> {
    state.users.get_mut(&user_id).ok_or(ApiError::Unauthorized(
        "Unauthorized - the token's user no longer exists",
    ))
}

/// The user's request `id`, or their current (latest) request when `id` is None. Another
/// user's request is RequestNotFound, so ids do not leak.
pub fn own_request_id(state: &TenantState, user_id: i64, id: Option<Uuid>) -> ApiResult<Uuid> {
    let user = caller(state, user_id)?;
    let id = match id {
        Some(id) => id,
        None => *user
            .requests
            .last()
            .ok_or(KnownErrorCode::RequestNotFound)?,
    };
    match state.requests.get(&id) {
        Some(record) if record.owner == user_id => Ok(id),
        _ => Err(KnownErrorCode::RequestNotFound.into()),
    }
}
