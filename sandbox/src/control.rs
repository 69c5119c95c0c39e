//! The control API's request and reply bodies (`openapi/sandbox-control.yaml`), public so
//! that tests and the conformance harness use the same types.
//!
//! These are not in `openapi/vlens.yaml`, so they are hand-written here; `Debug` of anything
//! holding a secret (ApiKey, password, token, OTP code) redacts it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vlens_client::types::GeoLocation;

use crate::config::{Limit, RateLimits};
use crate::redact::Redacted;

/// The envelope of every control reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlEnvelope<T> {
    pub data: Option<T>,
    pub error_code: Option<i32>,
    pub error_message: Option<String>,
    pub error_descriptions: serde_json::Value,
}

impl<T> ControlEnvelope<T> {
    /// A success envelope.
    pub fn ok(data: T) -> Self {
        Self {
            data: Some(data),
            error_code: None,
            error_message: None,
            error_descriptions: serde_json::Value::Null,
        }
    }
}

/// `GET /__sandbox/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Always `ok`.
    pub status: String,
    /// Always `vlens-sandbox`.
    pub service: String,
    pub version: String,
    /// The tenant the ApiKey names.
    pub tenancy_name: String,
}

/// `POST /__sandbox/tenants` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTenantInput {
    /// Whether CheckEligibility requires a confirmed email (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_email_confirmation: Option<bool>,
}

/// A tenant and its credentials.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantInfo {
    pub tenant_id: i32,
    pub tenancy_name: String,
    pub api_key: String,
    pub admin_user_name: String,
    pub admin_password: String,
    pub require_email_confirmation: bool,
}

impl fmt::Debug for TenantInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantInfo")
            .field("tenant_id", &self.tenant_id)
            .field("tenancy_name", &self.tenancy_name)
            .field("api_key", &"[REDACTED]")
            .field("admin_user_name", &self.admin_user_name)
            .field("admin_password", &"[REDACTED]")
            .field(
                "require_email_confirmation",
                &self.require_email_confirmation,
            )
            .finish()
    }
}

/// `POST /__sandbox/users` body; every field is optional.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateUserInput {
    /// E.164; a fresh random Egyptian number (+2010…) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Default true (when an email is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_confirmed: Option<bool>,
    /// Without one the account logs in by phone OTP only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    /// The registration location (default Cairo, 30.0444, 31.2357).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo_location: Option<GeoLocation>,
    /// The registration device; `sandbox-device-<userId>` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imei: Option<String>,
    /// Default true: the user has a completed identity-verification transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

impl fmt::Debug for CreateUserInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateUserInput")
            .field("phone_number", &self.phone_number)
            .field("email", &self.email)
            .field("email_confirmed", &self.email_confirmed)
            .field("password", &Redacted(&self.password))
            .field("name", &self.name)
            .field("surname", &self.surname)
            .field("geo_location", &self.geo_location)
            .field("imei", &self.imei)
            .field("verified", &self.verified)
            .finish()
    }
}

/// A ready end user.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedUser {
    pub user_id: i64,
    pub phone_number: String,
    pub email: Option<String>,
    pub imei: String,
    pub access_token: String,
    pub refresh_token: String,
    pub is_digital_identity_verified: bool,
    /// The completed KYC transaction, when verified.
    pub transaction_id: Option<Uuid>,
    pub id_number: Option<String>,
}

impl fmt::Debug for CreatedUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedUser")
            .field("user_id", &self.user_id)
            .field("phone_number", &self.phone_number)
            .field("email", &self.email)
            .field("imei", &self.imei)
            .field("access_token", &"[REDACTED]")
            .field("refresh_token", &"[REDACTED]")
            .field(
                "is_digital_identity_verified",
                &self.is_digital_identity_verified,
            )
            .field("transaction_id", &self.transaction_id)
            .field("id_number", &self.id_number)
            .finish()
    }
}

/// `GET /__sandbox/otp`: the last OTP sent to a phone number or email.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentOtp {
    /// Six digits.
    pub code: String,
    pub otp_request_id: Uuid,
    /// `register-phone`, `register-email`, `login` or `activation`.
    pub purpose: String,
    pub expires_at: DateTime<Utc>,
    pub phone_number: Option<String>,
    pub email: Option<String>,
    /// The business request, for activation OTPs.
    pub request_id: Option<Uuid>,
}

impl fmt::Debug for SentOtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentOtp")
            .field("code", &"[REDACTED]")
            .field("otp_request_id", &self.otp_request_id)
            .field("purpose", &self.purpose)
            .field("expires_at", &self.expires_at)
            .field("phone_number", &self.phone_number)
            .field("email", &self.email)
            .field("request_id", &self.request_id)
            .finish()
    }
}

/// `POST /__sandbox/requests/{id}/status` body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetStatusInput {
    /// 1 to 8 (2 approve, 3 reject, 5 countersign).
    pub status: i32,
}

/// A request's new status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestStatusChange {
    pub id: Uuid,
    #[serde(rename = "requeststatus")]
    pub requeststatus: i32,
    pub request_status_name: String,
}

/// `POST /__sandbox/clock` body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdvanceClockInput {
    /// At least 0.
    pub advance_seconds: i64,
}

/// The tenant's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub now: DateTime<Utc>,
}

/// `POST /__sandbox/reset` reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reset {
    pub reset: bool,
}

/// `POST /__sandbox/oauth/id-token` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MintIdTokenInput {
    /// `Google` or `Microsoft`.
    pub provider: String,
    pub email: String,
    /// Default 3600, at least 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_seconds: Option<i64>,
}

/// A minted ID token.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdToken {
    pub id_token: String,
}

impl fmt::Debug for IdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdToken([REDACTED])")
    }
}

/// `POST /__sandbox/faults` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InjectFaultInput {
    /// An operationId of `openapi/vlens.yaml`, or `*` for any operation.
    pub operation_id: String,
    /// 500, 502, 503 or 504 (default 503).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i64>,
    /// How many requests fail (default 1, at least 1); each faulted request consumes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// Sent as `Retry-After` (502, 503 and 504 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<i64>,
}

/// A fault as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InjectedFault {
    pub operation_id: String,
    pub status: u16,
    pub count: u32,
    pub retry_after_seconds: Option<u32>,
}

/// `POST /__sandbox/rate-limits` body: each limit sent replaces the tenant's (`null` turns it
/// off); a limit left out stays as it is, so `{}` only reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetRateLimitsInput {
    /// OTPs per purpose and phone number, email or business request.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub otp_requests: Option<Option<Limit>>,
    /// Wrong OTP codes per purpose and phone number, email or business request, across OTPs.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub wrong_otp_codes: Option<Option<Limit>>,
    /// Wrong passwords per account.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub failed_passwords: Option<Option<Limit>>,
}

/// A field that is present, `null` included, is `Some(...)`; an absent one stays `None` (by
/// `#[serde(default)]`). Hand-written: three lines, where serde_with's `double_option` would be
/// a new dependency.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A tenant's limits (`null`: off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitsInfo {
    pub otp_requests: Option<Limit>,
    pub wrong_otp_codes: Option<Limit>,
    pub failed_passwords: Option<Limit>,
}

impl From<RateLimits> for RateLimitsInfo {
    fn from(limits: RateLimits) -> Self {
        Self {
            otp_requests: limits.otp_requests,
            wrong_otp_codes: limits.wrong_otp_codes,
            failed_passwords: limits.failed_passwords,
        }
    }
}
