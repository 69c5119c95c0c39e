//! openapi/README.md lists every decision the spec marks and every error code it names, so the
//! two cannot drift apart silently. Both come from `vlens-openapi`, which reads the extensions.

use std::path::Path;

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .join("openapi/README.md");
    std::fs::read_to_string(path).expect("readable")
}

#[test]
fn every_decision_and_error_code_is_listed_in_the_readme() {
    let spec = vlens_openapi::vlens();
    let readme = readme();

    // The name a reader looks a decision up by: the enclosing operation's operationId, the
    // component's name, `x-vlens-error-codes/<name>` for an error code's own decision, or
    // `info` for the document itself.
    let anchors: Vec<String> = spec.decisions().iter().map(|d| d.anchor()).collect();
    assert!(
        anchors.len() >= 30,
        "found only {} decisions: {anchors:?}",
        anchors.len()
    );
    let missing: Vec<_> = anchors
        .iter()
        .filter(|a| !readme.contains(&format!("`{a}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "decisions not listed in openapi/README.md: {missing:?}"
    );

    assert!(spec.error_codes().len() >= 30, "the code table is read");
    for code in spec.error_codes() {
        let row = format!("| {} | `{}` |", code.code, code.name);
        assert!(
            readme.contains(&row),
            "error code not listed in openapi/README.md: {row}"
        );
    }
}
