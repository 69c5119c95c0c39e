//! YAML conformance cases run against any Vlens base URL (default: the embedded sandbox).
