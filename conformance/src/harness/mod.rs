//! The suite as libtest-mimic trials, shared by the binary and the `cargo test` target: read
//! and lint the cases, set up the target, plan every case for it, run the trials, collect
//! their results as data, and report — on the terminal, and in the JUnit, JSON and HTML
//! reports asked for.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use libtest_mimic::{Arguments, Completion, Conclusion, FormatSetting, Trial};

use crate::plan::{self, Plan};
use crate::report::ReportRequest;
use crate::report::calibration::{Calibration, ReportExt as _};
use crate::report::coverage::{self, Coverage};
use crate::report::results::{Collector, RunMeta, RunResults, Summary, TrialResult};
use crate::run::{CaseRun, RunContext, run_case};
use crate::snapshot::SnapshotStore;
use crate::suite::{LoadedCase, StreamedSuite, Suite};
use crate::target::{Target, TargetError, profile};

mod events;
mod options;

pub use options::{Options, REPORT_VAR};

use events::Events;

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
    /// `RUST_TEST_THREADS` is not a positive number.
    #[error("RUST_TEST_THREADS must be a positive number of threads, not `{0}`")]
    TestThreads(String),
    /// A `--report` (or `VLENS_REPORT`) entry is not `FORMAT=PATH`.
    #[error("{0}")]
    Report(String),
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
/// (after a full run), the reasons of the trials it ignored, the calibration report when there
/// is one, and writes the reports asked for.
pub fn run(arguments: &Arguments, options: &Options) -> Result<Conclusion, HarnessError> {
    let reports = options
        .reports
        .iter()
        .map(|text| ReportRequest::parse(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(HarnessError::Report)?;
    let started = Instant::now();
    let threads = test_threads(arguments, |name| std::env::var(name).ok())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(HarnessError::Runtime)?;
    // The case files load in the background while the target is set up (a sandbox started, a
    // health probe answered); each trial waits only for its own file.
    let cases = load_suite(arguments, options, !reports.is_empty()).map_err(|source| {
        HarnessError::Cases {
            dir: options.cases_dir.display().to_string(),
            source,
        }
    })?;
    let target = Arc::new(runtime.block_on(target(options))?);
    let json = matches!(arguments.format, Some(FormatSetting::Json));
    let own_list = arguments.list
        && !matches!(
            arguments.format,
            Some(FormatSetting::Terse) | Some(FormatSetting::Json)
        );
    if options.plan_only || own_list {
        let suite = cases.suite();
        let plans: Vec<(&LoadedCase, Plan)> = suite
            .cases
            .iter()
            .map(|loaded| (&**loaded, plan::plan(&loaded.case, &target)))
            .collect();
        if options.plan_only {
            print(&crate::report::plan::render(&target, &plans), json);
        } else {
            print(&list(suite, &plans, options), false);
        }
        return Ok(empty_conclusion());
    }
    let coverage = Arc::new(Coverage::default());
    let calibration = Arc::new(Calibration::default());
    let snapshots = Arc::new(SnapshotStore {
        dir: options.snapshots_dir.join(&target.name),
    });
    quiet_snapshot_panics();
    let collector = Arc::new(Collector::default());
    let events = (json && !arguments.list).then(|| Arc::new(Events));
    let shared = Arc::new(Shared {
        target: Arc::clone(&target),
        coverage: Arc::clone(&coverage),
        snapshots,
        calibration: Arc::clone(&calibration),
        runtime: runtime.handle().clone(),
        collector: Arc::clone(&collector),
        events: events.clone(),
        keep_exchanges: !reports.is_empty(),
    });
    // Listing (`cargo nextest` asks `--list --ignored` which trials to skip) and selecting by
    // the ignored flag (`--ignored`) need every trial's plan up front; any other run streams,
    // and a trial the target cannot run says so, with the reason, when its turn comes.
    let flag_ignored = arguments.list || arguments.ignored;
    let all = trials(&cases, &shared, options, flag_ignored);
    let selected = all
        .iter()
        .filter(|trial| !arguments.is_filtered_out(trial))
        .count();
    let filtered_out = (all.len() - selected) as u64;
    let mut libtest_arguments = arguments.clone();
    libtest_arguments.test_threads = Some(threads.unwrap_or_else(|| target.cases_at_once()));
    if let Some(events) = &events {
        events.started(selected);
        // The harness's events replace libtest-mimic's own.
        libtest_arguments.logfile = Some(NULL_DEVICE.to_owned());
    }
    let conclusion = libtest_mimic::run(&libtest_arguments, all);
    let trial_results = collector.take();
    let summary = Summary::of(&trial_results, filtered_out);
    if let Some(events) = &events {
        events.finished(&summary, started.elapsed().as_secs_f64());
    }
    let full_run = arguments.filter.is_none()
        && arguments.skip.is_empty()
        && !arguments.list
        && !arguments.ignored;
    let mut report = String::new();
    if full_run {
        report.push_str(&coverage.table());
    }
    let ignored: Vec<&TrialResult> = trial_results
        .iter()
        .filter(|trial| trial.reason.is_some())
        .collect();
    if !ignored.is_empty() && !arguments.list {
        report.push_str(&format!(
            "ignored on {} ({}):\n",
            target.base_url,
            ignored.len()
        ));
        for trial in &ignored {
            report.push_str(&format!(
                "  {}: {}\n",
                trial.name,
                trial.reason.as_deref().unwrap_or_default()
            ));
        }
    }
    let mut calibration_report = None;
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
                calibration_report = Some(merged);
            }
            Err(error) => report.push_str(&format!("{error}\n")),
        }
    }
    let mut write_failed = false;
    if !reports.is_empty() {
        let mut meta = RunMeta::now(&target, arguments.filter.clone());
        meta.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let results = RunResults {
            run: meta,
            summary,
            trials: trial_results,
            coverage: coverage.summary(),
            calibration: calibration_report,
            drift: drift_against_others(options, cases.suite(), &target.name),
        };
        for request in &reports {
            match request.write(&results) {
                Ok(()) => report.push_str(&format!(
                    "{} report: {}\n",
                    request.kind_name(),
                    request.path.display()
                )),
                Err(error) => {
                    write_failed = true;
                    report.push_str(&format!("vlens-conformance: {error}\n"));
                }
            }
        }
    }
    if !report.is_empty() {
        print(&format!("\n{report}"), json);
    }
    drop(shared);
    drop(target);
    runtime.shutdown_background();
    if write_failed {
        return Err(HarnessError::Report(
            "a report could not be written".to_owned(),
        ));
    }
    Ok(conclusion)
}

/// The suite, loading: on a filtered run only the files the filter keeps, unless something
/// needs them all (a coverage check the filter keeps, a report's drift section).
fn load_suite(
    arguments: &Arguments,
    options: &Options,
    reporting: bool,
) -> Result<Arc<StreamedSuite>, std::io::Error> {
    // By name only: whether a trial is ignored (`--ignored` keeps only those) is known once
    // its file is read.
    let by_name = Arguments {
        ignored: false,
        ..arguments.clone()
    };
    let kept = |name: &str| !by_name.is_filtered_out(&Trial::test(name, || Ok(())));
    let needs_all = reporting
        || (options.coverage_trials
            && [coverage::OPERATIONS_TRIAL, coverage::ERROR_CODES_TRIAL]
                .into_iter()
                .any(kept));
    StreamedSuite::start(&options.cases_dir, &options.cases_shown_as, |name| {
        needs_all || kept(name)
    })
}

/// How many trials run at once as the user asked: `--test-threads`, else `RUST_TEST_THREADS`
/// (which libtest-mimic does not read itself); `None` leaves it to the target.
fn test_threads(
    arguments: &Arguments,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Option<usize>, HarnessError> {
    if let Some(threads) = arguments.test_threads {
        return Ok(Some(threads));
    }
    let Some(text) = var(TEST_THREADS_VAR) else {
        return Ok(None);
    };
    match text.trim().parse::<usize>() {
        Ok(threads) if threads > 0 => Ok(Some(threads)),
        _ => Err(HarnessError::TestThreads(text)),
    }
}

/// The variable cargo's own test harness reads for its thread count.
const TEST_THREADS_VAR: &str = "RUST_TEST_THREADS";

/// Where libtest-mimic's own output goes when this harness prints the JSON events.
const NULL_DEVICE: &str = if cfg!(windows) { "NUL" } else { "/dev/null" };

/// This target's snapshots against every other target's under the same root, for the reports.
fn drift_against_others(
    options: &Options,
    suite: &Suite,
    target: &str,
) -> Vec<crate::drift::Drift> {
    let Ok(entries) = std::fs::read_dir(&options.snapshots_dir) else {
        return Vec::new();
    };
    let mine = options.snapshots_dir.join(target);
    if !mine.is_dir() {
        return Vec::new();
    }
    let operations = crate::drift::snapshot_operations(suite);
    let mut others: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir() && *path != mine)
        .collect();
    others.sort();
    others
        .iter()
        .filter_map(|other| crate::drift::compare(&mine, other, &operations).ok())
        .collect()
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

/// insta reports a new or changed snapshot by panicking; the trial turns that into a finding
/// with its own words, so the panic's extra "thread panicked" report (and a backtrace under
/// RUST_BACKTRACE) is left out. Every other panic is reported as usual.
fn quiet_snapshot_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = crate::panics::message(info.payload()).unwrap_or_default();
        if !crate::snapshot::is_snapshot_assertion(message) {
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
    collector: Arc<Collector>,
    events: Option<Arc<Events>>,
    keep_exchanges: bool,
}

impl Shared {
    /// Runs a case as a task of the runtime and waits for it. The case and the connections
    /// it uses then live on the runtime's workers, and a request goes out and its reply comes
    /// back without waking the libtest thread, which only waits for the whole case (a
    /// `block_on` here instead cost two thread switches a request, a third of the run's time).
    fn run_on_runtime(self: &Arc<Self>, loaded: Arc<LoadedCase>, plan: Plan) -> CaseRun {
        let shared = Arc::clone(self);
        let task = self.runtime.spawn(async move {
            let context = RunContext {
                target: &shared.target,
                coverage: &shared.coverage,
                snapshots: &shared.snapshots,
                calibration: &shared.calibration,
                keep_exchanges: shared.keep_exchanges,
            };
            run_case(&context, &loaded, &plan).await
        });
        match self.runtime.block_on(task) {
            Ok(run) => run,
            // A panic is a bug of the harness: the trial fails with it, as libtest shows it.
            Err(error) => match error.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(error) => panic!("the case's task was cancelled: {error}"),
            },
        }
    }

    /// The trial of the case file at `index`, once it is loaded: its problems when it is bad,
    /// the reason when the target cannot run it, else the case run.
    fn run_file(
        self: &Arc<Self>,
        cases: &StreamedSuite,
        index: usize,
    ) -> Result<Completion, libtest_mimic::Failed> {
        let loaded = match cases.get(index) {
            Some(Ok(loaded)) => loaded,
            Some(Err(bad)) => return self.conclude(TrialResult::bad_file(&bad)),
            None => {
                return Err(
                    "the harness lost this trial's case file (a bug, please report)".into(),
                );
            }
        };
        let plan = plan::plan(&loaded.case, &self.target);
        if let Some(reason) = plan.reason() {
            return self.conclude(TrialResult::ignored(&loaded, &reason));
        }
        let run = self.run_on_runtime(Arc::clone(&loaded), plan);
        let message = crate::report::failure::render(&loaded, &run);
        self.conclude(TrialResult::ran(&loaded, run, message))
    }

    /// Records a trial's result (and prints its JSON events); its libtest outcome.
    fn conclude(&self, result: TrialResult) -> Result<Completion, libtest_mimic::Failed> {
        if let Some(events) = &self.events {
            events.trial(&result);
        }
        let outcome = match (&result.reason, &result.message) {
            (Some(reason), _) => Ok(Completion::ignored_with(reason)),
            (None, Some(message)) => Err(message.into()),
            (None, None) => Ok(Completion::Completed),
        };
        self.collector.add(result);
        outcome
    }
}

/// One trial per case file, in path order, each waiting for its own file to load: a bad file
/// fails with its problems, a case the target cannot run is ignored with the reason, the others
/// run. Then the static coverage checks, which wait for every file. Each records its result.
/// With `flag_ignored` the trials the target cannot run carry libtest's ignored flag, which
/// takes every file loaded and planned first.
fn trials(
    cases: &Arc<StreamedSuite>,
    shared: &Arc<Shared>,
    options: &Options,
    flag_ignored: bool,
) -> Vec<Trial> {
    // Filtered out whatever they hold: here so that libtest counts them as filtered out.
    let mut trials: Vec<Trial> = cases
        .unread()
        .iter()
        .map(|name| Trial::test(name.clone(), || Err("a case file left unread ran".into())))
        .collect();
    for (index, name) in cases.names().iter().enumerate() {
        let ignored = flag_ignored
            && cases
                .get(index)
                .and_then(Result::ok)
                .is_some_and(|loaded| !plan::plan(&loaded.case, &shared.target).runs());
        let (cases, shared) = (Arc::clone(cases), Arc::clone(shared));
        trials.push(
            Trial::ignorable_test(name.clone(), move || shared.run_file(&cases, index))
                .with_ignored_flag(ignored),
        );
    }
    if options.coverage_trials {
        type Missing = fn(&Suite) -> Vec<String>;
        let checks: [(&'static str, Missing, &'static str); 2] = [
            (
                coverage::OPERATIONS_TRIAL,
                coverage::operations_without_cases,
                "operations of openapi/vlens.yaml that no case calls",
            ),
            (
                coverage::ERROR_CODES_TRIAL,
                coverage::error_codes_without_cases,
                "error codes of openapi/vlens.yaml that no case expects",
            ),
        ];
        for (name, missing, what) in checks {
            let (cases, shared) = (Arc::clone(cases), Arc::clone(shared));
            trials.push(Trial::ignorable_test(name, move || {
                let missing = missing(cases.suite());
                let failure =
                    (!missing.is_empty()).then(|| format!("{what}: {}", missing.join(", ")));
                shared.conclude(TrialResult::check(name, failure))
            }));
        }
    }
    trials
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_threads_come_from_the_flag_then_the_variable() {
        let none = Arguments::default();
        let flag = Arguments {
            test_threads: Some(3),
            ..Arguments::default()
        };
        let set = |value: &'static str| move |_: &str| Some(value.to_owned());
        assert_eq!(test_threads(&none, |_| None).unwrap(), None);
        assert_eq!(test_threads(&none, set(" 5 ")).unwrap(), Some(5));
        assert_eq!(test_threads(&flag, set("5")).unwrap(), Some(3));
        for bad in ["0", "many", ""] {
            let error = test_threads(&none, set(bad)).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("RUST_TEST_THREADS must be a positive number of threads, not `{bad}`")
            );
        }
    }

    #[test]
    fn the_test_entry_point_honours_every_variable() {
        let vars = |name: &str| match name {
            "VLENS_CASES_DIR" => Some("/elsewhere/cases".to_owned()),
            "VLENS_TARGET_PROFILE" => Some("staging.toml".to_owned()),
            "VLENS_ALLOW_WAIT" => Some("1".to_owned()),
            "VLENS_BASE_URL" => Some("  ".to_owned()),
            "VLENS_REPORT" => Some("junit=r.xml, html=out/r.html,".to_owned()),
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
        assert_eq!(options.reports, ["junit=r.xml", "html=out/r.html"]);
        let plain = Options::from_vars(&|_| None);
        assert!(plain.cases_dir.ends_with("conformance/cases") && plain.coverage_trials);
    }
}
