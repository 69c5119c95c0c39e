//! The vendor extensions of a spec (`x-vlens-*`), read in one place with one strictness: every
//! tool of the workspace (the xtask's code generation, the sandbox's tests, the conformance
//! harness) gets them from [`crate::ApiSpec`] and none reads them from the document itself.
//!
//! - `x-vlens-error-codes` at the root: the table of error codes ([`ErrorCodeSpec`]);
//! - `x-vlens-error-codes` on an operation: the names of the codes it answers with, each
//!   defined by the table, none twice; required on every operation of a spec that has a table;
//! - `x-vlens-token`: which bearer token an operation takes ([`TokenKind`]), set exactly when
//!   its security names a bearer scheme;
//! - `x-vlens-messages`: whom an operation messages ([`MessageSpec`]);
//! - `x-vlens-secret: true` on a `type: string` schema: a credential;
//! - `x-vlens-decision`: where the project decided what the docs leave open ([`Decision`]).
//!
//! All problems are collected, so that one load names every bad entry.

mod error_codes;
mod marks;
mod operation;

use serde_json::Value;

pub use error_codes::{ErrorCodeSource, ErrorCodeSpec, Observation};
pub use marks::{Decision, DecisionPlace};
pub use operation::{MessageChannel, MessageSpec, Recipient, TokenKind};

use crate::error::SpecProblem;
use crate::spec::Operation;

/// The document-wide extensions.
#[derive(Debug, Default)]
pub(crate) struct Extensions {
    pub(crate) error_codes: Vec<ErrorCodeSpec>,
    pub(crate) secrets: Vec<String>,
    pub(crate) decisions: Vec<Decision>,
}

/// Reads every extension of `document` (as written), filling in each operation's own.
pub(crate) fn read(
    document: &Value,
    operations: &mut [Operation],
) -> Result<Extensions, Vec<SpecProblem>> {
    let mut problems = Vec::new();
    let table = error_codes::read_table(document, &mut problems);
    for op in operations.iter_mut() {
        operation::read(document, op, table.as_ref(), &mut problems);
    }
    let marks = marks::read(document, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Extensions {
        error_codes: table.map(|table| table.entries).unwrap_or_default(),
        secrets: marks.secrets,
        decisions: marks.decisions,
    })
}
