//! Stage 2, linting: a read case checked against the spec before anything is sent —
//! parameters, bodies, declared errors, `retry` on GETs only — and its variables
//! ([`variables`]).

use vlens_openapi::{Operation, ParameterLocation};

use crate::case::{Action, Body, Case, HARNESS_HEADERS, HttpStep, Outcome, SpecKind, StepKind};
use crate::problem::Problem;

pub mod pointers;
pub mod variables;

/// What an author needs beside a wrong error name: the closest name the operation could
/// expect, and the errors it declares (its `x-vlens-error-codes`, then the transport errors
/// any operation may answer) — not the whole table of the spec.
pub fn errors_hint(name: &str, action: &Action) -> String {
    let spec = vlens_openapi::vlens();
    let transport: Vec<&str> = spec
        .error_codes()
        .iter()
        .filter(|code| code.http_status != 200)
        .map(|code| code.name.as_str())
        .collect();
    let declared: Vec<&str> = match action {
        Action::Call {
            spec: SpecKind::Vlens,
            operation,
            ..
        } => spec
            .operation(operation)
            .map(|op| op.error_codes.iter().map(String::as_str).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let suggestion = crate::suggest::did_you_mean(name, declared.iter().chain(&transport).copied());
    let operation = match action {
        Action::Call { operation, .. } => format!("`{operation}`"),
        Action::Fetch { .. } => "a `fetch`".to_owned(),
    };
    format!(
        "{suggestion}; {operation} can expect {}{}",
        if declared.is_empty() {
            "no business error".to_owned()
        } else {
            declared.join(", ")
        },
        format_args!(", or the transport errors {}", transport.join(", "))
    )
}

/// Every problem of a case that the spec or its own variables reveal, in file order.
pub fn lint(case: &Case) -> Vec<Problem> {
    let mut problems = Vec::new();
    for step in &case.steps {
        if let StepKind::Http(http) = &step.kind {
            http_step(http, &mut problems);
        }
    }
    variables::check(case, &mut problems);
    problems.sort_by_key(|problem| problem.at);
    problems
}

fn http_step(step: &HttpStep, problems: &mut Vec<Problem>) {
    let is_get = match &step.action {
        Action::Fetch { .. } => true,
        Action::Call {
            spec,
            operation,
            at,
        } => {
            let Some(op) = spec.spec().operation(operation) else {
                return;
            };
            parameters(step, op, *at, problems);
            body(step, *spec, op, *at, problems);
            declared_error(step, *spec, op, problems);
            pointers::check(step, spec.spec(), op, problems);
            op.method == "GET"
        }
    };
    if let Some((_, at)) = step.retry
        && !is_get
    {
        problems.push(Problem::new(at, "`retry` is for GET steps only"));
    }
}

/// An expected business error (HTTP 200) must be one the operation declares.
fn declared_error(step: &HttpStep, spec: SpecKind, op: &Operation, problems: &mut Vec<Problem>) {
    let Outcome::Error { name, .. } = &step.expect.outcome else {
        return;
    };
    let business = vlens_openapi::vlens()
        .error_code(name)
        .is_some_and(|code| code.http_status == 200);
    if spec == SpecKind::Vlens && business && !op.error_codes.contains(name) {
        problems.push(Problem::new(
            step.expect.error_at.unwrap_or_default(),
            format!(
                "`{}` does not declare error `{name}` in its x-vlens-error-codes{}",
                op.id,
                errors_hint(name, &step.action)
            ),
        ));
    }
}

fn parameters(
    step: &HttpStep,
    op: &Operation,
    operation_at: crate::problem::Pos,
    problems: &mut Vec<Problem>,
) {
    for (section, location, given) in [
        ("path", ParameterLocation::Path, &step.path),
        ("query", ParameterLocation::Query, &step.query),
    ] {
        for (name, value) in given {
            let declared = op
                .parameters
                .iter()
                .any(|p| p.location == location && p.name == *name);
            if !declared && !step.invalid {
                let known: Vec<&str> = op
                    .parameters
                    .iter()
                    .filter(|p| p.location == location)
                    .map(|p| p.name.as_str())
                    .collect();
                problems.push(Problem::new(
                    value.at,
                    format!(
                        "`{}` has no {section} parameter `{name}` (it has: {})",
                        op.id,
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            }
        }
    }
    for parameter in op
        .parameters
        .iter()
        .filter(|p| p.location == ParameterLocation::Path)
    {
        if !step.path.iter().any(|(name, _)| *name == parameter.name) {
            problems.push(Problem::new(
                operation_at,
                format!(
                    "`{}` needs the path parameter `{}` (under `path`)",
                    op.id, parameter.name
                ),
            ));
        }
    }
    if step.invalid {
        return;
    }
    for parameter in op.parameters.iter().filter(|p| p.required) {
        let (section, given) = match parameter.location {
            ParameterLocation::Query => (
                "query",
                step.query.iter().any(|(name, _)| *name == parameter.name),
            ),
            ParameterLocation::Header
                if !HARNESS_HEADERS
                    .iter()
                    .any(|sent| sent.eq_ignore_ascii_case(&parameter.name)) =>
            {
                (
                    "headers",
                    step.headers
                        .iter()
                        .any(|(name, _)| name.eq_ignore_ascii_case(&parameter.name)),
                )
            }
            _ => continue,
        };
        if !given {
            problems.push(Problem::new(
                operation_at,
                format!(
                    "`{}` requires the {} parameter `{}` (under `{section}`; add \
                     `invalid: true` if leaving it out is the point)",
                    op.id, parameter.location, parameter.name
                ),
            ));
        }
    }
}

fn body(
    step: &HttpStep,
    spec: SpecKind,
    op: &Operation,
    operation_at: crate::problem::Pos,
    problems: &mut Vec<Problem>,
) {
    let Some(Body::Json(body)) = &step.body else {
        if op.request_body.as_ref().is_some_and(|b| b.required)
            && step.body.is_none()
            && !step.invalid
        {
            problems.push(Problem::new(
                operation_at,
                format!("`{}` requires a `body` (or `invalid: true`)", op.id),
            ));
        }
        return;
    };
    if op.request_body.is_none() {
        problems.push(Problem::new(
            body.at,
            format!("`{}` takes no request body", op.id),
        ));
        return;
    }
    if step.invalid {
        return;
    }
    let (shape, templated) = body.static_shape();
    if let Err(violations) = spec.spec().validate_request_body(&op.id, &shape) {
        for violation in violations {
            let hidden = templated.iter().any(|pointer| {
                violation.instance_pointer == *pointer
                    || violation
                        .instance_pointer
                        .starts_with(&format!("{pointer}/"))
            });
            if !hidden {
                problems.push(Problem::new(
                    body.position_of(&violation.instance_pointer),
                    format!(
                        "the body does not fit `{}`'s request schema {violation} \
                         (add `invalid: true` if that is the point)",
                        op.id
                    ),
                ));
            }
        }
    }
}
