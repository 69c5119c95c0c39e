//! The server the suite runs against, and what it can provide.
//!
//! - No base URL: a `vlens-sandbox` started in this process on an ephemeral port (milliseconds,
//!   so that nextest's process per test stays cheap).
//! - A base URL that answers `GET /__sandbox/health`: a sandbox elsewhere; fixtures come from
//!   its control API, with the sandbox's documented credentials unless env vars override them.
//! - A target profile ([`profile`]), or any other base URL with env vars ([`env`]): a real Vlens
//!   (staging). Fixtures come from the profile's pool and through the API; what the target
//!   cannot provide makes a case ignored, with the reason ([`crate::plan`]).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::case::TenantRef;
use crate::recipients::TestRange;
use crate::redact::Secrets;
use crate::template::Generators;
use crate::template::functions::Documents;
use from_settings::{answers_health, remote_from_env, sandbox_target};

mod capabilities;
pub mod commands;
pub mod env;
mod from_settings;
pub mod pool;
pub mod profile;

pub use capabilities::{OtpSource, Portal, Products, TimePolicy, WAIT_MARGIN};

use env::Settings;
use pool::Pool;
use profile::Profile;

/// What kind of server it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// The sandbox this process started.
    Embedded,
    /// A sandbox at a URL (it answers the control API).
    SandboxAt,
    /// Anything else (Vlens staging, or a sandbox described by a profile).
    Remote,
}

/// A tenant's credentials. `Debug` never shows the key or the password.
#[derive(Clone)]
pub struct TenantCredentials {
    /// The tenancy name.
    pub name: String,
    /// The ApiKey.
    pub api_key: SecretString,
    /// An admin user, when known.
    pub admin_user: Option<String>,
    /// Its password.
    pub admin_password: Option<SecretString>,
}

impl fmt::Debug for TenantCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantCredentials")
            .field("name", &self.name)
            .field("api_key", &"[REDACTED]")
            .field("admin_user", &self.admin_user)
            .field(
                "admin_password",
                &self.admin_password.as_ref().map(|_| "[REDACTED]"),
            )
            .finish()
    }
}

impl TenantCredentials {
    /// The credentials as the `tenant` / `other_tenant` variable of a case.
    pub fn variable(&self) -> Value {
        serde_json::json!({
            "name": self.name,
            "apiKey": self.api_key.expose_secret(),
            "adminUser": self.admin_user,
            "adminPassword": self.admin_password.as_ref().map(|p| p.expose_secret().to_owned()),
        })
    }

    /// Whether admin login is possible.
    pub fn has_admin(&self) -> bool {
        self.admin_user.is_some() && self.admin_password.is_some()
    }

    fn register(&self, secrets: &Secrets) {
        secrets.add(self.api_key.expose_secret(), "api-key");
        if let Some(password) = &self.admin_password {
            secrets.add(password.expose_secret(), "password");
        }
    }
}

/// The server and its credentials.
pub struct Target {
    /// Where requests go, without a trailing slash.
    pub base_url: String,
    /// What it is.
    pub kind: TargetKind,
    /// Its name: the directory of its snapshots (`sandbox`, `host-port`, a profile's name) and
    /// of its calibration report.
    pub name: String,
    /// Where it was described (`conformance/targets/staging.toml`), for messages.
    pub described_by: String,
    /// The tenant cases run in unless they ask for an isolated one.
    pub main: TenantCredentials,
    /// A second tenant, when there is one.
    pub other: Option<TenantCredentials>,
    /// A tenant whose settings require a confirmed email (a profile's `[email_tenant]`).
    pub email_tenant: Option<TenantCredentials>,
    /// The products by role.
    pub products: Products,
    /// Pre-verified users (a real Vlens).
    pub pool: Pool,
    /// Who may receive messages (a real Vlens); `None` on a sandbox, which sends nothing.
    pub recipients: Option<TestRange>,
    /// How generated values are made.
    pub generators: Generators,
    /// Where OTPs are read.
    pub otp: OtpSource,
    /// Where statuses are changed as a portal admin would.
    pub portal: Portal,
    /// Waits and lifetimes.
    pub time: TimePolicy,
    /// Origins besides the target's own that `fetch` may GET (a CDN that serves contracts).
    pub fetch_origins: Vec<String>,
    /// The target's own secrets (keys, passwords), shared by every case.
    pub secrets: Secrets,
    /// The HTTP client.
    pub http: reqwest::Client,
    /// Keeps the embedded sandbox running.
    _sandbox: Option<vlens_sandbox::RunningSandbox>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("base_url", &self.base_url)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("main", &self.main)
            .field("other", &self.other)
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

/// Why the target could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// The embedded sandbox did not start.
    #[error("the embedded sandbox did not start: {0}")]
    Sandbox(#[from] vlens_sandbox::StartError),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// The base URL is not an http(s) URL.
    #[error("`{0}` is not an http:// or https:// base URL")]
    BadUrl(String),
    /// An env var has a value that cannot be used.
    #[error("environment variable {name}: {message}")]
    BadEnv {
        /// The variable.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The profile cannot be used.
    #[error(transparent)]
    Profile(#[from] profile::ProfileError),
}

impl Target {
    /// How many cases run at once when neither `--test-threads` nor `RUST_TEST_THREADS` says.
    /// A case spends most of its time waiting for replies, so on a sandbox four per core keep
    /// the cores busy (60 flows on 2 cores against a release sandbox: 85 ms two at a time,
    /// 62 ms eight at a time). A real Vlens gets one per core: its rate limits are shared with
    /// everyone testing against it, and cases lease its few pool users anyway.
    pub fn cases_at_once(&self) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        match self.kind {
            TargetKind::Embedded | TargetKind::SandboxAt => cores * 4,
            TargetKind::Remote => cores,
        }
    }

    /// Whether `/__sandbox/...` works (fixtures, OTP outbox, clock, status changes).
    pub fn has_control_api(&self) -> bool {
        matches!(self.kind, TargetKind::Embedded | TargetKind::SandboxAt)
    }

    /// Whether a `fetch` step may GET `url`: the target's own origin, or one the profile
    /// allows. A reply cannot send the harness to any host it likes.
    pub fn may_fetch(&self, url: &str) -> bool {
        let Some(origin) = origin_of(url) else {
            return false;
        };
        origin_of(&self.base_url).as_deref() == Some(origin.as_str())
            || self
                .fetch_origins
                .iter()
                .any(|allowed| origin_of(allowed).as_deref() == Some(origin.as_str()))
    }

    /// The credentials of a tenant, when the target has it.
    pub fn tenant(&self, which: TenantRef) -> Option<&TenantCredentials> {
        match which {
            TenantRef::Main => Some(&self.main),
            TenantRef::Other => self.other.as_ref(),
        }
    }

    /// Starts the embedded sandbox (on the current tokio runtime).
    pub async fn embedded() -> Result<Target, TargetError> {
        let sandbox = vlens_sandbox::start(vlens_sandbox::SandboxConfig::default()).await?;
        let mut target = Target::embedded_unstarted()?;
        target.base_url = sandbox.base_url().to_owned();
        target._sandbox = Some(sandbox);
        Ok(target)
    }

    /// The embedded sandbox as a plan sees it, without starting it (`--plan` sends nothing).
    pub fn embedded_unstarted() -> Result<Target, TargetError> {
        let mut target = sandbox_target(
            "(embedded sandbox)".to_owned(),
            TargetKind::Embedded,
            &Settings::default(),
        )?;
        target.name = "sandbox".to_owned();
        target.described_by = "the embedded sandbox".to_owned();
        Ok(target)
    }

    /// A target at a base URL: a sandbox if it answers the control API's health check with
    /// the ApiKey in use, otherwise a remote Vlens configured by env vars. `probe: false`
    /// (`--plan`) sends nothing and takes it for a remote Vlens.
    pub async fn at(
        base_url: &str,
        settings: &Settings,
        probe: bool,
    ) -> Result<Target, TargetError> {
        let base_url = base_url.trim_end_matches('/').to_owned();
        let Some(host) = base_url
            .strip_prefix("http://")
            .or_else(|| base_url.strip_prefix("https://"))
        else {
            return Err(TargetError::BadUrl(base_url));
        };
        let host = host.split('/').next().unwrap_or(host);
        let name = snapshot_name_for(host, base_url.starts_with("https://"));
        if probe {
            let mut sandbox = sandbox_target(base_url.clone(), TargetKind::SandboxAt, settings)?;
            sandbox.name = name.clone();
            sandbox.described_by = format!("{base_url} (a sandbox)");
            if answers_health(&sandbox).await {
                return Ok(sandbox);
            }
        }
        let mut remote = remote_from_env(base_url.clone(), settings)?;
        remote.described_by = format!("{base_url} and the VLENS_* environment variables");
        remote.pool = Pool::new(remote.pool.users().to_vec(), lock_dir(&name));
        remote.name = name;
        Ok(remote)
    }

    /// A real Vlens described by a profile (a sandbox described by one is treated as a real
    /// Vlens: that is the staging stand-in).
    pub fn from_profile(profile: Profile) -> Result<Target, TargetError> {
        let tenant = |t: &profile::ProfileTenant| TenantCredentials {
            name: t.name.clone(),
            api_key: t.api_key.clone().into(),
            admin_user: t.admin_user.clone(),
            admin_password: t.admin_password.clone().map(SecretString::from),
        };
        let main = tenant(&profile.tenant);
        let other = profile.other_tenant.as_ref().map(tenant);
        let email_tenant = profile.email_tenant.as_ref().map(tenant);
        let secrets = Secrets::default();
        main.register(&secrets);
        for extra in other.iter().chain(email_tenant.iter()) {
            extra.register(&secrets);
        }
        for user in &profile.users {
            secrets.add(&user.password, "password");
        }
        let generators = Generators {
            phones: profile.recipients.phones.clone(),
            email_domain: profile.recipients.email_domain.clone(),
            documents: match &profile.identity {
                Some(documents) => Documents::Given(Arc::new(documents.clone())),
                None => Documents::Missing,
            },
        };
        let (auto_approved, needs_approval, paid) = profile.products;
        Ok(Target {
            base_url: profile.base_url.clone(),
            kind: TargetKind::Remote,
            name: profile.name.clone(),
            described_by: profile.file.display().to_string(),
            main,
            other,
            email_tenant,
            products: Products {
                auto_approved,
                needs_approval,
                paid,
            },
            pool: Pool::new(profile.users.clone(), lock_dir(&profile.name)),
            recipients: Some(profile.recipients.clone()),
            generators,
            otp: profile
                .otp
                .clone()
                .map_or(OtpSource::None, OtpSource::Command),
            portal: profile.portal.clone().map_or(Portal::None, Portal::Command),
            fetch_origins: profile.fetch_origins.clone(),
            time: TimePolicy {
                clock: false,
                allow_wait: false,
                max_wait: profile.time.max_wait,
                otp_lifetime: profile.time.otp_lifetime,
                signing_link_lifetime: profile.time.signing_link_lifetime,
                access_token_lifetime: profile.time.access_token_lifetime,
            },
            secrets,
            http: http_client(
                std::iter::once(profile.base_url.as_str())
                    .chain(profile.fetch_origins.iter().map(String::as_str)),
            )?,
            _sandbox: None,
        })
    }
}

/// `scheme://host:port` of a URL, the port spelled out.
fn origin_of(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    Some(format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str()?.to_ascii_lowercase(),
        url.port_or_known_default()?
    ))
}

/// Where the pool's lock files live: one directory per target name, shared by every process
/// of this machine that runs against it.
fn lock_dir(name: &str) -> PathBuf {
    std::env::temp_dir()
        .join("vlens-conformance-pool")
        .join(name)
}

/// `api.vlens.co-443`, `127.0.0.1-8080`: a directory name for a host and port.
pub fn snapshot_name_for(host: &str, https: bool) -> String {
    let with_port = if host
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok())
        && !host.ends_with(']')
    {
        host.to_owned()
    } else {
        format!("{host}:{}", if https { 443 } else { 80 })
    };
    with_port
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_matches('-')
        .to_owned()
}

/// The client for every request of a run. It never follows a redirect, and it only trusts
/// certificates when some origin the run may reach is `https`: loading the platform's roots
/// reads the whole certificate directory, about 5 ms of every start, and a plain-HTTP target
/// (the sandbox) has no use for them. Without roots an `https` URL fails, which `may_fetch`
/// already rules out for a target whose origins are all `http`.
fn http_client<'a>(
    origins: impl IntoIterator<Item = &'a str>,
) -> Result<reqwest::Client, TargetError> {
    vlens_client::tls::install_crypto_provider();
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30));
    let needs_tls = origins.into_iter().any(|origin| {
        !origin
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("http://")
    });
    let builder = if needs_tls {
        builder
    } else {
        builder.tls_certs_only([])
    };
    builder
        .build()
        .map_err(|error| TargetError::Client(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_names_derive_from_host_and_port() {
        assert_eq!(snapshot_name_for("api.vlens.co", true), "api.vlens.co-443");
        assert_eq!(snapshot_name_for("127.0.0.1:8080", false), "127.0.0.1-8080");
        assert_eq!(snapshot_name_for("localhost", false), "localhost-80");
    }

    #[test]
    fn debug_never_shows_credentials() {
        let credentials = TenantCredentials {
            name: "T".to_owned(),
            api_key: "key-canary-1234".to_owned().into(),
            admin_user: Some("admin".to_owned()),
            admin_password: Some("password-canary".to_owned().into()),
        };
        let shown = format!("{credentials:?}");
        assert!(!shown.contains("canary"), "{shown}");
    }

    #[test]
    fn fetch_stays_on_the_target_and_the_origins_it_allows() {
        let mut target = Target::embedded_unstarted().unwrap();
        target.base_url = "http://127.0.0.1:5555".to_owned();
        target.fetch_origins = vec!["https://cdn.vlenseg.com".to_owned()];
        assert!(target.may_fetch("http://127.0.0.1:5555/sign?SecurityHash=x"));
        assert!(target.may_fetch("https://CDN.vlenseg.com:443/contracts/1.pdf"));
        assert!(!target.may_fetch("http://127.0.0.1:5556/sign"));
        assert!(!target.may_fetch("https://127.0.0.1:5555/sign"));
        assert!(!target.may_fetch("https://evil.example/x"));
        assert!(!target.may_fetch("not a url"));
    }

    #[test]
    fn waits_run_on_a_clock_when_allowed_or_within_the_limit() {
        let mut time = TimePolicy::sandbox();
        assert!(time.may_wait(Duration::from_secs(86_400)));
        time.clock = false;
        time.allow_wait = false;
        time.max_wait = Some(Duration::from_secs(10));
        assert!(time.may_wait(Duration::from_secs(10)));
        assert!(!time.may_wait(Duration::from_secs(11)));
        time.allow_wait = true;
        assert!(time.may_wait(Duration::from_secs(86_400)));
    }
}
