//! Reading `openapi/vlens.yaml` and checking, before progenitor sees it, for what progenitor
//! would panic on or silently get wrong (../shared/notes/toolchain-facts.md lists them). Each
//! problem names the operation or schema at fault, and all problems are reported at once.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use serde_json::Value;

use crate::Error;

/// The methods an OpenAPI 3.0 path item can hold.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The token kinds an operation's `x-vlens-token` may name (see the `Bearer` scheme).
pub const TOKEN_KINDS: [&str; 4] = ["user", "admin", "user-or-admin", "user-optional"];

/// A parsed spec: the raw document (for our extensions) and openapiv3's typed view of it.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The document as JSON, extensions included.
    pub raw: Value,
    /// The same document as progenitor reads it.
    pub openapi: openapiv3::OpenAPI,
}

/// Reads and checks the spec at `path`.
pub fn load(path: &Path) -> Result<Spec, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Parses and checks spec text; `path` is only used in messages.
pub fn parse(path: &Path, text: &str) -> Result<Spec, Error> {
    let syntax = |message: String| Error::SpecSyntax {
        path: path.to_path_buf(),
        message,
    };
    // Through serde_norway's own Value first: it rejects duplicate keys, which a direct
    // deserialisation into a JSON map would silently merge.
    let yaml: serde_norway::Value =
        serde_norway::from_str(text).map_err(|e| syntax(e.to_string()))?;
    let raw: Value = serde_json::to_value(&yaml)
        .map_err(|e| syntax(format!("not representable as JSON: {e}")))?;

    let problems = check(&raw);
    if !problems.is_empty() {
        return Err(Error::SpecProblems {
            path: path.to_path_buf(),
            problems,
        });
    }

    let openapi: openapiv3::OpenAPI = serde_path_to_error::deserialize(raw.clone())
        .map_err(|e| syntax(format!("at `{}`: {}", e.path(), e.inner())))?;
    Ok(Spec { raw, openapi })
}

/// Every problem in the raw document, in document order.
pub fn check(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();

    match doc.get("openapi").and_then(Value::as_str) {
        Some(version) if version.starts_with("3.0.") => {}
        Some(version) => problems.push(format!(
            "`openapi: {version}`: progenitor 0.15 takes OpenAPI 3.0.x only"
        )),
        None => problems.push("no `openapi` version field".to_string()),
    }

    find_type_lists(doc, &mut String::new(), &mut problems);
    let codes = check_error_codes(doc, &mut problems);
    check_operations(doc, &codes, &mut problems);
    problems
}

/// OpenAPI 3.1 writes nullability as `type: [string, 'null']`; openapiv3 then fails with an
/// error that points at `paths`, not at the schema. Also checks that `x-vlens-secret` marks
/// only strings (the client's `Secret` wraps a string).
fn find_type_lists(value: &Value, at: &mut String, problems: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if map.contains_key("x-vlens-secret")
                && (map.get("x-vlens-secret") != Some(&Value::Bool(true))
                    || map.get("type").and_then(Value::as_str) != Some("string"))
            {
                problems.push(format!(
                    "schema at `{at}`: `x-vlens-secret` must be `true` on a `type: string` schema"
                ));
            }
            if let Some(Value::Array(_)) = map.get("type") {
                problems.push(format!(
                    "schema at `{at}`: `type` is a list (OpenAPI 3.1 style); use one type and `nullable: true`"
                ));
            }
            for (key, child) in map {
                let len = at.len();
                at.push('/');
                at.push_str(key);
                find_type_lists(child, at, problems);
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{index}"));
                find_type_lists(child, at, problems);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// Checks the root `x-vlens-error-codes` table and returns the names it defines.
fn check_error_codes(doc: &Value, problems: &mut Vec<String>) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let Some(entries) = doc.get("x-vlens-error-codes") else {
        problems.push("no root `x-vlens-error-codes` table".to_string());
        return names;
    };
    let Some(entries) = entries.as_array() else {
        problems.push("root `x-vlens-error-codes` is not a list".to_string());
        return names;
    };
    let mut codes = HashSet::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = format!("x-vlens-error-codes[{index}]");
        let name = entry.get("name").and_then(Value::as_str);
        let code = entry.get("code").and_then(Value::as_i64);
        match name {
            Some(name) if is_type_name(name) => {
                if !names.insert(name.to_string()) {
                    problems.push(format!("{at}: error code name `{name}` is used twice"));
                }
            }
            Some(name) => problems.push(format!(
                "{at}: error code name `{name}` is not a PascalCase identifier"
            )),
            None => problems.push(format!("{at}: no `name`")),
        }
        match code {
            Some(code) if i32::try_from(code).is_ok() => {
                if !codes.insert(code) {
                    problems.push(format!("{at}: error code {code} is used twice"));
                }
            }
            _ => problems.push(format!("{at}: `code` is not a 32-bit integer")),
        }
        if entry.get("httpStatus").and_then(Value::as_u64).is_none() {
            problems.push(format!("{at}: no numeric `httpStatus`"));
        }
        if entry.get("message").and_then(Value::as_str).is_none() {
            problems.push(format!("{at}: no `message`"));
        }
        match entry.get("source").and_then(Value::as_str) {
            Some("vlens-docs" | "project" | "observed") => {}
            _ => problems.push(format!(
                "{at}: `source` must be `vlens-docs`, `project` or `observed`"
            )),
        }
    }
    names
}

fn check_operations(doc: &Value, codes: &BTreeSet<String>, problems: &mut Vec<String>) {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        problems.push("no `paths`".to_string());
        return;
    };
    let mut ids = HashSet::new();
    for (path, item) in paths {
        if item.get("$ref").is_some() {
            problems.push(format!(
                "path `{path}` is a `$ref`; progenitor does not follow path references"
            ));
            continue;
        }
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let where_ = format!("{} {path}", method.to_uppercase());
            let Some(id) = operation.get("operationId").and_then(Value::as_str) else {
                problems.push(format!("{where_} has no operationId"));
                continue;
            };
            let label = format!("operation `{id}` ({where_})");
            if !ids.insert(id.to_string()) {
                problems.push(format!("{label}: operationId is used twice"));
            }
            check_request_body(operation, &label, problems);
            check_responses(operation, &label, problems);
            check_extensions(operation, codes, &label, problems);
        }
    }
}

fn check_request_body(operation: &Value, label: &str, problems: &mut Vec<String>) {
    let Some(body) = operation.get("requestBody") else {
        return;
    };
    let Some(content) = body.get("content").and_then(Value::as_object) else {
        problems.push(format!("{label}: request body has no `content`"));
        return;
    };
    // progenitor panics on a body with two media types (e.g. application/json + text/json).
    let types: Vec<&str> = content.keys().map(String::as_str).collect();
    if types != ["application/json"] {
        problems.push(format!(
            "{label}: request body must have exactly one media type, application/json (has: {})",
            types.join(", ")
        ));
    }
}

fn check_responses(operation: &Value, label: &str, problems: &mut Vec<String>) {
    let Some(responses) = operation.get("responses").and_then(Value::as_object) else {
        problems.push(format!("{label}: no `responses`"));
        return;
    };
    // progenitor counts `default` as a success type: with a distinct error schema it panics,
    // with inline schemas it can silently generate wrong code.
    if responses.contains_key("default") {
        problems.push(format!(
            "{label}: `default` response; declare errors as `4XX`/`5XX` ranges instead"
        ));
    }
    match responses.get("200") {
        None => problems.push(format!("{label}: no `200` response")),
        Some(ok) => {
            let schema_ref = ok
                .pointer("/content/application~1json/schema/$ref")
                .and_then(Value::as_str);
            if !schema_ref.is_some_and(|r| r.starts_with("#/components/schemas/")) {
                problems.push(format!(
                    "{label}: the `200` response must be application/json with a `$ref` to a named schema (the envelope)"
                ));
            }
        }
    }
}

fn check_extensions(
    operation: &Value,
    codes: &BTreeSet<String>,
    label: &str,
    problems: &mut Vec<String>,
) {
    match operation.get("x-vlens-error-codes") {
        None => problems.push(format!(
            "{label}: no `x-vlens-error-codes` list (use [] for none)"
        )),
        Some(Value::Array(names)) => {
            for name in names {
                match name.as_str() {
                    Some(name) if codes.contains(name) => {}
                    Some(name) => problems.push(format!(
                        "{label}: `x-vlens-error-codes` names `{name}`, which the root table does not define"
                    )),
                    None => problems.push(format!("{label}: `x-vlens-error-codes` holds a non-string")),
                }
            }
        }
        Some(_) => problems.push(format!("{label}: `x-vlens-error-codes` is not a list")),
    }

    let uses_bearer = operation
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|reqs| reqs.iter().any(|req| req.get("Bearer").is_some()));
    match operation.get("x-vlens-token").and_then(Value::as_str) {
        Some(kind) if TOKEN_KINDS.contains(&kind) && !uses_bearer => {
            problems.push(format!(
                "{label}: `x-vlens-token` is set but security has no Bearer"
            ));
        }
        Some(kind) if TOKEN_KINDS.contains(&kind) => {}
        Some(kind) => problems.push(format!(
            "{label}: `x-vlens-token: {kind}` is not one of {}",
            TOKEN_KINDS.join(", ")
        )),
        None if uses_bearer => problems.push(format!(
            "{label}: security uses Bearer but `x-vlens-token` does not say which token"
        )),
        None => {}
    }
}

fn is_type_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}
