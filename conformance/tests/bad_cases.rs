//! Broken case files become one failing trial each, named after the file, whose message gives
//! file:line:column; the good file beside them still runs; nothing panics.

mod common;

use std::path::PathBuf;

use vlens_conformance::suite;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bad_cases")
}

const SHOWN: &str = "conformance/tests/bad_cases";

/// (file stem, expected `file:line:column`, a word of the message)
const EXPECTED: &[(&str, &str, &str)] = &[
    (
        "body_breaks_schema",
        "body_breaks_schema.yaml:7:31",
        "latitude",
    ),
    ("duplicate_key", "duplicate_key.yaml:4:1", "uplicate"),
    ("empty", "empty.yaml:1:1", "empty"),
    (
        "missing_required_header",
        "missing_required_header.yaml:3:16",
        "`login` requires the header parameter `TenancyName` (under `headers`",
    ),
    (
        "missing_required_query",
        "missing_required_query.yaml:5:16",
        "requires the query parameter `requestTypeId` (under `query`",
    ),
    ("not_yaml", "not_yaml.yaml:4:22", "not valid YAML"),
    (
        "undefined_variable",
        "undefined_variable.yaml:6:16",
        "`request_id` is used before",
    ),
    // The key's own position, not its value's (7:7).
    ("unknown_key", "unknown_key.yaml:6:5", "unknown key `expct`"),
    (
        "unknown_operation",
        "unknown_operation.yaml:4:16",
        "unknown operation `check-eligibilty`",
    ),
];

#[test]
fn each_bad_file_is_one_problem_report_with_its_position() {
    let suite = suite::load(&dir(), SHOWN).unwrap();
    assert_eq!(suite.cases.len(), 1, "only good.yaml loads");
    assert_eq!(suite.cases[0].trial, "good");
    let mut bad: Vec<_> = suite.bad.iter().collect();
    bad.sort_by(|a, b| a.trial.cmp(&b.trial));
    assert_eq!(bad.len(), EXPECTED.len());
    for (file, (trial, position, words)) in bad.iter().zip(EXPECTED) {
        assert_eq!(file.trial, *trial);
        let message = file.to_string();
        assert!(
            message.contains(&format!("{SHOWN}/{position}")),
            "{trial}: expected {position} in:\n{message}"
        );
        assert!(
            message.contains(words),
            "{trial}: expected `{words}` in:\n{message}"
        );
    }
}

#[test]
fn bad_files_fail_and_the_good_case_still_passes() {
    let conclusion = common::run_quietly(&dir(), SHOWN, false);
    assert_eq!(conclusion.num_failed, EXPECTED.len() as u64);
    assert_eq!(conclusion.num_passed, 1);
}

#[test]
fn a_filtered_run_reads_only_the_files_it_runs() {
    let suite = suite::load_selected(&dir(), SHOWN, |trial| trial == "good").unwrap();
    assert_eq!(suite.cases.len(), 1);
    assert!(suite.bad.is_empty(), "the broken files were not read");
    assert_eq!(suite.unread.len(), EXPECTED.len());

    // Through the harness: the broken files are filtered out, not failed.
    let conclusion = common::run_filtered(&dir(), SHOWN, false, "good", true);
    assert_eq!(conclusion.num_passed, 1);
    assert_eq!(conclusion.num_failed, 0);
    assert_eq!(conclusion.num_filtered_out, EXPECTED.len() as u64);
}
