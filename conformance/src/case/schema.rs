//! The JSON Schema of the case format, generated from [`super::format`] (committed as
//! `conformance/case.schema.json`, checked up to date by a test). Editors that read
//! `# yaml-language-server: $schema=...` complete keys, operations and error names with it.

use serde_json::{Map, Value, json};

use super::STATUS_NAMES;
use super::format::{CASE, DURATION_PATTERN, Shape, Ty};

/// The schema as pretty JSON, ending in a newline.
pub fn render() -> String {
    serde_json::to_string_pretty(&schema()).unwrap_or_default()
}

/// The schema.
pub fn schema() -> Value {
    let mut defs = Map::new();
    add_shape(&CASE, &mut defs);
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://vlens-rs.invalid/conformance/case.schema.json",
        "title": "vlens-conformance case",
        "description": "Generated from conformance/src/case/format.rs by `vlens-conformance case-schema`; do not edit.",
        "$ref": "#/$defs/case",
        "$defs": defs,
    })
}

fn add_shape(shape: &'static Shape, defs: &mut Map<String, Value>) {
    if defs.contains_key(shape.name) {
        return;
    }
    // Reserve the name first: shapes refer to each other.
    defs.insert(shape.name.to_owned(), Value::Null);
    let mut properties = Map::new();
    for key in shape.keys {
        let mut schema = ty(&key.ty, defs);
        if let Value::Object(map) = &mut schema {
            map.insert("description".to_owned(), json!(key.doc));
        }
        properties.insert(key.name.to_owned(), schema);
    }
    let required: Vec<&str> = shape
        .keys
        .iter()
        .filter(|k| k.required)
        .map(|k| k.name)
        .collect();
    let mut object = json!({
        "type": "object",
        "description": shape.doc,
        "properties": properties,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        object["required"] = json!(required);
    }
    if !shape.exactly_one_of.is_empty() {
        object["oneOf"] = Value::Array(
            shape
                .exactly_one_of
                .iter()
                .map(|name| json!({"required": [name]}))
                .collect(),
        );
    }
    defs.insert(shape.name.to_owned(), object);
}

fn ty(kind: &Ty, defs: &mut Map<String, Value>) -> Value {
    match kind {
        Ty::Any => json!({}),
        Ty::Str => json!({"type": "string"}),
        Ty::Bool => json!({"type": "boolean"}),
        Ty::Int(min, max) => json!({"type": "integer", "minimum": min, "maximum": max}),
        Ty::Duration => json!({"type": "string", "pattern": DURATION_PATTERN}),
        Ty::Pointer => json!({"type": "string", "pattern": "^(/.*)?$"}),
        Ty::Enum(names) => json!({"enum": names}),
        Ty::Operation => {
            let mut ids: Vec<&str> = [vlens_openapi::vlens(), vlens_openapi::sandbox_control()]
                .iter()
                .flat_map(|spec| spec.operations().iter().map(|op| op.id.as_str()))
                .collect();
            ids.sort_unstable();
            json!({"type": "string", "enum": ids})
        }
        Ty::ErrorName => {
            let names: Vec<&str> = vlens_openapi::vlens()
                .error_codes()
                .iter()
                .map(|code| code.name.as_str())
                .collect();
            json!({"type": "string", "enum": names})
        }
        Ty::Status => {
            let names: Vec<&str> = STATUS_NAMES.iter().map(|(name, _)| *name).collect();
            json!({"anyOf": [{"enum": names}, {"type": "integer", "minimum": 1, "maximum": 8}]})
        }
        Ty::Obj(shape) => {
            add_shape(shape, defs);
            json!({"$ref": format!("#/$defs/{}", shape.name)})
        }
        Ty::MapOf(inner) => json!({"type": "object", "additionalProperties": ty(inner, defs)}),
        Ty::ListOf(inner) => json!({"type": "array", "items": ty(inner, defs)}),
        Ty::OneOf(options) => {
            json!({"anyOf": options.iter().map(|option| ty(option, defs)).collect::<Vec<_>>()})
        }
        Ty::NotMap => json!({"not": {"type": "object"}}),
        Ty::Null => json!({"type": "null"}),
    }
}
