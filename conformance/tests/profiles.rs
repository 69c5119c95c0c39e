//! The example profile stays a valid profile, and `--plan` on it shows what a staging run
//! would do without sending anything.

use std::path::PathBuf;
use std::process::Command;

use vlens_conformance::target::profile;

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("targets/staging.example.toml")
}

const VARIABLES: [&str; 4] = [
    "VLENS_API_KEY",
    "VLENS_ADMIN_PASSWORD",
    "VLENS_OTHER_API_KEY",
    "VLENS_POOL_PASSWORD",
];

#[test]
fn the_example_profile_loads_and_names_a_missing_variable() {
    let all = |name: &str| {
        VARIABLES
            .contains(&name)
            .then(|| format!("value-of-{name}"))
    };
    let loaded = profile::load(&example(), &all).unwrap();
    assert_eq!(loaded.users.len(), 6);
    assert_eq!(
        loaded
            .users
            .iter()
            .filter(|u| u.tenant == profile::PoolTenant::Other)
            .count(),
        2
    );
    assert!(loaded.otp.is_some() && loaded.portal.is_some() && loaded.identity.is_none());
    let without_pool_password =
        |name: &str| (name != "VLENS_POOL_PASSWORD").then(|| format!("value-of-{name}"));
    let error = profile::load(&example(), &without_pool_password)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("staging.example.toml:")
            && error.contains(
                "environment variable `VLENS_POOL_PASSWORD` (users.password_env) is not set"
            ),
        "{error}"
    );
}

#[test]
fn the_plan_of_a_staging_run_is_printed_without_sending_anything() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vlens-conformance"));
    command
        .arg("--target-profile")
        .arg(example())
        .arg("--plan")
        .env_remove("VLENS_BASE_URL");
    for name in VARIABLES {
        command.env(name, format!("value-of-{name}"));
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.starts_with("plan for `vlens-staging` (https://api.vlens.co"),
        "{stdout}"
    );
    for expected in [
        "ignored  faults/every_operation_internal_error",
        "the sandbox control API (sandbox-inject-fault)",
        "run      activation/expired_otp",
        "waits 302 s for an OTP",
        "ignored  auth/expired_token",
        "users: user ← pool (Main tenant)",
        "the test identity's documents ([identity])",
    ] {
        assert!(stdout.contains(expected), "`{expected}` not in:\n{stdout}");
    }
    assert!(
        !stdout.contains("value-of-"),
        "a secret in the plan:\n{stdout}"
    );
}
