//! Serving connections (issue 8.4: 600 idle and 500 slowloris connections stayed open past 40 s,
//! 1,100 idle ones exhausted the file descriptors, and pipelined requests stalled 44 ms each).
//!
//! - A cap: at most `connections.max` connections are served at once; one beyond it is answered
//!   `503` in the envelope, with `Retry-After`, and closed.
//! - `TCP_NODELAY` on every connection, so that small replies are not held back by Nagle's
//!   algorithm waiting for the client's delayed ACK.
//! - hyper's header-read timeout: a request's head must arrive within
//!   `connections.header_read_timeout` of the wait for it starting, which is when the connection
//!   opens and when the previous reply has gone; so it bounds a slowloris head and a keep-alive
//!   connection's idleness alike.
//! - An idle watchdog: a connection on which no byte moves either way for
//!   `connections.idle_timeout` is closed (a client that stopped reading its reply).
//! - A lingering close: before a socket is closed, what the client is still sending is read and
//!   discarded for a moment, so that closing with unread bytes (a 413 in the middle of an upload)
//!   does not reset the connection and destroy the reply on its way.
//! - hyper's own rejections of requests it cannot parse (a bare `400`, `414` or `431` with no
//!   body) are rewritten into the envelope on their way out (see [`shape_rejection`]).
//!
//! Hand-written around hyper-util rather than `axum::serve`, which sets no header-read timeout,
//! no connection cap and no `TCP_NODELAY`, and does not hand over the socket to close it
//! gracefully; tower's limit layers act per request, not per connection.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::config::Connections;
use crate::error::ApiError;

/// How long a closing connection is drained, at most, and how much of it.
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 8 * 1024 * 1024;
/// How many connections beyond the cap are answered 503 at once; past those, a connection is
/// closed unanswered (each answer holds a socket for up to [`LINGER_TIME`]).
const OVERLOAD_ANSWERS: usize = 256;
/// How long a graceful shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `stop` fires, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    connections: Connections,
    mut stop: oneshot::Receiver<()>,
) {
    let served = Arc::new(Semaphore::new(connections.max));
    let overload = Arc::new(Semaphore::new(OVERLOAD_ANSWERS));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(connections.header_read_timeout)
        .keep_alive(true);
    loop {
        let tcp = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(error) => {
                    accept_failed(&error).await;
                    continue;
                }
            },
        };
        configure(&tcp);
        match Arc::clone(&served).try_acquire_owned() {
            Ok(permit) => {
                let activity = Activity::new();
                let connection = builder.serve_connection(
                    TokioIo::new(ServedIo::new(tcp, activity.clone(), permit)),
                    TowerToHyperService::new(app.clone()),
                );
                let watched = graceful.watch(connection);
                let idle_timeout = connections.idle_timeout;
                tokio::spawn(async move {
                    tokio::select! {
                        result = watched => {
                            if let Err(error) = result {
                                tracing::debug!(%error, "connection ended with an error");
                            }
                        }
                        () = activity.idle_for(idle_timeout) => {
                            tracing::debug!("closed a connection idle for {idle_timeout:?}");
                        }
                    }
                });
            }
            Err(_) => match Arc::clone(&overload).try_acquire_owned() {
                Ok(permit) => {
                    tokio::spawn(answer_overloaded(tcp, permit, connections.max));
                }
                // Past the cap and past the answers to it: closed at once.
                Err(_) => drop(tcp),
            },
        }
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {SHUTDOWN_GRACE:?}; stopping anyway");
    }
}

/// Sets `TCP_NODELAY` on an accepted connection.
pub fn configure(tcp: &TcpStream) {
    if let Err(error) = tcp.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
}

/// An accept error: a connection that failed before it was accepted is nothing to wait for;
/// anything else (out of file descriptors) is logged and waited on briefly, so that the loop
/// does not spin while connections close.
async fn accept_failed(error: &io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!(%error, "accept failed; retrying in 100 ms");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// A whole HTTP/1.1 reply carrying the envelope of `error`, closing the connection.
fn envelope_reply(error: &ApiError, retry_after: Option<u32>) -> Vec<u8> {
    let (status, envelope) = error.to_envelope();
    let body = serde_json::to_vec(&envelope).unwrap_or_default();
    let mut head = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    );
    if let Some(seconds) = retry_after {
        head.push_str(&format!("retry-after: {seconds}\r\n"));
    }
    head.push_str("\r\n");
    let mut reply = head.into_bytes();
    reply.extend_from_slice(&body);
    reply
}

/// Answers a connection beyond the cap: the envelope of a 503 with `Retry-After: 1`, then a
/// lingering close. The request itself is not read.
async fn answer_overloaded(mut tcp: TcpStream, permit: OwnedSemaphorePermit, max: usize) {
    let reply = envelope_reply(&ApiError::Overloaded(max), Some(1));
    let _ = tcp.write_all(&reply).await;
    linger(tcp, permit).await;
}

/// Ends the sending side (the client sees the end of the reply, or of the connection), then
/// reads and discards what the client still sends, for a moment, and closes.
async fn linger<P: Send>(mut tcp: TcpStream, permit: P) {
    let _ = tcp.shutdown().await;
    let mut sink = vec![0u8; 16 * 1024];
    let mut drained = 0;
    let until = tokio::time::Instant::now() + LINGER_TIME;
    while drained < LINGER_BYTES {
        match tokio::time::timeout_at(until, tcp.read(&mut sink)).await {
            Ok(Ok(n)) if n > 0 => drained += n,
            _ => break,
        }
    }
    drop(tcp);
    drop(permit);
}

// ---------------------------------------------------------------------- activity

/// When a connection last moved a byte: milliseconds since `origin`.
#[derive(Clone)]
struct Activity {
    origin: Instant,
    last: Arc<AtomicU64>,
}

impl Activity {
    fn new() -> Self {
        Self {
            origin: Instant::now(),
            last: Arc::new(AtomicU64::new(0)),
        }
    }

    fn touch(&self) {
        let now = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(now, Ordering::Relaxed);
    }

    /// Resolves once no byte has moved for `idle`.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let last = Duration::from_millis(self.last.load(Ordering::Relaxed));
            let deadline = self.origin + last + idle;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline.into()).await;
        }
    }
}

// ---------------------------------------------------------------------- the connection's IO

/// A served connection's socket: records activity, rewrites hyper's bare rejections into the
/// envelope, and closes with a linger when hyper is done with it.
struct ServedIo {
    /// None once handed to the linger.
    tcp: Option<TcpStream>,
    activity: Activity,
    /// Held until the socket is closed, so that the cap counts lingering sockets too.
    permit: Option<OwnedSemaphorePermit>,
    /// A rewritten reply still to be written (hyper was told its own was written).
    pending: Vec<u8>,
}

impl ServedIo {
    fn new(tcp: TcpStream, activity: Activity, permit: OwnedSemaphorePermit) -> Self {
        activity.touch();
        Self {
            tcp: Some(tcp),
            activity,
            permit: Some(permit),
            pending: Vec::new(),
        }
    }

    fn tcp(&mut self) -> io::Result<&mut TcpStream> {
        self.tcp
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }

    /// Writes what is pending of a rewritten reply.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            let written = match Pin::new(self.tcp()?).poll_write(cx, &pending) {
                Poll::Ready(result) => result,
                Poll::Pending => {
                    self.pending = pending;
                    return Poll::Pending;
                }
            };
            match written {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(n) => {
                    self.activity.touch();
                    self.pending = pending[n..].to_vec();
                }
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for ServedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(this.tcp()?).poll_read(cx, buf))?;
        if buf.filled().len() > before {
            this.activity.touch();
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for ServedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        if let Some(reply) = shape_rejection(buf) {
            this.pending = reply;
            // Written as far as hyper knows; the rewrite goes out before any flush or close.
            let _ = this.poll_pending(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        let written = ready!(Pin::new(this.tcp()?).poll_write(cx, buf))?;
        if written > 0 {
            this.activity.touch();
        }
        Poll::Ready(Ok(written))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // One buffer may be a head-only rejection: that goes through `poll_write`.
        if let [single] = bufs {
            return self.poll_write(cx, single);
        }
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        let written = ready!(Pin::new(this.tcp()?).poll_write_vectored(cx, bufs))?;
        if written > 0 {
            this.activity.touch();
        }
        Poll::Ready(Ok(written))
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.as_ref().is_some_and(TcpStream::is_write_vectored)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(this.tcp()?).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(this.tcp()?).poll_shutdown(cx)
    }
}

impl Drop for ServedIo {
    fn drop(&mut self) {
        let (Some(tcp), Some(permit)) = (self.tcp.take(), self.permit.take()) else {
            return;
        };
        // Only inside the runtime (always, but for a runtime shutting down): else a plain close.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(linger(tcp, permit));
        }
    }
}

/// hyper answers a request it cannot parse (a malformed request line or header, conflicting
/// `Content-Length`s, an obsolete folded header, a control character in the path, a URI or head
/// over its limits) itself, before any service sees it, with a head-only `400`, `414` or `431`
/// and `content-length: 0`, and then closes; it has no hook to shape that reply. The sandbox's
/// own replies always carry a body, so a head-only reply with one of those statuses is hyper's:
/// this returns the same status with the envelope in its place (`error_code` the status, a
/// message that says what is wrong), or None for anything else.
fn shape_rejection(written: &[u8]) -> Option<Vec<u8>> {
    let head = std::str::from_utf8(written).ok()?;
    let rest = head.strip_prefix("HTTP/1.1 ")?;
    if !head.ends_with("\r\n\r\n")
        || !head
            .to_ascii_lowercase()
            .contains("\r\ncontent-length: 0\r\n")
    {
        return None;
    }
    let status = rest.get(..3)?.parse::<u16>().ok()?;
    let message = match status {
        400 => {
            "Bad Request - the request is not valid HTTP/1.1 (a malformed request line or \
                header, conflicting Content-Length headers, a folded header or a control \
                character)"
        }
        414 => "URI Too Long - the request's path and query are longer than the server reads",
        431 => {
            "Request Header Fields Too Large - the request's head is longer than the server \
                reads"
        }
        _ => return None,
    };
    let status = http::StatusCode::from_u16(status).ok()?;
    Some(envelope_reply(
        &ApiError::Unparsable { status, message },
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_connections_have_tcp_nodelay() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let address = listener.local_addr().expect("an address");
        let client = TcpStream::connect(address).await.expect("connects");
        let (server, _) = listener.accept().await.expect("accepts");
        assert!(!server.nodelay().unwrap_or(true), "off unless set");
        configure(&server);
        assert!(server.nodelay().unwrap_or(false));
        drop(client);
    }

    #[test]
    fn only_hypers_head_only_rejections_are_rewritten() {
        let hyper = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: Sun, 29 Nov 2026 10:00:00 GMT\r\n\r\n";
        let shaped = shape_rejection(hyper).expect("rewritten");
        let text = String::from_utf8_lossy(&shaped);
        assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, body)| body)
            .unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
        assert_eq!(json["error_code"], 400);
        assert!(
            json["error_message"]
                .as_str()
                .is_some_and(|m| m.contains("HTTP/1.1"))
        );
        for status in ["414 URI Too Long", "431 Request Header Fields Too Large"] {
            let head = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n");
            assert!(shape_rejection(head.as_bytes()).is_some(), "{status}");
        }
        // Replies of the sandbox itself pass through: they have bodies, or other statuses.
        for untouched in [
            &b"HTTP/1.1 400 Bad Request\r\ncontent-length: 120\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n{}",
            b"{\"data\":null}",
        ] {
            assert!(shape_rejection(untouched).is_none());
        }
    }
}
