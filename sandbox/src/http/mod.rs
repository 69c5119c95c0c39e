//! The HTTP layer: the router, extractors (the validation layer), replies and middleware.

mod body;
pub mod extract;
mod faults;
mod middleware;
pub mod reply;
mod routes;
pub mod serve;

use std::sync::Arc;

use crate::config::ResponseObserver;
use crate::store::Store;

pub use routes::router;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub observer: Option<ResponseObserver>,
    /// Where the links in replies point.
    pub links: extract::LinkBase,
    /// A request body must arrive within this long of its head (408 beyond).
    pub body_read_timeout: std::time::Duration,
}
