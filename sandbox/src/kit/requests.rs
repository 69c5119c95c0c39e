//! Business-request fixtures: a request of any product with valid values, approved or at any
//! status, its signing link, and its activation.

use std::collections::BTreeMap;
use std::fmt;

use chrono::Utc;
use uuid::Uuid;
use vlens_client::types::{self, GeoLocation, RequestStatus};
use vlens_client::{Client, ResultExt, Secret};

use super::{Kit, KitError, default_location};
use crate::control::{CreatedUser, SentOtp};

/// The date the kit writes in a form's date fields.
const SAMPLE_DATE: &str = "2026-02-01";

/// A business request to create for a user: see [`Kit::request`].
#[must_use = "a fixture does nothing until `create`, `approved` or `at_status` is awaited"]
pub struct RequestFixture<'k> {
    kit: &'k Kit,
    user: CreatedUser,
    type_id: i32,
    values: BTreeMap<String, String>,
    location: GeoLocation,
}

impl Kit {
    /// A request of product `type_id` (`defaults::PERSONAL_LOAN_TYPE_ID`, ...) for `user`,
    /// its form filled from the product's template with valid values (the first choice of each
    /// dropdown, a date, sample text such as `fullName: Nour Hassan`; fields with a default
    /// and tables are left out), created in Cairo. Change a value with
    /// [`RequestFixture::value`], then `create`, `approved` or `at_status`.
    pub fn request(&self, user: &CreatedUser, type_id: i32) -> RequestFixture<'_> {
        RequestFixture {
            kit: self,
            user: user.clone(),
            type_id,
            values: BTreeMap::new(),
            location: default_location(),
        }
    }

    /// A request of product `type_id` for `user`, approved: the products approved on creation
    /// (414, 416) as created, the others (415) approved through the control API, as the
    /// provider would in the portal.
    pub async fn approved_request(
        &self,
        user: &CreatedUser,
        type_id: i32,
    ) -> Result<types::BusinessRequest, KitError> {
        self.request(user, type_id).approved().await
    }

    /// GenerateSignContractLink for `request` of `user`: the WebView URL, with its request id
    /// and SecurityHash read from it.
    pub async fn signing_link(
        &self,
        user: &CreatedUser,
        request: Uuid,
    ) -> Result<SigningLink, KitError> {
        let client = self.user_client(user)?;
        let input =
            types::CustomerSignInput::new(default_location(), Utc::now()).request_id(request);
        let url = client.generate_sign_contract_link(&input).await.data()?;
        SigningLink::parse(url)
    }

    /// StepRequestOtp for `request` of `user`, from Cairo, and the OTP the sandbox "sent by
    /// SMS" (its `otp_request_id` and `code` are what StepValidateOtp takes).
    pub async fn activation_otp(
        &self,
        user: &CreatedUser,
        request: Uuid,
    ) -> Result<SentOtp, KitError> {
        let client = self.user_client(user)?;
        let input =
            types::StepRequestOtpInput::new(default_location(), Utc::now()).request_id(request);
        client.customer_sign_step_request_otp(&input).await.data()?;
        self.last_otp(&user.phone_number).await
    }

    /// The whole activation of an approved `request` of `user`, from Cairo: an OTP, validated,
    /// then StepValidatePayment (through the `fawry` gateway for paid products). Returns the
    /// request, now Customer Signed.
    pub async fn activate(
        &self,
        user: &CreatedUser,
        request: Uuid,
    ) -> Result<types::BusinessRequest, KitError> {
        let client = self.user_client(user)?;
        let otp = self.activation_otp(user, request).await?;
        let mut validate = types::StepValidateOtpInput::new(
            default_location(),
            otp.code,
            otp.otp_request_id,
            Utc::now(),
        )
        .request_id(request);
        validate.transaction_id = user.transaction_id;
        client
            .customer_sign_step_validate_otp(&validate)
            .await
            .data()?;
        let mut payment = types::CustomerSignInput::new(default_location(), Utc::now())
            .request_id(request)
            .payment_gateway("fawry");
        payment.transaction_id = user.transaction_id;
        client
            .customer_sign_step_validate_payment(&payment)
            .await
            .data()?;
        Ok(client.get_business_request_by_id(&request).await.data()?)
    }
}

impl RequestFixture<'_> {
    /// Sets (or adds) a form value.
    pub fn value(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.values.insert(key.into(), value.into());
        self
    }

    /// Creates the request at `location` instead of Cairo.
    pub fn location(mut self, location: GeoLocation) -> Self {
        self.location = location;
        self
    }

    /// Creates the request; its status is the product's (approved on creation or pending).
    pub async fn create(self) -> Result<types::CreatedBusinessRequest, KitError> {
        let client = self.kit.user_client(&self.user)?;
        self.create_with(&client).await
    }

    /// Creates the request and approves it through the control API when its product does not
    /// approve it on creation.
    pub async fn approved(self) -> Result<types::BusinessRequest, KitError> {
        self.at_status(RequestStatus::APPROVED).await
    }

    /// Creates the request, then gives it `status` through the control API (as the provider's
    /// portal does) unless it was created with it.
    pub async fn at_status(
        self,
        status: RequestStatus,
    ) -> Result<types::BusinessRequest, KitError> {
        let client = self.kit.user_client(&self.user)?;
        let kit = self.kit;
        let created = self.create_with(&client).await?;
        if created.requeststatus.as_ref() != Some(&status) {
            kit.set_status(created.id, status).await?;
        }
        Ok(client
            .get_business_request_by_id(&created.id)
            .await
            .data()?)
    }

    async fn create_with(self, client: &Client) -> Result<types::CreatedBusinessRequest, KitError> {
        let template = client
            .get_business_request_type_template_fields(None, self.type_id)
            .await
            .data()?;
        let mut values = sample_values(&template.requests_fields);
        values.extend(self.values);
        let input = types::CreateBusinessRequestInput::new(self.location, values)
            .user_device_utc_time(Utc::now());
        Ok(client
            .create_business_request(self.type_id, &input)
            .await
            .data()?)
    }
}

/// Valid values for a product's form: what a customer must fill in (tables are the provider's,
/// fields with a default may be left out).
fn sample_values(fields: &[types::RequestField]) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter(|field| field.type_ != "table" && field.default_value.is_none())
        .map(|field| {
            let first_choice = field
                .available_values
                .as_ref()
                .and_then(|values| values.first().cloned())
                .or_else(|| {
                    field
                        .available_values_items
                        .as_ref()
                        .and_then(|items| items.first().map(|item| item.name.clone()))
                });
            let key = field.key.to_ascii_lowercase();
            let value = match (field.type_.as_str(), first_choice) {
                (_, Some(choice)) => choice,
                ("date", None) => SAMPLE_DATE.to_owned(),
                _ if key.contains("name") => "Nour Hassan".to_owned(),
                _ if ["amount", "income", "price", "payment"]
                    .iter()
                    .any(|word| key.contains(word)) =>
                {
                    "15000".to_owned()
                }
                _ => "Sample".to_owned(),
            };
            (field.key.clone(), value)
        })
        .collect()
}

/// A signing link (GenerateSignContractLink): the URL a WebView opens, and what it carries.
/// `Debug` shows neither the URL nor the SecurityHash.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningLink {
    /// The whole URL (`.../sign?RequestId=...&SecurityHash=...`).
    pub url: Secret,
    /// Its `RequestId`.
    pub request_id: Uuid,
    /// Its `SecurityHash`, the page's credential.
    pub security_hash: Secret,
}

impl fmt::Debug for SigningLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningLink")
            .field("url", &self.url)
            .field("request_id", &self.request_id)
            .field("security_hash", &self.security_hash)
            .finish()
    }
}

impl SigningLink {
    /// Reads `RequestId` and `SecurityHash` from a signing URL.
    pub fn parse(url: Secret) -> Result<SigningLink, KitError> {
        let bad = |what: &str| KitError::Fixture(format!("the signing link has {what}"));
        let (_, query) = url
            .expose_secret()
            .split_once('?')
            .ok_or_else(|| bad("no query"))?;
        let mut request_id = None;
        let mut security_hash = None;
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("RequestId", value)) => request_id = Uuid::parse_str(value).ok(),
                Some(("SecurityHash", value)) => security_hash = Some(Secret::new(value)),
                _ => {}
            }
        }
        Ok(SigningLink {
            request_id: request_id.ok_or_else(|| bad("no RequestId uuid"))?,
            security_hash: security_hash.ok_or_else(|| bad("no SecurityHash"))?,
            url,
        })
    }
}
