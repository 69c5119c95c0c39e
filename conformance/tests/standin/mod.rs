//! A staging stand-in: a `vlens-sandbox` behind a proxy that behaves as a real Vlens would
//! differ from it — the control API is out of reach (404), every error code that is only this
//! project's guess is renumbered, and replies carry a field the spec does not document. (The
//! sandbox itself is started with the proxy as its public base URL, so its links name the
//! proxy.) The proxy also records every recipient of every message request, so a test can
//! prove nobody outside the test range was messaged.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use vlens_openapi::Recipient;

/// What the stand-in adds to every project-guessed error code.
pub const RENUMBER: i64 = 50_000;

/// What the proxy saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Names of the guessed codes it renumbered in replies.
    pub renumbered: BTreeSet<String>,
    /// Requests of operations that message someone, with their recipients.
    pub messages: Vec<(String, String)>,
    /// Control-API requests refused.
    pub refused_control: usize,
}

struct Proxy {
    sandbox: String,
    http: reqwest::Client,
    seen: Arc<Mutex<Seen>>,
}

/// The proxy's address, bound before the sandbox starts (the sandbox's links name it).
pub struct Bound {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    listener: tokio::net::TcpListener,
}

/// A running proxy: its URL and what it saw.
pub struct Running {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// What it saw.
    pub seen: Arc<Mutex<Seen>>,
    _server: tokio::task::JoinHandle<()>,
}

/// Binds the proxy's port.
pub async fn bind() -> Bound {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    Bound { url, listener }
}

/// Serves the proxy in front of the sandbox at `sandbox`.
pub fn start(bound: Bound, sandbox: &str) -> Running {
    let seen = Arc::new(Mutex::new(Seen::default()));
    vlens_client::tls::install_crypto_provider();
    let proxy = Arc::new(Proxy {
        sandbox: sandbox.trim_end_matches('/').to_owned(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        seen: Arc::clone(&seen),
    });
    let app = Router::new().fallback(forward).with_state(proxy);
    let listener = bound.listener;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Running {
        url: bound.url,
        seen,
        _server: server,
    }
}

/// The control API's own routes; its hosted pages (the signing page, a contract PDF, a
/// payment page) stay reachable, as their real counterparts are.
fn is_control(path: &str) -> bool {
    let hosted = ["/__sandbox/contracts/", "/__sandbox/payments/"];
    path.starts_with("/__sandbox/") && !hosted.iter().any(|page| path.starts_with(page))
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    if is_control(&path) {
        proxy.seen.lock().unwrap().refused_control += 1;
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    }
    let Ok(body) = axum::body::to_bytes(body, 64 * 1024 * 1024).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    record_messages(&proxy, &parts.method, &path, &body);
    let query = parts
        .uri
        .query()
        .map(|query| format!("?{query}"))
        .unwrap_or_default();
    let mut upstream = proxy
        .http
        .request(
            parts.method.clone(),
            format!("{}{path}{query}", proxy.sandbox),
        )
        .body(body.to_vec());
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            upstream = upstream.header(name, value);
        }
    }
    let Ok(reply) = upstream.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = reply.status();
    let mut headers = HeaderMap::new();
    for (name, value) in reply.headers() {
        if name != "content-length" && name != "transfer-encoding" {
            headers.insert(name, value.clone());
        }
    }
    let bytes = reply.bytes().await.unwrap_or_default();
    let bytes = rewrite(&proxy, &bytes);
    (status, headers, Body::from(bytes)).into_response()
}

/// Renumbers guessed codes and adds an undocumented field.
fn rewrite(proxy: &Proxy, bytes: &Bytes) -> Vec<u8> {
    let Ok(mut json) = serde_json::from_slice::<Value>(bytes) else {
        return bytes.to_vec();
    };
    if let Some(object) = json.as_object_mut() {
        let code = object.get("error_code").and_then(Value::as_i64);
        if let Some(spec) = code.and_then(|code| {
            vlens_openapi::vlens()
                .error_codes()
                .iter()
                .find(|known| known.code == code && known.is_guess())
        }) {
            object.insert("error_code".to_owned(), Value::from(spec.code + RENUMBER));
            proxy
                .seen
                .lock()
                .unwrap()
                .renumbered
                .insert(spec.name.clone());
        }
        object.insert(
            "standinTraceId".to_owned(),
            Value::from(uuid::Uuid::new_v4().to_string()),
        );
    }
    json.to_string().into_bytes()
}

/// Remembers the recipients of every request to an operation that messages someone.
fn record_messages(proxy: &Proxy, method: &Method, path: &str, body: &Bytes) {
    let Some(op) = vlens_openapi::vlens().find_operation(method.as_str(), path) else {
        return;
    };
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    for message in &op.messages {
        if let Recipient::Body(pointer) = &message.to
            && let Some(Value::String(to)) = json.pointer(pointer)
        {
            proxy
                .seen
                .lock()
                .unwrap()
                .messages
                .push((op.id.clone(), to.clone()));
        }
    }
}
