//! The rustls crypto provider, chosen with this crate's cargo features.
//!
//! reqwest is built with `rustls-no-provider`: a `reqwest::Client` is built with the
//! process-wide rustls provider, and reqwest **panics** when none is installed. That panic is not
//! only ours: any `reqwest::Client` the application builds in the same process hits it, in
//! whatever order it builds its own and ours. So the provider is settled before any call can be
//! made:
//!
//! - feature `ring` (default): ring is installed as the process-wide default when the program
//!   starts (a `ctor`), unless something installed one earlier. Installing it lazily in
//!   [`crate::ClientBuilder::build`] left an application that builds its own client first with
//!   a panic; rustls itself installs the provider of its crate features on first use in the same
//!   way, only later. ring builds in seconds where aws-lc-rs's C build costs ~80 s of every cold
//!   build on two cores.
//! - feature `aws-lc-rs`: reqwest's own `rustls` feature, which falls back to aws-lc-rs when no
//!   provider is installed; nothing is installed at start.
//! - neither (`default-features = false`): the application installs a provider before building
//!   any client; [`crate::ClientBuilder::build`] returns [`crate::BuildError::NoCryptoProvider`]
//!   instead of letting reqwest panic.
//!
//! An application that wants its own provider process-wide (a FIPS build, aws-lc-rs) should turn
//! off the default features: with `ring` on, its own `install_default()` finds ring already
//! installed and returns an error.

#[cfg(feature = "ring")]
ctor::declarative::ctor! {
    /// Installs ring as the process-wide rustls provider before `main`, so that no order of
    /// building reqwest clients panics (see the module docs).
    ///
    /// `unsafe` acknowledges that this runs before main. It only allocates (an Arc) and sets
    /// rustls's OnceLock: no I/O, no thread-locals, no other std service that may not be ready
    /// before main.
    #[ctor(unsafe)]
    fn install_at_start() {
        install_crypto_provider();
    }
}

/// Installs the provider of this crate's features as the process default, unless one is
/// installed already (which is then respected). Safe to call any number of times, from any
/// thread. With the `ring` feature this has already happened at start; with none it does
/// nothing.
pub fn install_crypto_provider() {
    #[cfg(feature = "ring")]
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another thread installing a provider is fine: one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Whether building a `reqwest::Client` can find a provider: one is installed process-wide, or
/// reqwest brings its own (feature `aws-lc-rs`).
pub(crate) fn provider_available() -> bool {
    cfg!(feature = "aws-lc-rs") || rustls::crypto::CryptoProvider::get_default().is_some()
}
