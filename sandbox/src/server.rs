//! Starting and stopping a sandbox.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::SandboxConfig;
use crate::http::extract::LinkBase;
use crate::http::serve::serve;
use crate::http::{AppState, router};
use crate::store::Store;

/// How often expired OTPs, links, refresh tokens and OAuth verifications are purged.
const PURGE_INTERVAL: Duration = Duration::from_secs(30);

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address could not be bound (in use, or not an address of this machine).
    #[error("cannot bind {address}: {source}")]
    Bind {
        address: String,
        #[source]
        source: std::io::Error,
    },
    /// The ApiKey of the Default tenant is empty.
    #[error("the Default tenant's ApiKey must not be empty")]
    EmptyApiKey,
    /// The ApiKey of the Default tenant is the Other tenant's.
    #[error("the Default tenant's ApiKey must differ from the Other tenant's")]
    ApiKeyTaken,
    /// Settings out of range, each named (see [`SandboxConfig::problems`]).
    #[error("invalid sandbox settings: {}", .0.join("; "))]
    InvalidSettings(Vec<String>),
}

/// A running sandbox. Dropping it stops the server (without waiting); [`shutdown`] stops it
/// gracefully.
///
/// [`shutdown`]: RunningSandbox::shutdown
#[derive(Debug)]
pub struct RunningSandbox {
    local_addr: SocketAddr,
    base_url: String,
    public_base_url: Option<String>,
    store: Arc<Store>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    purger: JoinHandle<()>,
}

impl RunningSandbox {
    /// `http://<host>:<port>`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Where the links in replies point (`SandboxConfig::public_base_url`), without a trailing
    /// slash; None when they follow each request's `Host` header.
    pub fn public_base_url(&self) -> Option<&str> {
        self.public_base_url.as_deref()
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The `Default` tenant's ApiKey (`SandboxConfig::api_key`), for the test kit.
    pub(crate) fn default_api_key(&self) -> Option<String> {
        self.store
            .tenants()
            .iter()
            .find(|tenant| tenant.id == crate::defaults::DEFAULT_TENANT_ID)
            .map(|tenant| tenant.api_key().to_owned())
    }

    /// How many OTPs the sandbox holds across tenants (live, used, or expired within the
    /// grace period): tests use it to check that OTP traffic does not grow memory.
    pub fn otp_count(&self) -> usize {
        self.store
            .tenants()
            .iter()
            .map(|tenant| tenant.with_state(|state, _| state.otp_count()))
            .sum()
    }

    /// Stops accepting connections, lets requests in flight finish, and returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take()
            && let Err(error) = server.await
        {
            tracing::error!(%error, "the sandbox server task failed");
        }
        self.purger.abort();
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.purger.abort();
    }
}

/// Binds `config.host:config.port` (port 0: an ephemeral port) and serves in the background
/// on the current tokio runtime.
pub async fn start(config: SandboxConfig) -> Result<RunningSandbox, StartError> {
    if config.api_key.trim().is_empty() {
        return Err(StartError::EmptyApiKey);
    }
    if config.api_key == crate::defaults::OTHER_API_KEY {
        return Err(StartError::ApiKeyTaken);
    }
    let problems = config.problems();
    if !problems.is_empty() {
        return Err(StartError::InvalidSettings(problems));
    }
    let address = if config.host.contains(':') && !config.host.starts_with('[') {
        format!("[{}]:{}", config.host, config.port)
    } else {
        format!("{}:{}", config.host, config.port)
    };
    let listener = TcpListener::bind(&address)
        .await
        .map_err(|source| StartError::Bind {
            address: address.clone(),
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| StartError::Bind {
        address: address.clone(),
        source,
    })?;
    let store = Arc::new(Store::new(
        &config.api_key,
        config.seed,
        Arc::new(config.settings()),
    ));
    let base_url = format!("http://{local_addr}");
    let public_base_url = config.public_base_url.resolve(&base_url);
    let state = AppState {
        store: Arc::clone(&store),
        observer: config.observer.clone(),
        links: match &public_base_url {
            Some(base) => LinkBase::Fixed(base.clone()),
            None => LinkBase::FromHost {
                fallback: base_url.clone(),
            },
        },
        body_read_timeout: config.connections.body_read_timeout,
    };
    let app = router(state);
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, app, config.connections, stopped));
    let purging = Arc::clone(&store);
    let purger = tokio::spawn(async move {
        let mut interval = tokio::time::interval(PURGE_INTERVAL);
        loop {
            interval.tick().await;
            // Never panics: a tenant whose purge fails is logged and skipped (see the store).
            purging.purge_expired();
        }
    });
    tracing::info!(%local_addr, "vlens-sandbox listening");
    Ok(RunningSandbox {
        local_addr,
        base_url,
        public_base_url,
        store,
        stop: Some(stop),
        server: Some(server),
        purger,
    })
}
