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
    pub query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// A reply the server will give, in order; when the script runs out it answers `fallback`.
#[derive(Debug, Clone)]
pub struct Scripted {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    /// Sent in chunks without a Content-Length, so that only reading tells the size.
    pub chunked: bool,
    /// How long the server waits before answering.
    pub delay: Option<std::time::Duration>,
}

impl Scripted {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.to_string(),
            chunked: false,
            delay: None,
        }
    }

    /// A redirect to `location`.
    pub fn redirect(status: u16, location: &str) -> Self {
        Self {
            status,
            headers: vec![("location", location.to_string())],
            body: String::new(),
            chunked: false,
            delay: None,
        }
    }

    pub fn chunked(mut self) -> Self {
        self.chunked = true;
        self
    }

    pub fn delayed(mut self, delay: std::time::Duration) -> Self {
        self.delay = Some(delay);
        self
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

    /// The same server over TLS, with the self-signed loopback certificate of
    /// `tests/fixtures` (see [`loopback_certificate`]).
    pub async fn start_tls() -> Self {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let tcp = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let url = format!("https://{}", tcp.local_addr().expect("addr"));
        let listener = TlsListener {
            tcp,
            acceptor: tls_acceptor(),
        };
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
    let body = to_bytes(body, usize::MAX)
        .await
        .map(|bytes| bytes.to_vec())
        .unwrap_or_default();
    let reply = {
        let mut shared = shared.lock().expect("lock");
        shared.recorded.push(Recorded {
            method: parts.method.clone(),
            path: parts.uri.path().to_string(),
            query: parts.uri.query().unwrap_or_default().to_string(),
            headers: parts.headers.clone(),
            body,
        });
        shared
            .script
            .pop_front()
            .or_else(|| shared.fallback.clone())
            .unwrap_or_else(empty_success)
    };
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    let mut response = Response::builder()
        .status(StatusCode::from_u16(reply.status).expect("status"))
        .header("content-type", "application/json");
    for (name, value) in reply.headers {
        response = response.header(name, value);
    }
    let body = if reply.chunked {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> = reply
            .body
            .into_bytes()
            .chunks(1024)
            .map(|chunk| Ok(chunk.to_vec()))
            .collect();
        Body::from_stream(futures_util::stream::iter(chunks))
    } else {
        Body::from(reply.body)
    };
    response.body(body).expect("response")
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

/// The loopback test certificate (for 127.0.0.1, self-signed, valid until 2126), for a client
/// that must trust [`MockServer::start_tls`]. A committed pair rather than one made at run time:
/// a certificate generator would be one more crate to build for one test.
pub fn loopback_certificate() -> reqwest::Certificate {
    reqwest::Certificate::from_pem(include_bytes!("../fixtures/loopback-cert.pem"))
        .expect("the fixture certificate parses")
}

fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let certs = CertificateDer::pem_slice_iter(include_bytes!("../fixtures/loopback-cert.pem"))
        .collect::<Result<Vec<_>, _>>()
        .expect("certificate");
    let key =
        PrivateKeyDer::from_pem_slice(include_bytes!("../fixtures/loopback-key.pem")).expect("key");
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
