//! Changes to the generated types: component schemas, their fields and enum values, judged by
//! which way a type travels (a caller builds requests and reads replies).

use std::collections::BTreeMap;

use vlens_openapi::ApiSpec;

use super::report::{Change, Level};
use super::shape::{self, Field, Form, Ty};

/// Which way a type travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Direction {
    /// Part of a request (a body or a parameter): the caller builds it.
    pub request: bool,
    /// Part of a reply: the caller reads it (and `match`es on its enums).
    pub response: bool,
}

impl Direction {
    /// A type no operation uses is still generated; judged both ways, the stricter wins.
    const UNUSED: Direction = Direction {
        request: true,
        response: true,
    };
}

/// Where changes are being found: the subject they are reported under and its direction.
pub struct Context<'c> {
    /// `type `GeoLocation``, `operation `x` (GET /a)`.
    pub subject: String,
    /// Which way it travels.
    pub direction: Direction,
    /// Where the changes go.
    pub out: &'c mut Vec<Change>,
}

impl Context<'_> {
    fn push(&mut self, level: Level, detail: String) {
        self.out.push(Change {
            level,
            subject: self.subject.clone(),
            detail,
        });
    }
}

/// The components of both specs, compared.
pub fn compare(old: &ApiSpec, new: &ApiSpec, out: &mut Vec<Change>) {
    let (old_types, new_types) = (
        shape::components(old.raw_document()),
        shape::components(new.raw_document()),
    );
    let (old_ways, new_ways) = (directions(old), directions(new));
    let direction = |name: &str| {
        let ways = [old_ways.get(name), new_ways.get(name)];
        let mut found = ways.into_iter().flatten();
        match found.next() {
            None => Direction::UNUSED,
            Some(first) => found.fold(*first, |a, b| Direction {
                request: a.request || b.request,
                response: a.response || b.response,
            }),
        }
    };
    for (name, old_ty) in &old_types {
        let mut context = Context {
            subject: format!("type `{name}`"),
            direction: direction(name),
            out: &mut *out,
        };
        match new_types.get(name) {
            None => context.push(Level::Major, format!("removed (`types::{name}` is gone)")),
            Some(new_ty) => compare_ty(&mut context, "", old_ty, new_ty),
        }
    }
    for name in new_types
        .keys()
        .filter(|name| !old_types.contains_key(*name))
    {
        out.push(Change {
            level: Level::Minor,
            subject: format!("type `{name}`"),
            detail: "added".to_string(),
        });
    }
}

/// Each component's direction, from the operations that use it.
fn directions(spec: &ApiSpec) -> BTreeMap<String, Direction> {
    let raw = spec.raw_document();
    let schema = |pointer: Option<&str>| pointer.and_then(|p| raw.pointer(p));
    let mut requests = Vec::new();
    let mut responses = Vec::new();
    for op in spec.operations() {
        requests.extend(
            op.parameters
                .iter()
                .filter_map(|p| schema(p.schema_pointer())),
        );
        requests.extend(
            op.request_body
                .iter()
                .filter_map(|body| schema(body.schema_pointer())),
        );
        responses.extend(
            op.responses
                .iter()
                .filter_map(|r| schema(r.schema_pointer())),
        );
    }
    let mut ways: BTreeMap<String, Direction> = BTreeMap::new();
    let none = Direction {
        request: false,
        response: false,
    };
    for name in shape::reachable(raw, requests) {
        ways.entry(name).or_insert(none).request = true;
    }
    for name in shape::reachable(raw, responses) {
        ways.entry(name).or_insert(none).response = true;
    }
    ways
}

/// `field `a.b`: ` for a field, nothing for the type itself.
fn at(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("field `{path}` ")
    }
}

/// Compares two types found at `path` (empty: the subject itself).
pub fn compare_ty(context: &mut Context<'_>, path: &str, old: &Ty, new: &Ty) {
    match (old, new) {
        (Ty::Object(old), Ty::Object(new)) => compare_fields(context, path, old, new),
        (Ty::Array(old), Ty::Array(new)) => compare_ty(context, &format!("{path}[]"), old, new),
        (Ty::Map(old), Ty::Map(new)) => compare_ty(context, &format!("{path}{{}}"), old, new),
        (
            Ty::Enum {
                base: old_base,
                values: old_values,
            },
            Ty::Enum {
                base: new_base,
                values: new_values,
            },
        ) if old_base == new_base => {
            let field = if path.is_empty() {
                String::new()
            } else {
                format!("field `{path}`: ")
            };
            for value in old_values.iter().filter(|v| !new_values.contains(v)) {
                context.push(Level::Major, format!("{field}value {value} removed"));
            }
            // A caller matches on what it reads: a new variant of a reply's enum no longer
            // fits an exhaustive `match` (typify's enums are exhaustive). In a request it is
            // one more value the caller may send.
            let level = if context.direction.response {
                Level::Major
            } else {
                Level::Minor
            };
            for value in new_values.iter().filter(|v| !old_values.contains(v)) {
                let why = if level == Level::Major {
                    " (an exhaustive `match` on it no longer compiles)"
                } else {
                    ""
                };
                context.push(level, format!("{field}value {value} added{why}"));
            }
        }
        (old, new) if old == new => {}
        (old, new) => context.push(
            Level::Major,
            format!(
                "{}retyped: {} → {}",
                at(path),
                old.describe(),
                new.describe()
            ),
        ),
    }
}

fn compare_fields(
    context: &mut Context<'_>,
    path: &str,
    old: &BTreeMap<String, Field>,
    new: &BTreeMap<String, Field>,
) {
    let child = |name: &str| {
        if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    for (name, old_field) in old {
        let path = child(name);
        match new.get(name) {
            None => context.push(Level::Major, format!("{}removed", at(&path))),
            Some(new_field) => {
                compare_presence(context, &path, old_field, new_field);
                compare_ty(context, &path, &old_field.ty, &new_field.ty);
            }
        }
    }
    for (name, field) in new.iter().filter(|(name, _)| !old.contains_key(*name)) {
        let path = child(name);
        let (level, what) = match (field.form(), context.direction.request) {
            (Form::Plain, true) => (
                Level::Major,
                "added, required (a new argument of the request body's `new`)",
            ),
            (Form::Plain, false) => (Level::Minor, "added, required"),
            _ if field.required => (Level::Minor, "added, required but nullable (an `Option`)"),
            _ => (Level::Minor, "added, optional"),
        };
        context.push(level, format!("{}{what}", at(&path)));
    }
}

/// `required` and `nullable` decide whether the Rust field is `T` or `Option<T>`, and whether
/// it is an argument of a request body's `new`.
fn compare_presence(context: &mut Context<'_>, path: &str, old: &Field, new: &Field) {
    let mut what = Vec::new();
    if old.required != new.required {
        what.push(if new.required {
            "made required"
        } else {
            "made optional"
        });
    }
    if old.nullable != new.nullable {
        what.push(if new.nullable {
            "made nullable"
        } else {
            "made non-nullable"
        });
    }
    if what.is_empty() {
        return;
    }
    let (old_form, new_form) = (old.form(), new.form());
    let option = |form: Form| form == Form::Optional;
    let (level, why) = if option(old_form) != option(new_form) {
        let (from, to) = if option(new_form) {
            ("T", "Option<T>")
        } else {
            ("Option<T>", "T")
        };
        (
            Level::Major,
            format!(" (the Rust field goes from {from} to {to})"),
        )
    } else if old_form != new_form && context.direction.request {
        let change = if new_form == Form::Plain {
            "gains"
        } else {
            "loses"
        };
        (
            Level::Major,
            format!(" (the request body's `new` {change} an argument)"),
        )
    } else {
        (Level::Patch, " (the Rust field keeps its type)".to_string())
    };
    context.push(level, format!("{}{}{why}", at(path), what.join(", ")));
}
