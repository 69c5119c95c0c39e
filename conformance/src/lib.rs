//! `vlens-conformance`: YAML cases that prove a Vlens server behaves as `openapi/vlens.yaml`
//! and `../shared/vlens-api-facts.md` say, run as libtest-mimic trials against any base URL
//! (default: a `vlens-sandbox` started in this process).
//!
//! The case format, the targets and their env vars are documented in `conformance/README.md`.
//! The pieces: [`yaml`] and [`case`] read and check case files, [`suite`] loads a directory,
//! [`target`] and [`fixtures`] provide the server and each case's users and requests,
//! [`runner`] sends steps and checks every reply in four layers (status, schema, decode,
//! expectations), [`snapshot`] and [`coverage`] record what was seen, [`harness`] makes the
//! trials.

#![warn(missing_docs)]

pub mod case;
pub mod coverage;
pub mod fixtures;
pub mod generate;
pub mod harness;
pub mod redact;
pub mod runner;
pub mod snapshot;
pub mod suite;
pub mod target;
pub mod template;
pub mod tnode;
pub mod yaml;
