//! A tenant's OTPs and passwords under its limits: issuing OTPs (supersession and the OTP-request
//! limit), validating them (the per-OTP attempt limit and the wrong-code limit across OTPs), the
//! outbox, and the failed-password limit of logins. Each runs inside the tenant's lock, so a
//! check, the count and what it allows are one step.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use vlens_client::KnownErrorCode;

use super::tenant::TenantState;
use crate::config::RateLimits;
use crate::error::{ApiError, ApiResult};
use crate::otp::{Otp, Purpose};
use crate::throttle::Counted;

/// Whether a validation spends the OTP or only checks its code (Register checks first and
/// spends once every other check has passed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spend {
    Yes,
    No,
}

impl TenantState {
    /// Where the live OTP of a purpose is kept: by request for activation, else by destination.
    fn otp_key(purpose: Purpose, destination: &str, request_id: Option<Uuid>) -> (Purpose, String) {
        match request_id {
            Some(id) => (purpose, id.to_string()),
            None => (purpose, destination.to_string()),
        }
    }

    /// The key the OTP limits count under: the same purpose and phone, email or request.
    fn otp_throttle_key(purpose: Purpose, destination: &str, request_id: Option<Uuid>) -> String {
        let (purpose, key) = Self::otp_key(purpose, destination, request_id);
        format!("{}:{key}", purpose.as_str())
    }

    /// This tenant's limits.
    pub fn rate_limits(&self) -> RateLimits {
        self.rate_limits
    }

    /// Replaces this tenant's limits (counts so far are kept and measured against the new ones).
    pub fn set_rate_limits(&mut self, limits: RateLimits) {
        self.rate_limits = limits;
    }

    /// Sends a new OTP, unless the purpose's phone, email or request has had its limit of OTPs
    /// in the window (`TooManyOtpRequests`, and nothing is sent). The new OTP supersedes the
    /// previous one for the same key, which is forgotten at once (so OTP traffic does not grow
    /// memory).
    pub fn issue_otp(
        &mut self,
        purpose: Purpose,
        destination: &str,
        request_id: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> ApiResult<Uuid> {
        let throttled = Self::otp_throttle_key(purpose, destination, request_id);
        let limit = self.rate_limits.otp_requests;
        self.throttle
            .check(Counted::OtpRequests, &throttled, limit, now)
            .map_err(|refused| refused.into_error(purpose.field()))?;
        self.throttle
            .record(Counted::OtpRequests, &throttled, limit, now);
        let id = self.new_uuid();
        let otp = Otp::issue(
            &mut self.rng,
            id,
            purpose,
            destination.to_string(),
            request_id,
            crate::time::after(now, self.settings.lifetimes.otp_seconds),
        );
        // The one it supersedes goes first, so that it is not counted against the cap.
        if let Some(&old) = self
            .latest_otp
            .get(&Self::otp_key(purpose, destination, request_id))
        {
            self.otps.remove(&old);
        }
        self.make_room_for_otp();
        self.otps.insert(id, otp);
        self.latest_otp
            .insert(Self::otp_key(purpose, destination, request_id), id);
        self.outbox.insert(destination.to_string(), id);
        Ok(id)
    }

    /// The live OTP `id` for this purpose and phone, email or request, or OtpRequestNotFound.
    pub fn live_otp(
        &mut self,
        id: Uuid,
        purpose: Purpose,
        destination: &str,
        request_id: Option<Uuid>,
    ) -> Result<&mut Otp, KnownErrorCode> {
        let key = Self::otp_key(purpose, destination, request_id);
        if self.latest_otp.get(&key) != Some(&id) {
            return Err(KnownErrorCode::OtpRequestNotFound);
        }
        self.otps
            .get_mut(&id)
            .filter(|otp| otp.purpose == purpose && otp.destination == destination)
            .ok_or(KnownErrorCode::OtpRequestNotFound)
    }

    /// Checks `code` against the live OTP `id`, and spends it on success when `spend` says so.
    /// In order: unknown or superseded (OtpRequestNotFound), used (OtpAlreadyUsed), the key's
    /// wrong codes across OTPs spent (TooManyWrongOtpCodes), then the OTP's own checks
    /// (attempts, expiry, the code). A wrong code counts for the OTP and for its key.
    #[allow(clippy::too_many_arguments)]
    pub fn validate_otp(
        &mut self,
        id: Uuid,
        purpose: Purpose,
        destination: &str,
        request_id: Option<Uuid>,
        code: &str,
        now: DateTime<Utc>,
        spend: Spend,
    ) -> ApiResult<()> {
        if self.live_otp(id, purpose, destination, request_id)?.used {
            return Err(KnownErrorCode::OtpAlreadyUsed.into());
        }
        let throttled = Self::otp_throttle_key(purpose, destination, request_id);
        let limit = self.rate_limits.wrong_otp_codes;
        self.throttle
            .check(Counted::WrongOtpCodes, &throttled, limit, now)
            .map_err(|refused| refused.into_error(purpose.field()))?;
        let otp = self.live_otp(id, purpose, destination, request_id)?;
        let outcome = match spend {
            Spend::Yes => otp.verify(code, now),
            Spend::No => otp.check(code, now),
        };
        if outcome == Err(KnownErrorCode::OtpInvalid) {
            self.throttle
                .record(Counted::WrongOtpCodes, &throttled, limit, now);
        }
        outcome.map_err(ApiError::from)
    }

    /// Forgets an OTP: it is no longer live, nor in the outbox.
    pub fn forget_otp(&mut self, id: Uuid) {
        let Some(otp) = self.otps.remove(&id) else {
            return;
        };
        let key = Self::otp_key(otp.purpose, &otp.destination, otp.request_id);
        if self.latest_otp.get(&key) == Some(&id) {
            self.latest_otp.remove(&key);
        }
        if self.outbox.get(&otp.destination) == Some(&id) {
            self.outbox.remove(&otp.destination);
        }
    }

    /// The last OTP sent to a phone number or email.
    pub fn outbox(&self, destination: &str) -> Option<&Otp> {
        self.outbox
            .get(destination)
            .and_then(|id| self.otps.get(id))
    }

    /// How many OTPs are held (for tests of the purge).
    pub fn otp_count(&self) -> usize {
        self.otps.len()
    }

    // ------------------------------------------------------------------ passwords

    /// Refuses a login of `account` (`user:<id>`, `admin`) whose wrong passwords spent the
    /// limit in the window (`TooManyFailedLogins`, naming `field`): checked before the password,
    /// so that the right one waits too.
    pub fn check_login_allowed(
        &self,
        account: &str,
        field: &str,
        now: DateTime<Utc>,
    ) -> ApiResult<()> {
        self.throttle
            .check(
                Counted::FailedPasswords,
                account,
                self.rate_limits.failed_passwords,
                now,
            )
            .map_err(|refused| refused.into_error(field))
    }

    /// Counts a wrong password for `account`.
    pub fn password_failed(&mut self, account: &str, now: DateTime<Utc>) {
        let limit = self.rate_limits.failed_passwords;
        self.throttle
            .record(Counted::FailedPasswords, account, limit, now);
    }

    /// A successful login clears the account's failures.
    pub fn password_succeeded(&mut self, account: &str) {
        self.throttle.forget(Counted::FailedPasswords, account);
    }
}
