//! In-memory changes to the spec before progenitor sees it. The file on disk is the public
//! contract and keeps these parameters; only the generated method signatures lose them.

use std::collections::BTreeSet;

use openapiv3::{OpenAPI, Parameter, ReferenceOr};

/// Header parameters the client's hand layer (`client/src/auth.rs`) adds once to every request.
/// Left in the spec, each would become an argument of every generated method.
pub const HEADERS_ADDED_BY_CLIENT: [&str; 2] = ["ApiKey", "TenancyName"];

/// Removes [`HEADERS_ADDED_BY_CLIENT`] from every operation, whether written inline or as a
/// `$ref` to `components/parameters`.
pub fn drop_client_headers(spec: &mut OpenAPI) {
    let components = spec.components.clone();
    let is_client_header = |param: &ReferenceOr<Parameter>| -> bool {
        let resolved = match param {
            ReferenceOr::Item(item) => Some(item),
            ReferenceOr::Reference { reference } => reference
                .strip_prefix("#/components/parameters/")
                .and_then(|name| components.as_ref()?.parameters.get(name))
                .and_then(ReferenceOr::as_item),
        };
        matches!(resolved, Some(Parameter::Header { parameter_data, .. })
            if HEADERS_ADDED_BY_CLIENT.contains(&parameter_data.name.as_str()))
    };
    for item in spec.paths.paths.values_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        item.parameters.retain(|p| !is_client_header(p));
        for operation in operations_mut(item) {
            operation.parameters.retain(|p| !is_client_header(p));
        }
    }
}

fn operations_mut(
    item: &mut openapiv3::PathItem,
) -> impl Iterator<Item = &mut openapiv3::Operation> {
    operation_slots(item).into_iter().filter_map(Option::as_mut)
}

/// A path item's place for an operation of each method (openapiv3 has no iterator over them
/// that allows changing or removing one).
fn operation_slots(item: &mut openapiv3::PathItem) -> [&mut Option<openapiv3::Operation>; 8] {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
}

/// The string format secrets are rewritten to; [`crate::generate::settings`] maps it to the
/// client's redacting `Secret` type.
pub const SECRET_FORMAT: &str = "vlens-secret";

/// Rewrites every schema `vlens-openapi` reports as a secret (`x-vlens-secret: true`, given as
/// JSON pointers in `secrets`) to `{type: string, format: vlens-secret}` (keeping its description
/// and nullability), so that progenitor's `with_conversion` maps all of them to one type whose
/// `Debug` redacts. Other string constraints (a password's `maxLength`) are left to the server:
/// the conversion matches the schema exactly.
///
/// Only component schemas (and what they hold inline) become generated types the client can
/// redact; a secret anywhere else would silently stay a plain `String`, so each one this walk
/// does not reach is returned as a problem.
pub fn mark_secrets(spec: &mut OpenAPI, secrets: &[String]) -> Vec<String> {
    let wanted: BTreeSet<&str> = secrets.iter().map(String::as_str).collect();
    let mut reached = BTreeSet::new();
    if let Some(components) = spec.components.as_mut() {
        for (name, schema) in components.schemas.iter_mut() {
            if let ReferenceOr::Item(schema) = schema {
                let mut at = format!("/components/schemas/{}", escape(name));
                mark_secrets_in(schema, &mut at, &wanted, &mut reached);
            }
        }
    }
    wanted
        .difference(&reached)
        .map(|pointer| {
            format!(
                "`x-vlens-secret` at `{pointer}` is outside the component schemas the client                  generates types for, so it would not be redacted; move it into a component"
            )
        })
        .collect()
}

fn mark_secrets_in<'w>(
    schema: &mut openapiv3::Schema,
    at: &mut String,
    wanted: &BTreeSet<&'w str>,
    reached: &mut BTreeSet<&'w str>,
) {
    use openapiv3::{SchemaKind, StringType, Type, VariantOrUnknownOrEmpty};

    if let Some(pointer) = wanted.get(at.as_str()) {
        reached.insert(*pointer);
        schema.schema_data.extensions.clear();
        schema.schema_data.example = None;
        schema.schema_kind = SchemaKind::Type(Type::String(StringType {
            format: VariantOrUnknownOrEmpty::Unknown(SECRET_FORMAT.to_string()),
            ..StringType::default()
        }));
        return;
    }
    let children: Vec<(String, &mut openapiv3::Schema)> = match &mut schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => object
            .properties
            .iter_mut()
            .filter_map(|(name, p)| {
                item_mut(p).map(|p| (format!("properties/{}", escape(name)), p.as_mut()))
            })
            .collect(),
        SchemaKind::Type(Type::Array(array)) => array
            .items
            .as_mut()
            .and_then(|items| item_mut(items).map(|i| ("items".to_string(), i.as_mut())))
            .into_iter()
            .collect(),
        SchemaKind::AllOf { all_of: list } => indexed("allOf", list),
        SchemaKind::OneOf { one_of: list } => indexed("oneOf", list),
        SchemaKind::AnyOf { any_of: list } => indexed("anyOf", list),
        _ => Vec::new(),
    };
    for (step, child) in children {
        let len = at.len();
        at.push('/');
        at.push_str(&step);
        mark_secrets_in(child, at, wanted, reached);
        at.truncate(len);
    }
}

/// The inline schemas of an `allOf`/`oneOf`/`anyOf` list, each with its pointer step.
fn indexed<'s>(
    keyword: &str,
    list: &'s mut [ReferenceOr<openapiv3::Schema>],
) -> Vec<(String, &'s mut openapiv3::Schema)> {
    list.iter_mut()
        .enumerate()
        .filter_map(|(index, item)| item_mut(item).map(|s| (format!("{keyword}/{index}"), s)))
        .collect()
}

/// Escapes one JSON-pointer reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The inline item of a `ReferenceOr` (openapiv3 offers only the shared borrow).
fn item_mut<T>(value: &mut ReferenceOr<T>) -> Option<&mut T> {
    match value {
        ReferenceOr::Item(item) => Some(item),
        ReferenceOr::Reference { .. } => None,
    }
}

/// Removes every operation `keep` refuses, and the paths left with none.
pub fn keep_operations(spec: &mut OpenAPI, keep: impl Fn(&openapiv3::Operation) -> bool) {
    for item in spec.paths.paths.values_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for slot in operation_slots(item) {
            if slot.as_ref().is_some_and(|operation| !keep(operation)) {
                *slot = None;
            }
        }
    }
    spec.paths.paths.retain(|_, item| {
        item.as_item()
            .is_none_or(|item| item.iter().next().is_some())
    });
}

/// Makes every integer of the component schemas a plain integer: `minimum`, `maximum` and
/// `enum` are dropped (`format` and `default` stay), so typify generates `i32`/`i64` where it
/// would make `NonZeroU32` of `minimum: 1` and a validating newtype of an integer `enum`.
///
/// Used for the control spec, whose server checks those bounds itself: serde stops at the first
/// field it cannot read, while the sandbox names every field at fault in one 400. Callers write
/// `count(3)`, not `NonZeroU32::new(3)`, and an out-of-range value still gets the server's 400.
pub fn plain_integers(spec: &mut OpenAPI) {
    let Some(components) = spec.components.as_mut() else {
        return;
    };
    for schema in components.schemas.values_mut() {
        if let ReferenceOr::Item(schema) = schema {
            plain_integers_in(schema);
        }
    }
}

fn plain_integers_in(schema: &mut openapiv3::Schema) {
    use openapiv3::{SchemaKind, Type};

    let children: Vec<&mut openapiv3::Schema> = match &mut schema.schema_kind {
        SchemaKind::Type(Type::Integer(integer)) => {
            integer.minimum = None;
            integer.maximum = None;
            integer.exclusive_minimum = false;
            integer.exclusive_maximum = false;
            integer.enumeration.clear();
            Vec::new()
        }
        SchemaKind::Type(Type::Object(object)) => object
            .properties
            .values_mut()
            .filter_map(|p| item_mut(p).map(|p| p.as_mut()))
            .collect(),
        SchemaKind::Type(Type::Array(array)) => array
            .items
            .as_mut()
            .and_then(|items| item_mut(items).map(|i| i.as_mut()))
            .into_iter()
            .collect(),
        SchemaKind::AllOf { all_of: list }
        | SchemaKind::OneOf { one_of: list }
        | SchemaKind::AnyOf { any_of: list } => list.iter_mut().filter_map(item_mut).collect(),
        _ => Vec::new(),
    };
    for child in children {
        plain_integers_in(child);
    }
}
