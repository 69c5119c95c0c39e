//! Logs carry method, path, status and latency (and the panic guard's 500s), and never a
//! secret. In its own test binary: tracing caches per-callsite interest process-wide, so a
//! thread-local subscriber only sees everything when no other test runs beside it.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use common::*;
use vlens_client::{KnownErrorCode, ResultExt};
use vlens_sandbox::control::{CreateUserInput, InjectFaultInput};
use vlens_sandbox::defaults::PERSONAL_LOAN_TYPE_ID;

/// A tracing writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// A current-thread runtime, so that the thread-local subscriber sees the server's events.
#[tokio::test]
async fn logs_carry_no_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sandbox = TestSandbox::start().await;
    let user = sandbox
        .user_with(KEY, CreateUserInput::new().password("pw-SECRET-123"))
        .await;
    let client = sandbox.user_client(KEY, &user);
    let request = create_request(&client, PERSONAL_LOAN_TYPE_ID).await;
    let sent = client
        .customer_sign_step_request_otp(&request_otp_input(CAIRO, Some(request)))
        .await
        .data()
        .expect("otp");
    let otp = sandbox.otp(KEY, &user.phone_number).await;
    assert_code(
        client
            .customer_sign_step_validate_otp(&validate_otp_input(
                request,
                sent.otp_request_id,
                wrong_code(otp.code.expose_secret()),
            ))
            .await
            .data(),
        KnownErrorCode::OtpInvalid,
    );
    let url = signing_link(&client, request).await;
    let hash = url.rsplit('=').next().unwrap_or_default().to_string();
    sandbox.http().get(&url).send().await.expect("page");
    // A 500 (injected: it goes through the panic guard) is logged by the guard.
    let fault = InjectFaultInput::new("check-eligibility").status(500);
    let kit = sandbox.kit(KEY);
    kit.inject_fault(&fault).await.expect("armed");
    assert_code(
        client.check_eligibility().await.data(),
        KnownErrorCode::InternalError,
    );
    sandbox.finish().await;

    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap_or_else(PoisonError::into_inner))
        .into_owned();
    assert!(
        logs.contains("/api/BusinessRequest/CustomerSign/StepRequestOtp"),
        "requests are logged"
    );
    assert!(
        logs.contains("a handler panicked; answered 500")
            && logs.contains("injected through /__sandbox/faults"),
        "the panic guard logs the 500"
    );
    for secret in [
        KEY,
        user.access_token.expose_secret(),
        user.refresh_token.expose_secret(),
        "pw-SECRET-123",
        otp.code.expose_secret(),
        hash.as_str(),
    ] {
        assert!(!logs.contains(secret), "a secret leaked into the logs");
    }
}
