//! Connections (issue 8): a cap with a 503 beyond it, the header-read timeout (slow heads and
//! idle keep-alive connections), the idle watchdog, the body timeout, the body limit before
//! `100 Continue`, and hyper's own rejections answered in the envelope. Raw TCP, because these
//! are the things an HTTP client library hides. The latency figures are in `bench/connections.sh`.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vlens_sandbox::{Connections, RunningSandbox, SandboxConfig, defaults};

/// How long a test waits for the server to act before it fails (a deadline, not a figure).
const PATIENCE: Duration = Duration::from_secs(5);

async fn sandbox(connections: Connections) -> RunningSandbox {
    vlens_sandbox::start(SandboxConfig {
        connections,
        ..SandboxConfig::default()
    })
    .await
    .expect("starts")
}

async fn connect(sandbox: &RunningSandbox) -> TcpStream {
    TcpStream::connect(sandbox.local_addr())
        .await
        .expect("connects")
}

fn health() -> String {
    format!(
        "GET /__sandbox/health HTTP/1.1\r\nHost: sandbox\r\nApiKey: {}\r\n\r\n",
        defaults::DEFAULT_API_KEY
    )
}

/// Everything the server sends until it closes the connection (or `PATIENCE` runs out, which
/// fails the test).
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut reply = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => reply.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server did not close the connection within {PATIENCE:?}"
    );
    String::from_utf8_lossy(&reply).into_owned()
}

/// One reply on a kept-alive connection: head and a body of its `content-length`.
async fn read_one_reply(stream: &mut TcpStream) -> String {
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(PATIENCE, stream.read(&mut chunk))
            .await
            .expect("a reply in time")
            .expect("readable");
        assert!(n > 0, "closed before a whole reply");
        reply.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&reply).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|line| {
                    line.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_string)
                })
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return text;
            }
        }
    }
}

/// The status and the envelope of a reply.
fn envelope(reply: &str) -> (u16, serde_json::Value) {
    let status = reply
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP/1.1 reply: {reply:?}"));
    let body = reply.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    let json = serde_json::from_str(body).unwrap_or_else(|_| panic!("not an envelope: {reply:?}"));
    (status, json)
}

#[tokio::test]
async fn a_connection_beyond_the_cap_gets_a_503_envelope_and_room_frees_up() {
    let sandbox = sandbox(Connections {
        max: 2,
        ..Connections::default()
    })
    .await;
    let first = connect(&sandbox).await;
    let _second = connect(&sandbox).await;
    // Give the server the moment to accept both.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = connect(&sandbox).await;
    third.write_all(health().as_bytes()).await.expect("sent");
    let reply = read_to_close(&mut third).await;
    let (status, body) = envelope(&reply);
    assert_eq!(status, 503, "{reply}");
    assert_eq!(body["error_code"], 503);
    assert!(
        body["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("at most 2 connections"))
    );
    assert!(
        reply.to_ascii_lowercase().contains("retry-after: 1"),
        "{reply}"
    );

    drop(first);
    let served = tokio::time::timeout(PATIENCE, async {
        loop {
            let mut next = connect(&sandbox).await;
            next.write_all(health().as_bytes()).await.expect("sent");
            let reply = read_one_reply(&mut next).await;
            if reply.starts_with("HTTP/1.1 200") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(served.is_ok(), "a closed connection never freed its place");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_slow_head_is_cut_off_and_others_are_served_meanwhile() {
    // Long enough that the other client, which sends its head at once, is never cut off on a
    // busy machine.
    let sandbox = sandbox(Connections {
        header_read_timeout: Duration::from_millis(300),
        ..Connections::default()
    })
    .await;
    let mut slow = connect(&sandbox).await;
    slow.write_all(b"GET /__sandbox/health HTTP/1.1\r\nHost: sand")
        .await
        .expect("sent");
    let mut other = connect(&sandbox).await;
    other.write_all(health().as_bytes()).await.expect("sent");
    assert!(read_one_reply(&mut other).await.starts_with("HTTP/1.1 200"));
    // The slow one is closed without a reply (hyper gives none on a header timeout).
    assert_eq!(read_to_close(&mut slow).await, "");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_by_the_header_read_timeout() {
    let sandbox = sandbox(Connections {
        header_read_timeout: Duration::from_millis(100),
        ..Connections::default()
    })
    .await;
    let mut stream = connect(&sandbox).await;
    stream.write_all(health().as_bytes()).await.expect("sent");
    assert!(
        read_one_reply(&mut stream)
            .await
            .starts_with("HTTP/1.1 200")
    );
    assert_eq!(read_to_close(&mut stream).await, "");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_connection_where_nothing_moves_is_closed_by_the_idle_timeout() {
    let sandbox = sandbox(Connections {
        idle_timeout: Duration::from_millis(100),
        ..Connections::default()
    })
    .await;
    // The header-read timeout (10 s) is far away: only the idle watchdog can close this.
    let mut stream = connect(&sandbox).await;
    stream
        .write_all(b"GET /__sandbox/health HTTP/1.1\r\n")
        .await
        .expect("sent");
    assert_eq!(read_to_close(&mut stream).await, "");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_stalled_body_gets_a_408_envelope() {
    let sandbox = sandbox(Connections {
        body_read_timeout: Duration::from_millis(100),
        ..Connections::default()
    })
    .await;
    let mut stream = connect(&sandbox).await;
    let head = format!(
        "POST /api/DigitalIdentity/CheckExistenceOfEmailOrPhone HTTP/1.1\r\nHost: sandbox\r\n\
         ApiKey: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"phone",
        defaults::DEFAULT_API_KEY
    );
    stream.write_all(head.as_bytes()).await.expect("sent");
    let (status, body) = envelope(&read_one_reply(&mut stream).await);
    assert_eq!(status, 408);
    assert_eq!(body["error_code"], 408);
    sandbox.shutdown().await;
}

/// Issue 8: `Expect: 100-continue` with `Content-Length: 99999999` was invited to upload
/// ("100 Continue") before the 4 MiB limit applied.
#[tokio::test]
async fn an_oversized_declared_body_is_refused_before_100_continue() {
    let sandbox = sandbox(Connections::default()).await;
    let mut stream = connect(&sandbox).await;
    let head = format!(
        "POST /api/DigitalIdentity/CheckExistenceOfEmailOrPhone HTTP/1.1\r\nHost: sandbox\r\n\
         ApiKey: {}\r\nContent-Type: application/json\r\nContent-Length: 99999999\r\n\
         Expect: 100-continue\r\n\r\n",
        defaults::DEFAULT_API_KEY
    );
    stream.write_all(head.as_bytes()).await.expect("sent");
    let reply = read_one_reply(&mut stream).await;
    assert!(!reply.contains("100 Continue"), "{reply}");
    let (status, body) = envelope(&reply);
    assert_eq!(status, 413);
    assert_eq!(body["error_code"], 413);
    sandbox.shutdown().await;
}

/// Issue 8: hyper answered requests it cannot parse with an empty 400/431 instead of the
/// envelope. Each is now the envelope, with the status as `error_code`.
#[tokio::test]
async fn requests_hyper_cannot_parse_are_answered_in_the_envelope() {
    let sandbox = sandbox(Connections::default()).await;
    let long_path = format!("/{}", "a".repeat(1024 * 1024));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "two Content-Lengths",
            b"POST /__sandbox/reset HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".to_vec(),
        ),
        (
            "an obsolete folded header",
            b"GET /__sandbox/health HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n".to_vec(),
        ),
        (
            "a NUL in the path",
            b"GET /__sandbox/he\0alth HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ),
        (
            "a 1 MB URL",
            format!("GET {long_path} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes(),
        ),
        ("not HTTP", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n".to_vec()),
    ];
    for (what, request) in cases {
        let mut stream = connect(&sandbox).await;
        // A write may fail once the server has answered and closed: what it answered counts.
        let _ = stream.write_all(&request).await;
        let reply = read_to_close(&mut stream).await;
        let (status, body) = envelope(&reply);
        assert!(matches!(status, 400 | 414 | 431), "{what}: {reply}");
        assert_eq!(body["error_code"], i64::from(status), "{what}");
        assert_eq!(body["data"], serde_json::Value::Null, "{what}");
        assert!(
            body["error_message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}"
        );
    }
    sandbox.shutdown().await;
}
