//! The environment variables a target can also be described by (without a profile), read once.

use std::fmt;

/// The target (default: the embedded sandbox).
pub const BASE_URL: &str = "VLENS_BASE_URL";
/// The ApiKey of the tenant the cases run in.
pub const API_KEY: &str = "VLENS_API_KEY";
/// That tenant's name (admin login's `TenancyName`).
pub const TENANCY: &str = "VLENS_TENANCY";
/// An admin user of that tenant.
pub const ADMIN_USER: &str = "VLENS_ADMIN_USER";
/// That admin's password.
pub const ADMIN_PASSWORD: &str = "VLENS_ADMIN_PASSWORD";
/// The ApiKey of a second tenant (cross-tenant cases).
pub const OTHER_API_KEY: &str = "VLENS_OTHER_API_KEY";
/// The second tenant's name.
pub const OTHER_TENANCY: &str = "VLENS_OTHER_TENANCY";
/// The phone number of a KYC-verified test user (staging).
pub const USER_PHONE: &str = "VLENS_USER_PHONE";
/// That user's password.
pub const USER_PASSWORD: &str = "VLENS_USER_PASSWORD";
/// A device (`imei`) that user already used, so that login needs no SMS code.
pub const USER_IMEI: &str = "VLENS_USER_IMEI";
/// That user's completed KYC transaction id (re-validation steps).
pub const USER_TRANSACTION_ID: &str = "VLENS_USER_TRANSACTION_ID";
/// A product (request type id) approved on creation.
pub const PRODUCT_AUTO_APPROVED: &str = "VLENS_PRODUCT_AUTO_APPROVED";
/// A product that stays Pending Approval.
pub const PRODUCT_NEEDS_APPROVAL: &str = "VLENS_PRODUCT_NEEDS_APPROVAL";
/// A product approved on creation with the payment check.
pub const PRODUCT_PAID: &str = "VLENS_PRODUCT_PAID";
/// A target profile (same as `--target-profile`).
pub const TARGET_PROFILE: &str = "VLENS_TARGET_PROFILE";
/// Another directory of cases (same as `--cases`).
pub const CASES_DIR: &str = "VLENS_CASES_DIR";
/// Waits of any length may run (same as `--allow-wait`).
pub const ALLOW_WAIT: &str = "VLENS_ALLOW_WAIT";

/// The values of the env vars of this module, read once (or given by a test). `Debug` shows only
/// which are set.
#[derive(Clone, Default)]
pub struct Settings {
    values: std::collections::BTreeMap<&'static str, String>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.values.keys()).finish()
    }
}

impl Settings {
    /// Every variable of this module that is set and not blank.
    pub fn from_env() -> Settings {
        let names = [
            API_KEY,
            TENANCY,
            ADMIN_USER,
            ADMIN_PASSWORD,
            OTHER_API_KEY,
            OTHER_TENANCY,
            USER_PHONE,
            USER_PASSWORD,
            USER_IMEI,
            USER_TRANSACTION_ID,
            PRODUCT_AUTO_APPROVED,
            PRODUCT_NEEDS_APPROVAL,
            PRODUCT_PAID,
        ];
        let mut settings = Settings::default();
        for name in names {
            if let Ok(value) = std::env::var(name)
                && !value.trim().is_empty()
            {
                settings.values.insert(name, value);
            }
        }
        settings
    }

    /// Sets one value (tests).
    pub fn with(mut self, name: &'static str, value: &str) -> Settings {
        self.values.insert(name, value.to_owned());
        self
    }

    /// The value of `name`, when set.
    pub fn get(&self, name: &str) -> Option<String> {
        self.values.get(name).cloned()
    }
}
