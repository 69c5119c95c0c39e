//! progenitor, with settings chosen on purpose, and rendering of the result.

use proc_macro2::TokenStream;
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use quote::quote;

use crate::Error;

/// The Vlens client's generator settings: those both clients share, for the Vlens client's
/// state and its `Secret`.
pub fn settings() -> GenerationSettings {
    shared_settings(quote! { crate::auth::ClientState }, "crate::Secret")
}

/// The generator settings both clients share, each for a reason. `state` is the per-client
/// state the hooks read; `secret` the redacting type every credential becomes.
fn shared_settings(state: TokenStream, secret: &str) -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        // Positional methods check every required argument at compile time; the builder style
        // makes ~3.5x more code and checks required arguments only at run time. (It would also
        // turn on typify's struct builders, which check required fields at run time too; request
        // bodies get compile-time constructors and setters from `builders` instead.)
        .with_interface(InterfaceStyle::Positional)
        // Positional + Separate is unimplemented in progenitor 0.15 (it panics).
        .with_tag(TagStyle::Merged)
        // The hand layer's per-client state (for the Vlens client: the ApiKey, the tenancy, the
        // replaceable bearer token, the retry policy; for the control client: its ApiKey)
        // travels inside the generated Client ...
        .with_inner_type(state)
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
            secret,
            [progenitor::TypeImpl::Default].into_iter(),
        );
    settings
}

/// The settings for the sandbox's control client (`openapi/sandbox-control.yaml`): the shared
/// ones — its state is `control::ControlState`, whose hooks (vlens-sandbox's `control::client`)
/// add its ApiKey to every call, and its credentials are the Vlens client's `Secret`, so that a
/// token from the control API goes to `vlens_client::Client::set_bearer_token` as it is — and
/// the types both specs share.
pub fn control_settings() -> GenerationSettings {
    let mut settings = shared_settings(
        quote! { crate::control::ControlState },
        "::vlens_client::Secret",
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
