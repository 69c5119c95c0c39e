//! The plan's decisions on a sandbox and on a staging target described by a profile.

use std::time::Duration;

use crate::case::read_case;
use crate::plan::{Plan, StatusPath, UserSource, Verdict, plan};
use crate::recipients::{PhoneRange, TestRange};
use crate::target::Target;
use crate::target::profile::{
    CommandSpec, PoolTenant, PoolUserSpec, Profile, ProfileTenant, TimeSpec,
};

fn user(phone: &str, other: bool) -> PoolUserSpec {
    PoolUserSpec {
        phone: phone.to_owned(),
        password: "pw".to_owned(),
        device: "d".to_owned(),
        transaction_id: None,
        home: (30.0444, 31.2357),
        email: None,
        email_confirmed: true,
        tenant: if other {
            PoolTenant::Other
        } else {
            PoolTenant::Main
        },
    }
}

fn command() -> Option<CommandSpec> {
    Some(CommandSpec {
        argv: vec!["true".to_owned()],
        timeout: Duration::from_secs(1),
    })
}

/// A staging profile with everything, then `change` applied.
fn staging(change: impl FnOnce(&mut Profile)) -> Target {
    let tenant = |name: &str| ProfileTenant {
        name: name.to_owned(),
        api_key: "k".to_owned(),
        admin_user: Some("admin".to_owned()),
        admin_password: Some("a".to_owned()),
    };
    let mut profile = Profile {
        file: "staging.toml".into(),
        name: "staging".to_owned(),
        base_url: "https://api.vlens.co".to_owned(),
        tenant: tenant("Main"),
        other_tenant: Some(tenant("Other")),
        email_tenant: None,
        products: (Some(414), Some(415), Some(416)),
        recipients: TestRange {
            phones: Some(PhoneRange::parse("+20155500####").unwrap()),
            email_domain: Some("qa.example".to_owned()),
        },
        otp: command(),
        portal: command(),
        time: TimeSpec {
            max_wait: Some(Duration::from_secs(10)),
            otp_lifetime: Some(Duration::from_secs(3)),
            signing_link_lifetime: None,
            access_token_lifetime: Some(Duration::from_secs(86_400)),
        },
        identity: None,
        fetch_origins: Vec::new(),
        users: vec![
            user("+201555000001", false),
            user("+201555000002", false),
            user("+201555000003", true),
        ],
    };
    change(&mut profile);
    Target::from_profile(profile).unwrap()
}

fn planned(yaml: &str, target: &Target) -> Plan {
    let node = crate::yaml::parse(yaml).unwrap();
    let case = read_case(&node).unwrap();
    plan(&case, target)
}

fn reason(plan: &Plan) -> String {
    plan.reason().unwrap_or_default()
}

const OTP_CASE: &str = "name: otp\nfixtures: {users: {user: {password: true}}, requests: {loan: {owner: user}}}\nsteps:\n  - operation: customer-sign-step-request-otp\n    body: {geoLocation: '${user.location}', userDeviceUtcTime: '${now()}', requestId: '${loan.id}'}\n  - otp: {purpose: activation, phone: '${user.phoneNumber}', request: '${loan.id}'}\n    capture: {code: /code}\n  - wait: otp-lifetime\n  - operation: check-eligibility\n    expect: {json: {/x: '${code}'}}\n";

#[test]
fn a_pool_user_serves_a_fixture_that_asks_for_a_password() {
    // Before: `password: true` was taken for "a fresh user of a given kind" and ignored.
    let target = staging(|_| {});
    let plan = planned(OTP_CASE, &target);
    assert!(plan.runs(), "{}", reason(&plan));
    assert!(matches!(plan.users[0].source, UserSource::Pool(_)));
    assert_eq!(plan.waits.len(), 1);
    assert_eq!(
        plan.waits[0].1,
        Duration::from_secs(5),
        "the lifetime plus the margin"
    );
    assert!(plan.settles);
    assert_eq!(plan.messages.len(), 1, "the activation SMS to the user");
    assert_eq!(plan.messages[0].verdict, Verdict::Allowed);
}

#[test]
fn each_missing_capability_is_named_once() {
    let bare = staging(|profile| {
        profile.otp = None;
        profile.portal = None;
        profile.time.otp_lifetime = None;
    });
    let text = reason(&planned(OTP_CASE, &bare));
    assert!(text.contains("an OTP source ([otp] command)"), "{text}");
    assert!(
        text.contains("how long an OTP lasts ([time] otp_lifetime)"),
        "{text}"
    );
    assert!(
        text.contains("an OTP source or a portal command to settle"),
        "{text}"
    );
    assert_eq!(
        text.matches("an OTP source ([otp] command)").count(),
        1,
        "{text}"
    );
    let slow = staging(|profile| profile.time.otp_lifetime = Some(Duration::from_secs(300)));
    let text = reason(&planned(OTP_CASE, &slow));
    assert!(
        text.contains("a wait of 302 s") && text.contains("--allow-wait"),
        "{text}"
    );
    let mut allowed = staging(|profile| profile.time.otp_lifetime = Some(Duration::from_secs(300)));
    allowed.time.allow_wait = true;
    assert!(planned(OTP_CASE, &allowed).runs());
}

#[test]
fn the_sandbox_runs_everything_with_its_own_tenant_for_the_clock() {
    let sandbox = Target::embedded_unstarted().unwrap();
    let plan = planned(OTP_CASE, &sandbox);
    assert!(plan.runs(), "{}", reason(&plan));
    assert!(
        plan.isolated_tenant,
        "a case that moves the clock gets a tenant of its own"
    );
    assert_eq!(plan.users[0].source, UserSource::ControlApi);
    assert!(!plan.settles);
    let control = "name: c\nsteps:\n  - operation: sandbox-inject-fault\n    body: {operation: '*', status: 503}\n";
    assert!(planned(control, &sandbox).runs());
    let text = reason(&planned(control, &staging(|_| {})));
    assert!(
        text.contains("the sandbox control API (sandbox-inject-fault)"),
        "{text}"
    );
}

#[test]
fn nobody_outside_the_test_range_is_messaged() {
    let target = staging(|_| {});
    let literal = "name: m\nsteps:\n  - operation: register-step-verify-phone\n    body: {phoneNumber: '+201000000000'}\n";
    let plan = planned(literal, &target);
    assert!(
        reason(&plan).contains("no SMS to `+201000000000`: it is outside the test phone range"),
        "{}",
        reason(&plan)
    );
    let inside = literal.replace("+201000000000", "+201555000999");
    assert!(planned(&inside, &target).runs());
    let generated = "name: m\nvars: {phone: '${phone()}'}\nsteps:\n  - operation: register-step-verify-phone\n    body: {phoneNumber: '${phone}'}\n";
    let plan = planned(generated, &target);
    assert!(plan.runs(), "{}", reason(&plan));
    assert_eq!(plan.messages[0].verdict, Verdict::Allowed);
    let captured = "name: m\nsteps:\n  - operation: get-all-request-types\n    as: nobody\n    capture: {n: /data/0/name}\n  - operation: register-step-verify-phone\n    body: {phoneNumber: '${n}'}\n";
    let plan = planned(captured, &target);
    assert!(plan.runs());
    assert_eq!(plan.messages[0].verdict, Verdict::AtRunTime);
    let no_range = staging(|profile| profile.recipients.phones = None);
    assert!(reason(&planned(generated, &no_range)).contains("test phone range"));
}

#[test]
fn requests_reach_their_status_through_the_api_or_the_portal() {
    let target = staging(|_| {});
    let case = "name: r\nfixtures:\n  users: {user: {}}\n  requests:\n    signed: {owner: user, status: customer-signed}\n    approved: {owner: user, product: needs-approval, status: approved}\n    rejected: {owner: user, product: needs-approval, status: rejected}\n    pending: {owner: user, product: needs-approval}\nsteps:\n  - operation: check-eligibility\n";
    let plan = planned(case, &target);
    assert!(plan.runs(), "{}", reason(&plan));
    let paths: Vec<&Vec<(StatusPath, i32)>> = plan.requests.iter().map(|r| &r.path).collect();
    assert_eq!(paths[0], &vec![(StatusPath::Activation, 4)]);
    assert_eq!(paths[1], &vec![(StatusPath::Portal, 2)]);
    assert_eq!(paths[2], &vec![(StatusPath::Portal, 3)]);
    assert!(paths[3].is_empty());
    let no_portal = staging(|profile| profile.portal = None);
    let text = reason(&planned(case, &no_portal));
    assert!(
        text.contains("close the request pending approval"),
        "{text}"
    );
    assert!(text.contains("bring a request to approved"), "{text}");
}

#[test]
fn a_tenant_that_requires_a_confirmed_email_comes_from_the_profile() {
    let case = "name: e\nfixtures:\n  tenant: {isolated: true, requireEmailConfirmation: true}\n  users: {u: {email: true, emailConfirmed: false}}\nsteps:\n  - operation: check-eligibility\n";
    let without = staging(|_| {});
    assert!(reason(&planned(case, &without)).contains("[email_tenant]"));
    let with = staging(|profile| {
        profile.email_tenant = profile.other_tenant.clone();
        let mut user = user("+201555000009", false);
        user.tenant = PoolTenant::EmailRequired;
        user.email = Some("e@qa.example".to_owned());
        user.email_confirmed = false;
        profile.users.push(user);
    });
    let plan = planned(case, &with);
    assert!(plan.runs(), "{}", reason(&plan));
    assert!(plan.email_tenant);
    assert!(
        matches!(&plan.users[0].source, UserSource::Pool(w) if w.tenant == PoolTenant::EmailRequired)
    );
}

#[test]
fn the_pool_must_hold_the_users_a_case_takes() {
    let target = staging(|_| {});
    let three = "name: p\nfixtures: {users: {a: {}, b: {}, c: {}}}\nsteps:\n  - operation: check-eligibility\n    as: a\n";
    assert!(
        reason(&planned(three, &target)).contains("the pool has 2 user(s) of the main tenant"),
        "{}",
        reason(&planned(three, &target))
    );
    let fresh = "name: f\nfixtures: {users: {u: {verified: false}}}\nsteps:\n  - operation: check-eligibility\n";
    let plan = planned(fresh, &target);
    assert!(plan.runs());
    assert_eq!(
        plan.users[0].source,
        UserSource::Registered { verified: false }
    );
    let verified_fresh = fresh.replace("verified: false", "fresh: true");
    assert!(reason(&planned(&verified_fresh, &target)).contains("[identity]"));
}
