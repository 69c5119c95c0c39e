//! `cargo xtask codegen`: `openapi/vlens.yaml` → `client/src/generated.rs` (progenitor),
//! `client/src/generated_spec.rs` (error codes, envelopes and the operation table) and
//! `client/src/generated_builders.rs` (constructors and setters for request bodies). Also
//! `cargo xtask calibrate REPORT` ([`calibrate`]): a conformance run's observed error numbers
//! folded into the spec. After writing, `cargo xtask codegen` prints what changed in the spec
//! since the committed one, and `cargo xtask spec-diff OLD NEW` does so for any two files
//! ([`diff`]; the rules are in `openapi/README.md`).
//!
//! The steps, each in its own module:
//! 1. [`spec`] reads the YAML through `vlens-openapi` (the one reader of the spec and of its
//!    `x-vlens-*` extensions), then checks up front for what progenitor would panic on or
//!    silently get wrong, naming the operation or schema at fault;
//! 2. [`adjust`] removes, in memory, the header parameters the client's hand layer adds once;
//! 3. [`generate`] runs progenitor with deliberate settings and renders the code;
//! 4. [`constructors`] removes progenitor's `Client::new` and narrows `new_with_client` to the
//!    crate: a client is made by `ClientBuilder`, which sets the redirect policy and TLS;
//! 5. [`meta`] renders what the spec says beyond types and methods;
//! 6. [`builders`] renders a constructor with the required fields and a setter per optional
//!    field for every request body, so that no caller writes `field: None`;
//! 7. [`control`] renders `sandbox/src/generated_control.rs` from
//!    `openapi/sandbox-control.yaml` through steps 1–6 where they apply (plus [`tristate`]): the
//!    control API's client and types, which the sandbox serves and its test kit calls;
//! 8. [`codegen`] writes the files, or with `--check` compares them.

pub mod adjust;
pub mod builders;
pub mod calibrate;
pub mod codegen;
pub mod constructors;
pub mod control;
pub mod diff;
pub mod generate;
pub mod meta;
pub mod spec;
pub mod tristate;
pub mod workspace;

use std::path::PathBuf;

pub use codegen::{Mode, Outcome, run};
pub use workspace::Layout;

/// Everything codegen can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No `Cargo.toml` with `[workspace]` above the start directory.
    #[error("no Cargo workspace found at or above {}", start.display())]
    NoWorkspace {
        /// Where the search started.
        start: PathBuf,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The spec is not valid YAML, or not an OpenAPI 3.0 document.
    #[error("{}: {message}", path.display())]
    SpecSyntax {
        /// The spec file.
        path: PathBuf,
        /// What is wrong, with line and column or the document path.
        message: String,
    },
    /// The spec parses but the generator cannot take it; one line per problem.
    #[error("{} cannot be generated:\n{}", path.display(), problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    SpecProblems {
        /// The spec file.
        path: PathBuf,
        /// Each problem, naming the operation or schema at fault.
        problems: Vec<String>,
    },
    /// A calibration report cannot be folded into the spec; one line per problem.
    #[error("the calibration report cannot be folded into the spec:\n{}", problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Calibration {
        /// Each problem, naming the code at fault.
        problems: Vec<String>,
    },
    /// git could not give an earlier version of the spec.
    #[error("{what}")]
    Git {
        /// What failed.
        what: String,
    },
    /// progenitor refused the spec.
    #[error("progenitor rejected the spec: {0}")]
    Generator(#[from] progenitor::Error),
    /// The generated tokens are not valid Rust (a generator bug).
    #[error("generated code for {file} does not parse: {source}")]
    Render {
        /// The output file.
        file: &'static str,
        /// The parser's error.
        source: syn::Error,
    },
}
