//! A scripted HTTP server that records every request: the client's tests need to see exactly
//! what went over the wire (headers, attempts), which the sandbox deliberately hides.
#![allow(dead_code)] // each test binary uses a different part of this module

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
}

/// A reply the server will give, in order; when the script runs out it answers `fallback`.
#[derive(Debug, Clone)]
pub struct Scripted {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Scripted {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }
}

#[derive(Default)]
struct Shared {
    recorded: Vec<Recorded>,
    script: VecDeque<Scripted>,
    fallback: Option<Scripted>,
}

pub struct MockServer {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

/// Cairo, the sandbox's default registration point.
pub fn cairo() -> vlens_client::types::GeoLocation {
    vlens_client::types::GeoLocation {
        latitude: 30.0444,
        longitude: 31.2357,
    }
}

/// A success envelope that decodes as any operation's reply whose data may be null... except
/// that `.data()` then reports MissingData; tests that call `.data()` script their own.
pub fn empty_success() -> Scripted {
    Scripted::json(
        200,
        serde_json::json!({"data": null, "error_code": null, "error_message": null, "error_descriptions": null}),
    )
}

impl MockServer {
    pub async fn start() -> Self {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, shared }
    }

    pub fn script(&self, replies: impl IntoIterator<Item = Scripted>) {
        self.shared.lock().expect("lock").script.extend(replies);
    }

    pub fn fallback(&self, reply: Scripted) {
        self.shared.lock().expect("lock").fallback = Some(reply);
    }

    pub fn recorded(&self) -> Vec<Recorded> {
        self.shared.lock().expect("lock").recorded.clone()
    }
}

async fn handle(State(shared): State<Arc<Mutex<Shared>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let _ = to_bytes(body, usize::MAX).await;
    let reply = {
        let mut shared = shared.lock().expect("lock");
        shared.recorded.push(Recorded {
            method: parts.method.clone(),
            path: parts.uri.path().to_string(),
            headers: parts.headers.clone(),
        });
        shared
            .script
            .pop_front()
            .or_else(|| shared.fallback.clone())
            .unwrap_or_else(empty_success)
    };
    let mut response = Response::builder()
        .status(StatusCode::from_u16(reply.status).expect("status"))
        .header("content-type", "application/json");
    for (name, value) in reply.headers {
        response = response.header(name, value);
    }
    response.body(Body::from(reply.body)).expect("response")
}

/// Captures the client's `tracing` events while `run` executes on this thread (tokio's test
/// runtime is single-threaded, so the thread-local subscriber sees every event of the call).
/// The retry tests count "retrying GET" events instead of timing wall clocks, which would be
/// flaky on a loaded machine.
pub async fn capture_logs<F: std::future::Future>(run: F) -> (F::Output, String) {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let writer = {
        let buffer = buffer.clone();
        move || LogWriter(buffer.clone())
    };
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(writer)
        .finish();
    let output = {
        let _guard = tracing::subscriber::set_default(subscriber);
        run.await
    };
    let logs = String::from_utf8_lossy(&buffer.lock().expect("lock")).into_owned();
    (output, logs)
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
