//! A whole run as data: its metadata, every trial with its status, reason, duration and steps,
//! the coverage, the calibration report and the drift between targets. The harness fills it as
//! trials end; the JUnit, JSON and HTML reports render it.

use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use sha2::Digest as _;

use crate::drift::Drift;
use crate::record::StepRecord;
use crate::report::coverage::CoverageSummary;
use crate::run::CaseRun;
use crate::suite::LoadedCase;

/// The version of the JSON report's format (`conformance/report.schema.json`); it changes
/// when a field changes meaning or goes away, not when one is added.
pub const REPORT_FORMAT_VERSION: u32 = 1;

/// One run.
#[derive(Debug, Clone, Serialize)]
pub struct RunResults {
    /// Where and when it ran, with what.
    pub run: RunMeta,
    /// Counts.
    pub summary: Summary,
    /// Every trial the run selected, by name.
    pub trials: Vec<TrialResult>,
    /// What the run exercised of the spec.
    pub coverage: CoverageSummary,
    /// Guessed error numbers met on a real Vlens (merged report), when there were any.
    pub calibration: Option<vlens_openapi::calibration::Report>,
    /// Where this target's snapshots and another target's differ.
    pub drift: Vec<Drift>,
}

/// Where and when a run happened, with what.
#[derive(Debug, Clone, Serialize)]
pub struct RunMeta {
    /// The target's snapshot name (`sandbox`, a profile's name, `host-port`).
    pub target: String,
    /// Its base URL.
    pub base_url: String,
    /// What describes it (`the embedded sandbox`, a profile file).
    pub described_by: String,
    /// When the run started (RFC 3339, UTC).
    pub started: String,
    /// How long it took, in milliseconds.
    pub duration_ms: f64,
    /// `vlens-conformance`'s version.
    pub harness_version: String,
    /// The spec's `info.version`.
    pub spec_version: String,
    /// SHA-256 of `openapi/vlens.yaml` as built into the harness.
    pub spec_sha256: String,
    /// The name filter, when the run had one.
    pub filter: Option<String>,
}

impl RunMeta {
    /// The metadata of a run on `target` that started now.
    pub fn now(target: &crate::target::Target, filter: Option<String>) -> RunMeta {
        RunMeta {
            target: target.name.clone(),
            base_url: target.secrets.redact(&target.base_url),
            described_by: target.described_by.clone(),
            started: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            duration_ms: 0.0,
            harness_version: env!("CARGO_PKG_VERSION").to_owned(),
            spec_version: vlens_openapi::vlens().version().to_owned(),
            spec_sha256: hex::encode(sha2::Sha256::digest(vlens_openapi::VLENS_YAML.as_bytes())),
            filter,
        }
    }
}

/// Trial counts.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    /// Trials the run selected.
    pub total: usize,
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Ignored (with a reason each).
    pub ignored: usize,
    /// Left out by the filter.
    pub filtered_out: u64,
}

/// What a trial is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrialKind {
    /// A case file.
    Case,
    /// A case file that cannot be read or linted.
    BadFile,
    /// A static check of the suite (coverage).
    Check,
}

/// How a trial ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrialStatus {
    /// Passed.
    Passed,
    /// Failed.
    Failed,
    /// Not run on this target.
    Ignored,
}

/// One trial.
#[derive(Debug, Clone, Serialize)]
pub struct TrialResult {
    /// Its name (`activation/expired_otp`).
    pub name: String,
    /// Its folder (`activation`), which groups trials in reports.
    pub group: String,
    /// What it is.
    pub kind: TrialKind,
    /// The case file, as messages name it.
    pub file: Option<String>,
    /// The case's `name`.
    pub title: Option<String>,
    /// The case's `description`.
    pub description: Option<String>,
    /// The case's `tags`.
    pub tags: Vec<String>,
    /// How it ended.
    pub status: TrialStatus,
    /// Why it was ignored.
    pub reason: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: f64,
    /// The failure message, as the terminal shows it (redacted).
    pub message: Option<String>,
    /// Failures outside the steps (fixtures, the time limit, settling).
    pub problems: Vec<String>,
    /// Every step of the case.
    pub steps: Vec<StepRecord>,
}

/// The folder of a trial (`activation/expired_otp` → `activation`); top-level files are in
/// `cases`.
pub fn group_of(trial: &str) -> String {
    trial
        .rsplit_once('/')
        .map_or_else(|| "cases".to_owned(), |(group, _)| group.to_owned())
}

impl TrialResult {
    fn bare(name: &str, kind: TrialKind, status: TrialStatus) -> TrialResult {
        TrialResult {
            name: name.to_owned(),
            group: group_of(name),
            kind,
            file: None,
            title: None,
            description: None,
            tags: Vec::new(),
            status,
            reason: None,
            duration_ms: 0.0,
            message: None,
            problems: Vec::new(),
            steps: Vec::new(),
        }
    }

    fn of_case(loaded: &LoadedCase, status: TrialStatus) -> TrialResult {
        let mut result = TrialResult::bare(&loaded.trial, TrialKind::Case, status);
        result.file = Some(loaded.file.clone());
        result.title = Some(loaded.case.name.clone());
        result.description = loaded.case.description.clone();
        result.tags = loaded.case.tags.clone();
        result
    }

    /// A case that ran.
    pub fn ran(loaded: &LoadedCase, run: CaseRun, message: Option<String>) -> TrialResult {
        let status = if message.is_some() {
            TrialStatus::Failed
        } else {
            TrialStatus::Passed
        };
        let mut result = TrialResult::of_case(loaded, status);
        result.duration_ms = run.duration.as_secs_f64() * 1000.0;
        result.message = message;
        result.problems = run.problems;
        result.steps = run.steps;
        result
    }

    /// A case the target cannot run.
    pub fn ignored(loaded: &LoadedCase, reason: &str) -> TrialResult {
        let mut result = TrialResult::of_case(loaded, TrialStatus::Ignored);
        result.reason = Some(reason.to_owned());
        result
    }

    /// A case file that cannot be used.
    pub fn bad_file(bad: &crate::suite::BadFile) -> TrialResult {
        let mut result = TrialResult::bare(&bad.trial, TrialKind::BadFile, TrialStatus::Failed);
        result.file = Some(bad.file.clone());
        result.message = Some(bad.to_string());
        result
    }

    /// A static check.
    pub fn check(name: &str, failure: Option<String>) -> TrialResult {
        let status = if failure.is_some() {
            TrialStatus::Failed
        } else {
            TrialStatus::Passed
        };
        let mut result = TrialResult::bare(name, TrialKind::Check, status);
        result.message = failure;
        result
    }
}

/// Trial results as they arrive from the test threads.
#[derive(Debug, Default)]
pub struct Collector {
    trials: Mutex<Vec<TrialResult>>,
}

impl Collector {
    /// Adds one.
    pub fn add(&self, result: TrialResult) {
        self.trials
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(result);
    }

    /// Every result, by name.
    pub fn take(&self) -> Vec<TrialResult> {
        let mut trials =
            std::mem::take(&mut *self.trials.lock().unwrap_or_else(PoisonError::into_inner));
        trials.sort_by(|a, b| a.name.cmp(&b.name));
        trials
    }
}

impl Summary {
    /// The counts of `trials`.
    pub fn of(trials: &[TrialResult], filtered_out: u64) -> Summary {
        let count = |status| trials.iter().filter(|t| t.status == status).count();
        Summary {
            total: trials.len(),
            passed: count(TrialStatus::Passed),
            failed: count(TrialStatus::Failed),
            ignored: count(TrialStatus::Ignored),
            filtered_out,
        }
    }
}
