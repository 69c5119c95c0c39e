//! `vlens-conformance`: YAML cases that prove a Vlens server behaves as `openapi/vlens.yaml`
//! and `../shared/vlens-api-facts.md` say, run as libtest-mimic trials against any target —
//! a `vlens-sandbox` started in this process by default, or Vlens staging described by a
//! target profile.
//!
//! The modules follow the stages of a run: [`case`] reads a case file into the model,
//! [`lint`] checks it against the spec, [`plan`] decides what it needs from a [`target`] (and
//! whether it can run there), [`run`] runs it, [`verify`] checks each reply in four layers,
//! [`record`] keeps what each step saw as data (redacted), [`report`] renders it (failure
//! messages, the JUnit, JSON and HTML reports) and [`drift`] compares two targets' snapshots;
//! [`harness`] makes the trials. The format, the targets and their profiles are documented in
//! `conformance/README.md`.

#![warn(missing_docs)]

pub mod case;
pub mod drift;
pub mod harness;
pub mod http;
pub mod lint;
mod panics;
pub mod plan;
pub mod problem;
pub mod recipients;
pub mod record;
pub mod redact;
pub mod report;
pub mod run;
pub mod schema_shape;
pub mod snapshot;
pub mod suggest;
pub mod suite;
pub mod target;
pub mod template;
pub mod verify;
pub mod yaml;
