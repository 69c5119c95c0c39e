//! Canary values prove that secrets stay out of failure messages and snapshots: an ApiKey and
//! an admin password chosen here, and the tokens, OTP codes and signing links' SecurityHashes
//! the server hands out (which the harness registers as it meets them).

mod common;

use std::path::{Path, PathBuf};

use vlens_conformance::suite;
use vlens_conformance::target::Target;
use vlens_conformance::target::env::{self, Settings};

const CANARY_API_KEY: &str = "canary-api-key-7f3c9e";
const CANARY_PASSWORD: &str = "canary-password-b41d";

/// A SecurityHash as the sandbox makes it (40 hex digits) anywhere in a text, or the value of a
/// `SecurityHash=` parameter that is not a placeholder: found without the harness's own list.
fn security_hashes_in(text: &str) -> Vec<String> {
    let pattern = regex::Regex::new(r"(?i)[0-9a-f]{40}|securityhash=[^\[]").unwrap();
    pattern
        .find_iter(text)
        .map(|found| found.as_str().to_owned())
        .collect()
}

/// The committed snapshot of a signing link, given to the canary case as its expected
/// snapshot: the case passes that step only if its normalized reply has no hash.
fn provide_signing_link_snapshot(dir: &Path) {
    let committed =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("snapshots/sandbox/signing-link.snap");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(committed, dir.join("canary-signing-link.snap")).unwrap();
}

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
        let target = Target::at(sandbox.base_url(), &settings, true)
            .await
            .unwrap();
        assert!(
            target.has_control_api(),
            "the canary ApiKey opens the control API"
        );
        assert!(!format!("{target:?}").contains("canary"));
        let dir = snapshots.path().join(&target.name);
        provide_signing_link_snapshot(&dir);
        let bench = common::Bench::new(target, &dir);
        for loaded in &suite.cases {
            let run = bench.run(loaded).await;
            let Err(message) = &run.result else {
                panic!("{} was designed to fail", loaded.trial);
            };
            if loaded.trial == "security_hash_shown" {
                // Past its snapshot step: the snapshot matched the hash-free one.
                assert!(message.contains("\nstep 2 "), "{message}");
            }
            for (value, label) in run.secrets.values() {
                assert!(
                    !message.contains(&value),
                    "{}: a {label} appears in the failure:\n{message}",
                    loaded.trial
                );
                if label == "otp" {
                    // Nor a value derived from it (a "wrong" code is the real one shifted).
                    let arg = vlens_conformance::template::Arg::Value(value.clone().into());
                    let derived = vlens_conformance::template::functions::call(
                        "wrong_code",
                        &[arg],
                        vlens_conformance::template::Generators::sandbox(),
                    );
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
    let hashes = security_hashes_in(&output);
    assert!(
        hashes.is_empty(),
        "SecurityHash leaked: {hashes:?}\n{output}"
    );
    // The signing-link canaries did show links, so the check above was not vacuous.
    for shown in [
        "SecurityHash=[REDACTED security-hash]",
        "`fetch` needs an absolute http(s) URL",
        "outside the target's origin",
    ] {
        assert!(output.contains(shown), "`{shown}` not in:\n{output}");
    }
    // The cases met every kind of secret, so the checks above were not vacuous.
    for label in ["api-key", "password", "token", "otp", "security-hash"] {
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
    assert!(security_hashes_in(&written).is_empty(), "{written}");
}
