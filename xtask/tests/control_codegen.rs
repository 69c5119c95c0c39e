//! `cargo xtask codegen`'s control step: `openapi/sandbox-control.yaml` →
//! `sandbox/src/generated_control.rs`, checked by `--check`, refused when it cannot be right.

mod common;

use common::{scratch_workspace, workspace_root};

use serde_json::{Value, json};
use xtask::workspace::{CONTROL_SPEC, GENERATED_CONTROL};
use xtask::{Error, Layout, Mode, Outcome};

fn control_spec(layout: &Layout) -> Value {
    let text = std::fs::read_to_string(layout.path(CONTROL_SPEC)).expect("read");
    serde_norway::from_str(&text).expect("spec parses")
}

fn write_control_spec(layout: &Layout, spec: &Value) {
    let text = serde_norway::to_string(spec).expect("spec serialises");
    std::fs::write(layout.path(CONTROL_SPEC), text).expect("write spec");
}

/// The rendered control file.
fn control_code(layout: &Layout) -> String {
    xtask::control::render(layout).expect("renders")
}

/// The problems of a refused control spec.
fn problems(layout: &Layout) -> Vec<String> {
    match xtask::control::render(layout) {
        Err(Error::SpecProblems { problems, .. }) => problems,
        other => panic!("expected the control spec to be refused, got {other:?}"),
    }
}

#[test]
fn the_control_operations_become_methods_without_the_api_key_argument() {
    let code = control_code(&Layout::new(workspace_root()));
    for method in [
        "sandbox_health",
        "sandbox_create_tenant",
        "sandbox_create_user",
        "sandbox_get_otp",
        "sandbox_set_request_status",
        "sandbox_advance_clock",
        "sandbox_reset",
        "sandbox_inject_fault",
        "sandbox_set_rate_limits",
        "sandbox_mint_id_token",
    ] {
        assert!(
            code.contains(&format!("pub async fn {method}<'a>(")),
            "{method}"
        );
    }
    // The hosted pages are a browser's: not generated.
    assert!(!code.contains("sandbox_signing_page"));
    assert!(!code.contains("sandbox_payment_page"));
    // The ApiKey is the client state's, added by hooks.
    assert!(code.contains("pub async fn sandbox_reset<'a>(\n        &'a self,\n    )"));
    assert!(code.contains("inner: crate::control::ControlState"));
    // progenitor's `Client::new` is gone (codegen fails if it cannot remove it): the kit builds
    // the client.
    assert!(code.contains("pub(crate) fn new_with_client("));
}

#[test]
fn secrets_locations_and_integers_are_typed_for_the_kit() {
    let code = control_code(&Layout::new(workspace_root()));
    for field in [
        "pub api_key: ::vlens_client::Secret",
        "pub admin_password: ::vlens_client::Secret",
        "pub access_token: ::vlens_client::Secret",
        "pub code: ::vlens_client::Secret",
        "pub password: ::std::option::Option<::vlens_client::Secret>",
        "pub geo_location: ::std::option::Option<::vlens_client::types::GeoLocation>",
        // Plain integers: the server names every field out of range at once.
        "pub count: i32",
        "pub max: i32",
    ] {
        assert!(code.contains(field), "{field}");
    }
    assert!(
        !code.contains("pub struct GeoLocation"),
        "the Vlens client's type"
    );
    assert!(!code.contains("NonZero"));
}

#[test]
fn optional_nullable_fields_tell_absent_from_null_and_defaults_start_the_builders() {
    let code = control_code(&Layout::new(workspace_root()));
    assert!(
        code.contains("pub otp_requests: ::std::option::Option<::std::option::Option<RateLimit>>")
    );
    assert!(code.contains("deserialize_with = \"deserialize_present\""));
    // `CreateUserInput::new()` is what the server does with `{}`: a verified user.
    assert!(code.contains("verified: self::defaults::default_bool::<true>()"));
    assert!(code.contains("status: self::defaults::default_u64::<i32, 503>()"));
    // Every reply envelope is a `ControlReply`.
    assert_eq!(
        code.matches("impl crate::control::ControlReply for")
            .count(),
        10
    );
}

#[test]
fn check_covers_the_control_client() {
    let (_dir, layout) = scratch_workspace();
    assert_eq!(
        xtask::run(&layout, Mode::Check).expect("checks"),
        Outcome::UpToDate
    );
    let mut spec = control_spec(&layout);
    spec["components"]["schemas"]["Reset"]["properties"]["forgotten"] =
        json!({"type": "integer", "format": "int32"});
    write_control_spec(&layout, &spec);
    assert_eq!(
        xtask::run(&layout, Mode::Check).expect("checks"),
        Outcome::Stale(vec![GENERATED_CONTROL]),
        "only the control file depends on the control spec"
    );
    assert_eq!(
        xtask::run(&layout, Mode::Write).expect("writes"),
        Outcome::Written(vec![GENERATED_CONTROL])
    );
    let written = std::fs::read_to_string(layout.path(GENERATED_CONTROL)).expect("read");
    assert!(written.contains("pub forgotten: ::std::option::Option<i32>"));
}

#[test]
fn an_operation_neither_control_nor_hosted_is_refused() {
    let (_dir, layout) = scratch_workspace();
    let mut spec = control_spec(&layout);
    spec["paths"]["/__sandbox/reset"]["post"]["tags"] = json!(["misc"]);
    write_control_spec(&layout, &spec);
    let problems = problems(&layout);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("operation `sandbox-reset`") && p.contains("hosted")),
        "{problems:?}"
    );
}

#[test]
fn a_shared_type_that_drifts_from_the_vlens_spec_is_refused() {
    let (_dir, layout) = scratch_workspace();
    let mut spec = control_spec(&layout);
    spec["components"]["schemas"]["GeoLocation"]["properties"]["altitude"] =
        json!({"type": "number"});
    write_control_spec(&layout, &spec);
    let problems = problems(&layout);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("schema `GeoLocation` differs")),
        "{problems:?}"
    );
}

#[test]
fn the_generator_checks_apply_to_the_control_operations() {
    let (_dir, layout) = scratch_workspace();
    let mut spec = control_spec(&layout);
    let responses = &mut spec["paths"]["/__sandbox/clock"]["post"]["responses"];
    responses["default"] = responses["4XX"].clone();
    write_control_spec(&layout, &spec);
    let problems = problems(&layout);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("operation `sandbox-advance-clock`")
                && p.contains("`default` response")),
        "{problems:?}"
    );
}
