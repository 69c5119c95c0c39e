//! Cross-cutting layers: the access log and response observer, the panic guard and the
//! fallback envelopes.

use std::any::Any;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::config::ObservedResponse;
use crate::error::ApiError;

/// Logs method, path (never the query: it may hold a SecurityHash), status and latency, and
/// hands the reply to the observer when one is set (only then is the body buffered).
pub async fn log_and_observe(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let uri = request.uri().clone();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    tracing::info!(
        method = %method,
        path = uri.path(),
        status,
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    let Some(observer) = &state.observer else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "cannot buffer a reply for the observer");
            return ApiError::Internal.into_response();
        }
    };
    observer(&ObservedResponse {
        method: method.to_string(),
        path: uri.path().to_string(),
        status,
        content_type: parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string),
        body: body.clone(),
    });
    Response::from_parts(parts, Body::from(body))
}

/// The last-resort guard: a panicking handler still answers a 500 envelope, and is logged.
pub fn panic_to_envelope(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string());
    tracing::error!(panic = %detail, "a handler panicked; answered 500");
    ApiError::Internal.into_response()
}

/// 404 for routes that do not exist.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("Not found - no such route")
}

/// 405 for routes that exist for another method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_a_500_envelope() {
        let response = panic_to_envelope(Box::new("boom"));
        assert_eq!(response.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(json["error_code"], 500);
        assert_eq!(json["data"], serde_json::Value::Null);
    }

    #[tokio::test]
    async fn a_panicking_handler_is_caught_by_the_router_layer() {
        use tower::ServiceExt;
        async fn explode() -> &'static str {
            panic!("handler bug")
        }
        let app = axum::Router::new()
            .route("/explode", axum::routing::get(explode))
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(
                panic_to_envelope,
            ));
        let response = app
            .oneshot(
                http::Request::builder()
                    .uri("/explode")
                    .body(Body::empty())
                    .unwrap_or_default(),
            )
            .await;
        let status = response.map(|r| r.status()).ok();
        assert_eq!(status, Some(http::StatusCode::INTERNAL_SERVER_ERROR));
    }
}
