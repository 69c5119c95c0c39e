//! Why a spec could not be loaded.

/// A spec that cannot be used: not YAML, not OpenAPI 3.0, or structurally broken.
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
    /// The document is YAML but not a usable OpenAPI 3.0 document.
    #[error("spec `{spec}` at `{pointer}`: {message}")]
    Invalid {
        /// The spec's name.
        spec: String,
        /// A JSON pointer to the offending place.
        pointer: String,
        /// What is wrong.
        message: String,
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
