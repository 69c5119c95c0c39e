//! Registration: duplicate checks, phone and email OTP steps, OAuth ID tokens and Register
//! (RG1-RG6).

use std::collections::HashSet;

use axum::Json;
use vlens_client::KnownErrorCode;
use vlens_client::types;

use super::views;
use crate::auth;
use crate::defaults::{OAUTH_VERIFICATION_LIFETIME_SECONDS, REFRESH_TOKEN_LIFETIME_SECONDS};
use crate::error::{ApiError, ApiResult, FieldProblem};
use crate::http::extract::{ApiKeyTenant, JsonBody};
use crate::http::reply::ok;
use crate::otp::Purpose;
use crate::store::{OAuthVerification, Spend, Tenant, TenantState, User};
use crate::validate::{self, Problems};
use vlens_client::Secret;

/// The OTP lifetime as the replies' `...OtpExpireInSeconds`.
fn otp_seconds(tenant: &Tenant) -> Option<i32> {
    i32::try_from(tenant.settings.lifetimes.otp_seconds).ok()
}

/// RG1.
pub async fn check_existence(
    ApiKeyTenant(tenant): ApiKeyTenant,
    JsonBody(body): JsonBody<types::CheckExistenceInput>,
) -> ApiResult<Json<types::ApiOutputExistence>> {
    let phone = body
        .phone_number
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let email = body
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if phone.is_none() && email.is_none() {
        return Err(ApiError::BadRequest(vec![
            FieldProblem::new("phoneNumber", "or email is required"),
            FieldProblem::new("email", "or phoneNumber is required"),
        ]));
    }
    if let Some(email) = email {
        validate::email("email", email).map_err(|p| ApiError::BadRequest(vec![p]))?;
    }
    let output = tenant.with_state(|state, _| {
        let phone_exists = phone.is_some_and(|p| state.phone_exists(p));
        let email_exists = email.is_some_and(|e| state.email_exists(e));
        types::ExistenceOutput {
            exists: phone_exists || email_exists,
            is_email_exists: Some(email_exists),
            is_phone_number_exists: Some(phone_exists),
        }
    });
    Ok(ok!(ApiOutputExistence, output))
}

/// The (request id, code) of a validate call, or None for a send call; one without the other
/// is a 400 naming the missing one.
fn validate_mode<T: Clone>(
    id: &Option<T>,
    code: &Option<Secret>,
    id_field: &str,
    code_field: &str,
) -> ApiResult<Option<(T, Secret)>> {
    match (id, code) {
        (Some(id), Some(code)) => Ok(Some((id.clone(), code.clone()))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(ApiError::field(
            code_field,
            format!("is required with {id_field}"),
        )),
        (None, Some(_)) => Err(ApiError::field(
            id_field,
            format!("is required with {code_field}"),
        )),
    }
}

/// RG2.
pub async fn verify_phone(
    ApiKeyTenant(tenant): ApiKeyTenant,
    JsonBody(body): JsonBody<types::VerifyPhoneInput>,
) -> ApiResult<Json<types::ApiOutputRegisterStep>> {
    Problems::new()
        .check(validate::phone("phoneNumber", &body.phone_number))
        .check(validate::sms_provider(
            "smsProviders",
            body.sms_providers.as_ref(),
        ))
        .finish()?;
    let mode = validate_mode(
        &body.phone_number_otp_request_id,
        &body.phone_number_otp,
        "phoneNumberOtpRequestId",
        "phoneNumberOtp",
    )?;
    let phone = body.phone_number.clone();
    let output = otp_step(&tenant, Purpose::RegisterPhone, &phone, mode)?;
    Ok(ok!(ApiOutputRegisterStep, output))
}

/// RG3.
pub async fn verify_email(
    ApiKeyTenant(tenant): ApiKeyTenant,
    JsonBody(body): JsonBody<types::VerifyEmailInput>,
) -> ApiResult<Json<types::ApiOutputRegisterStep>> {
    let email = body.email.trim().to_lowercase();
    validate::email("email", &email).map_err(|p| ApiError::BadRequest(vec![p]))?;
    let mode = validate_mode(
        &body.email_otp_request_id,
        &body.email_otp,
        "emailOtpRequestId",
        "emailOtp",
    )?;
    let output = otp_step(&tenant, Purpose::RegisterEmail, &email, mode)?;
    Ok(ok!(ApiOutputRegisterStep, output))
}

/// The two modes of StepVerifyPhone and StepVerifyEmail (`purpose` says which): send an OTP to
/// `destination` unless it already has an account, or validate `(id, code)`.
fn otp_step(
    tenant: &Tenant,
    purpose: Purpose,
    destination: &str,
    mode: Option<(uuid::Uuid, Secret)>,
) -> ApiResult<types::RegisterStepOutput> {
    let phone = purpose == Purpose::RegisterPhone;
    tenant.with_state(|state, now| -> ApiResult<_> {
        let mut output = types::RegisterStepOutput {
            is_email_confirmation_required: Some(tenant.require_email_confirmation),
            is_phone_number_confirmation_required: Some(true),
            is_digital_identity_verified: Some(false),
            ..Default::default()
        };
        let (id, confirmed) = match mode {
            None => {
                if phone && state.phone_exists(destination) {
                    return Err(KnownErrorCode::PhoneNumberAlreadyRegistered.into());
                }
                if !phone && state.email_exists(destination) {
                    return Err(KnownErrorCode::EmailAlreadyRegistered.into());
                }
                (state.issue_otp(purpose, destination, None, now)?, false)
            }
            Some((id, code)) => {
                state.validate_otp(
                    id,
                    purpose,
                    destination,
                    None,
                    code.expose_secret(),
                    now,
                    Spend::Yes,
                )?;
                (id, true)
            }
        };
        let expiry = (!confirmed).then(|| otp_seconds(tenant)).flatten();
        if phone {
            output.phone_number_otp_request_id = Some(id);
            output.phone_otp_expire_in_seconds = expiry;
            output.is_phone_number_confirmed = Some(confirmed);
        } else {
            output.email_otp_request_id = Some(id);
            output.email_otp_expire_in_seconds = expiry;
            output.is_email_confirmed = Some(confirmed);
        }
        Ok(output)
    })
}

/// RG5 and RG6: verify an ID token minted by `/__sandbox/oauth/id-token`.
pub async fn verify_oauth_token(
    ApiKeyTenant(tenant): ApiKeyTenant,
    JsonBody(body): JsonBody<types::OAuthTokenInput>,
) -> ApiResult<Json<types::ApiOutputOAuthVerification>> {
    let provider = body.provider.to_string();
    let output =
        match auth::verify_id_token(&tenant, &provider, body.id_token.expose_secret().trim()) {
            Err(reason) => types::OAuthVerificationOutput {
                email: None,
                is_verified: false,
                o_auth_token_verification_request_id: None,
                validation_result: Some(reason.to_string()),
            },
            Ok(claims) => tenant.with_state(|state, now| {
                let id = state.new_uuid();
                state.add_oauth_verification(
                    id,
                    OAuthVerification {
                        email: claims.email.to_lowercase(),
                        expires_at: crate::time::after(now, OAUTH_VERIFICATION_LIFETIME_SECONDS),
                        used: false,
                    },
                );
                types::OAuthVerificationOutput {
                    email: Some(claims.email),
                    is_verified: true,
                    o_auth_token_verification_request_id: Some(id),
                    validation_result: Some("Token verified successfully".to_string()),
                }
            }),
        };
    Ok(ok!(ApiOutputOAuthVerification, output))
}

/// Register's phone proof: a phone OTP validated in StepVerifyPhone (spent here once), or its
/// code sent along. Only checks (a wrong code counts as an attempt, as everywhere); the OTP
/// is spent by [`spend_proofs`] once every check of the Register has passed. Returns the OTP.
fn prove_phone(
    state: &mut TenantState,
    body: &types::RegisterInput,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<uuid::Uuid> {
    let Some(id) = body.phone_number_otp_request_id else {
        return Err(KnownErrorCode::PhoneNumberNotVerified.into());
    };
    let otp = state.live_otp(id, Purpose::RegisterPhone, &body.phone_number, None)?;
    let (used, consumed) = (otp.used, otp.consumed);
    match &body.phone_number_otp {
        _ if used && !consumed => {}
        Some(code) if !used => state.validate_otp(
            id,
            Purpose::RegisterPhone,
            &body.phone_number,
            None,
            code.expose_secret(),
            now,
            Spend::No,
        )?,
        Some(_) => return Err(KnownErrorCode::OtpAlreadyUsed.into()),
        None => return Err(KnownErrorCode::PhoneNumberNotVerified.into()),
    }
    Ok(id)
}

/// What confirms Register's email, to be spent with the phone OTP.
enum EmailProof {
    /// A StepVerifyOAuthToken / VerifyOAuthToken verification.
    OAuth(uuid::Uuid),
    /// An email OTP validated in StepVerifyEmail.
    Otp(uuid::Uuid),
}

/// Register's email: confirmed by an OAuth verification or a validated email OTP, otherwise
/// unconfirmed. Only checks. Returns (email, its proof).
fn prove_email(
    state: &mut TenantState,
    body: &types::RegisterInput,
) -> ApiResult<(Option<String>, Option<EmailProof>)> {
    let email = body
        .email
        .as_deref()
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty());
    if let Some(id) = body.o_auth_token_verification_request_id {
        let verification = state
            .oauth_verifications
            .get(&id)
            .filter(|v| !v.used && email.as_ref().is_none_or(|e| *e == v.email))
            .ok_or(KnownErrorCode::OAuthVerificationNotFound)?;
        return Ok((
            Some(verification.email.clone()),
            Some(EmailProof::OAuth(id)),
        ));
    }
    let Some(email) = email else {
        return Ok((None, None));
    };
    if let Some(id) = body.email_otp_request_id {
        let otp = state.live_otp(id, Purpose::RegisterEmail, &email, None)?;
        if !otp.used || otp.consumed {
            return Err(KnownErrorCode::OtpRequestNotFound.into());
        }
        return Ok((Some(email), Some(EmailProof::Otp(id))));
    }
    Ok((Some(email), None))
}

/// Spends what a Register proved with: the phone OTP (used and consumed) and the email's
/// proof. Runs after every check, in the same critical section, so a Register that fails
/// spends nothing.
fn spend_proofs(state: &mut TenantState, phone_otp: uuid::Uuid, email: Option<&EmailProof>) {
    if let Some(otp) = state.otps.get_mut(&phone_otp) {
        otp.used = true;
        otp.consumed = true;
    }
    match email {
        Some(EmailProof::OAuth(id)) => {
            if let Some(verification) = state.oauth_verifications.get_mut(id) {
                verification.used = true;
            }
        }
        Some(EmailProof::Otp(id)) => {
            if let Some(otp) = state.otps.get_mut(id) {
                otp.consumed = true;
            }
        }
        None => {}
    }
}

/// RG4.
pub async fn register(
    ApiKeyTenant(tenant): ApiKeyTenant,
    JsonBody(body): JsonBody<types::RegisterInput>,
) -> ApiResult<Json<types::ApiOutputRegister>> {
    let mut problems = Problems::new();
    problems.check(validate::phone("phoneNumber", &body.phone_number));
    if let Some(email) = body.email.as_deref().filter(|e| !e.trim().is_empty()) {
        problems.check(validate::email("email", email.trim()));
    }
    if let Some(location) = &body.geo_location {
        problems.check(validate::geo("geoLocation", location));
    }
    if body
        .password
        .as_ref()
        .is_some_and(|p| p.expose_secret().len() > 32)
    {
        problems.push(FieldProblem::new(
            "password",
            "must be at most 32 characters",
        ));
    }
    problems.finish()?;
    let output = tenant.with_state(|state, now| -> ApiResult<_> {
        if state.phone_exists(&body.phone_number) {
            return Err(KnownErrorCode::PhoneNumberAlreadyRegistered.into());
        }
        if let Some(email) = body.email.as_deref().filter(|e| !e.trim().is_empty())
            && state.email_exists(email.trim())
        {
            return Err(KnownErrorCode::EmailAlreadyRegistered.into());
        }
        // Every check first; state changes only once all have passed.
        let phone_otp = prove_phone(state, &body, now)?;
        let (email, email_proof) = prove_email(state, &body)?;
        if email.as_deref().is_some_and(|e| state.email_exists(e)) {
            return Err(KnownErrorCode::EmailAlreadyRegistered.into());
        }
        state.room_for_user()?;
        spend_proofs(state, phone_otp, email_proof.as_ref());
        let email_confirmed = email_proof.is_some();
        let user_id = state.insert_user(User {
            id: 0,
            phone: body.phone_number.clone(),
            email,
            email_confirmed,
            password: body
                .password
                .clone()
                .filter(|p| !p.expose_secret().is_empty()),
            name: body.name.clone().unwrap_or_else(|| "Sandbox".to_string()),
            surname: body.surname.clone().unwrap_or_else(|| "User".to_string()),
            id_number: None,
            verified: false,
            kyc_transaction: None,
            last_location: body.geo_location.clone(),
            devices: body
                .imei
                .as_deref()
                .map(str::trim)
                .filter(|imei| !imei.is_empty())
                .map(|imei| HashSet::from([imei.to_string()]))
                .unwrap_or_default(),
            requests: Vec::new(),
        });
        let access_token = auth::access_token(&tenant, user_id, false, now)?;
        let refresh_token = auth::refresh_token(&tenant, state, user_id, false, now)?;
        let user = views::caller(state, user_id)?;
        Ok(types::RegisterOutput {
            access_token: Secret::from(access_token),
            encrypted_access_token: None,
            expire_in_seconds: i32::try_from(tenant.settings.lifetimes.access_token_seconds)
                .unwrap_or(i32::MAX),
            is_digital_identity_verified: false,
            refresh_token: Some(Secret::from(refresh_token)),
            refresh_token_expire_in_seconds: i32::try_from(REFRESH_TOKEN_LIFETIME_SECONDS).ok(),
            user: views::user(user),
        })
    })?;
    Ok(ok!(ApiOutputRegister, output))
}
