//! End-user login with the new-device OTP, and refresh (UL1, UL2).

use axum::Json;
use http::HeaderMap;
use vlens_client::{Secret, types};

use super::views;
use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{ApiKeyTenant, JsonBody};
use crate::http::reply::ok;
use crate::otp::Purpose;
use crate::store::Spend;
use crate::validate::{self, Problems};

const BAD_CREDENTIALS: ApiError =
    ApiError::Unauthorized("Unauthorized - invalid phone number or password");

/// UL1. A known device with the right password gets tokens. An unknown device (or a
/// passwordless account) first gets an OTP and no token; the second call carries
/// `phoneNumberOtpRequestId` and `phoneNumberOtp`. A successful login with `geoLocation` makes
/// it the last active location.
pub async fn login(
    ApiKeyTenant(tenant): ApiKeyTenant,
    headers: HeaderMap,
    JsonBody(body): JsonBody<types::UserLoginInput>,
) -> ApiResult<Json<types::ApiOutputUserLogin>> {
    if let Some(name) = headers.get("tenancyname") {
        let matches = name
            .to_str()
            .is_ok_and(|name| name.trim().eq_ignore_ascii_case(&tenant.name));
        if !matches {
            return Err(ApiError::Unauthorized(
                "Unauthorized - TenancyName does not name the ApiKey's tenant",
            ));
        }
    }
    let mut problems = Problems::new();
    problems
        .check(validate::phone("phoneNumber", &body.phone_number))
        .check(validate::sms_provider(
            "smsProvider",
            body.sms_provider.as_ref(),
        ))
        .check(validate::sms_provider(
            "smsProviders",
            body.sms_providers.as_ref(),
        ));
    if body.imei.trim().is_empty() {
        problems.push(crate::error::FieldProblem::new("imei", "is required"));
    }
    if let Some(location) = &body.geo_location {
        problems.check(validate::geo("geoLocation", location));
    }
    problems.finish()?;
    let otp_pair = match (&body.phone_number_otp_request_id, &body.phone_number_otp) {
        (Some(id), Some(code)) => Some((*id, code.clone())),
        (None, None) => None,
        (Some(_), None) => {
            return Err(ApiError::field(
                "phoneNumberOtp",
                "is required with phoneNumberOtpRequestId",
            ));
        }
        (None, Some(_)) => {
            return Err(ApiError::field(
                "phoneNumberOtpRequestId",
                "is required with phoneNumberOtp",
            ));
        }
    };
    let output = tenant.with_state(|state, now| -> ApiResult<_> {
        let user = state
            .user_by_phone(&body.phone_number)
            .ok_or(BAD_CREDENTIALS)?;
        let user_id = user.id;
        let account = format!("user:{user_id}");
        let has_password = user.password.is_some();
        let needs_otp = !has_password || !user.devices.contains(body.imei.trim());
        if has_password {
            // Before the password is compared: past the limit the right one waits too.
            state.check_login_allowed(&account, "phoneNumber", now)?;
        }
        let user = views::caller(state, user_id)?;
        let password_ok = match (&user.password, &body.password) {
            (Some(expected), Some(given)) => expected == given,
            (Some(_), None) => false,
            // Passwordless accounts log in by phone OTP only.
            (None, _) => true,
        };
        if !password_ok {
            state.password_failed(&account, now);
            return Err(BAD_CREDENTIALS);
        }
        if has_password {
            state.password_succeeded(&account);
        }
        if needs_otp {
            match &otp_pair {
                None => {
                    let phone = body.phone_number.clone();
                    let otp = state.issue_otp(Purpose::Login, &phone, None, now)?;
                    return Ok(types::UserLoginOutput {
                        phone_number_otp_request_id: Some(otp),
                        phone_otp_expire_in_seconds: i32::try_from(
                            tenant.settings.lifetimes.otp_seconds,
                        )
                        .ok(),
                        is_phone_number_confirmation_required: Some(true),
                        is_phone_number_confirmed: Some(false),
                        ..Default::default()
                    });
                }
                Some((id, code)) => {
                    let phone = body.phone_number.clone();
                    state.validate_otp(
                        *id,
                        Purpose::Login,
                        &phone,
                        None,
                        code.expose_secret(),
                        now,
                        Spend::Yes,
                    )?;
                }
            }
        }
        let access_token = auth::access_token(&tenant, user_id, false, now)?;
        let refresh_token = auth::refresh_token(&tenant, state, user_id, false, now)?;
        let user = views::caller_mut(state, user_id)?;
        user.devices.insert(body.imei.trim().to_string());
        if let Some(location) = &body.geo_location {
            user.last_location = Some(location.clone());
        }
        let user = views::caller(state, user_id)?;
        let eligibility = views::eligibility(&tenant, state, user);
        Ok(types::UserLoginOutput {
            access_token: Some(Secret::from(access_token)),
            refresh_token: Some(Secret::from(refresh_token)),
            expire_in_seconds: i32::try_from(tenant.settings.lifetimes.access_token_seconds).ok(),
            has_pending_request: Some(eligibility.has_pending_request),
            is_digital_identity_verified: Some(user.verified),
            is_email_confirmation_required: Some(tenant.require_email_confirmation),
            is_email_confirmed: Some(user.email_confirmed),
            is_phone_number_confirmation_required: Some(false),
            is_phone_number_confirmed: Some(true),
            transaction_id: user.kyc_transaction,
            user: Some(views::user(user)),
            ..Default::default()
        })
    })?;
    Ok(ok!(ApiOutputUserLogin, output))
}

/// UL2.
pub async fn refresh(
    ApiKeyTenant(tenant): ApiKeyTenant,
    JsonBody(body): JsonBody<types::RefreshTokenInput>,
) -> ApiResult<Json<types::ApiOutputRefreshToken>> {
    super::admin_auth::rotate(
        &tenant,
        body.refresh_token.as_ref().map(Secret::expose_secret),
        false,
    )
}
