//! The sandbox's limits, in one test binary so that their tests run side by side (the
//! connection tests mostly wait on timeouts): configuration and lifetimes, throttling, bounded
//! memory, connections, and the library's weight.

#[path = "../common/mod.rs"]
mod common;

mod config;
mod connections;
mod memory;
mod throttling;
mod weight;
