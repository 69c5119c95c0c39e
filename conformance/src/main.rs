//! `cargo run -p vlens-conformance [-- --base-url URL] [libtest options]`: the suite against
//! the embedded sandbox, or any Vlens at a base URL.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use vlens_conformance::harness::{Options, main_with};

/// Runs the Vlens conformance suite (libtest options apply: filters, --exact, --list,
/// --ignored, --test-threads, --format terse|json).
#[derive(Debug, Parser)]
#[command(name = "vlens-conformance", version)]
struct Cli {
    /// The target's base URL (default: a vlens-sandbox started in this process).
    #[arg(long, env = "VLENS_BASE_URL")]
    base_url: Option<String>,
    /// Run the case files of this directory instead of conformance/cases.
    #[arg(long, env = "VLENS_CASES_DIR")]
    cases: Option<PathBuf>,
    /// Keep snapshots under this directory instead of conformance/snapshots.
    #[arg(long)]
    snapshots: Option<PathBuf>,
    #[command(flatten)]
    test: libtest_mimic::Arguments,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut options = Options::default_suite(cli.base_url);
    if let Some(cases) = cli.cases {
        options.cases_shown_as = cases.display().to_string();
        options.cases_dir = cases;
        options.coverage_trials = false;
    }
    if let Some(snapshots) = cli.snapshots {
        options.snapshots_dir = snapshots;
    }
    main_with(&cli.test, &options)
}
