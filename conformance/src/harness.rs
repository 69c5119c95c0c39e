//! The suite as libtest-mimic trials, shared by the binary and the `cargo test` target: read
//! and lint the cases, set up the target, plan every case for it, run the trials, report.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use libtest_mimic::{Arguments, Completion, Conclusion, Failed, FormatSetting, Trial};

use crate::plan::{self, Plan};
use crate::report::calibration::{Calibration, ReportExt as _};
use crate::report::coverage::{self, Coverage};
use crate::run::{RunContext, run_case};
use crate::snapshot::SnapshotStore;
use crate::suite::{self, LoadedCase, Suite};
use crate::target::env::{self, Settings};
use crate::target::{Target, TargetError, profile};

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
}

impl Options {
    /// The suite of this crate as the environment describes it: `VLENS_BASE_URL`,
    /// `VLENS_TARGET_PROFILE`, `VLENS_CASES_DIR`, `VLENS_ALLOW_WAIT`, the credentials.
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

/// Why the suite could not start.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The cases directory cannot be read.
    #[error("cannot read the cases in {dir}: {source}")]
    Cases {
        /// The directory.
        dir: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// No tokio runtime.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The target could not be set up.
    #[error(transparent)]
    Target(#[from] TargetError),
}

async fn target(options: &Options) -> Result<Target, TargetError> {
    let mut target = if let Some(path) = &options.profile {
        let profile = profile::load(path, &|name| std::env::var(name).ok())?;
        Target::from_profile(profile)?
    } else {
        match (&options.base_url, options.plan_only) {
            (None, false) => Target::embedded().await?,
            (None, true) => Target::embedded_unstarted()?,
            (Some(url), plan_only) => Target::at(url, &options.settings, !plan_only).await?,
        }
    };
    target.time.allow_wait |= options.allow_wait;
    Ok(target)
}

/// Loads the suite, sets up the target, plans and runs every trial; prints the coverage table
/// and the ignore reasons after a full run, and the calibration report when there is one.
pub fn run(arguments: &Arguments, options: &Options) -> Result<Conclusion, HarnessError> {
    let suite = suite::load(&options.cases_dir, &options.cases_shown_as).map_err(|source| {
        HarnessError::Cases {
            dir: options.cases_dir.display().to_string(),
            source,
        }
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(HarnessError::Runtime)?;
    let target = Arc::new(runtime.block_on(target(options))?);
    let plans: Vec<(&LoadedCase, Plan)> = suite
        .cases
        .iter()
        .map(|loaded| (loaded, plan::plan(&loaded.case, &target)))
        .collect();
    let json = matches!(arguments.format, Some(FormatSetting::Json));
    if options.plan_only {
        print(&crate::report::plan::render(&target, &plans), json);
        return Ok(empty_conclusion());
    }
    if arguments.list
        && !matches!(
            arguments.format,
            Some(FormatSetting::Terse) | Some(FormatSetting::Json)
        )
    {
        print(&list(&suite, &plans, options), false);
        return Ok(empty_conclusion());
    }
    let coverage = Arc::new(Coverage::default());
    let calibration = Arc::new(Calibration::default());
    let snapshots = Arc::new(SnapshotStore {
        dir: options.snapshots_dir.join(&target.name),
    });
    quiet_snapshot_panics();
    let shared = Shared {
        target: Arc::clone(&target),
        coverage: Arc::clone(&coverage),
        snapshots,
        calibration: Arc::clone(&calibration),
        runtime: runtime.handle().clone(),
    };
    let trials = trials(&suite, &plans, &shared, options);
    let conclusion = libtest_mimic::run(arguments, trials);
    let full_run = arguments.filter.is_none()
        && arguments.skip.is_empty()
        && !arguments.list
        && !arguments.ignored;
    let mut report = String::new();
    if full_run {
        report.push_str(&coverage.table());
        let ignored: Vec<_> = plans
            .iter()
            .filter_map(|(loaded, plan)| Some((&loaded.trial, plan.reason()?)))
            .collect();
        if !ignored.is_empty() {
            report.push_str(&format!(
                "ignored on {} ({}):\n",
                target.base_url,
                ignored.len()
            ));
            for (name, reason) in ignored {
                report.push_str(&format!("  {name}: {reason}\n"));
            }
        }
    }
    if !calibration.is_empty() {
        let path = options.calibration_report.clone().unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("calibration")
                .join(format!("{}.json", target.name))
        });
        let merged = calibration
            .report(&target.name, &target.base_url)
            .merge_into(&path);
        match merged {
            Ok(merged) => {
                report.push_str(&merged.table());
                report.push_str(&format!(
                    "calibration report: {} (fold it into the spec with `cargo xtask calibrate {}`)\n",
                    path.display(),
                    path.display()
                ));
            }
            Err(error) => report.push_str(&format!("{error}\n")),
        }
    }
    if !report.is_empty() {
        print(&format!("\n{report}"), json);
    }
    drop(shared);
    drop(target);
    runtime.shutdown_background();
    Ok(conclusion)
}

/// Text for people: on stdout, or on stderr when stdout carries JSON events.
fn print(text: &str, json: bool) {
    let _ = if json {
        std::io::stderr().write_all(text.as_bytes())
    } else {
        std::io::stdout().write_all(text.as_bytes())
    };
}

fn empty_conclusion() -> Conclusion {
    Conclusion {
        num_filtered_out: 0,
        num_passed: 0,
        num_failed: 0,
        num_ignored: 0,
        num_measured: 0,
    }
}

/// `--list` for people: every trial, the ignored ones with their reason.
fn list(suite: &Suite, plans: &[(&LoadedCase, Plan)], options: &Options) -> String {
    let mut lines: Vec<String> = suite
        .bad
        .iter()
        .map(|bad| format!("{}: test (a broken case file)", bad.trial))
        .collect();
    for (loaded, plan) in plans {
        lines.push(match plan.reason() {
            Some(reason) => format!("{}: test (ignored: {reason})", loaded.trial),
            None => format!("{}: test", loaded.trial),
        });
    }
    if options.coverage_trials {
        lines.push(format!("{}: test", coverage::OPERATIONS_TRIAL));
        lines.push(format!("{}: test", coverage::ERROR_CODES_TRIAL));
    }
    lines.sort();
    let ignored = plans.iter().filter(|(_, plan)| !plan.runs()).count();
    format!(
        "{}\n\n{} tests, {ignored} of them ignored on this target, 0 benchmarks\n",
        lines.join("\n"),
        lines.len()
    )
}

/// insta reports a changed snapshot by panicking after printing its diff; the trial turns that
/// into a failure with its own message, so the panic's extra "thread panicked" report (and a
/// backtrace under RUST_BACKTRACE) is left out. Every other panic is reported as usual.
fn quiet_snapshot_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if !message.starts_with("snapshot assertion for") {
            default(info);
        }
    }));
}

/// `run`, as a process exit code (the binary's and the test target's `main`).
pub fn main_with(arguments: &Arguments, options: &Options) -> ExitCode {
    match run(arguments, options) {
        Ok(conclusion) => conclusion.exit_code(),
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "vlens-conformance: {error}");
            ExitCode::from(2)
        }
    }
}

/// What every trial shares.
struct Shared {
    target: Arc<Target>,
    coverage: Arc<Coverage>,
    snapshots: Arc<SnapshotStore>,
    calibration: Arc<Calibration>,
    runtime: tokio::runtime::Handle,
}

/// A trial that fails, listing `missing`, when `missing` is not empty.
fn static_check(name: &str, missing: Vec<String>, what: &str) -> Trial {
    let what = what.to_owned();
    Trial::test(name, move || {
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("{what}: {}", missing.join(", ")).into())
        }
    })
}

/// One trial per case file (bad files fail with their problems; cases the target cannot run
/// are ignored with the reason), plus the static coverage checks.
fn trials(
    suite: &Suite,
    plans: &[(&LoadedCase, Plan)],
    shared: &Shared,
    options: &Options,
) -> Vec<Trial> {
    let mut trials = Vec::new();
    for bad in &suite.bad {
        let message = bad.to_string();
        trials.push(Trial::test(bad.trial.clone(), move || Err(message.into())));
    }
    for (loaded, plan) in plans {
        if let Some(reason) = plan.reason() {
            trials.push(
                Trial::ignorable_test(loaded.trial.clone(), move || {
                    Ok(Completion::ignored_with(reason))
                })
                .with_ignored_flag(true),
            );
            continue;
        }
        let loaded = (*loaded).clone();
        let plan = plan.clone();
        let target = Arc::clone(&shared.target);
        let coverage = Arc::clone(&shared.coverage);
        let snapshots = Arc::clone(&shared.snapshots);
        let calibration = Arc::clone(&shared.calibration);
        let handle = shared.runtime.clone();
        trials.push(Trial::test(loaded.trial.clone(), move || {
            let context = RunContext {
                target: &target,
                coverage: &coverage,
                snapshots: &snapshots,
                calibration: &calibration,
            };
            let run = handle.block_on(run_case(&context, &loaded, &plan));
            run.result.map_err(Failed::from)
        }));
    }
    if options.coverage_trials {
        trials.push(static_check(
            coverage::OPERATIONS_TRIAL,
            coverage::operations_without_cases(suite),
            "operations of openapi/vlens.yaml that no case calls",
        ));
        trials.push(static_check(
            coverage::ERROR_CODES_TRIAL,
            coverage::error_codes_without_cases(suite),
            "error codes of openapi/vlens.yaml that no case expects",
        ));
    }
    trials
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_entry_point_honours_every_variable() {
        let vars = |name: &str| match name {
            "VLENS_CASES_DIR" => Some("/elsewhere/cases".to_owned()),
            "VLENS_TARGET_PROFILE" => Some("staging.toml".to_owned()),
            "VLENS_ALLOW_WAIT" => Some("1".to_owned()),
            "VLENS_BASE_URL" => Some("  ".to_owned()),
            _ => None,
        };
        let options = Options::from_vars(&vars);
        assert_eq!(options.cases_dir, PathBuf::from("/elsewhere/cases"));
        assert!(
            !options.coverage_trials,
            "another directory is not the suite"
        );
        assert_eq!(options.profile, Some(PathBuf::from("staging.toml")));
        assert!(options.allow_wait);
        assert_eq!(options.base_url, None, "a blank variable is unset");
        let plain = Options::from_vars(&|_| None);
        assert!(plain.cases_dir.ends_with("conformance/cases") && plain.coverage_trials);
    }
}
