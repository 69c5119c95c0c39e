//! Why a spec could not be loaded.

use std::fmt;

/// A spec that cannot be used: not YAML, not OpenAPI 3.0, structurally broken, or with a vendor
/// extension (`x-vlens-*`) that does not say what this project's tools need.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The text is not valid YAML (the message carries the line and column).
    #[error("spec `{spec}` is not valid YAML: {message}")]
    Yaml {
        /// The spec's name.
        spec: String,
        /// The parser's message.
        message: String,
    },
    /// The document is YAML but not a usable OpenAPI 3.0 document; every problem found.
    ///
    /// The structure (paths, operations, parameters, references) is checked first and stops at
    /// its first problem, since what follows depends on it; the vendor extensions are then
    /// checked all at once, so that one run names every bad entry.
    #[error("{}", ProblemList { spec, problems })]
    Invalid {
        /// The spec's name.
        spec: String,
        /// What is wrong, and where; never empty.
        problems: Vec<SpecProblem>,
    },
    /// The converted schemas could not be registered with the JSON Schema validator.
    #[error("spec `{spec}`: its schemas cannot be registered: {message}")]
    Registry {
        /// The spec's name.
        spec: String,
        /// The validator's message.
        message: String,
    },
}

/// One problem of a spec: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecProblem {
    /// A JSON pointer to the offending place in the document as written
    /// (`/paths/~1api~1BusinessRequest~1CheckEligibility/get/x-vlens-token`).
    pub pointer: String,
    /// What is wrong, naming the operation, schema or error code where there is one.
    pub message: String,
}

impl SpecProblem {
    pub(crate) fn new(pointer: impl Into<String>, message: impl Into<String>) -> SpecProblem {
        SpecProblem {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for SpecProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at `{}`: {}", self.pointer, self.message)
    }
}

/// The `Display` of [`SpecError::Invalid`]: one line for one problem, a list for several.
struct ProblemList<'a> {
    spec: &'a str,
    problems: &'a [SpecProblem],
}

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems {
            [one] => write!(f, "spec `{}` {one}", self.spec),
            many => {
                write!(f, "spec `{}` has {} problems:", self.spec, many.len())?;
                for problem in many {
                    write!(f, "\n  - {problem}")?;
                }
                Ok(())
            }
        }
    }
}
