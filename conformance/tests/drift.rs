//! `vlens-conformance diff A B`: two targets' snapshot directories that differ in one field
//! print that difference and the side the spec agrees with, and exit 1; identical ones exit 0.
//! A run whose snapshots root holds another target's snapshots carries the same comparison in
//! its JSON report.

use std::path::{Path, PathBuf};
use std::process::Command;

const SNAPSHOT: &str = "activation-location-revalidation-required";

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// A copy of the sandbox's snapshots where one error code is another number.
fn renumbered(root: &Path, name: &str) {
    let dir = root.join(name);
    copy_dir(&manifest().join("snapshots/sandbox"), &dir);
    let file = dir.join(format!("{SNAPSHOT}.snap"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\"error_code\": 4406"));
    std::fs::write(
        &file,
        text.replace("\"error_code\": 4406", "\"error_code\": 54406"),
    )
    .unwrap();
}

fn diff(root: &Path, left: &str, right: &str) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_vlens-conformance"))
        .current_dir(manifest())
        .args(["diff", left, right, "--snapshots"])
        .arg(root)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn diff_names_the_difference_and_the_side_the_spec_takes() {
    let root = tempfile::tempdir().unwrap();
    copy_dir(
        &manifest().join("snapshots/sandbox"),
        &root.path().join("sandbox"),
    );
    copy_dir(
        &manifest().join("snapshots/sandbox"),
        &root.path().join("same"),
    );
    renumbered(root.path(), "staging");

    let (code, out) = diff(root.path(), "sandbox", "same");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("no drift"), "{out}");

    let (code, out) = diff(root.path(), "sandbox", "staging");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("{SNAPSHOT} (customer-sign-step-request-otp):")),
        "{out}"
    );
    assert!(
        out.contains(
            "/error_code: 4406 in sandbox, 54406 in staging — the spec agrees with sandbox"
        ),
        "{out}"
    );
    assert!(out.contains("drift: 1 differences in 1 snapshots"), "{out}");

    let (code, _) = diff(root.path(), "sandbox", "nowhere");
    assert_eq!(
        code,
        Some(2),
        "an unreadable side is an error, not agreement"
    );
}

#[test]
fn a_run_reports_drift_against_another_targets_snapshots() {
    let root = tempfile::tempdir().unwrap();
    copy_dir(
        &manifest().join("snapshots/sandbox"),
        &root.path().join("sandbox"),
    );
    renumbered(root.path(), "staging");
    let report = root.path().join("r.json");
    let output = Command::new(env!("CARGO_BIN_EXE_vlens-conformance"))
        .current_dir(manifest())
        .arg("--snapshots")
        .arg(root.path())
        .arg("--report")
        .arg(format!("json={}", report.display()))
        .args(["--exact", "activation/81km_requires_revalidation"])
        .env("CI", "true")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    let drift = &json["drift"][0];
    assert_eq!(drift["left"], "sandbox");
    assert_eq!(drift["right"], "staging");
    let difference = &drift["snapshots"][0]["differences"][0];
    assert_eq!(drift["snapshots"][0]["name"], SNAPSHOT);
    assert_eq!(difference["pointer"], "/error_code");
    assert_eq!(difference["spec"], "left");
}
