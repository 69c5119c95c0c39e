//! The HTML report of a fixed run (built here, no server): one well-formed page with the
//! summary, every trial, the failing step's layers with the failing one marked, its request,
//! reply, curl and snapshot diff, an ignored trial's reason, and the drift section — and no
//! external asset.

mod common;

use common::xml;
use serde_json::json;
use vlens_conformance::drift::{Difference, DifferenceKind, Drift, SnapshotDrift, SpecSide};
use vlens_conformance::record::{
    Header, LayerVerdict, OperationRef, ShownBody, ShownReply, ShownRequest, ShownSnapshot,
    StepRecord, StepStatus, Verdict,
};
use vlens_conformance::report::coverage::Coverage;
use vlens_conformance::report::results::{
    RunMeta, RunResults, Summary, TrialKind, TrialResult, TrialStatus,
};
use vlens_conformance::snapshot::SnapshotVerdict;
use vlens_conformance::verify::Layer;

fn trial(name: &str, status: TrialStatus) -> TrialResult {
    TrialResult {
        name: name.to_owned(),
        group: name.split('/').next().unwrap_or_default().to_owned(),
        kind: TrialKind::Case,
        file: Some(format!("conformance/cases/{name}.yaml")),
        title: Some(format!("the case {name} <&>")),
        description: None,
        tags: Vec::new(),
        status,
        reason: None,
        duration_ms: 12.0,
        message: None,
        problems: Vec::new(),
        steps: Vec::new(),
    }
}

fn failing_step() -> StepRecord {
    StepRecord {
        number: 1,
        name: "login".to_owned(),
        line: 5,
        column: 5,
        does: "login".to_owned(),
        operation: Some(OperationRef {
            id: "login".to_owned(),
            method: "POST".to_owned(),
            path: "/api/credentials/Login".to_owned(),
        }),
        status: StepStatus::Failed,
        duration_ms: 3.0,
        attempts: 1,
        request: Some(ShownRequest {
            method: "POST".to_owned(),
            url: "http://127.0.0.1:1/api/credentials/Login".to_owned(),
            headers: vec![Header {
                name: "ApiKey".to_owned(),
                value: "[REDACTED api-key]".to_owned(),
            }],
            body: Some(ShownBody {
                bytes: 20,
                json: Some(json!({"password": "[REDACTED password]"})),
                text: None,
                abbreviated: false,
            }),
        }),
        reply: Some(ShownReply {
            status: 200,
            content_type: Some("application/json".to_owned()),
            body: Some(ShownBody {
                bytes: 30,
                json: Some(json!({"data": {"accessToken": "[REDACTED token]"}})),
                text: None,
                abbreviated: false,
            }),
        }),
        layers: Layer::ALL
            .iter()
            .map(|layer| LayerVerdict {
                layer: *layer,
                verdict: if *layer == Layer::Snapshot {
                    Verdict::Failed
                } else {
                    Verdict::Passed
                },
            })
            .collect(),
        findings: Vec::new(),
        snapshot: Some(ShownSnapshot {
            name: "auth-admin-login".to_owned(),
            target: "sandbox".to_owned(),
            file: "conformance/snapshots/sandbox/auth-admin-login.snap".to_owned(),
            verdict: SnapshotVerdict::Changed,
            diff: Some(
                "--- stored\n+++ this run\n@@ -1 +1 @@\n-status: 401\n+status: 200\n".to_owned(),
            ),
            error: None,
        }),
        message: None,
    }
}

#[test]
fn a_fixed_run_renders_as_one_self_contained_page() {
    let mut failed = trial("auth/admin_login", TrialStatus::Failed);
    failed.message = Some("case `x`\nstep 1 failed".to_owned());
    failed.steps = vec![failing_step()];
    let mut ignored = trial("elsewhere/paid", TrialStatus::Ignored);
    ignored.reason = Some("the target cannot provide a product that is paid".to_owned());
    let passed = trial("auth/other", TrialStatus::Passed);
    let trials = vec![failed, passed, ignored];
    let results = RunResults {
        run: RunMeta {
            target: "sandbox".to_owned(),
            base_url: "http://127.0.0.1:1".to_owned(),
            described_by: "the embedded sandbox".to_owned(),
            started: "2026-11-29T20:00:00Z".to_owned(),
            duration_ms: 100.0,
            harness_version: "0.1.0".to_owned(),
            spec_version: "1.0.0".to_owned(),
            spec_sha256: "0".repeat(64),
            filter: None,
        },
        summary: Summary::of(&trials, 0),
        trials,
        coverage: Coverage::default().summary(),
        calibration: None,
        drift: vec![Drift {
            left: "sandbox".to_owned(),
            right: "staging".to_owned(),
            compared: 1,
            only_left: Vec::new(),
            only_right: Vec::new(),
            snapshots: vec![SnapshotDrift {
                name: "auth-admin-login".to_owned(),
                operation: Some("login".to_owned()),
                differences: vec![Difference {
                    pointer: "/error_code".to_owned(),
                    kind: DifferenceKind::Value,
                    left: Some("401".to_owned()),
                    right: Some("54401".to_owned()),
                    spec: SpecSide::Left,
                }],
            }],
        }],
    };
    let page = vlens_conformance::report::html::render(&results);
    assert!(page.starts_with("<!DOCTYPE html>"));
    let html = xml::parse(page.trim_start_matches("<!DOCTYPE html>"));
    assert_eq!(html.name, "html");
    for element in html.all() {
        assert!(element.attr("src").is_empty() && !element.attr("href").contains("://"));
        assert!(!["link", "script", "img", "iframe", "object"].contains(&element.name.as_str()));
    }
    let by_id = |id: &str| html.all().into_iter().find(|e| e.attr("id") == id);
    let summary = by_id("summary").expect("a summary");
    for count in ["3 trials", "1 passed", "1 failed", "1 ignored"] {
        assert!(summary.text.contains(count), "{count}: {}", summary.text);
    }
    assert!(by_id("coverage").is_some());
    let drift = by_id("drift-staging").expect("a drift section");
    assert!(drift.text.contains("/error_code") && drift.text.contains("54401"));
    let failed = by_id("trial-auth/admin_login").expect("the failed trial");
    assert!(
        failed.text.contains("the case auth/admin_login <&>"),
        "escaped and read back"
    );
    assert_eq!(failed.failed_layers(), ["snapshot"]);
    let diff = failed
        .named("pre")
        .into_iter()
        .find(|p| p.has_class("diff"))
        .expect("a diff");
    let added: Vec<&str> = diff
        .named("span")
        .into_iter()
        .filter(|s| s.has_class("add"))
        .map(|s| s.text.as_str())
        .collect();
    assert_eq!(added, ["+status: 200"]);
    let request = failed
        .named("details")
        .into_iter()
        .find(|d| d.has_class("request"))
        .unwrap();
    assert!(
        request
            .text
            .contains("\"password\": \"[REDACTED password]\""),
        "pretty JSON"
    );
    let curl = failed
        .named("details")
        .into_iter()
        .find(|d| d.has_class("curl"))
        .unwrap();
    assert!(curl.text.contains(r#""$VLENS_PASSWORD""#), "{}", curl.text);
    let ignored = by_id("trial-elsewhere/paid").expect("the ignored trial");
    let reason = ignored
        .named("div")
        .into_iter()
        .find(|d| d.has_class("reason"))
        .unwrap();
    assert!(reason.text.contains("a product that is paid"));
    let trials = html
        .named("details")
        .into_iter()
        .filter(|d| d.has_class("trial"))
        .count();
    assert_eq!(trials, 3);
}
