//! The HTTP layer: the router, extractors (the validation layer), replies and middleware.

pub mod extract;
mod faults;
mod middleware;
pub mod reply;
mod routes;
pub mod serve;

use std::net::SocketAddr;
use std::sync::Arc;

use crate::config::ResponseObserver;
use crate::store::Store;

pub use routes::router;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub observer: Option<ResponseObserver>,
    /// The bound address: the base URL when a request has no usable `Host`.
    pub local_addr: SocketAddr,
    /// A request body must arrive within this long of its head (408 beyond).
    pub body_read_timeout: std::time::Duration,
}
