//! The Vlens envelope: `{data, error_code, error_message, error_descriptions}`.
//!
//! Vlens reports most errors inside an HTTP 200 reply, so HTTP success is not API success: a
//! reply succeeds only when `error_code` is null or 0 (the docs show both). [`ResultExt`] turns
//! any generated method's result into the `data` it carries or a [`VlensError`].

use std::fmt;

use crate::generated::{Error as ProgenitorError, ResponseValue, types};
use crate::spec::KnownErrorCode;

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

/// An `error_code`: one the spec names, or any other number the server sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A code listed in the spec's `x-vlens-error-codes`.
    Known(KnownErrorCode),
    /// A code the spec does not name, kept as sent.
    Other(i32),
}

impl ErrorCode {
    /// Classifies a numeric code.
    pub fn from_code(code: i32) -> Self {
        KnownErrorCode::from_code(code).map_or(ErrorCode::Other(code), ErrorCode::Known)
    }

    /// The numeric code.
    pub fn code(self) -> i32 {
        match self {
            ErrorCode::Known(known) => known.code(),
            ErrorCode::Other(code) => code,
        }
    }

    /// The spec's code, if it names this one.
    pub fn known(self) -> Option<KnownErrorCode> {
        match self {
            ErrorCode::Known(known) => Some(known),
            ErrorCode::Other(_) => None,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorCode::Known(known) => write!(f, "{} {}", known.code(), known.name()),
            ErrorCode::Other(code) => write!(f, "{code}"),
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
    fn from_envelope<E: Envelope>(status: u16, envelope: &E) -> Self {
        Self {
            status,
            // An error envelope without a code (a 4xx/5xx whose body says nothing) is reported
            // under its HTTP status, which is what Vlens's own codes for these mean.
            code: ErrorCode::from_code(envelope.error_code().unwrap_or(i32::from(status))),
            message: envelope.error_message().map(str::to_string),
            descriptions: envelope.error_descriptions().clone(),
        }
    }

    /// Whether this is the given spec code.
    pub fn is(&self, code: KnownErrorCode) -> bool {
        self.code == ErrorCode::Known(code)
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

/// Everything a call can fail with. Reply bodies are never included (they may hold tokens).
#[derive(Debug, thiserror::Error)]
pub enum VlensError {
    /// The server answered with an error envelope (HTTP 200 with `error_code`, or 4xx/5xx).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A success envelope whose `data` was null.
    #[error("the reply (HTTP {status}) reports success but carries no data")]
    MissingData {
        /// The HTTP status.
        status: u16,
    },
    /// The server could not be reached, or its reply could not be read.
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// The reply does not match the spec's type. (progenitor does not say which status the
    /// undecodable body came with.)
    #[error("the reply does not match the spec at line {line}, column {column} ({category})")]
    Decode {
        /// Where in the body.
        line: usize,
        /// Where in the body.
        column: usize,
        /// syntax, data (wrong shape or type) or eof.
        category: &'static str,
    },
    /// An HTTP status the spec does not declare for the operation.
    #[error("unexpected HTTP status {status}")]
    UnexpectedStatus {
        /// The HTTP status.
        status: u16,
    },
    /// The request could not be built (for example an ApiKey that is not a valid header).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The client's configuration is invalid.
    #[error(transparent)]
    Build(#[from] crate::BuildError),
}

impl From<ProgenitorError<types::ApiOutputError>> for VlensError {
    fn from(error: ProgenitorError<types::ApiOutputError>) -> Self {
        match error {
            ProgenitorError::ErrorResponse(reply) => VlensError::Api(ApiError::from_envelope(
                reply.status().as_u16(),
                reply.as_ref(),
            )),
            // reqwest's messages include the URL, whose query may hold a SecurityHash.
            ProgenitorError::CommunicationError(e)
            | ProgenitorError::InvalidUpgrade(e)
            | ProgenitorError::ResponseBodyError(e) => VlensError::Transport(e.without_url()),
            // serde's message may quote the offending value, which may be a token: keep only
            // where and what kind of mismatch.
            ProgenitorError::InvalidResponsePayload(_, e) => VlensError::Decode {
                line: e.line(),
                column: e.column(),
                category: match e.classify() {
                    serde_json::error::Category::Io => "io",
                    serde_json::error::Category::Syntax => "syntax",
                    serde_json::error::Category::Data => "data",
                    serde_json::error::Category::Eof => "eof",
                },
            },
            ProgenitorError::UnexpectedResponse(reply) => VlensError::UnexpectedStatus {
                status: reply.status().as_u16(),
            },
            ProgenitorError::InvalidRequest(message) | ProgenitorError::Custom(message) => {
                VlensError::InvalidRequest(message)
            }
        }
    }
}

impl From<crate::auth::InvalidHeader> for VlensError {
    fn from(error: crate::auth::InvalidHeader) -> Self {
        VlensError::InvalidRequest(error.to_string())
    }
}

impl VlensError {
    /// The envelope error, if the server sent one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            VlensError::Api(api) => Some(api),
            _ => None,
        }
    }

    /// Whether the server answered with this spec code.
    pub fn is(&self, code: KnownErrorCode) -> bool {
        self.api().is_some_and(|api| api.is(code))
    }
}

/// Turns a generated method's result into the envelope's `data` or a [`VlensError`].
pub trait ResultExt {
    /// The envelope type of the reply.
    type Envelope: Envelope;

    /// The success envelope (for the list counts or `services`), or the error it reports.
    fn envelope(self) -> Result<Self::Envelope, VlensError>;

    /// The `data` of a success envelope, or the error.
    fn data(self) -> Result<<Self::Envelope as Envelope>::Data, VlensError>;
}

impl<T: Envelope> ResultExt for Result<ResponseValue<T>, ProgenitorError<types::ApiOutputError>> {
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
