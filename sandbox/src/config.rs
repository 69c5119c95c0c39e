//! How a sandbox is started.

use std::fmt;
use std::sync::Arc;

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
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            otp_seconds: defaults::OTP_LIFETIME_SECONDS,
            link_seconds: defaults::SIGNING_LINK_LIFETIME_SECONDS,
            access_token_seconds: defaults::ACCESS_TOKEN_LIFETIME_SECONDS,
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
}

impl SandboxConfig {
    /// Every setting out of range, each as `name must ...`; empty when the config is usable.
    pub fn problems(&self) -> Vec<String> {
        self.lifetimes.problems()
    }

    pub(crate) fn settings(&self) -> Settings {
        Settings {
            lifetimes: self.lifetimes,
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
            .finish()
    }
}
