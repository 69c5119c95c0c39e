//! Building a [`Client`] for an [`Environment`].

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::auth::{ClientState, InvalidHeader, plain_header, sensitive_header};
use crate::environment::Environment;
use crate::generated::Client;
use crate::retry::RetryPolicy;

/// Why a client could not be built. Secrets are never part of the message.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The base URL does not parse, or is not http(s).
    #[error("invalid base URL `{url}`: {reason}")]
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// A header value is unusable.
    #[error(transparent)]
    InvalidHeader(#[from] InvalidHeader),
    /// reqwest refused the configuration.
    #[error("cannot build the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
}

/// Configures a [`Client`]: see [`Client::builder`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    environment: Environment,
    api_key: secrecy::SecretString,
    tenancy_name: Option<String>,
    bearer_token: Option<secrecy::SecretString>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
}

impl Client {
    /// Starts building a client for `environment` with the tenant's `api_key`.
    pub fn builder(
        environment: impl Into<Environment>,
        api_key: impl Into<String>,
    ) -> ClientBuilder {
        ClientBuilder {
            environment: environment.into(),
            api_key: secrecy::SecretString::from(api_key.into()),
            tenancy_name: None,
            bearer_token: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
        }
    }
}

impl ClientBuilder {
    /// Sends `TenancyName` on every request (admin login requires it).
    pub fn tenancy_name(mut self, tenancy_name: impl Into<String>) -> Self {
        self.tenancy_name = Some(tenancy_name.into());
        self
    }

    /// Starts with this bearer token (it can be replaced later with
    /// [`Client::set_bearer_token`]).
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer_token = Some(secrecy::SecretString::from(token.into()));
        self
    }

    /// The whole-request timeout (default 30 s; liveness uploads carry ~1.5 MB).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The connection timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How GETs are retried (default [`RetryPolicy::default`]; POSTs never are).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, BuildError> {
        use secrecy::ExposeSecret;

        let base_url = self.environment.base_url().to_string();
        let parsed = reqwest::Url::parse(&base_url).map_err(|e| BuildError::InvalidBaseUrl {
            url: without_userinfo(&base_url),
            reason: e.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(BuildError::InvalidBaseUrl {
                url: without_userinfo(&base_url),
                reason: format!("scheme `{}` is not http or https", parsed.scheme()),
            });
        }

        let state = ClientState {
            api_key: sensitive_header("ApiKey", self.api_key.expose_secret())?,
            tenancy_name: self
                .tenancy_name
                .as_deref()
                .map(|name| plain_header("tenancy name", name))
                .transpose()?,
            bearer: Arc::new(RwLock::new(
                self.bearer_token
                    .as_ref()
                    .map(|token| {
                        sensitive_header(
                            "bearer token",
                            &format!("Bearer {}", token.expose_secret()),
                        )
                    })
                    .transpose()?,
            )),
            retry: self.retry,
        };

        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(concat!("vlens-rs/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(BuildError::Http)?;
        Ok(Client::new_with_client(&base_url, http, state))
    }
}

/// A URL for an error message, with any `user:password@` replaced: a base URL may carry
/// credentials, and messages must not.
fn without_userinfo(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::without_userinfo;

    #[test]
    fn credentials_in_a_base_url_never_reach_a_message() {
        assert_eq!(without_userinfo("ftp://u:pw@host/x"), "ftp://***@host/x");
        assert_eq!(
            without_userinfo("https://api.vlens.co"),
            "https://api.vlens.co"
        );
        assert_eq!(without_userinfo("not a url"), "not a url");
    }
}
