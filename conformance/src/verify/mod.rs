//! Stage 5, verifying: every reply is checked in four layers — the HTTP status, the raw JSON
//! against the operation's response schema, the JSON decoded into the generated type, and the
//! case's own expectations ([`expect`]) — and every layer's findings are kept, so a failure
//! shows all that is wrong at once.

use serde_json::Value;

use crate::case::{HttpStep, SpecKind};
use crate::http::{Reply, Request};

pub mod expect;

/// One check that did not hold. No `Debug`: it holds the offending value, which is shown only
/// through the failure report's redaction.
#[derive(Clone)]
pub struct Finding {
    /// `status`, `schema`, `decode`, `expectation`, `snapshot`.
    pub layer: &'static str,
    /// Where in the reply (a JSON pointer; empty for the whole reply).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// The offending value.
    pub value: Option<Value>,
}

impl Finding {
    /// A finding without a value.
    pub fn new(layer: &'static str, pointer: &str, message: String) -> Finding {
        Finding {
            layer,
            pointer: pointer.to_owned(),
            message,
            value: None,
        }
    }
}

/// The first three layers: status, schema, decode. `base_url` tells fetched URLs of the target
/// (a contract PDF, the signing page) apart, so that they are checked against the control spec
/// when it describes them.
pub fn check_reply(
    step: &HttpStep,
    request: &Request,
    reply: &Reply,
    base_url: &str,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let expect = &step.expect;
    if reply.status != expect.status {
        findings.push(Finding::new(
            "status",
            "",
            format!("expected HTTP {}, got {}", expect.status, reply.status),
        ));
    }
    let (spec_kind, operation) = match &request.operation {
        Some((kind, id)) => (Some(*kind), Some(id.as_str())),
        None => {
            let path = request.url.strip_prefix(base_url).unwrap_or(&request.url);
            let found = vlens_openapi::sandbox_control()
                .find_operation("GET", path)
                .map(|op| op.id.as_str());
            (found.map(|_| SpecKind::Control), found)
        }
    };
    if let (Some(kind), Some(operation)) = (spec_kind, operation) {
        schema_layer(kind, operation, reply, &mut findings);
        if kind == SpecKind::Vlens {
            decode_layer(operation, reply, &mut findings);
        }
    }
    findings
}

fn schema_layer(kind: SpecKind, operation: &str, reply: &Reply, findings: &mut Vec<Finding>) {
    let spec = kind.spec();
    let declares_json = spec
        .operation(operation)
        .and_then(|op| op.response_for_status(reply.status))
        .map(|response| response.schema.is_some());
    match (&reply.json, declares_json) {
        (Some(json), _) => {
            if let Err(violations) = spec.validate_response(operation, reply.status, json) {
                for violation in violations {
                    let layer = match violation.kind {
                        vlens_openapi::ViolationKind::UndeclaredStatus => "status",
                        _ => "schema",
                    };
                    findings.push(Finding {
                        layer,
                        value: json.pointer(&violation.instance_pointer).cloned(),
                        pointer: violation.instance_pointer.clone(),
                        message: if violation.schema_path.is_empty() {
                            violation.message
                        } else {
                            format!("{} (spec: {})", violation.message, violation.schema_path)
                        },
                    });
                }
            }
        }
        (None, Some(true)) => findings.push(Finding::new(
            "schema",
            "",
            format!(
                "the spec declares a JSON reply for HTTP {}, the body is not JSON ({})",
                reply.status,
                reply.content_type.as_deref().unwrap_or("no content type")
            ),
        )),
        (None, None) => {
            if let Err(violations) = spec.validate_response(operation, reply.status, &Value::Null) {
                findings.extend(
                    violations
                        .into_iter()
                        .filter(|v| v.kind == vlens_openapi::ViolationKind::UndeclaredStatus)
                        .map(|v| Finding::new("status", "", v.message)),
                );
            }
        }
        (None, Some(false)) => {}
    }
}

fn decode_layer(operation: &str, reply: &Reply, findings: &mut Vec<Finding>) {
    if reply.json.is_none() {
        return;
    }
    let decoded = if (200..300).contains(&reply.status) {
        match vlens_client::spec::operation(operation) {
            Some(op) => (op.decode_response)(&reply.body),
            None => return,
        }
    } else {
        vlens_client::spec::decode_as::<vlens_client::types::ApiOutputError>(&reply.body)
    };
    if let Err(error) = decoded {
        findings.push(Finding {
            layer: "decode",
            value: reply
                .json
                .as_ref()
                .and_then(|json| json.pointer(&error.pointer))
                .cloned(),
            pointer: error.pointer.clone(),
            message: format!(
                "does not decode into {}: {}",
                error.type_name, error.message
            ),
        });
    }
}
