//! The HTTP client underneath: where redirects may go, and a builder for clients of one's own.
//!
//! # Redirects: refused across origins
//!
//! Vlens authenticates every call with the `ApiKey` header (and `TenancyName`, and the bearer
//! token). reqwest's default policy follows up to 10 redirects and, on a change of host, strips
//! only `Authorization` and cookies: `ApiKey` and `TenancyName` travel on, and a 307/308 sends
//! the body (a Login password, an OTP code) again to wherever the server pointed.
//!
//! Of the two safe options — refuse a redirect that leaves the origin, or follow it without the
//! credentials and without the body — this client **refuses**:
//!
//! - a Vlens call without its ApiKey can only be answered with 401, so following without
//!   credentials never succeeds; it would only tell the other host the path and the query,
//!   which for the hosted pages carries a `SecurityHash`;
//! - the documented API never redirects: a cross-origin redirect is a misconfigured proxy or an
//!   attack, and an error that names both origins is what its operator needs.
//!
//! Redirects within the origin (same scheme, host and port) are followed, at most
//! [`MAX_REDIRECTS`] of them: they reach the server that already holds the credentials and the
//! body. `https` → `http` is a change of origin, and is refused with its own reason. For
//! [`crate::Environment::Production`] and [`crate::Environment::Staging`] the client is also
//! `https_only`.
//!
//! A `reqwest::Client` handed in with [`crate::ClientBuilder::http_client`] follows its own
//! policy, which this crate cannot change: build it from [`client_builder`], which sets the
//! policy above, or with `redirect(Policy::none())`. A reply that nevertheless arrives from
//! another origin is refused before it is read.

use std::fmt;

use reqwest::Url;
use reqwest::redirect::{Attempt, Policy};

/// How many redirects within the origin one call follows.
pub const MAX_REDIRECTS: usize = 5;

/// A redirect the client refused. It names origins only (scheme, host, port): a path or query
/// may hold a `SecurityHash`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused a redirect from {from} to {to}: {reason}")]
pub struct RedirectRefused {
    /// The origin of the request that was redirected.
    pub from: String,
    /// The origin it was redirected to.
    pub to: String,
    /// Why it was refused.
    pub reason: RefusalReason,
}

/// Why a redirect was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefusalReason {
    /// From `https` to plain `http`.
    Downgrade,
    /// To another scheme, host or port, which must not receive the credentials.
    OtherOrigin,
    /// More than [`MAX_REDIRECTS`] within the origin.
    TooMany,
}

impl fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefusalReason::Downgrade => "https to http would send the credentials in clear",
            RefusalReason::OtherOrigin => "another origin must not receive the credentials",
            RefusalReason::TooMany => "too many redirects",
        })
    }
}

/// `scheme://host[:port]` of a URL, without user info, path or query.
pub(crate) fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Whether a redirect from `from` (the first URL of the call) to `to`, after `hops` redirects,
/// may be followed.
pub(crate) fn judge(from: &Url, to: &Url, hops: usize) -> Result<(), RedirectRefused> {
    let refuse = |reason| RedirectRefused {
        from: origin(from),
        to: origin(to),
        reason,
    };
    if from.scheme() == "https" && to.scheme() == "http" {
        return Err(refuse(RefusalReason::Downgrade));
    }
    if from.origin() != to.origin() {
        return Err(refuse(RefusalReason::OtherOrigin));
    }
    if hops >= MAX_REDIRECTS {
        return Err(refuse(RefusalReason::TooMany));
    }
    Ok(())
}

/// The redirect policy described in the module docs.
pub fn redirect_policy() -> Policy {
    Policy::custom(|attempt: Attempt<'_>| {
        // `previous` holds the URLs visited so far, the call's own URL first.
        let decision = match attempt.previous().first() {
            Some(first) => judge(first, attempt.url(), attempt.previous().len() - 1),
            None => Ok(()),
        };
        match decision {
            Ok(()) => attempt.follow(),
            Err(refused) => attempt.error(refused),
        }
    })
}

/// A `reqwest::ClientBuilder` with this crate's safe settings: the redirect policy of the module
/// docs and the crate's user agent. Add a proxy, root certificates or timeouts, build it, and hand
/// it to [`crate::ClientBuilder::http_client`]; it can be built before or after any Vlens client
/// (the crypto provider is settled at start, see [`crate::tls`]).
pub fn client_builder() -> reqwest::ClientBuilder {
    crate::tls::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(redirect_policy())
        .user_agent(concat!("vlens-rs/", env!("CARGO_PKG_VERSION")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    #[test]
    fn only_same_origin_redirects_are_followed() {
        let base = url("https://api.vlenseg.com/api/x?SecurityHash=abc");
        assert_eq!(
            judge(&base, &url("https://api.vlenseg.com/other"), 0),
            Ok(())
        );
        let refused = judge(&base, &url("http://api.vlenseg.com/x"), 0).expect_err("downgrade");
        assert_eq!(refused.reason, RefusalReason::Downgrade);
        for other in [
            "https://evil.example/x",
            "https://api.vlenseg.com:8443/x",
            "https://sub.api.vlenseg.com/x",
        ] {
            let refused = judge(&base, &url(other), 0).expect_err(other);
            assert_eq!(refused.reason, RefusalReason::OtherOrigin, "{other}");
        }
        let refused =
            judge(&base, &url("https://api.vlenseg.com/y"), MAX_REDIRECTS).expect_err("too many");
        assert_eq!(refused.reason, RefusalReason::TooMany);
    }

    #[test]
    fn a_refusal_names_origins_only() {
        let refused = judge(
            &url("https://u:pw@api.vlenseg.com/sign?SecurityHash=secret1"),
            &url("http://evil.example:81/p?SecurityHash=secret2"),
            0,
        )
        .expect_err("refused");
        let text = format!("{refused} {refused:?}");
        for leak in ["secret1", "secret2", "pw", "/sign", "/p"] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
        assert!(text.contains("https://api.vlenseg.com"), "{text}");
        assert!(text.contains("http://evil.example:81"), "{text}");
    }
}
