//! Building a [`Client`] for an [`Environment`].

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::auth::{ClientState, InvalidHeader, plain_header, sensitive_header};
use crate::environment::Environment;
use crate::generated::Client;
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::transport::{DEFAULT_MAX_REPLY_BYTES, Transport};

/// Why a client could not be built. Secrets are never part of the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// reqwest refused the configuration (the reqwest error is the `source()`).
    #[error("cannot build the HTTP client: {0}")]
    Http(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// No rustls crypto provider: the crate was built without its `ring` and `aws-lc-rs`
    /// features, and the application installed none (see [`crate::tls`]).
    #[error(
        "no rustls crypto provider is installed: enable vlens-client's `ring` or `aws-lc-rs` \
         feature, or install one with `CryptoProvider::install_default` before building a client"
    )]
    NoCryptoProvider,
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
    max_reply_bytes: u64,
    http_client: Option<reqwest::Client>,
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
            max_reply_bytes: DEFAULT_MAX_REPLY_BYTES,
            http_client: None,
        }
    }

    /// A clone of this client whose calls time out after `timeout` (the whole call, the reply's
    /// body included), instead of the builder's [`ClientBuilder::timeout`]: for a liveness upload
    /// on a slow link, or a status poll that must answer quickly. It shares the bearer token.
    ///
    /// progenitor's positional methods take no per-call options, so the timeout travels with a
    /// cheap clone (reqwest's client and the auth state are reference-counted).
    ///
    /// ```no_run
    /// # async fn demo(client: &vlens_client::Client) {
    /// use std::time::Duration;
    /// let quick = client.with_timeout(Duration::from_secs(2));
    /// let _ = quick.check_eligibility().await;
    /// # }
    /// ```
    pub fn with_timeout(&self, timeout: Duration) -> Client {
        let mut inner = self.inner.clone();
        inner.transport.call_timeout = Some(timeout);
        Client::new_with_client(&self.baseurl, self.client.clone(), inner)
    }
}

impl ClientBuilder {
    /// Sends `TenancyName` on every request (admin login requires it).
    pub fn tenancy_name(mut self, tenancy_name: impl Into<String>) -> Self {
        self.tenancy_name = Some(tenancy_name.into());
        self
    }

    /// Starts with this bearer token, a `&str`, `String` or the [`Secret`] login returns (it can
    /// be replaced later with [`Client::set_bearer_token`]).
    pub fn bearer_token(mut self, token: impl Into<Secret>) -> Self {
        self.bearer_token = Some(secrecy::SecretString::from(token.into().into_exposed()));
        self
    }

    /// The largest reply body accepted, in bytes (default 16 MiB); a larger reply fails with
    /// [`crate::VlensError::ReplyTooLarge`] without being read past the cap. A reply that
    /// declares a larger `Content-Length` is refused before any of its body is read.
    pub fn max_reply_bytes(mut self, limit: u64) -> Self {
        self.max_reply_bytes = limit;
        self
    }

    /// Sends every call through this `reqwest::Client` (a proxy, custom root certificates, a
    /// connection pool shared with the rest of the application). The client still adds the auth
    /// headers, retries GETs, caps replies and refuses replies from another origin; the
    /// builder's [`timeout`](Self::timeout) and [`connect_timeout`](Self::connect_timeout) no
    /// longer apply (set them on the reqwest client, or per call with [`Client::with_timeout`]).
    ///
    /// **Redirects** follow *its* policy, which this crate cannot change: reqwest's default
    /// follows a redirect to another host with the `ApiKey` header. Start from
    /// [`crate::http::client_builder`], which refuses that (see [`crate::http`]), or set
    /// `redirect(reqwest::redirect::Policy::none())`.
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use vlens_client::{Client, Environment};
    /// let http = vlens_client::http::client_builder()
    ///     .proxy(reqwest::Proxy::https("http://proxy.internal:3128")?)
    ///     .build()?;
    /// let client = Client::builder(Environment::Staging, "your-api-key")
    ///     .http_client(http)
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
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
            transport: Transport {
                retry: self.retry,
                max_reply_bytes: self.max_reply_bytes,
                call_timeout: None,
            },
        };

        let http = match self.http_client {
            Some(http) => http,
            None => {
                crate::tls::install_crypto_provider();
                if !crate::tls::provider_available() {
                    return Err(BuildError::NoCryptoProvider);
                }
                // The hosted environments are https: nothing, not even a redirect within the
                // origin, may take a call to plain http.
                let https_only = matches!(
                    self.environment,
                    Environment::Production | Environment::Staging
                );
                crate::http::client_builder()
                    .https_only(https_only)
                    .timeout(self.timeout)
                    .connect_timeout(self.connect_timeout)
                    .build()
                    .map_err(|e| BuildError::Http(Box::new(e.without_url())))?
            }
        };
        Ok(Client::new_with_client(&base_url, http, state))
    }
}

/// A URL for an error message, with any `user:password@` replaced and the query cut: a base
/// URL may carry credentials, and messages must not.
fn without_userinfo(url: &str) -> String {
    // A query or fragment may carry a secret too (a SecurityHash, a token): cut it.
    let url = url.split(['?', '#']).next().unwrap_or_default();
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
        assert_eq!(
            without_userinfo("ftp://host/x?SecurityHash=abc#frag"),
            "ftp://host/x"
        );
    }
}
