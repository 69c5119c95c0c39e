//! The documented defaults: tenants, credentials, limits and the product ids.
//!
//! These are the values `sandbox/README.md` and `vlens-sandbox --help` list; the conformance
//! harness and tests use them instead of repeating literals.

use crate::config::Limit;

/// The `Default` tenant (id 1).
pub const DEFAULT_TENANT_ID: i32 = 1;
/// The `Default` tenant's name (the `TenancyName` of admin login).
pub const DEFAULT_TENANCY_NAME: &str = "Default";
/// The `Default` tenant's ApiKey (`--api-key` replaces it).
pub const DEFAULT_API_KEY: &str = "sandbox-api-key";
/// The second built-in tenant (id 2), so that isolation can be tested out of the box.
pub const OTHER_TENANT_ID: i32 = 2;
/// The second tenant's name.
pub const OTHER_TENANCY_NAME: &str = "Other";
/// The second tenant's ApiKey.
pub const OTHER_API_KEY: &str = "sandbox-other-api-key";
/// Every tenant's admin user name.
pub const ADMIN_USER_NAME: &str = "admin";
/// Every tenant's admin password.
pub const ADMIN_PASSWORD: &str = "123qwe";
/// The admin's user id in every tenant.
pub const ADMIN_USER_ID: i64 = 1;

/// "Personal Loan": approved automatically on creation, no payment check.
pub const PERSONAL_LOAN_TYPE_ID: i32 = 414;
/// "Commercial Lease Agreement": stays Pending Approval until approved through the control
/// API; has the payment check.
pub const COMMERCIAL_LEASE_TYPE_ID: i32 = 415;
/// "Device Instalment Plan" (a consumer-device instalment sale): approved automatically on
/// creation, with the payment check (StepValidateOtp answers a payment URL, StepValidatePayment
/// needs `paymentGateway`).
pub const DEVICE_INSTALMENT_TYPE_ID: i32 = 416;

/// Where a user created by the control API registered, unless told otherwise (Cairo).
pub const DEFAULT_LATITUDE: f64 = 30.0444;
/// See [`DEFAULT_LATITUDE`].
pub const DEFAULT_LONGITUDE: f64 = 31.2357;

/// StepRequestOtp beyond this distance from the last active location needs re-validation.
pub const MAX_ACTIVATION_DISTANCE_KM: f64 = 80.0;
/// OTP lifetime.
pub const OTP_LIFETIME_SECONDS: i64 = 300;
/// Wrong codes after which an OTP is dead.
pub const OTP_MAX_WRONG_ATTEMPTS: u32 = 5;
/// OTPs sent per purpose to one phone number or email, or for one business request: 10 per
/// 15 minutes (`TooManyOtpRequests` past it).
pub const OTP_REQUEST_LIMIT: Limit = Limit::new(10, 900);
/// Wrong codes per purpose and phone number, email or business request, across OTPs: 10 per
/// 15 minutes (`TooManyWrongOtpCodes` past it).
pub const WRONG_OTP_CODE_LIMIT: Limit = Limit::new(10, 900);
/// Wrong passwords per account: 10 per 15 minutes (`TooManyFailedLogins` past it).
pub const FAILED_PASSWORD_LIMIT: Limit = Limit::new(10, 900);
/// OTP length in digits.
pub const OTP_DIGITS: usize = 6;
/// Access tokens (user and admin) live this long.
pub const ACCESS_TOKEN_LIFETIME_SECONDS: i64 = 86_400;
/// Refresh tokens live this long.
pub const REFRESH_TOKEN_LIFETIME_SECONDS: i64 = 604_800;
/// A verified OAuth ID token may be spent on a Register for this long.
pub const OAUTH_VERIFICATION_LIFETIME_SECONDS: i64 = 3_600;
/// Iframe session and invitation tokens live this long.
pub const SESSION_TOKEN_LIFETIME_SECONDS: i64 = 3_600;
/// Signing links (and their SecurityHash) live this long.
pub const SIGNING_LINK_LIFETIME_SECONDS: i64 = 900;
/// An incomplete ApiKey-only identity-verification transaction is dropped this long after it
/// began.
pub const INCOMPLETE_TRANSACTION_LIFETIME_SECONDS: i64 = 3_600;
/// A tenant made through the control API is dropped after this long unused (wall clock).
pub const IDLE_TENANT_LIFETIME_SECONDS: i64 = 3_600;
/// The largest request body.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// The largest decoded image.
pub const MAX_IMAGE_BYTES: usize = 512_000;
/// Expired OTPs are kept this long past expiry (so a late attempt still says OtpExpired),
/// then purged.
pub const EXPIRED_OTP_GRACE_SECONDS: i64 = 600;
/// The most seconds one control call may name: `advanceSeconds` of `/__sandbox/clock` and
/// `expiresInSeconds` of `/__sandbox/oauth/id-token` (ten years of 365 days).
pub const MAX_CONTROL_SECONDS: i64 = 315_360_000;
/// How far ahead of the wall clock a tenant's clock may be moved in all (a hundred years):
/// repeated `/__sandbox/clock` calls stop there rather than run off chrono's calendar.
pub const MAX_CLOCK_OFFSET_SECONDS: i64 = 10 * MAX_CONTROL_SECONDS;
