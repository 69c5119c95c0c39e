//! progenitor, with settings chosen on purpose, and rendering of the result.

use proc_macro2::TokenStream;
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use quote::quote;

use crate::Error;

/// The generator settings, each for a reason.
pub fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        // Positional methods check every required argument at compile time; the builder style
        // makes ~3.5x more code and checks required arguments only at run time. (It would also
        // turn on typify's struct builders, which check required fields at run time too; request
        // bodies get compile-time constructors and setters from `builders` instead.)
        .with_interface(InterfaceStyle::Positional)
        // Positional + Separate is unimplemented in progenitor 0.15 (it panics).
        .with_tag(TagStyle::Merged)
        // The hand layer's per-client state (ApiKey, tenancy, the replaceable bearer token,
        // the retry policy) travels inside the generated Client ...
        .with_inner_type(quote! { crate::auth::ClientState })
        // ... and its ClientHooks impl adds the auth headers and retries. `Expected` makes a
        // missing impl a compile error instead of a client that silently sends no ApiKey.
        .with_hooks(HooksMode::Expected)
        // BTreeMap instead of HashMap: maps (e.g. requestFieldsValues) serialise in a stable
        // order, which keeps requests and snapshots reproducible.
        .with_map_type("::std::collections::BTreeMap")
        // Equality on every type, for tests and for callers comparing replies.
        .with_derive("PartialEq")
        // Every credential (`x-vlens-secret`, rewritten by `adjust::mark_secrets`) becomes the
        // client's `Secret`, serialised as the plain string but redacted from `Debug`.
        .with_conversion(
            schemars::schema::SchemaObject {
                instance_type: Some(schemars::schema::InstanceType::String.into()),
                format: Some(crate::adjust::SECRET_FORMAT.to_string()),
                ..Default::default()
            },
            "crate::Secret",
            [progenitor::TypeImpl::Default].into_iter(),
        );
    settings
}

/// The settings for the sandbox's control client (`openapi/sandbox-control.yaml`): those of the
/// Vlens client where the reason is the same, and these differences.
pub fn control_settings() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        // The ApiKey lives in the control client's state, and its hooks (vlens-sandbox's
        // `control::client`) add it to every call.
        .with_inner_type(quote! { crate::control::ControlState })
        .with_hooks(HooksMode::Expected)
        .with_map_type("::std::collections::BTreeMap")
        .with_derive("PartialEq")
        // The same redacting type as the Vlens client's: a token from the control API is handed
        // to `vlens_client::Client::set_bearer_token` as it is.
        .with_conversion(
            schemars::schema::SchemaObject {
                instance_type: Some(schemars::schema::InstanceType::String.into()),
                format: Some(crate::adjust::SECRET_FORMAT.to_string()),
                ..Default::default()
            },
            "::vlens_client::Secret",
            [progenitor::TypeImpl::Default].into_iter(),
        );
    // A schema both specs define alike (`control::SHARED_TYPES` checks that they do) is the Vlens
    // client's type: a location from a test goes to either API without conversion.
    for (name, path) in crate::control::SHARED_TYPES {
        settings.with_replacement(name, path, std::iter::empty());
    }
    settings
}

/// Runs progenitor on the (adjusted) spec; the generator is returned for its type space.
pub fn client_tokens(spec: &openapiv3::OpenAPI) -> Result<(TokenStream, Generator), Error> {
    tokens_with(spec, &settings())
}

/// Runs progenitor with `settings`; the generator is returned for its type space.
pub fn tokens_with(
    spec: &openapiv3::OpenAPI,
    settings: &GenerationSettings,
) -> Result<(TokenStream, Generator), Error> {
    let mut generator = Generator::new(settings);
    let tokens = generator.generate_tokens(spec)?;
    Ok((tokens, generator))
}

/// Parses generated tokens as a file (a failure is a generator bug, named after `file`).
pub fn parse(file: &'static str, tokens: TokenStream) -> Result<syn::File, Error> {
    syn::parse2(tokens).map_err(|source| Error::Render { file, source })
}

/// Formats tokens as a Rust file under a do-not-edit header.
pub fn render(file: &'static str, purpose: &str, tokens: TokenStream) -> Result<String, Error> {
    Ok(render_file(purpose, &parse(file, tokens)?))
}

/// Formats a parsed file under a do-not-edit header.
///
/// prettyplease (0.3, for progenitor's syn 3) is not rustfmt-clean, so the client includes
/// these files with `#[rustfmt::skip]`.
pub fn render_file(purpose: &str, parsed: &syn::File) -> String {
    render_file_from(crate::workspace::SPEC, purpose, parsed)
}

/// [`render_file`] for a file generated from `spec` (a workspace-relative path).
pub fn render_file_from(spec: &str, purpose: &str, parsed: &syn::File) -> String {
    let body = prettyplease::unparse(parsed);
    format!(
        "// @generated by `cargo xtask codegen` from {spec}: {purpose}.\n\
         // DO NOT EDIT. Change the spec (or xtask/src) and run `cargo xtask codegen`;\n\
         // `cargo xtask codegen --check` fails while this file is stale.\n\n{body}"
    )
}
