//! The static coverage trials can fail: on a suite that leaves operations and error codes
//! without a case, `coverage/every-operation-has-a-case` and `coverage/every-error-code-has-a-case`
//! fail, naming what is missing (and only that).

use std::path::PathBuf;

use vlens_conformance::coverage::{error_codes_without_cases, operations_without_cases};
use vlens_conformance::harness::{Options, run};
use vlens_conformance::suite;

const SHOWN: &str = "conformance/tests/coverage_gaps";

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/coverage_gaps")
}

#[test]
fn the_missing_operations_and_codes_are_named() {
    let suite = suite::load(&dir(), SHOWN).unwrap();
    assert!(suite.bad.is_empty(), "{:?}", suite.bad);
    let spec = vlens_openapi::vlens();
    let missing = operations_without_cases(&suite);
    assert_eq!(missing.len(), spec.operations().len() - 2, "{missing:?}");
    assert!(!missing.iter().any(|op| op == "check-eligibility"));
    assert!(
        !missing
            .iter()
            .any(|op| op == "get-current-business-request")
    );
    for operation in ["create-business-request", "view-contract-pdf", "login"] {
        assert!(missing.iter().any(|op| op == operation), "{missing:?}");
    }
    let codes = error_codes_without_cases(&suite);
    assert!(
        !codes.iter().any(|code| code == "RequestNotFound"),
        "{codes:?}"
    );
    assert!(
        codes.iter().any(|code| code == "InvalidSecurityHash"),
        "{codes:?}"
    );
    assert!(
        !codes.iter().any(|code| code == "InternalError"),
        "exempt: {codes:?}"
    );
}

#[test]
fn both_coverage_trials_fail_and_the_case_passes() {
    let snapshots = tempfile::tempdir().unwrap();
    let options = Options {
        base_url: None,
        cases_dir: dir(),
        cases_shown_as: SHOWN.to_owned(),
        snapshots_dir: snapshots.path().to_owned(),
        coverage_trials: true,
        settings: Default::default(),
    };
    // JSON events, and a filter that matches every trial: this inner run's own (expected)
    // failures must not print a `test result: FAILED` line into the outer test's output.
    let arguments = libtest_mimic::Arguments {
        test_threads: Some(2),
        format: Some(libtest_mimic::FormatSetting::Json),
        filter: Some(String::new()),
        ..Default::default()
    };
    let conclusion = run(&arguments, &options).unwrap();
    assert_eq!(conclusion.num_failed, 2, "{conclusion:?}");
    assert_eq!(conclusion.num_passed, 1, "{conclusion:?}");
}
