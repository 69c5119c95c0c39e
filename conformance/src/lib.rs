//! YAML conformance cases run against any Vlens base URL (default: the embedded sandbox).
pub mod case;
pub mod generate;
pub mod redact;
pub mod template;
pub mod tnode;
pub mod yaml;
