//! `vlens-sandbox`: run a stateful local Vlens.

use anyhow::Context;
use clap::Parser;
use std::time::Duration;

use vlens_sandbox::{
    Caps, Connections, Lifetimes, Limit, PublicBaseUrl, RateLimits, SandboxConfig, defaults,
};

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
  Throttling   10 OTPs and 10 wrong OTP codes per phone number, email or request, and 10 wrong
               passwords per account, each per 15 minutes (flags below; --rate-limits off for
               load tests).
  Memory       Per tenant at most 10,000 users, 10,000 requests, 10,000 transactions and 64 MiB
               of images (507 beyond), 50,000 of each expiring record; 256 control-API tenants,
               dropped after an hour unused (flags below).
  Connections  At most 1,024 at once (503 beyond); a request head within 10 s (also the
               keep-alive idle limit), its body within 30 s (408 beyond); closed after 60 s with
               no byte moving; TCP_NODELAY.
  Control API  /__sandbox/health, /tenants, /users, /otp, /requests/{id}/status, /clock,
               /faults, /rate-limits, /reset, /oauth/id-token (ApiKey required; see
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
    /// Where the links in replies point: a URL such as https://proxy.example:8443/vlens (a proxy
    /// in front of the sandbox), or `from-host-header` (each request's Host header). Default: the
    /// bound address.
    #[arg(long, value_name = "URL")]
    public_base_url: Option<PublicBaseUrl>,
    /// How long an OTP lives, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::OTP_LIFETIME_SECONDS)]
    otp_lifetime: i64,
    /// How long a signing or payment link (and its SecurityHash) lives, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::SIGNING_LINK_LIFETIME_SECONDS)]
    link_lifetime: i64,
    /// How long a user or admin access token lives, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::ACCESS_TOKEN_LIFETIME_SECONDS)]
    access_token_lifetime: i64,
    /// `off` turns every throttling limit off (load tests); `on` keeps the limits below.
    #[arg(long, value_name = "on|off", default_value = "on", value_parser = ["on", "off"])]
    rate_limits: String,
    /// OTPs per purpose and phone number, email or business request: MAX/SECONDS or `off`
    /// (TooManyOtpRequests past it).
    #[arg(long, value_name = "MAX/SECONDS", default_value = "10/900", value_parser = limit)]
    otp_request_limit: LimitFlag,
    /// Wrong OTP codes per purpose and phone number, email or business request, across OTPs:
    /// MAX/SECONDS or `off` (TooManyWrongOtpCodes past it).
    #[arg(long, value_name = "MAX/SECONDS", default_value = "10/900", value_parser = limit)]
    wrong_otp_code_limit: LimitFlag,
    /// Wrong passwords per account: MAX/SECONDS or `off` (TooManyFailedLogins past it).
    #[arg(long, value_name = "MAX/SECONDS", default_value = "10/900", value_parser = limit)]
    failed_password_limit: LimitFlag,
    /// An ApiKey-only identity-verification transaction left incomplete is dropped, with its
    /// images, this many seconds after it began.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::INCOMPLETE_TRANSACTION_LIFETIME_SECONDS)]
    incomplete_transaction_lifetime: i64,
    /// A tenant made through the control API is dropped after this many seconds unused.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::IDLE_TENANT_LIFETIME_SECONDS)]
    idle_tenant_lifetime: i64,
    /// Tenants made through the control API, in the whole sandbox (507 beyond).
    #[arg(long, value_name = "N", default_value_t = Caps::default().tenants)]
    max_tenants: usize,
    /// Users per tenant (507 beyond).
    #[arg(long, value_name = "N", default_value_t = Caps::default().users)]
    max_users: usize,
    /// Business requests per tenant (507 beyond).
    #[arg(long, value_name = "N", default_value_t = Caps::default().requests)]
    max_requests: usize,
    /// Identity-verification transactions per tenant (507 beyond).
    #[arg(long, value_name = "N", default_value_t = Caps::default().transactions)]
    max_transactions: usize,
    /// Bytes of decoded ID and liveness images per tenant (507 beyond).
    #[arg(long, value_name = "BYTES", default_value_t = Caps::default().image_bytes)]
    max_image_bytes: usize,
    /// OTPs, links, refresh tokens and OAuth verifications per tenant, each (past it, those
    /// nearest their expiry make room).
    #[arg(long, value_name = "N", default_value_t = Caps::default().short_lived)]
    max_short_lived: usize,
    /// Connections served at once; one beyond is answered 503 and closed. Keep it below the
    /// file-descriptor limit (`ulimit -n`).
    #[arg(long, value_name = "N", default_value_t = Connections::default().max)]
    max_connections: usize,
    /// Seconds a request's head may take to arrive, counted from the connection's opening or
    /// the previous reply (so it also closes idle keep-alive connections).
    #[arg(long, value_name = "SECONDS", default_value_t = Connections::default().header_read_timeout.as_secs())]
    header_read_timeout: u64,
    /// Seconds a request's body may take to arrive after its head (408 beyond).
    #[arg(long, value_name = "SECONDS", default_value_t = Connections::default().body_read_timeout.as_secs())]
    body_read_timeout: u64,
    /// Seconds a connection may go without a byte moving either way before it is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = Connections::default().idle_timeout.as_secs())]
    idle_timeout: u64,
}

/// A limit flag's value: None for `off`. A newtype, because clap's derive reads a field of
/// type `Option<T>` as an optional flag of `T`.
#[derive(Debug, Clone, Copy)]
struct LimitFlag(Option<Limit>);

/// A limit flag: `off`, or MAX/SECONDS.
fn limit(text: &str) -> Result<LimitFlag, String> {
    if text.trim().eq_ignore_ascii_case("off") {
        return Ok(LimitFlag(None));
    }
    text.parse()
        .map(|limit| LimitFlag(Some(limit)))
        .map_err(|error| format!("{error}"))
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
        public_base_url: args.public_base_url.unwrap_or_default(),
        lifetimes: Lifetimes {
            otp_seconds: args.otp_lifetime,
            link_seconds: args.link_lifetime,
            access_token_seconds: args.access_token_lifetime,
            incomplete_transaction_seconds: args.incomplete_transaction_lifetime,
            idle_tenant_seconds: args.idle_tenant_lifetime,
        },
        caps: Caps {
            tenants: args.max_tenants,
            users: args.max_users,
            requests: args.max_requests,
            transactions: args.max_transactions,
            image_bytes: args.max_image_bytes,
            short_lived: args.max_short_lived,
        },
        connections: Connections {
            max: args.max_connections,
            header_read_timeout: Duration::from_secs(args.header_read_timeout),
            body_read_timeout: Duration::from_secs(args.body_read_timeout),
            idle_timeout: Duration::from_secs(args.idle_timeout),
        },
        rate_limits: if args.rate_limits == "off" {
            RateLimits::off()
        } else {
            RateLimits {
                otp_requests: args.otp_request_limit.0,
                wrong_otp_codes: args.wrong_otp_code_limit.0,
                failed_passwords: args.failed_password_limit.0,
            }
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
