//! JSON pointers a step reads from its reply (`expect.json`, `capture`) that the operation's
//! response schema cannot have: a typo found before anything is sent, at its file position,
//! with the members the schema does declare there.

use vlens_openapi::{ApiSpec, Operation};

use crate::case::{Check, HttpStep};
use crate::problem::{Pos, Problem};
use crate::schema_shape::{self, Undeclared};

/// Adds a problem for every pointer of `step` that its reply (at the expected status) cannot
/// have. A check that something is absent may name anything.
pub fn check(step: &HttpStep, spec: &ApiSpec, op: &Operation, problems: &mut Vec<Problem>) {
    let status = step.expect.status;
    let read = step
        .expect
        .json
        .iter()
        .filter(|check| !matches!(check.check, Check::Absent | Check::NullOrAbsent))
        .map(|check| (check.pointer.as_str(), check.at, "expect.json"))
        .chain(
            step.captures
                .iter()
                .map(|capture| (capture.pointer.as_str(), capture.at, "capture")),
        );
    for (pointer, at, what) in read {
        if let Err(undeclared) = schema_shape::check(spec, &op.id, status, pointer) {
            problems.push(problem(pointer, at, what, &op.id, status, &undeclared));
        }
    }
}

fn problem(
    pointer: &str,
    at: Pos,
    what: &str,
    operation: &str,
    status: u16,
    undeclared: &Undeclared,
) -> Problem {
    let Undeclared {
        parent,
        token,
        known,
        kind,
    } = undeclared;
    let place = if parent.is_empty() { "the top" } else { parent };
    let members: Vec<&str> = known
        .iter()
        .map(String::as_str)
        .filter(|name| !name.starts_with("an "))
        .collect();
    let has = if known.is_empty() {
        format!("it is {kind} there")
    } else {
        format!("it has: {}", known.join(", "))
    };
    Problem::new(
        at,
        format!(
            "{what} `{pointer}`: the reply of `{operation}` (HTTP {status}) has no `{token}` at \
             {place}{} ({has})",
            crate::suggest::did_you_mean(token, members)
        ),
    )
}
