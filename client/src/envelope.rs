//! The Vlens envelope: `{data, error_code, error_message, error_descriptions}`.
//!
//! Vlens reports most errors inside an HTTP 200 reply, so HTTP success is not API success: a
//! reply succeeds only when `error_code` is null or 0 (the docs show both). [`ResultExt`] turns
//! any generated method's result into the `data` it carries or a [`VlensError`].

use std::fmt;

use crate::error::VlensError;
use crate::generated::{Error as ProgenitorError, ResponseValue, types};
use crate::spec::{ErrorCodeSource, KnownErrorCode};

/// Implemented (in the generated `generated_spec.rs`) for every envelope type of the spec.
pub trait Envelope {
    /// The type `data` holds on success.
    type Data;
    /// `error_code`: null (or 0) on success.
    fn error_code(&self) -> Option<i32>;
    /// `error_message`.
    fn error_message(&self) -> Option<&str>;
    /// `error_descriptions`: field-level details, when the server gives them.
    fn error_descriptions(&self) -> &serde_json::Value;
    /// `data`, which is null on errors.
    fn into_data(self) -> Option<Self::Data>;

    /// Whether the envelope reports success (`error_code` null or 0).
    fn is_success(&self) -> bool {
        matches!(self.error_code(), None | Some(0))
    }

    /// `totalCount`, for the envelopes of paged lists (None for the others).
    fn total_count(&self) -> Option<i64> {
        None
    }
}

/// An `error_code`: one the spec names, a gateway status, or any other number the server sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// A code listed in the spec's `x-vlens-error-codes`.
    Known(KnownErrorCode),
    /// 502: a proxy in front of Vlens got no valid reply from it. Named here rather than in the
    /// spec's table: gateways send it, not Vlens, and callers retry it.
    BadGateway,
    /// 503: overloaded or in maintenance (the sandbox's fault injection sends it too).
    ServiceUnavailable,
    /// 504: a proxy in front of Vlens timed out waiting for it.
    GatewayTimeout,
    /// A code none of the above names, kept as sent.
    Other(i32),
}

impl ErrorCode {
    /// Classifies a numeric code.
    pub fn from_code(code: i32) -> Self {
        if let Some(known) = KnownErrorCode::from_code(code) {
            return ErrorCode::Known(known);
        }
        match code {
            502 => ErrorCode::BadGateway,
            503 => ErrorCode::ServiceUnavailable,
            504 => ErrorCode::GatewayTimeout,
            other => ErrorCode::Other(other),
        }
    }

    /// The numeric code.
    pub fn code(self) -> i32 {
        match self {
            ErrorCode::Known(known) => known.code(),
            ErrorCode::BadGateway => 502,
            ErrorCode::ServiceUnavailable => 503,
            ErrorCode::GatewayTimeout => 504,
            ErrorCode::Other(code) => code,
        }
    }

    /// The name of a named code (the spec's name, or the gateway status's).
    pub fn name(self) -> Option<&'static str> {
        match self {
            ErrorCode::Known(known) => Some(known.name()),
            ErrorCode::BadGateway => Some("BadGateway"),
            ErrorCode::ServiceUnavailable => Some("ServiceUnavailable"),
            ErrorCode::GatewayTimeout => Some("GatewayTimeout"),
            ErrorCode::Other(_) => None,
        }
    }

    /// The spec's code, if it names this one.
    pub fn known(self) -> Option<KnownErrorCode> {
        match self {
            ErrorCode::Known(known) => Some(known),
            _ => None,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{} {name}", self.code()),
            None => write!(f, "{}", self.code()),
        }
    }
}

impl From<KnownErrorCode> for ErrorCode {
    fn from(known: KnownErrorCode) -> Self {
        ErrorCode::Known(known)
    }
}

/// An error the server reported in an envelope.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status (200 for business errors).
    pub status: u16,
    /// `error_code`.
    pub code: ErrorCode,
    /// `error_message`.
    pub message: Option<String>,
    /// `error_descriptions` (null when absent).
    pub descriptions: serde_json::Value,
}

impl ApiError {
    pub(crate) fn from_envelope<E: Envelope>(status: u16, envelope: &E) -> Self {
        Self {
            status,
            // An error envelope without a code (a 4xx/5xx whose body says nothing) is reported
            // under its HTTP status, which is what Vlens's own codes for these mean.
            code: ErrorCode::from_code(envelope.error_code().unwrap_or(i32::from(status))),
            message: envelope.error_message().map(str::to_string),
            descriptions: envelope.error_descriptions().clone(),
        }
    }

    /// Whether this is the given spec code: the same number, or — for a code this project
    /// defined because the docs give none (`source: project`, so the number is a guess) — the
    /// documented message. A real server that numbers "Location changed, liveness revalidation
    /// required." differently still answers `is(LocationRevalidationRequired)`.
    pub fn is(&self, code: KnownErrorCode) -> bool {
        self.code == ErrorCode::Known(code)
            || (code.source() == ErrorCodeSource::Project
                && self
                    .message
                    .as_deref()
                    .is_some_and(|message| same_message(message, code.message())))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Vlens error {} (HTTP {})", self.code, self.status)?;
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// Messages compared as a person would: case, surrounding space and a final full stop aside.
fn same_message(sent: &str, documented: &str) -> bool {
    let normal = |text: &str| text.trim().trim_end_matches('.').trim().to_lowercase();
    !documented.trim().is_empty() && normal(sent) == normal(documented)
}

/// What every generated method returns: the reply, or progenitor's error (turn it into the
/// envelope's `data` or a [`VlensError`] with [`ResultExt::data`]).
pub type CallResult<T> = Result<ResponseValue<T>, ProgenitorError<types::ApiOutputError>>;

/// Turns a generated method's result into the envelope's `data` or a [`VlensError`].
pub trait ResultExt {
    /// The envelope type of the reply.
    type Envelope: Envelope;

    /// The success envelope (for the list counts or `services`), or the error it reports.
    fn envelope(self) -> Result<Self::Envelope, VlensError>;

    /// The `data` of a success envelope, or the error.
    fn data(self) -> Result<<Self::Envelope as Envelope>::Data, VlensError>;
}

impl<T: Envelope> ResultExt for CallResult<T> {
    type Envelope = T;

    fn envelope(self) -> Result<T, VlensError> {
        let reply = self?;
        let status = reply.status().as_u16();
        let envelope = reply.into_inner();
        if envelope.is_success() {
            Ok(envelope)
        } else {
            Err(VlensError::Api(ApiError::from_envelope(status, &envelope)))
        }
    }

    fn data(self) -> Result<T::Data, VlensError> {
        let status = self.as_ref().map_or(200, |reply| reply.status().as_u16());
        self.envelope()?
            .into_data()
            .ok_or(VlensError::MissingData { status })
    }
}
