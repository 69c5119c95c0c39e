//! `vlens-sandbox`: a stateful local Vlens that follows the documented business rules.
//!
//! Start one in-process with [`start`]; it binds an ephemeral port when `port` is 0, keeps
//! everything in memory and is ready in milliseconds:
//!
//! ```no_run
//! # async fn demo() -> Result<(), vlens_sandbox::StartError> {
//! let sandbox = vlens_sandbox::start(vlens_sandbox::SandboxConfig::default()).await?;
//! println!("{}", sandbox.base_url());
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Every operation of `openapi/vlens.yaml` is served with the rules and decisions recorded
//! there; the test helpers of `openapi/sandbox-control.yaml` live under `/__sandbox`, with a
//! client and types generated from that spec in [`control`]. [`kit::Kit`] makes the usual
//! fixtures of an integration test through them (a verified user, an approved request of each
//! product, a signing link, the last OTP, a moved clock, an isolated tenant).

mod auth;
pub mod catalogue;
mod config;
pub mod control;
pub mod defaults;
mod error;
mod faults;
/// The control API's client and types, generated from `openapi/sandbox-control.yaml` by
/// `cargo xtask codegen`; public through [`control`]. Do not edit; see the file's header.
#[rustfmt::skip]
#[allow(missing_docs, clippy::all, clippy::pedantic)]
mod generated_control;
mod geo;
mod handlers;
mod http;
mod images;
mod jwt;
pub mod kit;
mod otp;
mod pdf;
mod security_hash;
mod server;
mod store;
mod throttle;
mod time;
mod validate;

pub use config::{
    Caps, Connections, Lifetimes, Limit, LimitSyntaxError, ObservedResponse, PublicBaseUrl,
    PublicBaseUrlError, RateLimits, ResponseObserver, SandboxConfig,
};
pub use geo::{destination_point, distance_km};
pub use server::{RunningSandbox, StartError, start};

/// The README's Rust examples, compiled by `cargo test --doc` so that they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;
