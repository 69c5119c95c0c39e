//! How a sandbox is started.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::defaults;

/// A reply as the sandbox sent it, for tests that check every reply against the spec.
#[derive(Debug, Clone)]
pub struct ObservedResponse {
    /// The request method (`GET`).
    pub method: String,
    /// The request path, without the query string.
    pub path: String,
    /// The HTTP status.
    pub status: u16,
    /// The reply's `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The raw reply body.
    pub body: bytes::Bytes,
}

/// Receives every reply; see [`SandboxConfig::observer`].
pub type ResponseObserver = Arc<dyn Fn(&ObservedResponse) + Send + Sync>;

/// Where and how a sandbox runs.
#[derive(Clone)]
pub struct SandboxConfig {
    /// The address to bind (default `127.0.0.1`).
    pub host: String,
    /// The port (0 = an ephemeral port; default 0 for the library, 8080 for the binary).
    pub port: u16,
    /// The ApiKey of the `Default` tenant (default [`defaults::DEFAULT_API_KEY`]).
    pub api_key: String,
    /// Makes every generated id, OTP code and token secret reproducible (default: random).
    pub seed: Option<u64>,
    /// Called with every reply (method, path, status, body). Replies are buffered only when
    /// an observer is set.
    pub observer: Option<ResponseObserver>,
    /// How long OTPs, links and access tokens live.
    pub lifetimes: Lifetimes,
    /// Throttling of OTPs and passwords ([`RateLimits::off`] for load tests).
    pub rate_limits: RateLimits,
    /// How much the sandbox keeps, so that no traffic grows its memory without bound.
    pub caps: Caps,
    /// How many connections, and how long each may take.
    pub connections: Connections,
    /// Where the links in replies point (signing page, contract PDF, payment page).
    pub public_base_url: PublicBaseUrl,
}

/// Where the links the sandbox hands out point.
///
/// As text (the command line): a URL, or `from-host-header`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PublicBaseUrl {
    /// `http://<the bound address>` (the default).
    #[default]
    Bound,
    /// This base: `http` or `https`, a host, an optional port and path prefix, no query, such as
    /// `https://proxy.example:8443/vlens` for a sandbox behind a proxy. A trailing `/` is dropped.
    Fixed(String),
    /// `http://<Host header>` of each request. Only when asked: any client then chooses the host
    /// its links (with a real SecurityHash) point at.
    FromHostHeader,
}

impl PublicBaseUrl {
    /// The base for a sandbox bound at `bound` (`http://127.0.0.1:8080`), without a trailing `/`;
    /// None for [`PublicBaseUrl::FromHostHeader`].
    pub(crate) fn resolve(&self, bound: &str) -> Option<String> {
        match self {
            PublicBaseUrl::Bound => Some(bound.to_string()),
            PublicBaseUrl::Fixed(url) => Some(url.trim_end_matches('/').to_string()),
            PublicBaseUrl::FromHostHeader => None,
        }
    }

    fn problems(&self) -> Vec<String> {
        match self {
            PublicBaseUrl::Fixed(url) if !is_base_url(url) => vec![
                "public_base_url must be an http or https URL with a host and no query, \
                 fragment or user info, such as https://proxy.example:8443/vlens"
                    .to_string(),
            ],
            _ => Vec::new(),
        }
    }
}

/// An `http`/`https` URL with a host, no user info, query or fragment.
fn is_base_url(text: &str) -> bool {
    let Ok(uri) = text.parse::<http::Uri>() else {
        return false;
    };
    matches!(uri.scheme_str(), Some("http" | "https"))
        && uri.authority().is_some_and(|authority| {
            !authority.host().is_empty() && !authority.as_str().contains('@')
        })
        && uri.query().is_none()
        && !text.contains('#')
}

/// Why a public base URL's text did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the public base URL is an http or https URL with a host and no query (such as \
     https://proxy.example:8443/vlens), or `from-host-header`"
)]
pub struct PublicBaseUrlError;

impl FromStr for PublicBaseUrl {
    type Err = PublicBaseUrlError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text == "from-host-header" {
            return Ok(PublicBaseUrl::FromHostHeader);
        }
        if is_base_url(text) {
            Ok(PublicBaseUrl::Fixed(text.to_string()))
        } else {
            Err(PublicBaseUrlError)
        }
    }
}

/// Connections: a cap and timeouts, so that slow or idle clients cannot hold the server.
/// Each is above zero; [`start`](crate::start) refuses 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connections {
    /// Connections served at once; one beyond is answered 503 (with `Retry-After: 1`) and
    /// closed (default 1,024; keep it below the process's file-descriptor limit).
    pub max: usize,
    /// A request's head must arrive within this long of the wait for it starting: when the
    /// connection opens, and when the previous reply has gone. So it bounds a slow head
    /// (slowloris) and a keep-alive connection's wait for its next request (default 10 s).
    /// A connection that overruns it is closed without a reply (hyper gives none).
    pub header_read_timeout: std::time::Duration,
    /// A request's body must arrive within this long of its head (408 beyond; default 30 s).
    pub body_read_timeout: std::time::Duration,
    /// A connection on which no byte moves either way for this long is closed, whatever it is
    /// doing (default 60 s).
    pub idle_timeout: std::time::Duration,
}

impl Default for Connections {
    fn default() -> Self {
        Self {
            max: 1_024,
            header_read_timeout: std::time::Duration::from_secs(10),
            body_read_timeout: std::time::Duration::from_secs(30),
            idle_timeout: std::time::Duration::from_secs(60),
        }
    }
}

impl Connections {
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.max == 0 {
            problems.push("connections.max must be at least 1".to_string());
        }
        for (name, timeout) in [
            ("connections.header_read_timeout", self.header_read_timeout),
            ("connections.body_read_timeout", self.body_read_timeout),
            ("connections.idle_timeout", self.idle_timeout),
        ] {
            if timeout.is_zero() {
                problems.push(format!("{name} must be above zero"));
            }
        }
        problems
    }
}

/// Caps on what the sandbox keeps in memory. Past a cap on lasting records (users, requests,
/// transactions, image bytes, control-API tenants) the call that would add one answers HTTP 507
/// with a message naming the cap; records that expire anyway (OTPs, signing and payment links,
/// refresh tokens, OAuth verifications) make room instead: the one nearest its expiry goes.
/// Every cap is at least 1; [`start`](crate::start) refuses 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Tenants made through `POST /__sandbox/tenants`, in the whole sandbox (default 256).
    pub tenants: usize,
    /// Users per tenant (default 10,000).
    pub users: usize,
    /// Business requests per tenant (default 10,000).
    pub requests: usize,
    /// Identity-verification transactions per tenant (default 10,000).
    pub transactions: usize,
    /// Bytes of stored ID and liveness images per tenant, decoded (default 64 MiB).
    pub image_bytes: usize,
    /// OTPs, links, refresh tokens and OAuth verifications per tenant, each (default 50,000).
    pub short_lived: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Self {
            tenants: 256,
            users: 10_000,
            requests: 10_000,
            transactions: 10_000,
            image_bytes: 64 * 1024 * 1024,
            short_lived: 50_000,
        }
    }
}

impl Caps {
    fn problems(&self) -> Vec<String> {
        [
            ("caps.tenants", self.tenants),
            ("caps.users", self.users),
            ("caps.requests", self.requests),
            ("caps.transactions", self.transactions),
            ("caps.image_bytes", self.image_bytes),
            ("caps.short_lived", self.short_lived),
        ]
        .into_iter()
        .filter(|(_, cap)| *cap == 0)
        .map(|(name, _)| format!("{name} must be at least 1"))
        .collect()
    }
}

/// At most `max` events per `window_seconds`. A window starts at the first event counted and
/// ends `window_seconds` later (on the tenant's clock); the count starts again after it.
///
/// As text (the command line): `MAX/SECONDS`, such as `10/900`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Limit {
    /// At least 1.
    pub max: u32,
    /// From 1 to [`defaults::MAX_CONTROL_SECONDS`].
    pub window_seconds: i64,
}

impl Limit {
    /// `max` events per `window_seconds`.
    pub const fn new(max: u32, window_seconds: i64) -> Self {
        Self {
            max,
            window_seconds,
        }
    }

    /// What is out of range, each as `<name>.max ...` or `<name>.windowSeconds ...`.
    pub(crate) fn problems(&self, name: &str) -> Vec<String> {
        let mut problems = Vec::new();
        if self.max == 0 || i32::try_from(self.max).is_err() {
            problems.push(format!(
                "{name}.max must be from 1 to {} (turn a limit off instead of setting 0)",
                i32::MAX
            ));
        }
        if !(1..=defaults::MAX_CONTROL_SECONDS).contains(&self.window_seconds) {
            problems.push(format!(
                "{name}.windowSeconds must be from 1 to {}",
                defaults::MAX_CONTROL_SECONDS
            ));
        }
        problems
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.max, self.window_seconds)
    }
}

/// Why a limit's text did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a limit is MAX/SECONDS (such as 10/900) with MAX of at least 1, or `off`")]
pub struct LimitSyntaxError;

impl FromStr for Limit {
    type Err = LimitSyntaxError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (max, seconds) = text.trim().split_once('/').ok_or(LimitSyntaxError)?;
        let limit = Limit::new(
            max.trim().parse().map_err(|_| LimitSyntaxError)?,
            seconds.trim().parse().map_err(|_| LimitSyntaxError)?,
        );
        if limit.problems("limit").is_empty() {
            Ok(limit)
        } else {
            Err(LimitSyntaxError)
        }
    }
}

/// Throttling, as `openapi/vlens.yaml` decides it (each limit is an `x-vlens-decision` with its
/// error code). `None` turns a limit off. Every tenant starts with these; a tenant's own can be
/// set through `POST /__sandbox/rate-limits` (and `/__sandbox/reset` restores these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// OTPs sent per purpose to one phone number or email, or for one business request
    /// (`TooManyOtpRequests`). Default [`defaults::OTP_REQUEST_LIMIT`]: 10 per 15 minutes.
    pub otp_requests: Option<Limit>,
    /// Wrong codes per purpose and phone number, email or business request, across every OTP
    /// sent there (`TooManyWrongOtpCodes`). Default [`defaults::WRONG_OTP_CODE_LIMIT`]: 10 per
    /// 15 minutes.
    pub wrong_otp_codes: Option<Limit>,
    /// Wrong passwords per account (`TooManyFailedLogins`). Default
    /// [`defaults::FAILED_PASSWORD_LIMIT`]: 10 per 15 minutes.
    pub failed_passwords: Option<Limit>,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            otp_requests: Some(defaults::OTP_REQUEST_LIMIT),
            wrong_otp_codes: Some(defaults::WRONG_OTP_CODE_LIMIT),
            failed_passwords: Some(defaults::FAILED_PASSWORD_LIMIT),
        }
    }
}

impl RateLimits {
    /// No throttling at all (load tests, benchmarks).
    pub const fn off() -> Self {
        Self {
            otp_requests: None,
            wrong_otp_codes: None,
            failed_passwords: None,
        }
    }

    pub(crate) fn problems(&self) -> Vec<String> {
        [
            ("rate_limits.otp_requests", self.otp_requests),
            ("rate_limits.wrong_otp_codes", self.wrong_otp_codes),
            ("rate_limits.failed_passwords", self.failed_passwords),
        ]
        .into_iter()
        .filter_map(|(name, limit)| limit.map(|limit| limit.problems(name)))
        .flatten()
        .collect()
    }
}

/// How long things live, in seconds of a tenant's clock. Each is at least 1 and at most
/// [`defaults::MAX_CONTROL_SECONDS`] (ten years); [`start`](crate::start) refuses others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// OTPs of every purpose (default [`defaults::OTP_LIFETIME_SECONDS`], 300).
    pub otp_seconds: i64,
    /// Signing and payment links, with their SecurityHash (default
    /// [`defaults::SIGNING_LINK_LIFETIME_SECONDS`], 900).
    pub link_seconds: i64,
    /// User and admin access tokens (default [`defaults::ACCESS_TOKEN_LIFETIME_SECONDS`],
    /// 86,400).
    pub access_token_seconds: i64,
    /// An ApiKey-only ("OCR flow") identity-verification transaction that is not completed is
    /// dropped, with its images, this long after it began (default
    /// [`defaults::INCOMPLETE_TRANSACTION_LIFETIME_SECONDS`], 3,600).
    pub incomplete_transaction_seconds: i64,
    /// A tenant made through the control API is dropped after this long without a request that
    /// names its ApiKey, on the wall clock (default [`defaults::IDLE_TENANT_LIFETIME_SECONDS`],
    /// 3,600), so that the tenant cap does not fill up over the life of a shared sandbox.
    pub idle_tenant_seconds: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            otp_seconds: defaults::OTP_LIFETIME_SECONDS,
            link_seconds: defaults::SIGNING_LINK_LIFETIME_SECONDS,
            access_token_seconds: defaults::ACCESS_TOKEN_LIFETIME_SECONDS,
            incomplete_transaction_seconds: defaults::INCOMPLETE_TRANSACTION_LIFETIME_SECONDS,
            idle_tenant_seconds: defaults::IDLE_TENANT_LIFETIME_SECONDS,
        }
    }
}

impl Lifetimes {
    /// Every lifetime out of range, by name.
    fn problems(&self) -> Vec<String> {
        [
            ("lifetimes.otp_seconds", self.otp_seconds),
            ("lifetimes.link_seconds", self.link_seconds),
            ("lifetimes.access_token_seconds", self.access_token_seconds),
            (
                "lifetimes.incomplete_transaction_seconds",
                self.incomplete_transaction_seconds,
            ),
            ("lifetimes.idle_tenant_seconds", self.idle_tenant_seconds),
        ]
        .into_iter()
        .filter(|(_, seconds)| !(1..=defaults::MAX_CONTROL_SECONDS).contains(seconds))
        .map(|(name, _)| {
            format!(
                "{name} must be from 1 to {} seconds",
                defaults::MAX_CONTROL_SECONDS
            )
        })
        .collect()
    }
}

/// What every tenant of one sandbox shares: the configured policy.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub lifetimes: Lifetimes,
    /// Each tenant's limits until it sets its own.
    pub rate_limits: RateLimits,
    pub caps: Caps,
}

impl SandboxConfig {
    /// Every setting out of range, each as `name must ...`; empty when the config is usable.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.lifetimes.problems();
        problems.extend(self.rate_limits.problems());
        problems.extend(self.caps.problems());
        problems.extend(self.connections.problems());
        problems.extend(self.public_base_url.problems());
        problems
    }

    pub(crate) fn settings(&self) -> Settings {
        Settings {
            lifetimes: self.lifetimes,
            rate_limits: self.rate_limits,
            caps: self.caps,
        }
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_string(),
            port: 0,
            api_key: defaults::DEFAULT_API_KEY.to_string(),
            seed: None,
            observer: None,
            lifetimes: Lifetimes::default(),
            rate_limits: RateLimits::default(),
            caps: Caps::default(),
            connections: Connections::default(),
            public_base_url: PublicBaseUrl::default(),
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("api_key", &"[REDACTED]")
            .field("seed", &self.seed)
            .field("observer", &self.observer.is_some())
            .field("lifetimes", &self.lifetimes)
            .field("rate_limits", &self.rate_limits)
            .field("caps", &self.caps)
            .field("connections", &self.connections)
            .field("public_base_url", &self.public_base_url)
            .finish()
    }
}
