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
use vlens_client::types::RequestStatus;
use vlens_sandbox::kit::Kit;

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
    // One test kit per tenant: the sandbox's control API through its typed client.
    let kits: Vec<Kit> = keys
        .iter()
        .map(|key| Kit::with_http_client(&cli.control_url, key.as_str(), http.clone()))
        .collect::<Result<_, _>>()?;
    runtime.block_on(async {
        match cli.command {
            Command::Otp {
                purpose,
                recipient,
                request,
            } => {
                for kit in &kits {
                    let found = if recipient.contains('@') {
                        kit.last_email_otp(&recipient).await
                    } else {
                        kit.last_otp(&recipient).await
                    };
                    let sent = match found {
                        // Nothing was sent there in this tenant.
                        Err(error) if error.status() == Some(404) => continue,
                        found => found?,
                    };
                    let same_request = request.as_deref().is_none_or(|id| {
                        sent.request_id.map(|sent| sent.to_string()).as_deref() == Some(id)
                    });
                    if sent.purpose.to_string() == purpose && same_request {
                        println!("{}", sent.code.expose_secret());
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
                let id = uuid::Uuid::parse_str(&request)
                    .with_context(|| format!("`{request}` is not a request id"))?;
                for kit in &kits {
                    match kit.set_status(id, RequestStatus(number)).await {
                        Ok(_) => return Ok(()),
                        // An answer (404: not this tenant's request): try the next tenant.
                        Err(error) if error.status().is_some() => continue,
                        Err(error) => return Err(error.into()),
                    }
                }
                bail!("no tenant has request {request}")
            }
        }
    })
}
