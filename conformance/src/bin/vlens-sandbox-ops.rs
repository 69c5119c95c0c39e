//! `vlens-sandbox-ops`: what a QA team's own scripts do for a staging profile — read the SMS
//! inbox, change a status in the provider's portal — done against a `vlens-sandbox`'s control
//! API. It is the OTP and portal command of the staging stand-in (a sandbox behind a proxy that
//! hides its control API), and a worked example of both commands' contract:
//!
//! ```text
//! vlens-sandbox-ops --control-url URL --key-env VAR... otp PURPOSE RECIPIENT [REQUEST_ID]
//!     prints the code of the last OTP sent for PURPOSE to RECIPIENT (and REQUEST_ID), or
//!     nothing when none was
//! vlens-sandbox-ops --control-url URL --key-env VAR... portal REQUEST_ID STATUS
//!     gives the request STATUS (approved, rejected, ...) as the provider's portal would
//! ```
//!
//! Each `--key-env` names an environment variable holding a tenant's ApiKey (the outbox and
//! the requests of a sandbox are per tenant); the keys are tried in turn.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use clap::{Parser, Subcommand};
use serde_json::{Value, json};

#[derive(Debug, Parser)]
#[command(name = "vlens-sandbox-ops", version)]
struct Cli {
    /// The sandbox's own base URL (where `/__sandbox/...` answers).
    #[arg(long)]
    control_url: String,
    /// An environment variable holding a tenant's ApiKey; give one per tenant.
    #[arg(long = "key-env", required = true)]
    key_envs: Vec<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the code of the last OTP sent for PURPOSE to RECIPIENT, or nothing.
    Otp {
        /// register-phone, register-email, login or activation.
        purpose: String,
        /// A phone number or an email address.
        recipient: String,
        /// The business request of an activation OTP.
        request: Option<String>,
    },
    /// Give a request a status, as the provider's portal does.
    Portal {
        /// The request's id.
        request: String,
        /// The status's name (approved, rejected, ...) or number.
        status: String,
    },
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("vlens-sandbox-ops: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let keys: Vec<String> = cli
        .key_envs
        .iter()
        .map(|name| std::env::var(name).with_context(|| format!("{name} is not set")))
        .collect::<Result<_, _>>()?;
    vlens_client::tls::install_crypto_provider();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let base = cli.control_url.trim_end_matches('/').to_owned();
    runtime.block_on(async {
        match cli.command {
            Command::Otp {
                purpose,
                recipient,
                request,
            } => {
                let field = if recipient.contains('@') {
                    "email"
                } else {
                    "phoneNumber"
                };
                for key in &keys {
                    let reply = http
                        .get(format!("{base}/__sandbox/otp"))
                        .query(&[(field, recipient.as_str())])
                        .header("ApiKey", key)
                        .send()
                        .await?;
                    if reply.status() == reqwest::StatusCode::NOT_FOUND {
                        continue;
                    }
                    let body: Value = reply.error_for_status()?.json().await?;
                    let sent = &body["data"];
                    let same_request = request
                        .as_deref()
                        .is_none_or(|id| sent["requestId"].as_str() == Some(id));
                    if sent["purpose"].as_str() == Some(purpose.as_str()) && same_request {
                        let code = sent["code"].as_str().ok_or_else(|| anyhow!("no code"))?;
                        println!("{code}");
                        return Ok(());
                    }
                }
                Ok(())
            }
            Command::Portal { request, status } => {
                let number = match status.parse::<i32>() {
                    Ok(number) => number,
                    Err(_) => vlens_conformance::case::status_by_name(&status)
                        .ok_or_else(|| anyhow!("unknown status `{status}`"))?,
                };
                for key in &keys {
                    let reply = http
                        .post(format!("{base}/__sandbox/requests/{request}/status"))
                        .header("ApiKey", key)
                        .json(&json!({ "status": number }))
                        .send()
                        .await?;
                    if reply.status().is_success() {
                        return Ok(());
                    }
                }
                bail!("no tenant has request {request}")
            }
        }
    })
}
