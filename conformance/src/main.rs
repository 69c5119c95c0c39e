//! `cargo run -p vlens-conformance [-- OPTIONS] [libtest options]`: the suite against the
//! embedded sandbox, a sandbox at a URL, or a real Vlens described by a target profile.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use vlens_conformance::harness::{Options, main_with};
use vlens_conformance::target::env;

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
    #[command(flatten)]
    test: libtest_mimic::Arguments,
}

fn main() -> ExitCode {
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
    main_with(&cli.test, &options)
}
