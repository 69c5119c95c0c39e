//! The Vlens spec (`openapi/vlens.yaml`) and the sandbox control spec
//! (`openapi/sandbox-control.yaml`) as data: operations, parameters, bodies and responses, and
//! JSON Schema validation of raw JSON against them.
//!
//! It is the one reader of the specs in the workspace: the xtask's code generation, the
//! sandbox's tests and the conformance harness all take operations and the vendor extensions
//! (`x-vlens-error-codes`, `x-vlens-token`, `x-vlens-secret`, `x-vlens-decision`,
//! `x-vlens-messages`; see [`extensions`]) from here, checked once with one strictness.
//!
//! Both specs are embedded and parsed once, on first use. OpenAPI 3.0 schemas are converted to
//! JSON Schema 2020-12 at load (`nullable`, integer formats, boolean exclusive bounds), and
//! checked with the `jsonschema` crate, formats included (`uuid`, `date-time`, `email`, `byte`
//! as base64, `int32`/`int64` ranges). No reference is ever fetched over the network.
//!
//! ```
//! use serde_json::json;
//!
//! let spec = vlens_openapi::vlens();
//! let operation = spec.find_operation("POST", "/api/BusinessRequest/Create/414").unwrap();
//! assert_eq!(operation.id, "create-business-request");
//!
//! let reply = json!({"data": null, "error_code": 4401,
//!                    "error_message": "User is not eligible to create a business request.",
//!                    "error_descriptions": null});
//! assert!(spec.validate_response("create-business-request", 200, &reply).is_ok());
//! let violations = spec.validate_response("create-business-request", 302, &reply).unwrap_err();
//! assert_eq!(violations[0].kind, vlens_openapi::ViolationKind::UndeclaredStatus);
//! ```

#![warn(missing_docs)]

pub mod calibration;
mod convert;
mod error;
pub mod extensions;
mod path;
mod spec;
mod structure;
mod validate;
mod yaml;

use std::sync::LazyLock;

pub use error::{SpecError, SpecProblem};
pub use extensions::{
    Decision, DecisionPlace, ErrorCodeSource, ErrorCodeSpec, MessageChannel, MessageSpec,
    Observation, Recipient, TokenKind,
};
pub use path::percent_decode;
pub use spec::{ApiSpec, Operation, Parameter, ParameterLocation, RequestBody, Response};
pub use validate::{Violation, ViolationKind};

/// The text of `openapi/vlens.yaml`.
pub const VLENS_YAML: &str = include_str!("../vlens.yaml");
/// The text of `openapi/sandbox-control.yaml`.
pub const SANDBOX_CONTROL_YAML: &str = include_str!("../sandbox-control.yaml");

// The same specs as JSON, made by the build script: loading them is then a JSON parse.
const VLENS_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/vlens.json"));
const SANDBOX_CONTROL_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/sandbox-control.json"));

static VLENS: LazyLock<Result<ApiSpec, SpecError>> =
    LazyLock::new(|| ApiSpec::parse_json("vlens", VLENS_JSON));
static SANDBOX_CONTROL: LazyLock<Result<ApiSpec, SpecError>> =
    LazyLock::new(|| ApiSpec::parse_json("sandbox-control", SANDBOX_CONTROL_JSON));

/// The Vlens API spec, `openapi/vlens.yaml`, parsed once.
///
/// # Panics
///
/// Only if the embedded spec is broken, which is a build-time fact that this crate's tests
/// rule out (`both_specs_load`); no runtime input reaches it. Use [`try_vlens`] to get the
/// error instead.
pub fn vlens() -> &'static ApiSpec {
    match try_vlens() {
        Ok(spec) => spec,
        Err(error) => panic!("the embedded openapi/vlens.yaml does not load: {error}"),
    }
}

/// The sandbox control API spec, `openapi/sandbox-control.yaml`, parsed once.
///
/// # Panics
///
/// As [`vlens`]: only if the embedded spec is broken. See [`try_sandbox_control`].
pub fn sandbox_control() -> &'static ApiSpec {
    match try_sandbox_control() {
        Ok(spec) => spec,
        Err(error) => panic!("the embedded openapi/sandbox-control.yaml does not load: {error}"),
    }
}

/// [`vlens`], with the load error instead of a panic.
pub fn try_vlens() -> Result<&'static ApiSpec, &'static SpecError> {
    VLENS.as_ref()
}

/// [`sandbox_control`], with the load error instead of a panic.
pub fn try_sandbox_control() -> Result<&'static ApiSpec, &'static SpecError> {
    SANDBOX_CONTROL.as_ref()
}
