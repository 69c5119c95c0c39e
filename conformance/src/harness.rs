//! The suite as libtest-mimic trials, shared by the binary and the `cargo test` target.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use libtest_mimic::{Arguments, Completion, Conclusion, Failed, FormatSetting, Trial};

use crate::coverage::{self, Coverage};
use crate::runner::{RunContext, run_case, unavailable};
use crate::snapshot::SnapshotStore;
use crate::suite::{self, Suite};
use crate::target::Target;

/// Where the suite comes from and where it runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The target's base URL; `None` starts the embedded sandbox.
    pub base_url: Option<String>,
    /// The case files (default `conformance/cases`).
    pub cases_dir: PathBuf,
    /// How the cases directory is named in messages.
    pub cases_shown_as: String,
    /// The root of the snapshot directories (default `conformance/snapshots`).
    pub snapshots_dir: PathBuf,
    /// Credentials and fixtures from env vars (for a target at a base URL).
    pub settings: crate::target::Settings,
    /// Add the static coverage trials (the real suite; not for test-only case directories).
    pub coverage_trials: bool,
}

impl Options {
    /// The suite of this crate: `conformance/cases`, `conformance/snapshots`.
    pub fn default_suite(base_url: Option<String>) -> Options {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        Options {
            base_url,
            cases_dir: root.join("cases"),
            cases_shown_as: "conformance/cases".to_owned(),
            snapshots_dir: root.join("snapshots"),
            coverage_trials: true,
            settings: crate::target::Settings::from_env(),
        }
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
    Target(#[from] crate::target::TargetError),
}

/// Loads the suite, sets up the target and runs every trial; prints the coverage table after a
/// full run.
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
    let target = runtime.block_on(async {
        match &options.base_url {
            None => Target::embedded().await,
            Some(url) => Target::at(url, &options.settings).await,
        }
    })?;
    let target = Arc::new(target);
    let coverage = Arc::new(Coverage::default());
    let snapshots = Arc::new(SnapshotStore {
        dir: options.snapshots_dir.join(&target.snapshot_name),
    });
    quiet_snapshot_panics();
    let (trials, ignored) = trials(&suite, &target, &coverage, &snapshots, &runtime, options);
    let conclusion = libtest_mimic::run(arguments, trials);
    let full_run = arguments.filter.is_none()
        && arguments.skip.is_empty()
        && !arguments.list
        && !arguments.ignored;
    if full_run {
        let mut report = coverage.table();
        if !ignored.is_empty() {
            report.push_str(&format!(
                "ignored on {} ({}):\n",
                target.base_url,
                ignored.len()
            ));
            for (name, reason) in &ignored {
                report.push_str(&format!("  {name}: {reason}\n"));
            }
        }
        // JSON output must stay parseable: the report goes to stderr then.
        if matches!(arguments.format, Some(FormatSetting::Json)) {
            let _ = std::io::stderr().write_all(report.as_bytes());
        } else {
            let _ = std::io::stdout().write_all(format!("\n{report}").as_bytes());
        }
    }
    drop(target);
    runtime.shutdown_background();
    Ok(conclusion)
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

type Ignored = Vec<(String, String)>;

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

/// One trial per case file (bad files fail with their problems), plus the static coverage
/// checks. Returns the trials and the cases this target cannot run, with the reason.
pub fn trials(
    suite: &Suite,
    target: &Arc<Target>,
    coverage: &Arc<Coverage>,
    snapshots: &Arc<SnapshotStore>,
    runtime: &tokio::runtime::Runtime,
    options: &Options,
) -> (Vec<Trial>, Ignored) {
    let mut trials = Vec::new();
    let mut ignored = Vec::new();
    for bad in &suite.bad {
        let message = bad.to_string();
        trials.push(Trial::test(bad.trial.clone(), move || Err(message.into())));
    }
    for loaded in &suite.cases {
        if let Some(reason) = unavailable(&loaded.case, target) {
            ignored.push((loaded.trial.clone(), reason.clone()));
            trials.push(
                Trial::ignorable_test(loaded.trial.clone(), move || {
                    Ok(Completion::ignored_with(reason))
                })
                .with_ignored_flag(true),
            );
            continue;
        }
        let loaded = loaded.clone();
        let target = Arc::clone(target);
        let coverage = Arc::clone(coverage);
        let snapshots = Arc::clone(snapshots);
        let handle = runtime.handle().clone();
        trials.push(Trial::test(loaded.trial.clone(), move || {
            let context = RunContext {
                target: &target,
                coverage: &coverage,
                snapshots: &snapshots,
            };
            let run = handle.block_on(run_case(&context, &loaded));
            run.result.map_err(Failed::from)
        }));
    }
    if options.coverage_trials {
        trials.push(static_check(
            "coverage/every-operation-has-a-case",
            coverage::operations_without_cases(suite),
            "operations of openapi/vlens.yaml that no case calls",
        ));
        trials.push(static_check(
            "coverage/every-error-code-has-a-case",
            coverage::error_codes_without_cases(suite),
            "error codes of openapi/vlens.yaml that no case expects",
        ));
    }
    (trials, ignored)
}
