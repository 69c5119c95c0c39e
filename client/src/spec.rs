//! The spec as data: the operation table and error-code metadata generated from
//! `openapi/vlens.yaml`, for tools (the sandbox, the conformance harness) that work with
//! operations by id rather than by method.

pub use crate::generated_spec::{KnownErrorCode, OPERATIONS};

/// Which bearer token an operation takes (its `x-vlens-token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// The ApiKey alone.
    None,
    /// An end-user token (from Register or end-user login).
    User,
    /// An admin token (from credentials/Login).
    Admin,
    /// Either kind.
    UserOrAdmin,
    /// An end-user token, or the ApiKey alone.
    UserOptional,
}

/// Who defined an error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCodeSource {
    /// Published in the Vlens docs.
    VlensDocs,
    /// Defined by this project where the docs give none.
    Project,
    /// Seen on a real Vlens by a conformance run (`cargo xtask calibrate`).
    Observed,
}

/// Decodes JSON into one generated type, reporting where it does not fit.
pub type Decoder = fn(&[u8]) -> Result<(), DecodeError>;

/// One operation of the spec.
#[derive(Debug)]
pub struct Operation {
    /// The operationId (`customer-sign-step-request-otp`).
    pub id: &'static str,
    /// The generated method's name (`customer_sign_step_request_otp`), which is also what
    /// progenitor passes to hooks as `OperationInfo::operation_id`.
    pub client_method: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template (`/api/BusinessRequest/Create/{typeId}`).
    pub path: &'static str,
    /// The bearer token it takes.
    pub token: TokenKind,
    /// The business error codes it can answer with (its `x-vlens-error-codes`).
    pub error_codes: &'static [KnownErrorCode],
    /// The component schema of its `200` reply (an envelope).
    pub response_schema: &'static str,
    /// The component schema of its request body, if it takes one.
    pub request_schema: Option<&'static str>,
    /// Decodes a `200` body into the generated reply type.
    pub decode_response: Decoder,
    /// Decodes a request body into the generated input type.
    pub decode_request: Option<Decoder>,
}

/// The operation with this operationId.
pub fn operation(id: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.id == id)
}

/// The operation whose generated method has this name.
pub fn operation_by_client_method(name: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.client_method == name)
}

/// JSON that does not decode into a generated type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("does not decode into {type_name} at `{pointer}`: {message}")]
pub struct DecodeError {
    /// The Rust type.
    pub type_name: &'static str,
    /// A JSON pointer to the offending value (`/data/requeststatus`); empty for the root.
    pub pointer: String,
    /// serde's message.
    pub message: String,
}

/// Decodes `bytes` into `T` and reports where decoding failed as a JSON pointer.
pub fn decode_as<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<(), DecodeError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize::<_, T>(&mut deserializer)
        .map(drop)
        .map_err(|error| DecodeError {
            type_name: std::any::type_name::<T>(),
            pointer: json_pointer(error.path()),
            message: error.inner().to_string(),
        })
}

fn json_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(format!("/{index}")),
            Segment::Map { key } => Some(format!("/{}", key.replace('~', "~0").replace('/', "~1"))),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect()
}
