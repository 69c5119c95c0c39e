//! Expressions that cannot be evaluated (a time beyond chrono's range, a trillion digits, a
//! terabyte image) fail their case with the expression and its file:line:column — no panic,
//! no unbounded allocation — and a negative `length` or a variable nothing reads is a problem
//! of the file.

mod common;

use std::path::PathBuf;

use vlens_conformance::suite;
use vlens_conformance::target::Target;

const SHOWN: &str = "conformance/tests/broken_expressions";

/// (trial, expected `file:line:column`, the expression as the message names it)
const BROKEN: &[(&str, &str, &str)] = &[
    (
        "digits_huge",
        "digits_huge.yaml:5:15",
        "`digits(1000000000000)`",
    ),
    (
        "image_huge",
        "image_huge.yaml:4:19",
        "`image(1, 1000000000000b)`",
    ),
    (
        "now_far_future",
        "now_far_future.yaml:5:15",
        "`now(100000000d)`",
    ),
    (
        "now_far_past",
        "now_far_past.yaml:5:15",
        "`now(-100000000d)`",
    ),
    (
        "vars_now_far_future",
        "vars_now_far_future.yaml:3:9",
        "`now(100000000d)`",
    ),
];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/broken_expressions")
}

/// (trial, the one problem expected, `file:line:column: message start`)
const BAD_FILES: &[(&str, &str)] = &[
    (
        "negative_length",
        "negative_length.yaml:6:25: `length` must be 0",
    ),
    (
        "unused_var",
        "unused_var.yaml:4:14: `vars.forgotten` is never used",
    ),
];

#[test]
fn a_negative_length_and_an_unused_variable_are_problems_of_the_file() {
    let suite = suite::load(&dir(), SHOWN).unwrap();
    let trials: Vec<&str> = suite.bad.iter().map(|bad| bad.trial.as_str()).collect();
    let expected: Vec<&str> = BAD_FILES.iter().map(|(trial, _)| *trial).collect();
    assert_eq!(trials, expected);
    for (bad, (_, problem)) in suite.bad.iter().zip(BAD_FILES) {
        let message = bad.to_string();
        assert!(message.contains(&format!("{SHOWN}/{problem}")), "{message}");
        assert_eq!(message.lines().count(), 2, "one problem only:\n{message}");
    }
}

#[test]
fn broken_expressions_fail_their_case_with_file_line_and_column() {
    let suite = suite::load(&dir(), SHOWN).unwrap();
    let trials: Vec<&str> = suite.cases.iter().map(|c| c.trial.as_str()).collect();
    let expected: Vec<&str> = BROKEN.iter().map(|(trial, ..)| *trial).collect();
    assert_eq!(trials, expected);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let snapshots = tempfile::tempdir().unwrap();
    runtime.block_on(async {
        let bench = common::Bench::new(Target::embedded().await.unwrap(), snapshots.path());
        for (loaded, (trial, position, expression)) in suite.cases.iter().zip(BROKEN) {
            let run = bench.run(loaded).await;
            let Err(message) = common::outcome(loaded, &run) else {
                panic!("{trial} must fail");
            };
            assert!(
                message.contains(&format!("{SHOWN}/{position}: "))
                    && message.contains(&format!("{expression}: ")),
                "{trial}: expected {position} and {expression} in:\n{message}"
            );
        }
    });
}
