//! The static coverage trials can fail: on a suite that leaves operations and error codes
//! without a case, `coverage/every-operation-has-a-case` and `coverage/every-error-code-has-a-case`
//! fail, naming what is missing (and only that). And the run-time table agrees with the static
//! check about an error code reached through `fetch`.

mod common;

use std::path::PathBuf;

use vlens_conformance::report::coverage::{error_codes_without_cases, operations_without_cases};
use vlens_conformance::suite;
use vlens_conformance::target::Target;

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
    // No code is exempt any more: fault injection makes InternalError provokable.
    assert!(
        codes.iter().any(|code| code == "InternalError"),
        "{codes:?}"
    );
}

#[test]
fn both_coverage_trials_fail_and_the_case_passes() {
    let conclusion = common::run_quietly(&dir(), SHOWN, true);
    assert_eq!(conclusion.num_failed, 2, "{conclusion:?}");
    assert_eq!(conclusion.num_passed, 1, "{conclusion:?}");
}

/// Whether the table lists `name` among the error codes not exercised.
fn not_exercised(table: &str, name: &str) -> bool {
    table
        .lines()
        .find_map(|line| line.strip_prefix("  error codes not exercised: "))
        .is_some_and(|list| list.split(", ").any(|known| known == name))
}

#[test]
fn not_found_reached_by_fetch_counts_in_the_table_as_in_the_static_check() {
    let cases = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases");
    let suite = suite::load(&cases, "conformance/cases").unwrap();
    let loaded = suite
        .cases
        .iter()
        .find(|loaded| loaded.trial == "transport/unknown_route_and_method")
        .expect("the case that expects NotFound through fetch");
    let alone = suite::Suite {
        cases: vec![loaded.clone()],
        ..suite::Suite::default()
    };
    // Statically, the case expects NotFound.
    assert!(
        !error_codes_without_cases(&alone)
            .iter()
            .any(|c| c == "NotFound")
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let table = runtime.block_on(async {
        // The suite's own snapshots: the case runs exactly as in the suite.
        let bench = common::Bench::new(
            Target::embedded().await.unwrap(),
            &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("snapshots/sandbox"),
        );
        let run = bench.run(loaded).await;
        assert_eq!(common::outcome(loaded, &run), Ok(()));
        bench.coverage.table()
    });
    // At run time, the fetched unknown route's NotFound is seen too.
    assert!(!not_exercised(&table, "NotFound"), "{table}");
    assert!(table.contains("| also: NotFound"), "{table}");
}
