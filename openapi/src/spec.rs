//! An OpenAPI 3.0 document as data: its operations, their parameters, bodies and responses,
//! and its vendor extensions.

use std::fmt;

use serde_json::Value;

use crate::convert::convert_document;
use crate::error::{SpecError, SpecProblem};
use crate::extensions::{self, Decision, ErrorCodeSpec, MessageSpec, TokenKind};
use crate::path::PathTemplate;
use crate::structure::parse_operations;
use crate::validate::Validators;

/// One parsed spec: the operations, the vendor extensions and the schema validators.
pub struct ApiSpec {
    name: String,
    title: String,
    version: String,
    raw: Value,
    document: Value,
    operations: Vec<Operation>,
    error_codes: Vec<ErrorCodeSpec>,
    secrets: Vec<String>,
    decisions: Vec<Decision>,
    pub(crate) validators: Validators,
}

impl fmt::Debug for ApiSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiSpec")
            .field("name", &self.name)
            .field("title", &self.title)
            .field("version", &self.version)
            .field("operations", &self.operations.len())
            .finish_non_exhaustive()
    }
}

/// One operation (method + path) of a spec.
#[derive(Debug, Clone)]
pub struct Operation {
    /// The operationId (`create-business-request`).
    pub id: String,
    /// The HTTP method, upper case (`POST`).
    pub method: String,
    /// The path template (`/api/BusinessRequest/Create/{typeId}`).
    pub path: String,
    /// The one-line summary, if the spec gives one.
    pub summary: Option<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Path-level and operation-level parameters, `$ref`s resolved.
    pub parameters: Vec<Parameter>,
    /// The request body, if the operation takes one.
    pub request_body: Option<RequestBody>,
    /// The declared responses, in the spec's order.
    pub responses: Vec<Response>,
    /// The names in its `x-vlens-error-codes` (empty when it has none).
    pub error_codes: Vec<String>,
    /// The bearer token it takes (its `x-vlens-token`); `None`: the ApiKey alone.
    pub token: Option<TokenKind>,
    /// The messages it sends to a person (its `x-vlens-messages`): an SMS, an email, an
    /// invitation. A conformance run on a shared target checks their recipients.
    pub messages: Vec<MessageSpec>,
    pub(crate) pointer: String,
    pub(crate) template: PathTemplate,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParameterLocation {
    /// A `{name}` segment of the path.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
}

impl fmt::Display for ParameterLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParameterLocation::Path => "path",
            ParameterLocation::Query => "query",
            ParameterLocation::Header => "header",
            ParameterLocation::Cookie => "cookie",
        })
    }
}

/// One parameter of an operation.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// Its name, as sent (`RequestId`, `ApiKey`).
    pub name: String,
    /// Where it goes.
    pub location: ParameterLocation,
    /// Whether the operation requires it.
    pub required: bool,
    /// Its schema, converted to JSON Schema (it may `$ref` into the document).
    pub schema: Option<Value>,
    pub(crate) schema_pointer: Option<String>,
}

/// The request body of an operation.
#[derive(Debug, Clone)]
pub struct RequestBody {
    /// Whether a body is required.
    pub required: bool,
    /// The media types it accepts.
    pub content_types: Vec<String>,
    /// The `application/json` schema, converted to JSON Schema.
    pub schema: Option<Value>,
    pub(crate) schema_pointer: Option<String>,
}

/// One declared response of an operation.
#[derive(Debug, Clone)]
pub struct Response {
    /// The key as declared: an exact status (`"200"`), a range (`"4XX"`) or `"default"`.
    pub key: String,
    /// Its description.
    pub description: String,
    /// The media types it may carry.
    pub content_types: Vec<String>,
    /// The `application/json` schema, converted to JSON Schema.
    pub schema: Option<Value>,
    pub(crate) schema_pointer: Option<String>,
}

impl ApiSpec {
    /// Parses an OpenAPI 3.0 document. `name` names it in error messages and in the URI its
    /// schemas are registered under.
    ///
    /// Everything is checked here, once: the structure, then every vendor extension (see
    /// [`crate::extensions`]); a spec that loads is one every tool of the workspace can use.
    pub fn parse(name: &str, yaml: &str) -> Result<ApiSpec, SpecError> {
        ApiSpec::from_document(name, parse_yaml(name, yaml)?)
    }

    /// [`ApiSpec::parse`] of a spec already turned into JSON (the embedded specs, by the build
    /// script).
    pub(crate) fn parse_json(name: &str, json: &str) -> Result<ApiSpec, SpecError> {
        let raw = serde_json::from_str(json).map_err(|error| SpecError::Yaml {
            spec: name.to_owned(),
            message: error.to_string(),
        })?;
        ApiSpec::from_document(name, raw)
    }

    fn from_document(name: &str, raw: Value) -> Result<ApiSpec, SpecError> {
        let invalid = |pointer: &str, message: String| SpecError::Invalid {
            spec: name.to_owned(),
            problems: vec![SpecProblem::new(pointer, message)],
        };
        match raw.get("openapi").and_then(Value::as_str) {
            Some(version) if version.starts_with("3.0") => {}
            Some(version) => {
                return Err(invalid(
                    "/openapi",
                    format!("OpenAPI {version} is not supported (3.0.x only)"),
                ));
            }
            None => return Err(invalid("/openapi", "missing `openapi: 3.0.x`".to_owned())),
        }
        let mut document = raw.clone();
        convert_document(&mut document);
        let info = document.get("info");
        let text = |key: &str| {
            info.and_then(|info| info.get(key))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let (title, version) = (text("title"), text("version"));
        let mut operations = parse_operations(&document).map_err(|(p, m)| invalid(&p, m))?;
        let extensions =
            extensions::read(&raw, &mut operations).map_err(|problems| SpecError::Invalid {
                spec: name.to_owned(),
                problems,
            })?;
        let validators = Validators::new(name, &document, &operations)?;
        Ok(ApiSpec {
            name: name.to_owned(),
            title,
            version,
            raw,
            document,
            operations,
            error_codes: extensions.error_codes,
            secrets: extensions.secrets,
            decisions: extensions.decisions,
            validators,
        })
    }

    /// The name given to [`ApiSpec::parse`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `info.title`.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// `info.version`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The whole document, its schemas converted to JSON Schema 2020-12.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The whole document as written (the YAML as JSON): OpenAPI 3.0 schemas, extensions
    /// included. For tools that take OpenAPI itself (a code generator, a diff); read the
    /// extensions through the accessors, not from here.
    pub fn raw_document(&self) -> &Value {
        &self.raw
    }

    /// Every operation, in the document's order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation with this operationId.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|operation| operation.id == id)
    }

    /// The operation that serves `method` on a concrete path (`/api/BusinessRequest/Create/414`
    /// finds `create-business-request`). A query string is ignored. When several templates
    /// match, the one with the most literal segments wins.
    pub fn find_operation(&self, method: &str, concrete_path: &str) -> Option<&Operation> {
        let path = concrete_path
            .split(['?', '#'])
            .next()
            .unwrap_or(concrete_path);
        self.operations
            .iter()
            .filter(|operation| operation.method.eq_ignore_ascii_case(method))
            .filter(|operation| operation.template.matches(path).is_some())
            .max_by_key(|operation| operation.template.literal_segments())
    }

    /// The root `x-vlens-error-codes` table (empty when the spec has none).
    pub fn error_codes(&self) -> &[ErrorCodeSpec] {
        &self.error_codes
    }

    /// The error code with this name.
    pub fn error_code(&self, name: &str) -> Option<&ErrorCodeSpec> {
        self.error_codes.iter().find(|code| code.name == name)
    }

    /// The error code with this number.
    pub fn error_code_by_number(&self, code: i64) -> Option<&ErrorCodeSpec> {
        self.error_codes.iter().find(|entry| entry.code == code)
    }

    /// JSON pointers (into [`ApiSpec::raw_document`]) to every schema marked
    /// `x-vlens-secret: true`, in document order: the credentials the client redacts.
    pub fn secret_pointers(&self) -> &[String] {
        &self.secrets
    }

    /// Every `x-vlens-decision`, in document order.
    pub fn decisions(&self) -> &[Decision] {
        &self.decisions
    }
}

impl Operation {
    /// A JSON pointer to the operation in the document (`/paths/~1api~1Foo/get`).
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// The parameter called `name` (at any location).
    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters
            .iter()
            .find(|parameter| parameter.name == name)
    }

    /// The declared response a status falls under: the exact code, else its `NXX` range, else
    /// `default`.
    pub fn response_for_status(&self, status: u16) -> Option<&Response> {
        let exact = status.to_string();
        let range = format!("{}XX", status / 100);
        self.responses
            .iter()
            .find(|response| response.key == exact)
            .or_else(|| {
                self.responses
                    .iter()
                    .find(|response| response.key.eq_ignore_ascii_case(&range))
            })
            .or_else(|| {
                self.responses
                    .iter()
                    .find(|response| response.key == "default")
            })
    }

    /// The declared response keys (`["200", "4XX", "5XX"]`).
    pub fn response_keys(&self) -> impl Iterator<Item = &str> {
        self.responses.iter().map(|response| response.key.as_str())
    }

    /// The path parameters of `concrete_path` if it matches this operation's template
    /// (percent-decoded values, in template order).
    pub fn match_path(&self, concrete_path: &str) -> Option<Vec<(String, String)>> {
        self.template.matches(concrete_path)
    }

    /// The concrete path, each `{name}` replaced by `value(name)`, percent-encoded. The name of
    /// the first parameter without a value is the error.
    pub fn render_path<'v>(
        &self,
        value: impl Fn(&str) -> Option<&'v str>,
    ) -> Result<String, String> {
        self.template.render(value)
    }
}

impl Parameter {
    /// A JSON pointer to its schema in [`ApiSpec::document`].
    pub fn schema_pointer(&self) -> Option<&str> {
        self.schema_pointer.as_deref()
    }
}

impl RequestBody {
    /// A JSON pointer to its JSON schema in [`ApiSpec::document`].
    pub fn schema_pointer(&self) -> Option<&str> {
        self.schema_pointer.as_deref()
    }

    /// The component schema its JSON schema is a `$ref` to (`VerifyPhoneInput`), if it is one.
    pub fn schema_name(&self) -> Option<&str> {
        component_name(self.schema.as_ref())
    }
}

impl Response {
    /// A JSON pointer to its JSON schema in [`ApiSpec::document`].
    pub fn schema_pointer(&self) -> Option<&str> {
        self.schema_pointer.as_deref()
    }

    /// The component schema its JSON schema is a `$ref` to (`ApiOutputEligibility`), if it is
    /// one.
    pub fn schema_name(&self) -> Option<&str> {
        component_name(self.schema.as_ref())
    }
}

/// `X` of a schema `{$ref: '#/components/schemas/X'}`.
fn component_name(schema: Option<&Value>) -> Option<&str> {
    schema?
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

fn parse_yaml(name: &str, yaml: &str) -> Result<Value, SpecError> {
    crate::yaml::yaml_to_json(yaml).map_err(|message| SpecError::Yaml {
        spec: name.to_owned(),
        message,
    })
}

/// Escapes one JSON-pointer reference token.
pub(crate) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
