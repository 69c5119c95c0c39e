//! The CustomerSign steps of one activation, with what they share filled in once.
//!
//! Every step (StepRequestOtp, StepReValidateLiveness, StepValidateOtp, StepValidatePayment)
//! carries the same request, verification transaction and device location, plus the device's
//! current time. [`Activation`] holds the shared part and stamps the time when each step is
//! sent; the positional methods stay available for anything it does not cover.

use chrono::Utc;
use uuid::Uuid;

use crate::envelope::CallResult;
use crate::generated::{Client, types};
use crate::secret::Secret;

/// One activation of a business request: see [`Client::activation`].
#[derive(Debug, Clone)]
pub struct Activation<'a> {
    client: &'a Client,
    request_id: Uuid,
    transaction_id: Uuid,
    location: types::GeoLocation,
    contract_storage_id: Option<Uuid>,
    payment_gateway: Option<String>,
}

impl Client {
    /// The activation of `request_id` by the user whose identity verification is
    /// `transaction_id`, from the device at `location`.
    ///
    /// ```no_run
    /// # async fn demo(client: &vlens_client::Client, request: uuid::Uuid, transaction: uuid::Uuid)
    /// # -> Result<(), vlens_client::VlensError> {
    /// use vlens_client::{KnownErrorCode, ResultExt, types::GeoLocation};
    /// let activation = client.activation(request, transaction, GeoLocation::new(31.2, 29.9));
    /// let otp = match activation.request_otp().await.data() {
    ///     Err(e) if e.is(KnownErrorCode::LocationRevalidationRequired) => {
    ///         # let scan = todo!();
    ///         activation.re_validate_liveness(scan).await.data()?;
    ///         activation.request_otp().await.data()?
    ///     }
    ///     other => other?,
    /// };
    /// activation.validate_otp(otp.otp_request_id, "123456").await.data()?;
    /// activation.validate_payment().await.data()?;
    /// # Ok(()) }
    /// ```
    pub fn activation(
        &self,
        request_id: Uuid,
        transaction_id: Uuid,
        location: types::GeoLocation,
    ) -> Activation<'_> {
        Activation {
            client: self,
            request_id,
            transaction_id,
            location,
            contract_storage_id: None,
            payment_gateway: None,
        }
    }
}

impl Activation<'_> {
    /// The device moved: the following steps report `location`.
    pub fn at(mut self, location: types::GeoLocation) -> Self {
        self.location = location;
        self
    }

    /// The stored contract the steps refer to, if the product has one.
    pub fn contract_storage_id(mut self, id: Uuid) -> Self {
        self.contract_storage_id = Some(id);
        self
    }

    /// The payment gateway, for products that take a payment.
    pub fn payment_gateway(mut self, gateway: impl Into<String>) -> Self {
        self.payment_gateway = Some(gateway.into());
        self
    }

    /// The StepRequestOtp body, stamped now (add `sms_providers` and send it with
    /// [`Client::customer_sign_step_request_otp`] to choose the SMS provider).
    pub fn request_otp_input(&self) -> types::StepRequestOtpInput {
        let mut input = types::StepRequestOtpInput::new(self.location.clone(), Utc::now())
            .request_id(self.request_id)
            .transaction_id(self.transaction_id);
        input.contract_storage_id = self.contract_storage_id;
        input.payment_gateway = self.payment_gateway.clone();
        input
    }

    /// The StepReValidateLiveness body for these three frames, stamped now.
    pub fn re_validate_liveness_input(
        &self,
        scan: types::ScanTransaction,
    ) -> types::StepReValidateLivenessInput {
        let mut input =
            types::StepReValidateLivenessInput::new(self.location.clone(), scan, Utc::now())
                .request_id(self.request_id)
                .transaction_id(self.transaction_id);
        input.contract_storage_id = self.contract_storage_id;
        input.payment_gateway = self.payment_gateway.clone();
        input
    }

    /// The StepValidateOtp body for this OTP, stamped now.
    pub fn validate_otp_input(
        &self,
        otp_request_id: Uuid,
        otp_code: impl Into<Secret>,
    ) -> types::StepValidateOtpInput {
        let mut input = types::StepValidateOtpInput::new(
            self.location.clone(),
            otp_code,
            otp_request_id,
            Utc::now(),
        )
        .request_id(self.request_id)
        .transaction_id(self.transaction_id);
        input.contract_storage_id = self.contract_storage_id;
        input.payment_gateway = self.payment_gateway.clone();
        input
    }

    /// The StepValidatePayment body, stamped now.
    pub fn validate_payment_input(&self) -> types::CustomerSignInput {
        let mut input = types::CustomerSignInput::new(self.location.clone(), Utc::now())
            .request_id(self.request_id)
            .transaction_id(self.transaction_id);
        input.contract_storage_id = self.contract_storage_id;
        input.payment_gateway = self.payment_gateway.clone();
        input
    }

    /// StepRequestOtp: sends the OTP, or answers `LocationRevalidationRequired` more than 80 km
    /// from the user's last active location.
    pub async fn request_otp(&self) -> CallResult<types::ApiOutputRequestOtp> {
        self.client
            .customer_sign_step_request_otp(&self.request_otp_input())
            .await
    }

    /// StepReValidateLiveness: three new liveness frames taken here.
    pub async fn re_validate_liveness(
        &self,
        scan: types::ScanTransaction,
    ) -> CallResult<types::ApiOutputString> {
        self.client
            .customer_sign_step_re_validate_liveness(&self.re_validate_liveness_input(scan))
            .await
    }

    /// StepValidateOtp: the code the user received for `otp_request_id`.
    pub async fn validate_otp(
        &self,
        otp_request_id: Uuid,
        otp_code: impl Into<Secret>,
    ) -> CallResult<types::ApiOutputSecretString> {
        self.client
            .customer_sign_step_validate_otp(&self.validate_otp_input(otp_request_id, otp_code))
            .await
    }

    /// StepValidatePayment: completes the activation (the request becomes Customer Signed).
    pub async fn validate_payment(&self) -> CallResult<types::ApiOutputString> {
        self.client
            .customer_sign_step_validate_payment(&self.validate_payment_input())
            .await
    }
}
