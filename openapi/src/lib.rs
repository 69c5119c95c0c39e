//! The Vlens spec and the sandbox control spec as data: operations, parameters, and JSON Schema validation of raw JSON.
