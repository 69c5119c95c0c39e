//! `cargo xtask codegen [--check]` (see `.cargo/config.toml` for the alias).

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
    /// Generate the client from openapi/vlens.yaml.
    Codegen {
        /// Write nothing; fail when the committed generated files differ from the spec's output.
        #[arg(long)]
        check: bool,
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
        Command::Codegen { check } => {
            let mode = if check { Mode::Check } else { Mode::Write };
            match xtask::run(&layout, mode)? {
                Outcome::UpToDate => {
                    println!(
                        "generated code is up to date with {}",
                        xtask::workspace::SPEC
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Outcome::Written(files) => {
                    for file in files {
                        println!("wrote {file}");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Outcome::Stale(files) => {
                    for file in &files {
                        eprintln!(
                            "stale: {file} differs from what {} generates",
                            xtask::workspace::SPEC
                        );
                    }
                    eprintln!("run `cargo xtask codegen` to update it, and commit the result");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}
