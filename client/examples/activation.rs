//! The whole Vlens journey with `vlens-client`: phone registration, identity verification,
//! a business request, and its OTP- and location-gated activation, including the 80 km rule.
//!
//! ```sh
//! cargo run -p vlens-client --example activation
//! ```
//!
//! It starts an embedded `vlens-sandbox` (offline, in milliseconds). The sandbox stands in for
//! the user's phone too: the OTPs it "sends" are read from its outbox with its test kit
//! (`vlens_sandbox::kit`, over the control API, which a real Vlens does not have).

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use base64::Engine as _;
use chrono::Utc;
use vlens_client::types::{self, GeoLocation};
use vlens_client::{Client, KnownErrorCode, ResultExt, RetryPolicy, types::RequestStatus};
use vlens_sandbox::kit::Kit;
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
    // The user's SMS inbox: the sandbox's outbox, read through its test kit.
    let sms_inbox = Kit::new(&sandbox)?;

    let client = Client::builder(base_url.as_str(), defaults::DEFAULT_API_KEY)
        .retry_policy(RetryPolicy::default())
        .build()?;
    let phone = "+201001234567";

    // 1. Registration by phone OTP: send, read the SMS, validate, register.
    let sent = client
        .register_step_verify_phone(&types::VerifyPhoneInput::new(phone))
        .await
        .data()?;
    let otp_request_id = sent
        .phone_number_otp_request_id
        .context("no OTP request id")?;
    let code = sms_inbox.last_otp(phone).await?.code;
    client
        .register_step_verify_phone(
            &types::VerifyPhoneInput::new(phone)
                .phone_number_otp_request_id(otp_request_id)
                .phone_number_otp(code),
        )
        .await
        .data()?;
    let registered = client
        .register(
            &types::RegisterInput::new(phone)
                .phone_number_otp_request_id(otp_request_id)
                .geo_location(CAIRO)
                .imei("example-device")
                .name("Mona")
                .surname("Hassan"),
        )
        .await
        .data()?;
    client.set_bearer_token(&registered.access_token)?;
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
        .verify_liveness_multi(&types::LivenessInput::new(
            jpeg(b"face-1"),
            jpeg(b"face-2"),
            jpeg(b"face-3"),
            transaction_id,
        ))
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
            &types::CreateBusinessRequestInput::new(CAIRO, fill(&template.requests_fields))
                .user_device_utc_time(Utc::now()),
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
    let activation = client.activation(created.id, transaction_id, GeoLocation::new(lat, lon));
    match activation.request_otp().await.data() {
        Err(e) if e.is(KnownErrorCode::LocationRevalidationRequired) => println!("4. {e}"),
        other => bail!("expected the 80 km rule to apply, got {other:?}"),
    }
    let frames = types::ScanTransaction::new(jpeg(b"alex-1"), jpeg(b"alex-2"), jpeg(b"alex-3"));
    activation.re_validate_liveness(frames).await.data()?;
    println!("5. liveness re-validated in Alexandria");

    // 5. A new OTP, validated, then payment: the request is signed.
    let otp = activation.request_otp().await.data()?;
    let code = sms_inbox.last_otp(phone).await?.code;
    activation
        .validate_otp(otp.otp_request_id, code)
        .await
        .data()?;
    activation.validate_payment().await.data()?;
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

/// A tiny stand-in JPEG (the sandbox checks the magic bytes, the size and that frames differ).
fn jpeg(seed: &[u8]) -> String {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend_from_slice(seed);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn id_image(side: &[u8], transaction_id: Option<uuid::Uuid>) -> types::VerifyIdInput {
    let input = types::VerifyIdInput::new(jpeg(side)).get_extracted_data(true);
    match transaction_id {
        Some(id) => input.transaction_id(id),
        None => input,
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
