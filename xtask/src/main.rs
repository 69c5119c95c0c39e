//! `cargo xtask codegen [--check] [--since REV]`, `cargo xtask spec-diff OLD NEW` and
//! `cargo xtask calibrate REPORT` (see `.cargo/config.toml` for the alias).

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xtask::{Layout, Mode, Outcome};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "vlens-rs project automation")]
struct Cli {
    /// The workspace root; found from the current directory when absent.
    #[arg(long, global = true)]
    root: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate the client from openapi/vlens.yaml and the sandbox's control client from
    /// openapi/sandbox-control.yaml, then report what changed in each since the committed one
    /// (breaking or not for a caller of vlens-client or vlens-sandbox, with a semver hint).
    Codegen {
        /// Write nothing and report nothing; fail when the committed generated files differ
        /// from the spec's output.
        #[arg(long, conflicts_with = "since")]
        check: bool,
        /// The git revision whose spec the report compares with.
        #[arg(long, value_name = "REV")]
        since: Option<String>,
    },
    /// Report what changed from one spec file to another, as `codegen` does.
    SpecDiff {
        /// The earlier spec.
        old: std::path::PathBuf,
        /// The later spec.
        new: std::path::PathBuf,
    },
    /// Fold a conformance calibration report (observed error numbers) into openapi/vlens.yaml.
    Calibrate {
        /// The report a conformance run wrote (conformance/calibration/TARGET.json).
        report: std::path::PathBuf,
        /// Show what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let layout = match cli.root {
        Some(root) => Layout::new(root),
        None => Layout::discover(&std::env::current_dir()?)?,
    };
    match cli.command {
        Command::SpecDiff { old, new } => {
            print!("{}", xtask::diff::files(Some(&layout), &old, &new)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Calibrate { report, dry_run } => {
            let changes = xtask::calibrate::run(&layout, &report, dry_run)?;
            for change in &changes {
                println!("{}: {}", change.name, change.what);
            }
            if changes.is_empty() {
                println!("the report observed no error code");
            } else if !dry_run {
                println!(
                    "updated {}; now run `cargo xtask codegen`, review and commit both",
                    xtask::workspace::SPEC
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Codegen { check, since } => {
            let mode = if check { Mode::Check } else { Mode::Write };
            match xtask::run(&layout, mode)? {
                Outcome::UpToDate => {
                    println!(
                        "generated code is up to date with {}",
                        xtask::workspace::SPECS.join(" and ")
                    );
                    if !check {
                        report_changes(&layout, since.as_deref())?;
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Outcome::Written(files) => {
                    for file in files {
                        println!("wrote {file}");
                    }
                    report_changes(&layout, since.as_deref())?;
                    Ok(ExitCode::SUCCESS)
                }
                Outcome::Stale(files) => {
                    for file in &files {
                        eprintln!(
                            "stale: {file} differs from what {} generates",
                            xtask::workspace::source_of(file)
                        );
                    }
                    eprintln!("run `cargo xtask codegen` to update it, and commit the result");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}

/// After generating: what changed in the spec since `since` (HEAD by default). Without an
/// explicit revision, a report that cannot be made (no git repository, a spec not yet
/// committed, a committed spec that today's checks refuse) is a note, not a failure: the code
/// was generated all the same. An explicit `--since` that fails is an error.
fn report_changes(layout: &Layout, since: Option<&str>) -> anyhow::Result<()> {
    let rev = since.unwrap_or("HEAD");
    for report in [
        xtask::diff::since(layout, rev),
        xtask::diff::control_since(layout, rev),
    ] {
        match (report, since) {
            (Ok(report), _) => {
                println!();
                print!("{report}");
            }
            (Err(error), None) => eprintln!("note: no change report: {error}"),
            (Err(error), Some(_)) => return Err(error.into()),
        }
    }
    Ok(())
}
