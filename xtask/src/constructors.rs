//! Edits to progenitor's `Client` constructors, made on the syntax tree before rendering.
//!
//! progenitor emits `pub fn new(baseurl, inner)`, which builds its own `reqwest::Client` with
//! reqwest's default redirect policy (it forwards `ApiKey` to other hosts) and `unwrap()`s the
//! build (a panic without a rustls provider), and `pub fn new_with_client(baseurl, client, inner)`.
//! Both take the hand layer's `ClientState`, which only `vlens_client::ClientBuilder` can make:
//! callers go through the builder (`ClientBuilder::http_client` brings one's own reqwest client).
//! So `new` is removed and `new_with_client` is made `pub(crate)`, for the builder. progenitor has
//! no setting for either.

use syn::{ImplItem, Item, Type};

/// The generated client type.
const CLIENT: &str = "Client";

/// Removes `Client::new` and narrows `Client::new_with_client` to the crate. Returns what it
/// did not find, so that a progenitor upgrade that renames them fails codegen loudly.
pub fn restrict(file: &mut syn::File) -> Vec<String> {
    let mut removed_new = false;
    let mut narrowed = false;
    for item in &mut file.items {
        let Item::Impl(block) = item else { continue };
        let is_client = matches!(&*block.self_ty, Type::Path(p) if p.path.is_ident(CLIENT));
        if block.trait_.is_some() || !is_client {
            continue;
        }
        let before = block.items.len();
        block
            .items
            .retain(|member| !matches!(member, ImplItem::Fn(f) if f.sig.ident == "new"));
        removed_new |= block.items.len() < before;
        for member in &mut block.items {
            if let ImplItem::Fn(f) = member
                && f.sig.ident == "new_with_client"
            {
                f.vis = syn::parse_quote!(pub(crate));
                narrowed = true;
            }
        }
    }
    let mut problems = Vec::new();
    if !removed_new {
        problems.push("progenitor's output has no `Client::new` to remove".to_string());
    }
    if !narrowed {
        problems.push("progenitor's output has no `Client::new_with_client` to narrow".to_string());
    }
    problems
}
