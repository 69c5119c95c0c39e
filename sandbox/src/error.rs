//! Every error the sandbox answers with, and its envelope.
//!
//! Business errors are HTTP 200 with a spec code ([`KnownErrorCode`]) and its documented
//! message; transport errors use the HTTP status as `error_code`. The body is always the
//! generated `types::ApiOutputError`.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;
use vlens_client::KnownErrorCode;
use vlens_client::types::ApiOutputError;

/// One field at fault: the `error_descriptions` items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// Where: `geoLocation.latitude`, `scanTransaction.face_1`, `RequestId`, `body`.
    pub field: String,
    /// What is wrong with it (never the value itself: it may be a secret).
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Why a request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// A business error: HTTP 200 and the spec's code and message.
    #[error("{}", .code.message())]
    Business {
        code: KnownErrorCode,
        descriptions: Vec<FieldProblem>,
    },
    /// 400: bad input; the message names the first field and the descriptions list them all.
    #[error("bad request")]
    BadRequest(Vec<FieldProblem>),
    /// 401 with a message that says what was wrong.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: a valid token of the wrong kind, or a forbidden parameter.
    #[error("{0}")]
    Forbidden(&'static str),
    /// 404: no such route, or (hosted pages, control API) no such thing.
    #[error("{0}")]
    NotFound(&'static str),
    /// 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 413.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 415.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 500: a fault of the sandbox itself.
    #[error("internal error")]
    Internal,
    /// 502, 503 or 504 armed through `/__sandbox/faults` (a 500 goes through the panic guard
    /// instead, as [`ApiError::Internal`]).
    #[error("injected server fault (HTTP {0})")]
    InjectedFault(StatusCode),
    /// 507: a cap of `SandboxConfig::caps` is reached; the message names it and what frees it.
    #[error("{0}")]
    InsufficientStorage(String),
    /// 503 to a connection beyond `connections.max` (the cap it names).
    #[error("overloaded: more than {0} connections")]
    Overloaded(usize),
    /// 408: the request body did not arrive within `connections.body_read_timeout`.
    #[error("request body timeout")]
    BodyTimeout(std::time::Duration),
    /// hyper's own rejection of a request it could not parse (400, 414, 431), reshaped.
    #[error("{message}")]
    Unparsable {
        status: StatusCode,
        message: &'static str,
    },
}

impl From<KnownErrorCode> for ApiError {
    fn from(code: KnownErrorCode) -> Self {
        ApiError::Business {
            code,
            descriptions: Vec::new(),
        }
    }
}

impl ApiError {
    /// A 400 about one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadRequest(vec![FieldProblem::new(field, message)])
    }

    /// A business error with field-level details.
    pub fn business_with(code: KnownErrorCode, descriptions: Vec<FieldProblem>) -> Self {
        ApiError::Business { code, descriptions }
    }

    /// The HTTP status, the `error_code`, the message and the descriptions.
    fn parts(&self) -> (StatusCode, i32, String, &[FieldProblem]) {
        let transport = |code: KnownErrorCode, message: String| {
            let status = StatusCode::from_u16(code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, code.code(), message)
        };
        let (status, code, message) = match self {
            ApiError::Business { code, .. } => (StatusCode::OK, code.code(), code.message().into()),
            ApiError::BadRequest(problems) => {
                let base = KnownErrorCode::BadRequest.message().trim_end_matches('.');
                let message = match problems.first() {
                    Some(first) => format!("{base}: `{}` {}", first.field, first.message),
                    None => KnownErrorCode::BadRequest.message().to_string(),
                };
                transport(KnownErrorCode::BadRequest, message)
            }
            ApiError::Unauthorized(message) => {
                transport(KnownErrorCode::Unauthorized, (*message).into())
            }
            ApiError::Forbidden(message) => transport(KnownErrorCode::Forbidden, (*message).into()),
            ApiError::NotFound(message) => transport(KnownErrorCode::NotFound, (*message).into()),
            ApiError::MethodNotAllowed => transport(
                KnownErrorCode::MethodNotAllowed,
                KnownErrorCode::MethodNotAllowed.message().into(),
            ),
            ApiError::PayloadTooLarge => transport(
                KnownErrorCode::PayloadTooLarge,
                format!(
                    "{} (the limit is {} bytes)",
                    KnownErrorCode::PayloadTooLarge.message(),
                    crate::defaults::MAX_BODY_BYTES
                ),
            ),
            ApiError::UnsupportedMediaType => transport(
                KnownErrorCode::UnsupportedMediaType,
                format!(
                    "{}: send the body as `Content-Type: application/json`",
                    KnownErrorCode::UnsupportedMediaType.message()
                ),
            ),
            ApiError::Internal => transport(
                KnownErrorCode::InternalError,
                KnownErrorCode::InternalError.message().into(),
            ),
            // No spec code names these: like every transport error, the code is the status.
            ApiError::Overloaded(max) => (
                StatusCode::SERVICE_UNAVAILABLE,
                i32::from(StatusCode::SERVICE_UNAVAILABLE.as_u16()),
                format!(
                    "Service Unavailable - the sandbox serves at most {max} connections at \
                     once; retry shortly"
                ),
            ),
            ApiError::BodyTimeout(limit) => (
                StatusCode::REQUEST_TIMEOUT,
                i32::from(StatusCode::REQUEST_TIMEOUT.as_u16()),
                format!(
                    "Request Timeout - the request body did not arrive within {} ms",
                    limit.as_millis()
                ),
            ),
            ApiError::Unparsable { status, message } => {
                (*status, i32::from(status.as_u16()), (*message).to_string())
            }
            ApiError::InsufficientStorage(message) => (
                StatusCode::INSUFFICIENT_STORAGE,
                i32::from(StatusCode::INSUFFICIENT_STORAGE.as_u16()),
                format!("Insufficient storage - {message}"),
            ),
            ApiError::InjectedFault(status) => (
                *status,
                i32::from(status.as_u16()),
                format!(
                    "{} - injected through the sandbox control API (/__sandbox/faults)",
                    status.canonical_reason().unwrap_or("Server error")
                ),
            ),
        };
        let descriptions: &[FieldProblem] = match self {
            ApiError::Business { descriptions, .. } => descriptions,
            ApiError::BadRequest(problems) => problems,
            _ => &[],
        };
        (status, code, message, descriptions)
    }

    /// The envelope and its status.
    pub fn to_envelope(&self) -> (StatusCode, ApiOutputError) {
        let (status, code, message, descriptions) = self.parts();
        let descriptions = if descriptions.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::to_value(descriptions).unwrap_or(serde_json::Value::Null)
        };
        (
            status,
            ApiOutputError {
                data: serde_json::Value::Null,
                error_code: Some(code),
                error_message: Some(message),
                error_descriptions: descriptions,
            },
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, envelope) = self.to_envelope();
        (status, Json(envelope)).into_response()
    }
}

/// The result of a handler step.
pub type ApiResult<T> = Result<T, ApiError>;
