//! JSON request bodies: the media type, the size limit (checked before `100 Continue`), the
//! body timeout, strict RFC 3339 for `userDeviceUtcTime`, and serde's errors turned into field
//! problems that never repeat the value sent.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

use super::AppState;
use crate::error::{ApiError, ApiResult, FieldProblem};

/// A JSON request body of type `T`. A missing or wrong `Content-Type` is 415, an oversized
/// body 413 (the limit is [`crate::defaults::MAX_BODY_BYTES`]), and malformed JSON or a
/// missing, mistyped or invalid field 400 naming the field.
pub struct JsonBody<T>(pub T);

/// Like [`JsonBody`] for operations whose body is optional: an empty body is `None`.
pub struct OptionalJsonBody<T>(pub Option<T>);

fn is_json_content_type(parts_headers: &http::HeaderMap) -> bool {
    let Some(value) = parts_headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    // Only application/json (parameters such as charset allowed): the spec leaves out the
    // older docs' ASP.NET variants (`text/json`, `application/*+json`).
    essence == "application/json"
}

/// The body, read within `timeout` (408 beyond). A `Content-Length` over the limit is 413 before
/// a byte is read: hyper sends `100 Continue` to an `Expect: 100-continue` request only when
/// its body is first read, so such a client is told "too large" instead of being invited to
/// upload it.
async fn body_bytes(request: Request, timeout: std::time::Duration) -> ApiResult<Bytes> {
    let declared = request
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > crate::defaults::MAX_BODY_BYTES as u64) {
        return Err(ApiError::PayloadTooLarge);
    }
    match tokio::time::timeout(timeout, Bytes::from_request(request, &())).await {
        Err(_) => Err(ApiError::BodyTimeout(timeout)),
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(rejection)) if rejection.status() == http::StatusCode::PAYLOAD_TOO_LARGE => {
            Err(ApiError::PayloadTooLarge)
        }
        Ok(Err(_)) => Err(ApiError::field("body", "could not be read")),
    }
}

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> ApiResult<Self> {
        if !is_json_content_type(request.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = body_bytes(request, state.body_read_timeout).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::field("body", "is required (a JSON object)"));
        }
        let value = parse_json(&bytes)?;
        strict_device_time(&bytes)?;
        Ok(Self(value))
    }
}

impl<T: DeserializeOwned> FromRequest<AppState> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> ApiResult<Self> {
        let json = is_json_content_type(request.headers());
        let bytes = body_bytes(request, state.body_read_timeout).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(None));
        }
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let value = parse_json(&bytes)?;
        strict_device_time(&bytes)?;
        Ok(Self(Some(value)))
    }
}

/// Parses JSON into `T`, naming the field at fault. serde's messages can quote the offending
/// value (which may be a password or an OTP), so only the expectation is kept.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let syntax = |inner: &serde_json::Error| {
        FieldProblem::new(
            "body",
            format!(
                "is not valid JSON (line {}, column {})",
                inner.line(),
                inner.column()
            ),
        )
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize::<_, T>(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.inner();
        let problem = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => syntax(inner),
            _ => data_problem(&path, &inner.to_string()),
        };
        ApiError::BadRequest(vec![problem])
    })?;
    deserializer
        .end()
        .map_err(|error| ApiError::BadRequest(vec![syntax(&error)]))?;
    Ok(value)
}

/// The body's top-level `userDeviceUtcTime`, as sent.
#[derive(serde::Deserialize)]
struct DeviceTime<'a> {
    #[serde(rename = "userDeviceUtcTime", borrow, default)]
    time: Option<std::borrow::Cow<'a, str>>,
}

/// `userDeviceUtcTime` must be an RFC 3339 `date-time` (the spec's `format: date-time`):
/// `2025-01-15T10:30:00Z`. The generated type reads it with chrono's lenient parser, which also
/// takes `+99999-01-01…`, `-0001-…` and a space for the `T`; so the text sent is checked again
/// here with chrono's RFC 3339 parser (four-digit years only), and the `T`.
fn strict_device_time(bytes: &[u8]) -> ApiResult<()> {
    // Only objects carry the field; anything else was refused or has none.
    let Ok(DeviceTime { time: Some(time) }) = serde_json::from_slice::<DeviceTime<'_>>(bytes)
    else {
        return Ok(());
    };
    if is_rfc3339(&time) {
        Ok(())
    } else {
        Err(ApiError::field(
            "userDeviceUtcTime",
            "must be an RFC 3339 date-time such as 2025-01-15T10:30:00Z",
        ))
    }
}

/// RFC 3339's `date-time`: chrono's `parse_from_rfc3339` (four-digit year, valid calendar date
/// and time, `Z` or a numeric offset) with a `T` (or `t`) between date and time, where chrono
/// also accepts a space "for readability".
fn is_rfc3339(text: &str) -> bool {
    matches!(text.as_bytes().get(10), Some(b'T' | b't'))
        && chrono::DateTime::parse_from_rfc3339(text).is_ok()
}

/// serde's messages that carry no part of the value sent, kept as they are.
fn is_fixed_message(message: &str) -> bool {
    const FIXED: &[&str] = &[
        // chrono
        "input contains invalid characters",
        "premature end of input",
        "input is out of range",
        "trailing input",
        "input is not enough for unique date and time",
        "no possible date and time matching input",
        // typify
        "invalid value",
    ];
    FIXED.contains(&message)
        || (message.starts_with("longer than ") || message.starts_with("shorter than "))
            && message.ends_with(" characters")
            && !message.contains('`')
}

/// Builds the field problem of a data error from serde's path and message. The message names
/// the field and what it expects, never the value sent (it may be a password or an OTP, and a
/// reply should not echo what a client sent anyway): serde's own words are kept only where they
/// hold no part of the value.
fn data_problem(path: &str, message: &str) -> FieldProblem {
    // serde_json appends " at line L column C"; the field name says where already.
    let message = message
        .rsplit_once(" at line ")
        .map_or(message, |(text, _)| text);
    let join = |name: &str| {
        if path.is_empty() || path == "." {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    let quoted = |text: &str| -> Option<String> {
        let start = text.find('`')? + 1;
        let end = start + text[start..].find('`')?;
        Some(text[start..end].to_string())
    };
    if let Some(rest) = message.strip_prefix("missing field ") {
        let name = quoted(rest).unwrap_or_default();
        return FieldProblem::new(join(&name), "is required");
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        // serde_path_to_error's path already ends with the unknown key.
        let name = quoted(rest).unwrap_or_default();
        let field = if path.ends_with(name.as_str()) && !name.is_empty() {
            path.to_string()
        } else {
            join(&name)
        };
        return FieldProblem::new(field, "is not a known field");
    }
    let field = if path.is_empty() || path == "." {
        "body".to_string()
    } else {
        path.to_string()
    };
    // What serde says is expected comes from the type, after the last ", expected ": the text
    // before it quotes the value.
    let expectation = message
        .rsplit_once(", expected ")
        .map(|(_, expected)| plain_expectation(expected));
    for kind in ["invalid type", "invalid value", "invalid length"] {
        if message.starts_with(kind) {
            return FieldProblem::new(
                field,
                format!(
                    "has an {kind}; expected {}",
                    expectation.unwrap_or_default()
                ),
            );
        }
    }
    if message.starts_with("unknown variant") {
        return FieldProblem::new(
            field,
            format!(
                "has an invalid value; expected {}",
                expectation.unwrap_or_else(|| "another value".to_string())
            ),
        );
    }
    if message.starts_with("UUID parsing failed") {
        return FieldProblem::new(field, "must be a uuid");
    }
    if is_fixed_message(message) {
        return FieldProblem::new(field, format!("is invalid: {message}"));
    }
    FieldProblem::new(field, "is invalid")
}

/// serde's Rust-flavoured expectations in API terms (`f64` is "a number").
fn plain_expectation(expected: &str) -> String {
    match expected {
        "f64" | "f32" => "a number".to_string(),
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" => "an integer".to_string(),
        other => match other.strip_prefix("struct ") {
            Some(_) => "an object".to_string(),
            None => other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        face_1: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        #[serde(rename = "scanTransaction")]
        scan: Inner,
        #[serde(rename = "requestId")]
        request_id: Option<Uuid>,
        password: Option<String>,
    }

    fn problem(json: &str) -> FieldProblem {
        match parse_json::<Outer>(json.as_bytes()) {
            Err(ApiError::BadRequest(mut problems)) => problems.remove(0),
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn names_missing_nested_fields() {
        let p = problem(r#"{"scanTransaction": {}}"#);
        assert_eq!(p.field, "scanTransaction.face_1");
        assert_eq!(p.message, "is required");
    }

    #[test]
    fn names_invalid_uuids() {
        assert_eq!(
            problem(r#"{"scanTransaction": {"face_1": "a"}, "requestId": "nope"}"#).field,
            "requestId"
        );
    }

    #[test]
    fn device_times_are_strict_rfc3339() {
        for good in [
            "2025-01-15T10:30:00Z",
            "2025-01-15t10:30:00.123456789+03:00",
            "2024-02-29T23:59:60Z",
        ] {
            assert!(is_rfc3339(good), "{good}");
        }
        for bad in [
            "+99999-01-01T00:00:00Z",
            "-0001-01-01T00:00:00Z",
            "2025-01-15 10:30:00Z",
            "2025-01-15T10:30:00",
            "2025-02-30T10:30:00Z",
            "20250115T103000Z",
            "",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
        let refused = strict_device_time(br#"{"userDeviceUtcTime": "2025-01-15 10:30:00Z"}"#);
        assert!(
            matches!(refused, Err(ApiError::BadRequest(p)) if p[0].field == "userDeviceUtcTime")
        );
        assert!(strict_device_time(br#"{"other": 1}"#).is_ok());
        assert!(strict_device_time(b"[1, 2]").is_ok());
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Choice {
        provider: vlens_client::types::OAuthTokenInputProvider,
        id: Option<Uuid>,
    }

    /// Issue 8: an enum's error echoed the value sent.
    #[test]
    fn unknown_enum_values_and_bad_uuids_are_not_echoed() {
        let problem = |json: &str| match parse_json::<Choice>(json.as_bytes()) {
            Err(ApiError::BadRequest(mut problems)) => problems.remove(0),
            other => panic!("expected a 400, got {other:?}"),
        };
        let enum_value = problem(r#"{"provider": "Canary-Secret-77"}"#);
        assert_eq!(enum_value.field, "provider");
        assert!(
            !enum_value.message.contains("Canary"),
            "{}",
            enum_value.message
        );
        assert!(
            enum_value.message.contains("Google"),
            "{}",
            enum_value.message
        );
        let uuid = problem(r#"{"provider": "Google", "id": "zz-Canary-Secret-77"}"#);
        assert_eq!(uuid.field, "id");
        assert!(
            !uuid.message.contains("Canary") && !uuid.message.contains('z'),
            "{}",
            uuid.message
        );
    }

    #[test]
    fn never_echoes_the_value() {
        let p = problem(r#"{"scanTransaction": {"face_1": "a"}, "password": 123456}"#);
        assert_eq!(p.field, "password");
        assert!(!p.message.contains("123456"), "{}", p.message);
    }

    #[test]
    fn expectations_are_in_api_terms() {
        let p = problem(r#"{"scanTransaction": 5}"#);
        assert_eq!(p.field, "scanTransaction");
        assert_eq!(p.message, "has an invalid type; expected an object");
    }

    #[test]
    fn malformed_json_names_the_body() {
        assert_eq!(problem(r#"{"scanTransaction": "#).field, "body");
        assert_eq!(
            problem(r#"{"scanTransaction": {"face_1": "a"}} trailing"#).field,
            "body"
        );
    }
}
