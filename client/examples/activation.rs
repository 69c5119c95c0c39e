//! The whole Vlens journey with `vlens-client`: phone registration, identity verification,
//! a business request, and its OTP- and location-gated activation, including the 80 km rule.
//!
//! ```sh
//! cargo run -p vlens-client --example activation
//! ```
//!
//! It starts an embedded `vlens-sandbox` (offline, in milliseconds). The sandbox stands in for
//! the user's phone too: the OTPs it "sends" are read from its control API
//! (`GET /__sandbox/otp`), which a real Vlens does not have.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use base64::Engine as _;
use chrono::Utc;
use vlens_client::types::{self, GeoLocation};
use vlens_client::{Client, KnownErrorCode, ResultExt, RetryPolicy, types::RequestStatus};
use vlens_sandbox::control::{ControlEnvelope, SentOtp};
use vlens_sandbox::{SandboxConfig, defaults};

/// Cairo, where the user registers.
const CAIRO: GeoLocation = GeoLocation {
    latitude: 30.0444,
    longitude: 31.2357,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    walkthrough().await
}

/// `cargo test` runs the walkthrough too (`test = true` in Cargo.toml), so it cannot rot.
#[cfg(test)]
#[tokio::test]
async fn the_walkthrough_completes() {
    if let Err(error) = walkthrough().await {
        panic!("the activation walkthrough failed: {error:#}");
    }
}

async fn walkthrough() -> anyhow::Result<()> {
    let sandbox = vlens_sandbox::start(SandboxConfig::default()).await?;
    let base_url = sandbox.base_url().to_string();
    println!("sandbox at {base_url}");

    let client = Client::builder(base_url.as_str(), defaults::DEFAULT_API_KEY)
        .retry_policy(RetryPolicy::default())
        .build()?;
    let phone = "+201001234567";

    // 1. Registration by phone OTP: send, read the SMS, validate, register.
    let sent = client
        .register_step_verify_phone(&types::VerifyPhoneInput {
            phone_number: phone.into(),
            sms_providers: None,
            phone_number_otp_request_id: None,
            phone_number_otp: None,
        })
        .await
        .data()?;
    let otp_request_id = sent
        .phone_number_otp_request_id
        .context("no OTP request id")?;
    let code = sms_inbox(&base_url, phone).await?.code;
    client
        .register_step_verify_phone(&types::VerifyPhoneInput {
            phone_number: phone.into(),
            sms_providers: None,
            phone_number_otp_request_id: Some(otp_request_id),
            phone_number_otp: Some(code.into()),
        })
        .await
        .data()?;
    let registered = client
        .register(&types::RegisterInput {
            phone_number: phone.into(),
            phone_number_otp_request_id: Some(otp_request_id),
            geo_location: Some(CAIRO),
            imei: Some("example-device".into()),
            name: Some("Mona".into()),
            surname: Some("Hassan".into()),
            email: None,
            email_otp_request_id: None,
            o_auth_token_verification_request_id: None,
            password: None,
            phone_number_otp: None,
        })
        .await
        .data()?;
    client.set_bearer_token(registered.access_token.expose_secret())?;
    println!(
        "1. registered user {} in Cairo",
        registered.user.id.unwrap_or_default()
    );

    // 2. Identity verification: ID front, ID back, then three different liveness frames.
    let front = client
        .verify_id_front(&id_image(b"front", None))
        .await
        .data()?;
    let transaction_id = front
        .id_front_data
        .context("no idFrontData")?
        .transaction_id;
    client
        .verify_id_back(&id_image(b"back", Some(transaction_id)))
        .await
        .data()?;
    let liveness = client
        .verify_liveness_multi(&types::LivenessInput {
            transaction_id,
            face_1: jpeg(b"face-1"),
            face_2: jpeg(b"face-2"),
            face_3: jpeg(b"face-3"),
            image: None,
            get_extracted_data: None,
        })
        .await
        .data()?;
    println!(
        "2. identity verified: {} (transaction {transaction_id})",
        liveness.is_digital_identity_verified
    );

    // 3. A business request: pick a product, fill its form, check eligibility, create.
    let products = client.get_all_request_types().await.data()?;
    let loan = products
        .iter()
        .find(|p| p.id == defaults::PERSONAL_LOAN_TYPE_ID)
        .context("the sandbox offers a personal loan")?;
    let template = client
        .get_business_request_type_template_fields(None, loan.id)
        .await
        .data()?;
    let eligibility = client.check_eligibility().await.data()?;
    if !eligibility.is_eligible {
        bail!("not eligible: {eligibility:?}");
    }
    let created = client
        .create_business_request(
            loan.id,
            &types::CreateBusinessRequestInput {
                geo_location: CAIRO,
                request_fields_values: fill(&template.requests_fields),
                user_device_utc_time: Some(Utc::now()),
                customer_signers_identifiers: None,
                is_dynamic_sub_types: None,
                minimum_required_signatories: None,
            },
        )
        .await
        .data()?;
    println!(
        "3. created {} ({}), status {:?}",
        created.request_number, created.type_name, created.request_status_name
    );

    // 4. Activation from Alexandria, ~180 km away: no OTP until liveness is re-validated.
    let (lat, lon) =
        vlens_sandbox::destination_point(CAIRO.latitude, CAIRO.longitude, 315.0, 180.0);
    let alexandria = GeoLocation {
        latitude: lat,
        longitude: lon,
    };
    let request_otp = |at: GeoLocation| types::StepRequestOtpInput {
        geo_location: at,
        user_device_utc_time: Utc::now(),
        request_id: Some(created.id),
        transaction_id: Some(transaction_id),
        contract_storage_id: None,
        payment_gateway: None,
        sms_providers: None,
    };
    match client
        .customer_sign_step_request_otp(&request_otp(alexandria.clone()))
        .await
        .data()
    {
        Err(e) if e.is(KnownErrorCode::LocationRevalidationRequired) => {
            println!("4. {e}")
        }
        other => bail!("expected the 80 km rule to apply, got {other:?}"),
    }
    client
        .customer_sign_step_re_validate_liveness(&types::StepReValidateLivenessInput {
            geo_location: alexandria.clone(),
            user_device_utc_time: Utc::now(),
            request_id: Some(created.id),
            transaction_id: Some(transaction_id),
            scan_transaction: types::ScanTransaction {
                face_1: jpeg(b"alex-1"),
                face_2: jpeg(b"alex-2"),
                face_3: jpeg(b"alex-3"),
                image: None,
            },
            contract_storage_id: None,
            payment_gateway: None,
        })
        .await
        .data()?;
    println!("5. liveness re-validated in Alexandria");

    // 5. A new OTP, validated, then payment: the request is signed.
    let otp = client
        .customer_sign_step_request_otp(&request_otp(alexandria.clone()))
        .await
        .data()?;
    let code = sms_inbox(&base_url, phone).await?.code;
    let sign_input = types::CustomerSignInput {
        geo_location: alexandria.clone(),
        user_device_utc_time: Utc::now(),
        request_id: Some(created.id),
        transaction_id: Some(transaction_id),
        contract_storage_id: None,
        payment_gateway: None,
    };
    client
        .customer_sign_step_validate_otp(&types::StepValidateOtpInput {
            geo_location: sign_input.geo_location.clone(),
            user_device_utc_time: sign_input.user_device_utc_time,
            request_id: sign_input.request_id,
            transaction_id: sign_input.transaction_id,
            contract_storage_id: None,
            payment_gateway: None,
            otp_request_id: otp.otp_request_id,
            otp_code: code.into(),
        })
        .await
        .data()?;
    client
        .customer_sign_step_validate_payment(&sign_input)
        .await
        .data()?;
    let signed = client
        .get_business_request_by_id(&created.id)
        .await
        .data()?;
    println!(
        "6. {} is now {} ({})",
        signed.request_number, signed.request_status_name, signed.requeststatus.0
    );
    if signed.requeststatus != RequestStatus::CUSTOMER_SIGNED {
        bail!("expected Customer Signed");
    }

    sandbox.shutdown().await;
    Ok(())
}

/// The last OTP the sandbox "sent by SMS" to `phone` (the sandbox's control API).
async fn sms_inbox(base_url: &str, phone: &str) -> anyhow::Result<SentOtp> {
    let reply: ControlEnvelope<SentOtp> = reqwest::Client::new()
        .get(format!("{base_url}/__sandbox/otp"))
        .query(&[("phoneNumber", phone)])
        .header("ApiKey", defaults::DEFAULT_API_KEY)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    reply.data.context("the sandbox sent no OTP to that phone")
}

/// A tiny stand-in JPEG (the sandbox checks the magic bytes, the size and that frames differ).
fn jpeg(seed: &[u8]) -> String {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend_from_slice(seed);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn id_image(side: &[u8], transaction_id: Option<uuid::Uuid>) -> types::VerifyIdInput {
    types::VerifyIdInput {
        image: jpeg(side),
        transaction_id,
        get_extracted_data: Some(true),
        client_transaction_id: None,
        country: None,
        name_check_value: None,
        request_id: None,
    }
}

/// Fills a product's form: the first choice of each dropdown, a date, and sample text.
fn fill(fields: &[types::RequestField]) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter(|f| f.visible_to_user.unwrap_or(true) && f.type_ != "table")
        .filter(|f| f.default_value.is_none())
        .map(|f| {
            let value = match (f.type_.as_str(), f.available_values.as_deref()) {
                (_, Some([first, ..])) => first.clone(),
                ("date", _) => "2027-01-01".to_string(),
                _ if f.key.to_lowercase().contains("name") => "Mona Hassan".to_string(),
                _ => "15000".to_string(),
            };
            (f.key.clone(), value)
        })
        .collect()
}
