//! What several integration tests share.

use std::path::Path;

use libtest_mimic::Conclusion;
use vlens_conformance::harness::{Options, run};

/// Runs the case files of `dir` as trials against the embedded sandbox (snapshots in a
/// temporary directory), with the static coverage trials when `coverage_trials`.
pub fn run_quietly(dir: &Path, shown: &str, coverage_trials: bool) -> Conclusion {
    let snapshots = tempfile::tempdir().unwrap();
    let options = Options {
        base_url: None,
        cases_dir: dir.to_owned(),
        cases_shown_as: shown.to_owned(),
        snapshots_dir: snapshots.path().to_owned(),
        coverage_trials,
        settings: Default::default(),
    };
    // JSON events, and a filter that matches every trial: this inner run's own (expected)
    // failures must not print a `test result: FAILED` line into the outer test's output.
    let arguments = libtest_mimic::Arguments {
        test_threads: Some(2),
        format: Some(libtest_mimic::FormatSetting::Json),
        filter: Some(String::new()),
        ..Default::default()
    };
    run(&arguments, &options).unwrap()
}
