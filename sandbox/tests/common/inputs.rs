//! Assertions on a call's error and the inputs the tests send: places, request values, the
//! CustomerSign and identity bodies, small images, wrong codes.

use vlens_client::{Client, KnownErrorCode, ResultExt, VlensError, types};
use vlens_sandbox::defaults;

use super::CAIRO;

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
