//! Credentials inside generated types.

use std::fmt;

/// A credential carried by a request or reply (an access or refresh token, a password, an OTP
/// code, a URL carrying a SecurityHash): the spec marks it `x-vlens-secret`, and the xtask makes
/// every such field this type. It serialises as the plain string, so the wire format is
/// unchanged, but `Debug` never shows it; read it with [`Secret::expose_secret`].
///
/// Hand-written rather than `secrecy::SecretString` because generated types derive `PartialEq`
/// and `Serialize`, which `secrecy` deliberately does not implement.
#[derive(Clone, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The credential itself. Never log it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// The credential itself, consuming the wrapper.
    pub fn into_exposed(self) -> String {
        self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

impl From<&String> for Secret {
    fn from(value: &String) -> Self {
        Self(value.clone())
    }
}

impl From<&Secret> for Secret {
    fn from(value: &Secret) -> Self {
        value.clone()
    }
}
