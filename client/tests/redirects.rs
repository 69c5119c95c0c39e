//! Issue 8.1: no redirect takes the ApiKey, the TenancyName, the token or a body to another
//! origin; replies have a size cap; no error message shows a URL's query.
//!
//! Two loopback servers on different ports: the one the client calls redirects, the other
//! records whatever reaches it.

mod common;

use common::{MockServer, Scripted};
use serde_json::json;
use vlens_client::types;
use vlens_client::{Client, RefusalReason, ResultExt, RetryPolicy, VlensError};

const API_KEY: &str = "canary-api-key-3c1d";
const TOKEN: &str = "canary-token-77aa";
const PASSWORD: &str = "canary-password-51ef";

fn client(url: &str) -> Client {
    Client::builder(url, API_KEY)
        .tenancy_name("Default")
        .bearer_token(TOKEN)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client builds")
}

fn login_input() -> types::LoginInput {
    types::LoginInput::new(
        PASSWORD,
        "Default"
            .parse::<types::LoginInputTenancyName>()
            .expect("tenancy"),
        "admin"
            .parse::<types::LoginInputUserNameOrEmailAddress>()
            .expect("user"),
    )
}

#[tokio::test]
async fn credentials_never_reach_another_port() {
    let origin = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    for status in [301, 302, 303, 307, 308] {
        origin.script([Scripted::redirect(
            status,
            &format!("{}/api/BusinessRequest/CheckEligibility", elsewhere.url),
        )]);
        let error = client(&origin.url)
            .check_eligibility()
            .await
            .data()
            .expect_err("redirect refused");
        match &error {
            VlensError::Redirect(refused) => {
                assert_eq!(refused.reason, RefusalReason::OtherOrigin, "{status}");
                assert_eq!(refused.to, elsewhere.url, "{status}");
            }
            other => panic!("{status}: expected a refused redirect, got {other:?}"),
        }
    }
    assert_eq!(origin.recorded().len(), 5);
    assert!(
        elsewhere.recorded().is_empty(),
        "the other port received {:?}",
        elsewhere.recorded()
    );
}

#[tokio::test]
async fn a_307_never_sends_the_body_to_another_port() {
    let origin = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    origin.script([Scripted::redirect(
        307,
        &format!("{}/api/TokenAuth/Authenticate", elsewhere.url),
    )]);
    let error = client(&origin.url)
        .login(&login_input())
        .await
        .data()
        .expect_err("redirect refused");
    assert!(matches!(error, VlensError::Redirect(_)), "{error:?}");
    let sent = origin.recorded();
    assert_eq!(sent.len(), 1);
    assert!(
        String::from_utf8_lossy(&sent[0].body).contains(PASSWORD),
        "the origin itself got the login body"
    );
    assert!(
        elsewhere.recorded().is_empty(),
        "the password went elsewhere"
    );
}

#[tokio::test]
async fn a_redirect_within_the_origin_is_followed_with_its_credentials() {
    let origin = MockServer::start().await;
    origin.script([
        Scripted::redirect(307, &format!("{}/moved", origin.url)),
        common::empty_success(),
    ]);
    let _ = client(&origin.url).login(&login_input()).await;
    let sent = origin.recorded();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1].path, "/moved");
    assert_eq!(
        sent[1].headers.get("apikey").and_then(|v| v.to_str().ok()),
        Some(API_KEY)
    );
    assert_eq!(
        sent[1].body, sent[0].body,
        "307 keeps the body within the origin"
    );
}

#[tokio::test]
async fn too_many_redirects_within_the_origin_stop() {
    let origin = MockServer::start().await;
    origin.fallback(Scripted::redirect(302, &format!("{}/again", origin.url)));
    let error = client(&origin.url)
        .check_eligibility()
        .await
        .data()
        .expect_err("a loop");
    match error {
        VlensError::Redirect(refused) => assert_eq!(refused.reason, RefusalReason::TooMany),
        other => panic!("expected too many redirects, got {other:?}"),
    }
    assert_eq!(
        origin.recorded().len(),
        vlens_client::http::MAX_REDIRECTS + 1
    );
}

/// A client handed in with reqwest's default policy follows the redirect itself (this crate
/// cannot stop that), but its reply from elsewhere is refused, not decoded as Vlens's.
#[tokio::test]
async fn a_reply_from_another_origin_through_a_handed_in_client_is_refused() {
    let origin = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    origin.script([Scripted::redirect(
        302,
        &format!("{}/api/BusinessRequest/CheckEligibility", elsewhere.url),
    )]);
    elsewhere.script([Scripted::json(200, json!({
        "data": {"isEligible": true, "isDigitalIdentityVerified": true, "hasPendingRequest": false, "isEmailConfirmed": true},
        "error_code": null, "error_message": null, "error_descriptions": null
    }))]);
    vlens_client::tls::install_crypto_provider();
    let permissive = reqwest::Client::builder().build().expect("reqwest client");
    let client = Client::builder(origin.url.as_str(), API_KEY)
        .http_client(permissive)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("builds");
    let error = client
        .check_eligibility()
        .await
        .data()
        .expect_err("refused after the fact");
    assert!(matches!(error, VlensError::Redirect(_)), "{error:?}");
}

#[tokio::test]
async fn a_reply_over_the_cap_is_refused() {
    let server = MockServer::start().await;
    let big = json!({
        "data": null, "error_code": null, "error_message": "x".repeat(8 * 1024),
        "error_descriptions": null
    });
    // Once with a Content-Length (refused before reading), once chunked (refused while reading).
    server.script([
        Scripted::json(200, big.clone()),
        Scripted::json(200, big).chunked(),
    ]);
    let client = Client::builder(server.url.as_str(), API_KEY)
        .max_reply_bytes(4 * 1024)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("builds");
    for attempt in ["content-length", "chunked"] {
        let error = client.check_eligibility().await.data().expect_err(attempt);
        match error {
            VlensError::ReplyTooLarge(too_large) => assert_eq!(too_large.limit, 4096, "{attempt}"),
            other => panic!("{attempt}: expected ReplyTooLarge, got {other:?}"),
        }
    }
    // Under the cap, the same client reads replies as before.
    server.script([common::empty_success()]);
    let envelope = client.check_eligibility().await.envelope();
    assert!(envelope.is_ok(), "{envelope:?}");
}

/// A query may carry a SecurityHash: neither the crate's errors nor the raw progenitor error the
/// generated methods return may show it.
#[tokio::test]
async fn no_error_message_shows_a_query() {
    let hash = "canaryhash0042deadbeef";
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("addr"))
    };
    let raw = client(&closed)
        .view_contract_pdf(&uuid::Uuid::nil(), hash)
        .await
        .expect_err("nothing listens");
    let vlens = VlensError::from(raw);
    let raw_again = client(&closed)
        .view_contract_pdf(&uuid::Uuid::nil(), hash)
        .await
        .expect_err("nothing listens");
    assert!(vlens.is_transport(), "{vlens:?}");

    let origin = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    origin.script([Scripted::redirect(
        307,
        &format!("{}/sign?SecurityHash={hash}", elsewhere.url),
    )]);
    let redirected = client(&origin.url)
        .view_contract_pdf(&uuid::Uuid::nil(), hash)
        .await
        .expect_err("refused");
    let redirected_text = format!("{redirected} {redirected:?}");
    let redirected = VlensError::from(redirected);

    // A handed-in client that does not follow redirects hands the 307 itself to progenitor,
    // whose error prints the reply's headers, Location included.
    origin.script([Scripted::redirect(
        307,
        &format!("{}/sign?SecurityHash={hash}", elsewhere.url),
    )]);
    let unfollowed = Client::builder(origin.url.as_str(), API_KEY)
        .http_client(
            vlens_client::http::client_builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("reqwest client"),
        )
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("builds")
        .view_contract_pdf(&uuid::Uuid::nil(), hash)
        .await
        .expect_err("a 307 is not a declared reply");
    let unfollowed_text = format!("{unfollowed} {unfollowed:?}");
    assert!(unfollowed_text.contains("307"), "{unfollowed_text}");
    let unfollowed = VlensError::from(unfollowed);
    assert!(
        matches!(unfollowed, VlensError::UnexpectedStatus { status: 307 }),
        "{unfollowed:?}"
    );

    for text in [
        format!("{vlens} {vlens:?}"),
        format!("{raw_again} {raw_again:?}"),
        redirected_text,
        format!("{redirected} {redirected:?}"),
        unfollowed_text,
    ] {
        assert!(!text.contains(hash), "query leaked: {text}");
        assert!(!text.contains("SecurityHash"), "query leaked: {text}");
    }
}

/// From https to plain http is refused even within the same host: the credentials would
/// travel in clear. The https server is on loopback with a committed self-signed certificate.
#[tokio::test]
async fn https_to_http_is_refused() {
    let secure = MockServer::start_tls().await;
    let plain = MockServer::start().await;
    secure.script([Scripted::redirect(
        308,
        &format!("{}/api/BusinessRequest/CheckEligibility", plain.url),
    )]);
    let http = vlens_client::http::client_builder()
        .tls_certs_only([common::loopback_certificate()])
        .build()
        .expect("reqwest client");
    let client = Client::builder(secure.url.as_str(), API_KEY)
        .bearer_token(TOKEN)
        .http_client(http)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("builds");
    let error = client
        .check_eligibility()
        .await
        .data()
        .expect_err("downgrade refused");
    match &error {
        VlensError::Redirect(refused) => {
            assert_eq!(refused.reason, RefusalReason::Downgrade);
            assert_eq!(refused.from, secure.url);
        }
        other => panic!("expected a refused downgrade, got {other:?}"),
    }
    assert_eq!(secure.recorded().len(), 1, "the https server was reached");
    assert!(
        plain.recorded().is_empty(),
        "the http server received {:?}",
        plain.recorded()
    );
}
