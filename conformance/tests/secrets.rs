//! Canary values prove that secrets stay out of failure messages and snapshots: an ApiKey and
//! an admin password chosen here, and the tokens, OTP codes and signing links' SecurityHashes
//! the server hands out (which the harness registers as it meets them) — in failure messages,
//! snapshots, and the JUnit, JSON and HTML reports.

mod common;

use std::path::{Path, PathBuf};

use vlens_conformance::report;
use vlens_conformance::report::results::{RunMeta, RunResults, Summary, TrialResult};
use vlens_conformance::suite;
use vlens_conformance::target::Target;
use vlens_conformance::target::env::{self, Settings};

const CANARY_API_KEY: &str = "canary-api-key-7f3c9e";
const CANARY_PASSWORD: &str = "canary-password-b41d";

/// A SecurityHash as the sandbox makes it (40 hex digits) anywhere in a text, or the value of a
/// `SecurityHash=` parameter that is not a placeholder: found without the harness's own list.
fn security_hashes_in(text: &str) -> Vec<String> {
    // A curl command's `SecurityHash='"$VLENS_SECURITY_HASH"` is a variable reference, not a
    // value.
    let pattern =
        regex::Regex::new(r#"(?i)\b[0-9a-f]{40}\b|securityhash=(?:[^\['"]|'[^"]|"[^$])"#).unwrap();
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

/// A report's text as a reader sees it: XML and HTML entities decoded, JSON strings unescaped
/// (so that a value is looked for in the form a person would copy).
fn readable(format: &str, text: &str) -> String {
    if format == "json" {
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut strings = Vec::new();
        collect_strings(&value, &mut strings);
        return strings.join("\n");
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn collect_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => out.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|item| collect_strings(item, out)),
        serde_json::Value::Object(map) => {
            for (key, member) in map {
                out.push(key.clone());
                collect_strings(member, out);
            }
        }
        other => out.push(other.to_string()),
    }
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
    let mut all_values = Vec::new();
    let mut trials = Vec::new();
    let mut reports = Vec::new();
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
            let Err(message) = &common::outcome(loaded, &run) else {
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
            all_values.extend(run.secrets.values());
            let message = message.clone();
            trials.push(TrialResult::ran(loaded, run, Some(message)));
        }
        // The three reports of these runs, every request and reply in them.
        let results = RunResults {
            run: RunMeta::now(&bench.target, None),
            summary: Summary::of(&trials, 0),
            trials,
            coverage: bench.coverage.summary(),
            calibration: None,
            drift: Vec::new(),
        };
        reports.push(("junit", report::junit::render(&results)));
        reports.push(("json", report::json::render(&results)));
        reports.push(("html", report::html::render(&results)));
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
    for (format, text) in &reports {
        let text = &readable(format, text);
        for canary in [CANARY_API_KEY, CANARY_PASSWORD] {
            assert!(
                !text.contains(canary),
                "{canary} leaked into the {format} report"
            );
        }
        for (value, label) in &all_values {
            assert!(
                !text.contains(value.as_str()),
                "a {label} leaked into the {format} report"
            );
        }
        let hashes = security_hashes_in(text);
        assert!(
            hashes.is_empty(),
            "SecurityHash in the {format} report: {hashes:?}"
        );
        assert!(!text.contains("eyJ"), "a JWT in the {format} report");
        // Not vacuous: the reports show the requests, replies and curl commands.
        assert!(
            text.contains("[REDACTED api-key]"),
            "{format}: no redacted ApiKey"
        );
        assert!(
            text.contains("VLENS_API_KEY"),
            "{format}: no curl with the ApiKey's variable"
        );
        assert!(
            text.contains("/api/BusinessRequest/ViewContractPdf"),
            "{format}: no request"
        );
    }
    let written = all_text_below(snapshots.path());
    assert!(
        !written.contains(CANARY_API_KEY) && !written.contains("eyJ"),
        "{written}"
    );
    assert!(security_hashes_in(&written).is_empty(), "{written}");
}
