//! The one walk over everything a case interpolates: every templated value with where it is
//! read. Linting (is each variable defined when it is read? is each of `vars` read?) and
//! planning (which fixtures, products and generated values does the case need?) both use it,
//! so the two can never disagree about what a case reads.

use crate::case::{Action, ApiKeyChoice, Body, Case, Check, Identity, OtpRecipient, StepKind};
use crate::template::TNode;

/// When a value is evaluated, which decides the variables defined at that moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// While fixtures are made (a user's location, a request's field values).
    Fixtures,
    /// While `vars` entry `n` is computed.
    Var(usize),
    /// Before step `n` is sent: fixtures, `vars` and earlier captures are defined.
    Before(usize),
    /// While step `n`'s reply is checked: its own captures are defined too.
    After(usize),
}

/// What a value is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role<'c> {
    /// A user fixture's location or email, a request fixture's field value.
    Fixture,
    /// An entry of `vars`.
    Var,
    /// A path, query or header parameter.
    Parameter,
    /// The JSON (or raw) body.
    Body,
    /// A `fetch` URL.
    FetchUrl,
    /// An explicit bearer token or ApiKey.
    Credential,
    /// An expected value at this pointer.
    Expected(&'c str),
    /// `body_contains`.
    BodyContains,
    /// An `otp` step's recipient or request.
    Otp,
    /// A `portal` step's request.
    Portal,
}

/// One templated value of a case.
#[derive(Debug, Clone, Copy)]
pub struct Site<'c> {
    /// When it is evaluated.
    pub phase: Phase,
    /// What for.
    pub role: Role<'c>,
    /// The value.
    pub node: &'c TNode,
}

/// Calls `visit` with every templated value of `case`, in the order the run evaluates them.
pub fn visit<'c>(case: &'c Case, mut visit: impl FnMut(Site<'c>)) {
    let mut at = |phase, role, node| visit(Site { phase, role, node });
    for user in &case.fixtures.users {
        for node in user.location.iter().chain(user.email.iter()) {
            at(Phase::Fixtures, Role::Fixture, node);
        }
    }
    for request in &case.fixtures.requests {
        for (_, node) in &request.fields {
            at(Phase::Fixtures, Role::Fixture, node);
        }
    }
    for (index, (_, node)) in case.vars.iter().enumerate() {
        at(Phase::Var(index), Role::Var, node);
    }
    for (index, step) in case.steps.iter().enumerate() {
        let before = Phase::Before(index);
        match &step.kind {
            StepKind::Http(http) => {
                for (_, node) in http.path.iter().chain(&http.query).chain(&http.headers) {
                    at(before, Role::Parameter, node);
                }
                if let Some(Body::Json(node) | Body::Raw(node)) = &http.body {
                    at(before, Role::Body, node);
                }
                if let Action::Fetch { url } = &http.action {
                    at(before, Role::FetchUrl, url);
                }
                if let Identity::Token(node) = &http.identity {
                    at(before, Role::Credential, node);
                }
                if let ApiKeyChoice::Value(node) = &http.api_key {
                    at(before, Role::Credential, node);
                }
                for check in &http.expect.json {
                    if let Check::Equals(node) | Check::Contains(node) | Check::Excludes(node) =
                        &check.check
                    {
                        at(Phase::After(index), Role::Expected(&check.pointer), node);
                    }
                }
                if let Some(node) = &http.expect.body_contains {
                    at(Phase::After(index), Role::BodyContains, node);
                }
            }
            StepKind::Otp(otp) => {
                let (OtpRecipient::Phone(node) | OtpRecipient::Email(node)) = &otp.recipient;
                at(before, Role::Otp, node);
                if let Some(node) = &otp.request {
                    at(before, Role::Otp, node);
                }
            }
            StepKind::Portal(portal) => at(before, Role::Portal, &portal.request),
            StepKind::Wait(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_visited_once_with_its_phase() {
        let yaml = "name: walk\nfixtures: {users: {u: {location: '${a}'}}}\nvars: {v: '${b}'}\n\
                    steps:\n  - operation: check-eligibility\n    expect: {json: {/x: '${c}'}, \
                    body_contains: '${d}'}\n    capture: {c: /data}\n  - otp: {purpose: login, \
                    phone: '${e}'}\n  - portal: {request: '${f}', status: approved}\n";
        let node = crate::yaml::parse(yaml).unwrap();
        let case = crate::case::read_case(&node).unwrap();
        let mut seen = Vec::new();
        visit(&case, |site| {
            for (name, _) in site.node.variables() {
                seen.push((name.to_owned(), site.phase));
            }
        });
        assert_eq!(
            seen,
            [
                ("a".to_owned(), Phase::Fixtures),
                ("b".to_owned(), Phase::Var(0)),
                ("c".to_owned(), Phase::After(0)),
                ("d".to_owned(), Phase::After(0)),
                ("e".to_owned(), Phase::Before(1)),
                ("f".to_owned(), Phase::Before(2)),
            ]
        );
    }
}
