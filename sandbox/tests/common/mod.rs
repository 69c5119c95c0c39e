//! Shared helpers of the sandbox's tests: a sandbox whose every reply is checked against the
//! specs (JSON Schema on the raw JSON, via vlens-openapi), clients, and fixtures through the
//! test kit (`vlens_sandbox::kit`), which panic here instead of returning errors.
#![allow(dead_code)]

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};
use vlens_client::{Client, KnownErrorCode, ResultExt, RetryPolicy, types};
use vlens_sandbox::control::{
    CreateTenantInput, CreateUserInput, CreatedUser, SentOtp, TenantInfo,
};
use vlens_sandbox::kit::Kit;
use vlens_sandbox::{ObservedResponse, RunningSandbox, SandboxConfig, defaults};

mod inputs;

pub use inputs::*;

pub const KEY: &str = defaults::DEFAULT_API_KEY;
pub const OTHER_KEY: &str = defaults::OTHER_API_KEY;
pub const CAIRO: (f64, f64) = (defaults::DEFAULT_LATITUDE, defaults::DEFAULT_LONGITUDE);

/// A sandbox for one test. Every reply it gives is validated against `openapi/vlens.yaml` (or
/// `openapi/sandbox-control.yaml` for the control API and hosted pages); dropping it fails
/// the test if any reply did not conform.
pub struct TestSandbox {
    sandbox: Option<RunningSandbox>,
    violations: Arc<Mutex<Vec<String>>>,
    checked: Arc<Mutex<usize>>,
    http: reqwest::Client,
}

impl TestSandbox {
    pub async fn start() -> Self {
        Self::start_with(None).await
    }

    pub async fn start_with(seed: Option<u64>) -> Self {
        Self::start_config(SandboxConfig {
            seed,
            ..SandboxConfig::default()
        })
        .await
    }

    /// A sandbox without throttling, for tests that send one request far more OTPs than the
    /// default limit (10 per 15 minutes) allows because they test something else: supersession
    /// under load, races, memory. `throttling.rs` tests the limits.
    pub async fn start_unthrottled() -> Self {
        Self::start_config(SandboxConfig {
            rate_limits: vlens_sandbox::RateLimits::off(),
            ..SandboxConfig::default()
        })
        .await
    }

    /// A sandbox with this configuration (its observer is replaced by the spec check).
    pub async fn start_config(config: SandboxConfig) -> Self {
        let violations = Arc::new(Mutex::new(Vec::new()));
        let checked = Arc::new(Mutex::new(0usize));
        let (sink, count) = (Arc::clone(&violations), Arc::clone(&checked));
        let config = SandboxConfig {
            observer: Some(Arc::new(move |reply: &ObservedResponse| {
                *count.lock().unwrap_or_else(PoisonError::into_inner) += 1;
                if let Err(problem) = check_reply(reply) {
                    sink.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(problem);
                }
            })),
            ..config
        };
        let sandbox = vlens_sandbox::start(config)
            .await
            .expect("the sandbox starts");
        vlens_client::tls::install_crypto_provider();
        Self {
            sandbox: Some(sandbox),
            violations,
            checked,
            http: reqwest::Client::new(),
        }
    }

    pub fn base_url(&self) -> &str {
        self.sandbox.as_ref().map_or("", |s| s.base_url())
    }

    pub fn running(&self) -> &RunningSandbox {
        self.sandbox.as_ref().expect("running")
    }

    /// How many replies were checked against the specs so far.
    pub fn checked_replies(&self) -> usize {
        *self.checked.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A generated client with this ApiKey and no token.
    pub fn client(&self, api_key: &str) -> Client {
        Client::builder(self.base_url(), api_key)
            .retry_policy(RetryPolicy::none())
            .build()
            .expect("client builds")
    }

    /// A generated client with this ApiKey and bearer token.
    pub fn client_with_token(&self, api_key: &str, token: &str) -> Client {
        let client = self.client(api_key);
        client
            .set_bearer_token(token)
            .expect("token is a header value");
        client
    }

    /// The raw HTTP client (for bad input the generated client cannot send).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// The test kit for the tenant with `api_key`: fixtures through the typed control client.
    pub fn kit(&self, api_key: &str) -> Kit {
        Kit::with_http_client(self.base_url(), api_key, self.http.clone()).expect("kit")
    }

    /// A raw control-API call, for bodies the typed client cannot send (bad input): its status
    /// and envelope.
    pub async fn control_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        api_key: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, self.url(path))
            .header("ApiKey", api_key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = request.send().await.expect("control call is answered");
        let status = reply.status().as_u16();
        (status, reply.json().await.expect("control envelope"))
    }

    /// A verified user of the tenant with `api_key`, registered in Cairo.
    pub async fn user(&self, api_key: &str) -> CreatedUser {
        self.user_with(api_key, CreateUserInput::new()).await
    }

    pub async fn user_with(&self, api_key: &str, input: CreateUserInput) -> CreatedUser {
        self.kit(api_key).user(&input).await.expect("a user")
    }

    /// A client for `user`.
    pub fn user_client(&self, api_key: &str, user: &CreatedUser) -> Client {
        self.client_with_token(api_key, user.access_token.expose_secret())
    }

    /// A verified user of the tenant with `api_key`, their client, and their approved
    /// Personal Loan.
    pub async fn approved_loan(&self, api_key: &str) -> (CreatedUser, Client, uuid::Uuid) {
        let user = self.user(api_key).await;
        let client = self.user_client(api_key, &user);
        let request = create_request(&client, defaults::PERSONAL_LOAN_TYPE_ID).await;
        (user, client, request)
    }

    /// A client with an admin token of the tenant with `api_key`.
    pub async fn admin_client(&self, api_key: &str) -> Client {
        self.kit(api_key).admin_client().await.expect("admin login")
    }

    /// Admin login (AU1) in the tenant with `api_key` (named `tenancy`).
    pub async fn admin_login(&self, api_key: &str, tenancy: &str) -> types::LoginOutput {
        Client::builder(self.base_url(), api_key)
            .tenancy_name(tenancy)
            .retry_policy(RetryPolicy::none())
            .build()
            .expect("client builds")
            .login(&types::LoginInput::new(
                defaults::ADMIN_PASSWORD,
                types::LoginInputTenancyName::try_from(tenancy).expect("short"),
                types::LoginInputUserNameOrEmailAddress::try_from(defaults::ADMIN_USER_NAME)
                    .expect("short"),
            ))
            .await
            .data()
            .expect("admin login")
    }

    /// A verified user, their client, their Commercial Lease (a paid product) approved, and
    /// the payment URL StepValidateOtp answered for it.
    pub async fn paid_lease_with_payment_url(
        &self,
        api_key: &str,
    ) -> (CreatedUser, Client, uuid::Uuid, String) {
        let kit = self.kit(api_key);
        let user = self.user(api_key).await;
        let client = self.user_client(api_key, &user);
        let request = kit
            .approved_request(&user, defaults::COMMERCIAL_LEASE_TYPE_ID)
            .await
            .expect("an approved lease")
            .id;
        let otp = kit.activation_otp(&user, request).await.expect("an OTP");
        let url = client
            .customer_sign_step_validate_otp(&validate_otp_input(
                request,
                otp.otp_request_id,
                otp.code,
            ))
            .await
            .data()
            .expect("the OTP validates")
            .into_exposed();
        (user, client, request, url)
    }

    /// Requests an activation OTP for `request` from Cairo; returns its id and code.
    pub async fn activation_otp(
        &self,
        client: &Client,
        api_key: &str,
        phone: &str,
        request: uuid::Uuid,
    ) -> (uuid::Uuid, String) {
        let sent = client
            .customer_sign_step_request_otp(&request_otp_input(CAIRO, Some(request)))
            .await
            .data()
            .expect("an OTP is sent");
        let code = self.otp(api_key, phone).await.code.into_exposed();
        (sent.otp_request_id, code)
    }

    /// Requests and validates an activation OTP for `request`: StepValidatePayment may run.
    pub async fn validated_otp(
        &self,
        client: &Client,
        api_key: &str,
        phone: &str,
        request: uuid::Uuid,
    ) {
        let (id, code) = self.activation_otp(client, api_key, phone, request).await;
        client
            .customer_sign_step_validate_otp(&validate_otp_input(request, id, &code))
            .await
            .data()
            .expect("the OTP validates");
    }

    /// The last OTP sent to a phone number.
    pub async fn otp(&self, api_key: &str, phone: &str) -> SentOtp {
        self.kit(api_key).last_otp(phone).await.expect("an OTP")
    }

    pub async fn set_status(&self, api_key: &str, request_id: uuid::Uuid, status: i32) {
        self.kit(api_key)
            .set_status(request_id, types::RequestStatus(status))
            .await
            .expect("the status changes");
    }

    pub async fn advance_clock(&self, api_key: &str, seconds: i64) {
        let seconds = u64::try_from(seconds).expect("the clock only moves forward");
        self.kit(api_key)
            .advance_clock(std::time::Duration::from_secs(seconds))
            .await
            .expect("the clock moves");
    }

    /// A fresh isolated tenant (for clock and settings tests).
    pub async fn tenant(&self, require_email_confirmation: bool) -> TenantInfo {
        let input = CreateTenantInput::new().require_email_confirmation(require_email_confirmation);
        let kit = self.kit(KEY).isolated_tenant_with(&input).await;
        kit.expect("a tenant")
            .tenant()
            .cloned()
            .expect("its credentials")
    }

    /// Stops the sandbox and fails on any non-conforming reply.
    pub async fn finish(mut self) {
        if let Some(sandbox) = self.sandbox.take() {
            sandbox.shutdown().await;
        }
        self.assert_conforming();
    }

    fn assert_conforming(&self) {
        let violations = self
            .violations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        assert!(
            violations.is_empty(),
            "replies that do not conform to the specs:\n{}",
            violations.join("\n")
        );
    }
}

impl Drop for TestSandbox {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.assert_conforming();
        }
    }
}

/// Checks one reply against the specs: the status is declared for the operation, the JSON
/// body validates against that response's schema, a business error code is one the operation
/// declares in `x-vlens-error-codes`, and a transport error's `error_code` repeats the status.
pub fn check_reply(reply: &ObservedResponse) -> Result<(), String> {
    let where_ = format!("{} {} -> {}", reply.method, reply.path, reply.status);
    let is_json = reply
        .content_type
        .as_deref()
        .is_some_and(|t| t.starts_with("application/json"));
    let body: Option<Value> = if is_json {
        Some(
            serde_json::from_slice(&reply.body)
                .map_err(|e| format!("{where_}: body is not JSON: {e}"))?,
        )
    } else {
        None
    };
    let control = reply.path.starts_with("/__sandbox") || reply.path == "/sign";
    let spec = if control {
        vlens_openapi::sandbox_control()
    } else {
        vlens_openapi::vlens()
    };
    // Every JSON reply is an envelope; an error's code repeats its HTTP status.
    if let Some(body) = &body {
        for field in ["data", "error_code", "error_message", "error_descriptions"] {
            if body.get(field).is_none() {
                return Err(format!("{where_}: envelope lacks `{field}`"));
            }
        }
        if reply.status >= 400 && body["error_code"] != json!(reply.status) {
            return Err(format!(
                "{where_}: error_code {} is not the status",
                body["error_code"]
            ));
        }
    } else if reply.status >= 400
        || reply.status == 200 && control && reply.path == "/__sandbox/health"
    {
        return Err(format!(
            "{where_}: an error or control reply that is not JSON"
        ));
    }
    let Some(operation) = spec.find_operation(&reply.method, &reply.path) else {
        // No such route (the 404/405 fallbacks): the envelope was checked above; its body must
        // still be the spec's error envelope.
        if !matches!(reply.status, 404 | 405) {
            return Err(format!("{where_}: no operation in the spec serves this"));
        }
        let body = body.ok_or_else(|| format!("{where_}: not JSON"))?;
        return vlens_openapi::vlens()
            .validate_at("/components/schemas/ApiOutputError", &body)
            .map_err(|v| format!("{where_}: {v:?}"));
    };
    match &body {
        Some(body) => spec
            .validate_response(&operation.id, reply.status, body)
            .map_err(|violations| format!("{where_} ({}): {violations:?}", operation.id))?,
        None => spec
            .validate_response(&operation.id, reply.status, &Value::Null)
            .or_else(|violations| {
                // A non-JSON success (PDF, HTML) has no JSON schema to check; only an
                // undeclared status counts.
                if violations
                    .iter()
                    .any(|v| v.kind == vlens_openapi::ViolationKind::UndeclaredStatus)
                {
                    Err(violations)
                } else {
                    Ok(())
                }
            })
            .map_err(|violations| format!("{where_} ({}): {violations:?}", operation.id))?,
    }
    if let Some(code) = body
        .as_ref()
        .filter(|_| reply.status == 200 && !control)
        .and_then(|b| b["error_code"].as_i64())
        .filter(|code| *code != 0)
    {
        let name = i32::try_from(code)
            .ok()
            .and_then(KnownErrorCode::from_code)
            .map(KnownErrorCode::name)
            .ok_or_else(|| format!("{where_}: error_code {code} is not in the spec"))?;
        if !operation
            .error_codes
            .iter()
            .any(|declared| declared == name)
        {
            return Err(format!(
                "{where_} ({}): {name} is not in the operation's x-vlens-error-codes",
                operation.id
            ));
        }
    }
    Ok(())
}
