//! Schemas as the generated types see them: what a caller of `vlens-client` can tell apart.
//!
//! progenitor's typify makes a named type of every component schema; a `$ref` is that type; an
//! `allOf` is merged into one struct (the envelopes: `ApiOutputBase` plus a typed `data`), and
//! an `allOf` of a single `$ref` is the referenced type; an optional field (or a nullable one)
//! is an `Option`, except an optional non-nullable array or map, which defaults to empty.
//! Descriptions, examples, bounds and patterns do not change the generated types' shape and are
//! left out.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// A schema reduced to its generated type.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// A component schema, by name: its own changes are reported under its name.
    Named(String),
    /// A string, number, integer or boolean, with its format (`string (uuid)`).
    Scalar(String),
    /// A scalar limited to values (`enum`), with the scalar it is.
    Enum {
        /// The scalar (`string`).
        base: String,
        /// The values, as JSON text (`"Google"`, `1`).
        values: Vec<String>,
    },
    /// A list.
    Array(Box<Ty>),
    /// A map (`additionalProperties` with a schema).
    Map(Box<Ty>),
    /// An inline object (the members of an `allOf` merged).
    Object(BTreeMap<String, Field>),
    /// Anything (`serde_json::Value`).
    Any,
}

/// A property of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Listed in `required`.
    pub required: bool,
    /// `nullable: true`.
    pub nullable: bool,
    /// Its type.
    pub ty: Ty,
}

/// How a field appears in its Rust struct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `T`, and an argument of the request body's `new`.
    Plain,
    /// `Vec<T>`/`BTreeMap<…>` defaulting to empty: a setter, not an argument.
    Defaulted,
    /// `Option<T>`: a setter.
    Optional,
}

impl Field {
    /// Its Rust form (see the module's docs).
    pub fn form(&self) -> Form {
        match (self.required, self.nullable, &self.ty) {
            (true, false, _) => Form::Plain,
            (false, false, Ty::Array(_) | Ty::Map(_)) => Form::Defaulted,
            _ => Form::Optional,
        }
    }
}

impl Ty {
    /// A short description for the report (`array of `GeoLocation``).
    pub fn describe(&self) -> String {
        match self {
            Ty::Named(name) => format!("`{name}`"),
            Ty::Scalar(scalar) => scalar.clone(),
            Ty::Enum { base, .. } => format!("{base} enum"),
            Ty::Array(item) => format!("array of {}", item.describe()),
            Ty::Map(value) => format!("map of {}", value.describe()),
            Ty::Object(_) => "inline object".to_string(),
            Ty::Any => "any value".to_string(),
        }
    }
}

/// The component schemas of a document (as written), by name.
pub fn components(document: &Value) -> BTreeMap<String, Ty> {
    let schemas = document
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    schemas
        .into_iter()
        .flatten()
        .map(|(name, schema)| (name.clone(), type_of(document, schema, 0)))
        .collect()
}

/// `$ref`s nest; a cycle through inline schemas only (never through a name) is cut here.
const MAX_DEPTH: usize = 64;

/// The generated type of `schema` where it is used (a `$ref` stays a name).
pub fn field_type(document: &Value, schema: &Value) -> Ty {
    if let Some(name) = reference(schema) {
        return Ty::Named(name.to_string());
    }
    if let Some(name) = single_ref_all_of(schema) {
        return Ty::Named(name.to_string());
    }
    type_of(document, schema, 0)
}

/// The type a schema defines (for a component: its own shape, not its name).
fn type_of(document: &Value, schema: &Value, depth: usize) -> Ty {
    if depth > MAX_DEPTH {
        return Ty::Any;
    }
    if let Some(name) = reference(schema) {
        return Ty::Named(name.to_string());
    }
    if let Some(name) = single_ref_all_of(schema) {
        return Ty::Named(name.to_string());
    }
    if schema.get("allOf").is_some() || schema.get("properties").is_some() {
        let mut fields = BTreeMap::new();
        merge_object(document, schema, depth, &mut fields);
        return Ty::Object(fields);
    }
    let format = schema.get("format").and_then(Value::as_str);
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => Ty::Array(Box::new(
            schema
                .get("items")
                .map(|items| item_type(document, items, depth))
                .unwrap_or(Ty::Any),
        )),
        Some("object") => match schema.get("additionalProperties") {
            Some(value @ Value::Object(_)) => Ty::Map(Box::new(item_type(document, value, depth))),
            Some(Value::Bool(true)) => Ty::Map(Box::new(Ty::Any)),
            _ => Ty::Object(BTreeMap::new()),
        },
        // The client generates every credential as its redacting `Secret`, not `String`.
        Some("string") if schema.get("x-vlens-secret") == Some(&Value::Bool(true)) => {
            Ty::Scalar("secret string (`Secret`)".to_string())
        }
        Some(base) => {
            let base = match format {
                Some(format) => format!("{base} ({format})"),
                None => base.to_string(),
            };
            match schema.get("enum").and_then(Value::as_array) {
                Some(values) => Ty::Enum {
                    base,
                    values: values.iter().map(Value::to_string).collect(),
                },
                None => Ty::Scalar(base),
            }
        }
        None => Ty::Any,
    }
}

fn item_type(document: &Value, schema: &Value, depth: usize) -> Ty {
    match reference(schema).or_else(|| single_ref_all_of(schema)) {
        Some(name) => Ty::Named(name.to_string()),
        None => type_of(document, schema, depth + 1),
    }
}

/// Adds the properties of `schema` and of every `allOf` member (a `$ref` member's own
/// properties included, as typify merges them) to `fields`.
fn merge_object(
    document: &Value,
    schema: &Value,
    depth: usize,
    fields: &mut BTreeMap<String, Field>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let schema = match reference(schema) {
        Some(name) => match document
            .pointer("/components/schemas")
            .and_then(|schemas| schemas.get(name))
        {
            Some(target) => target,
            None => return,
        },
        None => schema,
    };
    for member in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        merge_object(document, member, depth + 1, fields);
    }
    let required = required(schema);
    for (name, property) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let ty = match reference(property).or_else(|| single_ref_all_of(property)) {
            Some(target) => Ty::Named(target.to_string()),
            None => type_of(document, property, depth + 1),
        };
        fields.insert(
            name.clone(),
            Field {
                required: required.contains(name.as_str()),
                nullable: property.get("nullable").and_then(Value::as_bool) == Some(true),
                ty,
            },
        );
    }
    // A name required here but declared in another member is still required.
    for name in required {
        if let Some(field) = fields.get_mut(name) {
            field.required = true;
        }
    }
}

/// The names an object schema lists as `required`.
pub fn required(schema: &Value) -> BTreeSet<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// `X` of `{$ref: '#/components/schemas/X'}`.
pub fn reference(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// `X` of `{allOf: [{$ref: X}]}` without properties of its own (OpenAPI 3.0's way of adding
/// `nullable` or a description to a reference): typify makes it the type `X`.
fn single_ref_all_of(schema: &Value) -> Option<&str> {
    match schema.get("allOf")?.as_array()?.as_slice() {
        [only] if schema.get("properties").is_none() => reference(only),
        _ => None,
    }
}

/// Every component named, directly or through other components, from `roots`.
pub fn reachable<'a>(
    document: &Value,
    roots: impl IntoIterator<Item = &'a Value>,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut pending: Vec<String> = Vec::new();
    for root in roots {
        collect_refs(root, &mut pending);
    }
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = document
            .pointer("/components/schemas")
            .and_then(|schemas| schemas.get(&name))
        {
            collect_refs(schema, &mut pending);
        }
    }
    seen
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = reference(value) {
                out.push(name.to_string());
            }
            map.values().for_each(|child| collect_refs(child, out));
        }
        Value::Array(items) => items.iter().for_each(|child| collect_refs(child, out)),
        _ => {}
    }
}
