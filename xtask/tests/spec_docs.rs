//! openapi/README.md lists every decision the spec marks and every error code it names, so the
//! two cannot drift apart silently.

use std::path::Path;

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative)).expect("readable")
}

/// Collects the JSON path of every `x-vlens-decision`.
fn decision_paths(value: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        Value::Object(map) => {
            if map.contains_key("x-vlens-decision") {
                out.push(path.clone());
            }
            for (key, child) in map {
                path.push(key.clone());
                decision_paths(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                path.push(index.to_string());
                decision_paths(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The name a reader looks a decision up by: the enclosing operation's operationId, else the
/// enclosing component's name, else `x-vlens-error-codes/<name>` for an error code's own decision
/// (a limit and the code it answers), else `info` (the document itself).
fn anchor(spec: &Value, path: &[String]) -> String {
    match path {
        [first, url, method, ..] if first == "paths" => spec["paths"][url][method]["operationId"]
            .as_str()
            .unwrap_or("?")
            .to_string(),
        [first, _, name, ..] if first == "components" => name.clone(),
        [first, index, ..] if first == "x-vlens-error-codes" => format!(
            "x-vlens-error-codes/{}",
            index
                .parse::<usize>()
                .ok()
                .and_then(|i| spec[first][i]["name"].as_str())
                .unwrap_or("?")
        ),
        _ => "info".to_string(),
    }
}

#[test]
fn every_decision_and_error_code_is_listed_in_the_readme() {
    let spec: Value = serde_norway::from_str(&read("openapi/vlens.yaml")).expect("spec parses");
    let readme = read("openapi/README.md");

    let mut paths = Vec::new();
    decision_paths(&spec, &mut Vec::new(), &mut paths);
    let anchors: Vec<String> = paths.iter().map(|p| anchor(&spec, p)).collect();
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

    let codes = spec["x-vlens-error-codes"].as_array().expect("code table");
    for code in codes {
        let row = format!(
            "| {} | `{}` |",
            code["code"],
            code["name"].as_str().expect("name")
        );
        assert!(
            readme.contains(&row),
            "error code not listed in openapi/README.md: {row}"
        );
    }
}
