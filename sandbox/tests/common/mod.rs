//! Shared helpers of the sandbox's tests: a sandbox whose every reply is checked against the
//! specs (JSON Schema on the raw JSON, via vlens-openapi), clients, and fixtures through the
//! test kit (`vlens_sandbox::kit`), which panic here instead of returning errors.
#![allow(dead_code)]

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};
use vlens_client::{Client, KnownErrorCode, RetryPolicy, VlensError, types};
use vlens_sandbox::control::{
    CreateTenantInput, CreateUserInput, CreatedUser, SentOtp, TenantInfo,
};
use vlens_sandbox::kit::Kit;
use vlens_sandbox::{ObservedResponse, RunningSandbox, SandboxConfig, defaults};

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

// ------------------------------------------------------------------ assertions and inputs

/// The error a call failed with, asserting it is `code`.
pub fn assert_code<T: std::fmt::Debug>(result: Result<T, VlensError>, code: KnownErrorCode) {
    match result {
        Err(error) if error.is(code) => {
            let api = error.api().expect("an envelope error");
            assert_eq!(api.status, code.http_status(), "status of {code:?}");
            if api.status == 200 {
                // Business errors carry the spec's documented message.
                assert_eq!(api.message.as_deref(), Some(code.message()));
            }
        }
        other => panic!("expected {code:?} ({}), got {other:?}", code.code()),
    }
}

/// The `ApiError` of a failed call.
pub fn api_error<T: std::fmt::Debug>(result: Result<T, VlensError>) -> vlens_client::ApiError {
    match result {
        Err(VlensError::Api(api)) => api,
        other => panic!("expected an envelope error, got {other:?}"),
    }
}

pub fn geo(point: (f64, f64)) -> types::GeoLocation {
    types::GeoLocation {
        latitude: point.0,
        longitude: point.1,
    }
}

/// A point `km` from Cairo on `bearing`.
pub fn from_cairo(bearing: f64, km: f64) -> (f64, f64) {
    vlens_sandbox::destination_point(CAIRO.0, CAIRO.1, bearing, km)
}

pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// Valid field values for the Personal Loan (414).
pub fn loan_values() -> std::collections::BTreeMap<String, String> {
    [
        ("fullName", "Nour Hassan"),
        ("monthlyIncome", "15000"),
        ("loanAmount", "50000"),
        ("loanPurpose", "Car"),
        ("firstInstallmentDate", "2026-02-01"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Valid field values for the Commercial Lease Agreement (415).
pub fn lease_values() -> std::collections::BTreeMap<String, String> {
    [
        ("business_name", "Nile Tech Solutions"),
        ("business_activity", "IT Services"),
        ("lease_start_date", "2026-03-01"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Valid field values for the Device Instalment Plan (416).
pub fn device_values() -> std::collections::BTreeMap<String, String> {
    [
        ("fullName", "Nour Hassan"),
        ("deviceCategory", "Laptop"),
        ("deviceModel", "ThinkPad X1"),
        ("devicePrice", "60000"),
        ("firstInstallmentDate", "2026-02-01"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

pub fn create_input(
    values: std::collections::BTreeMap<String, String>,
) -> types::CreateBusinessRequestInput {
    types::CreateBusinessRequestInput {
        customer_signers_identifiers: None,
        geo_location: geo(CAIRO),
        is_dynamic_sub_types: None,
        minimum_required_signatories: None,
        request_fields_values: values,
        user_device_utc_time: Some(now()),
    }
}

/// Creates a request of `type_id` with valid values; returns its id.
pub async fn create_request(client: &Client, type_id: i32) -> uuid::Uuid {
    let values = match type_id {
        defaults::PERSONAL_LOAN_TYPE_ID => loan_values(),
        defaults::DEVICE_INSTALMENT_TYPE_ID => device_values(),
        _ => lease_values(),
    };
    client
        .create_business_request(type_id, &create_input(values))
        .await
        .data()
        .expect("create succeeds")
        .id
}

pub fn request_otp_input(
    at: (f64, f64),
    request_id: Option<uuid::Uuid>,
) -> types::StepRequestOtpInput {
    types::StepRequestOtpInput {
        contract_storage_id: None,
        geo_location: geo(at),
        payment_gateway: None,
        request_id,
        sms_providers: None,
        transaction_id: None,
        user_device_utc_time: now(),
    }
}

pub fn validate_otp_input(
    request_id: uuid::Uuid,
    otp_request_id: uuid::Uuid,
    code: impl Into<vlens_client::Secret>,
) -> types::StepValidateOtpInput {
    types::StepValidateOtpInput {
        contract_storage_id: None,
        geo_location: geo(CAIRO),
        otp_code: code.into(),
        otp_request_id,
        payment_gateway: None,
        request_id: Some(request_id),
        transaction_id: None,
        user_device_utc_time: now(),
    }
}

/// The request id and SecurityHash of a signing URL of `base`.
pub fn parse_link(url: &str, base: &str) -> (uuid::Uuid, String) {
    let query = url
        .strip_prefix(&format!("{base}/sign?"))
        .unwrap_or_else(|| panic!("{url} is not a signing URL of {base}"));
    let mut request = None;
    let mut hash = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("RequestId", value)) => request = uuid::Uuid::parse_str(value).ok(),
            Some(("SecurityHash", value)) => hash = Some(value.to_string()),
            _ => panic!("unexpected query part {pair}"),
        }
    }
    (request.expect("RequestId"), hash.expect("SecurityHash"))
}

/// GenerateSignContractLink for `request`, as the plain URL (tests read its SecurityHash).
pub async fn signing_link(client: &Client, request: uuid::Uuid) -> String {
    client
        .generate_sign_contract_link(&sign_input(Some(request), None))
        .await
        .data()
        .expect("link")
        .into_exposed()
}

pub fn sign_input(
    request_id: Option<uuid::Uuid>,
    gateway: Option<&str>,
) -> types::CustomerSignInput {
    types::CustomerSignInput {
        contract_storage_id: None,
        geo_location: geo(CAIRO),
        payment_gateway: gateway.map(str::to_string),
        request_id,
        transaction_id: None,
        user_device_utc_time: now(),
    }
}

/// An ID side input (`getExtractedData` true).
pub fn id_side(image: &[u8], transaction: Option<uuid::Uuid>) -> types::VerifyIdInput {
    types::VerifyIdInput {
        client_transaction_id: None,
        country: None,
        get_extracted_data: Some(true),
        image: b64(image),
        name_check_value: None,
        request_id: None,
        transaction_id: transaction,
    }
}

/// A liveness input with three frames.
pub fn liveness_input(transaction: uuid::Uuid, faces: [&[u8]; 3]) -> types::LivenessInput {
    types::LivenessInput {
        face_1: b64(faces[0]),
        face_2: b64(faces[1]),
        face_3: b64(faces[2]),
        get_extracted_data: None,
        image: None,
        transaction_id: transaction,
    }
}

/// ID front, ID back and liveness on one new transaction; returns its id.
pub async fn verify_identity(client: &Client) -> uuid::Uuid {
    let tx = client
        .verify_id_front(&id_side(&jpeg(1), None))
        .await
        .data()
        .expect("front")
        .id_front_data
        .expect("front data")
        .transaction_id;
    client
        .verify_id_back(&id_side(&png(2), Some(tx)))
        .await
        .data()
        .expect("back");
    client
        .verify_liveness_multi(&liveness_input(tx, [&png(3), &png(4), &png(5)]))
        .await
        .data()
        .expect("liveness");
    tx
}

/// A small PNG, distinct per `variant`.
pub fn png(variant: u8) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0".to_vec();
    bytes.push(variant);
    bytes
}

/// A small JPEG header, distinct per `variant`.
pub fn jpeg(variant: u8) -> Vec<u8> {
    vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', variant,
    ]
}

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A wrong code for `code` (same length, different digits).
pub fn wrong_code(code: &str) -> String {
    code.chars()
        .map(|c| {
            if c == '9' {
                '0'
            } else {
                char::from(c as u8 + 1)
            }
        })
        .collect()
}

use vlens_client::ResultExt;
