//! An operation's own extensions: `x-vlens-error-codes` (the business codes it can answer
//! with), `x-vlens-token` (which bearer token it takes) and `x-vlens-messages` (whom it
//! messages).

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use super::error_codes::Table;
use crate::error::SpecProblem;
use crate::spec::Operation;

/// Which bearer token an operation takes (its `x-vlens-token`); an operation without one takes
/// the ApiKey alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// An end-user token (from Register or end-user login).
    User,
    /// An admin token (from credentials/Login).
    Admin,
    /// Either kind.
    UserOrAdmin,
    /// An end-user token, or the ApiKey alone.
    UserOptional,
}

impl TokenKind {
    /// Every kind, in the order the spec's `Bearer` scheme lists them.
    pub const ALL: [TokenKind; 4] = [
        TokenKind::User,
        TokenKind::Admin,
        TokenKind::UserOrAdmin,
        TokenKind::UserOptional,
    ];

    /// The spelling in the spec (`user`, `admin`, `user-or-admin`, `user-optional`).
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::User => "user",
            TokenKind::Admin => "admin",
            TokenKind::UserOrAdmin => "user-or-admin",
            TokenKind::UserOptional => "user-optional",
        }
    }

    /// The kind spelled `text` in the spec.
    pub fn parse(text: &str) -> Option<TokenKind> {
        TokenKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One message an operation sends (an entry of its `x-vlens-messages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSpec {
    /// How it travels.
    pub channel: MessageChannel,
    /// Who receives it.
    pub to: Recipient,
}

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageChannel {
    /// A text message to a phone number.
    Sms,
    /// An email.
    Email,
}

impl fmt::Display for MessageChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MessageChannel::Sms => "SMS",
            MessageChannel::Email => "email",
        })
    }
}

/// Who receives a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// The phone number or address at this JSON pointer of the request body (`/phoneNumber`).
    Body(String),
    /// The user whose bearer token sends the request (an activation OTP goes to the caller's
    /// registered phone).
    Caller,
}

/// Reads the extensions of `operation` (from the document as written) into it.
pub(crate) fn read(
    document: &Value,
    operation: &mut Operation,
    table: Option<&Table>,
    problems: &mut Vec<SpecProblem>,
) {
    let Some(raw) = document.pointer(&operation.pointer) else {
        return;
    };
    let label = format!(
        "operation `{}` ({} {})",
        operation.id, operation.method, operation.path
    );
    let at = |key: &str| format!("{}/{key}", operation.pointer);
    let mut problem = |pointer: String, message: String| {
        problems.push(SpecProblem::new(pointer, format!("{label}: {message}")));
    };

    operation.error_codes = read_error_codes(raw, table, &at("x-vlens-error-codes"), &mut problem);

    let bearer = uses_bearer(document, raw);
    operation.token = match raw.get("x-vlens-token") {
        None if bearer => {
            problem(
                operation.pointer.clone(),
                "security uses a bearer scheme but `x-vlens-token` does not say which token"
                    .to_owned(),
            );
            None
        }
        None => None,
        Some(value) => match value.as_str().and_then(TokenKind::parse) {
            Some(_) if !bearer => {
                problem(
                    at("x-vlens-token"),
                    "`x-vlens-token` is set but security has no bearer scheme".to_owned(),
                );
                None
            }
            Some(kind) => Some(kind),
            None => {
                let names: Vec<&str> = TokenKind::ALL.iter().map(|k| k.as_str()).collect();
                problem(
                    at("x-vlens-token"),
                    format!(
                        "`x-vlens-token: {value}` is not one of {}",
                        names.join(", ")
                    ),
                );
                None
            }
        },
    };

    let has_body = raw.get("requestBody").is_some();
    operation.messages = read_messages(raw, has_body, &at("x-vlens-messages"), &mut problem);
}

fn read_error_codes(
    raw: &Value,
    table: Option<&Table>,
    pointer: &str,
    problem: &mut impl FnMut(String, String),
) -> Vec<String> {
    let list = match (raw.get("x-vlens-error-codes"), table) {
        (None, None) => return Vec::new(),
        // Where the spec has a table, every operation says which codes it answers with, so that
        // "none" is a statement and not an omission.
        (None, Some(_)) => {
            problem(
                pointer.to_owned(),
                "no `x-vlens-error-codes` list (use [] for none)".to_owned(),
            );
            return Vec::new();
        }
        (Some(Value::Array(list)), _) => list,
        (Some(_), _) => {
            problem(
                pointer.to_owned(),
                "`x-vlens-error-codes` is not a list".to_owned(),
            );
            return Vec::new();
        }
    };
    let mut seen = BTreeSet::new();
    let mut names = Vec::new();
    for (index, name) in list.iter().enumerate() {
        let at = format!("{pointer}/{index}");
        let Some(name) = name.as_str() else {
            problem(at, "`x-vlens-error-codes` holds a non-string".to_owned());
            continue;
        };
        match table {
            Some(table) if table.names.contains(name) => {}
            Some(_) => {
                problem(
                    at,
                    format!(
                        "`x-vlens-error-codes` names `{name}`, which the root table does not define"
                    ),
                );
                continue;
            }
            None => {
                problem(
                    at,
                    format!(
                        "`x-vlens-error-codes` names `{name}`, but the spec has no root \
                         `x-vlens-error-codes` table"
                    ),
                );
                continue;
            }
        }
        if !seen.insert(name) {
            problem(at, format!("`x-vlens-error-codes` names `{name}` twice"));
            continue;
        }
        names.push(name.to_owned());
    }
    names
}

/// Whether the operation's security (its own, else the document's) names a bearer scheme: an
/// `http` scheme of `components/securitySchemes` with `scheme: bearer`.
fn uses_bearer(document: &Value, operation: &Value) -> bool {
    let requirements = operation
        .get("security")
        .or_else(|| document.get("security"))
        .and_then(Value::as_array);
    let is_bearer = |name: &str| {
        document
            .pointer(&format!(
                "/components/securitySchemes/{}",
                crate::spec::escape(name)
            ))
            .is_some_and(|scheme| {
                scheme.get("type").and_then(Value::as_str) == Some("http")
                    && scheme
                        .get("scheme")
                        .and_then(Value::as_str)
                        .is_some_and(|s| s.eq_ignore_ascii_case("bearer"))
            })
    };
    requirements.is_some_and(|list| {
        list.iter()
            .filter_map(Value::as_object)
            .any(|requirement| requirement.keys().any(|name| is_bearer(name)))
    })
}

/// `x-vlens-messages`: `[{channel: sms|email, to: /pointer | caller}]`.
fn read_messages(
    raw: &Value,
    has_body: bool,
    pointer: &str,
    problem: &mut impl FnMut(String, String),
) -> Vec<MessageSpec> {
    let Some(list) = raw.get("x-vlens-messages") else {
        return Vec::new();
    };
    let Some(list) = list.as_array() else {
        problem(
            pointer.to_owned(),
            "`x-vlens-messages` is not a list".to_owned(),
        );
        return Vec::new();
    };
    let mut messages = Vec::new();
    for (index, entry) in list.iter().enumerate() {
        let at = format!("{pointer}/{index}");
        let channel = match entry.get("channel").and_then(Value::as_str) {
            Some("sms") => MessageChannel::Sms,
            Some("email") => MessageChannel::Email,
            _ => {
                problem(at, "`channel` is `sms` or `email`".to_owned());
                continue;
            }
        };
        let to = match entry.get("to").and_then(Value::as_str) {
            Some("caller") => Recipient::Caller,
            Some(body) if body.starts_with('/') && has_body => Recipient::Body(body.to_owned()),
            Some(body) if body.starts_with('/') => {
                problem(
                    at,
                    format!("`to: {body}` points into a request body the operation does not take"),
                );
                continue;
            }
            _ => {
                problem(
                    at,
                    "`to` is a JSON pointer into the request body or `caller`".to_owned(),
                );
                continue;
            }
        };
        messages.push(MessageSpec { channel, to });
    }
    messages
}
