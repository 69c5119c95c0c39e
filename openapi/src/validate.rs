//! JSON Schema validation of raw JSON against a spec's converted schemas.
//!
//! The converted document is registered once as a resource with the `jsonschema` crate, so a
//! schema's `$ref: '#/components/schemas/X'` resolves inside it. A validator per schema place
//! is compiled on first use and kept, so a process that checks a handful of replies (one test
//! under nextest) pays for those alone.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use base64::Engine as _;
use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Registry, ValidationError, Validator};
use serde_json::{Value, json};

use crate::error::SpecError;
use crate::spec::{ApiSpec, Operation};

/// One way in which JSON does not fit a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// What kind of check failed.
    pub kind: ViolationKind,
    /// A JSON pointer to the offending value in the checked JSON (`/data/requeststatus`); empty
    /// for the whole value.
    pub instance_pointer: String,
    /// Where the failing rule is in the spec: a JSON pointer into the document
    /// (`/components/schemas/BusinessRequest/properties/requeststatus/type`) when known, else the
    /// path the validator took.
    pub schema_path: String,
    /// What is wrong. It never quotes the offending value (which may be a secret): find it with
    /// `instance_pointer`.
    pub message: String,
}

/// The check a [`Violation`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViolationKind {
    /// The spec has no operation with that id.
    UnknownOperation,
    /// The operation has no parameter of that name.
    UnknownParameter,
    /// The operation takes no (JSON) request body.
    NoRequestBody,
    /// The HTTP status is not among the operation's declared responses.
    UndeclaredStatus,
    /// The JSON does not match the schema.
    Schema,
    /// The spec's schema itself could not be compiled (a bug in the spec).
    InvalidSchema,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance_pointer.is_empty() {
            "(root)"
        } else {
            &self.instance_pointer
        };
        write!(f, "at `{at}`: {}", self.message)?;
        if !self.schema_path.is_empty() {
            write!(f, " (schema `{}`)", self.schema_path)?;
        }
        Ok(())
    }
}

impl Violation {
    fn of(kind: ViolationKind, message: String) -> Violation {
        Violation {
            kind,
            instance_pointer: String::new(),
            schema_path: String::new(),
            message,
        }
    }
}

type Compiled = OnceLock<Result<Validator, String>>;

/// The registered document and a lazily compiled validator per schema place.
pub(crate) struct Validators {
    base_uri: String,
    registry: Registry<'static>,
    compiled: HashMap<String, Compiled>,
}

impl Validators {
    pub(crate) fn new(
        spec: &str,
        document: &Value,
        operations: &[Operation],
    ) -> Result<Validators, SpecError> {
        let safe_name: String = spec
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let base_uri = format!("https://vlens-openapi.invalid/{safe_name}.json");
        let registry = Registry::new()
            .add(
                &base_uri,
                Draft::Draft202012.create_resource(document.clone()),
            )
            .and_then(|builder| builder.prepare())
            .map_err(|error| SpecError::Registry {
                spec: spec.to_owned(),
                message: error.to_string(),
            })?;
        let mut compiled = HashMap::new();
        for operation in operations {
            let pointers = operation
                .parameters
                .iter()
                .filter_map(|p| p.schema_pointer())
                .chain(
                    operation
                        .request_body
                        .iter()
                        .filter_map(|b| b.schema_pointer()),
                )
                .chain(
                    operation
                        .responses
                        .iter()
                        .filter_map(|r| r.schema_pointer()),
                );
            for pointer in pointers {
                compiled.insert(pointer.to_owned(), Compiled::new());
            }
        }
        if let Some(schemas) = document
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        {
            for name in schemas.keys() {
                let pointer = format!("/components/schemas/{}", crate::spec::escape(name));
                compiled.insert(pointer, Compiled::new());
            }
        }
        Ok(Validators {
            base_uri,
            registry,
            compiled,
        })
    }

    fn compile(&self, pointer: &str) -> Result<Validator, String> {
        let schema = json!({ "$ref": format!("{}#{}", self.base_uri, encode_fragment(pointer)) });
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(&self.registry)
            .should_validate_formats(true)
            .with_format("byte", is_base64)
            .build(&schema)
            .map_err(|error| error.to_string())
    }

    /// Validates `instance` against the schema at `pointer` in the document.
    fn validate(&self, pointer: &str, instance: &Value) -> Result<(), Vec<Violation>> {
        let uncached;
        let validator = match self.compiled.get(pointer) {
            Some(cell) => cell.get_or_init(|| self.compile(pointer)),
            None => {
                uncached = self.compile(pointer);
                &uncached
            }
        };
        let validator = validator.as_ref().map_err(|message| {
            vec![Violation {
                kind: ViolationKind::InvalidSchema,
                instance_pointer: String::new(),
                schema_path: pointer.to_owned(),
                message: format!("the spec's schema cannot be compiled: {message}"),
            }]
        })?;
        let mut violations = Vec::new();
        for error in validator.iter_errors(instance) {
            self.collect(&error, &mut violations);
        }
        if violations.is_empty() {
            Ok(())
        } else {
            Err(violations)
        }
    }

    /// Turns a validator error into violations. An `anyOf` made by converting `nullable` (or any
    /// `anyOf`/`oneOf` where all branches but one fail only on the type of the value itself)
    /// is replaced by the errors of the one branch that could have matched, so that the pointer
    /// goes down to the value at fault (`/data/requeststatus`, not `/data`).
    fn collect(&self, error: &ValidationError<'_>, out: &mut Vec<Violation>) {
        let branches = match error.kind() {
            ValidationErrorKind::AnyOf { context }
            | ValidationErrorKind::OneOfNotValid { context } => Some(context),
            _ => None,
        };
        if let Some(branches) = branches {
            let here = error.instance_path().as_str();
            let plausible: Vec<_> = branches
                .iter()
                .filter(|branch| !is_type_mismatch_at(branch, here))
                .collect();
            if let [only] = plausible.as_slice()
                && !only.is_empty()
            {
                for inner in only.iter() {
                    self.collect(inner, out);
                }
                return;
            }
        }
        let schema_path = error
            .absolute_keyword_location()
            .and_then(|uri| {
                let text = uri.as_str();
                text.strip_prefix(&self.base_uri)
                    .map(|rest| crate::path::percent_decode(rest.trim_start_matches('#')))
            })
            .unwrap_or_else(|| error.evaluation_path().as_str().to_owned());
        out.push(Violation {
            kind: ViolationKind::Schema,
            instance_pointer: error.instance_path().as_str().to_owned(),
            schema_path,
            message: error.masked().to_string(),
        });
    }
}

/// A branch whose only failure is the type of the value the `anyOf` itself looked at.
fn is_type_mismatch_at(branch: &[ValidationError<'_>], here: &str) -> bool {
    matches!(branch, [single] if matches!(single.kind(), ValidationErrorKind::Type { .. })
        && single.instance_path().as_str() == here)
}

/// `format: byte`: standard base64 with padding (RFC 4648 §4), as OpenAPI 3.0 defines it.
fn is_base64(text: &str) -> bool {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .is_ok()
}

/// Percent-encodes a JSON pointer for a URI fragment (`{`, `}`, spaces and the like).
fn encode_fragment(pointer: &str) -> String {
    percent_encoding::utf8_percent_encode(pointer, crate::path::NOT_FRAGMENT).to_string()
}

impl ApiSpec {
    /// Checks a reply: first that `status` is declared for the operation (the exact code, else
    /// its `NXX` range, else `default`), then `body` against that response's JSON schema. A
    /// response declared without a JSON schema accepts any body.
    pub fn validate_response(
        &self,
        operation_id: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), Vec<Violation>> {
        let operation = self.known_operation(operation_id)?;
        let Some(response) = operation.response_for_status(status) else {
            let declared: Vec<&str> = operation.response_keys().collect();
            return Err(vec![Violation {
                kind: ViolationKind::UndeclaredStatus,
                instance_pointer: String::new(),
                schema_path: format!(
                    "/paths/{}/{}/responses",
                    crate::spec::escape(&operation.path),
                    operation.method.to_ascii_lowercase()
                ),
                message: format!(
                    "HTTP status {status} is not declared for `{operation_id}` (declared: {})",
                    declared.join(", ")
                ),
            }]);
        };
        match response.schema_pointer() {
            Some(pointer) => self.validators.validate(pointer, body),
            None => Ok(()),
        }
    }

    /// Checks a request body against the operation's JSON request schema.
    pub fn validate_request_body(
        &self,
        operation_id: &str,
        body: &Value,
    ) -> Result<(), Vec<Violation>> {
        let operation = self.known_operation(operation_id)?;
        let pointer = operation
            .request_body
            .as_ref()
            .and_then(|body| body.schema_pointer())
            .ok_or_else(|| {
                vec![Violation::of(
                    ViolationKind::NoRequestBody,
                    format!("`{operation_id}` takes no JSON request body"),
                )]
            })?;
        self.validators.validate(pointer, body)
    }

    /// Checks one parameter value (typed JSON: `414`, not `"414"`) against its schema.
    pub fn validate_parameter(
        &self,
        operation_id: &str,
        name: &str,
        value: &Value,
    ) -> Result<(), Vec<Violation>> {
        let operation = self.known_operation(operation_id)?;
        let parameter = operation.parameter(name).ok_or_else(|| {
            vec![Violation::of(
                ViolationKind::UnknownParameter,
                format!("`{operation_id}` has no parameter `{name}`"),
            )]
        })?;
        match parameter.schema_pointer() {
            Some(pointer) => self.validators.validate(pointer, value),
            None => Ok(()),
        }
    }

    /// Checks JSON against the schema at any JSON pointer of [`ApiSpec::document`]
    /// (`/components/schemas/GeoLocation`).
    pub fn validate_at(&self, schema_pointer: &str, value: &Value) -> Result<(), Vec<Violation>> {
        if self.document().pointer(schema_pointer).is_none() {
            return Err(vec![Violation {
                kind: ViolationKind::InvalidSchema,
                instance_pointer: String::new(),
                schema_path: schema_pointer.to_owned(),
                message: "no schema at this place of the spec".to_owned(),
            }]);
        }
        self.validators.validate(schema_pointer, value)
    }

    fn known_operation(&self, operation_id: &str) -> Result<&Operation, Vec<Violation>> {
        self.operation(operation_id).ok_or_else(|| {
            vec![Violation::of(
                ViolationKind::UnknownOperation,
                format!("spec `{}` has no operation `{operation_id}`", self.name()),
            )]
        })
    }
}
