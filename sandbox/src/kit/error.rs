//! What a kit call can fail with, and the turning of the control client's replies into data.

use std::fmt;

use serde_json::Value;
use vlens_client::{BuildError, InvalidHeader, VlensError};

use crate::control::types::ControlOutputError;
use crate::control::{ControlReply, Error, ResponseValue};

/// Why a kit call failed. Messages name the operation and carry what the server said; no
/// secret (ApiKey, token, password, OTP code) is ever part of one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KitError {
    /// The control API answered an error envelope.
    #[error(transparent)]
    Control(#[from] ControlError),
    /// A reply that is not the control API's envelope (not JSON, or not of the operation's
    /// shape): something other than a sandbox answered. The cause is the `source()`.
    #[error("{operation}: {}", match status {
        Some(status) => format!("HTTP {status} without the control API's envelope"),
        None => "a reply that is not the control API's envelope".to_owned(),
    })]
    NotAnEnvelope {
        /// The control operation.
        operation: &'static str,
        /// The HTTP status, when known.
        status: Option<u16>,
        /// Why the body could not be read as the envelope.
        #[source]
        source: serde_json::Error,
    },
    /// The control API could not be reached, or its reply could not be read (the cause is the
    /// `source()`).
    #[error("{operation}: {message}")]
    Transport {
        /// The control operation (`sandbox-create-user`).
        operation: &'static str,
        /// What went wrong, without the URL (its query may hold a secret).
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A call of the Vlens API (creating a request, reading an OTP's request) failed.
    #[error(transparent)]
    Vlens(#[from] VlensError),
    /// A Vlens client could not be built for the kit.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// A credential cannot be sent as a header.
    #[error(transparent)]
    Header(#[from] InvalidHeader),
    /// A reply that works but does not give the fixture what it needs (a user without a
    /// token, a signing link without a SecurityHash, a product without a form).
    #[error("{0}")]
    Fixture(String),
}

impl KitError {
    /// The HTTP status of an error reply (of the control API or the Vlens API), when there was
    /// a reply.
    pub fn status(&self) -> Option<u16> {
        match self {
            KitError::Control(error) => Some(error.status),
            KitError::NotAnEnvelope { status, .. } => *status,
            KitError::Vlens(error) => error.api().map(|api| api.status),
            _ => None,
        }
    }
}

/// An error envelope from the control API: `error_code` repeats the HTTP status, the message
/// names the field at fault.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ControlError {
    /// The control operation (`sandbox-set-request-status`).
    pub operation: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// `error_code`.
    pub error_code: Option<i32>,
    /// `error_message`.
    pub error_message: Option<String>,
    /// `error_descriptions`: one `{field, message}` per problem, or null.
    pub error_descriptions: Value,
}

impl ControlError {
    /// The fields named in `error_descriptions`, in order.
    pub fn fields(&self) -> Vec<&str> {
        self.error_descriptions
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item.get("field").and_then(Value::as_str))
            .collect()
    }
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: HTTP {}", self.operation, self.status)?;
        if let Some(message) = &self.error_message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ControlError {}

/// The data of a control call's reply, or why there is none.
pub(crate) async fn data<T: ControlReply>(
    operation: &'static str,
    result: Result<ResponseValue<T>, Error<ControlOutputError>>,
) -> Result<T::Data, KitError> {
    let (status, envelope) = match result {
        Ok(reply) => (reply.status().as_u16(), reply.into_inner().into_envelope()),
        Err(Error::ErrorResponse(reply)) => {
            let status = reply.status().as_u16();
            return Err(error_envelope(operation, status, reply.into_inner()).into());
        }
        // A status the spec does not declare for the operation (a 5xx of one declared 4xx
        // only): the sandbox still answers its envelope, so read it.
        Err(Error::UnexpectedResponse(response)) => {
            let status = response.status().as_u16();
            let body = response
                .bytes()
                .await
                .map_err(|e| transport(operation, "the reply could not be read", e))?;
            return match serde_json::from_slice::<ControlOutputError>(&body) {
                Ok(envelope) => Err(error_envelope(operation, status, envelope).into()),
                Err(source) => Err(KitError::NotAnEnvelope {
                    operation,
                    status: Some(status),
                    source,
                }),
            };
        }
        Err(Error::CommunicationError(e) | Error::ResponseBodyError(e)) => {
            // reqwest's message names the URL, query included: cut it.
            let e = e.without_url();
            return Err(KitError::Transport {
                operation,
                message: error_chain(&e),
                source: Some(Box::new(e)),
            });
        }
        // progenitor keeps no status here (a 200 or a declared error status).
        Err(Error::InvalidResponsePayload(_, source)) => {
            return Err(KitError::NotAnEnvelope {
                operation,
                status: None,
                source,
            });
        }
        Err(other) => {
            return Err(KitError::Transport {
                operation,
                message: other.to_string(),
                source: None,
            });
        }
    };
    let failed = envelope.error_code.is_some_and(|code| code != 0);
    match envelope.data {
        Some(data) if !failed => Ok(data),
        _ => Err(ControlError {
            operation,
            status,
            error_code: envelope.error_code,
            error_message: envelope.error_message,
            error_descriptions: envelope.error_descriptions,
        }
        .into()),
    }
}

fn error_envelope(operation: &'static str, status: u16, body: ControlOutputError) -> ControlError {
    ControlError {
        operation,
        status,
        error_code: body.error_code,
        error_message: body.error_message,
        error_descriptions: body.error_descriptions,
    }
}

fn transport(
    operation: &'static str,
    message: &str,
    source: impl std::error::Error + Send + Sync + 'static,
) -> KitError {
    KitError::Transport {
        operation,
        message: format!("{message}: {source}"),
        source: Some(Box::new(source)),
    }
}

/// An error and its causes, as one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}
