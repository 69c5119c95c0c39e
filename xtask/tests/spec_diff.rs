//! `cargo xtask spec-diff` and the report of `cargo xtask codegen`: each kind of spec change,
//! made on a copy of the real spec, is reported once with its weight for a caller of
//! vlens-client.

mod common;

use common::workspace_root;

use std::process::Command;

use serde_json::{Value, json};
use vlens_openapi::ApiSpec;
use xtask::diff::{self, Level, Report};

const ELIGIBILITY: &str = "/api/BusinessRequest/CheckEligibility";

fn base() -> Value {
    serde_norway::from_str(vlens_openapi::VLENS_YAML).expect("the spec parses")
}

fn load(value: &Value) -> ApiSpec {
    let text = serde_norway::to_string(value).expect("serialises");
    ApiSpec::parse("mutated", &text).expect("the mutated spec loads")
}

/// The report from the real spec to the spec `mutate` makes of it.
fn report_of(mutate: impl FnOnce(&mut Value)) -> Report {
    let old = base();
    let mut new = old.clone();
    mutate(&mut new);
    diff::compare(&load(&old), &load(&new))
}

/// Asserts the report holds exactly one change, at `level`, about `subject`, saying `detail`.
fn assert_only(report: &Report, level: Level, subject: &str, detail: &str) {
    match report.changes.as_slice() {
        [change] => {
            assert_eq!(change.level, level, "{change:?}");
            assert!(change.subject.contains(subject), "{change:?}");
            assert!(change.detail.contains(detail), "{change:?}");
        }
        other => panic!("expected one change about {subject}, got {other:#?}"),
    }
}

fn schema<'v>(spec: &'v mut Value, name: &str) -> &'v mut Value {
    &mut spec["components"]["schemas"][name]
}

#[test]
fn an_unchanged_spec_reports_nothing_in_one_line() {
    let report = report_of(|_| {});
    assert!(report.changes.is_empty(), "{report:#?}");
    assert_eq!(report.level(), None);
    assert_eq!(
        report.render("openapi/vlens.yaml", "HEAD", Some("0.1.0")),
        "openapi/vlens.yaml since HEAD: no change a caller of vlens-client can see\n"
    );
    // Words only (descriptions, decisions) are not changes for a caller either.
    let reworded = report_of(|s| {
        s["paths"][ELIGIBILITY]["get"]["description"] = json!("Reworded.");
        s["paths"][ELIGIBILITY]["get"]["x-vlens-decision"] = json!("Decided otherwise.");
    });
    assert!(reworded.changes.is_empty(), "{reworded:#?}");
}

#[test]
fn an_added_operation_is_compatible() {
    let report = report_of(|s| {
        let mut operation = s["paths"][ELIGIBILITY]["get"].clone();
        operation["operationId"] = json!("get-business-request-ping");
        s["paths"]["/api/BusinessRequest/Ping"] = json!({ "get": operation });
    });
    assert_only(
        &report,
        Level::Minor,
        "operation `get-business-request-ping` (GET /api/BusinessRequest/Ping)",
        "added (`Client::get_business_request_ping`)",
    );
}

#[test]
fn a_removed_operation_is_breaking() {
    let report = report_of(|s| {
        s["paths"]
            .as_object_mut()
            .expect("paths")
            .remove(ELIGIBILITY);
    });
    // Its reply type is still a component: only the operation goes.
    assert_only(
        &report,
        Level::Major,
        "operation `check-eligibility`",
        "removed (`Client::check_eligibility` is gone)",
    );
}

#[test]
fn a_removed_response_field_is_breaking() {
    let report = report_of(|s| {
        let eligibility = schema(s, "Eligibility");
        eligibility["properties"]
            .as_object_mut()
            .expect("properties")
            .remove("isEmailConfirmed");
        eligibility["required"] = json!([
            "isEligible",
            "isDigitalIdentityVerified",
            "hasPendingRequest"
        ]);
    });
    assert_only(
        &report,
        Level::Major,
        "type `Eligibility`",
        "field `isEmailConfirmed` removed",
    );
    assert!(
        report
            .render("openapi/vlens.yaml", "HEAD", Some("0.1.0"))
            .contains(
                "breaking (major):\n  - type `Eligibility`: field `isEmailConfirmed` removed"
            )
    );
}

#[test]
fn an_added_optional_request_field_is_compatible() {
    let report = report_of(|s| {
        schema(s, "VerifyPhoneInput")["properties"]["nickname"] = json!({"type": "string"});
    });
    assert_only(
        &report,
        Level::Minor,
        "type `VerifyPhoneInput`",
        "field `nickname` added, optional",
    );
}

#[test]
fn a_new_required_request_field_is_breaking() {
    let report = report_of(|s| {
        let input = schema(s, "VerifyPhoneInput");
        input["properties"]["deviceId"] = json!({"type": "string"});
        input["required"] = json!(["phoneNumber", "deviceId"]);
    });
    assert_only(
        &report,
        Level::Major,
        "type `VerifyPhoneInput`",
        "field `deviceId` added, required (a new argument of the request body's `new`)",
    );
}

#[test]
fn an_optional_field_made_required_is_breaking_where_the_rust_type_changes() {
    // phoneNumberOtpRequestId is nullable: required or not, it stays an Option.
    let nullable = report_of(|s| {
        schema(s, "VerifyPhoneInput")["required"] =
            json!(["phoneNumber", "phoneNumberOtpRequestId"]);
    });
    assert_only(
        &nullable,
        Level::Patch,
        "type `VerifyPhoneInput`",
        "field `phoneNumberOtpRequestId` made required (the Rust field keeps its type)",
    );
    let plain = report_of(|s| {
        schema(s, "Eligibility")["required"] = json!([
            "isEligible",
            "isDigitalIdentityVerified",
            "hasPendingRequest"
        ]);
    });
    assert_only(
        &plain,
        Level::Major,
        "type `Eligibility`",
        "field `isEmailConfirmed` made optional (the Rust field goes from T to Option<T>)",
    );
}

#[test]
fn an_added_enum_value_breaks_only_what_callers_read() {
    // OAuthTokenInput travels in requests only: one more value the caller may send.
    let request = report_of(|s| {
        schema(s, "OAuthTokenInput")["properties"]["provider"]["enum"] =
            json!(["Google", "Microsoft", "Apple"]);
    });
    assert_only(
        &request,
        Level::Minor,
        "type `OAuthTokenInput`",
        "field `provider`: value \"Apple\" added",
    );
    // In a reply, an exhaustive `match` on the generated enum no longer compiles.
    let with_reason = |values: Value| {
        move |s: &mut Value| {
            schema(s, "Eligibility")["properties"]["reason"] =
                json!({"type": "string", "enum": values});
        }
    };
    let mut old = base();
    with_reason(json!(["Pending"]))(&mut old);
    let mut new = base();
    with_reason(json!(["Pending", "Unverified"]))(&mut new);
    let reply = diff::compare(&load(&old), &load(&new));
    assert_only(
        &reply,
        Level::Major,
        "type `Eligibility`",
        "field `reason`: value \"Unverified\" added (an exhaustive `match` on it no longer compiles)",
    );
}

#[test]
fn a_removed_enum_value_is_breaking() {
    let report = report_of(|s| {
        schema(s, "OAuthTokenInput")["properties"]["provider"]["enum"] = json!(["Google"]);
    });
    assert_only(
        &report,
        Level::Major,
        "type `OAuthTokenInput`",
        "field `provider`: value \"Microsoft\" removed",
    );
}

#[test]
fn error_codes_added_removed_and_renumbered() {
    let added = report_of(|s| {
        s["x-vlens-error-codes"]
            .as_array_mut()
            .expect("table")
            .push(json!({"code": 4999, "name": "Throttled", "httpStatus": 200,
                         "message": "Slow down.", "source": "project"}));
    });
    assert_only(
        &added,
        Level::Minor,
        "error code `Throttled`",
        "added (4999, HTTP 200: `KnownErrorCode::Throttled`)",
    );

    // MethodNotAllowed (405) is no operation's business code.
    let removed = report_of(|s| {
        s["x-vlens-error-codes"]
            .as_array_mut()
            .expect("table")
            .retain(|code| code["name"] != json!("MethodNotAllowed"));
    });
    assert_only(
        &removed,
        Level::Major,
        "error code `MethodNotAllowed`",
        "removed (`KnownErrorCode::MethodNotAllowed` is gone)",
    );

    let renumbered = report_of(|s| {
        for code in s["x-vlens-error-codes"].as_array_mut().expect("table") {
            if code["name"] == json!("OtpInvalid") {
                code["code"] = json!(54201);
            }
        }
    });
    assert_only(
        &renumbered,
        Level::Patch,
        "error code `OtpInvalid`",
        "renumbered 4201 → 54201 (`KnownErrorCode::OtpInvalid` stays)",
    );

    let answered = report_of(|s| {
        s["paths"][ELIGIBILITY]["get"]["x-vlens-error-codes"] = json!(["RequestNotFound"]);
    });
    assert_only(
        &answered,
        Level::Patch,
        "operation `check-eligibility`",
        "may answer `RequestNotFound`",
    );
}

#[test]
fn a_retyped_field_is_breaking() {
    let report = report_of(|s| {
        schema(s, "GeoLocation")["properties"]["latitude"] = json!({"type": "string"});
    });
    assert_only(
        &report,
        Level::Major,
        "type `GeoLocation`",
        "field `latitude` retyped: number (double) → string",
    );
}

#[test]
fn a_token_that_accepts_less_is_breaking_and_one_that_accepts_more_is_not() {
    let narrower = report_of(|s| s["paths"][ELIGIBILITY]["get"]["x-vlens-token"] = json!("admin"));
    assert_only(
        &narrower,
        Level::Major,
        "operation `check-eligibility`",
        "takes a `admin` token instead of a `user` token",
    );
    let wider =
        report_of(|s| s["paths"][ELIGIBILITY]["get"]["x-vlens-token"] = json!("user-or-admin"));
    assert_only(
        &wider,
        Level::Patch,
        "operation `check-eligibility`",
        "takes a `user-or-admin` token instead of a `user` token",
    );
}

#[test]
fn a_new_query_parameter_is_a_new_argument() {
    let report = report_of(|s| {
        s["paths"][ELIGIBILITY]["get"]["parameters"]
            .as_array_mut()
            .expect("parameters")
            .push(json!({"name": "Product", "in": "query", "schema": {"type": "integer"}}));
    });
    assert_only(
        &report,
        Level::Major,
        "operation `check-eligibility`",
        "query parameter `Product` added, optional (one more argument)",
    );
}

#[test]
fn the_semver_hint_maps_levels_onto_a_0x_crate() {
    use xtask::diff::report::semver_hint;
    assert!(semver_hint(Level::Major, Some("0.1.0")).contains("0.1.0 → 0.2.0"));
    assert!(semver_hint(Level::Minor, Some("0.1.0")).contains("0.1.0 → 0.1.1"));
    assert!(semver_hint(Level::Patch, Some("0.1.3")).contains("0.1.3 → 0.1.4"));
    assert!(semver_hint(Level::Major, Some("1.2.3")).contains("1.2.3 → 2.0.0"));
    assert!(semver_hint(Level::Minor, Some("1.2.3")).contains("1.2.3 → 1.3.0"));
    assert_eq!(
        semver_hint(Level::Minor, Some("0.1.0-rc.1")),
        "semver hint for vlens-client: minor (adds API)"
    );
}

#[test]
fn spec_diff_compares_two_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let old = dir.path().join("old.yaml");
    let new = dir.path().join("new.yaml");
    std::fs::write(&old, vlens_openapi::VLENS_YAML).expect("write");
    let mut spec = base();
    spec["paths"]
        .as_object_mut()
        .expect("paths")
        .remove(ELIGIBILITY);
    std::fs::write(&new, serde_norway::to_string(&spec).expect("yaml")).expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--root")
        .arg(workspace_root())
        .arg("spec-diff")
        .args([&old, &new])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("1 change (1 breaking)"), "{stdout}");
    assert!(
        stdout.contains("semver hint for vlens-client: major"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "operation `check-eligibility` (GET /api/BusinessRequest/CheckEligibility): removed"
        ),
        "{stdout}"
    );

    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "openapi: 3.0.3\npaths: [\n").expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("spec-diff")
        .args([&old, &broken])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.yaml"), "{stderr}");
}

/// `cargo xtask codegen` in a git checkout: after an added operation, a removed response field
/// and an added enum value, it prints each, "breaking" for the removal; the control spec's
/// changes are reported for vlens-sandbox; `--check` prints no report.
#[test]
fn codegen_reports_changes_since_the_committed_spec() {
    use xtask::workspace::{CONTROL_SPEC, GENERATED_FILES, SPEC, SPECS};

    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let real = workspace_root();
    for file in SPECS
        .into_iter()
        .chain(GENERATED_FILES)
        .chain([diff::CLIENT_MANIFEST, diff::SANDBOX_MANIFEST])
    {
        let target = root.join(file);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(real.join(file), &target).expect("copy");
    }
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .arg("-C")
            .arg(root)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .expect("git runs");
        assert!(status.status.success(), "git {args:?}: {status:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "spec"]);

    let mut spec = base();
    let mut operation = spec["paths"][ELIGIBILITY]["get"].clone();
    operation["operationId"] = json!("get-business-request-ping");
    spec["paths"]["/api/BusinessRequest/Ping"] = json!({ "get": operation });
    let eligibility = schema(&mut spec, "Eligibility");
    eligibility["properties"]
        .as_object_mut()
        .expect("properties")
        .remove("isEmailConfirmed");
    eligibility["required"] = json!([
        "isEligible",
        "isDigitalIdentityVerified",
        "hasPendingRequest"
    ]);
    schema(&mut spec, "OAuthTokenInput")["properties"]["provider"]["enum"] =
        json!(["Google", "Microsoft", "Apple"]);
    std::fs::write(
        root.join(SPEC),
        serde_norway::to_string(&spec).expect("yaml"),
    )
    .expect("write");

    // The control spec: a reply field added (reported for a caller of the control client), and
    // a hosted page changed (not part of that client: not reported).
    let mut control: Value =
        serde_norway::from_str(&std::fs::read_to_string(root.join(CONTROL_SPEC)).expect("read"))
            .expect("parses");
    let clock = &mut control["components"]["schemas"]["Clock"];
    clock["properties"]["offsetSeconds"] = json!({"type": "integer", "format": "int64"});
    control["paths"]["/sign"]["get"]["parameters"][1]["required"] = json!(false);
    std::fs::write(
        root.join(CONTROL_SPEC),
        serde_norway::to_string(&control).expect("yaml"),
    )
    .expect("write");

    let codegen = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .arg("--root")
            .arg(root)
            .arg("codegen")
            .args(extra)
            .output()
            .expect("runs")
    };
    let check = codegen(&["--check"]);
    assert!(!check.status.success());
    assert!(!String::from_utf8_lossy(&check.stdout).contains("since HEAD"));

    let output = codegen(&[]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in [
        "openapi/vlens.yaml since HEAD: 3 changes (1 breaking)",
        "semver hint for vlens-client: major (breaking), 0.1.0 → 0.2.0",
        "breaking (major):\n  - type `Eligibility`: field `isEmailConfirmed` removed",
        "  - operation `get-business-request-ping` (GET /api/BusinessRequest/Ping): added",
        "  - type `OAuthTokenInput`: field `provider`: value \"Apple\" added",
        "openapi/sandbox-control.yaml since HEAD: 1 change (0 breaking)",
        "semver hint for vlens-sandbox: minor (adds API), 0.1.0 → 0.1.1",
        "  - type `Clock`: field `offsetSeconds` added",
    ] {
        assert!(stdout.contains(line), "no `{line}` in:\n{stdout}");
    }

    git(&["add", "."]);
    git(&["commit", "-q", "-m", "update"]);
    let again = codegen(&["--since", "HEAD~1"]);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("since HEAD~1: 3 changes"),
        "{again:?}"
    );
    let unknown = codegen(&["--since", "no-such-rev"]);
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("git show no-such-rev:openapi/vlens.yaml"),
        "{unknown:?}"
    );
}

/// Outside a git checkout the code is generated all the same; the report is a note.
#[test]
fn codegen_without_git_generates_and_notes_the_missing_report() {
    use xtask::workspace::{GENERATED_FILES, SPECS};

    let dir = tempfile::tempdir().expect("temp dir");
    let real = workspace_root();
    for file in SPECS.into_iter().chain(GENERATED_FILES) {
        let target = dir.path().join(file);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(real.join(file), &target).expect("copy");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--root")
        .arg(dir.path())
        .arg("codegen")
        .env(
            "GIT_CEILING_DIRECTORIES",
            dir.path().parent().expect("parent"),
        )
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("note: no change report: `git show HEAD:openapi/vlens.yaml` failed"),
        "{stderr}"
    );
}
