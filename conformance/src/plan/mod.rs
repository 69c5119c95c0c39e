//! Stage 3, planning: what a case needs from a target, decided once. The same [`Plan`] says
//! whether a case runs or is ignored (with each missing capability named once), which users,
//! products and tenant it gets, which messages it sends and which waits it makes — for
//! `--plan`, for the ignore reasons of the trials and for the runner's fixtures alike.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::case::walk::{self, Role};
use crate::case::{
    Action, ApiKeyChoice, Case, Identity, Lifetime, OPEN_STATUSES, ProductRef, SpecKind, StepKind,
    TenantRef, WaitFor,
};
use crate::target::pool::Wanted;
use crate::target::profile::PoolTenant;
use crate::target::{OtpSource, Portal, Target, WAIT_MARGIN};
use crate::template::functions::Documents;

mod messages;
#[cfg(test)]
mod tests;

pub use messages::{MessagePlan, Verdict};

/// How a case runs on a target, or why it cannot.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Why it cannot run: each missing fixture or capability, once. Empty: it runs.
    pub missing: Vec<String>,
    /// On a sandbox: a fresh tenant of its own (it moves the clock, injects faults or asks
    /// for tenant settings).
    pub isolated_tenant: bool,
    /// On a shared target: the case runs in the profile's tenant that requires a confirmed
    /// email (its tenant settings ask for that).
    pub email_tenant: bool,
    /// Its users, in fixture order.
    pub users: Vec<UserPlan>,
    /// Its requests, in fixture order.
    pub requests: Vec<RequestPlan>,
    /// It needs an admin token.
    pub admin: bool,
    /// The products it uses, by role.
    pub products: Vec<(ProductRef, i32)>,
    /// The messages it sends to people.
    pub messages: Vec<MessagePlan>,
    /// The waits it makes: step index, how long, what for.
    pub waits: Vec<(usize, Duration, String)>,
    /// On a shared target: what it leaves is settled before its users go back to the pool.
    pub settles: bool,
}

impl Plan {
    /// Whether the case runs.
    pub fn runs(&self) -> bool {
        self.missing.is_empty()
    }

    /// The ignore reason: `the target cannot provide A; B`.
    pub fn reason(&self) -> Option<String> {
        (!self.runs()).then(|| format!("the target cannot provide {}", self.missing.join("; ")))
    }

    fn need(&mut self, what: impl Into<String>) {
        let what = what.into();
        if !self.missing.contains(&what) {
            self.missing.push(what);
        }
    }
}

/// Where a user comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSource {
    /// Made by a sandbox's control API.
    ControlApi,
    /// Checked out of the target's pool.
    Pool(Wanted),
    /// Registered through the API for this case (phone from the test range, code from the
    /// OTP source), and verified with the test identity's documents when it must be.
    Registered {
        /// Verify its identity too.
        verified: bool,
    },
}

/// One user fixture on this target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPlan {
    /// The fixture's name.
    pub name: String,
    /// Its tenant.
    pub tenant: TenantRef,
    /// Where it comes from.
    pub source: UserSource,
}

/// How a request fixture reaches its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusPath {
    /// It is created in the status it needs.
    Created,
    /// A sandbox's control API sets it.
    ControlApi,
    /// The activation steps through the API (Customer Signed), the code from the OTP source.
    Activation,
    /// The portal command.
    Portal,
}

/// One request fixture on this target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPlan {
    /// The fixture's name.
    pub name: String,
    /// Its product id (when the target has it).
    pub product: Option<i32>,
    /// How it gets its status: first the portal's approval when the product needs one, then
    /// the path to the status asked.
    pub path: Vec<(StatusPath, i32)>,
}

/// Plans `case` for `target`.
pub fn plan(case: &Case, target: &Target) -> Plan {
    let mut plan = Plan::default();
    let remote = !target.has_control_api();
    if secrecy::ExposeSecret::expose_secret(&target.main.api_key).is_empty() {
        plan.need(format!("an ApiKey ({})", crate::target::env::API_KEY));
    }
    control_steps(case, target, &mut plan);
    tenants(case, target, &mut plan);
    products(case, target, &mut plan);
    users(case, target, &mut plan);
    requests(case, target, &mut plan);
    steps(case, target, &mut plan);
    generated_values(case, target, &mut plan);
    messages::plan(case, target, &mut plan);
    plan.settles = remote && !case.fixtures.users.is_empty();
    plan
}

fn control_steps(case: &Case, target: &Target, plan: &mut Plan) {
    let control: BTreeSet<&str> = case
        .steps
        .iter()
        .filter_map(|step| match step.operation() {
            Some((SpecKind::Control, operation)) => Some(operation),
            _ => None,
        })
        .collect();
    if !control.is_empty() && !target.has_control_api() {
        let names: Vec<&str> = control.iter().copied().collect();
        plan.need(format!("the sandbox control API ({})", names.join(", ")));
    }
    let moves_time = case.steps.iter().any(|step| {
        matches!(step.kind, StepKind::Wait(_))
            || matches!(
                step.operation(),
                Some((
                    SpecKind::Control,
                    "sandbox-inject-fault" | "sandbox-advance-clock"
                ))
            )
    });
    if target.has_control_api() {
        plan.isolated_tenant = case.fixtures.tenant.is_some() || moves_time;
    } else if let Some(settings) = &case.fixtures.tenant {
        if !settings.require_email_confirmation {
            plan.need("a tenant of its own (sandbox control API)");
        } else if target.email_tenant.is_some() {
            plan.email_tenant = true;
        } else {
            plan.need("a tenant that requires a confirmed email ([email_tenant])");
        }
    }
}

/// The admin and the second tenant: asked for by fixtures, senders, API keys or variables.
fn tenants(case: &Case, target: &Target, plan: &mut Plan) {
    let mut reads: BTreeSet<&str> = BTreeSet::new();
    walk::visit(case, |site| {
        reads.extend(site.node.variables().into_iter().map(|(name, _)| name));
    });
    let https = case.steps.iter().filter_map(|step| step.http());
    let mut admin = case.fixtures.admin || reads.contains("admin");
    let mut other = reads.contains("other_tenant")
        || case
            .fixtures
            .users
            .iter()
            .any(|u| u.tenant == TenantRef::Other);
    for http in https {
        admin |= http.identity == Identity::Admin;
        other |= http.api_key == ApiKeyChoice::OtherTenant;
        if http.identity == Identity::Default
            && let Action::Call {
                spec, operation, ..
            } = &http.action
        {
            admin |= case.default_identity(*spec, operation) == Identity::Admin;
        }
    }
    plan.admin = admin;
    if admin && !target.main.has_admin() {
        plan.need(format!(
            "admin credentials ({}{})",
            if target.kind == crate::target::TargetKind::Remote {
                "[tenant] admin_user, admin_password_env; or "
            } else {
                ""
            },
            format_args!(
                "{}, {}",
                crate::target::env::ADMIN_USER,
                crate::target::env::ADMIN_PASSWORD
            )
        ));
    }
    if other && target.other.is_none() {
        plan.need("a second tenant ([other_tenant], or VLENS_OTHER_API_KEY)");
    }
}

/// Products asked for by request fixtures and by `${products.x}`.
fn products(case: &Case, target: &Target, plan: &mut Plan) {
    let mut roles: BTreeSet<ProductRef> = case
        .fixtures
        .requests
        .iter()
        .map(|request| request.product)
        .filter(|product| !matches!(product, ProductRef::Id(_)))
        .collect();
    walk::visit(case, |site| {
        for (name, key) in site.node.variable_keys() {
            let role = match (name, key) {
                ("products", Some("autoApproved")) => ProductRef::AutoApproved,
                ("products", Some("needsApproval")) => ProductRef::NeedsApproval,
                ("products", Some("paid")) => ProductRef::Paid,
                _ => continue,
            };
            roles.insert(role);
        }
    });
    for role in roles {
        match target.products.id(role) {
            Some(id) => plan.products.push((role, id)),
            None => plan.need(format!(
                "a product that is {} ([products] {})",
                role.label(),
                role.label().replace('-', "_")
            )),
        }
    }
}

fn users(case: &Case, target: &Target, plan: &mut Plan) {
    let mut wanted = Vec::new();
    for user in &case.fixtures.users {
        let source = if target.has_control_api() {
            UserSource::ControlApi
        } else if user.is_new() {
            if matches!(target.otp, OtpSource::None) {
                plan.need("an OTP source ([otp] command) to register a new user");
            }
            if target.generators.phones.is_none() {
                plan.need("a test phone range ([messages] phones) to register a new user");
            }
            if user.email.is_some() && target.generators.email_domain.is_none() {
                plan.need("a test email domain ([messages] email_domain)");
            }
            if user.verified && matches!(target.generators.documents, Documents::Missing) {
                plan.need("the test identity's documents ([identity]) to verify a new user");
            }
            UserSource::Registered {
                verified: user.verified,
            }
        } else {
            if user
                .email
                .as_ref()
                .is_some_and(|email| email.variables().is_empty() && !is_generated(email))
            {
                plan.need("a pool user with the email address the case names");
            }
            let tenant = match (user.tenant, plan.email_tenant) {
                (TenantRef::Other, _) => PoolTenant::Other,
                (TenantRef::Main, true) => PoolTenant::EmailRequired,
                (TenantRef::Main, false) => PoolTenant::Main,
            };
            let want = Wanted {
                tenant,
                email: user.email.as_ref().map(|_| user.email_confirmed),
            };
            wanted.push(want);
            UserSource::Pool(want)
        };
        plan.users.push(UserPlan {
            name: user.name.clone(),
            tenant: user.tenant,
            source,
        });
    }
    if !wanted.is_empty() {
        if target.pool.users().is_empty() {
            plan.need(
                "pre-verified test users ([[users]] of a profile, or VLENS_USER_PHONE, \
                 VLENS_USER_PASSWORD, VLENS_USER_IMEI)",
            );
        } else if let Err(error) = target.pool.can_give(&wanted) {
            plan.need(format!("enough pool users: {error}"));
        }
    }
}

/// `email: true` is written as the template `${email()}`.
fn is_generated(node: &crate::template::TNode) -> bool {
    node.functions().iter().any(|(name, _)| *name == "email")
}

fn requests(case: &Case, target: &Target, plan: &mut Plan) {
    let remote = !target.has_control_api();
    for request in &case.fixtures.requests {
        let product = target.products.id(request.product);
        let approved_on_creation = !matches!(request.product, ProductRef::NeedsApproval)
            && (!matches!(request.product, ProductRef::Id(_))
                || target.products.role(product.unwrap_or_default())
                    != Some(ProductRef::NeedsApproval));
        let mut path = Vec::new();
        let created = if approved_on_creation { 2 } else { 1 };
        match request.status {
            None => {}
            Some(status) if status == created => {}
            Some(status) if !remote => path.push((StatusPath::ControlApi, status)),
            Some(4) => {
                if !approved_on_creation {
                    path.push((StatusPath::Portal, 2));
                }
                path.push((StatusPath::Activation, 4));
            }
            Some(status) => {
                // Statuses past approval (provider-signed, ...) start from an approved request.
                if !approved_on_creation && status > 3 {
                    path.push((StatusPath::Portal, 2));
                }
                path.push((StatusPath::Portal, status));
            }
        }
        if remote {
            let ends_open = match path.last() {
                Some((_, status)) => OPEN_STATUSES.contains(status),
                None => true,
            };
            let uses_portal = path.iter().any(|(via, _)| *via == StatusPath::Portal);
            let activates = path.iter().any(|(via, _)| *via == StatusPath::Activation);
            if uses_portal && matches!(target.portal, Portal::None) {
                plan.need(format!(
                    "a portal command ([portal]) to bring a request to {}",
                    request
                        .status
                        .and_then(crate::case::status_name)
                        .unwrap_or("its status")
                ));
            }
            if activates && matches!(target.otp, OtpSource::None) {
                plan.need("an OTP source ([otp] command) to activate a request");
            }
            if ends_open {
                settle_needs(!approved_on_creation, target, plan);
            }
        }
        plan.requests.push(RequestPlan {
            name: request.name.clone(),
            product,
            path,
        });
    }
}

/// What settling an open request needs on a shared target: a request pending approval can be
/// closed only in the portal; an approved one by its activation (an OTP) or the portal.
fn settle_needs(pending_approval: bool, target: &Target, plan: &mut Plan) {
    let portal = !matches!(target.portal, Portal::None);
    let otp = !matches!(target.otp, OtpSource::None);
    if pending_approval && !portal {
        plan.need(
            "a portal command ([portal]) to close the request pending approval it leaves \
             (only a provider's admin can)",
        );
    } else if !pending_approval && !portal && !otp {
        plan.need("an OTP source or a portal command to settle the approved request it leaves");
    }
}

fn steps(case: &Case, target: &Target, plan: &mut Plan) {
    let remote = !target.has_control_api();
    for (index, step) in case.steps.iter().enumerate() {
        match &step.kind {
            StepKind::Otp(_) if remote && matches!(target.otp, OtpSource::None) => {
                plan.need("an OTP source ([otp] command)");
            }
            StepKind::Portal(_) if remote && matches!(target.portal, Portal::None) => {
                plan.need("a portal command ([portal])");
            }
            StepKind::Wait(wait) => {
                let (duration, what) = match wait.duration {
                    WaitFor::Fixed(duration) => (Some(duration), format!("{duration:?}")),
                    WaitFor::Lifetime(lifetime) => (
                        target.time.lifetime(lifetime).map(|d| d + WAIT_MARGIN),
                        lifetime_text(lifetime),
                    ),
                };
                match duration {
                    None => plan.need(format!(
                        "how long {what} lasts ([time] {})",
                        match wait.duration {
                            WaitFor::Lifetime(lifetime) => lifetime.profile_key(),
                            WaitFor::Fixed(_) => "",
                        }
                    )),
                    Some(duration) if !target.time.may_wait(duration) => plan.need(format!(
                        "a wait of {} s for {what} (over [time] max_wait{}; --allow-wait lifts it)",
                        duration.as_secs(),
                        target
                            .time
                            .max_wait
                            .map(|max| format!(" = {} s", max.as_secs()))
                            .unwrap_or_default()
                    )),
                    Some(duration) => plan.waits.push((index, duration, what)),
                }
            }
            StepKind::Http(http) if remote => {
                // A Create that succeeds leaves a request to settle.
                if let Action::Call { operation, .. } = &http.action
                    && operation == "create-business-request"
                    && http.expect.status == 200
                    && http.expect.outcome == crate::case::Outcome::Success
                {
                    let pending = http
                        .path
                        .iter()
                        .find(|(name, _)| name == "typeId")
                        .is_some_and(|(_, node)| {
                            node.variable_keys()
                                .contains(&("products", Some("needsApproval")))
                        });
                    settle_needs(pending, target, plan);
                }
            }
            _ => {}
        }
    }
}

fn lifetime_text(lifetime: Lifetime) -> String {
    match lifetime {
        Lifetime::Otp => "an OTP".to_owned(),
        Lifetime::SigningLink => "a signing link".to_owned(),
        Lifetime::AccessToken => "an access token".to_owned(),
    }
}

/// `phone()`, `email()` and the identity documents depend on what the target gives.
fn generated_values(case: &Case, target: &Target, plan: &mut Plan) {
    let mut functions: BTreeSet<&str> = BTreeSet::new();
    walk::visit(case, |site| {
        if !matches!(site.role, Role::Expected(_)) {
            functions.extend(site.node.functions().into_iter().map(|(name, _)| name));
        }
    });
    for user in &case.fixtures.users {
        if let Some(email) = &user.email {
            functions.extend(email.functions().into_iter().map(|(name, _)| name));
        }
    }
    let remote = !target.has_control_api();
    if remote && functions.contains("phone") && target.generators.phones.is_none() {
        plan.need("a test phone range ([messages] phones) for phone()");
    }
    if remote && functions.contains("email") && target.generators.email_domain.is_none() {
        plan.need("a test email domain ([messages] email_domain) for email()");
    }
    let documents = ["id_front", "id_back", "face"]
        .iter()
        .any(|name| functions.contains(name));
    if documents && matches!(target.generators.documents, Documents::Missing) {
        plan.need("the test identity's documents ([identity])");
    }
}
