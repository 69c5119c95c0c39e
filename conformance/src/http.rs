//! Sending requests and reading replies, for steps and for fixtures alike.

use std::fmt;

use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};
use vlens_sandbox::kit::{Kit, KitError};

use crate::redact::Secrets;
use crate::target::Target;
use crate::template::value_text;

/// The largest reply body read (a contract PDF is well under it); beyond it the step fails
/// instead of the harness holding whatever a server streams.
pub const MAX_REPLY_BYTES: usize = 16 * 1024 * 1024;

/// A request ready to send. `Debug` shows the URL without query values, header values only
/// for headers that carry no credentials, and the body's size, never its content.
#[derive(Clone)]
pub struct Request {
    /// The operation, for checks (none for `fetch` and fixtures).
    pub operation: Option<(crate::case::SpecKind, String)>,
    /// The method.
    pub method: Method,
    /// The URL without the query.
    pub url: String,
    /// Query parameters.
    pub query: Vec<(String, String)>,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Content type and bytes.
    pub body: Option<(String, Vec<u8>)>,
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

/// Sends a request; a transport failure is the error (without the URL, whose query may hold a
/// secret).
pub async fn send(target: &Target, request: &Request) -> Result<Reply, String> {
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
    let mut response = builder.send().await.map_err(transport_error)?;
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
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > MAX_REPLY_BYTES {
            return Err(format!(
                "the reply is larger than {MAX_REPLY_BYTES} bytes (HTTP {status}); not read"
            ));
        }
        body.extend_from_slice(&chunk);
    }
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

/// A call a fixture makes (no checks beyond the envelope): its `data`.
pub struct FixtureCall<'a> {
    /// The method.
    pub method: Method,
    /// The path.
    pub path: &'a str,
    /// Query parameters (encoded when sent).
    pub query: &'a [(&'a str, &'a str)],
    /// The ApiKey.
    pub api_key: &'a str,
    /// The bearer token.
    pub bearer: Option<&'a str>,
    /// More headers.
    pub headers: &'a [(&'a str, &'a str)],
    /// The JSON body.
    pub body: Option<&'a Value>,
}

impl FixtureCall<'_> {
    /// Sends it; every secret of the reply is registered in `secrets`. An HTTP or envelope
    /// error is the error, with the code, the message and `error_descriptions`.
    pub async fn send(&self, target: &Target, secrets: &Secrets) -> Result<Value, String> {
        let mut headers = vec![("ApiKey".to_owned(), self.api_key.to_owned())];
        if let Some(token) = self.bearer {
            headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
        }
        headers.extend(
            self.headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let path = self.path;
        let query = self
            .query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let request = Request {
            operation: None,
            method: self.method.clone(),
            url: format!("{}{path}", target.base_url),
            query,
            headers,
            body: self
                .body
                .map(|body| ("application/json".to_owned(), body.to_string().into_bytes())),
        };
        let reply = send(target, &request).await?;
        let Some(json) = reply.json else {
            return Err(format!(
                "{path}: HTTP {} without a JSON envelope",
                reply.status
            ));
        };
        secrets.add_from_json(&json);
        let code = json.get("error_code").cloned().unwrap_or(Value::Null);
        if !(200..300).contains(&reply.status) || !(code.is_null() || code.as_i64() == Some(0)) {
            return Err(envelope_failure(&self.method, path, reply.status, &json));
        }
        Ok(json.get("data").cloned().unwrap_or(Value::Null))
    }
}

/// How a fixture's call that the server refused is worded: the method and path, the HTTP
/// status, and the envelope's `error_code`, `error_message` and `error_descriptions`.
fn envelope_failure(method: &Method, path: &str, status: u16, json: &Value) -> String {
    let code = json.get("error_code").cloned().unwrap_or(Value::Null);
    let message = json
        .get("error_message")
        .map(value_text)
        .unwrap_or_default();
    // The field-by-field descriptions only when there are some (not `; null`).
    let descriptions = json
        .get("error_descriptions")
        .filter(|descriptions| !descriptions.is_null())
        .map(|descriptions| format!("; {descriptions}"))
        .unwrap_or_default();
    format!("{method} {path}: HTTP {status}, error_code {code}: {message}{descriptions}")
}

/// The sandbox's test kit for the tenant of `api_key`, over the target's HTTP client: a
/// fixture's control-API calls (users, tenants, the OTP outbox, statuses, the clock) go through
/// its typed client.
pub fn control_kit(target: &Target, api_key: &str) -> Result<Kit, String> {
    Kit::with_http_client(&target.base_url, api_key, target.http.clone())
        .map_err(|error| error.to_string())
}

/// A fixture's control-API call made with [`control_kit`] (`method` and `path` name it in
/// messages): its data, or its failure worded as a [`FixtureCall`]'s. Every secret of a reply
/// is registered in `secrets`, as [`FixtureCall::send`] does.
pub fn control_outcome<T: Serialize>(
    method: Method,
    path: &str,
    result: Result<T, KitError>,
    secrets: &Secrets,
) -> Result<T, String> {
    match result {
        Ok(data) => {
            if let Ok(json) = serde_json::to_value(&data) {
                secrets.add_from_json(&json);
            }
            Ok(data)
        }
        Err(KitError::Control(error)) => {
            let json = json!({
                "data": null,
                "error_code": error.error_code,
                "error_message": error.error_message,
                "error_descriptions": error.error_descriptions,
            });
            secrets.add_from_json(&json);
            Err(envelope_failure(&method, path, error.status, &json))
        }
        Err(KitError::NotAnEnvelope {
            status: Some(status),
            ..
        }) => Err(format!("{path}: HTTP {status} without a JSON envelope")),
        Err(KitError::Transport { message, .. }) => Err(message),
        Err(other) => Err(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Target;

    #[test]
    fn a_refusal_names_its_descriptions_only_when_it_has_some() {
        let bare = json!({"data": null, "error_code": 507, "error_message": "Full",
                          "error_descriptions": null});
        assert_eq!(
            envelope_failure(&Method::POST, "/__sandbox/users", 507, &bare),
            "POST /__sandbox/users: HTTP 507, error_code 507: Full"
        );
        let described = json!({"error_code": 400, "error_message": "Bad",
                               "error_descriptions": [{"field": "email"}]});
        assert_eq!(
            envelope_failure(&Method::POST, "/__sandbox/users", 400, &described),
            r#"POST /__sandbox/users: HTTP 400, error_code 400: Bad; [{"field":"email"}]"#
        );
    }

    /// A control call made through the kit fails with the words a raw fixture call used: the
    /// harness's messages did not change when its control calls moved onto the kit.
    #[tokio::test]
    async fn a_kit_call_fails_in_a_fixture_calls_words() {
        let target = Target::embedded().await.expect("the sandbox starts");
        let secrets = Secrets::default();
        let key = vlens_sandbox::defaults::DEFAULT_API_KEY;
        let unknown = uuid::Uuid::from_u128(7);
        let path = format!("/__sandbox/requests/{unknown}/status");
        let body = json!({ "status": 2 });
        let raw = FixtureCall {
            method: Method::POST,
            path: &path,
            query: &[],
            api_key: key,
            bearer: None,
            headers: &[],
            body: Some(&body),
        }
        .send(&target, &secrets)
        .await
        .expect_err("no such request");
        let kit = control_kit(&target, key).expect("a kit");
        let status = vlens_client::types::RequestStatus::APPROVED;
        let typed = control_outcome(
            Method::POST,
            &path,
            kit.set_status(unknown, status).await,
            &secrets,
        )
        .expect_err("no such request");
        assert_eq!(typed, raw);
        assert!(raw.starts_with(&format!("POST {path}: HTTP 404, error_code 404: ")));

        // And a success registers the reply's secrets as the raw call did.
        let user = control_outcome(
            Method::POST,
            "/__sandbox/users",
            kit.verified_user().await,
            &secrets,
        )
        .expect("a user");
        let token = user.access_token.expose_secret();
        assert!(secrets.values().iter().any(|(value, _)| value == token));
    }
}
