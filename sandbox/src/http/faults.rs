//! The fault-injection layer: a request of an operation for which `/__sandbox/faults` armed a
//! fault in the caller's tenant is answered with that server error instead of being served.
//!
//! It is a route layer, so the matched route template is known: (method, template) names the
//! operation through `vlens_client::OPERATIONS`, whose templates (`/api/.../{typeId}`) use the
//! router's syntax. It runs before the handler's extractors, so a fault is answered before the
//! bearer token is authenticated and before the body is read: the tenant comes from the
//! `ApiKey` header alone.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::RETRY_AFTER;

use super::AppState;
use crate::error::ApiError;
use crate::faults::FaultReply;

/// Answers an armed fault, or passes the request on.
pub async fn inject(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(fault) = armed_fault(&state, &request) else {
        return next.run(request).await;
    };
    if fault.status == StatusCode::INTERNAL_SERVER_ERROR {
        // On purpose: a 500 goes through the router's real last-resort guard (`CatchPanicLayer`
        // with `panic_to_envelope`), which proves that an unexpected fault still answers the
        // InternalError envelope and is logged. `resume_unwind` unwinds without calling the
        // panic hook: this is no bug, so no "thread panicked" report on stderr; the guard logs.
        std::panic::resume_unwind(Box::new(
            "a 500 injected through /__sandbox/faults (not a bug)",
        ));
    }
    let mut response = ApiError::InjectedFault(fault.status).into_response();
    if let Some(seconds) = fault.retry_after_seconds {
        response.headers_mut().insert(RETRY_AFTER, seconds.into());
    }
    response
}

/// Consumes the fault armed for this request's operation in its ApiKey's tenant, if any.
fn armed_fault(state: &AppState, request: &Request) -> Option<FaultReply> {
    let key = request.headers().get("apikey")?.to_str().ok()?;
    let tenant = state.store.tenant_by_key(key)?;
    let template = request.extensions().get::<MatchedPath>()?.as_str();
    let method = request.method().as_str();
    let operation = vlens_client::OPERATIONS
        .iter()
        .find(|op| op.method == method && op.path == template)?;
    tenant.with_state(|records, _| records.faults.take(operation.id))
}
