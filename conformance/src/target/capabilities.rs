//! What a target can give a case besides credentials: products by role, how time passes,
//! where OTPs are read and statuses changed.

use std::time::Duration;

use serde_json::Value;
use vlens_sandbox::defaults;

use crate::case::{Lifetime, ProductRef};
use crate::target::profile::CommandSpec;

/// Product ids by role.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Products {
    /// Approved on creation, no payment check.
    pub auto_approved: Option<i32>,
    /// Stays Pending Approval.
    pub needs_approval: Option<i32>,
    /// Approved on creation, with the payment check.
    pub paid: Option<i32>,
}

impl Products {
    /// The id of a product, when the target has it.
    pub fn id(&self, product: ProductRef) -> Option<i32> {
        match product {
            ProductRef::AutoApproved => self.auto_approved,
            ProductRef::NeedsApproval => self.needs_approval,
            ProductRef::Paid => self.paid,
            ProductRef::Id(id) => Some(id),
        }
    }

    /// The role of a product id, when it has one (a Create step's `typeId`).
    pub fn role(&self, id: i32) -> Option<ProductRef> {
        [
            ProductRef::AutoApproved,
            ProductRef::NeedsApproval,
            ProductRef::Paid,
        ]
        .into_iter()
        .find(|role| self.id(*role) == Some(id))
    }

    /// The `products` variable of a case (`${products.autoApproved}`).
    pub fn variable(&self) -> Value {
        serde_json::json!({
            "autoApproved": self.auto_approved,
            "needsApproval": self.needs_approval,
            "paid": self.paid,
        })
    }
}

/// How time passes on a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimePolicy {
    /// A sandbox moves its clock; a real server needs real waiting.
    pub clock: bool,
    /// Waits of any length may run (`--allow-wait`).
    pub allow_wait: bool,
    /// Waits up to this long run unasked (a profile's `max_wait`).
    pub max_wait: Option<Duration>,
    /// How long an OTP lives.
    pub otp_lifetime: Option<Duration>,
    /// How long a signing or payment link lives.
    pub signing_link_lifetime: Option<Duration>,
    /// How long an access token lives.
    pub access_token_lifetime: Option<Duration>,
}

/// What a wait adds to a lifetime, so that the thing has surely expired (clock skew, rounding).
pub const WAIT_MARGIN: Duration = Duration::from_secs(2);

impl TimePolicy {
    /// A sandbox's: its documented lifetimes, its clock.
    pub fn sandbox() -> TimePolicy {
        let seconds = |s: i64| Some(Duration::from_secs(s.unsigned_abs()));
        TimePolicy {
            clock: true,
            allow_wait: true,
            max_wait: None,
            otp_lifetime: seconds(defaults::OTP_LIFETIME_SECONDS),
            signing_link_lifetime: seconds(defaults::SIGNING_LINK_LIFETIME_SECONDS),
            access_token_lifetime: seconds(defaults::ACCESS_TOKEN_LIFETIME_SECONDS),
        }
    }

    /// The lifetime of something, when the target says it.
    pub fn lifetime(&self, lifetime: Lifetime) -> Option<Duration> {
        match lifetime {
            Lifetime::Otp => self.otp_lifetime,
            Lifetime::SigningLink => self.signing_link_lifetime,
            Lifetime::AccessToken => self.access_token_lifetime,
        }
    }

    /// Whether a wait this long may run here: always on a clock; otherwise with
    /// `--allow-wait` or within the profile's `max_wait`.
    pub fn may_wait(&self, duration: Duration) -> bool {
        self.clock || self.allow_wait || self.max_wait.is_some_and(|max| duration <= max)
    }
}

/// Where the OTPs a target sends can be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtpSource {
    /// A sandbox's outbox (`GET /__sandbox/otp`).
    ControlApi,
    /// A profile's command.
    Command(CommandSpec),
    /// Nowhere.
    None,
}

/// Where a request's status is changed as a provider's admin would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Portal {
    /// A sandbox's `POST /__sandbox/requests/{id}/status`.
    ControlApi,
    /// A profile's command.
    Command(CommandSpec),
    /// Nowhere.
    None,
}
