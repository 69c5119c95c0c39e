//! `client/src/generated_builders.rs`: a constructor and setters for every request body.
//!
//! Request bodies are typify structs with public fields; written as struct literals, every
//! optional field must be spelled out (`sms_providers: None,`). typify can generate struct
//! builders, but progenitor turns them on only with `InterfaceStyle::Builder` (see
//! [`crate::generate::settings`] for why the project keeps `Positional`), and they check required
//! fields at run time. So this step adds, for each request-body struct and each struct inside one:
//!
//! - `Type::new(required…)`: the required fields as arguments (`impl Into<T>`), so a missing one is
//!   a compile error, as with the positional methods; the optional ones start as `None`;
//! - one method per optional field, named after it, taking the value without `Some`.
//!
//! The structs are read from progenitor's rendered output, so field names and types cannot
//! drift from generated.rs.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Attribute, Fields, GenericArgument, Item, ItemStruct, PathArguments, Type};
use vlens_openapi::ApiSpec;

/// The module of progenitor's output that holds the types.
const TYPES_MODULE: &str = "types";

/// The tokens of generated_builders.rs, or the problems found.
pub fn tokens(spec: &ApiSpec, client: &syn::File) -> Result<TokenStream, Vec<String>> {
    // typify's functions for defaults other than the type's own are private to the `types`
    // module, which this separate file cannot call; the Vlens spec has no such default.
    let impls = impls(spec, client, None)?;
    Ok(quote! {
        #[allow(unused_imports)]
        use crate::generated::types::*;

        #(#impls)*
    })
}

/// The constructor and setters of every request body and every struct inside one, in name
/// order. `Some(defaults)` says where typify's default functions are reached from the place
/// the impls go (`self::defaults` inside the `types` module); with `None`, a field with a default
/// other than its type's own is a problem.
pub fn impls(
    spec: &ApiSpec,
    client: &syn::File,
    defaults: Option<&TokenStream>,
) -> Result<Vec<TokenStream>, Vec<String>> {
    let structs = type_structs(client);
    let mut problems = Vec::new();
    let mut pending: Vec<String> = request_schemas(spec);
    for name in &pending {
        if !structs.contains_key(name) {
            problems.push(format!(
                "request body `{name}`: no generated struct of that name"
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    // Every struct reachable from a request body, in name order (stable output).
    let mut chosen = BTreeSet::new();
    while let Some(name) = pending.pop() {
        let Some(item) = structs.get(&name) else {
            continue;
        };
        if !chosen.insert(name) {
            continue;
        }
        if let Fields::Named(fields) = &item.fields {
            for field in &fields.named {
                pending.extend(
                    idents_in(&field.ty)
                        .into_iter()
                        .filter(|ident| structs.contains_key(ident)),
                );
            }
        }
    }

    let mut impls = Vec::new();
    for item in chosen.iter().filter_map(|name| structs.get(name)) {
        match constructor_and_setters(item, defaults) {
            Ok(Some(tokens)) => impls.push(tokens),
            Ok(None) => {}
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(impls)
    } else {
        Err(problems)
    }
}

/// The component schemas named by request bodies (which `spec::check` has made sure are
/// `application/json` only).
fn request_schemas(spec: &ApiSpec) -> Vec<String> {
    let names: BTreeSet<String> = spec
        .operations()
        .iter()
        .filter_map(|op| op.request_body.as_ref()?.schema_name())
        .map(str::to_string)
        .collect();
    names.into_iter().collect()
}

/// The structs of the generated `types` module, by name.
fn type_structs(client: &syn::File) -> BTreeMap<String, &ItemStruct> {
    let mut out = BTreeMap::new();
    for item in &client.items {
        let Item::Mod(module) = item else { continue };
        if module.ident != TYPES_MODULE {
            continue;
        }
        for inner in module.content.iter().flat_map(|(_, items)| items) {
            if let Item::Struct(item) = inner {
                out.insert(item.ident.to_string(), item);
            }
        }
    }
    out
}

/// Every identifier in a type (`Option<Vec<GeoLocation>>` → Option, Vec, GeoLocation).
fn idents_in(ty: &Type) -> Vec<String> {
    ty.to_token_stream()
        .to_string()
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
        .map(str::to_string)
        .collect()
}

/// `T` of an `Option<T>` field type.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(inner) => Some(inner),
        _ => None,
    }
}

/// The function serde fills the field with when absent (`#[serde(default = "path")]`): typify
/// writes one for a spec `default` that is not the type's own (`true`, `"Sandbox"`, `503`).
fn serde_default_function(attrs: &[Attribute]) -> Option<String> {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("serde"))
        .find_map(|attr| {
            let text = attr.to_token_stream().to_string();
            let start = text.find("default = \"")? + "default = \"".len();
            let length = text[start..].find('"')?;
            Some(text[start..start + length].to_string())
        })
}

/// Whether serde fills the field when absent (`#[serde(default)]`), which makes it optional.
fn has_serde_default(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("serde")
            && attr
                .to_token_stream()
                .to_string()
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|word| word == "default")
    })
}

fn doc_attrs(attrs: &[Attribute]) -> Vec<&Attribute> {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .collect()
}

fn constructor_and_setters(
    item: &ItemStruct,
    defaults: Option<&TokenStream>,
) -> Result<Option<TokenStream>, String> {
    let Fields::Named(fields) = &item.fields else {
        return Ok(None);
    };
    let name = &item.ident;
    let mut params = Vec::new();
    let mut inits = Vec::new();
    let mut setters = Vec::new();
    for field in &fields.named {
        let Some(ident) = field.ident.as_ref() else {
            return Ok(None);
        };
        let ty = &field.ty;
        let mut docs: Vec<TokenStream> = doc_attrs(&field.attrs)
            .into_iter()
            .map(ToTokens::to_token_stream)
            .collect();
        if docs.is_empty() {
            let doc = format!("Sets `{ident}`.");
            docs.push(quote!(#[doc = #doc]));
        }
        if let Some(inner) = option_inner(ty) {
            inits.push(quote!(#ident: None));
            setters.push(quote! {
                #(#docs)*
                pub fn #ident(mut self, value: impl Into<#inner>) -> Self {
                    self.#ident = Some(value.into());
                    self
                }
            });
        } else if has_serde_default(&field.attrs) {
            let init = match (serde_default_function(&field.attrs), defaults) {
                (None, _) => quote!(Default::default()),
                (Some(function), Some(prefix)) => {
                    let function = function.strip_prefix("defaults::").unwrap_or(&function);
                    let path: syn::Expr = syn::parse_str(function).map_err(|e| {
                        format!("`{name}.{ident}`: default function `{function}`: {e}")
                    })?;
                    quote!(#prefix::#path())
                }
                (Some(function), None) => {
                    return Err(format!(
                        "`{name}.{ident}` defaults to `{function}()`, which the builders file \
                         cannot call (typify keeps it private to `types`)"
                    ));
                }
            };
            inits.push(quote!(#ident: #init));
            setters.push(quote! {
                #(#docs)*
                pub fn #ident(mut self, value: impl Into<#ty>) -> Self {
                    self.#ident = value.into();
                    self
                }
            });
        } else {
            params.push(quote!(#ident: impl Into<#ty>));
            inits.push(quote!(#ident: #ident.into()));
        }
    }
    let new_doc = format!(
        "A `{name}` from its required fields; the optional ones start as `None` and are set with \
         the methods named after them."
    );
    Ok(Some(quote! {
        impl #name {
            #[doc = #new_doc]
            pub fn new(#(#params),*) -> Self {
                Self { #(#inits),* }
            }
            #(#setters)*
        }
    }))
}
