//! Stage 1, reading: the case model and how a case file becomes one. The format is documented
//! in `conformance/README.md`; [`read`] checks its structure (keys, types, names), [`crate::lint`]
//! checks it against the spec, and [`walk`] visits every value a case interpolates.

use std::time::Duration;

use vlens_openapi::TokenKind;

use crate::problem::Pos;
use crate::template::TNode;

pub mod format;
mod read;
mod read_expect;
mod read_step;
pub mod schema;
mod step;
pub mod walk;

pub use step::*;

pub use read::read_case;

/// One case file, read.
#[derive(Debug, Clone)]
pub struct Case {
    /// Its `name`.
    pub name: String,
    /// Its `description`.
    pub description: Option<String>,
    /// Its `tags`.
    pub tags: Vec<String>,
    /// What it needs before its first step.
    pub fixtures: Fixtures,
    /// `vars`: computed once fixtures exist, in order.
    pub vars: Vec<(String, TNode)>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// How long the case may run (its waits come on top), when it says.
    pub timeout: Option<Duration>,
    /// Environment variables whose values may be shown (every other `env.NAME` is a secret).
    pub public_env: Vec<String>,
}

/// How long a case may run unless it says (`timeout:`); its waits come on top.
pub const DEFAULT_CASE_TIMEOUT: Duration = Duration::from_secs(120);
/// The longest `timeout:` a case may ask for.
pub const MAX_CASE_TIMEOUT: Duration = Duration::from_secs(3600);

impl Case {
    /// Who sends a step that does not say (`as`): the operation's kind of token
    /// (`x-vlens-token`) — the user called `user` (or the only user) for user operations, the
    /// admin for admin operations — and nobody otherwise (control API operations included).
    pub fn default_identity(&self, spec: SpecKind, operation: &str) -> Identity {
        if spec == SpecKind::Control {
            return Identity::Nobody;
        }
        let token = vlens_openapi::vlens()
            .operation(operation)
            .and_then(|op| op.token);
        let users = &self.fixtures.users;
        match token {
            Some(TokenKind::Admin) => Identity::Admin,
            Some(TokenKind::User | TokenKind::UserOrAdmin | TokenKind::UserOptional) => {
                if users.iter().any(|u| u.name == "user") {
                    Identity::User("user".to_owned())
                } else if let [only] = users.as_slice() {
                    Identity::User(only.name.clone())
                } else {
                    Identity::Nobody
                }
            }
            None => Identity::Nobody,
        }
    }
}

/// The fixtures of a case.
#[derive(Debug, Clone, Default)]
pub struct Fixtures {
    /// Tenant settings of its own (a sandbox's isolated tenant), where `tenant:` asks for one.
    pub tenant: Option<TenantSettings>,
    /// An admin token of the case's tenant (`admin.token`).
    pub admin: bool,
    /// End users, by name.
    pub users: Vec<UserFixture>,
    /// Business requests, by name.
    pub requests: Vec<RequestFixture>,
}

/// `tenant: isolated` or `tenant: {isolated: true, requireEmailConfirmation: true}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSettings {
    /// Where `tenant:` is written.
    pub at: Pos,
    /// The tenant requires a confirmed email for eligibility.
    pub require_email_confirmation: bool,
}

/// Which tenant something lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TenantRef {
    /// The case's tenant (the default one, or its isolated one).
    Main,
    /// A second tenant (`Other` on a sandbox).
    Other,
}

/// A ready end user.
#[derive(Debug, Clone)]
pub struct UserFixture {
    /// The variable name (`user`).
    pub name: String,
    /// Where it is declared.
    pub at: Pos,
    /// Its tenant.
    pub tenant: TenantRef,
    /// Has a completed identity verification.
    pub verified: bool,
    /// Made for this case, with no history (no requests, no devices but its own). An
    /// unverified user is always fresh.
    pub fresh: bool,
    /// The location it logs in from (default: where it registered).
    pub location: Option<TNode>,
    /// An email address: generated (`true`) or given.
    pub email: Option<TNode>,
    /// Whether that email is confirmed.
    pub email_confirmed: bool,
    /// The case reads `user.password`.
    pub password: bool,
}

impl UserFixture {
    /// Whether the user must be made for the case (on a staging target: registered through the
    /// API) rather than taken from a pool.
    pub fn is_new(&self) -> bool {
        self.fresh || !self.verified
    }
}

/// A product, by role or by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProductRef {
    /// A product approved on creation, without the payment check.
    AutoApproved,
    /// A product that stays Pending Approval.
    NeedsApproval,
    /// A product approved on creation, with the payment check.
    Paid,
    /// A request type id.
    Id(i32),
}

impl ProductRef {
    /// The role's name in cases and profiles (`auto-approved`), or the id.
    pub fn label(self) -> String {
        match self {
            ProductRef::AutoApproved => "auto-approved".to_owned(),
            ProductRef::NeedsApproval => "needs-approval".to_owned(),
            ProductRef::Paid => "paid".to_owned(),
            ProductRef::Id(id) => id.to_string(),
        }
    }
}

/// A business request made for a user before the steps.
#[derive(Debug, Clone)]
pub struct RequestFixture {
    /// The variable name (`loan`).
    pub name: String,
    /// Where it is declared.
    pub at: Pos,
    /// The user fixture that creates it.
    pub owner: String,
    /// Its product.
    pub product: ProductRef,
    /// The status to bring it to after creation.
    pub status: Option<i32>,
    /// Field values that replace the generated ones.
    pub fields: Vec<(String, TNode)>,
}

/// The headers the harness sends itself (`api_key`, `as`): a step need not write them, even
/// where the spec requires them. Every other required header and query parameter must be in
/// the step, unless it is `invalid: true`.
pub const HARNESS_HEADERS: &[&str] = &["ApiKey", "Authorization"];

/// Names reserved for values the harness always provides.
pub const RESERVED: &[&str] = &[
    "tenant",
    "other_tenant",
    "admin",
    "target",
    "env",
    "products",
];

/// Status names a request fixture or a portal step may use.
pub const STATUS_NAMES: [(&str, i32); 8] = [
    ("pending", 1),
    ("approved", 2),
    ("rejected", 3),
    ("customer-signed", 4),
    ("provider-signed", 5),
    ("cancelled", 6),
    ("expired", 7),
    ("completed", 8),
];

/// The status called `name`.
pub fn status_by_name(name: &str) -> Option<i32> {
    STATUS_NAMES
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, status)| *status)
}

/// The name of a status number (`3` is `rejected`).
pub fn status_name(status: i32) -> Option<&'static str> {
    STATUS_NAMES
        .iter()
        .find(|(_, known)| *known == status)
        .map(|(name, _)| *name)
}

/// The statuses of a request that is still open: it keeps its owner ineligible.
pub const OPEN_STATUSES: [i32; 2] = [1, 2];
