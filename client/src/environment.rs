//! Where the API lives.

/// A Vlens deployment to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    /// `https://api.vlenseg.com`, the documented production host.
    Production,
    /// `https://api.vlens.co`, the staging host named by a public SDK sample (the docs name
    /// none; a non-production tenant on production is their suggested test environment).
    Staging,
    /// Any base URL, such as a local `vlens-sandbox` (`http://127.0.0.1:8080`).
    Custom(String),
}

impl Environment {
    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        match self {
            Environment::Production => "https://api.vlenseg.com",
            Environment::Staging => "https://api.vlens.co",
            Environment::Custom(url) => url.trim_end_matches('/'),
        }
    }
}

impl From<&str> for Environment {
    fn from(url: &str) -> Self {
        Environment::Custom(url.to_string())
    }
}

impl From<String> for Environment {
    fn from(url: String) -> Self {
        Environment::Custom(url)
    }
}
