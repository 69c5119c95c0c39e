//! In-memory changes to the spec before progenitor sees it. The file on disk is the public
//! contract and keeps these parameters; only the generated method signatures lose them.

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
    .into_iter()
    .filter_map(Option::as_mut)
}

/// The extension that marks a credential (token, password, OTP code, signed URL).
pub const SECRET_EXTENSION: &str = "x-vlens-secret";
/// The string format secrets are rewritten to; [`crate::generate::settings`] maps it to the
/// client's redacting `Secret` type.
pub const SECRET_FORMAT: &str = "vlens-secret";

/// Rewrites every schema marked `x-vlens-secret: true` to `{type: string, format: vlens-secret}`
/// (keeping its description and nullability), so that progenitor's `with_conversion` maps all
/// of them to one type whose `Debug` redacts. Other string constraints (a password's
/// `maxLength`) are left to the server: the conversion matches the schema exactly.
pub fn mark_secrets(spec: &mut OpenAPI) {
    let Some(components) = spec.components.as_mut() else {
        return;
    };
    for schema in components.schemas.values_mut() {
        if let ReferenceOr::Item(schema) = schema {
            mark_secrets_in(schema);
        }
    }
}

fn mark_secrets_in(schema: &mut openapiv3::Schema) {
    use openapiv3::{SchemaKind, StringType, Type, VariantOrUnknownOrEmpty};

    if schema.schema_data.extensions.get(SECRET_EXTENSION) == Some(&serde_json::Value::Bool(true)) {
        schema.schema_data.extensions.clear();
        schema.schema_data.example = None;
        schema.schema_kind = SchemaKind::Type(Type::String(StringType {
            format: VariantOrUnknownOrEmpty::Unknown(SECRET_FORMAT.to_string()),
            ..StringType::default()
        }));
        return;
    }
    let children: Vec<&mut openapiv3::Schema> = match &mut schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => object
            .properties
            .values_mut()
            .filter_map(|p| item_mut(p).map(Box::as_mut))
            .collect(),
        SchemaKind::Type(Type::Array(array)) => array
            .items
            .as_mut()
            .and_then(|items| item_mut(items).map(Box::as_mut))
            .into_iter()
            .collect(),
        SchemaKind::AllOf { all_of: list }
        | SchemaKind::OneOf { one_of: list }
        | SchemaKind::AnyOf { any_of: list } => list.iter_mut().filter_map(item_mut).collect(),
        _ => Vec::new(),
    };
    for child in children {
        mark_secrets_in(child);
    }
}

/// The inline item of a `ReferenceOr` (openapiv3 offers only the shared borrow).
fn item_mut<T>(value: &mut ReferenceOr<T>) -> Option<&mut T> {
    match value {
        ReferenceOr::Item(item) => Some(item),
        ReferenceOr::Reference { .. } => None,
    }
}
