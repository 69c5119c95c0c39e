//! `cargo test -p vlens-conformance`: the whole suite through libtest-mimic (its CLI intact),
//! against the embedded sandbox unless VLENS_BASE_URL names another target.

use std::process::ExitCode;

use vlens_conformance::harness::{Options, main_with};

fn main() -> ExitCode {
    let arguments = libtest_mimic::Arguments::from_args();
    let base_url = std::env::var("VLENS_BASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty());
    main_with(&arguments, &Options::default_suite(base_url))
}
