//! [`VlensError`], everything a call can fail with, and how progenitor's errors become one.
//!
//! No third-party error type appears in a public variant: reqwest's error is the `source()` of a
//! [`TransportError`], so a reqwest upgrade is not a breaking change of this crate, and callers
//! ask [`VlensError::is_timeout`] instead of downcasting.

use std::fmt;

use crate::envelope::{ApiError, ErrorCode};
use crate::generated::{Error as ProgenitorError, types};
use crate::http::RedirectRefused;
use crate::spec::KnownErrorCode;
use crate::transport::{ReplyTooLarge, refusal_in};

/// Everything a call can fail with. Reply bodies and URLs are never included (they may hold
/// tokens or a `SecurityHash`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// The server could not be reached, did not answer in time, or its reply could not be read.
    #[error("transport error: {0}")]
    Transport(#[source] TransportError),
    /// The server redirected the call to another origin, or from https to http (see
    /// [`crate::http`]): nothing was sent there.
    #[error(transparent)]
    Redirect(RedirectRefused),
    /// The reply was larger than [`crate::ClientBuilder::max_reply_bytes`].
    #[error(transparent)]
    ReplyTooLarge(ReplyTooLarge),
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
    /// An HTTP status the spec does not declare for the operation (a 3xx, for instance).
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

/// What went wrong below the API (see [`TransportError::kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (refused, DNS, TLS handshake).
    Connect,
    /// The call took longer than its timeout.
    Timeout,
    /// The request could not be sent.
    Request,
    /// The reply's body could not be read.
    Body,
    /// A redirect could not be followed (a handed-in client's own policy refused it).
    Redirect,
    /// Anything else.
    Other,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "cannot connect to the server",
            TransportErrorKind::Timeout => "the call timed out",
            TransportErrorKind::Request => "the request could not be sent",
            TransportErrorKind::Body => "the reply could not be read",
            TransportErrorKind::Redirect => "a redirect could not be followed",
            TransportErrorKind::Other => "HTTP error",
        })
    }
}

/// A failure below the API. The underlying `reqwest::Error` (without its URL) is the
/// `source()`; the message names the kind and the innermost cause.
#[derive(Debug)]
pub struct TransportError {
    kind: TransportErrorKind,
    source: reqwest::Error,
}

impl TransportError {
    fn new(error: reqwest::Error) -> Self {
        let kind = if error.is_timeout() {
            TransportErrorKind::Timeout
        } else if error.is_connect() {
            TransportErrorKind::Connect
        } else if error.is_redirect() {
            TransportErrorKind::Redirect
        } else if error.is_body() || error.is_decode() {
            TransportErrorKind::Body
        } else if error.is_request() {
            TransportErrorKind::Request
        } else {
            TransportErrorKind::Other
        };
        Self {
            kind,
            source: error.without_url(),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        // The innermost cause ("Connection refused (os error 111)") is what an operator acts
        // on; reqwest's own top line ("error sending request") says nothing. Causes below
        // reqwest are I/O, TLS and HTTP-protocol errors, which carry no URL.
        let mut innermost: &(dyn std::error::Error + 'static) = &self.source;
        while let Some(next) = innermost.source() {
            innermost = next;
        }
        if !std::ptr::addr_eq(innermost, &self.source) {
            write!(f, " ({innermost})")?;
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A reqwest error, named by what this crate's transport refused if that is its cause.
fn from_reqwest(error: reqwest::Error) -> VlensError {
    match refusal_in(&error) {
        Some(Ok(refused)) => VlensError::Redirect(refused),
        Some(Err(too_large)) => VlensError::ReplyTooLarge(too_large),
        None => VlensError::Transport(TransportError::new(error)),
    }
}

impl From<ProgenitorError<types::ApiOutputError>> for VlensError {
    fn from(error: ProgenitorError<types::ApiOutputError>) -> Self {
        match error {
            ProgenitorError::ErrorResponse(reply) => VlensError::Api(ApiError::from_envelope(
                reply.status().as_u16(),
                reply.as_ref(),
            )),
            ProgenitorError::CommunicationError(e)
            | ProgenitorError::InvalidUpgrade(e)
            | ProgenitorError::ResponseBodyError(e) => from_reqwest(e),
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

/// Statuses worth sending again: request timeout, rate limiting, gateway trouble.
fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 502 | 503 | 504)
}

impl VlensError {
    /// The envelope error, if the server sent one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            VlensError::Api(api) => Some(api),
            _ => None,
        }
    }

    /// Whether the server answered with this spec code (by number, or by documented message
    /// where the spec's number is a guess: see [`ApiError::is`]).
    pub fn is(&self, code: KnownErrorCode) -> bool {
        self.api().is_some_and(|api| api.is(code))
    }

    /// Whether the same call may succeed if sent again: no connection, a timeout, or a status
    /// of 408, 429, 502, 503 or 504. The client already retries GETs
    /// ([`crate::RetryPolicy`]); for a POST the caller decides whether sending it twice is safe
    /// (a timed-out StepRequestOtp may have sent an SMS).
    pub fn is_retryable(&self) -> bool {
        match self {
            VlensError::Transport(transport) => matches!(
                transport.kind,
                TransportErrorKind::Connect | TransportErrorKind::Timeout
            ),
            VlensError::Api(api) => {
                retryable_status(api.status)
                    || matches!(
                        api.code,
                        ErrorCode::BadGateway
                            | ErrorCode::ServiceUnavailable
                            | ErrorCode::GatewayTimeout
                    )
            }
            VlensError::UnexpectedStatus { status } => retryable_status(*status),
            _ => false,
        }
    }

    /// Whether the call ran past its timeout on this side (the builder's, or
    /// [`crate::Client::with_timeout`]). A gateway's 504 is [`ErrorCode::GatewayTimeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, VlensError::Transport(t) if t.kind == TransportErrorKind::Timeout)
    }

    /// Whether the exchange failed below the API (connection, timeout, reading the reply), as
    /// opposed to an answer of the server or a refusal of this client.
    pub fn is_transport(&self) -> bool {
        matches!(self, VlensError::Transport(_))
    }
}
