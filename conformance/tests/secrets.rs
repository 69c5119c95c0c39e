//! Canary values prove that secrets stay out of failure messages and snapshots: an ApiKey and
//! an admin password chosen here, and the tokens and OTP codes the server hands out (which the
//! harness registers as it meets them).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use vlens_conformance::coverage::Coverage;
use vlens_conformance::runner::{RunContext, run_case};
use vlens_conformance::snapshot::SnapshotStore;
use vlens_conformance::suite;
use vlens_conformance::target::{Settings, Target, env};

const CANARY_API_KEY: &str = "canary-api-key-7f3c9e";
const CANARY_PASSWORD: &str = "canary-password-b41d";

fn all_text_below(dir: &Path) -> String {
    let mut text = String::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                text.push_str(&all_text_below(&path));
            } else if let Ok(content) = std::fs::read_to_string(&path) {
                text.push_str(&content);
            }
        }
    }
    text
}

#[test]
fn canary_secrets_never_appear_in_failures_or_snapshots() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let snapshots = tempfile::tempdir().unwrap();
    let cases = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/canary_cases");
    let suite = suite::load(&cases, "conformance/tests/canary_cases").unwrap();
    assert!(suite.bad.is_empty(), "{:?}", suite.bad);
    let mut seen_labels = Vec::new();
    let mut output = String::new();
    runtime.block_on(async {
        let config = vlens_sandbox::SandboxConfig {
            api_key: CANARY_API_KEY.to_owned(),
            ..Default::default()
        };
        let sandbox = vlens_sandbox::start(config).await.unwrap();
        let settings = Settings::default()
            .with(env::API_KEY, CANARY_API_KEY)
            .with(env::ADMIN_PASSWORD, CANARY_PASSWORD);
        let target = Target::at(sandbox.base_url(), &settings).await.unwrap();
        assert!(
            target.has_control_api(),
            "the canary ApiKey opens the control API"
        );
        assert!(!format!("{target:?}").contains("canary"));
        let coverage = Arc::new(Coverage::default());
        let store = SnapshotStore {
            dir: snapshots.path().join(&target.snapshot_name),
        };
        let context = RunContext {
            target: &target,
            coverage: &coverage,
            snapshots: &store,
        };
        for loaded in &suite.cases {
            let run = run_case(&context, loaded).await;
            let Err(message) = &run.result else {
                panic!("{} was designed to fail", loaded.trial);
            };
            for (value, label) in run.secrets.values() {
                assert!(
                    !message.contains(&value),
                    "{}: a {label} appears in the failure:\n{message}",
                    loaded.trial
                );
                if label == "otp" {
                    // Nor a value derived from it (a "wrong" code is the real one shifted).
                    let arg = vlens_conformance::template::Arg::Value(value.clone().into());
                    let derived = vlens_conformance::generate::call("wrong_code", &[arg]);
                    let derived = derived.ok().and_then(|v| v.as_str().map(str::to_owned));
                    if let Some(derived) = derived {
                        assert!(!message.contains(&derived), "{}: {message}", loaded.trial);
                    }
                }
                seen_labels.push(label);
            }
            output.push_str(message);
        }
        sandbox.shutdown().await;
    });
    for canary in [CANARY_API_KEY, CANARY_PASSWORD] {
        assert!(!output.contains(canary), "{canary} leaked:\n{output}");
    }
    // The cases met every kind of secret, so the checks above were not vacuous.
    for label in ["api-key", "password", "token", "otp"] {
        assert!(
            seen_labels.contains(&label),
            "no {label} was met: {seen_labels:?}"
        );
    }
    assert!(output.contains("[REDACTED"), "{output}");
    assert!(
        output.contains("admin"),
        "the refused admin fixture is reported:\n{output}"
    );
    let written = all_text_below(snapshots.path());
    assert!(
        !written.contains(CANARY_API_KEY) && !written.contains("eyJ"),
        "{written}"
    );
}
