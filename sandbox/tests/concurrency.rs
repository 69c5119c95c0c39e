//! The concurrency promises: an OTP succeeds once, a request is activated once, eligibility
//! and creation are atomic, and a newer OTP supersedes under load.

mod common;

use common::*;
use vlens_client::{KnownErrorCode, ResultExt};
use vlens_sandbox::defaults::COMMERCIAL_LEASE_TYPE_ID;

const CALLS: usize = 50;

/// Asserts that exactly one call succeeded and every other failed with `others`.
fn assert_exactly_one(
    (successes, failures): (usize, Vec<Option<KnownErrorCode>>),
    others: KnownErrorCode,
) {
    assert_eq!(successes, 1, "failures: {failures:?}");
    assert!(
        failures.iter().all(|code| *code == Some(others)),
        "{failures:?}"
    );
}

/// Runs `CALLS` copies of `call` at once and returns (successes, the failures' codes).
async fn race<F, Fut, T>(call: F) -> (usize, Vec<Option<KnownErrorCode>>)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, vlens_client::VlensError>> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = (0..CALLS).map(|_| tokio::spawn(call())).collect();
    let mut successes = 0;
    let mut failures = Vec::new();
    for handle in handles {
        match handle.await.expect("task") {
            Ok(_) => successes += 1,
            Err(error) => failures.push(error.api().and_then(|api| api.code.known())),
        }
    }
    (successes, failures)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_otp_validated_50_times_at_once_succeeds_once() {
    let sandbox = TestSandbox::start().await;
    let (user, client, request) = sandbox.approved_loan(KEY).await;
    let (otp_id, code) = sandbox
        .activation_otp(&client, KEY, &user.phone_number, request)
        .await;
    let input = validate_otp_input(request, otp_id, &code);
    let outcome = race(|| {
        let client = client.clone();
        let input = input.clone();
        async move { client.customer_sign_step_validate_otp(&input).await.data() }
    })
    .await;
    assert_exactly_one(outcome, KnownErrorCode::OtpAlreadyUsed);
    sandbox.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_is_activated_once_under_50_concurrent_payments() {
    let sandbox = TestSandbox::start().await;
    let (user, client, request) = sandbox.approved_loan(KEY).await;
    sandbox
        .validated_otp(&client, KEY, &user.phone_number, request)
        .await;
    let input = sign_input(Some(request), None);
    let outcome = race(|| {
        let client = client.clone();
        let input = input.clone();
        async move {
            client
                .customer_sign_step_validate_payment(&input)
                .await
                .data()
        }
    })
    .await;
    assert_exactly_one(outcome, KnownErrorCode::RequestAlreadyActivated);
    sandbox.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_make_one_pending_request() {
    let sandbox = TestSandbox::start().await;
    let user = sandbox.user(KEY).await;
    let client = sandbox.user_client(KEY, &user);
    let input = create_input(lease_values());
    let (successes, failures) = race(|| {
        let client = client.clone();
        let input = input.clone();
        async move {
            client
                .create_business_request(COMMERCIAL_LEASE_TYPE_ID, &input)
                .await
                .data()
        }
    })
    .await;
    assert_eq!(successes, 1, "failures: {failures:?}");
    assert!(
        failures
            .iter()
            .all(|code| *code == Some(KnownErrorCode::NotEligible))
    );
    let page = client
        .get_current_business_request_list_ids(None, None)
        .await
        .envelope()
        .expect("list");
    assert_eq!(page.total_count, Some(1));
    sandbox.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_status_change_races_activation_atomically() {
    let sandbox = TestSandbox::start().await;
    let (user, client, request) = sandbox.approved_loan(KEY).await;
    sandbox
        .validated_otp(&client, KEY, &user.phone_number, request)
        .await;
    // The provider rejects while the customer pays: either the payment wins (and the
    // rejection lands after it) or the rejection wins and the payment is refused.
    let payment = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .customer_sign_step_validate_payment(&sign_input(Some(request), None))
                .await
                .data()
        })
    };
    sandbox.set_status(KEY, request, 3).await;
    let paid = payment.await.expect("task");
    let final_status = client
        .get_business_request_by_id(&request)
        .await
        .data()
        .expect("read")
        .requeststatus;
    assert_eq!(
        final_status.0, 3,
        "the control API's change is the last one either way"
    );
    match paid {
        Ok(_) => {}
        Err(error) => assert!(error.is(KnownErrorCode::RequestNotApproved), "{error:?}"),
    }
    sandbox.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_otp_requests_leave_one_live_otp() {
    let sandbox = TestSandbox::start().await;
    let (user, client, request) = sandbox.approved_loan(KEY).await;
    let input = request_otp_input(CAIRO, Some(request));
    let (successes, _) = race(|| {
        let client = client.clone();
        let input = input.clone();
        async move { client.customer_sign_step_request_otp(&input).await.data() }
    })
    .await;
    assert_eq!(successes, CALLS);
    assert_eq!(sandbox.running().otp_count(), 1);
    let live = sandbox.otp(KEY, &user.phone_number).await;
    client
        .customer_sign_step_validate_otp(&validate_otp_input(
            request,
            live.otp_request_id,
            &live.code,
        ))
        .await
        .data()
        .expect("the one live OTP is the outbox's");
    sandbox.finish().await;
}
