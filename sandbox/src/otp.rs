//! The OTP policy: 6 digits, 300 s, 5 wrong attempts kill it, single use, and a newer OTP for
//! the same phone, email or request supersedes the older one (see the store).

use chrono::{DateTime, Utc};
use rand::Rng;
use uuid::Uuid;
use vlens_client::KnownErrorCode;

use crate::defaults::{OTP_DIGITS, OTP_MAX_WRONG_ATTEMPTS};

/// What an OTP is for (the control API's `purpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    RegisterPhone,
    RegisterEmail,
    Login,
    Activation,
}

impl From<Purpose> for crate::control::SentOtpPurpose {
    fn from(purpose: Purpose) -> Self {
        match purpose {
            Purpose::RegisterPhone => Self::RegisterPhone,
            Purpose::RegisterEmail => Self::RegisterEmail,
            Purpose::Login => Self::Login,
            Purpose::Activation => Self::Activation,
        }
    }
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::RegisterPhone => "register-phone",
            Purpose::RegisterEmail => "register-email",
            Purpose::Login => "login",
            Purpose::Activation => "activation",
        }
    }

    /// The request field that names what its OTPs are counted by: the phone number, the email
    /// or the business request.
    pub fn field(self) -> &'static str {
        match self {
            Purpose::RegisterPhone | Purpose::Login => "phoneNumber",
            Purpose::RegisterEmail => "email",
            Purpose::Activation => "requestId",
        }
    }
}

/// One OTP sent.
#[derive(Clone)]
pub struct Otp {
    pub id: Uuid,
    pub code: String,
    pub purpose: Purpose,
    /// The phone number or email it was sent to.
    pub destination: String,
    /// The business request, for activation OTPs.
    pub request_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    pub wrong_attempts: u32,
    /// Validated successfully (an OTP succeeds once).
    pub used: bool,
    /// For registration OTPs validated in a step: already spent on a Register.
    pub consumed: bool,
}

impl std::fmt::Debug for Otp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Otp")
            .field("id", &self.id)
            .field("code", &"[REDACTED]")
            .field("purpose", &self.purpose)
            .field("request_id", &self.request_id)
            .field("expires_at", &self.expires_at)
            .field("wrong_attempts", &self.wrong_attempts)
            .field("used", &self.used)
            .finish()
    }
}

impl Otp {
    /// A fresh OTP with a random code, valid until `expires_at`.
    pub fn issue(
        rng: &mut impl Rng,
        id: Uuid,
        purpose: Purpose,
        destination: String,
        request_id: Option<Uuid>,
        expires_at: DateTime<Utc>,
    ) -> Self {
        let code: String = (0..OTP_DIGITS)
            .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
            .collect();
        Self {
            id,
            code,
            purpose,
            destination,
            request_id,
            expires_at,
            wrong_attempts: 0,
            used: false,
            consumed: false,
        }
    }

    /// Checks `code` at `now`, updating the attempt count or the used flag. The order of the
    /// checks: already used, attempts exhausted, expired, then the code itself.
    pub fn verify(&mut self, code: &str, now: DateTime<Utc>) -> Result<(), KnownErrorCode> {
        self.check(code, now)?;
        self.used = true;
        Ok(())
    }

    /// [`Otp::verify`] without marking the OTP used: for a caller that has further checks
    /// to run before it spends the OTP. A wrong code still counts (no free guesses).
    pub fn check(&mut self, code: &str, now: DateTime<Utc>) -> Result<(), KnownErrorCode> {
        if self.used {
            return Err(KnownErrorCode::OtpAlreadyUsed);
        }
        if self.wrong_attempts >= OTP_MAX_WRONG_ATTEMPTS {
            return Err(KnownErrorCode::OtpAttemptsExceeded);
        }
        if now >= self.expires_at {
            return Err(KnownErrorCode::OtpExpired);
        }
        if !constant_time_eq(self.code.as_bytes(), code.as_bytes()) {
            self.wrong_attempts += 1;
            return Err(KnownErrorCode::OtpInvalid);
        }
        Ok(())
    }
}

/// Compares without an early exit, so response timing does not leak how much of a code
/// matched. Hand-written: one line for 6-digit codes; `subtle` is in Cargo.lock only as a
/// dependency of a dependency, and the sandbox does not declare it.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use rand::SeedableRng;

    fn otp(now: DateTime<Utc>) -> Otp {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        Otp::issue(
            &mut rng,
            Uuid::nil(),
            Purpose::Activation,
            "+201000000000".into(),
            None,
            now + Duration::seconds(300),
        )
    }

    #[test]
    fn six_digits_single_use() {
        let now = Utc::now();
        let mut otp = otp(now);
        assert_eq!(otp.code.len(), 6);
        assert!(otp.code.bytes().all(|b| b.is_ascii_digit()));
        let code = otp.code.clone();
        assert_eq!(otp.verify(&code, now), Ok(()));
        assert_eq!(otp.verify(&code, now), Err(KnownErrorCode::OtpAlreadyUsed));
    }

    #[test]
    fn five_wrong_attempts_kill_it() {
        let now = Utc::now();
        let mut otp = otp(now);
        let code = otp.code.clone();
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..5 {
            assert_eq!(otp.verify(wrong, now), Err(KnownErrorCode::OtpInvalid));
        }
        assert_eq!(
            otp.verify(&code, now),
            Err(KnownErrorCode::OtpAttemptsExceeded)
        );
    }

    #[test]
    fn expires_after_300_seconds() {
        let now = Utc::now();
        let mut otp = otp(now);
        let code = otp.code.clone();
        let later = now + Duration::seconds(300);
        assert_eq!(otp.verify(&code, later), Err(KnownErrorCode::OtpExpired));
        assert_eq!(otp.verify(&code, later - Duration::seconds(1)), Ok(()));
    }
}
