//! The JSON Schema of the case format (`conformance/case.schema.json`) is the one the case
//! model generates, and every case file of the suite (and the test directories' good files)
//! validates against it.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let committed = std::fs::read_to_string(manifest().join("case.schema.json")).unwrap();
    let generated = vlens_conformance::case::schema::render();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "conformance/case.schema.json is stale: regenerate it with \
         `cargo run -p vlens-conformance -- case-schema > conformance/case.schema.json`"
    );
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "yaml") {
            out.push(path);
        }
    }
}

#[test]
fn every_case_file_validates_against_the_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(manifest().join("case.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut files = Vec::new();
    yaml_files(&manifest().join("cases"), &mut files);
    assert!(files.len() > 50, "the suite's cases: {}", files.len());
    files.push(manifest().join("tests/bad_cases/good.yaml"));
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let case = vlens_conformance::yaml::parse(&text).unwrap().to_json();
        let errors: Vec<String> = validator
            .iter_errors(&case)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    }
    // Not vacuous: a misspelt key, an unknown operation and a wrong type are refused.
    for (yaml, what) in [
        (
            "name: x\nsteps:\n  - operation: check-eligibility\n    expct: {}\n",
            "a misspelt key",
        ),
        (
            "name: x\nsteps:\n  - operation: check-eligibilty\n",
            "an unknown operation",
        ),
        (
            "name: x\nsteps:\n  - operation: login\n    invalid: yes please\n",
            "a wrong type",
        ),
        (
            "name: x\nsteps:\n  - operation: login\n    fetch: http://h\n",
            "two actions",
        ),
    ] {
        let case = vlens_conformance::yaml::parse(yaml).unwrap().to_json();
        assert!(!validator.is_valid(&case), "{what} validates");
    }
}
