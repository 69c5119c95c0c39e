//! The fault-injection layer: a request of an operation for which `/__sandbox/faults` armed a
//! fault in the caller's tenant is answered with that server error instead of being served.
//!
//! It is a route layer, so the matched route template is known: (method, template) names the
//! operation through `vlens_client::OPERATIONS`, whose templates (`/api/.../{typeId}`) use the
//! router's syntax. It runs before the handler's extractors, so a fault is answered before the
//! bearer token is authenticated and before the body is read: the tenant comes from the
//! `ApiKey` header alone.
//!
//! It sits in front of every Vlens request, so its common path (no fault armed in the tenant)
//! is one atomic load: no lock and no operation lookup. The tenant it resolved is handed to
//! the extractors (`ResolvedTenant`), so the ApiKey is looked up once per request either way.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::RETRY_AFTER;

use super::AppState;
use crate::error::ApiError;
use crate::faults::FaultReply;
use crate::store::Tenant;

/// The tenant of the request's ApiKey, found by this layer (absent: no or unknown ApiKey).
#[derive(Clone)]
pub struct ResolvedTenant(pub Arc<Tenant>);

/// Every operation by (method, route template), built once.
static OPERATION_BY_ROUTE: LazyLock<HashMap<(&'static str, &'static str), &'static str>> =
    LazyLock::new(|| {
        vlens_client::OPERATIONS
            .iter()
            .map(|op| ((op.method, op.path), op.id))
            .collect()
    });

/// Answers an armed fault, or passes the request on.
pub async fn inject(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let tenant = request
        .headers()
        .get("apikey")
        .and_then(|key| key.to_str().ok())
        .and_then(|key| state.store.tenant_by_key(key));
    let Some(tenant) = tenant else {
        return next.run(request).await;
    };
    let fault = armed_fault(&tenant, &request);
    request.extensions_mut().insert(ResolvedTenant(tenant));
    let Some(fault) = fault else {
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

/// Consumes the fault armed for this request's operation in `tenant`, if any.
fn armed_fault(tenant: &Tenant, request: &Request) -> Option<FaultReply> {
    if !tenant.has_faults_armed() {
        return None;
    }
    let template = request.extensions().get::<MatchedPath>()?.as_str();
    let operation = operation_of(request.method().as_str(), template)?;
    tenant.take_fault(operation)
}

/// The operationId served at (method, route template).
fn operation_of(method: &str, template: &str) -> Option<&'static str> {
    let routes: &HashMap<(&str, &str), &'static str> = &OPERATION_BY_ROUTE;
    routes.get(&(method, template)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_found_by_its_route() {
        for op in &vlens_client::OPERATIONS {
            assert_eq!(operation_of(op.method, op.path), Some(op.id), "{}", op.id);
        }
        assert_eq!(operation_of("DELETE", "/api/BusinessRequest/Current"), None);
    }
}
