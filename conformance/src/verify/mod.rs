//! Stage 5, verifying: every reply is checked in four layers — the HTTP status, the raw JSON
//! against the operation's response schema, the JSON decoded into the generated type, and the
//! case's own expectations ([`expect`]) — and every layer's findings are kept, so a failure
//! shows all that is wrong at once.

use std::fmt;

use serde_json::Value;

use crate::case::{HttpStep, SpecKind};
use crate::http::{Reply, Request};

pub mod expect;

/// The layers a reply is checked in, in order; `snapshot` comes last, once the others hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    /// The HTTP status: the expected one, and one the operation declares.
    Status,
    /// The raw JSON against the operation's response schema.
    Schema,
    /// The JSON decoded into the generated type.
    Decode,
    /// The case's own expectations.
    Expectation,
    /// The stored snapshot.
    Snapshot,
}

impl Layer {
    /// Every layer, in the order replies are checked.
    pub const ALL: [Layer; 5] = [
        Layer::Status,
        Layer::Schema,
        Layer::Decode,
        Layer::Expectation,
        Layer::Snapshot,
    ];

    /// Its name in messages and reports (`schema`).
    pub fn name(self) -> &'static str {
        match self {
            Layer::Status => "status",
            Layer::Schema => "schema",
            Layer::Decode => "decode",
            Layer::Expectation => "expectation",
            Layer::Snapshot => "snapshot",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One check that did not hold. No `Debug`: it holds the offending value, which is shown only
/// through the failure report's redaction.
#[derive(Clone)]
pub struct Finding {
    /// The layer that found it.
    pub layer: Layer,
    /// Where in the reply (a JSON pointer; empty for the whole reply).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// The offending value.
    pub value: Option<Value>,
}

impl Finding {
    /// A finding without a value.
    pub fn new(layer: Layer, pointer: &str, message: String) -> Finding {
        Finding {
            layer,
            pointer: pointer.to_owned(),
            message,
            value: None,
        }
    }
}

/// What the first three layers did with a reply: which of them applied (a fetched page that
/// no spec describes gets the status check only) and what they found.
pub struct Checked {
    /// The layers that checked the reply, in order.
    pub applied: Vec<Layer>,
    /// What they found.
    pub findings: Vec<Finding>,
}

/// The first three layers: status, schema, decode. `base_url` tells fetched URLs of the target
/// (a contract PDF, the signing page) apart, so that they are checked against the control spec
/// when it describes them.
pub fn check_reply(step: &HttpStep, request: &Request, reply: &Reply, base_url: &str) -> Checked {
    let mut findings = Vec::new();
    let mut applied = vec![Layer::Status];
    let expect = &step.expect;
    if reply.status != expect.status {
        findings.push(Finding::new(
            Layer::Status,
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
        applied.push(Layer::Schema);
        schema_layer(kind, operation, reply, &mut findings);
        if kind == SpecKind::Vlens {
            applied.push(Layer::Decode);
            decode_layer(operation, reply, &mut findings);
        }
    }
    Checked { applied, findings }
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
                        vlens_openapi::ViolationKind::UndeclaredStatus => Layer::Status,
                        _ => Layer::Schema,
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
            Layer::Schema,
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
                        .map(|v| Finding::new(Layer::Status, "", v.message)),
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
            layer: Layer::Decode,
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
