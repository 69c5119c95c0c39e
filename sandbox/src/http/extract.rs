//! Extractors: who is calling (ApiKey and bearer token), the JSON body, query and path
//! parameters. Each turns bad input into an envelope error that names the field.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use http::request::Parts;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::AppState;
use super::faults::ResolvedTenant;
use crate::auth::{self, TokenAudience};
use crate::error::{ApiError, ApiResult, FieldProblem};
use crate::store::Tenant;

// ---------------------------------------------------------------------- callers

fn tenant_of(parts: &Parts, state: &AppState) -> ApiResult<Arc<Tenant>> {
    // The fault layer (in front of every Vlens operation) already looked the ApiKey up.
    if let Some(ResolvedTenant(tenant)) = parts.extensions.get::<ResolvedTenant>() {
        return Ok(Arc::clone(tenant));
    }
    let key = parts
        .headers
        .get("apikey")
        .ok_or(ApiError::Unauthorized(
            "Unauthorized - missing ApiKey header",
        ))?
        .to_str()
        .map_err(|_| ApiError::Unauthorized("Unauthorized - invalid API Key"))?;
    state
        .store
        .tenant_by_key(key)
        .ok_or(ApiError::Unauthorized("Unauthorized - invalid API Key"))
}

fn bearer_of(parts: &Parts, tenant: &Tenant) -> ApiResult<Option<auth::Bearer>> {
    let Some(header) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let token = header
        .to_str()
        .ok()
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| !token.is_empty())
        .ok_or(ApiError::Unauthorized(
            "Unauthorized - the Authorization header is not `Bearer <token>`",
        ))?;
    Ok(Some(auth::verify_access(tenant, token)?))
}

/// Takes the tenant lock briefly; the handler takes it again for its own work. Two short
/// uncontended locks, kept so that every user-token operation refuses a deleted user (401)
/// in one place.
fn user_exists(tenant: &Tenant, user_id: i64) -> ApiResult<()> {
    if tenant.with_state(|state, _| state.users.contains_key(&user_id)) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized(
            "Unauthorized - the token's user no longer exists",
        ))
    }
}

const MISSING_TOKEN: ApiError = ApiError::Unauthorized("Unauthorized - missing bearer token");
const USER_TOKEN_REQUIRED: ApiError =
    ApiError::Forbidden("Forbidden - this operation takes an end-user token");
const ADMIN_TOKEN_REQUIRED: ApiError =
    ApiError::Forbidden("Forbidden - this operation takes an admin token");

/// A caller with a valid ApiKey (the operations that take no token).
pub struct ApiKeyTenant(pub Arc<Tenant>);

impl FromRequestParts<AppState> for ApiKeyTenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        tenant_of(parts, state).map(Self)
    }
}

/// An end user with a valid user token (`x-vlens-token: user`).
pub struct UserCaller {
    pub tenant: Arc<Tenant>,
    pub user_id: i64,
}

impl FromRequestParts<AppState> for UserCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let tenant = tenant_of(parts, state)?;
        let bearer = bearer_of(parts, &tenant)?.ok_or(MISSING_TOKEN)?;
        if bearer.kind != TokenAudience::User {
            return Err(USER_TOKEN_REQUIRED);
        }
        user_exists(&tenant, bearer.subject)?;
        Ok(Self {
            tenant,
            user_id: bearer.subject,
        })
    }
}

/// An admin with a valid admin token (`x-vlens-token: admin`).
pub struct AdminCaller {
    pub tenant: Arc<Tenant>,
}

impl FromRequestParts<AppState> for AdminCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let tenant = tenant_of(parts, state)?;
        let bearer = bearer_of(parts, &tenant)?.ok_or(MISSING_TOKEN)?;
        if bearer.kind != TokenAudience::Admin {
            return Err(ADMIN_TOKEN_REQUIRED);
        }
        Ok(Self { tenant })
    }
}

/// A user or an admin (`x-vlens-token: user-or-admin`); `user_id` is None for the admin.
pub struct AnyCaller {
    pub tenant: Arc<Tenant>,
    pub user_id: Option<i64>,
}

impl FromRequestParts<AppState> for AnyCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let tenant = tenant_of(parts, state)?;
        let bearer = bearer_of(parts, &tenant)?.ok_or(MISSING_TOKEN)?;
        let user_id = match bearer.kind {
            TokenAudience::User => {
                user_exists(&tenant, bearer.subject)?;
                Some(bearer.subject)
            }
            _ => None,
        };
        Ok(Self { tenant, user_id })
    }
}

/// A user token or the ApiKey alone (`x-vlens-token: user-optional`). A token, when sent, must
/// be a valid user token.
pub struct OptionalUser {
    pub tenant: Arc<Tenant>,
    pub user_id: Option<i64>,
}

impl FromRequestParts<AppState> for OptionalUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let tenant = tenant_of(parts, state)?;
        let user_id = match bearer_of(parts, &tenant)? {
            None => None,
            Some(bearer) if bearer.kind == TokenAudience::User => {
                user_exists(&tenant, bearer.subject)?;
                Some(bearer.subject)
            }
            Some(_) => return Err(USER_TOKEN_REQUIRED),
        };
        Ok(Self { tenant, user_id })
    }
}

// ---------------------------------------------------------------------- JSON bodies

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
        parse_json(&bytes).map(Self)
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
        parse_json(&bytes).map(|value| Self(Some(value)))
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

/// Builds the field problem of a data error from serde's path and message.
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
    for kind in ["invalid type", "invalid value", "invalid length"] {
        if message.starts_with(kind) {
            let expected = message
                .split_once(", expected ")
                .map_or("", |(_, expected)| expected);
            return FieldProblem::new(
                field,
                format!("has an {kind}; expected {}", plain_expectation(expected)),
            );
        }
    }
    FieldProblem::new(field, format!("is invalid: {message}"))
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

// ---------------------------------------------------------------------- query and path

/// The query string as name/value pairs, with typed getters that name the parameter.
/// Names match exactly, else case-insensitively (ASP.NET binds query names that way).
pub struct QueryMap(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|Query(pairs)| Self(pairs))
            .map_err(|_| ApiError::field("query", "cannot be parsed"))
    }
}

impl QueryMap {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .or_else(|| {
                self.0
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(name))
            })
            .map(|(_, value)| value.as_str())
    }

    pub fn required(&self, name: &str) -> ApiResult<&str> {
        self.get(name)
            .filter(|value| !value.trim().is_empty())
            .ok_or_else(|| ApiError::field(name, "is required"))
    }

    pub fn required_uuid(&self, name: &str) -> ApiResult<Uuid> {
        parse_uuid(name, self.required(name)?)
    }

    pub fn required_i32(&self, name: &str) -> ApiResult<i32> {
        self.required(name)?
            .trim()
            .parse()
            .map_err(|_| ApiError::field(name, "must be a 32-bit integer"))
    }

    /// An optional integer in `min..=max`.
    pub fn optional_i32(&self, name: &str, min: i32, max: i32) -> ApiResult<Option<i32>> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        match raw.trim().parse::<i32>() {
            Ok(value) if (min..=max).contains(&value) => Ok(Some(value)),
            _ => Err(ApiError::field(
                name,
                format!("must be an integer from {min} to {max}"),
            )),
        }
    }

    pub fn optional_bool(&self, name: &str) -> ApiResult<bool> {
        match self.get(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(false),
            Some(value) if value == "true" => Ok(true),
            Some(value) if value == "false" => Ok(false),
            Some(_) => Err(ApiError::field(name, "must be true or false")),
        }
    }
}

/// A uuid parameter, or a 400 naming it.
pub fn parse_uuid(name: &str, raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw.trim()).map_err(|_| ApiError::field(name, "must be a uuid"))
}

/// The single path parameter, as text (each handler parses it and names it).
pub struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(|_| ApiError::field("path", "has an invalid parameter"))
    }
}

// ---------------------------------------------------------------------- base URL

/// The base URL the client used (`http://<Host>`), for links in replies.
pub struct BaseUrl(pub String);

impl FromRequestParts<AppState> for BaseUrl {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        // Only a well-formed authority is echoed into URLs; anything else falls back to the
        // bound address.
        let host = parts
            .headers
            .get(HOST)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<http::uri::Authority>().ok())
            .filter(|authority| !authority.as_str().contains('@'))
            .map_or_else(|| state.local_addr.to_string(), |a| a.as_str().to_string());
        Ok(Self(format!("http://{host}")))
    }
}

#[cfg(test)]
mod tests {
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
