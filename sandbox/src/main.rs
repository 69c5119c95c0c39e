//! `vlens-sandbox`: run a stateful local Vlens.

use anyhow::Context;
use clap::Parser;
use vlens_sandbox::{Lifetimes, SandboxConfig, defaults};

const AFTER_HELP: &str = "\
Defaults:
  Tenants      Default (id 1, ApiKey sandbox-api-key, replaced by --api-key)
               Other   (id 2, ApiKey sandbox-other-api-key)
               Each has the admin `admin` with password `123qwe`.
  Products     414 Personal Loan (approved on creation, no payment check)
               415 Commercial Lease Agreement (Pending Approval until approved through
                   POST /__sandbox/requests/{id}/status, payment check)
               416 Device Instalment Plan (approved on creation, payment check)
  Limits       OTP: 6 digits, 300 s, 5 wrong attempts; body 4 MiB; image 500 KB (512000 bytes)
               decoded; signing links 15 min; access tokens 24 h; refresh tokens 7 days
               (the lifetimes are flags below).
  Control API  /__sandbox/health, /tenants, /users, /otp, /requests/{id}/status, /clock,
               /faults, /reset, /oauth/id-token (ApiKey required; see
               openapi/sandbox-control.yaml).
Logs go to stderr; RUST_LOG sets the filter (default `info`).";

/// A stateful local Vlens that follows the documented business rules.
#[derive(Debug, Parser)]
#[command(name = "vlens-sandbox", version, after_help = AFTER_HELP)]
struct Args {
    /// The port to listen on; 0 picks a free port. The bound URL is printed on start.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// The address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Replaces the Default tenant's ApiKey (`sandbox-api-key`).
    #[arg(long, env = "VLENS_SANDBOX_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Makes every generated id, OTP code and token secret reproducible (default: random).
    #[arg(long)]
    seed: Option<u64>,
    /// How long an OTP lives, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::OTP_LIFETIME_SECONDS)]
    otp_lifetime: i64,
    /// How long a signing or payment link (and its SecurityHash) lives, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::SIGNING_LINK_LIFETIME_SECONDS)]
    link_lifetime: i64,
    /// How long a user or admin access token lives, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::ACCESS_TOKEN_LIFETIME_SECONDS)]
    access_token_lifetime: i64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = SandboxConfig {
        host: args.host,
        port: args.port,
        api_key: args
            .api_key
            .unwrap_or_else(|| defaults::DEFAULT_API_KEY.to_string()),
        seed: args.seed,
        lifetimes: Lifetimes {
            otp_seconds: args.otp_lifetime,
            link_seconds: args.link_lifetime,
            access_token_seconds: args.access_token_lifetime,
        },
        ..SandboxConfig::default()
    };
    let sandbox = vlens_sandbox::start(config)
        .await
        .context("starting the sandbox")?;
    println!("vlens-sandbox listening on {}", sandbox.base_url());
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    sandbox.shutdown().await;
    Ok(())
}
