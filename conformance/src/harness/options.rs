//! What a run is asked to do: where the suite comes from, where it runs, what it writes.

use std::path::PathBuf;

use crate::target::env::{self, Settings};

/// The environment variable that asks `cargo test` for reports: `FORMAT=PATH` entries
/// separated by commas (`junit=target/r.xml,html=target/r.html`).
pub const REPORT_VAR: &str = "VLENS_REPORT";

/// Where the suite comes from, where it runs, and what it writes.
#[derive(Debug, Clone)]
pub struct Options {
    /// The target's base URL; `None` (and no profile) starts the embedded sandbox.
    pub base_url: Option<String>,
    /// A target profile (`conformance/targets/*.toml`); wins over `base_url`.
    pub profile: Option<PathBuf>,
    /// The case files (default `conformance/cases`).
    pub cases_dir: PathBuf,
    /// How the cases directory is named in messages.
    pub cases_shown_as: String,
    /// The root of the snapshot directories (default `conformance/snapshots`).
    pub snapshots_dir: PathBuf,
    /// Credentials and fixtures from env vars (a target at a base URL without a profile).
    pub settings: Settings,
    /// Add the static coverage trials (the real suite; not for test-only case directories).
    pub coverage_trials: bool,
    /// Waits of any length may run on a real target.
    pub allow_wait: bool,
    /// Print the plan and send nothing.
    pub plan_only: bool,
    /// Where the calibration report goes (default
    /// `conformance/calibration/<target>.json`).
    pub calibration_report: Option<PathBuf>,
    /// Reports to write, `FORMAT=PATH` each (`junit=r.xml`, `json=r.json`, `html=r.html`).
    pub reports: Vec<String>,
}

impl Options {
    /// The suite of this crate as the environment describes it: `VLENS_BASE_URL`,
    /// `VLENS_TARGET_PROFILE`, `VLENS_CASES_DIR`, `VLENS_ALLOW_WAIT`, `VLENS_REPORT`, the
    /// credentials.
    pub fn from_env() -> Options {
        Options::from_vars(&|name| std::env::var(name).ok())
    }

    /// [`Options::from_env`] with the variables `var` gives (a test's).
    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> Options {
        let var = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let mut options = Options::default_suite(var(env::BASE_URL));
        options.profile = var(env::TARGET_PROFILE).map(PathBuf::from);
        if let Some(cases) = var(env::CASES_DIR) {
            options.use_cases(PathBuf::from(cases));
        }
        options.allow_wait = var(env::ALLOW_WAIT).is_some_and(|value| value != "0");
        options.reports = var(REPORT_VAR)
            .map(|reports| {
                reports
                    .split(',')
                    .map(str::trim)
                    .filter(|report| !report.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        options
    }

    /// The suite of this crate: `conformance/cases`, `conformance/snapshots`.
    pub fn default_suite(base_url: Option<String>) -> Options {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        Options {
            base_url,
            profile: None,
            cases_dir: root.join("cases"),
            cases_shown_as: "conformance/cases".to_owned(),
            snapshots_dir: root.join("snapshots"),
            coverage_trials: true,
            settings: Settings::from_env(),
            allow_wait: false,
            plan_only: false,
            calibration_report: None,
            reports: Vec::new(),
        }
    }

    /// Runs the cases of `dir` instead of the suite's (no static coverage trials: they judge
    /// the suite's own cases).
    pub fn use_cases(&mut self, dir: PathBuf) {
        self.cases_shown_as = dir.display().to_string();
        self.cases_dir = dir;
        self.coverage_trials = false;
    }
}
