//! Issue 9.1: `Client::activation` fills the request, transaction, location and device time of
//! every CustomerSign step once.

mod common;

use common::MockServer;
use serde_json::Value;
use vlens_client::types::{GeoLocation, ScanTransaction};
use vlens_client::{Client, RetryPolicy};

#[tokio::test]
async fn every_step_carries_the_shared_fields_and_a_fresh_device_time() {
    let server = MockServer::start().await;
    let client = Client::builder(server.url.as_str(), "k")
        .bearer_token("t")
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("builds");
    let (request, transaction) = (uuid::Uuid::from_u128(7), uuid::Uuid::from_u128(9));
    let activation = client.activation(request, transaction, common::cairo());
    let started = chrono::Utc::now();

    let _ = activation.request_otp().await;
    let moved = activation.clone().at(GeoLocation::new(31.2, 29.9));
    let _ = moved
        .re_validate_liveness(ScanTransaction::new("a", "b", "c"))
        .await;
    let _ = moved.validate_otp(uuid::Uuid::from_u128(1), "123456").await;
    let _ = moved.validate_payment().await;

    let sent = server.recorded();
    let paths: Vec<&str> = sent.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/BusinessRequest/CustomerSign/StepRequestOtp",
            "/api/BusinessRequest/CustomerSign/StepReValidateLiveness",
            "/api/BusinessRequest/CustomerSign/StepValidateOtp",
            "/api/BusinessRequest/CustomerSign/StepValidatePayment",
        ]
    );
    for (index, request_sent) in sent.iter().enumerate() {
        let body: Value = serde_json::from_slice(&request_sent.body).expect("a JSON body");
        assert_eq!(body["requestId"], request.to_string(), "{body}");
        assert_eq!(body["transactionId"], transaction.to_string(), "{body}");
        let latitude = if index == 0 { 30.0444 } else { 31.2 };
        assert_eq!(body["geoLocation"]["latitude"], latitude, "{body}");
        let time: chrono::DateTime<chrono::Utc> = body["userDeviceUtcTime"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("a device time");
        assert!(time >= started, "stamped when sent: {body}");
    }
    let otp: Value = serde_json::from_slice(&sent[2].body).expect("JSON");
    assert_eq!(otp["otpCode"], "123456");
    assert_eq!(otp["otpRequestId"], uuid::Uuid::from_u128(1).to_string());
}
