//! Authoring mistakes, each found before anything runs, with its message and its
//! file:line:column: "did you mean" for operations, variables, error names, fixture names and
//! keys; an unknown or undeclared error lists what the operation can expect (not the whole
//! spec); a JSON pointer the reply's schema cannot have; a duplicate key and an oversized file
//! in plain words.

use std::path::PathBuf;

use vlens_conformance::suite;

const SHOWN: &str = "conformance/tests/authoring";

/// (file stem, `line:column`, the message there, and words it must not have)
const EXPECTED: &[(&str, &str, &str, &[&str])] = &[
    (
        "capture_pointer",
        "6:15",
        "capture `/data/isEligable`: the reply of `check-eligibility` (HTTP 200) has no \
         `isEligable` at /data (did you mean `isEligible`?) (it has: hasPendingRequest, \
         isDigitalIdentityVerified, isEligible, isEmailConfirmed)",
        &[],
    ),
    (
        "duplicate_key",
        "5:5",
        "not valid YAML: duplicate key `expect`: a mapping may have each key once",
        &["DuplicateKeyPolicy"],
    ),
    (
        "error_typo",
        "8:21",
        "unknown error `OtpInvalidd` (did you mean `OtpInvalid`?); \
         `customer-sign-step-validate-otp` can expect RequestNotFound, RequestNotApproved, \
         RequestAlreadyActivated, StepOutOfOrder, OtpRequestNotFound, OtpInvalid, OtpExpired, \
         OtpAlreadyUsed, OtpAttemptsExceeded, TooManyWrongOtpCodes, or the transport errors BadRequest",
        &["PhoneNumberAlreadyRegistered", "the spec names"],
    ),
    (
        "expect_pointer",
        "8:25",
        "expect.json `/data/eligible`: the reply of `check-eligibility` (HTTP 200) has no \
         `eligible` at /data (did you mean `isEligible`?)",
        &[],
    ),
    (
        "fixture_typo",
        "5:19",
        "`owner` names no user fixture: `usr` (did you mean `user`?)",
        &[],
    ),
    (
        "fixture_typo",
        "7:5",
        "`as: usre` names no user fixture (nor `admin` or `nobody`) (did you mean `user`?)",
        &[],
    ),
    (
        "key_typo",
        "4:5",
        "unknown key `expct` in step 1 (did you mean `expect`?)",
        &[],
    ),
    (
        "operation_typo",
        "5:16",
        "unknown operation `check-eligibilty` (did you mean `check-eligibility`?)",
        &[],
    ),
    (
        "too_many_values",
        "6:8",
        "not valid YAML: the case has more than 20000 values (aliases that expand into more?)",
        &["Nodes", "budget"],
    ),
    (
        "undeclared_error",
        "7:14",
        "`check-eligibility` does not declare error `PhoneNumberAlreadyRegistered` in its \
         x-vlens-error-codes; `check-eligibility` can expect no business error, or the transport \
         errors BadRequest, Unauthorized",
        &["OtpInvalid"],
    ),
    (
        "variable_typo",
        "6:17",
        "variable `usr` is used before it is defined (did you mean `user`?)",
        &[],
    ),
];

#[test]
fn each_mistake_has_its_message_at_its_position() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/authoring");
    let suite = suite::load(&dir, SHOWN).unwrap();
    assert!(suite.cases.is_empty(), "every file here has a mistake");
    for (trial, position, message, absent) in EXPECTED {
        let bad = suite
            .bad
            .iter()
            .find(|bad| bad.trial == *trial)
            .unwrap_or_else(|| panic!("{trial} loaded"));
        let text = bad.to_string();
        let expected = format!("{SHOWN}/{trial}.yaml:{position}: {message}");
        assert!(
            text.contains(&expected),
            "{trial}: expected\n{expected}\nin:\n{text}"
        );
        for word in *absent {
            assert!(!text.contains(word), "{trial}: `{word}` in:\n{text}");
        }
    }
    let files: std::collections::BTreeSet<&str> = EXPECTED.iter().map(|e| e.0).collect();
    assert_eq!(files.len(), suite.bad.len(), "a test for every file");
}
