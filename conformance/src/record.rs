//! What a case run saw, as data: every step with the request it sent, the reply, each layer's
//! verdict, the findings and the snapshot — secrets already redacted, so that anything
//! rendering it (the terminal's failure text, the JUnit, JSON and HTML reports) cannot leak
//! one. Built by [`crate::run`], rendered by [`crate::report`].

use serde::Serialize;
use serde_json::Value;

use crate::http::{Reply, Request};
use crate::redact::{Secrets, mask_secret_members};
use crate::snapshot::{SnapshotOutcome, SnapshotVerdict};
use crate::verify::{Finding, Layer};

/// Strings longer than this in a shown JSON body are replaced whole by their length (an image
/// is hundreds of kilobytes of base64): a report stays readable, and redacting stays cheap.
pub const SHOWN_STRING_LIMIT: usize = 512;
/// Bodies that are not JSON are shown up to this many bytes.
pub const SHOWN_TEXT_LIMIT: usize = 16 * 1024;

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    /// Every layer held.
    Passed,
    /// Something did not hold, or it could not be sent.
    Failed,
    /// An earlier step (or the fixtures) failed first.
    NotRun,
}

/// One step of a case run.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// From 1.
    pub number: usize,
    /// Its `name`.
    pub name: String,
    /// Where it starts in the case file.
    pub line: u64,
    /// The column.
    pub column: u64,
    /// What it does: an operationId, `fetch`, `otp`, `wait` or `portal`.
    pub does: String,
    /// The operation's method and path template, for a step that calls one.
    pub operation: Option<OperationRef>,
    /// How it ended.
    pub status: StepStatus,
    /// How long it took, in milliseconds.
    pub duration_ms: f64,
    /// Requests sent (more than one for a `retry`); the exchange shown is the last.
    pub attempts: u32,
    /// The request as sent, secrets redacted.
    pub request: Option<ShownRequest>,
    /// The reply, secrets redacted.
    pub reply: Option<ShownReply>,
    /// Each layer's verdict, in order (an HTTP step only).
    pub layers: Vec<LayerVerdict>,
    /// What the layers found.
    pub findings: Vec<ShownFinding>,
    /// The snapshot check.
    pub snapshot: Option<ShownSnapshot>,
    /// Why it failed where no layer says (it could not be sent, no reply, a capture, an OTP
    /// step), secrets redacted.
    pub message: Option<String>,
}

impl StepRecord {
    /// The layers that failed, in order.
    pub fn failed_layers(&self) -> Vec<Layer> {
        self.layers
            .iter()
            .filter(|layer| layer.verdict == Verdict::Failed)
            .map(|layer| layer.layer)
            .collect()
    }
}

/// An operation a step calls.
#[derive(Debug, Clone, Serialize)]
pub struct OperationRef {
    /// The operationId.
    pub id: String,
    /// Its method.
    pub method: String,
    /// Its path template.
    pub path: String,
}

/// A layer's verdict on a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// It held.
    Passed,
    /// It found something.
    Failed,
    /// It did not apply (a page no spec describes) or was not reached.
    NotChecked,
}

/// One layer and its verdict.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LayerVerdict {
    /// The layer.
    #[serde(serialize_with = "layer_name")]
    pub layer: Layer,
    /// Its verdict.
    pub verdict: Verdict,
}

fn layer_name<S: serde::Serializer>(layer: &Layer, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(layer.name())
}

/// A finding, redacted.
#[derive(Debug, Clone, Serialize)]
pub struct ShownFinding {
    /// The layer.
    #[serde(serialize_with = "layer_name")]
    pub layer: Layer,
    /// A JSON pointer into the reply; empty for the whole reply.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// The offending value as JSON text.
    pub value: Option<String>,
}

/// A header.
#[derive(Debug, Clone, Serialize)]
pub struct Header {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// A request as sent, redacted.
#[derive(Debug, Clone, Serialize)]
pub struct ShownRequest {
    /// The method.
    pub method: String,
    /// The whole URL, query included.
    pub url: String,
    /// Every header sent (the content type included).
    pub headers: Vec<Header>,
    /// The body.
    pub body: Option<ShownBody>,
}

/// A reply, redacted.
#[derive(Debug, Clone, Serialize)]
pub struct ShownReply {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` essence.
    pub content_type: Option<String>,
    /// The body (none when empty).
    pub body: Option<ShownBody>,
}

/// A body, redacted: JSON as JSON, text as text, anything else by its size.
#[derive(Debug, Clone, Serialize)]
pub struct ShownBody {
    /// Its size in bytes.
    pub bytes: usize,
    /// The JSON, when it is JSON.
    pub json: Option<Value>,
    /// The text, when it is text and not JSON (cut at [`SHOWN_TEXT_LIMIT`]).
    pub text: Option<String>,
    /// Something was left out: a long string replaced by its length, text cut, or a binary
    /// body (a PDF) described instead of shown.
    pub abbreviated: bool,
}

/// A snapshot check, as reports show it.
#[derive(Debug, Clone, Serialize)]
pub struct ShownSnapshot {
    /// The snapshot's name.
    pub name: String,
    /// The target's snapshot directory.
    pub target: String,
    /// The stored file.
    pub file: String,
    /// `matched`, `recorded`, `new` or `changed`.
    pub verdict: SnapshotVerdict,
    /// Stored against this run, when it changed.
    pub diff: Option<String>,
    /// Why insta could not check it.
    pub error: Option<String>,
}

impl ShownSnapshot {
    /// From a snapshot check (its contents are normalized already: no secret left).
    pub fn new(outcome: &SnapshotOutcome, secrets: &Secrets) -> ShownSnapshot {
        ShownSnapshot {
            name: outcome.name.clone(),
            target: outcome.target.clone(),
            file: outcome.file.display().to_string(),
            verdict: outcome.verdict,
            diff: outcome.diff.as_deref().map(|diff| secrets.redact(diff)),
            error: outcome.error.as_deref().map(|error| secrets.redact(error)),
        }
    }

    /// Whether the step fails on it.
    pub fn fails(&self) -> bool {
        self.verdict.fails()
    }
}

impl ShownFinding {
    /// A finding with its value redacted.
    pub fn new(finding: &Finding, secrets: &Secrets) -> ShownFinding {
        ShownFinding {
            layer: finding.layer,
            pointer: finding.pointer.clone(),
            message: secrets.redact(&finding.message),
            value: finding.value.as_ref().map(|value| {
                let (json, _) = shown_json(value, secrets);
                json.map_or_else(|| "[not shown]".to_owned(), |json| json.to_string())
            }),
        }
    }
}

impl ShownRequest {
    /// The request as it went out, every secret redacted.
    pub fn new(request: &Request, secrets: &Secrets) -> ShownRequest {
        let url = if request.query.is_empty() {
            request.url.clone()
        } else {
            match reqwest::Url::parse_with_params(&request.url, &request.query) {
                Ok(url) => url.to_string(),
                Err(_) => request.url.clone(),
            }
        };
        let mut headers: Vec<Header> = request
            .headers
            .iter()
            .map(|(name, value)| Header {
                name: name.clone(),
                value: secrets.redact(value),
            })
            .collect();
        if let Some((content_type, _)) = &request.body {
            headers.push(Header {
                name: "Content-Type".to_owned(),
                value: secrets.redact(content_type),
            });
        }
        ShownRequest {
            method: request.method.to_string(),
            url: secrets.redact(&url),
            headers,
            body: request
                .body
                .as_ref()
                .map(|(content_type, bytes)| shown_body(bytes, Some(content_type), None, secrets)),
        }
    }
}

impl ShownReply {
    /// The reply as it came, every secret redacted.
    pub fn new(reply: &Reply, secrets: &Secrets) -> ShownReply {
        ShownReply {
            status: reply.status,
            content_type: reply.content_type.clone(),
            body: (!reply.body.is_empty()).then(|| {
                shown_body(
                    &reply.body,
                    reply.content_type.as_deref(),
                    reply.json.as_ref(),
                    secrets,
                )
            }),
        }
    }
}

fn shown_body(
    bytes: &[u8],
    content_type: Option<&str>,
    json: Option<&Value>,
    secrets: &Secrets,
) -> ShownBody {
    let mut body = ShownBody {
        bytes: bytes.len(),
        json: None,
        text: None,
        abbreviated: false,
    };
    let parsed;
    let json = match json {
        Some(json) => Some(json),
        None if content_type.is_some_and(|ct| ct.contains("json"))
            || bytes.first().is_some_and(|b| *b == b'{' || *b == b'[') =>
        {
            parsed = serde_json::from_slice::<Value>(bytes).ok();
            parsed.as_ref()
        }
        None => None,
    };
    if let Some(json) = json {
        let (shown, abbreviated) = shown_json(json, secrets);
        body.abbreviated = abbreviated;
        match shown {
            Some(shown) => body.json = Some(shown),
            None => {
                body.text =
                    Some("[JSON not shown: a secret could not be redacted in it]".to_owned())
            }
        }
        return body;
    }
    if bytes.starts_with(b"%PDF-") {
        body.text = Some(format!("[PDF, {} bytes]", bytes.len()));
        body.abbreviated = true;
        return body;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            // Redacted whole, then cut: a cut made first could split a secret and hide it
            // from redaction.
            let mut shown = secrets.redact(text);
            if shown.len() > SHOWN_TEXT_LIMIT {
                let mut end = SHOWN_TEXT_LIMIT;
                while !shown.is_char_boundary(end) {
                    end -= 1;
                }
                shown.truncate(end);
                body.abbreviated = true;
            }
            body.text = Some(shown);
        }
        Err(_) => {
            body.text = Some(format!("[{} bytes of binary content]", bytes.len()));
            body.abbreviated = true;
        }
    }
    body
}

/// JSON as reports show it: members that hold a secret masked, strings longer than
/// [`SHOWN_STRING_LIMIT`] replaced whole (never cut: a cut secret would escape redaction), then
/// every known secret redacted. `None` when the redacted text is no longer JSON (a secret that
/// was a bare number); `true` when something was abbreviated.
pub fn shown_json(value: &Value, secrets: &Secrets) -> (Option<Value>, bool) {
    let mut copy = value.clone();
    mask_secret_members(&mut copy);
    let abbreviated = abbreviate(&mut copy);
    let text = secrets.redact(&copy.to_string());
    (serde_json::from_str(&text).ok(), abbreviated)
}

fn abbreviate(value: &mut Value) -> bool {
    match value {
        Value::String(text) if text.len() > SHOWN_STRING_LIMIT => {
            *text = format!("[{} characters]", text.chars().count());
            true
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, item| abbreviate(item) | any),
        Value::Object(map) => map
            .values_mut()
            .fold(false, |any, member| abbreviate(member) | any),
        _ => false,
    }
}

/// Every layer's verdict: those that did not apply are `not-checked`.
pub fn verdicts(applied: &[Layer], findings: &[Finding]) -> Vec<LayerVerdict> {
    Layer::ALL
        .iter()
        .map(|layer| LayerVerdict {
            layer: *layer,
            verdict: if !applied.contains(layer) {
                Verdict::NotChecked
            } else if findings.iter().any(|finding| finding.layer == *layer) {
                Verdict::Failed
            } else {
                Verdict::Passed
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn long_strings_are_replaced_whole_and_secrets_redacted() {
        let secrets = Secrets::default();
        secrets.add("canary-token-value-123", "token");
        let long = format!("{}canary-token-value-123", "A".repeat(600));
        let (shown, abbreviated) = shown_json(
            &json!({"image": long, "note": "canary-token-value-123", "password": "hunter22"}),
            &secrets,
        );
        let shown = shown.unwrap().to_string();
        assert!(abbreviated);
        assert!(
            !shown.contains("canary") && !shown.contains("hunter22"),
            "{shown}"
        );
        assert!(shown.contains("[622 characters]"), "{shown}");
    }

    #[test]
    fn a_request_shows_its_query_headers_and_body_redacted() {
        let secrets = Secrets::default();
        secrets.add("key-0123456789", "api-key");
        let request = Request {
            operation: None,
            method: reqwest::Method::POST,
            url: "http://h/api/x".to_owned(),
            query: vec![("a".to_owned(), "b c".to_owned())],
            headers: vec![("ApiKey".to_owned(), "key-0123456789".to_owned())],
            body: Some(("application/json".to_owned(), br#"{"n":1}"#.to_vec())),
        };
        let shown = ShownRequest::new(&request, &secrets);
        assert_eq!(shown.url, "http://h/api/x?a=b+c");
        assert_eq!(shown.headers[0].value, "[REDACTED api-key]");
        assert_eq!(shown.headers[1].name, "Content-Type");
        assert_eq!(shown.body.unwrap().json, Some(json!({"n": 1})));
    }
}
