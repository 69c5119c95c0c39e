//! The auth headers, added once for every call, and the replaceable bearer token.
//!
//! The spec declares `ApiKey` (and `TenancyName` on admin login) as header parameters; the xtask
//! removes them from the generated signatures, and this module's `ClientHooks` impl adds them to
//! every request instead.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

use crate::generated::{Client, Error};
use crate::secret::Secret;
use crate::spec::{self, TokenKind};
use crate::transport::{self, Transport};

const API_KEY: HeaderName = HeaderName::from_static("apikey");
const TENANCY_NAME: HeaderName = HeaderName::from_static("tenancyname");
/// progenitor adds `api-version: <info.version>` to every request; Vlens does not use it.
const API_VERSION: HeaderName = HeaderName::from_static("api-version");

/// The hand layer's per-client state, carried inside the generated [`Client`]. Built only by
/// [`crate::ClientBuilder`] (it is not exported, so the generated constructor that takes it cannot
/// be called from outside); clones of a client share one bearer token.
#[derive(Clone)]
pub struct ClientState {
    pub(crate) api_key: HeaderValue,
    pub(crate) tenancy_name: Option<HeaderValue>,
    pub(crate) bearer: Arc<RwLock<Option<HeaderValue>>>,
    pub(crate) transport: Transport,
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let has_token = self.bearer_header().is_some();
        f.debug_struct("ClientState")
            .field("api_key", &"[REDACTED]")
            .field("tenancy_name", &self.tenancy_name)
            .field(
                "bearer_token",
                &if has_token { Some("[REDACTED]") } else { None },
            )
            .field("retry", &self.transport.retry)
            .field("max_reply_bytes", &self.transport.max_reply_bytes)
            .field("call_timeout", &self.transport.call_timeout)
            .finish()
    }
}

/// A value that cannot be sent as an HTTP header (it is not shown: it may be a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the {what} is not a valid HTTP header value (empty, or has control or non-ASCII characters)"
)]
pub struct InvalidHeader {
    /// Which value: "ApiKey", "tenancy name" or "bearer token".
    pub what: &'static str,
}

/// A header value marked sensitive, so that `Debug` of the request never shows it.
pub(crate) fn sensitive_header(
    what: &'static str,
    value: &str,
) -> Result<HeaderValue, InvalidHeader> {
    let mut header = plain_header(what, value)?;
    header.set_sensitive(true);
    Ok(header)
}

/// A header value that is not a secret (the tenancy name).
pub(crate) fn plain_header(what: &'static str, value: &str) -> Result<HeaderValue, InvalidHeader> {
    if value.trim().is_empty() {
        return Err(InvalidHeader { what });
    }
    HeaderValue::from_str(value).map_err(|_| InvalidHeader { what })
}

impl ClientState {
    fn bearer_header(&self) -> Option<HeaderValue> {
        self.bearer
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A bearer token as the caller holds it: the [`Secret`] that login or registration returns, a
/// `secrecy::SecretString`, or a plain `&str`/`String`. Sealed: the crate decides how each is
/// read.
pub trait BearerToken: sealed::Sealed {
    /// The token itself, only to build the header.
    #[doc(hidden)]
    fn expose_token(&self) -> &str;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for str {}
    impl Sealed for String {}
    impl Sealed for super::Secret {}
    impl Sealed for secrecy::SecretString {}
}

impl BearerToken for str {
    fn expose_token(&self) -> &str {
        self
    }
}

impl BearerToken for String {
    fn expose_token(&self) -> &str {
        self
    }
}

impl BearerToken for Secret {
    fn expose_token(&self) -> &str {
        self.expose_secret()
    }
}

impl BearerToken for secrecy::SecretString {
    fn expose_token(&self) -> &str {
        secrecy::ExposeSecret::expose_secret(self)
    }
}

impl Client {
    /// Sets (or replaces) the bearer token sent on operations that take one, for this client
    /// and its clones. Call it after login, registration or a refresh, with the token as it
    /// came (`&login.access_token`, a [`Secret`]) or as a `&str`.
    pub fn set_bearer_token<T: BearerToken + ?Sized>(
        &self,
        token: &T,
    ) -> Result<(), InvalidHeader> {
        let header = sensitive_header("bearer token", &format!("Bearer {}", token.expose_token()))?;
        *self
            .inner
            .bearer
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(header);
        Ok(())
    }

    /// Stops sending a bearer token.
    pub fn clear_bearer_token(&self) {
        *self
            .inner
            .bearer
            .write()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Whether a bearer token is set.
    pub fn has_bearer_token(&self) -> bool {
        self.inner.bearer_header().is_some()
    }
}

impl ClientHooks<ClientState> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        let state = &self.inner;
        if let Some(timeout) = state.transport.call_timeout {
            *request.timeout_mut() = Some(timeout);
        }
        let headers = request.headers_mut();
        headers.remove(API_VERSION);
        headers.insert(API_KEY, state.api_key.clone());
        if let Some(tenancy) = &state.tenancy_name {
            headers.insert(TENANCY_NAME, tenancy.clone());
        }
        // The token goes only where the spec asks for one: ApiKey-only operations (login,
        // registration) must not carry a stale token of another session.
        // (progenitor's `operation_id` here is the generated method's name.)
        let takes_token = spec::operation_by_client_method(info.operation_id)
            .is_some_and(|op| op.token != TokenKind::None);
        if takes_token && let Some(token) = state.bearer_header() {
            headers.insert(AUTHORIZATION, token);
        }
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        transport::send(
            &self.client,
            &self.inner.transport,
            request,
            info.operation_id,
        )
        .await
    }
}
