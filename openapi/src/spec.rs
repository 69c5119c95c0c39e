//! An OpenAPI 3.0 document as data: its operations, their parameters, bodies and responses.

use std::fmt;

use serde_json::Value;

use crate::convert::{METHODS, convert_document};
use crate::error::SpecError;
use crate::path::PathTemplate;
use crate::validate::Validators;

/// One parsed spec: the operations, the root error-code table and the schema validators.
pub struct ApiSpec {
    name: String,
    title: String,
    version: String,
    document: Value,
    operations: Vec<Operation>,
    error_codes: Vec<ErrorCodeSpec>,
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
    /// Its `x-vlens-token` (`user`, `admin`, `user-or-admin`, `user-optional`), if set.
    pub token: Option<String>,
    /// The messages it sends to a person (its `x-vlens-messages`): an SMS, an email, an
    /// invitation. A conformance run on a shared target checks their recipients.
    pub messages: Vec<MessageSpec>,
    pub(crate) template: PathTemplate,
}

/// One message an operation sends (an entry of its `x-vlens-messages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSpec {
    /// How it travels.
    pub channel: MessageChannel,
    /// Who receives it.
    pub to: Recipient,
}

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageChannel {
    /// A text message to a phone number.
    Sms,
    /// An email.
    Email,
}

impl fmt::Display for MessageChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MessageChannel::Sms => "SMS",
            MessageChannel::Email => "email",
        })
    }
}

/// Who receives a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// The phone number or address at this JSON pointer of the request body (`/phoneNumber`).
    Body(String),
    /// The user whose bearer token sends the request (an activation OTP goes to the caller's
    /// registered phone).
    Caller,
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

/// One entry of the root `x-vlens-error-codes` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCodeSpec {
    /// The numeric `error_code`.
    pub code: i64,
    /// The spec's name (`LocationRevalidationRequired`).
    pub name: String,
    /// The HTTP status it arrives with.
    pub http_status: u16,
    /// The documented `error_message`.
    pub message: String,
    /// Who says the code is this number.
    pub source: ErrorCodeSource,
    /// Whether Vlens's docs quote `message` (`messageSource: vlens-docs`, or a code the docs
    /// publish): such a message is checked even where the number is a guess.
    pub message_documented: bool,
    /// Where and when the number was seen (for `source: observed`).
    pub observed: Option<Observation>,
}

/// Who says an error code has its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCodeSource {
    /// Published in Vlens's docs.
    VlensDocs,
    /// This project's guess, where the docs publish none.
    Project,
    /// Seen on a real Vlens by a conformance run (folded in by `cargo xtask calibrate`).
    Observed,
}

impl ErrorCodeSource {
    /// The spelling in the spec (`vlens-docs`, `project`, `observed`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCodeSource::VlensDocs => "vlens-docs",
            ErrorCodeSource::Project => "project",
            ErrorCodeSource::Observed => "observed",
        }
    }

    fn parse(text: &str) -> Option<ErrorCodeSource> {
        [
            ErrorCodeSource::VlensDocs,
            ErrorCodeSource::Project,
            ErrorCodeSource::Observed,
        ]
        .into_iter()
        .find(|source| source.as_str() == text)
    }
}

/// The provenance of an observed error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The target it was seen on (`api.vlens.co-443`, a profile's name).
    pub target: String,
    /// The day (`2026-11-29`).
    pub date: String,
}

impl ErrorCodeSpec {
    /// Whether the number is this project's guess: a run on a real Vlens records the number it
    /// meets instead of failing on it.
    pub fn is_guess(&self) -> bool {
        self.source == ErrorCodeSource::Project
    }
}

impl ApiSpec {
    /// Parses an OpenAPI 3.0 document. `name` names it in error messages and in the URI its
    /// schemas are registered under.
    pub fn parse(name: &str, yaml: &str) -> Result<ApiSpec, SpecError> {
        let mut document: Value =
            serde_norway::from_str(yaml).map_err(|error| SpecError::Yaml {
                spec: name.to_owned(),
                message: error.to_string(),
            })?;
        let invalid = |pointer: &str, message: String| SpecError::Invalid {
            spec: name.to_owned(),
            pointer: pointer.to_owned(),
            message,
        };
        match document.get("openapi").and_then(Value::as_str) {
            Some(version) if version.starts_with("3.0") => {}
            Some(version) => {
                return Err(invalid(
                    "/openapi",
                    format!("OpenAPI {version} is not supported (3.0.x only)"),
                ));
            }
            None => return Err(invalid("/openapi", "missing `openapi: 3.0.x`".to_owned())),
        }
        convert_document(&mut document);
        let info = document.get("info");
        let text = |key: &str| {
            info.and_then(|info| info.get(key))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let (title, version) = (text("title"), text("version"));
        let error_codes = parse_error_codes(&document).map_err(|(p, m)| invalid(&p, m))?;
        let operations = parse_operations(&document).map_err(|(p, m)| invalid(&p, m))?;
        let validators = Validators::new(name, &document, &operations)?;
        Ok(ApiSpec {
            name: name.to_owned(),
            title,
            version,
            document,
            operations,
            error_codes,
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
}

impl Operation {
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
}

impl Response {
    /// A JSON pointer to its JSON schema in [`ApiSpec::document`].
    pub fn schema_pointer(&self) -> Option<&str> {
        self.schema_pointer.as_deref()
    }
}

/// A structural problem: where (JSON pointer) and what.
type Problem = (String, String);

fn parse_operations(document: &Value) -> Result<Vec<Operation>, Problem> {
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return Err(("/paths".to_owned(), "missing `paths` object".to_owned()));
    };
    let mut operations = Vec::new();
    for (path, item) in paths {
        let item_pointer = format!("/paths/{}", escape(path));
        let template = PathTemplate::parse(path).map_err(|m| (item_pointer.clone(), m))?;
        let shared = item
            .get("parameters")
            .map(|list| parse_parameters(document, list, &format!("{item_pointer}/parameters")))
            .transpose()?
            .unwrap_or_default();
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let pointer = format!("{item_pointer}/{method}");
            let parsed = parse_operation(
                document, operation, &pointer, method, path, &template, &shared,
            )?;
            if operations
                .iter()
                .any(|known: &Operation| known.id == parsed.id)
            {
                return Err((
                    format!("{pointer}/operationId"),
                    format!("duplicate operationId `{}`", parsed.id),
                ));
            }
            operations.push(parsed);
        }
    }
    Ok(operations)
}

fn parse_operation(
    document: &Value,
    operation: &Value,
    pointer: &str,
    method: &str,
    path: &str,
    template: &PathTemplate,
    shared: &[Parameter],
) -> Result<Operation, Problem> {
    let id = operation
        .get("operationId")
        .and_then(Value::as_str)
        .ok_or_else(|| (pointer.to_owned(), "missing operationId".to_owned()))?
        .to_owned();
    let mut parameters = shared.to_vec();
    if let Some(list) = operation.get("parameters") {
        for parameter in parse_parameters(document, list, &format!("{pointer}/parameters"))? {
            // An operation-level parameter overrides a path-level one of the same name and place.
            parameters.retain(|known| {
                known.name != parameter.name || known.location != parameter.location
            });
            parameters.push(parameter);
        }
    }
    for name in template.parameter_names() {
        let declared = parameters
            .iter()
            .any(|p| p.location == ParameterLocation::Path && p.name == name);
        if !declared {
            return Err((
                pointer.to_owned(),
                format!("path parameter `{name}` of `{path}` is not declared"),
            ));
        }
    }
    let request_body = operation
        .get("requestBody")
        .map(|body| parse_request_body(document, body, &format!("{pointer}/requestBody")))
        .transpose()?;
    let responses_pointer = format!("{pointer}/responses");
    let Some(declared) = operation.get("responses").and_then(Value::as_object) else {
        return Err((responses_pointer, "missing `responses`".to_owned()));
    };
    let responses = declared
        .iter()
        .map(|(key, response)| {
            parse_response(
                document,
                key,
                response,
                &format!("{responses_pointer}/{}", escape(key)),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let strings = |key: &str| -> Vec<String> {
        operation
            .get(key)
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Operation {
        id,
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
        summary: operation
            .get("summary")
            .and_then(Value::as_str)
            .map(str::to_owned),
        tags: strings("tags"),
        parameters,
        request_body,
        responses,
        error_codes: strings("x-vlens-error-codes"),
        token: operation
            .get("x-vlens-token")
            .and_then(Value::as_str)
            .map(str::to_owned),
        messages: parse_messages(operation, pointer)?,
        template: template.clone(),
    })
}

fn parse_parameters(
    document: &Value,
    list: &Value,
    pointer: &str,
) -> Result<Vec<Parameter>, Problem> {
    let Some(list) = list.as_array() else {
        return Err((pointer.to_owned(), "`parameters` is not a list".to_owned()));
    };
    list.iter()
        .enumerate()
        .map(|(index, parameter)| {
            let (parameter, pointer) = resolve(document, parameter, &format!("{pointer}/{index}"))?;
            let name = parameter
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| (pointer.clone(), "parameter without `name`".to_owned()))?;
            let location = match parameter.get("in").and_then(Value::as_str) {
                Some("path") => ParameterLocation::Path,
                Some("query") => ParameterLocation::Query,
                Some("header") => ParameterLocation::Header,
                Some("cookie") => ParameterLocation::Cookie,
                other => {
                    return Err((
                        format!("{pointer}/in"),
                        format!("parameter `{name}` has an unknown location {other:?}"),
                    ));
                }
            };
            let schema = parameter.get("schema").cloned();
            Ok(Parameter {
                name: name.to_owned(),
                location,
                required: parameter.get("required").and_then(Value::as_bool) == Some(true),
                schema_pointer: schema.as_ref().map(|_| format!("{pointer}/schema")),
                schema,
            })
        })
        .collect()
}

fn parse_request_body(
    document: &Value,
    body: &Value,
    pointer: &str,
) -> Result<RequestBody, Problem> {
    let (body, pointer) = resolve(document, body, pointer)?;
    let (content_types, schema, schema_pointer) = parse_content(body, &pointer);
    Ok(RequestBody {
        required: body.get("required").and_then(Value::as_bool) == Some(true),
        content_types,
        schema,
        schema_pointer,
    })
}

fn parse_response(
    document: &Value,
    key: &str,
    response: &Value,
    pointer: &str,
) -> Result<Response, Problem> {
    let valid_key = key == "default"
        || (key.len() == 3
            && key.as_bytes()[0].is_ascii_digit()
            && (key[1..].bytes().all(|b| b.is_ascii_digit())
                || key[1..].eq_ignore_ascii_case("XX")));
    if !valid_key {
        return Err((
            pointer.to_owned(),
            format!("`{key}` is not a response status"),
        ));
    }
    let (response, pointer) = resolve(document, response, pointer)?;
    let (content_types, schema, schema_pointer) = parse_content(response, &pointer);
    Ok(Response {
        key: key.to_ascii_uppercase(),
        description: response
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        content_types,
        schema,
        schema_pointer,
    })
}

/// The media types of a `content` map and the JSON one's schema and its pointer.
fn parse_content(holder: &Value, pointer: &str) -> (Vec<String>, Option<Value>, Option<String>) {
    let Some(content) = holder.get("content").and_then(Value::as_object) else {
        return (Vec::new(), None, None);
    };
    let content_types = content.keys().cloned().collect();
    let json = content.iter().find(|(media, _)| is_json_media_type(media));
    match json.and_then(|(media, body)| Some((media, body.get("schema")?))) {
        Some((media, schema)) => (
            content_types,
            Some(schema.clone()),
            Some(format!("{pointer}/content/{}/schema", escape(media))),
        ),
        None => (content_types, None, None),
    }
}

/// `application/json`, `application/problem+json`, `text/json`, with or without parameters.
pub(crate) fn is_json_media_type(media: &str) -> bool {
    let essence = media.split(';').next().unwrap_or(media).trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence.eq_ignore_ascii_case("text/json")
        || essence.to_ascii_lowercase().ends_with("+json")
}

/// Follows local `$ref`s (`#/components/...`) to the object they name, with its pointer.
fn resolve<'d>(
    document: &'d Value,
    mut value: &'d Value,
    pointer: &str,
) -> Result<(&'d Value, String), Problem> {
    let mut pointer = pointer.to_owned();
    for _ in 0..32 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return Ok((value, pointer));
        };
        let Some(target) = reference.strip_prefix('#') else {
            return Err((
                format!("{pointer}/$ref"),
                format!("only local references are supported, not `{reference}`"),
            ));
        };
        value = document.pointer(target).ok_or_else(|| {
            (
                format!("{pointer}/$ref"),
                format!("`{reference}` points at nothing"),
            )
        })?;
        pointer = target.to_owned();
    }
    Err((pointer, "`$ref` chain longer than 32 hops".to_owned()))
}

fn parse_error_codes(document: &Value) -> Result<Vec<ErrorCodeSpec>, Problem> {
    let Some(list) = document.get("x-vlens-error-codes") else {
        return Ok(Vec::new());
    };
    let Some(list) = list.as_array() else {
        return Err(("/x-vlens-error-codes".to_owned(), "not a list".to_owned()));
    };
    list.iter()
        .enumerate()
        .map(|(index, entry)| {
            let pointer = format!("/x-vlens-error-codes/{index}");
            let text = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_owned);
            let code = entry
                .get("code")
                .and_then(Value::as_i64)
                .ok_or_else(|| (pointer.clone(), "missing integer `code`".to_owned()))?;
            let name =
                text("name").ok_or_else(|| (pointer.clone(), "missing `name`".to_owned()))?;
            let http_status = entry
                .get("httpStatus")
                .and_then(Value::as_u64)
                .and_then(|status| u16::try_from(status).ok())
                .ok_or_else(|| {
                    (
                        pointer.clone(),
                        "missing HTTP status `httpStatus`".to_owned(),
                    )
                })?;
            let message =
                text("message").ok_or_else(|| (pointer.clone(), "missing `message`".to_owned()))?;
            let source = text("source")
                .as_deref()
                .and_then(ErrorCodeSource::parse)
                .ok_or_else(|| {
                    (
                        format!("{pointer}/source"),
                        "`source` is `vlens-docs`, `project` or `observed`".to_owned(),
                    )
                })?;
            let message_documented = match text("messageSource").as_deref() {
                None => source == ErrorCodeSource::VlensDocs,
                Some("vlens-docs") => true,
                Some(_) => {
                    return Err((
                        format!("{pointer}/messageSource"),
                        "`messageSource` is `vlens-docs` when set".to_owned(),
                    ));
                }
            };
            let observed = match (source, entry.get("observed")) {
                (ErrorCodeSource::Observed, Some(observed)) => {
                    let field = |key: &str| {
                        observed
                            .get(key)
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                            .ok_or_else(|| {
                                (
                                    format!("{pointer}/observed"),
                                    format!("`observed` needs `{key}`"),
                                )
                            })
                    };
                    Some(Observation {
                        target: field("target")?,
                        date: field("date")?,
                    })
                }
                (ErrorCodeSource::Observed, None) => {
                    return Err((
                        pointer.clone(),
                        "`source: observed` needs `observed: {target, date}`".to_owned(),
                    ));
                }
                (_, Some(_)) => {
                    return Err((
                        format!("{pointer}/observed"),
                        "`observed` goes with `source: observed`".to_owned(),
                    ));
                }
                (_, None) => None,
            };
            Ok(ErrorCodeSpec {
                code,
                name,
                http_status,
                message,
                source,
                message_documented,
                observed,
            })
        })
        .collect()
}

/// An operation's `x-vlens-messages`: `[{channel: sms|email, to: /pointer | caller}]`.
fn parse_messages(operation: &Value, pointer: &str) -> Result<Vec<MessageSpec>, Problem> {
    let Some(list) = operation.get("x-vlens-messages") else {
        return Ok(Vec::new());
    };
    let pointer = format!("{pointer}/x-vlens-messages");
    let Some(list) = list.as_array() else {
        return Err((pointer, "not a list".to_owned()));
    };
    list.iter()
        .enumerate()
        .map(|(index, entry)| {
            let at = format!("{pointer}/{index}");
            let channel = match entry.get("channel").and_then(Value::as_str) {
                Some("sms") => MessageChannel::Sms,
                Some("email") => MessageChannel::Email,
                _ => return Err((at, "`channel` is `sms` or `email`".to_owned())),
            };
            let to = match entry.get("to").and_then(Value::as_str) {
                Some("caller") => Recipient::Caller,
                Some(body) if body.starts_with('/') => Recipient::Body(body.to_owned()),
                _ => {
                    return Err((
                        at,
                        "`to` is a JSON pointer into the request body or `caller`".to_owned(),
                    ));
                }
            };
            Ok(MessageSpec { channel, to })
        })
        .collect()
}

/// Escapes one JSON-pointer reference token.
pub(crate) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
