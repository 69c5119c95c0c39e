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
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_string(),
            port: 0,
            api_key: defaults::DEFAULT_API_KEY.to_string(),
            seed: None,
            observer: None,
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
            .finish()
    }
}
