//! Activation (CustomerSign): StepRequestOtp with the 80 km rule, StepReValidateLiveness,
//! StepValidateOtp and StepValidatePayment (BR9-BR12).
//!
//! Each step runs its checks and its state change in one critical section of the tenant lock,
//! so concurrent calls cannot both pass a check (one OTP success, one activation).

use axum::Json;
use uuid::Uuid;
use vlens_client::KnownErrorCode;
use vlens_client::types::{self, RequestStatus};

use super::views;
use crate::catalogue;

use crate::error::{ApiError, ApiResult};
use crate::geo::{beyond_activation_distance, distance_km};
use crate::http::extract::{BaseUrl, JsonBody, UserCaller};
use crate::http::reply::ok;
use crate::images;
use crate::otp::Purpose;
use crate::security_hash::LinkPurpose;
use crate::store::{Spend, TenantState};
use crate::validate::{self, Problems};

/// The request an activation step applies to (`requestId`, else the current one), checked to
/// be the caller's and Approved.
fn step_request(state: &TenantState, user_id: i64, request_id: Option<Uuid>) -> ApiResult<Uuid> {
    let id = views::own_request_id(state, user_id, request_id)?;
    let status = state
        .requests
        .get(&id)
        .map(|record| record.status)
        .ok_or(KnownErrorCode::RequestNotFound)?;
    if status >= RequestStatus::CUSTOMER_SIGNED.0 {
        return Err(KnownErrorCode::RequestAlreadyActivated.into());
    }
    if status != RequestStatus::APPROVED.0 {
        return Err(KnownErrorCode::RequestNotApproved.into());
    }
    Ok(id)
}

/// BR9.
pub async fn request_otp(
    caller: UserCaller,
    JsonBody(body): JsonBody<types::StepRequestOtpInput>,
) -> ApiResult<Json<types::ApiOutputRequestOtp>> {
    Problems::new()
        .check(validate::geo("geoLocation", &body.geo_location))
        .check(validate::sms_provider(
            "smsProviders",
            body.sms_providers.as_ref(),
        ))
        .finish()?;
    let otp_request_id = caller.tenant.with_state(|state, now| -> ApiResult<Uuid> {
        let request_id = step_request(state, caller.user_id, body.request_id)?;
        let user = views::caller_mut(state, caller.user_id)?;
        let here = &body.geo_location;
        match &user.last_location {
            // No reference yet: this location becomes it (the spec's decision).
            None => user.last_location = Some(here.clone()),
            Some(reference) => {
                let distance = distance_km(
                    reference.latitude,
                    reference.longitude,
                    here.latitude,
                    here.longitude,
                );
                if beyond_activation_distance(distance) {
                    return Err(KnownErrorCode::LocationRevalidationRequired.into());
                }
            }
        }
        let phone = user.phone.clone();
        let otp = state.issue_otp(Purpose::Activation, &phone, Some(request_id), now)?;
        if let Some(record) = state.requests.get_mut(&request_id) {
            record.activation.latest_otp = Some(otp);
            record.activation.otp_validated = false;
        }
        Ok(otp)
    })?;
    Ok(ok!(
        ApiOutputRequestOtp,
        types::OtpRequested { otp_request_id }
    ))
}

/// BR10.
pub async fn revalidate_liveness(
    caller: UserCaller,
    JsonBody(body): JsonBody<types::StepReValidateLivenessInput>,
) -> ApiResult<Json<types::ApiOutputString>> {
    validate::location(&body.geo_location)?;
    let scan = &body.scan_transaction;
    let mut fields = vec![
        ("scanTransaction.face_1", scan.face_1.as_str()),
        ("scanTransaction.face_2", scan.face_2.as_str()),
        ("scanTransaction.face_3", scan.face_3.as_str()),
    ];
    if let Some(image) = &scan.image {
        fields.push(("scanTransaction.image", image.as_str()));
    }
    // Decoding (up to 4 MiB of base64) happens outside the tenant lock.
    let decoded = images::decode_all(&fields)?;
    caller.tenant.with_state(|state, _| -> ApiResult<()> {
        step_request(state, caller.user_id, body.request_id)?;
        let user = views::caller_mut(state, caller.user_id)?;
        if user.kyc_transaction.is_none() || body.transaction_id != user.kyc_transaction {
            return Err(KnownErrorCode::TransactionMismatch.into());
        }
        images::check_content(&decoded)?;
        // The three faces come first (the optional image is fourth).
        images::check_frames_distinct(&decoded[..decoded.len().min(3)])?;
        user.last_location = Some(body.geo_location.clone());
        Ok(())
    })?;
    Ok(ok!(
        ApiOutputString,
        "Liveness re-validation successful. Proceed to OTP request.".to_string()
    ))
}

/// BR11.
pub async fn validate_otp(
    caller: UserCaller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody<types::StepValidateOtpInput>,
) -> ApiResult<Json<types::ApiOutputString>> {
    validate::location(&body.geo_location)?;
    let tenant = &caller.tenant;
    let payment_url = tenant.with_state(|state, now| -> ApiResult<Option<String>> {
        let request_id = step_request(state, caller.user_id, body.request_id)?;
        let (latest, product_id) = state
            .requests
            .get(&request_id)
            .map(|r| (r.activation.latest_otp, r.product_id))
            .ok_or(KnownErrorCode::RequestNotFound)?;
        if latest.is_none() {
            return Err(KnownErrorCode::StepOutOfOrder.into());
        }
        let phone = views::caller(state, caller.user_id)?.phone.clone();
        state.validate_otp(
            body.otp_request_id,
            Purpose::Activation,
            &phone,
            Some(request_id),
            body.otp_code.expose_secret(),
            now,
            Spend::Yes,
        )?;
        if let Some(record) = state.requests.get_mut(&request_id) {
            record.activation.otp_validated = true;
        }
        let paid = catalogue::product(product_id).is_some_and(|p| p.payment_check);
        if !paid {
            return Ok(None);
        }
        // The payment page is reached with a SecurityHash, like the signing page.
        let hash = state.issue_link(&tenant.keys.link_key, LinkPurpose::Payment, request_id, now);
        Ok(Some(format!(
            "{base}/__sandbox/payments/{request_id}?SecurityHash={hash}"
        )))
    })?;
    Ok(ok!(
        ApiOutputString,
        payment_url.unwrap_or_else(|| "OTP validated. Proceed to StepValidatePayment.".to_string())
    ))
}

/// BR12.
pub async fn validate_payment(
    caller: UserCaller,
    JsonBody(body): JsonBody<types::CustomerSignInput>,
) -> ApiResult<Json<types::ApiOutputString>> {
    validate::location(&body.geo_location)?;
    caller.tenant.with_state(|state, now| -> ApiResult<()> {
        let request_id = step_request(state, caller.user_id, body.request_id)?;
        let record = state
            .requests
            .get_mut(&request_id)
            .ok_or(KnownErrorCode::RequestNotFound)?;
        if !record.activation.otp_validated {
            return Err(KnownErrorCode::StepOutOfOrder.into());
        }
        let paid = catalogue::product(record.product_id).is_some_and(|p| p.payment_check);
        if paid
            && body
                .payment_gateway
                .as_deref()
                .is_none_or(|gateway| gateway.trim().is_empty())
        {
            return Err(ApiError::field(
                "paymentGateway",
                "is required: this product has a payment check",
            ));
        }
        record.status = RequestStatus::CUSTOMER_SIGNED.0;
        record.modified_at = Some(now);
        Ok(())
    })?;
    Ok(ok!(
        ApiOutputString,
        "Contract activated. The request is Customer Signed.".to_string()
    ))
}
