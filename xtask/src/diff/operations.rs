//! Changes to the operations: each is a method of `vlens_client::Client` (named after its
//! operationId), whose positional arguments are its parameters and body.

use std::collections::BTreeSet;

use vlens_openapi::{ApiSpec, Operation, ParameterLocation, TokenKind};

use super::report::{Change, Level};
use super::shape::{self, Ty};
use super::types::{Context, Direction, compare_ty};
use crate::adjust::HEADERS_ADDED_BY_CLIENT;

/// The operations of both specs, compared by operationId.
pub fn compare(old: &ApiSpec, new: &ApiSpec, out: &mut Vec<Change>) {
    for old_op in old.operations() {
        match new.operation(&old_op.id) {
            None => out.push(Change {
                level: Level::Major,
                subject: label(old_op),
                detail: format!("removed (`Client::{}` is gone)", method(old_op)),
            }),
            Some(new_op) => compare_operation(old, old_op, new, new_op, out),
        }
    }
    for new_op in new.operations() {
        if old.operation(&new_op.id).is_none() {
            out.push(Change {
                level: Level::Minor,
                subject: label(new_op),
                detail: format!("added (`Client::{}`)", method(new_op)),
            });
        }
    }
}

fn label(op: &Operation) -> String {
    format!("operation `{}` ({} {})", op.id, op.method, op.path)
}

/// The generated method: progenitor snake-cases the operationId.
fn method(op: &Operation) -> String {
    op.id.replace('-', "_")
}

fn compare_operation(
    old_spec: &ApiSpec,
    old: &Operation,
    new_spec: &ApiSpec,
    new: &Operation,
    out: &mut Vec<Change>,
) {
    let mut push = |level, detail: String| {
        out.push(Change {
            level,
            subject: label(new),
            detail,
        })
    };
    if (&old.method, &old.path) != (&new.method, &new.path) {
        push(
            Level::Patch,
            format!(
                "moved from {} {} (`Client::{}` keeps its signature)",
                old.method,
                old.path,
                method(new)
            ),
        );
    }
    if old.token != new.token {
        let (before, after) = (accepts(old.token), accepts(new.token));
        let level = if after.is_superset(&before) {
            Level::Patch
        } else {
            Level::Major
        };
        let why = if level == Level::Major {
            " (calls made as before may be refused)"
        } else {
            ""
        };
        push(
            level,
            format!(
                "takes {} instead of {}{why}",
                token(new.token),
                token(old.token)
            ),
        );
    }
    compare_parameters(old_spec, old, new_spec, new, &mut push);
    let listed = |codes: Vec<&String>| -> String {
        let names: Vec<String> = codes.iter().map(|code| format!("`{code}`")).collect();
        names.join(", ")
    };
    let dropped: Vec<&String> = old
        .error_codes
        .iter()
        .filter(|c| !new.error_codes.contains(c))
        .collect();
    if !dropped.is_empty() {
        push(
            Level::Patch,
            format!("no longer answers {}", listed(dropped)),
        );
    }
    let gained: Vec<&String> = new
        .error_codes
        .iter()
        .filter(|c| !old.error_codes.contains(c))
        .collect();
    if !gained.is_empty() {
        push(Level::Patch, format!("may answer {}", listed(gained)));
    }
    let keys =
        |op: &Operation| -> BTreeSet<String> { op.response_keys().map(str::to_string).collect() };
    let (old_keys, new_keys) = (keys(old), keys(new));
    for key in old_keys.difference(&new_keys) {
        push(
            Level::Patch,
            format!("no longer declares a `{key}` response"),
        );
    }
    for key in new_keys.difference(&old_keys) {
        push(Level::Patch, format!("declares a `{key}` response"));
    }

    // The body and the reply are the method's argument and return types.
    let request = |spec: &ApiSpec, op: &Operation| {
        let pointer = op.request_body.as_ref()?.schema_pointer()?;
        Some(shape::field_type(
            spec.raw_document(),
            spec.raw_document().pointer(pointer)?,
        ))
    };
    let reply = |spec: &ApiSpec, op: &Operation| {
        let pointer = op
            .responses
            .iter()
            .find(|r| r.key == "200")?
            .schema_pointer()?;
        Some(shape::field_type(
            spec.raw_document(),
            spec.raw_document().pointer(pointer)?,
        ))
    };
    let mut body =
        |what: &str, old: Option<Ty>, new: Option<Ty>, direction: Direction| match (old, new) {
            (None, None) => {}
            (None, Some(ty)) => push(
                Level::Major,
                format!("takes a {what} now ({}, a new argument)", ty.describe()),
            ),
            (Some(ty), None) => push(
                Level::Major,
                format!("takes no {what} now (was {})", ty.describe()),
            ),
            (Some(old), Some(new)) => {
                let mut changes = Vec::new();
                let mut context = Context {
                    subject: String::new(),
                    direction,
                    out: &mut changes,
                };
                compare_ty(&mut context, "", &old, &new);
                for change in changes {
                    push(change.level, format!("{what}: {}", change.detail));
                }
            }
        };
    body(
        "request body",
        request(old_spec, old),
        request(new_spec, new),
        Direction {
            request: true,
            response: false,
        },
    );
    body(
        "reply",
        reply(old_spec, old),
        reply(new_spec, new),
        Direction {
            request: false,
            response: true,
        },
    );
}

/// Parameters are positional arguments of the method (except the headers the client adds
/// itself): one more, one less, or one of another type or optionality breaks every call.
fn compare_parameters(
    old_spec: &ApiSpec,
    old: &Operation,
    new_spec: &ApiSpec,
    new: &Operation,
    push: &mut impl FnMut(Level, String),
) {
    let arguments =
        |spec: &ApiSpec, op: &Operation| -> Vec<(ParameterLocation, String, bool, Ty)> {
            op.parameters
                .iter()
                .filter(|p| {
                    !(p.location == ParameterLocation::Header
                        && HEADERS_ADDED_BY_CLIENT.contains(&p.name.as_str()))
                })
                .map(|p| {
                    let ty = p
                        .schema_pointer()
                        .and_then(|pointer| spec.raw_document().pointer(pointer))
                        .map(|schema| shape::field_type(spec.raw_document(), schema))
                        .unwrap_or(Ty::Any);
                    (p.location, p.name.clone(), p.required, ty)
                })
                .collect()
        };
    let (before, after) = (arguments(old_spec, old), arguments(new_spec, new));
    let find = |list: &[(ParameterLocation, String, bool, Ty)], location, name: &str| {
        list.iter()
            .find(|(l, n, ..)| *l == location && n == name)
            .cloned()
    };
    for (location, name, required, ty) in &before {
        let what = format!("{location} parameter `{name}`");
        match find(&after, *location, name) {
            None => push(Level::Major, format!("{what} removed (one argument less)")),
            Some((_, _, new_required, new_ty)) => {
                if *required != new_required {
                    let now = if new_required { "required" } else { "optional" };
                    push(
                        Level::Major,
                        format!("{what} made {now} (its argument changes type)"),
                    );
                }
                if *ty != new_ty {
                    push(
                        Level::Major,
                        format!("{what} retyped: {} → {}", ty.describe(), new_ty.describe()),
                    );
                }
            }
        }
    }
    for (location, name, required, _) in &after {
        if find(&before, *location, name).is_none() {
            let how = if *required { "required" } else { "optional" };
            push(
                Level::Major,
                format!("{location} parameter `{name}` added, {how} (one more argument)"),
            );
        }
    }
}

/// The credentials an operation accepts: the ApiKey alone, a user token, an admin token.
fn accepts(kind: Option<TokenKind>) -> BTreeSet<&'static str> {
    let kinds: &[&'static str] = match kind {
        None => &["apikey"],
        Some(TokenKind::User) => &["user"],
        Some(TokenKind::Admin) => &["admin"],
        Some(TokenKind::UserOrAdmin) => &["user", "admin"],
        Some(TokenKind::UserOptional) => &["apikey", "user"],
    };
    kinds.iter().copied().collect()
}

fn token(kind: Option<TokenKind>) -> String {
    match kind {
        None => "the ApiKey alone".to_string(),
        Some(kind) => format!("a `{kind}` token"),
    }
}
