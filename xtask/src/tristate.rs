//! Optional nullable fields of request bodies as `Option<Option<T>>`.
//!
//! typify makes a property that is neither required nor non-nullable an `Option<T>` that serde
//! skips when `None`, so "absent" and "null" become the same value (see
//! ../shared/notes/toolchain-facts.md). A body that means something different by each — the
//! control API's `POST /__sandbox/rate-limits`: a limit left out stays, `null` turns it off —
//! cannot be sent or read with such a type. This step, run on the control spec's output, finds
//! those fields in the spec and rewrites them in the syntax tree: `None` is absent, `Some(None)`
//! null, `Some(Some(value))` the value, with a deserializer that tells a present `null` from an
//! absent field (serde's `default` fills in the absent one).

use std::collections::BTreeMap;

use quote::quote;
use serde_json::Value;
use syn::{Fields, Item};
use vlens_openapi::ApiSpec;

/// The module of progenitor's output that holds the types.
const TYPES_MODULE: &str = "types";
/// The deserializer the rewritten fields name; added to the `types` module.
const PRESENT: &str = "deserialize_present";

/// Rewrites the optional nullable fields of every request body's schema; returns what it could
/// not find in the generated code.
pub fn rewrite(spec: &ApiSpec, file: &mut syn::File) -> Vec<String> {
    let wanted = tristate_fields(spec);
    if wanted.is_empty() {
        return Vec::new();
    }
    let mut problems = Vec::new();
    let Some(items) = file.items.iter_mut().find_map(|item| match item {
        Item::Mod(module) if module.ident == TYPES_MODULE => {
            module.content.as_mut().map(|(_, items)| items)
        }
        _ => None,
    }) else {
        return vec!["progenitor's output has no `types` module".to_string()];
    };
    for (schema, properties) in &wanted {
        let Some(item) = items.iter_mut().find_map(|item| match item {
            Item::Struct(item) if item.ident == schema => Some(item),
            _ => None,
        }) else {
            problems.push(format!(
                "schema `{schema}`: no generated struct of that name"
            ));
            continue;
        };
        let Fields::Named(fields) = &mut item.fields else {
            problems.push(format!("schema `{schema}`: not a struct with named fields"));
            continue;
        };
        for property in properties {
            let Some(field) = fields
                .named
                .iter_mut()
                .find(|field| serde_name(field).as_deref() == Some(property.as_str()))
            else {
                problems.push(format!("`{schema}.{property}`: no generated field"));
                continue;
            };
            let ty = &field.ty;
            if !quote!(#ty).to_string().contains("Option") {
                problems.push(format!("`{schema}.{property}`: not an Option"));
                continue;
            }
            field.ty = syn::parse_quote!(::std::option::Option<#ty>);
            let rename = serde_rename(field);
            field.attrs.retain(|attr| !attr.path().is_ident("serde"));
            field.attrs.push(syn::parse_quote! {
                #[serde(
                    default,
                    deserialize_with = #PRESENT,
                    skip_serializing_if = "::std::option::Option::is_none"
                )]
            });
            if let Some(rename) = rename {
                field
                    .attrs
                    .push(syn::parse_quote!(#[serde(rename = #rename)]));
            }
            field.attrs.push(syn::parse_quote! {
                #[doc = "`None`: left out (unchanged); `Some(None)`: sent as `null`."]
            });
        }
    }
    let present = syn::Ident::new(PRESENT, proc_macro2::Span::call_site());
    items.push(syn::parse_quote! {
        /// A field that is present, `null` included, is `Some(...)`; an absent one stays `None`
        /// (by `#[serde(default)]`).
        fn #present<'de, D, T>(
            deserializer: D,
        ) -> ::std::result::Result<::std::option::Option<::std::option::Option<T>>, D::Error>
        where
            D: ::serde::Deserializer<'de>,
            T: ::serde::Deserialize<'de>,
        {
            <::std::option::Option<T> as ::serde::Deserialize>::deserialize(deserializer)
                .map(::std::option::Option::Some)
        }
    });
    problems
}

/// Request-body schemas and their properties that are optional and nullable (inline, or through
/// a `$ref` to a nullable schema).
fn tristate_fields(spec: &ApiSpec) -> BTreeMap<String, Vec<String>> {
    let raw = spec.raw_document();
    let schemas = raw.pointer("/components/schemas");
    let resolve = |schema: &Value| -> Option<Value> {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.strip_prefix("#/components/schemas/")?;
                schemas?.get(name).cloned()
            }
            None => Some(schema.clone()),
        }
    };
    let mut out = BTreeMap::new();
    let bodies = spec
        .operations()
        .iter()
        .filter(|op| crate::control::is_generated(op))
        .filter_map(|op| op.request_body.as_ref()?.schema_name());
    for name in bodies {
        let Some(schema) = schemas.and_then(|s| s.get(name)) else {
            continue;
        };
        let required = crate::diff::shape::required(schema);
        let nullable: Vec<String> = schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(property, _)| !required.contains(&property.as_str()))
            .filter(|(_, property)| {
                resolve(property)
                    .is_some_and(|s| s.get("nullable").and_then(Value::as_bool) == Some(true))
            })
            .map(|(property, _)| property.clone())
            .collect();
        if !nullable.is_empty() {
            out.insert(name.to_string(), nullable);
        }
    }
    out
}

/// The JSON name of a field: its `#[serde(rename = "...")]`, or its identifier.
fn serde_name(field: &syn::Field) -> Option<String> {
    serde_rename(field).or_else(|| field.ident.as_ref().map(ToString::to_string))
}

fn serde_rename(field: &syn::Field) -> Option<String> {
    field
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("serde"))
        .find_map(|attr| {
            let text = quote!(#attr).to_string();
            let start = text.find("rename = \"")? + "rename = \"".len();
            let length = text[start..].find('"')?;
            Some(text[start..start + length].to_string())
        })
}
