//! The vendor extensions the conformance harness relies on: who an operation messages, and how
//! sure the spec is of each error code.

use vlens_openapi::{ApiSpec, ErrorCodeSource, MessageChannel, Recipient};

#[test]
fn operations_that_message_a_person_name_the_recipient() {
    let spec = vlens_openapi::vlens();
    let recipients = |id: &str| -> Vec<(MessageChannel, Recipient)> {
        spec.operation(id)
            .map(|op| {
                op.messages
                    .iter()
                    .map(|m| (m.channel, m.to.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        recipients("customer-sign-step-request-otp"),
        [(MessageChannel::Sms, Recipient::Caller)]
    );
    assert_eq!(
        recipients("register-step-verify-phone"),
        [(
            MessageChannel::Sms,
            Recipient::Body("/phoneNumber".to_owned())
        )]
    );
    assert_eq!(
        recipients("create-invitation"),
        [
            (
                MessageChannel::Sms,
                Recipient::Body("/SessionInput/phoneNumber".to_owned())
            ),
            (
                MessageChannel::Email,
                Recipient::Body("/SessionInput/email".to_owned())
            ),
        ]
    );
    assert!(recipients("check-eligibility").is_empty());
}

#[test]
fn guessed_codes_are_marked_and_a_quoted_message_is_documented() {
    let spec = vlens_openapi::vlens();
    let code = |name: &str| spec.error_code(name).expect(name);
    let location = code("LocationRevalidationRequired");
    assert!(location.is_guess());
    assert!(location.message_documented, "the older docs quote it");
    assert!(!code("OtpInvalid").message_documented);
    assert_eq!(code("Unauthorized").source, ErrorCodeSource::VlensDocs);
    assert!(code("Unauthorized").message_documented);
}

fn with_codes(codes: &str) -> String {
    format!(
        "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths: {{}}\nx-vlens-error-codes:\n{codes}"
    )
}

#[test]
fn an_observed_code_carries_its_provenance_and_bad_entries_are_errors() {
    let spec = ApiSpec::parse(
        "t",
        &with_codes(
            "  - {code: 44006, name: X, httpStatus: 200, message: m, source: observed, \
             observed: {target: api.vlens.co-443, date: '2026-11-29'}}\n",
        ),
    )
    .unwrap();
    let observed = spec.error_code("X").unwrap();
    assert_eq!(observed.source, ErrorCodeSource::Observed);
    assert_eq!(
        observed.observed.as_ref().map(|o| o.target.as_str()),
        Some("api.vlens.co-443")
    );
    for (entry, words) in [
        (
            "  - {code: 1, name: X, httpStatus: 200, message: m, source: observed}\n",
            "needs `observed",
        ),
        (
            "  - {code: 1, name: X, httpStatus: 200, message: m, source: guess}\n",
            "`source` is",
        ),
        (
            "  - {code: 1, name: X, message: m, source: project}\n",
            "httpStatus",
        ),
        (
            "  - {code: 1, name: X, httpStatus: 200, message: m, source: project, messageSource: me}\n",
            "messageSource",
        ),
    ] {
        let error = ApiSpec::parse("t", &with_codes(entry))
            .unwrap_err()
            .to_string();
        assert!(error.contains(words), "{entry}: {error}");
    }
}
