//! What a response schema declares: whether a JSON pointer names something a reply of an
//! operation can have. Linting uses it to find a pointer in `expect.json` or `capture` that the
//! reply cannot have (`/data/eligible` where the schema says `isEligible`); drift comparison to
//! tell an undocumented field from a documented one.
//!
//! "Declared" is stricter than JSON Schema: an object schema with `properties` and no
//! `additionalProperties` admits any other member (the spec allows undocumented fields), but a
//! case that reads one is almost always a typo.

use serde_json::Value;
use vlens_openapi::ApiSpec;

/// Where a pointer leaves what the schema declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undeclared {
    /// The part of the pointer that is declared (`/data`).
    pub parent: String,
    /// The first token that is not (`eligible`).
    pub token: String,
    /// What is declared there instead: member names, or `an array index`, or nothing for a
    /// scalar.
    pub known: Vec<String>,
    /// What kind of value is declared at `parent` (`an object`, `a string`).
    pub kind: &'static str,
}

/// Whether the reply of `operation` for `status` can have `pointer`: `Ok` when the schema
/// declares it (or leaves the place open), `Err` where it stops. An operation without a JSON
/// schema for that status declares everything.
pub fn check(
    spec: &ApiSpec,
    operation: &str,
    status: u16,
    pointer: &str,
) -> Result<(), Undeclared> {
    let Some(schema) = spec
        .operation(operation)
        .and_then(|op| op.response_for_status(status))
        .and_then(|response| response.schema_pointer())
        .and_then(|at| spec.document().pointer(at))
    else {
        return Ok(());
    };
    let tokens: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|token| token.replace("~1", "/").replace("~0", "~"))
        .collect();
    walk(spec.document(), schema, &tokens, 0, 0)
}

fn resolve<'d>(document: &'d Value, schema: &'d Value) -> &'d Value {
    let mut schema = schema;
    for _ in 0..32 {
        match schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|reference| reference.strip_prefix('#'))
            .and_then(|pointer| document.pointer(pointer))
        {
            Some(target) => schema = target,
            None => break,
        }
    }
    schema
}

fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn walk(
    document: &Value,
    schema: &Value,
    tokens: &[String],
    index: usize,
    depth: usize,
) -> Result<(), Undeclared> {
    let Some(token) = tokens.get(index) else {
        return Ok(());
    };
    if depth > 64 {
        return Ok(());
    }
    let schema = resolve(document, schema);
    let parent = || {
        tokens[..index]
            .iter()
            .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
            .collect::<String>()
    };
    let mut known: Vec<String> = Vec::new();
    let mut constrained = false;
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        constrained = true;
        if let Some(member) = properties.get(token) {
            return walk(document, member, tokens, index + 1, depth + 1);
        }
        known.extend(properties.keys().cloned());
    }
    match schema.get("additionalProperties") {
        Some(Value::Bool(true)) => return Ok(()),
        Some(extra @ Value::Object(_)) => {
            return walk(document, extra, tokens, index + 1, depth + 1);
        }
        _ => {}
    }
    if let Some(items) = schema.get("items") {
        constrained = true;
        if token.parse::<usize>().is_ok() || token == "-" {
            return walk(document, items, tokens, index + 1, depth + 1);
        }
        known.push("an array index".to_owned());
    }
    // A branch that got past this token says more than one that did not: the deepest misses
    // win, their known names merged.
    let mut deeper: Option<Undeclared> = None;
    for keyword in ["allOf", "anyOf", "oneOf"] {
        for branch in schema
            .get(keyword)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let branch = resolve(document, branch);
            // A branch that only allows null says nothing about members.
            if types(branch) == ["null"] {
                continue;
            }
            constrained = true;
            match walk(document, branch, tokens, index, depth + 1) {
                Ok(()) => return Ok(()),
                Err(miss) if miss.parent == parent() => known.extend(miss.known),
                Err(miss) => match &mut deeper {
                    Some(found) if found.parent.len() > miss.parent.len() => {}
                    Some(found) if found.parent == miss.parent => found.known.extend(miss.known),
                    _ => deeper = Some(miss),
                },
            }
        }
    }
    if let Some(mut miss) = deeper {
        miss.known.sort();
        miss.known.dedup();
        return Err(miss);
    }
    let declared_types = types(schema);
    let scalar = !declared_types.is_empty()
        && declared_types
            .iter()
            .all(|t| matches!(*t, "string" | "integer" | "number" | "boolean" | "null"));
    if !constrained && !scalar {
        // `{}` or `type: object` without properties: anything may be there.
        if declared_types.is_empty() || declared_types.contains(&"object") {
            return Ok(());
        }
    }
    let kind = if scalar {
        match declared_types.iter().find(|t| **t != "null").copied() {
            Some("string") => "a string",
            Some("boolean") => "a boolean",
            Some(_) => "a number",
            None => "null",
        }
    } else if declared_types.contains(&"array") || schema.get("items").is_some() {
        "an array"
    } else {
        "an object"
    };
    known.sort();
    known.dedup();
    Err(Undeclared {
        parent: parent(),
        token: token.clone(),
        known,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_members_pass_and_typos_stop_where_they_start() {
        let spec = vlens_openapi::vlens();
        assert_eq!(
            check(spec, "check-eligibility", 200, "/data/isEligible"),
            Ok(())
        );
        assert_eq!(check(spec, "check-eligibility", 200, "/error_code"), Ok(()));
        let miss = check(spec, "check-eligibility", 200, "/data/eligible").unwrap_err();
        assert_eq!(miss.parent, "/data");
        assert_eq!(miss.token, "eligible");
        assert!(miss.known.iter().any(|k| k == "isEligible"), "{miss:?}");
        let miss = check(spec, "check-eligibility", 200, "/data/isEligible/x").unwrap_err();
        assert_eq!(miss.kind, "a boolean");
        // An array's items by index; `error_descriptions` is open.
        assert_eq!(
            check(spec, "get-all-request-types", 200, "/data/0/id"),
            Ok(())
        );
        assert_eq!(
            check(
                spec,
                "check-eligibility",
                400,
                "/error_descriptions/0/field"
            ),
            Ok(())
        );
    }
}
