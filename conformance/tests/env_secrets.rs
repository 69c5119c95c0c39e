//! An environment value is a secret unless the case says it is public: it never shows in a
//! failure, not even in a function's complaint about it.

mod common;

use vlens_conformance::target::Target;

const READS_ENV: &str = "name: reads an environment value
steps:
  - operation: get-all-request-types
    as: nobody
    expect:
      json:
        /data: \"${env.CARGO_MANIFEST_DIR}\"
";

const COUNTS_ENV: &str = "name: counts an environment value
steps:
  - operation: get-all-request-types
    as: nobody
    headers: {X-Digits: \"${digits(env.CARGO_MANIFEST_DIR)}\"}
";

fn failure(cases: &[(&str, &str)]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in cases {
        std::fs::write(dir.path().join(format!("{name}.yaml")), text).unwrap();
    }
    let suite = vlens_conformance::suite::load(dir.path(), "cases").unwrap();
    assert!(suite.bad.is_empty(), "{:?}", suite.bad);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let bench = common::Bench::new(Target::embedded().await.unwrap(), dir.path());
        let mut messages = Vec::new();
        for loaded in &suite.cases {
            let run = bench.run(loaded).await;
            messages.push(common::outcome(loaded, &run).expect_err(&loaded.trial));
        }
        messages
    })
}

#[test]
fn environment_values_are_secrets_unless_public() {
    let value = env!("CARGO_MANIFEST_DIR");
    let messages = failure(&[("counts", COUNTS_ENV), ("reads", READS_ENV)]);
    for message in &messages {
        assert!(!message.contains(value), "{message}");
    }
    assert!(
        messages[0].contains("a string is not a count"),
        "{}",
        messages[0]
    );
    assert!(messages[1].contains("[REDACTED env]"), "{}", messages[1]);
    let public = READS_ENV.replace("steps:", "public_env: [CARGO_MANIFEST_DIR]\nsteps:");
    let messages = failure(&[("public", &public)]);
    assert!(
        messages[0].contains(value),
        "a public value is shown:\n{}",
        messages[0]
    );
}
