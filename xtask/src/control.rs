//! `sandbox/src/generated_control.rs`: the sandbox control API's client and types, from
//! `openapi/sandbox-control.yaml`.
//!
//! The file lives in `vlens-sandbox`, whose handlers serve these types and whose test kit
//! (`vlens_sandbox::kit`) calls the control API through this client: one definition of each
//! body, where there used to be a hand-written twin in `sandbox/src/control.rs`. The steps are
//! the Vlens client's where they apply:
//!
//! 1. [`crate::spec::load_control`]: `vlens-openapi` reads the spec; the generator's checks run
//!    on the operations generated;
//! 2. only the operations tagged `control` are generated: the `hosted` ones are pages a browser
//!    opens at URLs the Vlens replies contain (no ApiKey; the spec still describes them, and the
//!    sandbox's tests check its pages against it);
//! 3. [`crate::adjust`]: the ApiKey header leaves the signatures (the control client's hooks add
//!    it), secrets become `vlens_client::Secret`, integers are plain integers
//!    ([`crate::adjust::plain_integers`]: the sandbox names every field at fault itself);
//! 4. progenitor, with [`crate::generate::control_settings`]; a schema the Vlens spec defines
//!    alike ([`SHARED_TYPES`]) is the Vlens client's type;
//! 5. [`crate::constructors`]: no `Client::new` (the kit builds the client);
//! 6. [`crate::tristate`]: optional nullable request fields tell absent from `null`;
//! 7. [`crate::builders`]: `new(required…)` and setters, inside the `types` module (so that
//!    typify's default functions are in reach: `CreateUserInput::new()` is a verified user, as
//!    the server's defaults say);
//! 8. [`replies`]: `impl ControlReply` for every reply envelope, for the handlers (`ok(data)`) and
//!    the kit (`into_envelope`).

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;
use typify::{TypeDetails, TypeSpace};
use vlens_openapi::{ApiSpec, Operation};

use crate::workspace::{CONTROL_SPEC, GENERATED_CONTROL, Layout, SPEC};
use crate::{Error, adjust, builders, constructors, generate, meta, spec, tristate};

/// The tag of the operations generated.
pub const CONTROL_TAG: &str = "control";

/// Schemas of the control spec that are the Vlens client's types, by name. Each must be defined
/// in both specs alike (examples, descriptions and extensions aside).
pub const SHARED_TYPES: [(&str, &str); 1] = [("GeoLocation", "::vlens_client::types::GeoLocation")];

/// Whether an operation of the control spec is generated: the ones tagged `control`.
pub fn is_generated(operation: &Operation) -> bool {
    operation.tags.iter().any(|tag| tag == CONTROL_TAG)
}

/// The text of generated_control.rs.
pub fn render(layout: &Layout) -> Result<String, Error> {
    let path = layout.path(CONTROL_SPEC);
    let spec = spec::load_control(&path)?;
    let problems_at = |problems: Vec<String>| Error::SpecProblems {
        path: path.clone(),
        problems,
    };
    let vlens_path = layout.path(SPEC);
    let vlens_text = std::fs::read_to_string(&vlens_path).map_err(|source| Error::Io {
        path: vlens_path.clone(),
        source,
    })?;
    let vlens = spec::read(&vlens_path, &vlens_text)?;
    let mut problems = shared_types_match(&spec.api, &vlens);
    problems.extend(untagged(&spec.api));
    if !problems.is_empty() {
        return Err(problems_at(problems));
    }

    let mut adjusted = spec.openapi.clone();
    adjust::keep_operations(&mut adjusted, |op| op.tags.iter().any(|t| t == CONTROL_TAG));
    adjust::drop_client_headers(&mut adjusted);
    let problems = adjust::mark_secrets(&mut adjusted, spec.api.secret_pointers());
    if !problems.is_empty() {
        return Err(problems_at(problems));
    }
    adjust::plain_integers(&mut adjusted);

    let (tokens, generator) = generate::tokens_with(&adjusted, &generate::control_settings())?;
    let mut file = generate::parse(GENERATED_CONTROL, tokens)?;
    let mut problems = constructors::restrict(&mut file);
    problems.extend(tristate::rewrite(&spec.api, &mut file));
    if !problems.is_empty() {
        return Err(problems_at(problems));
    }
    let impls =
        builders::impls(&spec.api, &file, Some(&quote!(self::defaults))).map_err(problems_at)?;
    let Some(types) = types_module(&mut file) else {
        return Err(problems_at(vec![
            "progenitor's output has no `types` module".to_string(),
        ]));
    };
    for tokens in impls {
        types.push(syn::parse2(tokens).map_err(|source| Error::Render {
            file: GENERATED_CONTROL,
            source,
        })?);
    }
    let replies = replies(&spec.api, generator.get_type_space()).map_err(problems_at)?;
    file.items
        .extend(generate::parse(GENERATED_CONTROL, replies)?.items);
    Ok(generate::render_file_from(
        CONTROL_SPEC,
        "vlens-sandbox's control client and types",
        &file,
    ))
}

fn types_module(file: &mut syn::File) -> Option<&mut Vec<syn::Item>> {
    file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "types" => {
            module.content.as_mut().map(|(_, items)| items)
        }
        _ => None,
    })
}

/// Every operation is `control` or `hosted`: one with neither would silently be left out.
fn untagged(spec: &ApiSpec) -> Vec<String> {
    spec.operations()
        .iter()
        .filter(|op| !is_generated(op) && !op.tags.iter().any(|tag| tag == "hosted"))
        .map(|op| {
            format!(
                "operation `{}`: tagged neither `{CONTROL_TAG}` (generated) nor `hosted` (a page)",
                op.id
            )
        })
        .collect()
}

/// Each of [`SHARED_TYPES`] has the same shape in both specs.
fn shared_types_match(control: &ApiSpec, vlens: &ApiSpec) -> Vec<String> {
    SHARED_TYPES
        .iter()
        .filter_map(|(name, _)| {
            let pointer = format!("/components/schemas/{name}");
            let shape = |spec: &ApiSpec| spec.raw_document().pointer(&pointer).map(shape_of);
            match (shape(control), shape(vlens)) {
                (Some(a), Some(b)) if a == b => None,
                (Some(_), Some(_)) => Some(format!(
                    "schema `{name}` differs from {SPEC}'s, whose generated type it is: define \
                     it alike, or remove it from xtask's SHARED_TYPES"
                )),
                _ => Some(format!("schema `{name}` is not in both specs")),
            }
        })
        .collect()
}

/// A schema without what does not shape its type: examples, descriptions, `x-` extensions.
fn shape_of(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| {
                    !key.starts_with("x-") && !matches!(key.as_str(), "example" | "description")
                })
                .map(|(key, value)| (key.clone(), shape_of(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(shape_of).collect()),
        other => other.clone(),
    }
}

/// `impl crate::control::ControlReply` for the envelope of every generated operation's `200`.
fn replies(spec: &ApiSpec, types: &TypeSpace) -> Result<TokenStream, Vec<String>> {
    let mut names: Vec<&str> = spec
        .operations()
        .iter()
        .filter(|op| is_generated(op))
        .filter_map(|op| op.responses.iter().find(|r| r.key == "200")?.schema_name())
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut problems = Vec::new();
    let impls: Vec<TokenStream> = names
        .iter()
        .filter_map(|name| match reply_impl(types, name) {
            Ok(tokens) => Some(tokens),
            Err(problem) => {
                problems.push(problem);
                None
            }
        })
        .collect();
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(quote! {
        /// Every reply envelope of the control API, as `crate::control::ControlReply`.
        mod replies {
            use super::types;

            #(#impls)*
        }
    })
}

fn reply_impl(types: &TypeSpace, name: &str) -> Result<TokenStream, String> {
    let meta::EnvelopeType { ty, data, .. } = meta::envelope_type(types, name)?;
    let TypeDetails::Option(inner) = data.details() else {
        return Err(format!(
            "schema `{name}`: `data` must be required and nullable (an Option of the data)"
        ));
    };
    let data_type = types
        .get_type(&inner)
        .map_err(|e| format!("schema `{name}`: {e}"))?
        .ident();
    let ident = ty.ident();
    Ok(quote! {
        impl crate::control::ControlReply for #ident {
            type Data = #data_type;
            fn ok(data: Self::Data) -> Self {
                Self {
                    data: Some(data),
                    error_code: None,
                    error_message: None,
                    error_descriptions: ::serde_json::Value::Null,
                }
            }
            fn into_envelope(self) -> crate::control::ControlEnvelope<Self::Data> {
                crate::control::ControlEnvelope {
                    data: self.data,
                    error_code: self.error_code,
                    error_message: self.error_message,
                    error_descriptions: self.error_descriptions,
                }
            }
        }
    })
}
