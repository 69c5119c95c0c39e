//! Running one case: fixtures, then each step — interpolate, send, check the reply in four
//! layers (status, schema, decode, expectations), snapshot, capture.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::path::Path;

use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::case::{
    Action, ApiKeyChoice, Body, Case, Check, Expect, Identity, Outcome, ProductRef, SpecKind, Step,
    TenantRef,
};
use crate::coverage::Coverage;
use crate::fixtures;
use crate::redact::Secrets;
use crate::snapshot::{SnapshotStore, normalize, normalize_text};
use crate::suite::LoadedCase;
use crate::target::{Target, TargetKind, TenantCredentials};
use crate::template::{Scope, value_text};
use crate::tnode::TNode;

/// What a case run needs besides the case.
#[derive(Debug)]
pub struct RunContext<'a> {
    /// The server.
    pub target: &'a Target,
    /// Where replies are counted.
    pub coverage: &'a Coverage,
    /// Where snapshots are.
    pub snapshots: &'a SnapshotStore,
}

/// How a case ended, with the secrets it met (for tests proving none leaked).
#[derive(Debug)]
pub struct CaseRun {
    /// `Err` holds the failure message, secrets already redacted.
    pub result: Result<(), String>,
    /// Every secret value the case registered.
    pub secrets: Secrets,
}

/// A reply as received. `Debug` shows its JSON with secrets masked, never the raw body.
#[derive(Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` essence, lower case.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
    /// The body as JSON, when it is JSON.
    pub json: Option<Value>,
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .field(
                "json",
                &self
                    .json
                    .as_ref()
                    .map(|json| Secrets::default().redact_json(json)),
            )
            .finish()
    }
}

/// One user the case made. `Debug` never shows the token.
#[derive(Clone)]
pub(crate) struct UserState {
    pub(crate) token: String,
    pub(crate) tenant: TenantRef,
}

impl fmt::Debug for UserState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserState")
            .field("token", &"[REDACTED]")
            .field("tenant", &self.tenant)
            .finish()
    }
}

/// The mutable state of one case run.
pub(crate) struct State<'a> {
    pub(crate) target: &'a Target,
    /// The case file as shown in messages (`file:line:column` of a broken expression).
    pub(crate) file: &'a str,
    pub(crate) vars: BTreeMap<String, Value>,
    pub(crate) secrets: Secrets,
    pub(crate) main: TenantCredentials,
    pub(crate) other: Option<TenantCredentials>,
    pub(crate) users: BTreeMap<String, UserState>,
    pub(crate) admin_token: Option<String>,
}

impl Scope for State<'_> {
    fn variable(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }
}

/// One check that did not hold. No `Debug`: it holds the offending value, which is shown only
/// through `describe_failure`'s redaction.
#[derive(Clone)]
struct Finding {
    layer: &'static str,
    pointer: String,
    message: String,
    value: Option<Value>,
}

impl Finding {
    fn new(layer: &'static str, pointer: &str, message: String) -> Finding {
        Finding {
            layer,
            pointer: pointer.to_owned(),
            message,
            value: None,
        }
    }
}

/// Held for the whole run of every case that [`runs_alone`]: on a target without the control
/// API, such cases share the one env-given user, so they take turns.
pub(crate) static SHARED_USER_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Whether a case must not run in parallel with other such cases: on a target without the
/// control API, every user fixture is the one env-given user (a login moves its reference
/// point, a request changes its eligibility and its lists).
pub fn runs_alone(case: &Case, target: &Target) -> bool {
    let uses_the_user = !case.fixtures.users.is_empty() || !case.fixtures.requests.is_empty();
    uses_the_user && !target.has_control_api()
}

/// Whether a case creates a business request, or calls Create for a business outcome
/// (success, NotEligible, InvalidFieldValue, ...): it needs an eligible user, and a success
/// leaves that user with a request that counts as pending.
pub fn calls_create(case: &Case) -> bool {
    !case.fixtures.requests.is_empty()
        || case.steps.iter().any(|step| {
            matches!(&step.action, Action::Call { spec: SpecKind::Vlens, operation }
                if operation == "create-business-request")
                && step.expect.status == 200
        })
}

/// Runs one case; never panics on anything the case or the server does.
pub async fn run_case(context: &RunContext<'_>, loaded: &LoadedCase) -> CaseRun {
    let _turn = if runs_alone(&loaded.case, context.target) {
        Some(SHARED_USER_TURN.lock().await)
    } else {
        None
    };
    let secrets = context.target.secrets.clone_for_case();
    let result = run(context, loaded, &secrets).await.map_err(|message| {
        let mut text = format!("case `{}` ({})\n", loaded.case.name, loaded.file);
        text.push_str(&message);
        secrets.redact(&text)
    });
    CaseRun { result, secrets }
}

async fn run(
    context: &RunContext<'_>,
    loaded: &LoadedCase,
    secrets: &Secrets,
) -> Result<(), String> {
    let case = &loaded.case;
    let mut state = State {
        target: context.target,
        file: &loaded.file,
        vars: BTreeMap::new(),
        secrets: secrets.clone(),
        main: context.target.main.clone(),
        other: context.target.other.clone(),
        users: BTreeMap::new(),
        admin_token: None,
    };
    fixtures::provide(&mut state, case)
        .await
        .map_err(|message| format!("fixtures could not be set up: {message}\n"))?;
    for (name, value) in &case.vars {
        let value = value
            .evaluate(&state)
            .map_err(|e| format!("{}:{}: vars.{name}: {}\n", loaded.file, e.at, e.message))?;
        state.vars.insert(name.clone(), value);
    }
    for (index, step) in case.steps.iter().enumerate() {
        run_step(context, loaded, &mut state, index, step).await?;
    }
    Ok(())
}

fn step_title(loaded: &LoadedCase, index: usize, step: &Step) -> String {
    let what = match &step.action {
        Action::Call { spec, operation } => match spec.spec().operation(operation) {
            Some(op) => format!("{operation}: {} {}", op.method, op.path),
            None => operation.clone(),
        },
        Action::Fetch { .. } => "fetch".to_owned(),
    };
    format!(
        "step {} `{}` ({what}) at {}:{}",
        index + 1,
        step.name,
        loaded.file,
        step.at
    )
}

async fn run_step(
    context: &RunContext<'_>,
    loaded: &LoadedCase,
    state: &mut State<'_>,
    index: usize,
    step: &Step,
) -> Result<(), String> {
    let title = step_title(loaded, index, step);
    let request = build_request(state, step)
        .map_err(|message| format!("{title} could not be sent: {message}\n"))?;
    let attempts = 1 + step.retry.map_or(0, |retry| retry.count);
    let mut last = None;
    for attempt in 0..attempts {
        if attempt > 0
            && let Some(retry) = step.retry
        {
            tokio::time::sleep(retry.interval).await;
        }
        let reply = send(state.target, &request)
            .await
            .map_err(|message| format!("{title}: no reply: {message}\n"))?;
        if let Some(json) = &reply.json {
            state.secrets.add_from_json(json);
        }
        record_coverage(context.coverage, &state.target.base_url, &request, &reply);
        let findings = check_reply(state, step, &request, &reply);
        let done = findings.is_empty();
        last = Some((reply, findings));
        if done {
            break;
        }
    }
    let Some((reply, mut findings)) = last else {
        return Err(format!("{title}: nothing was sent\n"));
    };
    if findings.is_empty()
        && let Some(name) = &step.snapshot
    {
        let content = snapshot_content(state, &reply);
        let description = format!("{} — step {} `{}`", loaded.case.name, index + 1, step.name);
        if let Err(message) =
            context
                .snapshots
                .check(name, Path::new(&loaded.file), &description, &content)
        {
            findings.push(Finding::new("snapshot", "", message));
        }
    }
    if findings.is_empty() {
        capture(state, step, &reply).map_err(|message| format!("{title}: {message}\n"))?;
        return Ok(());
    }
    Err(describe_failure(state, &title, &findings, &reply))
}

/// A request ready to send. `Debug` shows the URL without query values, header values only
/// for headers that carry no credentials, and the body's size, never its content.
#[derive(Clone)]
struct Request {
    /// The operation, for checks (none for `fetch`).
    operation: Option<(SpecKind, String)>,
    method: Method,
    url: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<(String, Vec<u8>)>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let credential = ["apikey", "authorization", "cookie"]
                    .contains(&name.to_ascii_lowercase().as_str())
                    || crate::redact::is_secret_key(name);
                if credential {
                    format!("{name}: [REDACTED]")
                } else {
                    format!("{name}: {value}")
                }
            })
            .collect();
        let query: Vec<String> = self
            .query
            .iter()
            .map(|(name, _)| format!("{name}=[…]"))
            .collect();
        f.debug_struct("Request")
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("url", &crate::redact::url_for_display(&self.url))
            .field("query", &query)
            .field("headers", &headers)
            .field(
                "body",
                &self
                    .body
                    .as_ref()
                    .map(|(content_type, body)| format!("{content_type}, {} bytes", body.len())),
            )
            .finish()
    }
}

fn evaluate(state: &State<'_>, node: &TNode) -> Result<Value, String> {
    node.evaluate(state)
        .map_err(|e| format!("{}:{}: {}", state.file, e.at, e.message))
}

fn evaluate_text(state: &State<'_>, node: &TNode) -> Result<String, String> {
    evaluate(state, node).map(|value| value_text(&value))
}

fn build_request(state: &State<'_>, step: &Step) -> Result<Request, String> {
    let (spec_kind, operation_id) = match &step.action {
        Action::Fetch { url } => {
            let url = evaluate_text(state, url)?;
            state.secrets.add_security_hashes(&url);
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "`fetch` needs an absolute http(s) URL, got `{}`",
                    crate::redact::url_for_display(&url)
                ));
            }
            let mut headers = Vec::new();
            for (name, node) in &step.headers {
                let value = evaluate_text(state, node)?;
                if name.eq_ignore_ascii_case("ApiKey") {
                    state.secrets.add(&value, "api-key");
                }
                headers.push((name.clone(), value));
            }
            return Ok(Request {
                operation: None,
                method: Method::GET,
                url,
                query: Vec::new(),
                headers,
                body: None,
            });
        }
        Action::Call { spec, operation } => (*spec, operation.as_str()),
    };
    let spec = spec_kind.spec();
    let op = spec
        .operation(operation_id)
        .ok_or_else(|| format!("unknown operation `{operation_id}`"))?;
    let mut path_values = BTreeMap::new();
    for (name, node) in &step.path {
        let value = evaluate(state, node)?;
        if !step.invalid
            && let Err(violations) = spec.validate_parameter(operation_id, name, &value)
        {
            return Err(format!(
                "path parameter `{name}` does not fit the spec: {}",
                violations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        path_values.insert(name.clone(), value_text(&value));
    }
    let path = op
        .render_path(|name| path_values.get(name).map(String::as_str))
        .map_err(|missing| format!("path parameter `{missing}` has no value"))?;
    let mut query = Vec::new();
    for (name, node) in &step.query {
        let value = evaluate_text(state, node)?;
        if name.eq_ignore_ascii_case("SecurityHash") {
            state.secrets.add(&value, "security-hash");
        }
        query.push((name.clone(), value));
    }
    let mut headers = Vec::new();
    let (identity_tenant, bearer) = identity(state, step, operation_id, spec_kind)?;
    let api_key = match &step.api_key {
        ApiKeyChoice::Default => Some(
            tenant(state, identity_tenant)?
                .api_key
                .expose_secret()
                .to_owned(),
        ),
        ApiKeyChoice::Absent => None,
        ApiKeyChoice::Wrong => Some(format!("wrong-api-key-{}", uuid::Uuid::new_v4().simple())),
        ApiKeyChoice::OtherTenant => Some(
            tenant(state, TenantRef::Other)?
                .api_key
                .expose_secret()
                .to_owned(),
        ),
        ApiKeyChoice::Value(node) => Some(evaluate_text(state, node)?),
    };
    if let Some(key) = api_key {
        state.secrets.add(&key, "api-key");
        headers.push(("ApiKey".to_owned(), key));
    }
    if let Some(token) = bearer {
        state.secrets.add(&token, "token");
        headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
    }
    for (name, node) in &step.headers {
        let value = evaluate_text(state, node)?;
        headers.retain(|(known, _)| !known.eq_ignore_ascii_case(name));
        headers.push((name.clone(), value));
    }
    let content_type = step
        .content_type
        .clone()
        .unwrap_or_else(|| "application/json".to_owned());
    let body = match &step.body {
        None => None,
        Some(Body::Json(node)) => {
            let value = evaluate(state, node)?;
            if !step.invalid
                && let Err(violations) = spec.validate_request_body(operation_id, &value)
            {
                return Err(format!(
                    "the body does not fit `{operation_id}`'s request schema: {} (add \
                     `invalid: true` if that is the point)",
                    violations
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
            Some((content_type, value.to_string().into_bytes()))
        }
        Some(Body::Raw(node)) => Some((content_type, evaluate_text(state, node)?.into_bytes())),
    };
    let method_name = step
        .method
        .as_deref()
        .unwrap_or(&op.method)
        .to_ascii_uppercase();
    let method = Method::from_bytes(method_name.as_bytes())
        .map_err(|_| format!("`{method_name}` is not an HTTP method"))?;
    Ok(Request {
        operation: Some((spec_kind, operation_id.to_owned())),
        method,
        url: format!("{}{path}", state.target.base_url),
        query,
        headers,
        body,
    })
}

pub(crate) fn tenant<'s>(
    state: &'s State<'_>,
    which: TenantRef,
) -> Result<&'s TenantCredentials, String> {
    match which {
        TenantRef::Main => Ok(&state.main),
        TenantRef::Other => state
            .other
            .as_ref()
            .ok_or_else(|| "the target has no second tenant".to_owned()),
    }
}

/// The tenant whose ApiKey goes by default, and the bearer token.
fn identity(
    state: &State<'_>,
    step: &Step,
    operation_id: &str,
    spec: SpecKind,
) -> Result<(TenantRef, Option<String>), String> {
    let resolved = match &step.identity {
        Identity::Default => default_identity(state, operation_id, spec),
        other => other.clone(),
    };
    match resolved {
        Identity::Default | Identity::Nobody => Ok((TenantRef::Main, None)),
        Identity::Admin => state
            .admin_token
            .clone()
            .map(|token| (TenantRef::Main, Some(token)))
            .ok_or_else(|| "no admin token (the admin fixture failed)".to_owned()),
        Identity::User(name) => state
            .users
            .get(&name)
            .map(|user| (user.tenant, Some(user.token.clone())))
            .ok_or_else(|| format!("no user fixture `{name}`")),
        Identity::Token(node) => Ok((TenantRef::Main, Some(evaluate_text(state, &node)?))),
    }
}

/// The operation's kind of token: the user called `user` (or the only user) for user
/// operations, the admin for admin operations, none otherwise.
fn default_identity(state: &State<'_>, operation_id: &str, spec: SpecKind) -> Identity {
    if spec == SpecKind::Control {
        return Identity::Nobody;
    }
    let token = vlens_openapi::vlens()
        .operation(operation_id)
        .and_then(|op| op.token.clone());
    match token.as_deref() {
        Some("admin") => Identity::Admin,
        Some("user" | "user-or-admin" | "user-optional") => {
            if state.users.contains_key("user") {
                Identity::User("user".to_owned())
            } else if state.users.len() == 1 {
                state
                    .users
                    .keys()
                    .next()
                    .map_or(Identity::Nobody, |name| Identity::User(name.clone()))
            } else {
                Identity::Nobody
            }
        }
        _ => Identity::Nobody,
    }
}

async fn send(target: &Target, request: &Request) -> Result<Reply, String> {
    let mut builder = target.http.request(request.method.clone(), &request.url);
    if !request.query.is_empty() {
        builder = builder.query(&request.query);
    }
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if let Some((content_type, body)) = &request.body {
        builder = builder
            .header("Content-Type", content_type.as_str())
            .body(body.clone());
    }
    let response = builder.send().await.map_err(transport_error)?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or(value)
                .trim()
                .to_ascii_lowercase()
        });
    let body = response.bytes().await.map_err(transport_error)?.to_vec();
    let looks_json = content_type
        .as_deref()
        .is_some_and(|ct| ct.contains("json"))
        || body.first().is_some_and(|b| *b == b'{' || *b == b'[');
    let json = if looks_json {
        serde_json::from_slice(&body).ok()
    } else {
        None
    };
    Ok(Reply {
        status,
        content_type,
        body,
        json,
    })
}

/// A transport error and its causes, without the URL: reqwest's message names it, query
/// included (a signing link's SecurityHash).
fn transport_error(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

/// Counts a reply: an operation's under it; a fetched URL's under the Vlens operation whose
/// path it has, or, on the target but on no operation's route, under "no operation" (so a
/// `NotFound` a case expects through `fetch` counts as seen, as the static check counts it).
fn record_coverage(coverage: &Coverage, base_url: &str, request: &Request, reply: &Reply) {
    let code = reply
        .json
        .as_ref()
        .and_then(|json| json.get("error_code"))
        .and_then(Value::as_i64);
    match &request.operation {
        Some((SpecKind::Vlens, operation)) => coverage.record(operation, reply.status, code),
        Some((SpecKind::Control, _)) => {}
        None => match fetched_route(base_url, &request.url) {
            FetchedRoute::Vlens(operation) => coverage.record(operation, reply.status, code),
            FetchedRoute::NoOperation => coverage.record_outside_operations(reply.status, code),
            FetchedRoute::Control | FetchedRoute::Elsewhere => {}
        },
    }
}

/// Where a fetched URL leads, for coverage.
#[derive(Debug, PartialEq, Eq)]
enum FetchedRoute {
    /// The path of this Vlens operation (a GET).
    Vlens(&'static str),
    /// A route of the sandbox control API (the signing page, the contract PDF).
    Control,
    /// The target, on a route no operation of either spec owns.
    NoOperation,
    /// Another host.
    Elsewhere,
}

fn fetched_route(base_url: &str, url: &str) -> FetchedRoute {
    let Some(path) = url
        .strip_prefix(base_url)
        .filter(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
    else {
        return FetchedRoute::Elsewhere;
    };
    if let Some(operation) = vlens_openapi::vlens().find_operation("GET", path) {
        FetchedRoute::Vlens(operation.id.as_str())
    } else if vlens_openapi::sandbox_control()
        .find_operation("GET", path)
        .is_some()
    {
        FetchedRoute::Control
    } else {
        FetchedRoute::NoOperation
    }
}

/// The four layers: status, schema, decode, expectations.
fn check_reply(state: &State<'_>, step: &Step, request: &Request, reply: &Reply) -> Vec<Finding> {
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
            // A fetched URL the control spec describes (the contract PDF, the signing page) is
            // still checked against it.
            let path = request
                .url
                .strip_prefix(&state.target.base_url)
                .unwrap_or(&request.url);
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
    expectation_layer(state, expect, reply, &mut findings);
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

fn expectation_layer(
    state: &State<'_>,
    expect: &Expect,
    reply: &Reply,
    findings: &mut Vec<Finding>,
) {
    let code = reply
        .json
        .as_ref()
        .and_then(|json| json.get("error_code"))
        .cloned()
        .unwrap_or(Value::Null);
    let spec = vlens_openapi::vlens();
    let describe = |code: &Value| match code
        .as_i64()
        .and_then(|n| spec.error_codes().iter().find(|c| c.code == n))
    {
        Some(known) => format!("{code} ({})", known.name),
        None => code.to_string(),
    };
    match &expect.outcome {
        Outcome::Success => {
            let success = code.is_null() || code.as_i64() == Some(0);
            if reply.json.is_none() {
                findings.push(Finding::new(
                    "expectation",
                    "",
                    "expected a JSON envelope".to_owned(),
                ));
            } else if !success {
                let message = reply
                    .json
                    .as_ref()
                    .and_then(|json| json.get("error_message"))
                    .map(value_text)
                    .unwrap_or_default();
                findings.push(Finding::new(
                    "expectation",
                    "/error_code",
                    format!(
                        "expected success, got error_code {} \"{message}\"",
                        describe(&code)
                    ),
                ));
            }
        }
        Outcome::Error { name, code: wanted } => {
            if code.as_i64() != Some(*wanted) {
                findings.push(Finding::new(
                    "expectation",
                    "/error_code",
                    format!(
                        "expected error_code {wanted} ({name}), got {}",
                        describe(&code)
                    ),
                ));
            }
        }
        Outcome::Any => {}
    }
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
            (Check::Equals(node), Some(actual)) => match node.evaluate(state) {
                Ok(expected) if numbers_equal(&expected, actual) => None,
                // A value derived from a secret (a wrong code made from the real one) would
                // reveal it: at a secret-named member the expected value is not shown.
                Ok(_) if crate::redact::is_secret_pointer(&check.pointer) => {
                    Some("expected another value (not shown: a secret member)".to_owned())
                }
                Ok(expected) => Some(format!("expected {}", state.secrets.redact_json(&expected))),
                Err(error) => Some(format!(
                    "the expected value ({}:{}): {}",
                    state.file, error.at, error.message
                )),
            },
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
                layer: "expectation",
                pointer: check.pointer.clone(),
                message: format!("{message} (case line {})", check.at),
                value: actual.cloned(),
            });
        }
    }
    if let Some(wanted) = &expect.content_type
        && reply.content_type.as_deref() != Some(wanted.to_ascii_lowercase().as_str())
    {
        findings.push(Finding::new(
            "expectation",
            "",
            format!(
                "expected Content-Type {wanted}, got {}",
                reply.content_type.as_deref().unwrap_or("none")
            ),
        ));
    }
    if expect.pdf && !reply.body.starts_with(b"%PDF-") {
        findings.push(Finding::new(
            "expectation",
            "",
            "expected a PDF (the body does not start with %PDF-)".to_owned(),
        ));
    }
    if let Some(node) = &expect.body_contains {
        match node.evaluate(state) {
            Ok(wanted) => {
                let wanted = value_text(&wanted);
                if !String::from_utf8_lossy(&reply.body).contains(&wanted) {
                    findings.push(Finding::new(
                        "expectation",
                        "",
                        format!("expected the body to contain `{wanted}`"),
                    ));
                }
            }
            Err(error) => findings.push(Finding::new(
                "expectation",
                "",
                format!(
                    "`body_contains` ({}:{}): {}",
                    state.file, error.at, error.message
                ),
            )),
        }
    }
}

/// JSON equality where `1` and `1.0` are the same number.
fn numbers_equal(expected: &Value, actual: &Value) -> bool {
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

fn capture(state: &mut State<'_>, step: &Step, reply: &Reply) -> Result<(), String> {
    for capture in &step.captures {
        let value = reply
            .json
            .as_ref()
            .and_then(|json| json.pointer(&capture.pointer))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "capture `{}`: the reply has nothing at `{}`",
                    capture.name, capture.pointer
                )
            })?;
        if capture.secret
            && let Some(text) = value.as_str()
        {
            state.secrets.add(text, "secret");
        }
        state.vars.insert(capture.name.clone(), value);
    }
    Ok(())
}

fn snapshot_content(state: &State<'_>, reply: &Reply) -> String {
    let base = &state.target.base_url;
    let body = match &reply.json {
        Some(json) => {
            let normalized = normalize(json, base, &state.secrets);
            serde_json::to_string_pretty(&normalized).unwrap_or_default()
        }
        None => normalize_text(&String::from_utf8_lossy(&reply.body), base, &state.secrets),
    };
    format!(
        "status: {}\ncontent-type: {}\n\n{body}",
        reply.status,
        reply.content_type.as_deref().unwrap_or("none")
    )
}

const SHOWN_REPLY_LIMIT: usize = 1500;

fn describe_failure(state: &State<'_>, title: &str, findings: &[Finding], reply: &Reply) -> String {
    let mut out = format!("{title} failed:\n");
    for finding in findings {
        let at = if finding.pointer.is_empty() {
            "(root)"
        } else {
            &finding.pointer
        };
        let _ = writeln!(out, "  [{}] at `{at}`: {}", finding.layer, finding.message);
        if let Some(value) = &finding.value {
            let _ = writeln!(
                out,
                "      value: {}",
                truncate(&state.secrets.redact_json(value), 300)
            );
        }
    }
    let shown = match &reply.json {
        Some(json) => state.secrets.redact_json(json),
        None if reply.body.starts_with(b"%PDF-") => format!("<PDF, {} bytes>", reply.body.len()),
        None => state.secrets.redact(&String::from_utf8_lossy(&reply.body)),
    };
    let _ = writeln!(
        out,
        "  reply: HTTP {} {}: {}",
        reply.status,
        reply.content_type.as_deref().unwrap_or("(no content type)"),
        truncate(&shown, SHOWN_REPLY_LIMIT)
    );
    out
}

fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let cut: String = text.chars().take(limit).collect();
    format!("{cut}… ({} characters in all)", text.chars().count())
}

/// Why a case cannot run on this target, if it cannot.
pub fn unavailable(case: &Case, target: &Target) -> Option<String> {
    let mut missing = Vec::new();
    if target.main.api_key.expose_secret().is_empty() {
        missing.push(format!("an ApiKey ({})", crate::target::env::API_KEY));
    }
    let uses = fixtures::variable_uses(case);
    let needs_admin = case.fixtures.admin
        || uses.contains("admin")
        || case
            .steps
            .iter()
            .any(|step| step.identity == Identity::Admin);
    let needs_other = uses.contains("other_tenant")
        || case
            .fixtures
            .users
            .iter()
            .any(|u| u.tenant == TenantRef::Other)
        || case
            .steps
            .iter()
            .any(|step| step.api_key == ApiKeyChoice::OtherTenant);
    if needs_other && target.other.is_none() {
        missing.push(format!(
            "a second tenant ({})",
            crate::target::env::OTHER_API_KEY
        ));
    }
    if needs_admin && (target.main.admin_user.is_none() || target.main.admin_password.is_none()) {
        missing.push(format!(
            "admin credentials ({}, {})",
            crate::target::env::ADMIN_USER,
            crate::target::env::ADMIN_PASSWORD
        ));
    }
    for request in &case.fixtures.requests {
        let product = match request.product {
            ProductRef::AutoApproved => target.products.auto_approved,
            ProductRef::NeedsApproval => target.products.needs_approval,
            ProductRef::Id(id) => Some(id),
        };
        if product.is_none() {
            missing.push(format!(
                "a product id ({} / {})",
                crate::target::env::PRODUCT_AUTO_APPROVED,
                crate::target::env::PRODUCT_NEEDS_APPROVAL
            ));
        }
    }
    if target.kind == TargetKind::Remote {
        let control: Vec<&str> = case
            .steps
            .iter()
            .filter_map(|step| match &step.action {
                Action::Call {
                    spec: SpecKind::Control,
                    operation,
                } => Some(operation.as_str()),
                _ => None,
            })
            .collect();
        if !control.is_empty() {
            missing.push(format!("the sandbox control API ({})", control.join(", ")));
        }
        if case.fixtures.isolated_tenant {
            missing.push("an isolated tenant (sandbox control API)".to_owned());
        }
        let users = &case.fixtures.users;
        if users.len() > 1
            || users
                .iter()
                .any(|u| !u.verified || u.email.is_some() || u.password)
        {
            missing.push("fresh users of a given kind (sandbox control API)".to_owned());
        } else if users.len() == 1 && target.remote_user.is_none() {
            missing.push(format!(
                "a KYC-verified test user ({}, {}, {})",
                crate::target::env::USER_PHONE,
                crate::target::env::USER_PASSWORD,
                crate::target::env::USER_IMEI
            ));
        }
        if case.fixtures.requests.iter().any(|r| r.status.is_some()) {
            missing.push("setting a request's status (sandbox control API)".to_owned());
        }
        if calls_create(case) {
            missing.push(
                "a fresh eligible user for Create (every case shares the env-given user, whose \
                 first request keeps it ineligible; fresh users need the sandbox control API)"
                    .to_owned(),
            );
        }
    }
    missing.dedup();
    (!missing.is_empty()).then(|| format!("the target cannot provide {}", missing.join("; ")))
}

/// JSON for a request fixture's creation (used by `fixtures`).
pub(crate) fn geo_now(location: &Value) -> Value {
    json!({
        "geoLocation": location,
        "userDeviceUtcTime": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

/// Sends a fixture call (no checks beyond the envelope) and returns `data`.
pub(crate) async fn fixture_call(
    state: &State<'_>,
    method: Method,
    path: &str,
    api_key: &str,
    bearer: Option<&str>,
    extra_headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Result<Value, String> {
    let mut headers = vec![("ApiKey".to_owned(), api_key.to_owned())];
    if let Some(token) = bearer {
        headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
    }
    headers.extend(
        extra_headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let (path, query) = match path.split_once('?') {
        Some((path, query)) => (
            path,
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        ),
        None => (path, Vec::new()),
    };
    let request = Request {
        operation: None,
        method,
        url: format!("{}{path}", state.target.base_url),
        query,
        headers,
        body: body.map(|body| ("application/json".to_owned(), body.to_string().into_bytes())),
    };
    let reply = send(state.target, &request).await?;
    let Some(json) = reply.json else {
        return Err(format!(
            "{path}: HTTP {} without a JSON envelope",
            reply.status
        ));
    };
    state.secrets.add_from_json(&json);
    let code = json.get("error_code").cloned().unwrap_or(Value::Null);
    if !(200..300).contains(&reply.status) || !(code.is_null() || code.as_i64() == Some(0)) {
        let message = json
            .get("error_message")
            .map(value_text)
            .unwrap_or_default();
        return Err(format!(
            "{path}: HTTP {}, error_code {code}: {message}; {}",
            reply.status,
            json.get("error_descriptions")
                .map(|d| d.to_string())
                .unwrap_or_default()
        ));
    }
    Ok(json.get("data").cloned().unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_requests_users_and_replies_shows_no_secret() {
        let request = Request {
            operation: Some((SpecKind::Vlens, "view-contract-pdf".to_owned())),
            method: Method::GET,
            url: "http://h/x.pdf?SecurityHash=hash-canary".to_owned(),
            query: vec![("SecurityHash".to_owned(), "query-canary".to_owned())],
            headers: vec![
                ("ApiKey".to_owned(), "key-canary".to_owned()),
                ("Authorization".to_owned(), "Bearer token-canary".to_owned()),
                ("X-Trace".to_owned(), "shown".to_owned()),
            ],
            body: Some((
                "application/json".to_owned(),
                br#"{"password":"body-canary"}"#.to_vec(),
            )),
        };
        let shown = format!("{request:?}");
        assert!(!shown.contains("canary"), "{shown}");
        assert!(
            shown.contains("X-Trace: shown") && shown.contains("26 bytes"),
            "{shown}"
        );
        let user = UserState {
            token: "user-token-canary".to_owned(),
            tenant: TenantRef::Main,
        };
        let shown = format!("{user:?}");
        assert!(
            !shown.contains("canary") && shown.contains("Main"),
            "{shown}"
        );
        let body = br#"{"data":{"accessToken":"reply-canary","link":"http://h/s?SecurityHash=hash-canary"}}"#;
        let reply = Reply {
            status: 200,
            content_type: Some("application/json".to_owned()),
            body: body.to_vec(),
            json: serde_json::from_slice(body).ok(),
        };
        let shown = format!("{reply:?}");
        assert!(
            !shown.contains("canary") && shown.contains("200"),
            "{shown}"
        );
    }

    fn loaded(trial: &str, yaml: &str) -> LoadedCase {
        let node = crate::yaml::parse(yaml).unwrap();
        LoadedCase {
            file: format!("{trial}.yaml"),
            trial: trial.to_owned(),
            case: crate::case::read_case(&node).unwrap(),
        }
    }

    const WITH_USER: &str =
        "name: a user\nfixtures: {users: {user: {}}}\nsteps:\n  - operation: check-eligibility\n";
    const WITH_REQUEST: &str = "name: a request\nfixtures: {users: {user: {}}, requests: {loan: {owner: user}}}\nsteps:\n  - operation: check-eligibility\n";
    const NO_FIXTURES: &str =
        "name: no fixtures\nsteps:\n  - operation: get-all-request-types\n    as: nobody\n";
    const CREATES: &str = "name: a create\nfixtures: {users: {user: {}}}\nsteps:\n  - operation: create-business-request\n    path: {typeId: 414}\n    body: {geoLocation: \"${user.location}\", requestFieldsValues: {}}\n    expect: {error: InvalidFieldValue}\n";
    const CREATE_WITHOUT_KEY: &str = "name: a create without key\nfixtures: {users: {user: {}}}\nsteps:\n  - operation: create-business-request\n    api_key: none\n    path: {typeId: 414}\n    body: {geoLocation: \"${user.location}\", requestFieldsValues: {}}\n    expect: {error: Unauthorized}\n";

    /// A target without the control API (nothing listens on port 1), with a staging user and
    /// products from its env.
    async fn staging() -> Target {
        let settings = crate::target::Settings::default()
            .with(crate::target::env::API_KEY, "k")
            .with(crate::target::env::USER_PHONE, "+201000000000")
            .with(crate::target::env::USER_PASSWORD, "p")
            .with(crate::target::env::USER_IMEI, "i")
            .with(crate::target::env::PRODUCT_AUTO_APPROVED, "414")
            .with(crate::target::env::PRODUCT_NEEDS_APPROVAL, "415");
        let target = Target::at("http://127.0.0.1:1", &settings).await.unwrap();
        assert!(!target.has_control_api());
        target
    }

    #[tokio::test]
    async fn on_staging_cases_with_the_user_run_alone_and_create_is_ignored() {
        let staging = staging().await;
        let sandbox = Target::embedded().await.unwrap();
        let [
            with_user,
            with_request,
            no_fixtures,
            creates,
            create_without_key,
        ] = [
            WITH_USER,
            WITH_REQUEST,
            NO_FIXTURES,
            CREATES,
            CREATE_WITHOUT_KEY,
        ]
        .map(|yaml| loaded("t", yaml).case);
        // Scheduling: only cases holding the shared user take turns, and only there.
        assert!(runs_alone(&with_user, &staging));
        assert!(runs_alone(&with_request, &staging));
        assert!(!runs_alone(&no_fixtures, &staging));
        for case in [&with_user, &with_request, &no_fixtures] {
            assert!(!runs_alone(case, &sandbox));
        }
        // Ignoring: Create for a business outcome needs a fresh eligible user.
        assert_eq!(unavailable(&with_user, &staging), None);
        assert_eq!(unavailable(&create_without_key, &staging), None);
        for case in [&with_request, &creates] {
            let reason = unavailable(case, &staging).unwrap_or_default();
            assert!(
                reason.contains("a fresh eligible user for Create"),
                "{reason}"
            );
            assert_eq!(unavailable(case, &sandbox), None);
        }
    }

    #[tokio::test]
    async fn cases_that_run_alone_wait_for_their_turn() {
        let staging = staging().await;
        let coverage = Coverage::default();
        let snapshots = SnapshotStore {
            dir: std::env::temp_dir(),
        };
        let context = RunContext {
            target: &staging,
            coverage: &coverage,
            snapshots: &snapshots,
        };
        let with_user = loaded("with_user", WITH_USER);
        let no_fixtures = loaded("no_fixtures", NO_FIXTURES);
        let patience = std::time::Duration::from_millis(300);
        let held = SHARED_USER_TURN.lock().await;
        // Nothing listens on port 1, so each run fails at once — when it runs at all.
        let waited = tokio::time::timeout(patience, run_case(&context, &with_user)).await;
        assert!(waited.is_err(), "ran while another case had the user");
        let other = tokio::time::timeout(patience, run_case(&context, &no_fixtures)).await;
        assert!(other.is_ok(), "a case without the user does not wait");
        drop(held);
        let ran = tokio::time::timeout(10 * patience, run_case(&context, &with_user)).await;
        assert!(ran.is_ok_and(|run| run.result.is_err()));
    }

    #[test]
    fn fetched_urls_are_attributed_to_the_route_they_reach() {
        let base = "http://127.0.0.1:5555";
        assert_eq!(
            fetched_route(base, &format!("{base}/api/BusinessRequest/NoSuchOperation")),
            FetchedRoute::NoOperation
        );
        assert_eq!(
            fetched_route(
                base,
                &format!("{base}/api/BusinessRequest/GetAllRequestTypes")
            ),
            FetchedRoute::Vlens("get-all-request-types")
        );
        assert_eq!(
            fetched_route(base, &format!("{base}/__sandbox/health")),
            FetchedRoute::Control
        );
        assert_eq!(
            fetched_route(base, "https://elsewhere.example/api/x"),
            FetchedRoute::Elsewhere
        );
        assert_eq!(
            fetched_route(base, &format!("{base}5/api/x")),
            FetchedRoute::Elsewhere,
            "another port is another host"
        );
    }
}
