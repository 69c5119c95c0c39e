//! The expectation layer: the envelope outcome, the checks at JSON pointers, the content type,
//! PDFs, text in the body. On a real Vlens an expected error whose number is this project's
//! guess is calibrated, not failed: what is known is checked (an error envelope, the status,
//! the documented message) and the number the server really sent is observed.

use serde_json::Value;

use crate::case::{Check, Expect, Outcome};
use crate::http::Reply;
use crate::problem::Problem;
use crate::redact::Secrets;
use crate::template::{Scope, value_text};
use crate::verify::{Finding, Layer};

/// One expected error met on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// The spec's name.
    pub name: String,
    /// The `error_code` the server sent.
    pub code: Option<i64>,
    /// Its `error_message`.
    pub message: String,
    /// The HTTP status.
    pub http_status: u16,
}

/// What the expectation layer needs besides the step and the reply.
pub struct Context<'a> {
    /// Evaluates expected values.
    pub scope: &'a dyn Scope,
    /// The case file, for positions.
    pub file: &'a str,
    /// What must not be shown.
    pub secrets: &'a Secrets,
    /// A real Vlens: guessed error numbers are observed, not checked.
    pub calibrating: bool,
}

/// The findings of the expectation layer, and the error observed for calibration.
pub fn check(
    context: &Context<'_>,
    expect: &Expect,
    reply: &Reply,
) -> (Vec<Finding>, Option<Observed>) {
    let mut findings = Vec::new();
    let observed = outcome(context, expect, reply, &mut findings);
    json_checks(context, expect, reply, &mut findings);
    if let Some(wanted) = &expect.content_type
        && reply.content_type.as_deref() != Some(wanted.to_ascii_lowercase().as_str())
    {
        findings.push(Finding::new(
            Layer::Expectation,
            "",
            format!(
                "expected Content-Type {wanted}, got {}",
                reply.content_type.as_deref().unwrap_or("none")
            ),
        ));
    }
    if expect.pdf && !reply.body.starts_with(b"%PDF-") {
        findings.push(Finding::new(
            Layer::Expectation,
            "",
            "expected a PDF (the body does not start with %PDF-)".to_owned(),
        ));
    }
    if let Some(node) = &expect.body_contains {
        match node.evaluate(context.scope) {
            Ok(wanted) => {
                let wanted = value_text(&wanted);
                if !String::from_utf8_lossy(&reply.body).contains(&wanted) {
                    findings.push(Finding::new(
                        Layer::Expectation,
                        "",
                        format!("expected the body to contain `{wanted}`"),
                    ));
                }
            }
            Err(problem) => findings.push(Finding::new(
                Layer::Expectation,
                "",
                format!("`body_contains` ({})", in_file(context, &problem)),
            )),
        }
    }
    (findings, observed)
}

fn in_file(context: &Context<'_>, problem: &Problem) -> String {
    problem.in_file(context.file)
}

/// The envelope's `error_code` as the spec names it (`4406 (LocationRevalidationRequired)`).
pub fn describe_code(code: &Value) -> String {
    let spec = vlens_openapi::vlens();
    match code
        .as_i64()
        .and_then(|n| spec.error_codes().iter().find(|c| c.code == n))
    {
        Some(known) => format!("{code} ({})", known.name),
        None => code.to_string(),
    }
}

fn outcome(
    context: &Context<'_>,
    expect: &Expect,
    reply: &Reply,
    findings: &mut Vec<Finding>,
) -> Option<Observed> {
    let field = |name: &str| reply.json.as_ref().and_then(|json| json.get(name)).cloned();
    let code = field("error_code").unwrap_or(Value::Null);
    let message = field("error_message")
        .as_ref()
        .map(value_text)
        .unwrap_or_default();
    let is_success = code.is_null() || code.as_i64() == Some(0);
    match &expect.outcome {
        Outcome::Success => {
            if reply.json.is_none() {
                findings.push(Finding::new(
                    Layer::Expectation,
                    "",
                    "expected a JSON envelope".to_owned(),
                ));
            } else if !is_success {
                findings.push(Finding::new(
                    Layer::Expectation,
                    "/error_code",
                    format!(
                        "expected success, got error_code {} \"{message}\"",
                        describe_code(&code)
                    ),
                ));
            }
            None
        }
        Outcome::Error { name, code: wanted } => {
            let spec = vlens_openapi::vlens().error_code(name);
            let guessed = spec.is_some_and(|spec| spec.is_guess());
            if !(context.calibrating && guessed) {
                if code.as_i64() != Some(*wanted) {
                    findings.push(Finding::new(
                        Layer::Expectation,
                        "/error_code",
                        format!(
                            "expected error_code {wanted} ({name}), got {}",
                            describe_code(&code)
                        ),
                    ));
                }
                return None;
            }
            // The number is a guess: what is known must hold, the number is observed.
            if reply.json.is_none() || is_success {
                findings.push(Finding::new(
                    Layer::Expectation,
                    "/error_code",
                    format!(
                        "expected the error {name} (its number is not yet known on this \
                         target), got {}",
                        if reply.json.is_none() {
                            "no JSON envelope".to_owned()
                        } else {
                            "success".to_owned()
                        }
                    ),
                ));
                return None;
            }
            if let Some(spec) = spec
                && spec.message_documented
                && message != spec.message
            {
                findings.push(Finding::new(
                    Layer::Expectation,
                    "/error_message",
                    format!(
                        "expected the documented message of {name} \"{}\", got \"{message}\"",
                        spec.message
                    ),
                ));
            }
            Some(Observed {
                name: name.clone(),
                code: code.as_i64(),
                message,
                http_status: reply.status,
            })
        }
        Outcome::Any => None,
    }
}

fn json_checks(context: &Context<'_>, expect: &Expect, reply: &Reply, findings: &mut Vec<Finding>) {
    let empty = Value::Null;
    let json = reply.json.as_ref().unwrap_or(&empty);
    for check in &expect.json {
        let actual = if reply.json.is_some() {
            json.pointer(&check.pointer)
        } else {
            None
        };
        let problem = match (&check.check, actual) {
            (Check::Exists, None) => Some("expected a value, found nothing".to_owned()),
            (Check::Absent, Some(_)) => Some("expected nothing here".to_owned()),
            (Check::NullOrAbsent, Some(value)) if !value.is_null() => {
                Some("expected null or nothing".to_owned())
            }
            (Check::Exists | Check::Absent | Check::NullOrAbsent, _) => None,
            (_, None) => Some("nothing at this pointer".to_owned()),
            (Check::Equals(node), Some(actual)) => match node.evaluate(context.scope) {
                Ok(expected) if numbers_equal(&expected, actual) => None,
                // A value derived from a secret (a wrong code made from the real one) would
                // reveal it: at a secret-named member the expected value is not shown.
                Ok(_) if crate::redact::is_secret_pointer(&check.pointer) => {
                    Some("expected another value (not shown: a secret member)".to_owned())
                }
                Ok(expected) => Some(format!(
                    "expected {}",
                    context.secrets.redact_json(&expected)
                )),
                Err(problem) => Some(format!(
                    "the expected value ({})",
                    in_file(context, &problem)
                )),
            },
            (Check::Contains(node) | Check::Excludes(node), Some(actual)) => {
                match node.evaluate(context.scope) {
                    Ok(expected) => {
                        let wanted = matches!(check.check, Check::Contains(_));
                        let found = actual
                            .as_array()
                            .map(|items| items.iter().any(|item| has_members(item, &expected)));
                        (found != Some(wanted)).then(|| {
                            format!(
                                "expected a list {} an element like {}",
                                if wanted { "with" } else { "without" },
                                context.secrets.redact_json(&expected)
                            )
                        })
                    }
                    Err(problem) => Some(format!(
                        "the expected value ({})",
                        in_file(context, &problem)
                    )),
                }
            }
            (Check::Matches(regex), Some(Value::String(text))) => (!regex.is_match(text))
                .then(|| format!("expected a string matching /{}/", regex.as_str())),
            (Check::Matches(regex), Some(_)) => {
                Some(format!("expected a string matching /{}/", regex.as_str()))
            }
            (Check::Type(kind), Some(actual)) => {
                (!kind.matches(actual)).then(|| format!("expected type {}", kind.name()))
            }
            (Check::Length(length), Some(actual)) => {
                let found = match actual {
                    Value::Array(items) => Some(items.len()),
                    Value::String(text) => Some(text.chars().count()),
                    Value::Object(map) => Some(map.len()),
                    _ => None,
                };
                match found {
                    Some(found) if found == *length => None,
                    Some(found) => Some(format!("expected length {length}, found {found}")),
                    None => Some(format!("expected something of length {length}")),
                }
            }
        };
        if let Some(message) = problem {
            findings.push(Finding {
                layer: Layer::Expectation,
                pointer: check.pointer.clone(),
                message: format!("{message} (case line {})", check.at),
                value: actual.cloned(),
            });
        }
    }
}

/// Whether `item` has every member of `expected` with an equal value (an object), or equals it.
fn has_members(item: &Value, expected: &Value) -> bool {
    match (item, expected) {
        (Value::Object(item), Value::Object(expected)) => expected.iter().all(|(key, value)| {
            item.get(key)
                .is_some_and(|found| numbers_equal(value, found))
        }),
        _ => numbers_equal(expected, item),
    }
}

/// JSON equality where `1` and `1.0` are the same number.
pub fn numbers_equal(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| numbers_equal(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, x)| b.get(key).is_some_and(|y| numbers_equal(x, y)))
        }
        (a, b) => a == b,
    }
}
