//! The library builds without its command line and with one JWT algorithm: an integrator's
//! tests that depend on `vlens-sandbox` with `default-features = false` compile neither clap nor
//! tracing-subscriber, nor the RSA and elliptic-curve crates jsonwebtoken's `rust_crypto` brings.

use std::process::Command;

/// The normal dependencies of the library without default features, one crate name a line.
fn library_crates() -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "--locked",
            "-p",
            "vlens-sandbox",
            "--no-default-features",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_library_needs_no_cli_and_no_asymmetric_crypto() {
    let crates = library_crates();
    assert!(
        crates.iter().any(|name| name == "jsonwebtoken"),
        "the tree was read: {crates:?}"
    );
    for unwanted in [
        "clap",
        "tracing-subscriber",
        "anyhow",
        "rsa",
        "p256",
        "p384",
        "ed25519-dalek",
    ] {
        assert!(
            !crates.iter().any(|name| name == unwanted),
            "the library without its `cli` feature still depends on {unwanted}"
        );
    }
}
