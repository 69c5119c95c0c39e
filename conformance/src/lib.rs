//! YAML conformance cases run against any Vlens base URL (default: the embedded sandbox).
pub mod generate;
pub mod template;
pub mod yaml;
