//! Building the request an HTTP step sends: its values interpolated, checked against the spec
//! again, its ApiKey and token chosen, and — on a shared target — its recipients checked
//! against the test range before anything leaves.

use std::collections::BTreeMap;

use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::Value;
use vlens_openapi::{MessageChannel, Recipient};

use crate::case::{Action, ApiKeyChoice, Body, HttpStep, Identity, SpecKind, TenantRef};
use crate::http::Request;
use crate::run::state::State;
use crate::template::value_text;

/// The largest request body a step sends (a PayloadTooLarge case sends about 7 MB).
pub const MAX_REQUEST_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The request of an HTTP step, or why it cannot be sent.
pub(crate) fn build(state: &State<'_>, step: &HttpStep) -> Result<Request, String> {
    let (spec_kind, operation_id) = match &step.action {
        Action::Fetch { url } => return fetch(state, step, url),
        Action::Call {
            spec, operation, ..
        } => (*spec, operation.as_str()),
    };
    let spec = spec_kind.spec();
    let op = spec
        .operation(operation_id)
        .ok_or_else(|| format!("unknown operation `{operation_id}`"))?;
    let mut path_values = BTreeMap::new();
    for (name, node) in &step.path {
        let value = state.evaluate(node)?;
        if !step.invalid
            && let Err(violations) = spec.validate_parameter(operation_id, name, &value)
        {
            return Err(format!(
                "path parameter `{name}` does not fit the spec: {}",
                join(&violations)
            ));
        }
        path_values.insert(name.clone(), value_text(&value));
    }
    let path = op
        .render_path(|name| path_values.get(name).map(String::as_str))
        .map_err(|missing| format!("path parameter `{missing}` has no value"))?;
    let mut query = Vec::new();
    for (name, node) in &step.query {
        let value = state.evaluate_text(node)?;
        if name.eq_ignore_ascii_case("SecurityHash") {
            state.secrets.add(&value, "security-hash");
        }
        query.push((name.clone(), value));
    }
    let mut headers = Vec::new();
    let (identity_tenant, bearer) = identity(state, step, operation_id, spec_kind)?;
    let api_key = match &step.api_key {
        ApiKeyChoice::Default => Some(
            state
                .tenant(identity_tenant)?
                .api_key
                .expose_secret()
                .to_owned(),
        ),
        ApiKeyChoice::Absent => None,
        ApiKeyChoice::Wrong => Some(format!("wrong-api-key-{}", uuid::Uuid::new_v4().simple())),
        ApiKeyChoice::OtherTenant => Some(
            state
                .tenant(TenantRef::Other)?
                .api_key
                .expose_secret()
                .to_owned(),
        ),
        ApiKeyChoice::Value(node) => Some(state.evaluate_text(node)?),
    };
    if let Some(key) = api_key {
        state.secrets.add(&key, "api-key");
        headers.push(("ApiKey".to_owned(), key));
    }
    if let Some(token) = &bearer {
        state.secrets.add(token, "token");
        headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
    }
    for (name, node) in &step.headers {
        let value = state.evaluate_text(node)?;
        headers.retain(|(known, _)| !known.eq_ignore_ascii_case(name));
        headers.push((name.clone(), value));
    }
    let content_type = step
        .content_type
        .clone()
        .unwrap_or_else(|| "application/json".to_owned());
    let mut json_body = None;
    let body = match &step.body {
        None => None,
        Some(Body::Json(node)) => {
            let value = state.evaluate(node)?;
            if !step.invalid
                && let Err(violations) = spec.validate_request_body(operation_id, &value)
            {
                return Err(format!(
                    "the body does not fit `{operation_id}`'s request schema: {} (add \
                     `invalid: true` if that is the point)",
                    join(&violations)
                ));
            }
            let bytes = value.to_string().into_bytes();
            if bytes.len() > MAX_REQUEST_BODY_BYTES {
                return Err(format!(
                    "the body is {} bytes, over the limit of {MAX_REQUEST_BODY_BYTES}",
                    bytes.len()
                ));
            }
            json_body = Some(value);
            Some((content_type, bytes))
        }
        Some(Body::Raw(node)) => Some((content_type, state.evaluate_text(node)?.into_bytes())),
    };
    if spec_kind == SpecKind::Vlens {
        guard_recipients(state, op, json_body.as_ref(), bearer.as_deref())?;
    }
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

fn join(violations: &[vlens_openapi::Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A `fetch`: a GET of a URL from a reply, without ApiKey or token.
fn fetch(
    state: &State<'_>,
    step: &HttpStep,
    url: &crate::template::TNode,
) -> Result<Request, String> {
    let url = state.evaluate_text(url)?;
    state.secrets.add_security_hashes(&url);
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!(
            "`fetch` needs an absolute http(s) URL, got `{}`",
            crate::redact::url_for_display(&url)
        ));
    }
    if !state.target.may_fetch(&url) {
        return Err(format!(
            "`fetch` of `{}` refused: it is outside the target's origin (and the profile's \
             `fetch_origins`)",
            crate::redact::url_for_display(&url)
        ));
    }
    let mut headers = Vec::new();
    for (name, node) in &step.headers {
        let value = state.evaluate_text(node)?;
        if name.eq_ignore_ascii_case("ApiKey") {
            state.secrets.add(&value, "api-key");
        }
        headers.push((name.clone(), value));
    }
    Ok(Request {
        operation: None,
        method: Method::GET,
        url,
        query: Vec::new(),
        headers,
        body: None,
    })
}

/// On a shared target, refuses a request whose message would reach someone outside the test
/// range — the last line of defence behind the plan, for recipients known only at run time.
fn guard_recipients(
    state: &State<'_>,
    op: &vlens_openapi::Operation,
    body: Option<&Value>,
    bearer: Option<&str>,
) -> Result<(), String> {
    let Some(range) = &state.target.recipients else {
        return Ok(());
    };
    for message in &op.messages {
        let recipient = match &message.to {
            Recipient::Body(pointer) => match body.and_then(|body| body.pointer(pointer)) {
                None | Some(Value::Null) => continue,
                Some(value) => value_text(value),
            },
            Recipient::Caller => {
                let Some(token) = bearer else { continue };
                match state.user_with_token(token) {
                    Some(user) => match message.channel {
                        MessageChannel::Sms => user.phone.clone(),
                        MessageChannel::Email => user.email.clone().unwrap_or_default(),
                    },
                    None => {
                        return Err(format!(
                            "refused before sending: `{}` sends an {} to the token's user, who \
                             is not a user of this case, so the test range cannot be checked",
                            op.id, message.channel
                        ));
                    }
                }
            }
        };
        let allowed = match message.channel {
            MessageChannel::Sms => range.allows_phone(&recipient),
            MessageChannel::Email => range.allows_email(&recipient),
        };
        if !allowed {
            return Err(format!(
                "refused before sending: `{}` would send an {} to `{recipient}`, outside the \
                 test range of {}",
                op.id, message.channel, state.target.described_by
            ));
        }
    }
    Ok(())
}

/// The tenant whose ApiKey goes by default, and the bearer token.
fn identity(
    state: &State<'_>,
    step: &HttpStep,
    operation_id: &str,
    spec: SpecKind,
) -> Result<(TenantRef, Option<String>), String> {
    let resolved = match &step.identity {
        Identity::Default => state.case.default_identity(spec, operation_id),
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
        Identity::Token(node) => Ok((TenantRef::Main, Some(state.evaluate_text(&node)?))),
    }
}
