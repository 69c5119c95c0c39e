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
