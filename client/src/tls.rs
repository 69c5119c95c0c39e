//! TLS set-up shared by every reqwest client in the workspace.
//!
//! reqwest is built with `rustls-no-provider` and rustls with the `ring` provider: ring builds in
//! seconds, where aws-lc-rs's C build adds about 80 s to every cold build on two cores. Without
//! a process-wide provider reqwest panics when a client is built, so every builder calls
//! [`install_crypto_provider`] first.

/// Installs rustls's ring provider as the process default, unless the application already
/// installed one (which is then respected). Safe to call any number of times, from any thread.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another thread installing a provider is fine: one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
