//! `client/src/generated_spec.rs`: what the spec says beyond types and methods.
//!
//! - `KnownErrorCode`, from the root `x-vlens-error-codes` table;
//! - `impl Envelope` for every envelope type (the schemas the `200` responses name), so the hand
//!   layer can turn any reply into `Result<data, ApiError>` without a hand-kept list of types;
//! - `OPERATIONS`, one entry per operation: method, path, token kind, business error codes, and
//!   decoders into the generated request and response types (the conformance harness decodes
//!   raw replies with them).
//!
//! Type names come from progenitor's own type space, so they cannot drift from generated.rs;
//! what the spec says of codes and operations comes from `vlens-openapi`'s reading of it.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use typify::{TypeDetails, TypeSpace};
use vlens_openapi::{ApiSpec, ErrorCodeSource, ErrorCodeSpec, TokenKind};

use crate::Error;
use crate::spec::Spec;

/// Renders the tokens of generated_spec.rs.
pub fn tokens(
    spec: &Spec,
    types: &TypeSpace,
    client_code: &str,
    path: &std::path::Path,
) -> Result<TokenStream, Error> {
    let mut problems = Vec::new();
    let codes = error_codes(spec.api.error_codes(), &mut problems);
    let operations = operations(&spec.api);
    // progenitor hands hooks the method's snake_case name, not the operationId; make sure the
    // name derived here is the one it used, so that hooks can find the operation.
    for op in &operations {
        let method = method_name(&op.id);
        if !client_code.contains(&format!("operation_id: \"{method}\"")) {
            problems.push(format!(
                "operation `{}`: progenitor did not name its method `{method}`",
                op.id
            ));
        }
    }

    let error_enum = error_code_tokens(&codes);
    let mut envelope_names: Vec<&str> = operations.iter().map(|op| op.response.as_str()).collect();
    envelope_names.push("ApiOutputError");
    envelope_names.sort_unstable();
    envelope_names.dedup();
    let envelopes: Vec<TokenStream> = envelope_names
        .iter()
        .filter_map(|name| match envelope_impl(types, name) {
            Ok(tokens) => Some(tokens),
            Err(problem) => {
                problems.push(problem);
                None
            }
        })
        .collect();
    let operation_table = operation_table_tokens(&operations, types, &mut problems);

    if !problems.is_empty() {
        return Err(Error::SpecProblems {
            path: path.to_path_buf(),
            problems,
        });
    }
    Ok(quote! {
        use crate::envelope::Envelope;
        use crate::generated::types;
        use crate::spec::{ErrorCodeSource, Operation, TokenKind};

        #error_enum
        #operation_table
        #(#envelopes)*
    })
}

struct ErrorCodeEntry {
    code: i32,
    name: String,
    http_status: u16,
    message: String,
    description: String,
    source: ErrorCodeSource,
}

fn error_codes(codes: &[ErrorCodeSpec], problems: &mut Vec<String>) -> Vec<ErrorCodeEntry> {
    codes
        .iter()
        .filter_map(|code| {
            // vlens-openapi has checked that every code fits the envelope's int32.
            let Ok(number) = i32::try_from(code.code) else {
                problems.push(format!(
                    "error code `{}`: {} is not a 32-bit integer",
                    code.name, code.code
                ));
                return None;
            };
            Some(ErrorCodeEntry {
                code: number,
                name: code.name.clone(),
                http_status: code.http_status,
                message: code.message.clone(),
                description: code.description.clone().unwrap_or_default(),
                source: code.source,
            })
        })
        .collect()
}

fn error_code_tokens(codes: &[ErrorCodeEntry]) -> TokenStream {
    let variants: Vec<_> = codes.iter().map(|c| format_ident!("{}", c.name)).collect();
    let docs: Vec<String> = codes
        .iter()
        .map(|c| {
            let origin = match c.source {
                ErrorCodeSource::VlensDocs => "published by Vlens",
                ErrorCodeSource::Observed => "observed on a real Vlens",
                ErrorCodeSource::Project => "this project's own",
            };
            format!(
                "`{}` (HTTP {}, {origin}): \"{}\" {}",
                c.code, c.http_status, c.message, c.description
            )
        })
        .collect();
    let numbers: Vec<Literal> = codes
        .iter()
        .map(|c| Literal::i32_unsuffixed(c.code))
        .collect();
    let names: Vec<&str> = codes.iter().map(|c| c.name.as_str()).collect();
    let messages: Vec<&str> = codes.iter().map(|c| c.message.as_str()).collect();
    let statuses: Vec<Literal> = codes
        .iter()
        .map(|c| Literal::u16_unsuffixed(c.http_status))
        .collect();
    let sources: Vec<TokenStream> = codes
        .iter()
        .map(|c| match c.source {
            ErrorCodeSource::VlensDocs => quote!(ErrorCodeSource::VlensDocs),
            ErrorCodeSource::Observed => quote!(ErrorCodeSource::Observed),
            ErrorCodeSource::Project => quote!(ErrorCodeSource::Project),
        })
        .collect();
    let count = Literal::usize_unsuffixed(codes.len());
    quote! {
        /// Every error code the spec names (its root `x-vlens-error-codes` table). Non-exhaustive:
        /// a spec update that adds a code is not a breaking change for callers.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum KnownErrorCode {
            #( #[doc = #docs] #variants, )*
        }

        impl KnownErrorCode {
            /// All codes, in the spec's order.
            pub const ALL: [KnownErrorCode; #count] = [ #( KnownErrorCode::#variants, )* ];

            /// The numeric `error_code`.
            pub const fn code(self) -> i32 {
                match self { #( KnownErrorCode::#variants => #numbers, )* }
            }

            /// The code with this number, if the spec names it.
            pub const fn from_code(code: i32) -> Option<Self> {
                match code { #( #numbers => Some(KnownErrorCode::#variants), )* _ => None }
            }

            /// The spec's name for the code (the variant's name).
            pub const fn name(self) -> &'static str {
                match self { #( KnownErrorCode::#variants => #names, )* }
            }

            /// The code with this name, if the spec names it.
            pub fn from_name(name: &str) -> Option<Self> {
                match name { #( #names => Some(KnownErrorCode::#variants), )* _ => None }
            }

            /// The documented `error_message`.
            pub const fn message(self) -> &'static str {
                match self { #( KnownErrorCode::#variants => #messages, )* }
            }

            /// The HTTP status the code arrives with (200 for business errors).
            pub const fn http_status(self) -> u16 {
                match self { #( KnownErrorCode::#variants => #statuses, )* }
            }

            /// Whether Vlens publishes the code or this project defined it.
            pub const fn source(self) -> ErrorCodeSource {
                match self { #( KnownErrorCode::#variants => #sources, )* }
            }
        }
    }
}

struct OperationEntry {
    id: String,
    method: String,
    path: String,
    token: Option<TokenKind>,
    error_codes: Vec<String>,
    response: String,
    request: Option<String>,
}

fn operations(api: &ApiSpec) -> Vec<OperationEntry> {
    api.operations()
        .iter()
        .map(|op| OperationEntry {
            id: op.id.clone(),
            method: op.method.clone(),
            path: op.path.clone(),
            token: op.token,
            error_codes: op.error_codes.clone(),
            // spec::check has made sure every operation has one.
            response: op
                .responses
                .iter()
                .find(|r| r.key == "200")
                .and_then(|r| r.schema_name())
                .unwrap_or_default()
                .to_string(),
            request: op
                .request_body
                .as_ref()
                .and_then(|body| body.schema_name())
                .map(str::to_string),
        })
        .collect()
}

fn operation_table_tokens(
    operations: &[OperationEntry],
    types: &TypeSpace,
    problems: &mut Vec<String>,
) -> TokenStream {
    let count = Literal::usize_unsuffixed(operations.len());
    let entries: Vec<TokenStream> = operations
        .iter()
        .map(|op| {
            let OperationEntry {
                id, method, path, ..
            } = op;
            let client_method = method_name(id);
            let token = match op.token {
                None => quote!(TokenKind::None),
                Some(TokenKind::User) => quote!(TokenKind::User),
                Some(TokenKind::Admin) => quote!(TokenKind::Admin),
                Some(TokenKind::UserOrAdmin) => quote!(TokenKind::UserOrAdmin),
                Some(TokenKind::UserOptional) => quote!(TokenKind::UserOptional),
            };
            let codes: Vec<_> = op
                .error_codes
                .iter()
                .map(|c| format_ident!("{}", c))
                .collect();
            let response_name = &op.response;
            let response_type = named_type(types, response_name).unwrap_or_else(|| {
                problems.push(format!(
                    "operation `{id}`: no generated type for schema `{response_name}`"
                ));
                quote!(())
            });
            let (request_name, decode_request) = match &op.request {
                Some(name) => match named_type(types, name) {
                    Some(ty) => (
                        quote!(Some(#name)),
                        quote!(Some(crate::spec::decode_as::<#ty>)),
                    ),
                    None => {
                        problems.push(format!(
                            "operation `{id}`: no generated type for schema `{name}`"
                        ));
                        (quote!(None), quote!(None))
                    }
                },
                None => (quote!(None), quote!(None)),
            };
            quote! {
                Operation {
                    id: #id,
                    client_method: #client_method,
                    method: #method,
                    path: #path,
                    token: #token,
                    error_codes: &[ #( KnownErrorCode::#codes, )* ],
                    response_schema: #response_name,
                    request_schema: #request_name,
                    decode_response: crate::spec::decode_as::<#response_type>,
                    decode_request: #decode_request,
                }
            }
        })
        .collect();
    quote! {
        /// Every operation of the spec, in the spec's order.
        pub static OPERATIONS: [Operation; #count] = [ #( #entries, )* ];
    }
}

/// The generated method's name: progenitor snake-cases the operationId.
fn method_name(operation_id: &str) -> String {
    operation_id.replace('-', "_")
}

/// The generated type for a component schema, as a path (`types::Name`).
fn named_type(types: &TypeSpace, schema: &str) -> Option<TokenStream> {
    types
        .iter_types()
        .find(|t| t.name() == schema)
        .map(|t| t.ident())
}

/// An envelope schema's generated type, its fields and its `data`'s type, once it is checked to
/// have the four envelope fields (the Vlens client's `Envelope` impls and the control client's
/// `ControlReply` impls both start here).
pub(crate) struct EnvelopeType<'a> {
    /// The envelope's type.
    pub ty: typify::Type<'a>,
    /// Its properties and their types.
    pub fields: Vec<(String, typify::TypeId)>,
    /// The type of `data`.
    pub data: typify::Type<'a>,
}

/// The envelope type of schema `name`, or why it is not one.
pub(crate) fn envelope_type<'a>(
    types: &'a TypeSpace,
    name: &str,
) -> Result<EnvelopeType<'a>, String> {
    let ty = types
        .iter_types()
        .find(|t| t.name() == name)
        .ok_or_else(|| format!("schema `{name}`: no generated type"))?;
    let TypeDetails::Struct(details) = ty.details() else {
        return Err(format!(
            "schema `{name}` is not an object, so it is not an envelope"
        ));
    };
    let fields: Vec<(String, typify::TypeId)> = details
        .properties()
        .map(|(n, id)| (n.to_string(), id))
        .collect();
    for required in ["data", "error_code", "error_message", "error_descriptions"] {
        if !fields.iter().any(|(n, _)| n == required) {
            return Err(format!(
                "schema `{name}` has no `{required}`, so it is not an envelope"
            ));
        }
    }
    let data_id = fields
        .iter()
        .find(|(n, _)| n == "data")
        .map(|(_, id)| id.clone())
        .ok_or_else(|| format!("schema `{name}` has no `data`"))?;
    let data = types
        .get_type(&data_id)
        .map_err(|e| format!("schema `{name}`: {e}"))?;
    Ok(EnvelopeType { ty, fields, data })
}

/// `impl Envelope` for one envelope type, with `Data` the type inside `data`'s Option.
fn envelope_impl(types: &TypeSpace, name: &str) -> Result<TokenStream, String> {
    let EnvelopeType { ty, fields, data } = envelope_type(types, name)?;
    let ident = ty.ident();
    // `data` is required and nullable, so typify makes it an Option; an untyped `data` (the
    // error envelope) is a serde_json::Value whose null means "no data".
    let (data_type, into_data) = match data.details() {
        TypeDetails::Option(inner) => {
            let inner = types
                .get_type(&inner)
                .map_err(|e| format!("schema `{name}`: {e}"))?;
            (inner.ident(), quote!(self.data))
        }
        _ => (
            data.ident(),
            quote!(if self.data.is_null() {
                None
            } else {
                Some(self.data)
            }),
        ),
    };
    // Paged lists (`totalCount` beside `data`) report their count to the client's pager.
    let total_count = fields.iter().any(|(n, _)| n == "total_count").then(|| {
        quote! {
            fn total_count(&self) -> Option<i64> { self.total_count.map(i64::from) }
        }
    });
    Ok(quote! {
        impl Envelope for #ident {
            type Data = #data_type;
            fn error_code(&self) -> Option<i32> { self.error_code }
            fn error_message(&self) -> Option<&str> { self.error_message.as_deref() }
            fn error_descriptions(&self) -> &::serde_json::Value { &self.error_descriptions }
            fn into_data(self) -> Option<Self::Data> { #into_data }
            #total_count
        }
    })
}
