//! The control API (`/__sandbox`): fixtures, the OTP outbox, status changes, the clock, reset
//! and OAuth ID tokens. Each acts within the ApiKey's tenant.

use std::collections::HashSet;

use axum::Json;
use axum::extract::State;
use rand::Rng;
use vlens_client::types::GeoLocation;

use super::views;
use crate::auth;
use crate::config::Limit;
use crate::control::types::{
    ControlOutputClock, ControlOutputFault, ControlOutputHealth, ControlOutputIdToken,
    ControlOutputOtp, ControlOutputRateLimits, ControlOutputReset, ControlOutputStatus,
    ControlOutputTenant, ControlOutputUser, HealthService, HealthStatus,
};
use crate::control::*;
use crate::defaults;
use crate::error::{ApiError, ApiResult, FieldProblem};
use crate::faults::{self, FaultReply};
use crate::http::AppState;
use crate::http::extract::{
    ApiKeyTenant, JsonBody, OptionalJsonBody, PathParam, QueryMap, parse_uuid,
};
use crate::images;
use crate::store::{Liveness, StoredImage, Transaction, User};
use crate::validate::{self, Problems};
use vlens_client::Secret;

/// A control reply: the generated envelope `T`.
type Reply<T> = ApiResult<Json<T>>;

fn reply<T: ControlReply>(data: T::Data) -> Reply<T> {
    Ok(Json(T::ok(data)))
}

/// `GET /__sandbox/health`.
pub async fn health(ApiKeyTenant(tenant): ApiKeyTenant) -> Reply<ControlOutputHealth> {
    reply(Health {
        status: HealthStatus::Ok,
        service: HealthService::VlensSandbox,
        version: env!("CARGO_PKG_VERSION").to_string(),
        tenancy_name: tenant.name.clone(),
    })
}

/// `POST /__sandbox/tenants`.
pub async fn create_tenant(
    State(state): State<AppState>,
    ApiKeyTenant(_caller): ApiKeyTenant,
    OptionalJsonBody(body): OptionalJsonBody<CreateTenantInput>,
) -> Reply<ControlOutputTenant> {
    let require = body.is_some_and(|b| b.require_email_confirmation);
    let tenant = state.store.create_tenant(require)?;
    reply(TenantInfo {
        tenant_id: tenant.id,
        tenancy_name: tenant.name.clone(),
        api_key: Secret::new(tenant.api_key()),
        admin_user_name: defaults::ADMIN_USER_NAME.to_string(),
        admin_password: Secret::new(defaults::ADMIN_PASSWORD),
        require_email_confirmation: tenant.require_email_confirmation,
    })
}

/// `POST /__sandbox/users`: a registered user with tokens and, by default, a completed KYC
/// transaction.
pub async fn create_user(
    ApiKeyTenant(tenant): ApiKeyTenant,
    OptionalJsonBody(body): OptionalJsonBody<CreateUserInput>,
) -> Reply<ControlOutputUser> {
    let input = body.unwrap_or_default();
    let mut problems = Problems::new();
    if let Some(phone) = &input.phone_number {
        problems.check(validate::phone("phoneNumber", phone));
    }
    if let Some(email) = &input.email {
        problems.check(validate::email("email", email));
    }
    let location = input.geo_location.clone().unwrap_or(GeoLocation {
        latitude: defaults::DEFAULT_LATITUDE,
        longitude: defaults::DEFAULT_LONGITUDE,
    });
    problems.check(validate::geo("geoLocation", &location));
    problems.finish()?;
    let verified = input.verified;
    let image = |variant| StoredImage {
        bytes: images::sample_png(variant),
    };
    let sample_bytes: usize = (1..=5).map(|variant| image(variant).bytes.len()).sum();
    let created = tenant.with_state(|state, now| -> ApiResult<CreatedUser> {
        // Every cap first, so that a refusal leaves no user behind.
        state.room_for_user()?;
        if verified {
            state.room_for_transaction(sample_bytes)?;
        }
        let phone = match &input.phone_number {
            Some(phone) if state.phone_exists(phone) => {
                return Err(ApiError::field(
                    "phoneNumber",
                    "is already registered in this tenant",
                ));
            }
            Some(phone) => phone.clone(),
            None => loop {
                let candidate = format!("+2010{:08}", state.rng.random_range(0..100_000_000u32));
                if !state.phone_exists(&candidate) {
                    break candidate;
                }
            },
        };
        let email = input.email.as_ref().map(|e| e.trim().to_lowercase());
        if email.as_deref().is_some_and(|e| state.email_exists(e)) {
            return Err(ApiError::field(
                "email",
                "is already registered in this tenant",
            ));
        }
        let user_id = state.insert_user(User {
            id: 0,
            phone: phone.clone(),
            email_confirmed: email.is_some() && input.email_confirmed,
            email: email.clone(),
            password: input
                .password
                .clone()
                .filter(|p| !p.expose_secret().is_empty()),
            name: input.name.clone(),
            surname: input.surname.clone(),
            id_number: None,
            verified: false,
            kyc_transaction: None,
            last_location: Some(location.clone()),
            devices: HashSet::new(),
            requests: Vec::new(),
        });
        let imei = input
            .imei
            .clone()
            .filter(|imei| !imei.trim().is_empty())
            .unwrap_or_else(|| format!("sandbox-device-{user_id}"));
        let transaction_id = if verified {
            let tx_id = state.new_uuid();
            let id_number = state.new_id_number();
            state.add_transaction(Transaction {
                id: tx_id,
                owner: Some(user_id),
                front: Some(image(1)),
                back: Some(image(2)),
                liveness: Some(Liveness {
                    faces: [image(3), image(4), image(5)],
                    image: None,
                }),
                id_number: id_number.clone(),
                created_at: now,
            })?;
            let user = views::caller_mut(state, user_id)?;
            user.verified = true;
            user.kyc_transaction = Some(tx_id);
            user.id_number = Some(id_number);
            Some(tx_id)
        } else {
            None
        };
        views::caller_mut(state, user_id)?
            .devices
            .insert(imei.clone());
        let access_token = auth::access_token(&tenant, user_id, false, now)?;
        let refresh_token = auth::refresh_token(&tenant, state, user_id, false, now)?;
        let id_number = views::caller(state, user_id)?.id_number.clone();
        Ok(CreatedUser {
            user_id,
            phone_number: phone,
            email,
            imei,
            access_token: Secret::new(access_token),
            refresh_token: Secret::new(refresh_token),
            is_digital_identity_verified: verified,
            transaction_id,
            id_number,
        })
    })?;
    reply(created)
}

/// `GET /__sandbox/otp?phoneNumber=` (or `email=`).
pub async fn last_otp(
    ApiKeyTenant(tenant): ApiKeyTenant,
    query: QueryMap,
) -> Reply<ControlOutputOtp> {
    let destination = match (query.get("phoneNumber"), query.get("email")) {
        (Some(phone), None) => phone.trim().to_string(),
        (None, Some(email)) => email.trim().to_lowercase(),
        _ => {
            return Err(ApiError::BadRequest(vec![
                FieldProblem::new(
                    "phoneNumber",
                    "exactly one of phoneNumber and email is required",
                ),
                FieldProblem::new("email", "exactly one of phoneNumber and email is required"),
            ]));
        }
    };
    let sent = tenant.with_state(|state, _| {
        state.outbox(&destination).map(|otp| {
            let is_email = destination.contains('@');
            SentOtp {
                code: Secret::new(otp.code.clone()),
                otp_request_id: otp.id,
                purpose: otp.purpose.into(),
                expires_at: otp.expires_at,
                phone_number: (!is_email).then(|| otp.destination.clone()),
                email: is_email.then(|| otp.destination.clone()),
                request_id: otp.request_id,
            }
        })
    });
    match sent {
        Some(sent) => reply(sent),
        None => Err(ApiError::NotFound("Not found - no OTP was sent there")),
    }
}

/// `POST /__sandbox/requests/{id}/status`.
pub async fn set_request_status(
    ApiKeyTenant(tenant): ApiKeyTenant,
    PathParam(raw_id): PathParam,
    JsonBody(body): JsonBody<SetStatusInput>,
) -> Reply<ControlOutputStatus> {
    let id = parse_uuid("id", &raw_id)?;
    if !(1..=8).contains(&body.status) {
        return Err(ApiError::field("status", "must be from 1 to 8"));
    }
    let changed = tenant.with_state(|state, now| {
        let record = state.requests.get_mut(&id)?;
        record.status = body.status;
        record.modified_at = Some(now);
        // Under the same lock: whatever activation was under way is void, so a request moved
        // back to Approved starts over (a new OTP, validated, then StepValidatePayment) and is
        // never activated twice on one OTP.
        let abandoned = std::mem::take(&mut record.activation);
        if let Some(otp) = abandoned.latest_otp {
            state.forget_otp(otp);
        }
        Some(RequestStatusChange {
            id,
            requeststatus: body.status,
            request_status_name: views::status_name(body.status),
        })
    });
    match changed {
        Some(changed) => reply(changed),
        None => Err(ApiError::NotFound(
            "Not found - no such business request in this tenant",
        )),
    }
}

/// `POST /__sandbox/clock`.
pub async fn advance_clock(
    ApiKeyTenant(tenant): ApiKeyTenant,
    JsonBody(body): JsonBody<AdvanceClockInput>,
) -> Reply<ControlOutputClock> {
    if body.advance_seconds < 0 {
        return Err(ApiError::field("advanceSeconds", "must be at least 0"));
    }
    if body.advance_seconds > defaults::MAX_CONTROL_SECONDS {
        return Err(ApiError::field(
            "advanceSeconds",
            format!(
                "must be at most {} (ten years)",
                defaults::MAX_CONTROL_SECONDS
            ),
        ));
    }
    let now = tenant.advance_clock(body.advance_seconds).map_err(|_| {
        ApiError::field(
            "advanceSeconds",
            format!(
                "would put the clock more than {} seconds (a hundred years) ahead; reset the \
                 tenant first",
                defaults::MAX_CLOCK_OFFSET_SECONDS
            ),
        )
    })?;
    // Anything that expired under the moved clock goes now.
    tenant.with_state(|state, now| state.purge(now));
    reply(Clock { now })
}

/// `POST /__sandbox/reset`.
pub async fn reset(ApiKeyTenant(tenant): ApiKeyTenant) -> Reply<ControlOutputReset> {
    tenant.reset();
    reply(Reset { reset: true })
}

/// `POST /__sandbox/oauth/id-token`.
pub async fn mint_id_token(
    ApiKeyTenant(tenant): ApiKeyTenant,
    JsonBody(body): JsonBody<MintIdTokenInput>,
) -> Reply<ControlOutputIdToken> {
    // An unknown provider is refused by serde already (the spec's enum), naming `provider`.
    let mut problems = Problems::new();
    problems.check(validate::email("email", &body.email));
    let lifetime = body.expires_in_seconds;
    if lifetime < 1 {
        problems.push(FieldProblem::new("expiresInSeconds", "must be at least 1"));
    }
    if lifetime > defaults::MAX_CONTROL_SECONDS {
        problems.push(FieldProblem::new(
            "expiresInSeconds",
            format!(
                "must be at most {} (ten years)",
                defaults::MAX_CONTROL_SECONDS
            ),
        ));
    }
    problems.finish()?;
    let provider = body.provider.to_string();
    let id_token = auth::mint_id_token(&tenant, &provider, &body.email, lifetime, tenant.now())?;
    reply(IdToken {
        id_token: Secret::new(id_token),
    })
}

/// `POST /__sandbox/faults`: the next `count` requests of an operation in this tenant answer a
/// server error (the `http::faults` layer answers them).
pub async fn inject_fault(
    ApiKeyTenant(tenant): ApiKeyTenant,
    JsonBody(body): JsonBody<InjectFaultInput>,
) -> Reply<ControlOutputFault> {
    let (operation, fault, count) = checked_fault(&body).map_err(ApiError::BadRequest)?;
    tenant.inject_fault(operation, fault, count);
    // Both were checked to fit the spec's int32.
    let int32 = |value: u32| i32::try_from(value).unwrap_or(i32::MAX);
    reply(InjectedFault {
        operation_id: operation.to_string(),
        status: i32::from(fault.status.as_u16()),
        count: int32(count),
        retry_after_seconds: fault.retry_after_seconds.map(int32),
    })
}

/// The operation, reply and count of a fault, or every field at fault.
fn checked_fault(
    body: &InjectFaultInput,
) -> Result<(&'static str, FaultReply, u32), Vec<FieldProblem>> {
    let operation = if body.operation_id == faults::ANY_OPERATION {
        Ok(faults::ANY_OPERATION)
    } else {
        vlens_client::spec::operation(&body.operation_id)
            .map(|op| op.id)
            .ok_or_else(|| {
                FieldProblem::new(
                    "operationId",
                    "is not an operationId of openapi/vlens.yaml (nor `*` for any operation)",
                )
            })
    };
    let status = u16::try_from(body.status)
        .ok()
        .filter(|s| faults::STATUSES.contains(s))
        .and_then(|s| http::StatusCode::from_u16(s).ok())
        .ok_or_else(|| FieldProblem::new("status", "must be 500, 502, 503 or 504"));
    // Both are int32 in the spec (and so in the body's type).
    let count = u32::try_from(body.count)
        .ok()
        .filter(|count| *count >= 1)
        .ok_or_else(|| FieldProblem::new("count", "must be an integer of at least 1"));
    let retry_after = match body.retry_after_seconds {
        None => Ok(None),
        Some(_) if status == Ok(http::StatusCode::INTERNAL_SERVER_ERROR) => Err(FieldProblem::new(
            "retryAfterSeconds",
            "is for 502, 503 and 504 (a 500 comes from the panic guard, which sends no \
             Retry-After)",
        )),
        Some(seconds) => u32::try_from(seconds).map(Some).map_err(|_| {
            FieldProblem::new("retryAfterSeconds", "must be an integer of at least 0")
        }),
    };
    match (operation, status, count, retry_after) {
        (Ok(operation), Ok(status), Ok(count), Ok(retry_after_seconds)) => Ok((
            operation,
            FaultReply {
                status,
                retry_after_seconds,
            },
            count,
        )),
        (operation, status, count, retry_after) => Err([
            operation.err(),
            status.err(),
            count.err(),
            retry_after.err(),
        ]
        .into_iter()
        .flatten()
        .collect()),
    }
}

/// `POST /__sandbox/rate-limits`: this tenant's limits (`/__sandbox/reset` restores the
/// configured ones).
pub async fn set_rate_limits(
    ApiKeyTenant(tenant): ApiKeyTenant,
    JsonBody(body): JsonBody<SetRateLimitsInput>,
) -> Reply<ControlOutputRateLimits> {
    let given = [
        ("otpRequests", &body.otp_requests),
        ("wrongOtpCodes", &body.wrong_otp_codes),
        ("failedPasswords", &body.failed_passwords),
    ];
    let mut problems = Problems::new();
    for (name, limit) in given {
        let Some(Some(limit)) = limit else { continue };
        if limit.max < 1 {
            problems.push(FieldProblem::new(
                format!("{name}.max"),
                format!("must be from 1 to {} (null turns the limit off)", i32::MAX),
            ));
        }
        if !(1..=defaults::MAX_CONTROL_SECONDS).contains(&limit.window_seconds) {
            problems.push(FieldProblem::new(
                format!("{name}.windowSeconds"),
                format!(
                    "must be from 1 to {} (ten years)",
                    defaults::MAX_CONTROL_SECONDS
                ),
            ));
        }
    }
    problems.finish()?;
    // Checked above: `max` is at least 1, so it is a u32.
    let limit = |given: Option<Option<RateLimit>>| {
        given.map(|limit| {
            limit.map(|limit| Limit::new(limit.max.unsigned_abs(), limit.window_seconds))
        })
    };
    let limits = tenant.with_state(|state, _| {
        let mut limits = state.rate_limits();
        if let Some(limit) = limit(body.otp_requests) {
            limits.otp_requests = limit;
        }
        if let Some(limit) = limit(body.wrong_otp_codes) {
            limits.wrong_otp_codes = limit;
        }
        if let Some(limit) = limit(body.failed_passwords) {
            limits.failed_passwords = limit;
        }
        state.set_rate_limits(limits);
        limits
    });
    reply(RateLimitsInfo::from(limits))
}
