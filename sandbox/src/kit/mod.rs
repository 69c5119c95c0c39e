//! A test kit: the usual fixtures of a Vlens integration test, made through the sandbox's
//! control API (the generated [`ControlClient`]) and the Vlens API (`vlens-client`), returned as
//! typed values — the generated `vlens_client::types` where the Vlens API is called, the
//! generated [`crate::control`] types otherwise.
//!
//! ```
//! use std::time::Duration;
//!
//! use vlens_client::{ResultExt, types::RequestStatus};
//! use vlens_sandbox::control::CreateUserInput;
//! use vlens_sandbox::{SandboxConfig, defaults, kit::Kit};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = vlens_sandbox::start(SandboxConfig::default()).await?;
//! let kit = Kit::new(&sandbox)?;
//!
//! // A verified user (a completed KYC transaction) who also has a password and an email, and
//! // their own client: the ApiKey and their bearer token are set.
//! let input = CreateUserInput::new().password("S3cret-pass").email("mona@example.com");
//! let user = kit.user(&input).await?;
//! let client = kit.user_client(&user)?;
//! assert!(client.check_eligibility().await.data()?.is_eligible);
//!
//! // An approved request of each product: 414 is approved on creation, 415 waits for the
//! // provider (the kit approves it through the control API), 416 is paid. A user has one open
//! // request at a time, so each has its own user.
//! for product in [414, 415, 416] {
//!     let owner = kit.verified_user().await?;
//!     let request = kit.approved_request(&owner, product).await?;
//!     assert_eq!(request.requeststatus, RequestStatus::APPROVED);
//! }
//!
//! // A request at a given status, its signing link, and its activation (the OTP is read from
//! // the sandbox's SMS outbox).
//! let rejected = kit.verified_user().await?;
//! let request = kit.request(&rejected, defaults::PERSONAL_LOAN_TYPE_ID)
//!     .value("loanPurpose", "Home")
//!     .at_status(RequestStatus::REJECTED)
//!     .await?;
//! assert_eq!(request.requeststatus, RequestStatus::REJECTED);
//! let lease = kit.approved_request(&user, defaults::COMMERCIAL_LEASE_TYPE_ID).await?;
//! let link = kit.signing_link(&user, lease.id).await?;
//! assert_eq!(link.request_id, lease.id);
//! let signed = kit.activate(&user, lease.id).await?;
//! assert_eq!(signed.requeststatus, RequestStatus::CUSTOMER_SIGNED);
//!
//! // A tenant of its own, whose clock moves without disturbing tests running beside it.
//! let tenant = kit.isolated_tenant().await?;
//! let later = tenant.advance_clock(Duration::from_secs(600)).await?;
//! assert!(later > chrono::Utc::now());
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Every kit call acts within its ApiKey's tenant: [`Kit::new`] is the `Default` tenant,
//! [`Kit::isolated_tenant`] makes a fresh one, [`Kit::connect`] names a sandbox elsewhere.

mod error;
mod requests;

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderValue;
use uuid::Uuid;
use vlens_client::types::{self, RequestStatus};
use vlens_client::{Client, ClientBuilder, ResultExt, RetryPolicy, Secret};

use crate::control::{
    AdvanceClockInput, ControlClient, ControlState, CreateTenantInput, CreateUserInput,
    CreatedUser, Health, InjectFaultInput, InjectedFault, MintIdTokenInput,
    MintIdTokenInputProvider, RateLimitsInfo, RequestStatusChange, SentOtp, SetRateLimitsInput,
    SetStatusInput, TenantInfo,
};
use crate::defaults;
use crate::server::RunningSandbox;

pub use error::{ControlError, KitError};
pub use requests::{RequestFixture, SigningLink};

use error::data;

/// How long a kit call may take: the sandbox answers in milliseconds, so anything near this is
/// a hang worth failing on.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Fixtures for one tenant of a sandbox. Cheap to clone (clones share one HTTP client).
#[derive(Clone)]
pub struct Kit {
    base_url: String,
    api_key: Secret,
    /// Known for the `Default` tenant and for the tenants the kit makes; read from the health
    /// check otherwise.
    tenancy_name: Option<String>,
    tenant: Option<TenantInfo>,
    http: reqwest::Client,
    control: ControlClient,
}

impl std::fmt::Debug for Kit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A base URL may carry credentials (`user:password@`) or a query: show neither.
        let shown = self.base_url.split(['?', '#']).next().unwrap_or_default();
        let shown = match (shown.find("://"), shown.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}://***{}", &shown[..scheme], &shown[at..])
            }
            _ => shown.to_owned(),
        };
        f.debug_struct("Kit")
            .field("base_url", &shown)
            .field("api_key", &self.api_key)
            .field("tenancy_name", &self.tenancy_name)
            .finish_non_exhaustive()
    }
}

impl Kit {
    /// A kit for the `Default` tenant of a sandbox started in this process (with the ApiKey it
    /// was configured with).
    pub fn new(sandbox: &RunningSandbox) -> Result<Kit, KitError> {
        let api_key = sandbox
            .default_api_key()
            .unwrap_or_else(|| defaults::DEFAULT_API_KEY.to_owned());
        let mut kit = Kit::connect(sandbox.base_url(), api_key)?;
        kit.tenancy_name = Some(defaults::DEFAULT_TENANCY_NAME.to_owned());
        Ok(kit)
    }

    /// A kit for the tenant of `api_key` of a sandbox at `base_url` (another process, a
    /// container). Nothing is sent until the first call.
    pub fn connect(base_url: &str, api_key: impl Into<Secret>) -> Result<Kit, KitError> {
        let http = vlens_client::http::client_builder()
            .timeout(CALL_TIMEOUT)
            .build()
            .map_err(|e| KitError::Transport {
                operation: "building the kit's HTTP client",
                message: e.without_url().to_string(),
                source: None,
            })?;
        Kit::with_http_client(base_url, api_key, http)
    }

    /// [`Kit::connect`] with an HTTP client of one's own (a proxy, root certificates, timeouts;
    /// start from [`vlens_client::http::client_builder`]). The kit's Vlens clients use it too.
    pub fn with_http_client(
        base_url: &str,
        api_key: impl Into<Secret>,
        http: reqwest::Client,
    ) -> Result<Kit, KitError> {
        let api_key = api_key.into();
        let base_url = base_url.trim_end_matches('/').to_owned();
        let mut header = HeaderValue::from_str(api_key.expose_secret())
            .map_err(|_| vlens_client::InvalidHeader { what: "ApiKey" })?;
        header.set_sensitive(true);
        let control = ControlClient::new_with_client(
            &base_url,
            http.clone(),
            ControlState { api_key: header },
        );
        Ok(Kit {
            base_url,
            api_key,
            tenancy_name: None,
            tenant: None,
            http,
            control,
        })
    }

    /// The sandbox's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The tenant's ApiKey.
    pub fn api_key(&self) -> &Secret {
        &self.api_key
    }

    /// The tenant, with its admin's credentials, when [`Kit::isolated_tenant`] made it.
    pub fn tenant(&self) -> Option<&TenantInfo> {
        self.tenant.as_ref()
    }

    /// The generated control client, for what the kit does not wrap (it sends the kit's
    /// ApiKey).
    pub fn control(&self) -> &ControlClient {
        &self.control
    }

    // ------------------------------------------------------------------ Vlens clients

    /// A Vlens client builder for this sandbox and tenant, sharing the kit's HTTP client,
    /// without retries (a fault a test injects reaches the test).
    pub fn client_builder(&self) -> ClientBuilder {
        Client::builder(self.base_url.as_str(), self.api_key.expose_secret())
            .http_client(self.http.clone())
            .retry_policy(RetryPolicy::none())
    }

    /// A Vlens client with the tenant's ApiKey and no token (registration, login).
    pub fn client(&self) -> Result<Client, KitError> {
        Ok(self.client_builder().build()?)
    }

    /// A Vlens client for `user`: the tenant's ApiKey and the user's access token.
    pub fn user_client(&self, user: &CreatedUser) -> Result<Client, KitError> {
        Ok(self
            .client_builder()
            .bearer_token(user.access_token.clone())
            .build()?)
    }

    /// A Vlens client with an admin token of this tenant (AU1 login as its admin).
    pub async fn admin_client(&self) -> Result<Client, KitError> {
        let tenancy = match &self.tenancy_name {
            Some(name) => name.clone(),
            None => self.health().await?.tenancy_name,
        };
        let (user, password) = match &self.tenant {
            Some(tenant) => (
                tenant.admin_user_name.clone(),
                tenant.admin_password.clone(),
            ),
            None => (
                defaults::ADMIN_USER_NAME.to_owned(),
                Secret::new(defaults::ADMIN_PASSWORD),
            ),
        };
        let client = self.client_builder().tenancy_name(&tenancy).build()?;
        let invalid =
            |what: &str| KitError::Fixture(format!("the admin login's {what} is invalid"));
        let input = types::LoginInput::new(
            password,
            types::LoginInputTenancyName::try_from(tenancy.as_str())
                .map_err(|_| invalid("tenancy name"))?,
            types::LoginInputUserNameOrEmailAddress::try_from(user.as_str())
                .map_err(|_| invalid("user name"))?,
        );
        let login = client.login(&input).await.data()?;
        client.set_bearer_token(&login.access_token)?;
        Ok(client)
    }

    // ------------------------------------------------------------------ the control API

    /// `GET /__sandbox/health`: the sandbox answers, and names the ApiKey's tenant.
    pub async fn health(&self) -> Result<Health, KitError> {
        data("sandbox-health", self.control.sandbox_health().await).await
    }

    /// A fresh tenant (its own ApiKey, admin, catalogue and clock), and a kit for it: tests that
    /// move the clock, inject faults or set limits use one, so that tests beside them are not
    /// disturbed.
    pub async fn isolated_tenant(&self) -> Result<Kit, KitError> {
        self.isolated_tenant_with(&CreateTenantInput::new()).await
    }

    /// [`Kit::isolated_tenant`] with settings (`require_email_confirmation`).
    pub async fn isolated_tenant_with(&self, input: &CreateTenantInput) -> Result<Kit, KitError> {
        let tenant = data(
            "sandbox-create-tenant",
            self.control.sandbox_create_tenant(input).await,
        )
        .await?;
        let mut kit =
            Kit::with_http_client(&self.base_url, tenant.api_key.clone(), self.http.clone())?;
        kit.tenancy_name = Some(tenant.tenancy_name.clone());
        kit.tenant = Some(tenant);
        Ok(kit)
    }

    /// A registered user with tokens, as `input` says: `CreateUserInput::new()` is verified (a
    /// completed KYC transaction), registered in Cairo, with a fresh phone number and no
    /// password; its setters give a password, an email, a location, an unverified user.
    pub async fn user(&self, input: &CreateUserInput) -> Result<CreatedUser, KitError> {
        data(
            "sandbox-create-user",
            self.control.sandbox_create_user(input).await,
        )
        .await
    }

    /// A verified user registered in Cairo ([`Kit::user`] with the defaults).
    pub async fn verified_user(&self) -> Result<CreatedUser, KitError> {
        self.user(&CreateUserInput::new()).await
    }

    /// The last OTP the sandbox "sent by SMS" to `phone_number`.
    pub async fn last_otp(&self, phone_number: &str) -> Result<SentOtp, KitError> {
        data(
            "sandbox-get-otp",
            self.control.sandbox_get_otp(None, Some(phone_number)).await,
        )
        .await
    }

    /// The last OTP the sandbox "sent by email" to `email`.
    pub async fn last_email_otp(&self, email: &str) -> Result<SentOtp, KitError> {
        data(
            "sandbox-get-otp",
            self.control.sandbox_get_otp(Some(email), None).await,
        )
        .await
    }

    /// Gives a business request a status, as the provider does in the Vlens portal (approve,
    /// reject, countersign). An activation under way is void.
    pub async fn set_status(
        &self,
        request: Uuid,
        status: RequestStatus,
    ) -> Result<RequestStatusChange, KitError> {
        data(
            "sandbox-set-request-status",
            self.control
                .sandbox_set_request_status(&request, &SetStatusInput::new(status.0))
                .await,
        )
        .await
    }

    /// Moves this tenant's clock forward (whole seconds, rounded up); returns its time now.
    /// Only this tenant's clock moves: use an [`Kit::isolated_tenant`].
    pub async fn advance_clock(&self, by: Duration) -> Result<DateTime<Utc>, KitError> {
        let seconds = by.as_secs() + u64::from(by.subsec_nanos() > 0);
        let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
        let clock = data(
            "sandbox-advance-clock",
            self.control
                .sandbox_advance_clock(&AdvanceClockInput::new(seconds))
                .await,
        )
        .await?;
        Ok(clock.now)
    }

    /// Forgets this tenant's users, requests, OTPs, faults, limits and clock offset.
    pub async fn reset(&self) -> Result<(), KitError> {
        data("sandbox-reset", self.control.sandbox_reset().await)
            .await
            .map(drop)
    }

    /// Makes the next requests of an operation answer a server error
    /// (`InjectFaultInput::new("check-eligibility").status(503).count(2)`).
    pub async fn inject_fault(&self, fault: &InjectFaultInput) -> Result<InjectedFault, KitError> {
        data(
            "sandbox-inject-fault",
            self.control.sandbox_inject_fault(fault).await,
        )
        .await
    }

    /// Sets this tenant's throttling limits (`None` inside a setter turns one off); returns
    /// them all. `SetRateLimitsInput::new()` only reads them.
    pub async fn set_rate_limits(
        &self,
        limits: &SetRateLimitsInput,
    ) -> Result<RateLimitsInfo, KitError> {
        data(
            "sandbox-set-rate-limits",
            self.control.sandbox_set_rate_limits(limits).await,
        )
        .await
    }

    /// An OAuth ID token for `email` that StepVerifyOAuthToken and VerifyOAuthToken accept.
    pub async fn id_token(
        &self,
        provider: MintIdTokenInputProvider,
        email: &str,
    ) -> Result<Secret, KitError> {
        let minted = data(
            "sandbox-mint-id-token",
            self.control
                .sandbox_mint_id_token(&MintIdTokenInput::new(email, provider))
                .await,
        )
        .await?;
        Ok(minted.id_token)
    }
}

/// Where the control API registers users unless told otherwise (Cairo), and where the kit's
/// requests and activations are made from.
pub fn default_location() -> types::GeoLocation {
    types::GeoLocation::new(defaults::DEFAULT_LATITUDE, defaults::DEFAULT_LONGITUDE)
}
