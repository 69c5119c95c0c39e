//! The `vlens-sandbox` binary: `--port 0` prints the bound URL, `--api-key` replaces the
//! Default tenant's key, `--help` documents the flags and defaults.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BINARY: &str = env!("CARGO_BIN_EXE_vlens-sandbox");

#[test]
fn help_documents_every_flag_and_default() {
    let output = Command::new(BINARY).arg("--help").output().expect("runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "--port",
        "8080",
        "--host",
        "127.0.0.1",
        "--api-key",
        "sandbox-api-key",
        "--seed",
        "sandbox-other-api-key",
        "123qwe",
        "414",
        "415",
        "416",
        "--otp-lifetime",
        "--link-lifetime",
        "--access-token-lifetime",
        "86400",
        "--rate-limits",
        "--otp-request-limit",
        "--wrong-otp-code-limit",
        "--failed-password-limit",
        "10/900",
        "--max-tenants",
        "--max-users",
        "--max-requests",
        "--max-transactions",
        "--max-image-bytes",
        "--max-short-lived",
        "--incomplete-transaction-lifetime",
        "--idle-tenant-lifetime",
        "--public-base-url",
        "from-host-header",
        "--max-connections",
        "--header-read-timeout",
        "--body-read-timeout",
        "--idle-timeout",
        "4 MiB",
        "300 s",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}");
    }
}

/// Kills the child on drop, so a failed assertion does not leave it running.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn port_0_prints_the_url_and_api_key_replaces_the_default_key() {
    let (_child, url) = spawn(&["--api-key", "my-own-key", "--seed", "3"]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    vlens_client::tls::install_crypto_provider();
    let http = reqwest::Client::new();
    let health = |key: &'static str| {
        http.get(format!("{url}/__sandbox/health"))
            .header("ApiKey", key)
            .send()
    };
    assert_eq!(health("my-own-key").await.expect("answered").status(), 200);
    assert_eq!(
        health("sandbox-api-key").await.expect("answered").status(),
        401
    );
    assert_eq!(
        health("sandbox-other-api-key")
            .await
            .expect("answered")
            .status(),
        200
    );
}

#[test]
fn a_taken_or_empty_api_key_is_refused() {
    for key in ["", "sandbox-other-api-key"] {
        let output = Command::new(BINARY)
            .args(["--port", "0", "--api-key", key])
            .env("RUST_LOG", "off")
            .output()
            .expect("runs");
        assert!(!output.status.success(), "{key:?} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("ApiKey"), "{stderr}");
    }
}

/// Starts the binary with `args` and returns it with its URL.
fn spawn(args: &[&str]) -> (Child, String) {
    let mut child = Child(
        Command::new(BINARY)
            .args(["--port", "0"])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("a line");
    let url = line
        .trim()
        .strip_prefix("vlens-sandbox listening on ")
        .expect("the bound URL is printed")
        .to_string();
    (child, url)
}

/// The limits of the Default tenant of the sandbox at `url`.
async fn limits(url: &str) -> serde_json::Value {
    vlens_client::tls::install_crypto_provider();
    let reply = reqwest::Client::new()
        .post(format!("{url}/__sandbox/rate-limits"))
        .header("ApiKey", "sandbox-api-key")
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("answered");
    assert_eq!(reply.status(), 200);
    let body: serde_json::Value = reply.json().await.expect("JSON");
    body["data"].clone()
}

#[tokio::test]
async fn the_limit_flags_set_each_limit_or_turn_all_off() {
    let (_child, url) = spawn(&[
        "--otp-request-limit",
        "3/60",
        "--failed-password-limit",
        "off",
    ]);
    let set = limits(&url).await;
    assert_eq!(
        set["otpRequests"],
        serde_json::json!({"max": 3, "windowSeconds": 60})
    );
    assert_eq!(
        set["wrongOtpCodes"],
        serde_json::json!({"max": 10, "windowSeconds": 900})
    );
    assert_eq!(set["failedPasswords"], serde_json::Value::Null);

    let (_child, url) = spawn(&["--rate-limits", "off"]);
    let off = limits(&url).await;
    for name in ["otpRequests", "wrongOtpCodes", "failedPasswords"] {
        assert_eq!(off[name], serde_json::Value::Null, "{name}");
    }
}

#[test]
fn a_malformed_limit_is_refused() {
    let output = Command::new(BINARY)
        .args(["--port", "0", "--otp-request-limit", "0/60"])
        .env("RUST_LOG", "off")
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--otp-request-limit"), "{stderr}");
}

#[tokio::test]
async fn the_cap_flags_reach_the_sandbox() {
    let (_child, url) = spawn(&["--max-tenants", "1"]);
    let http = reqwest::Client::new();
    let create = || {
        http.post(format!("{url}/__sandbox/tenants"))
            .header("ApiKey", "sandbox-api-key")
            .send()
    };
    assert_eq!(create().await.expect("answered").status(), 200);
    let refused = create().await.expect("answered");
    assert_eq!(refused.status(), 507);
    let body: serde_json::Value = refused.json().await.expect("an envelope");
    assert_eq!(body["error_code"], 507);
    assert!(
        body["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("--max-tenants")),
        "{body}"
    );
}
