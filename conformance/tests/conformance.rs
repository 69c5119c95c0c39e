//! `cargo test -p vlens-conformance`: the whole suite through libtest-mimic (its CLI intact),
//! against the embedded sandbox unless the environment names another target
//! (`VLENS_BASE_URL`, `VLENS_TARGET_PROFILE`) or other cases (`VLENS_CASES_DIR`).

use std::process::ExitCode;

use vlens_conformance::harness::{Options, main_with};

fn main() -> ExitCode {
    let arguments = libtest_mimic::Arguments::from_args();
    main_with(&arguments, &Options::from_env())
}
