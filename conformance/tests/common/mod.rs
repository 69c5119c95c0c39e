//! What several integration tests share.

#![allow(dead_code)]

pub mod xml;

use std::path::Path;

use libtest_mimic::Conclusion;
use vlens_conformance::harness::{Options, run};
use vlens_conformance::report::calibration::Calibration;
use vlens_conformance::report::coverage::Coverage;
use vlens_conformance::run::{CaseRun, RunContext, run_case};
use vlens_conformance::snapshot::SnapshotStore;
use vlens_conformance::suite::LoadedCase;
use vlens_conformance::target::Target;

/// Runs the case files of `dir` as trials against the embedded sandbox (snapshots in a
/// temporary directory), with the static coverage trials when `coverage_trials`.
pub fn run_quietly(dir: &Path, shown: &str, coverage_trials: bool) -> Conclusion {
    // A filter that matches every trial: see `run_filtered`.
    run_filtered(dir, shown, coverage_trials, "", false)
}

/// [`run_quietly`] with a libtest filter (`exact`: the whole name).
pub fn run_filtered(
    dir: &Path,
    shown: &str,
    coverage_trials: bool,
    filter: &str,
    exact: bool,
) -> Conclusion {
    let snapshots = tempfile::tempdir().unwrap();
    let mut options = Options::default_suite(None);
    options.use_cases(dir.to_owned());
    options.cases_shown_as = shown.to_owned();
    options.coverage_trials = coverage_trials;
    options.snapshots_dir = snapshots.path().to_owned();
    options.settings = Default::default();
    // JSON events, and a filter: this inner run's own (expected) failures must not print a
    // `test result: FAILED` line into the outer test's output.
    let arguments = libtest_mimic::Arguments {
        test_threads: Some(2),
        format: Some(libtest_mimic::FormatSetting::Json),
        filter: Some(filter.to_owned()),
        exact,
        ..Default::default()
    };
    run(&arguments, &options).unwrap()
}

/// A case run's failure message, as the trial shows it (`Ok` when it passed).
pub fn outcome(loaded: &LoadedCase, run: &CaseRun) -> Result<(), String> {
    match vlens_conformance::report::failure::render(loaded, run) {
        Some(message) => Err(message),
        None => Ok(()),
    }
}

/// A target, and what a case run records, for tests that run cases one by one.
pub struct Bench {
    /// The target.
    pub target: Target,
    /// Replies seen.
    pub coverage: Coverage,
    /// Where snapshots are kept.
    pub snapshots: SnapshotStore,
    /// Guessed error numbers seen.
    pub calibration: Calibration,
}

impl Bench {
    /// A bench for `target`, its snapshots in `snapshots`.
    pub fn new(target: Target, snapshots: &Path) -> Bench {
        Bench {
            target,
            coverage: Coverage::default(),
            snapshots: SnapshotStore {
                dir: snapshots.to_owned(),
            },
            calibration: Calibration::default(),
        }
    }

    /// Plans `loaded` for the target and runs it.
    pub async fn run(&self, loaded: &LoadedCase) -> CaseRun {
        let plan = vlens_conformance::plan::plan(&loaded.case, &self.target);
        assert!(plan.runs(), "{}: {:?}", loaded.trial, plan.reason());
        let context = RunContext {
            target: &self.target,
            coverage: &self.coverage,
            snapshots: &self.snapshots,
            calibration: &self.calibration,
            keep_exchanges: true,
        };
        run_case(&context, loaded, &plan).await
    }
}
