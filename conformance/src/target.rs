//! The server the suite runs against, and what it can provide.
//!
//! - No base URL: a `vlens-sandbox` started in this process on an ephemeral port (milliseconds,
//!   so that nextest's process per test stays cheap).
//! - A base URL that answers `GET /__sandbox/health`: a sandbox elsewhere; fixtures come from
//!   its control API, with the sandbox's documented credentials unless env vars override them.
//! - Any other base URL (Vlens staging): fixtures come from env vars; cases that need more are
//!   ignored with the reason.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use vlens_sandbox::defaults;

use crate::redact::Secrets;

/// The env vars the harness reads (documented in `conformance/README.md`).
pub mod env {
    /// The target (default: the embedded sandbox).
    pub const BASE_URL: &str = "VLENS_BASE_URL";
    /// The ApiKey of the tenant the cases run in.
    pub const API_KEY: &str = "VLENS_API_KEY";
    /// That tenant's name (admin login's `TenancyName`).
    pub const TENANCY: &str = "VLENS_TENANCY";
    /// An admin user of that tenant.
    pub const ADMIN_USER: &str = "VLENS_ADMIN_USER";
    /// That admin's password.
    pub const ADMIN_PASSWORD: &str = "VLENS_ADMIN_PASSWORD";
    /// The ApiKey of a second tenant (cross-tenant cases).
    pub const OTHER_API_KEY: &str = "VLENS_OTHER_API_KEY";
    /// The second tenant's name.
    pub const OTHER_TENANCY: &str = "VLENS_OTHER_TENANCY";
    /// The phone number of a KYC-verified test user (staging).
    pub const USER_PHONE: &str = "VLENS_USER_PHONE";
    /// That user's password.
    pub const USER_PASSWORD: &str = "VLENS_USER_PASSWORD";
    /// A device (`imei`) that user already used, so that login needs no SMS code.
    pub const USER_IMEI: &str = "VLENS_USER_IMEI";
    /// That user's completed KYC transaction id (re-validation steps).
    pub const USER_TRANSACTION_ID: &str = "VLENS_USER_TRANSACTION_ID";
    /// A product (request type id) approved on creation.
    pub const PRODUCT_AUTO_APPROVED: &str = "VLENS_PRODUCT_AUTO_APPROVED";
    /// A product that stays Pending Approval.
    pub const PRODUCT_NEEDS_APPROVAL: &str = "VLENS_PRODUCT_NEEDS_APPROVAL";
}

/// The values of the env vars of [`env`], read once (or given by a test). `Debug` shows only
/// which are set.
#[derive(Clone, Default)]
pub struct Settings {
    values: std::collections::BTreeMap<&'static str, String>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.values.keys()).finish()
    }
}

impl Settings {
    /// Every variable of [`env`] that is set and not blank.
    pub fn from_env() -> Settings {
        let names = [
            env::API_KEY,
            env::TENANCY,
            env::ADMIN_USER,
            env::ADMIN_PASSWORD,
            env::OTHER_API_KEY,
            env::OTHER_TENANCY,
            env::USER_PHONE,
            env::USER_PASSWORD,
            env::USER_IMEI,
            env::USER_TRANSACTION_ID,
            env::PRODUCT_AUTO_APPROVED,
            env::PRODUCT_NEEDS_APPROVAL,
        ];
        let mut settings = Settings::default();
        for name in names {
            if let Ok(value) = std::env::var(name)
                && !value.trim().is_empty()
            {
                settings.values.insert(name, value);
            }
        }
        settings
    }

    /// Sets one value (tests).
    pub fn with(mut self, name: &'static str, value: &str) -> Settings {
        self.values.insert(name, value.to_owned());
        self
    }

    fn get(&self, name: &str) -> Option<String> {
        self.values.get(name).cloned()
    }
}

/// What kind of server it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// The sandbox this process started.
    Embedded,
    /// A sandbox at a URL (it answers the control API).
    SandboxAt,
    /// Anything else (Vlens staging).
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

    fn register(&self, secrets: &Secrets) {
        secrets.add(self.api_key.expose_secret(), "api-key");
        if let Some(password) = &self.admin_password {
            secrets.add(password.expose_secret(), "password");
        }
    }
}

/// A KYC-verified user given by env vars (staging). `Debug` redacts the password.
#[derive(Clone)]
pub struct RemoteUser {
    /// The phone number.
    pub phone: String,
    /// The password.
    pub password: SecretString,
    /// A device the user already used.
    pub imei: String,
    /// The KYC transaction, if given.
    pub transaction_id: Option<String>,
}

impl fmt::Debug for RemoteUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteUser")
            .field("phone", &self.phone)
            .field("password", &"[REDACTED]")
            .field("imei", &self.imei)
            .finish_non_exhaustive()
    }
}

/// Product ids by role.
#[derive(Debug, Clone, Copy, Default)]
pub struct Products {
    /// Approved on creation.
    pub auto_approved: Option<i32>,
    /// Stays Pending Approval.
    pub needs_approval: Option<i32>,
}

/// The server and its credentials.
pub struct Target {
    /// Where requests go, without a trailing slash.
    pub base_url: String,
    /// What it is.
    pub kind: TargetKind,
    /// The directory name of its snapshots (`sandbox`, or `host-port`).
    pub snapshot_name: String,
    /// The tenant cases run in unless they ask for an isolated one.
    pub main: TenantCredentials,
    /// A second tenant, when there is one.
    pub other: Option<TenantCredentials>,
    /// The products by role.
    pub products: Products,
    /// The env-given verified user (remote targets).
    pub remote_user: Option<RemoteUser>,
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
            .field("main", &self.main)
            .field("other", &self.other)
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
}

impl Target {
    /// Whether `/__sandbox/...` works (fixtures, OTP outbox, clock, status changes).
    pub fn has_control_api(&self) -> bool {
        matches!(self.kind, TargetKind::Embedded | TargetKind::SandboxAt)
    }

    /// Starts the embedded sandbox (on the current tokio runtime).
    pub async fn embedded() -> Result<Target, TargetError> {
        let sandbox = vlens_sandbox::start(vlens_sandbox::SandboxConfig::default()).await?;
        let base_url = sandbox.base_url().to_owned();
        let mut target = sandbox_target(base_url, TargetKind::Embedded, &Settings::default())?;
        target.snapshot_name = "sandbox".to_owned();
        target._sandbox = Some(sandbox);
        Ok(target)
    }

    /// A target at a base URL: a sandbox if it answers the control API's health check with
    /// the ApiKey in use, otherwise a remote Vlens configured by env vars.
    pub async fn at(base_url: &str, settings: &Settings) -> Result<Target, TargetError> {
        let base_url = base_url.trim_end_matches('/').to_owned();
        let Some(host) = base_url
            .strip_prefix("http://")
            .or_else(|| base_url.strip_prefix("https://"))
        else {
            return Err(TargetError::BadUrl(base_url));
        };
        let host = host.split('/').next().unwrap_or(host);
        let snapshot_name = snapshot_name_for(host, base_url.starts_with("https://"));
        let mut probe = sandbox_target(base_url.clone(), TargetKind::SandboxAt, settings)?;
        probe.snapshot_name = snapshot_name.clone();
        if answers_health(&probe).await {
            return Ok(probe);
        }
        let mut remote = remote_target(base_url, settings)?;
        remote.snapshot_name = snapshot_name;
        Ok(remote)
    }
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

fn http_client() -> Result<reqwest::Client, TargetError> {
    vlens_client::tls::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|error| TargetError::Client(error.to_string()))
}

fn env_product(settings: &Settings, name: &'static str) -> Result<Option<i32>, TargetError> {
    settings
        .get(name)
        .map(|value| {
            value
                .trim()
                .parse::<i32>()
                .map_err(|_| TargetError::BadEnv {
                    name,
                    message: "must be a request type id (an integer)".to_owned(),
                })
        })
        .transpose()
}

/// A sandbox's credentials: its documented defaults, each replaceable by an env var.
fn sandbox_target(
    base_url: String,
    kind: TargetKind,
    settings: &Settings,
) -> Result<Target, TargetError> {
    // The embedded sandbox always has its defaults; env vars describe a sandbox at a URL.
    let from_env = |name: &str| {
        (kind == TargetKind::SandboxAt)
            .then(|| settings.get(name))
            .flatten()
    };
    let main = TenantCredentials {
        name: from_env(env::TENANCY).unwrap_or_else(|| defaults::DEFAULT_TENANCY_NAME.to_owned()),
        api_key: from_env(env::API_KEY)
            .unwrap_or_else(|| defaults::DEFAULT_API_KEY.to_owned())
            .into(),
        admin_user: Some(
            from_env(env::ADMIN_USER).unwrap_or_else(|| defaults::ADMIN_USER_NAME.to_owned()),
        ),
        admin_password: Some(
            from_env(env::ADMIN_PASSWORD)
                .unwrap_or_else(|| defaults::ADMIN_PASSWORD.to_owned())
                .into(),
        ),
    };
    let other = TenantCredentials {
        name: from_env(env::OTHER_TENANCY)
            .unwrap_or_else(|| defaults::OTHER_TENANCY_NAME.to_owned()),
        api_key: from_env(env::OTHER_API_KEY)
            .unwrap_or_else(|| defaults::OTHER_API_KEY.to_owned())
            .into(),
        admin_user: Some(defaults::ADMIN_USER_NAME.to_owned()),
        admin_password: Some(defaults::ADMIN_PASSWORD.to_owned().into()),
    };
    let secrets = Secrets::default();
    main.register(&secrets);
    other.register(&secrets);
    let products = Products {
        auto_approved: Some(defaults::PERSONAL_LOAN_TYPE_ID),
        needs_approval: Some(defaults::COMMERCIAL_LEASE_TYPE_ID),
    };
    Ok(Target {
        base_url,
        kind,
        snapshot_name: String::new(),
        main,
        other: Some(other),
        products,
        remote_user: None,
        secrets,
        http: http_client()?,
        _sandbox: None,
    })
}

/// A remote Vlens: everything from env vars.
fn remote_target(base_url: String, settings: &Settings) -> Result<Target, TargetError> {
    let main = TenantCredentials {
        name: settings.get(env::TENANCY).unwrap_or_default(),
        api_key: settings.get(env::API_KEY).unwrap_or_default().into(),
        admin_user: settings.get(env::ADMIN_USER),
        admin_password: settings.get(env::ADMIN_PASSWORD).map(SecretString::from),
    };
    let other = settings
        .get(env::OTHER_API_KEY)
        .map(|key| TenantCredentials {
            name: settings.get(env::OTHER_TENANCY).unwrap_or_default(),
            api_key: key.into(),
            admin_user: None,
            admin_password: None,
        });
    let remote_user = match (
        settings.get(env::USER_PHONE),
        settings.get(env::USER_PASSWORD),
        settings.get(env::USER_IMEI),
    ) {
        (Some(phone), Some(password), Some(imei)) => Some(RemoteUser {
            phone,
            password: password.into(),
            imei,
            transaction_id: settings.get(env::USER_TRANSACTION_ID),
        }),
        _ => None,
    };
    let secrets = Secrets::default();
    main.register(&secrets);
    if let Some(other) = &other {
        other.register(&secrets);
    }
    if let Some(user) = &remote_user {
        secrets.add(user.password.expose_secret(), "password");
    }
    Ok(Target {
        base_url,
        kind: TargetKind::Remote,
        snapshot_name: String::new(),
        main,
        other,
        products: Products {
            auto_approved: env_product(settings, env::PRODUCT_AUTO_APPROVED)?,
            needs_approval: env_product(settings, env::PRODUCT_NEEDS_APPROVAL)?,
        },
        remote_user,
        secrets,
        http: http_client()?,
        _sandbox: None,
    })
}

async fn answers_health(target: &Target) -> bool {
    let reply = target
        .http
        .get(format!("{}/__sandbox/health", target.base_url))
        .header("ApiKey", target.main.api_key.expose_secret())
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    let Ok(reply) = reply else {
        return false;
    };
    if !reply.status().is_success() {
        return false;
    }
    let body: Value = reply.json().await.unwrap_or(Value::Null);
    body.pointer("/data/service").and_then(Value::as_str) == Some("vlens-sandbox")
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
        let user = RemoteUser {
            phone: "+201000000000".to_owned(),
            password: "pw-canary".to_owned().into(),
            imei: "i".to_owned(),
            transaction_id: None,
        };
        assert!(!format!("{user:?}").contains("canary"));
    }
}
