//! `cargo run -p vlens-conformance [-- OPTIONS] [libtest options]`: the suite against the
//! embedded sandbox, a sandbox at a URL, or a real Vlens described by a target profile.
//! `vlens-conformance diff A B` compares two targets' snapshots; `vlens-conformance
//! case-schema` prints the JSON Schema of the case format. Both are recognised before libtest's
//! options, whose positional filter would otherwise take `diff` for a name filter.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use vlens_conformance::harness::{Options, REPORT_VAR, main_with};
use vlens_conformance::target::env;

// A run allocates and frees in many threads at once (cases, connections, the embedded
// sandbox); with glibc's allocator a sixth of a run's time went to malloc, free and the page
// faults and mprotect calls of its per-thread arenas growing. mimalloc made the 60-flow bench
// 9% faster (LD_PRELOAD, same build).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs the Vlens conformance suite (libtest options apply: filters, --exact, --list,
/// --ignored, --test-threads, --format terse|json).
#[derive(Debug, Parser)]
#[command(name = "vlens-conformance", version)]
struct Cli {
    /// The target's base URL (default: a vlens-sandbox started in this process).
    #[arg(long, env = env::BASE_URL)]
    base_url: Option<String>,
    /// A target profile (TOML) describing a real Vlens: credentials, pool, OTP source, test
    /// range (see conformance/targets/staging.example.toml).
    #[arg(long, env = env::TARGET_PROFILE)]
    target_profile: Option<PathBuf>,
    /// Run the case files of this directory instead of conformance/cases.
    #[arg(long, env = env::CASES_DIR)]
    cases: Option<PathBuf>,
    /// Keep snapshots under this directory instead of conformance/snapshots.
    #[arg(long)]
    snapshots: Option<PathBuf>,
    /// Print, for each case, whether it runs on this target and what it takes, sends and
    /// waits for; send nothing.
    #[arg(long)]
    plan: bool,
    /// Let cases wait for real on a remote target however long it takes (an OTP's lifetime).
    #[arg(long, env = env::ALLOW_WAIT)]
    allow_wait: bool,
    /// Where the calibration report goes (default conformance/calibration/TARGET.json).
    #[arg(long)]
    calibration_report: Option<PathBuf>,
    /// Write a report: junit=PATH, json=PATH or html=PATH (repeatable; the env var takes
    /// entries separated by commas).
    #[arg(long = "report", value_name = "FORMAT=PATH", env = REPORT_VAR, value_delimiter = ',')]
    reports: Vec<String>,
    #[command(flatten)]
    test: libtest_mimic::Arguments,
}

/// `vlens-conformance diff TARGET_A TARGET_B`: where two targets' snapshots differ, and which
/// side the spec agrees with. Exit 0 when they answered alike wherever both answered, 1 when
/// they did not, 2 when the snapshots cannot be read.
#[derive(Debug, Parser)]
#[command(name = "vlens-conformance diff", bin_name = "vlens-conformance diff")]
struct DiffCli {
    /// A snapshot directory name under the snapshots root (`sandbox`), or a path.
    left: PathBuf,
    /// The other.
    right: PathBuf,
    /// The snapshots root (default conformance/snapshots).
    #[arg(long)]
    snapshots: Option<PathBuf>,
    /// The case files that name each snapshot's operation (default conformance/cases).
    #[arg(long, env = env::CASES_DIR)]
    cases: Option<PathBuf>,
}

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let program = args.next().unwrap_or_default();
    match std::env::args_os()
        .nth(1)
        .as_deref()
        .and_then(|a| a.to_str())
    {
        Some("diff") => {
            let cli = DiffCli::parse_from(std::iter::once(program).chain(args.skip(1)));
            return diff(&cli);
        }
        Some("case-schema") => {
            println!("{}", vlens_conformance::case::schema::render());
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let cli = Cli::parse();
    let mut options = Options::default_suite(cli.base_url);
    options.profile = cli.target_profile;
    if let Some(cases) = cli.cases {
        options.use_cases(cases);
    }
    if let Some(snapshots) = cli.snapshots {
        options.snapshots_dir = snapshots;
    }
    options.plan_only = cli.plan;
    options.allow_wait = cli.allow_wait;
    options.calibration_report = cli.calibration_report;
    options.reports = cli.reports;
    main_with(&cli.test, &options)
}

fn diff(cli: &DiffCli) -> ExitCode {
    let defaults = Options::default_suite(None);
    let root = cli.snapshots.clone().unwrap_or(defaults.snapshots_dir);
    let place = |side: &PathBuf| {
        if side.components().count() == 1 {
            root.join(side)
        } else {
            side.clone()
        }
    };
    let cases = cli.cases.clone().unwrap_or(defaults.cases_dir);
    let operations = match vlens_conformance::suite::load(&cases, &cases.display().to_string()) {
        Ok(suite) => vlens_conformance::drift::snapshot_operations(&suite),
        Err(error) => {
            eprintln!(
                "vlens-conformance diff: cannot read the cases in {}: {error}",
                cases.display()
            );
            return ExitCode::from(2);
        }
    };
    match vlens_conformance::drift::compare(&place(&cli.left), &place(&cli.right), &operations) {
        Ok(drift) => {
            print!("{}", vlens_conformance::report::drift::render(&drift));
            if drift.agrees() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(error) => {
            eprintln!("vlens-conformance diff: {error}");
            ExitCode::from(2)
        }
    }
}
