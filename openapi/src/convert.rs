//! OpenAPI 3.0 schemas are not JSON Schema: this module rewrites them, once, into JSON Schema
//! 2020-12 so that the `jsonschema` crate validates what the spec means.
//!
//! The rewrite walks only the places of the document that hold schemas (a property that happens
//! to be called `nullable` inside `properties` is a property name, not a keyword):
//!
//! - `nullable: true` allows null: `"null"` joins `type` (and `enum`, when there is one); a schema
//!   without `type` whose meaning comes from `$ref`/`allOf`/`anyOf`/`oneOf` becomes
//!   `anyOf: [{type: null}, <the schema>]`;
//! - `format: int32` / `int64` on integers becomes `minimum`/`maximum` bounds (JSON Schema has no
//!   such formats, and the `jsonschema` crate checks custom formats on strings only);
//! - OpenAPI 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` become 2020-12's numeric ones.
//!
//! `format: byte` (base64) is checked by a custom format registered with the validator (see
//! `validate.rs`); `uuid`, `date-time` and `email` are the validator's own.

use serde_json::{Map, Value, json};

/// HTTP methods an OpenAPI path item may hold.
pub(crate) const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Rewrites every schema of an OpenAPI 3.0 document in place.
pub(crate) fn convert_document(document: &mut Value) {
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            convert_path_item(item);
        }
    }
    let Some(components) = document
        .get_mut("components")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if let Some(schemas) = components.get_mut("schemas").and_then(Value::as_object_mut) {
        for schema in schemas.values_mut() {
            convert_schema(schema);
        }
    }
    if let Some(parameters) = components
        .get_mut("parameters")
        .and_then(Value::as_object_mut)
    {
        for parameter in parameters.values_mut() {
            convert_parameter(parameter);
        }
    }
    for section in ["requestBodies", "responses"] {
        if let Some(entries) = components.get_mut(section).and_then(Value::as_object_mut) {
            for entry in entries.values_mut() {
                convert_content_holder(entry);
            }
        }
    }
    if let Some(headers) = components.get_mut("headers").and_then(Value::as_object_mut) {
        for header in headers.values_mut() {
            convert_parameter(header);
        }
    }
}

fn convert_path_item(item: &mut Value) {
    let Some(item) = item.as_object_mut() else {
        return;
    };
    if let Some(parameters) = item.get_mut("parameters").and_then(Value::as_array_mut) {
        parameters.iter_mut().for_each(convert_parameter);
    }
    for method in METHODS {
        let Some(operation) = item.get_mut(method).and_then(Value::as_object_mut) else {
            continue;
        };
        if let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        {
            parameters.iter_mut().for_each(convert_parameter);
        }
        if let Some(body) = operation.get_mut("requestBody") {
            convert_content_holder(body);
        }
        if let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        {
            responses.values_mut().for_each(convert_content_holder);
        }
    }
}

/// A parameter or a header: its `schema`.
fn convert_parameter(parameter: &mut Value) {
    if let Some(schema) = parameter.get_mut("schema") {
        convert_schema(schema);
    }
}

/// A request body or a response: the schema of each media type, and response headers.
fn convert_content_holder(holder: &mut Value) {
    if let Some(content) = holder.get_mut("content").and_then(Value::as_object_mut) {
        for media in content.values_mut() {
            if let Some(schema) = media.get_mut("schema") {
                convert_schema(schema);
            }
        }
    }
    if let Some(headers) = holder.get_mut("headers").and_then(Value::as_object_mut) {
        headers.values_mut().for_each(convert_parameter);
    }
}

/// Rewrites one schema and, first, every schema inside it.
pub(crate) fn convert_schema(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    convert_subschemas(object);
    convert_exclusive_bound(object, "exclusiveMinimum", "minimum");
    convert_exclusive_bound(object, "exclusiveMaximum", "maximum");
    convert_integer_format(object);
    let nullable = matches!(object.remove("nullable"), Some(Value::Bool(true)));
    if nullable {
        allow_null(schema);
    }
}

fn convert_subschemas(object: &mut Map<String, Value>) {
    for keyword in ["properties", "patternProperties", "$defs", "definitions"] {
        if let Some(map) = object.get_mut(keyword).and_then(Value::as_object_mut) {
            map.values_mut().for_each(convert_schema);
        }
    }
    for keyword in [
        "items",
        "additionalProperties",
        "not",
        "contains",
        "propertyNames",
        "if",
        "then",
        "else",
    ] {
        if let Some(sub) = object.get_mut(keyword) {
            match sub {
                // `items` as an array is draft-4 tuple syntax; convert each schema all the same.
                Value::Array(items) => items.iter_mut().for_each(convert_schema),
                _ => convert_schema(sub),
            }
        }
    }
    for keyword in ["allOf", "anyOf", "oneOf", "prefixItems"] {
        if let Some(list) = object.get_mut(keyword).and_then(Value::as_array_mut) {
            list.iter_mut().for_each(convert_schema);
        }
    }
}

/// OpenAPI 3.0 (like draft 4) has `exclusiveMinimum: true` next to `minimum`; 2020-12 has
/// `exclusiveMinimum: <number>`.
fn convert_exclusive_bound(object: &mut Map<String, Value>, exclusive: &str, inclusive: &str) {
    match object.get(exclusive) {
        Some(Value::Bool(true)) => {
            if let Some(bound) = object.remove(inclusive) {
                object.insert(exclusive.to_owned(), bound);
            } else {
                object.remove(exclusive);
            }
        }
        Some(Value::Bool(false)) => {
            object.remove(exclusive);
        }
        _ => {}
    }
}

/// `format: int32`/`int64` on an integer: the range of that type, tightened by any bound the
/// schema already has.
fn convert_integer_format(object: &mut Map<String, Value>) {
    let (low, high) = match object.get("format").and_then(Value::as_str) {
        Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
        Some("int64") => (i64::MIN, i64::MAX),
        _ => return,
    };
    if object.get("type").and_then(Value::as_str) != Some("integer") {
        return;
    }
    let keeps_tighter_low = object
        .get("minimum")
        .and_then(Value::as_f64)
        .is_some_and(|existing| existing >= low as f64);
    if !keeps_tighter_low {
        object.insert("minimum".to_owned(), json!(low));
    }
    let keeps_tighter_high = object
        .get("maximum")
        .and_then(Value::as_f64)
        .is_some_and(|existing| existing <= high as f64);
    if !keeps_tighter_high {
        object.insert("maximum".to_owned(), json!(high));
    }
}

/// Makes `schema` (already converted, `nullable` removed) also accept null.
fn allow_null(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    match object.get_mut("type") {
        Some(Value::String(name)) => {
            let name = std::mem::take(name);
            object.insert("type".to_owned(), json!([name, "null"]));
            add_null_to_enum(object);
            return;
        }
        Some(Value::Array(names)) => {
            if !names.iter().any(|name| name == "null") {
                names.push(json!("null"));
            }
            add_null_to_enum(object);
            return;
        }
        _ => {}
    }
    let constrained = ["$ref", "allOf", "anyOf", "oneOf", "enum", "const", "not"]
        .iter()
        .any(|keyword| object.contains_key(*keyword));
    if !constrained {
        // No type and no composition: the schema already accepts null.
        return;
    }
    let inner = std::mem::take(object);
    object.insert(
        "anyOf".to_owned(),
        json!([{ "type": "null" }, Value::Object(inner)]),
    );
}

fn add_null_to_enum(object: &mut Map<String, Value>) {
    if let Some(values) = object.get_mut("enum").and_then(Value::as_array_mut)
        && !values.iter().any(Value::is_null)
    {
        values.push(Value::Null);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn converted(mut schema: Value) -> Value {
        convert_schema(&mut schema);
        schema
    }

    #[test]
    fn nullable_type_gains_null() {
        assert_eq!(
            converted(json!({"type": "string", "nullable": true, "enum": ["a"]})),
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
    }

    #[test]
    fn nullable_composition_is_wrapped_in_any_of() {
        assert_eq!(
            converted(json!({"nullable": true, "allOf": [{"$ref": "#/x"}]})),
            json!({"anyOf": [{"type": "null"}, {"allOf": [{"$ref": "#/x"}]}]})
        );
    }

    #[test]
    fn nullable_without_constraints_stays_open() {
        assert_eq!(
            converted(json!({"nullable": true, "description": "any"})),
            json!({"description": "any"})
        );
    }

    #[test]
    fn property_called_nullable_is_not_a_keyword() {
        assert_eq!(
            converted(json!({"type": "object", "properties": {"nullable": {"type": "boolean"}}})),
            json!({"type": "object", "properties": {"nullable": {"type": "boolean"}}})
        );
    }

    #[test]
    fn int32_becomes_a_range_that_keeps_tighter_bounds() {
        let schema = converted(json!({"type": "integer", "format": "int32", "minimum": 1}));
        assert_eq!(schema["minimum"], json!(1));
        assert_eq!(schema["maximum"], json!(i32::MAX));
    }

    #[test]
    fn boolean_exclusive_bounds_become_numbers() {
        assert_eq!(
            converted(json!({"type": "number", "minimum": 0, "exclusiveMinimum": true})),
            json!({"type": "number", "exclusiveMinimum": 0})
        );
    }

    #[test]
    fn nested_schemas_are_converted() {
        let schema = converted(json!({
            "type": "array",
            "items": {"type": "object", "properties": {"a": {"type": "integer", "nullable": true}}}
        }));
        assert_eq!(
            schema["items"]["properties"]["a"]["type"],
            json!(["integer", "null"])
        );
    }
}
