//! The signing link, its SecurityHash, the contract PDF (parsed back with lopdf) and the
//! signing page.

mod common;

use common::*;
use vlens_client::{Client, KnownErrorCode, ResultExt, RetryPolicy};
use vlens_sandbox::defaults::PERSONAL_LOAN_TYPE_ID;

fn pdf_text(bytes: &[u8]) -> String {
    let document = lopdf::Document::load_mem(bytes).expect("a parsable PDF");
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    assert_eq!(pages.len(), 1);
    document.extract_text(&pages).expect("text")
}

#[tokio::test]
async fn the_link_leads_to_a_real_pdf_of_the_contract() {
    let sandbox = TestSandbox::start().await;
    let (_user, client, request) = sandbox.approved_loan(KEY).await;
    let number = client
        .get_business_request_by_id(&request)
        .await
        .data()
        .expect("read")
        .request_number;
    let url = signing_link(&client, request).await;
    let (request_id, hash) = parse_link(&url, sandbox.base_url());
    assert_eq!(request_id, request);
    assert_eq!(hash.len(), 40);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
    let second = signing_link(&client, request).await;
    assert_ne!(
        parse_link(&second, sandbox.base_url()).1,
        hash,
        "each link has its own hash"
    );

    let pdf_url = client
        .view_contract_pdf(&request, &hash)
        .await
        .data()
        .expect("pdf url")
        .into_exposed();
    assert_eq!(
        pdf_url,
        format!(
            "{}/__sandbox/contracts/{request}.pdf?SecurityHash={hash}",
            sandbox.base_url()
        )
    );
    let reply = sandbox.http().get(&pdf_url).send().await.expect("pdf");
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    let bytes = reply.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"%PDF-"));
    let text = pdf_text(&bytes);
    assert!(text.contains(&number), "{text}");
    assert!(text.contains("Personal Loan"), "{text}");
    assert!(text.contains("Approved"), "{text}");
    assert!(
        text.contains("Nour Hassan"),
        "field values are in it: {text}"
    );

    let page = sandbox.http().get(&url).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains(&number) && html.contains("Contract PDF"));
    sandbox.finish().await;
}

#[tokio::test]
async fn a_wrong_or_foreign_hash_is_refused() {
    let sandbox = TestSandbox::start().await;
    let (_user, client, request) = sandbox.approved_loan(KEY).await;
    let url = signing_link(&client, request).await;
    let (_, hash) = parse_link(&url, sandbox.base_url());
    // The same hash with its last digit changed.
    let forged = format!(
        "{}{}",
        &hash[..39],
        if hash.ends_with('0') { '1' } else { '0' }
    );
    assert_ne!(forged, hash);
    assert_code(
        client.view_contract_pdf(&request, &forged).await.data(),
        KnownErrorCode::InvalidSecurityHash,
    );
    // A hash issued for one request does not open another.
    let other_user = sandbox.user(KEY).await;
    let other_client = sandbox.user_client(KEY, &other_user);
    let other_request = create_request(&other_client, PERSONAL_LOAN_TYPE_ID).await;
    assert_code(
        other_client
            .view_contract_pdf(&other_request, &hash)
            .await
            .data(),
        KnownErrorCode::InvalidSecurityHash,
    );
    // Another user cannot see the request at all; the admin can.
    assert_code(
        other_client.view_contract_pdf(&request, &hash).await.data(),
        KnownErrorCode::RequestNotFound,
    );
    sandbox
        .admin_client(KEY)
        .await
        .view_contract_pdf(&request, &hash)
        .await
        .data()
        .expect("the admin views any request of the tenant");
    // The hosted PDF refuses a forged hash.
    let reply = sandbox
        .http()
        .get(sandbox.url(&format!(
            "/__sandbox/contracts/{request}.pdf?SecurityHash={forged}"
        )))
        .send()
        .await
        .expect("answered");
    assert_eq!(reply.status(), 403);
    let reply = sandbox
        .http()
        .get(sandbox.url("/__sandbox/contracts/not-a-uuid.pdf?SecurityHash=00"))
        .send()
        .await
        .expect("answered");
    assert_eq!(reply.status(), 400);
    sandbox.finish().await;
}

#[tokio::test]
async fn links_expire_after_15_minutes() {
    let sandbox = TestSandbox::start().await;
    let tenant = sandbox.tenant(false).await;
    let key = tenant.api_key.expose_secret();
    let (_user, client, request) = sandbox.approved_loan(key).await;
    let url = signing_link(&client, request).await;
    let (_, hash) = parse_link(&url, sandbox.base_url());
    sandbox.advance_clock(key, 899).await;
    client
        .view_contract_pdf(&request, &hash)
        .await
        .data()
        .expect("still valid");
    sandbox.advance_clock(key, 1).await;
    assert_code(
        client.view_contract_pdf(&request, &hash).await.data(),
        KnownErrorCode::InvalidSecurityHash,
    );
    let page = sandbox.http().get(&url).send().await.expect("answered");
    assert_eq!(page.status(), 403);
    sandbox.finish().await;
}

/// Issue 8: links were built from the `Host` header, so `Host: evil.example` got a link with a
/// real SecurityHash pointing at evil.example. By default they point at the bound address.
#[tokio::test]
async fn links_point_at_the_bound_address_whatever_the_host_header_says() {
    let sandbox = TestSandbox::start().await;
    let (user, _client, request) = sandbox.approved_loan(KEY).await;
    let port = sandbox.running().local_addr().port();
    let localhost = Client::builder(format!("http://localhost:{port}"), KEY)
        .bearer_token(user.access_token.expose_secret())
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    let url = signing_link(&localhost, request).await;
    assert!(
        url.starts_with(&format!("{}/sign?", sandbox.base_url())),
        "{url}"
    );
    let forged: serde_json::Value = sandbox
        .http()
        .post(sandbox.url("/api/BusinessRequest/GenerateSignContractLink"))
        .header("ApiKey", KEY)
        .header("Host", "evil.example")
        .bearer_auth(user.access_token.expose_secret())
        .json(&sign_input(Some(request), None))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("an envelope");
    let link = forged["data"].as_str().unwrap_or_default();
    assert!(
        link.starts_with(&format!("{}/sign?", sandbox.base_url())),
        "{link}"
    );
    assert_eq!(
        sandbox.running().public_base_url(),
        Some(sandbox.base_url())
    );
    sandbox.finish().await;
}

/// A sandbox behind a proxy: every link (signing page, contract PDF, payment page) points at
/// the configured public base URL, path prefix included.
#[tokio::test]
async fn links_point_at_the_configured_public_base_url() {
    let sandbox = TestSandbox::start_config(vlens_sandbox::SandboxConfig {
        public_base_url: vlens_sandbox::PublicBaseUrl::Fixed(
            "https://proxy.example:8443/vlens/".to_string(),
        ),
        ..vlens_sandbox::SandboxConfig::default()
    })
    .await;
    let public = "https://proxy.example:8443/vlens";
    let (_user, client, request, payment) = sandbox.paid_lease_with_payment_url(KEY).await;
    assert!(
        payment.starts_with(&format!(
            "{public}/__sandbox/payments/{request}?SecurityHash="
        )),
        "{payment}"
    );
    let url = signing_link(&client, request).await;
    let (_, hash) = parse_link(&url, public);
    let pdf = client
        .view_contract_pdf(&request, &hash)
        .await
        .data()
        .expect("the link opens")
        .into_exposed();
    assert!(
        pdf.starts_with(&format!("{public}/__sandbox/contracts/{request}.pdf?")),
        "{pdf}"
    );
    assert_eq!(sandbox.running().public_base_url(), Some(public));
    sandbox.finish().await;
}

/// Asked for, links follow each request's `Host` (the old behaviour).
#[tokio::test]
async fn links_follow_the_host_header_only_when_asked() {
    let sandbox = TestSandbox::start_config(vlens_sandbox::SandboxConfig {
        public_base_url: vlens_sandbox::PublicBaseUrl::FromHostHeader,
        ..vlens_sandbox::SandboxConfig::default()
    })
    .await;
    let (user, _client, request) = sandbox.approved_loan(KEY).await;
    let port = sandbox.running().local_addr().port();
    let localhost = Client::builder(format!("http://localhost:{port}"), KEY)
        .bearer_token(user.access_token.expose_secret())
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    let url = signing_link(&localhost, request).await;
    assert!(
        url.starts_with(&format!("http://localhost:{port}/sign?")),
        "{url}"
    );
    assert_eq!(sandbox.running().public_base_url(), None);
    sandbox.finish().await;
}

#[tokio::test]
async fn a_public_base_url_that_is_not_one_is_refused() {
    for bad in [
        "ftp://proxy.example",
        "https://proxy.example/?a=1",
        "/relative",
        "https://u@proxy.example",
    ] {
        let config = vlens_sandbox::SandboxConfig {
            public_base_url: vlens_sandbox::PublicBaseUrl::Fixed(bad.to_string()),
            ..vlens_sandbox::SandboxConfig::default()
        };
        assert!(
            matches!(
                vlens_sandbox::start(config).await,
                Err(vlens_sandbox::StartError::InvalidSettings(_))
            ),
            "{bad}"
        );
        assert!(
            bad.parse::<vlens_sandbox::PublicBaseUrl>().is_err(),
            "{bad}"
        );
    }
    assert_eq!(
        "from-host-header".parse(),
        Ok(vlens_sandbox::PublicBaseUrl::FromHostHeader)
    );
}

/// Signing and payment links are of different purposes: a payment page's hash does not open
/// the contract (ViewContractPdf, the PDF, the signing page), and a signing hash does not open
/// the payment page. Each still opens its own.
#[tokio::test]
async fn a_payment_hash_and_a_signing_hash_open_only_their_own_pages() {
    let sandbox = TestSandbox::start().await;
    let (_user, client, request, payment_url) = sandbox.paid_lease_with_payment_url(KEY).await;
    let payment_hash = payment_url
        .split_once("SecurityHash=")
        .map(|(_, hash)| hash.to_string())
        .expect("the payment URL has a SecurityHash");
    let signing_url = signing_link(&client, request).await;
    let (_, signing_hash) = parse_link(&signing_url, sandbox.base_url());
    let status = |path: String| {
        let url = sandbox.url(&path);
        let http = sandbox.http().clone();
        async move {
            http.get(url)
                .send()
                .await
                .expect("answered")
                .status()
                .as_u16()
        }
    };

    assert_code(
        client
            .view_contract_pdf(&request, &payment_hash)
            .await
            .data(),
        KnownErrorCode::InvalidSecurityHash,
    );
    let contract = |hash: &str| format!("/__sandbox/contracts/{request}.pdf?SecurityHash={hash}");
    let signing = |hash: &str| format!("/sign?RequestId={request}&SecurityHash={hash}");
    let payment = |hash: &str| format!("/__sandbox/payments/{request}?SecurityHash={hash}");
    assert_eq!(status(contract(&payment_hash)).await, 403);
    assert_eq!(status(signing(&payment_hash)).await, 403);
    assert_eq!(status(payment(&signing_hash)).await, 403);

    client
        .view_contract_pdf(&request, &signing_hash)
        .await
        .data()
        .expect("the signing hash opens the contract");
    assert_eq!(status(contract(&signing_hash)).await, 200);
    assert_eq!(status(signing(&signing_hash)).await, 200);
    assert_eq!(status(payment(&payment_hash)).await, 200);
    sandbox.finish().await;
}
