//! One run of the binary on the embedded sandbox, with a deliberately failing case, a passing
//! one and one the sandbox cannot run: the terminal and the three reports show the failure's
//! layer, the request, the reply and a curl command, and the ignored case's reason; the JUnit
//! loads in an XML parser with one testcase per trial, the JSON validates against its
//! committed schema, the HTML is one well-formed, self-contained page with every case.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::xml;
use serde_json::Value;

const FAILING: &str = "checks/fails";
const PASSING: &str = "checks/passes";
const IGNORED: &str = "elsewhere/needs_paid";
const REASON: &str = "the target cannot provide a product that is paid";

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary on tests/report_cases with `extra` arguments; (exit code, stdout).
fn run(dir: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_vlens-conformance"))
        .current_dir(manifest())
        .args(["--cases", "tests/report_cases", "--snapshots"])
        .arg(dir.join("snapshots"))
        .args(extra)
        .env_remove("VLENS_REPORT")
        .env_remove("VLENS_BASE_URL")
        .env_remove("VLENS_TARGET_PROFILE")
        .output()
        .expect("the binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// What every rendering of the failure must show.
fn assert_shows_the_failure(what: &str, text: &str) {
    for shown in [
        "[expectation] at `/data/isEligible`",
        "GET http://127.0.0.1:",
        "/api/BusinessRequest/CheckEligibility",
        "Authorization: Bearer [REDACTED token]",
        "HTTP 200",
        "\"isEligible\":true",
        "curl ",
        r#"'ApiKey: '"$VLENS_API_KEY""#,
    ] {
        assert!(text.contains(shown), "{what}: `{shown}` not in:\n{text}");
    }
}

#[test]
fn one_run_writes_three_reports_that_show_the_failure_and_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let report = |name: &str| dir.path().join(name);
    let junit = format!("junit={}", report("r.xml").display());
    let json = format!("json={}", report("r.json").display());
    let html = format!("html={}", report("out/r.html").display());
    let (code, stdout) = run(
        dir.path(),
        &["--report", &junit, "--report", &json, "--report", &html],
    );
    assert_eq!(code, Some(101), "one case fails:\n{stdout}");
    assert_shows_the_failure("the terminal", &stdout);
    assert!(stdout.contains(&format!("{IGNORED}: {REASON}")), "{stdout}");

    // JUnit: one testcase per trial, grouped by folder; the failure in full; the reason.
    let junit = xml::parse(&std::fs::read_to_string(report("r.xml")).unwrap());
    assert_eq!(junit.name, "testsuites");
    let suites: Vec<&str> = junit
        .named("testsuite")
        .iter()
        .map(|s| s.attr("name"))
        .collect();
    assert_eq!(suites, ["checks", "elsewhere"]);
    let cases = junit.named("testcase");
    assert_eq!(cases.len(), 3);
    // What the Apache Ant JUnit schema requires: no attributes on testsuites; each suite's
    // package, id, hostname, zone-less timestamp, counts and time, then properties, the
    // testcases, system-out and system-err, in that order; name, classname and time (only)
    // on a testcase.
    assert!(junit.attributes.is_empty(), "{:?}", junit.attributes);
    let stamp = regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$").unwrap();
    for (id, suite) in junit.named("testsuite").iter().enumerate() {
        for required in [
            "name", "package", "hostname", "tests", "failures", "errors", "time",
        ] {
            assert!(!suite.attr(required).is_empty(), "{required} on {suite:?}");
        }
        assert_eq!(suite.attr("id"), id.to_string());
        assert!(
            stamp.is_match(suite.attr("timestamp")),
            "{}",
            suite.attr("timestamp")
        );
        let order: Vec<&str> = suite.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(order.first(), Some(&"properties"));
        assert_eq!(&order[order.len() - 2..], ["system-out", "system-err"]);
        assert!(
            order[1..order.len() - 2]
                .iter()
                .all(|name| *name == "testcase")
        );
    }
    let count = |attribute: &str| -> usize {
        junit
            .named("testsuite")
            .iter()
            .map(|suite| suite.attr(attribute).parse::<usize>().unwrap())
            .sum()
    };
    assert_eq!(
        (count("tests"), count("failures"), count("skipped")),
        (3, 1, 1)
    );
    for case in &cases {
        assert!(case.attr("time").parse::<f64>().is_ok(), "{case:?}");
        let names: Vec<&String> = case.attributes.keys().collect();
        assert_eq!(names, ["classname", "name", "time"]);
    }
    let failed = cases.iter().find(|c| c.attr("name") == FAILING).unwrap();
    let failure = &failed.named("failure")[0];
    assert_eq!(failure.attr("type"), "expectation");
    assert_shows_the_failure("the JUnit failure", &failure.text);
    let skipped = cases.iter().find(|c| c.attr("name") == IGNORED).unwrap();
    assert!(skipped.named("skipped")[0].attr("message").contains(REASON));
    let passed = cases.iter().find(|c| c.attr("name") == PASSING).unwrap();
    assert!(passed.children.is_empty());

    // JSON: valid against the committed schema; the failing layer, request, reply, reason.
    let text = std::fs::read_to_string(report("r.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(manifest().join("report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(json["run"]["target"], "sandbox");
    assert_eq!(json["summary"]["failed"], 1);
    let trial = |name: &str| {
        json["trials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()
            .clone()
    };
    let failing = trial(FAILING);
    let step = &failing["steps"][0];
    let layers: Vec<(&str, &str)> = step["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["layer"].as_str().unwrap(), l["verdict"].as_str().unwrap()))
        .collect();
    assert!(layers.contains(&("expectation", "failed")), "{layers:?}");
    assert!(layers.contains(&("schema", "passed")), "{layers:?}");
    assert_eq!(step["request"]["method"], "GET");
    assert_eq!(step["reply"]["status"], 200);
    assert_eq!(failing["steps"][1]["status"], "not-run");
    assert_shows_the_failure("the JSON message", failing["message"].as_str().unwrap());
    assert!(trial(IGNORED)["reason"].as_str().unwrap().contains(REASON));

    // HTML: well-formed, self-contained, every case, the failing layer marked.
    let page = std::fs::read_to_string(report("out/r.html")).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    let html = xml::parse(page.trim_start_matches("<!DOCTYPE html>"));
    for element in html.all() {
        assert!(
            element.attr("src").is_empty(),
            "an external asset: {element:?}"
        );
        assert!(
            !element.attr("href").contains("://"),
            "a link out: {element:?}"
        );
        assert!(!["link", "script", "img", "iframe"].contains(&element.name.as_str()));
    }
    let trials: Vec<&xml::Element> = html
        .named("details")
        .into_iter()
        .filter(|d| d.has_class("trial"))
        .collect();
    assert_eq!(trials.len(), 3);
    let failed = trials
        .iter()
        .find(|t| t.attr("id") == format!("trial-{FAILING}"))
        .unwrap();
    assert!(failed.has_class("failed") && failed.attr("open") == "open");
    assert_eq!(failed.failed_layers(), ["expectation"]);
    for class in ["request", "reply", "curl"] {
        assert!(
            failed.named("details").iter().any(|d| d.has_class(class)),
            "no {class} in the failing case"
        );
    }
    for shown in [
        "[expectation] at /data/isEligible",
        "request: GET http://127.0.0.1:",
        "Authorization: Bearer [REDACTED token]",
        "reply: HTTP 200",
        "\"isEligible\": true",
        r#"curl http://127.0.0.1:"#,
        r#"'ApiKey: '"$VLENS_API_KEY""#,
    ] {
        assert!(
            failed.text.contains(shown),
            "the HTML: `{shown}` not in:\n{}",
            failed.text
        );
    }
    let ignored = trials.iter().find(|t| t.has_class("ignored")).unwrap();
    assert!(ignored.text.contains(REASON), "{}", ignored.text);
    let summary = html
        .all()
        .into_iter()
        .find(|e| e.attr("id") == "summary")
        .unwrap();
    assert!(summary.text.contains("1 failed") && summary.text.contains("1 ignored"));
    assert!(html.all().iter().any(|e| e.attr("id") == "coverage"));
}

#[test]
fn json_events_carry_the_reason_and_the_message_unquoted() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout) = run(dir.path(), &["--format", "json", "--test-threads", "1"]);
    assert_eq!(code, Some(101));
    let events: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let outcome = |name: &str| {
        events
            .iter()
            .find(|e| e["name"] == name && e["event"] != "started")
            .unwrap()
            .clone()
    };
    assert_eq!(outcome(IGNORED)["event"], "ignored");
    assert!(
        outcome(IGNORED)["reason"]
            .as_str()
            .unwrap()
            .contains(REASON)
    );
    let failed = outcome(FAILING);
    let message = failed["message"].as_str().unwrap();
    assert!(message.starts_with("case `"), "not quoted: {message}");
    assert_shows_the_failure("the JSON event", message);
    assert_eq!(outcome(PASSING)["event"], "ok");
    assert_eq!(events[0]["event"], "started");
    assert_eq!(events.last().unwrap()["failed"], 1);
}

#[test]
fn a_filtered_run_prints_the_reasons_of_what_it_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout) = run(dir.path(), &["elsewhere"]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains(&format!("{IGNORED}: {REASON}")), "{stdout}");
    // The trial's own line says why, as libtest-mimic words a reason: `ignored (REASON)`.
    let line = stdout
        .lines()
        .find(|line| line.starts_with(&format!("test {IGNORED} ")))
        .unwrap_or_else(|| panic!("no line for {IGNORED}:\n{stdout}"));
    assert!(line.contains(&format!("... ignored ({REASON}")), "{line}");
    assert!(
        !stdout.contains("coverage of"),
        "a filtered run prints no coverage"
    );
    let (_, listed) = run(dir.path(), &["--list"]);
    assert!(
        listed.contains(&format!("{IGNORED}: test (ignored: {REASON}")),
        "{listed}"
    );
}

#[test]
fn the_trials_the_target_cannot_run_are_flagged_for_ignored_and_nextest() {
    let dir = tempfile::tempdir().unwrap();
    // cargo nextest learns which trials to skip from `--list --format terse --ignored`.
    let (code, listed) = run(dir.path(), &["--list", "--format", "terse", "--ignored"]);
    assert_eq!(code, Some(0), "{listed}");
    assert_eq!(listed.trim(), format!("{IGNORED}: test"));
    let (code, stdout) = run(dir.path(), &["--ignored"]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains(&format!("... ignored ({REASON}")),
        "{stdout}"
    );
    assert!(stdout.contains("0 passed; 0 failed; 1 ignored"), "{stdout}");
}

#[test]
fn a_report_that_is_not_format_equals_path_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_vlens-conformance"))
        .current_dir(manifest())
        .args(["--cases", "tests/report_cases", "--report", "xml=r.xml"])
        .arg("--snapshots")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown report format `xml` (junit, json or html)"),
        "{stderr}"
    );
}
