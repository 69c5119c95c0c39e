//! Snapshots on a new target: a missing snapshot is one line saying how to record it (no
//! insta hints), the case's later steps still run, a changed one shows its diff, and a stale
//! `.snap.new` beside a snapshot that matches is removed.

mod common;

use std::path::{Path, PathBuf};

use vlens_conformance::record::StepStatus;
use vlens_conformance::snapshot::SnapshotVerdict;
use vlens_conformance::suite;
use vlens_conformance::target::Target;

fn committed() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("snapshots/sandbox/auth-missing-api-key.snap")
}

/// insta records in place under these settings instead of reporting a new snapshot.
fn records_in_place() -> bool {
    matches!(
        std::env::var("INSTA_UPDATE").as_deref(),
        Ok("always" | "1" | "force" | "unseen")
    )
}

#[test]
fn new_changed_and_matching_snapshots() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cases = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshot_cases");
    let suite = suite::load(&cases, "conformance/tests/snapshot_cases").unwrap();
    let loaded = &suite.cases[0];
    let snapshots = tempfile::tempdir().unwrap();
    let dir = snapshots.path().join("sandbox");
    let file = dir.join("auth-missing-api-key.snap");
    let pending = dir.join("auth-missing-api-key.snap.new");
    runtime.block_on(async {
        let bench = common::Bench::new(Target::embedded().await.unwrap(), &dir);

        // 1. None stored yet: one line, and step 2 ran all the same.
        let run = bench.run(loaded).await;
        if records_in_place() {
            assert_eq!(
                run.steps[0].snapshot.as_ref().unwrap().verdict,
                SnapshotVerdict::Recorded
            );
        } else {
            let message = common::outcome(loaded, &run).unwrap_err();
            let line = "[snapshot] new snapshot `auth-missing-api-key` for target `sandbox`: \
                        record with INSTA_UPDATE=always or `cargo insta review`";
            assert!(message.contains(line), "{message}");
            for hint in ["Stopped on the first failure", "cargo insta test", "line "] {
                assert!(
                    !message.contains(hint),
                    "insta's hint `{hint}` in:\n{message}"
                );
            }
            assert_eq!(run.steps[0].status, StepStatus::Failed);
            assert_eq!(run.steps[1].status, StepStatus::Passed, "step 2 still ran");
        }

        // 2. Stored and matching: it passes, and a stale .snap.new goes away.
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(committed(), &file).unwrap();
        std::fs::write(&pending, "stale").unwrap();
        let run = bench.run(loaded).await;
        assert_eq!(common::outcome(loaded, &run), Ok(()));
        assert_eq!(
            run.steps[0].snapshot.as_ref().unwrap().verdict,
            SnapshotVerdict::Matched
        );
        assert!(!pending.exists(), "the stale .snap.new is left behind");

        // 3. Stored and different: the step fails with a diff; step 2 still runs.
        if !records_in_place() {
            changed(&file);
            let run = bench.run(loaded).await;
            let message = common::outcome(loaded, &run).unwrap_err();
            assert!(
                message.contains("snapshot `auth-missing-api-key` for target `sandbox` changed"),
                "{message}"
            );
            assert!(
                message.contains("-  \"error_message\": \"Unauthorized - missing the ApiKey\""),
                "{message}"
            );
            assert!(
                message.contains("+  \"error_message\": \"Unauthorized - missing ApiKey header\""),
                "{message}"
            );
            let snapshot = run.steps[0].snapshot.as_ref().unwrap();
            assert_eq!(snapshot.verdict, SnapshotVerdict::Changed);
            assert!(snapshot.diff.is_some());
            assert_eq!(run.steps[1].status, StepStatus::Passed);
        }
    });
}

fn changed(file: &Path) {
    let text = std::fs::read_to_string(file).unwrap();
    let text = text.replace("missing ApiKey header", "missing the ApiKey");
    std::fs::write(file, text).unwrap();
}
