//! Sending requests and reading replies, for steps and for fixtures alike.

use std::fmt;

use reqwest::Method;
use serde_json::Value;

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
            let message = json
                .get("error_message")
                .map(value_text)
                .unwrap_or_default();
            return Err(format!(
                "{} {path}: HTTP {}, error_code {code}: {message}; {}",
                self.method,
                reply.status,
                json.get("error_descriptions")
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            ));
        }
        Ok(json.get("data").cloned().unwrap_or(Value::Null))
    }
}
