//! New users on a shared target: registered through the API with a number of the test range
//! and the code from the OTP source, and verified with the test identity's documents when the
//! case wants a verified one.

use reqwest::Method;
use serde_json::{Value, json};

use crate::case::{OtpPurpose, UserFixture};
use crate::http::FixtureCall;
use crate::run::remote::{key, read_otp, token_of};
use crate::run::state::State;
use crate::target::commands::OtpTo;
use crate::template::value_text;

/// Registers a new user through the API: a phone from the test range confirmed by its OTP,
/// an email when the fixture has one, and — for a verified user — its identity verified with
/// the test identity's documents.
pub(crate) async fn register(
    state: &State<'_>,
    user: &UserFixture,
    location: &Option<Value>,
    verified: bool,
) -> Result<Value, String> {
    let tenant = user.tenant;
    let key = key(state, tenant)?;
    let post = |path: &'static str, body: Value, bearer: Option<String>| {
        let key = key.clone();
        async move {
            state
                .call(FixtureCall {
                    method: Method::POST,
                    path,
                    query: &[],
                    api_key: &key,
                    bearer: bearer.as_deref(),
                    headers: &[],
                    body: Some(&body),
                })
                .await
        }
    };
    let generators = state.target.generators.clone();
    let draw = |function: &str| {
        crate::template::functions::call(function, &[], &generators).map(|value| value_text(&value))
    };
    // A number of the range may be taken already: try a few.
    let mut attempt = 0;
    let (phone, phone_request) = loop {
        let phone = draw("phone")?;
        match post(
            "/api/DigitalIdentity/Register/StepVerifyPhone",
            json!({ "phoneNumber": phone }),
            None,
        )
        .await
        {
            Ok(sent) => break (phone, sent.get("phoneNumberOtpRequestId").map(value_text)),
            Err(error) if attempt < 5 => {
                attempt += 1;
                let _ = error;
            }
            Err(error) => return Err(format!("no free number in the test range: {error}")),
        }
    };
    let phone_request = phone_request.ok_or("StepVerifyPhone answered no request id")?;
    let code = read_otp(
        state,
        OtpPurpose::RegisterPhone,
        OtpTo::Phone(&phone),
        None,
        tenant,
    )
    .await?
    .ok_or("the OTP source has no code for the new number")?;
    post(
        "/api/DigitalIdentity/Register/StepVerifyPhone",
        json!({"phoneNumber": phone, "phoneNumberOtpRequestId": phone_request, "phoneNumberOtp": code}),
        None,
    )
    .await?;
    let mut register = json!({
        "phoneNumber": phone,
        "phoneNumberOtpRequestId": phone_request,
        "phoneNumberOtp": code,
        "geoLocation": location.clone().unwrap_or_else(crate::run::fixtures::default_location),
        "imei": format!("conformance-{}", uuid::Uuid::new_v4().simple()),
    });
    let mut email = None;
    if let Some(node) = &user.email {
        let address = state.evaluate_text(node)?;
        let sent = post(
            "/api/DigitalIdentity/Register/StepVerifyEmail",
            json!({ "email": address }),
            None,
        )
        .await?;
        let email_request = sent.get("emailOtpRequestId").map(value_text);
        if user.email_confirmed
            && let Some(email_request) = &email_request
        {
            let code = read_otp(
                state,
                OtpPurpose::RegisterEmail,
                OtpTo::Email(&address),
                None,
                tenant,
            )
            .await?
            .ok_or("the OTP source has no code for the new address")?;
            post(
                "/api/DigitalIdentity/Register/StepVerifyEmail",
                json!({"email": address, "emailOtpRequestId": email_request, "emailOtp": code}),
                None,
            )
            .await?;
            register["emailOtpRequestId"] = json!(email_request);
        }
        register["email"] = json!(address);
        email = Some(address);
    }
    let password = format!("Pw-{}", &uuid::Uuid::new_v4().simple().to_string()[..24]);
    state.secrets.add(&password, "password");
    register["password"] = json!(password);
    let imei = register["imei"].clone();
    let data = post("/api/DigitalIdentity/Register", register, None).await?;
    let token = token_of(&data)?;
    let mut transaction = Value::Null;
    if verified {
        let document = |function: &str, arg: Option<f64>| {
            let args: Vec<crate::template::Arg> = arg
                .map(|n| crate::template::Arg::Quantity(n, String::new()))
                .into_iter()
                .collect();
            crate::template::functions::call(function, &args, &generators)
        };
        let front = post(
            "/api/DigitalIdentity/verify/id/front",
            json!({"image": document("id_front", None)?, "getExtractedData": true}),
            Some(token.clone()),
        )
        .await?;
        transaction = front
            .pointer("/idFrontData/transaction_id")
            .cloned()
            .ok_or("verify/id/front answered no transaction_id")?;
        post(
            "/api/DigitalIdentity/verify/id/back",
            json!({"image": document("id_back", None)?, "transaction_id": transaction}),
            Some(token.clone()),
        )
        .await?;
        post(
            "/api/DigitalIdentity/verify/liveness/multi",
            json!({
                "transaction_id": transaction,
                "face_1": document("face", Some(1.0))?,
                "face_2": document("face", Some(2.0))?,
                "face_3": document("face", Some(3.0))?,
            }),
            Some(token.clone()),
        )
        .await?;
    }
    Ok(json!({
        "accessToken": token,
        "refreshToken": data.get("refreshToken").cloned().unwrap_or(Value::Null),
        "userId": data.pointer("/user/id").cloned().unwrap_or(Value::Null),
        "phoneNumber": phone,
        "email": email,
        "imei": imei,
        "password": password,
        "transactionId": transaction,
        "isDigitalIdentityVerified": verified,
    }))
}
