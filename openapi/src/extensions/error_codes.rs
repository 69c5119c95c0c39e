//! The root `x-vlens-error-codes` table: every error code with its number, name, HTTP status,
//! message and how sure the spec is of it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::error::SpecProblem;

/// One entry of the root `x-vlens-error-codes` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCodeSpec {
    /// The numeric `error_code` (a 32-bit integer: the envelope's `error_code` is `int32`).
    pub code: i64,
    /// The spec's name (`LocationRevalidationRequired`), a PascalCase identifier: the client's
    /// `KnownErrorCode` variant.
    pub name: String,
    /// The HTTP status it arrives with (200 for business errors).
    pub http_status: u16,
    /// The documented `error_message`.
    pub message: String,
    /// What it means, when the spec says more than the message.
    pub description: Option<String>,
    /// Who says the code is this number.
    pub source: ErrorCodeSource,
    /// Whether Vlens's docs quote `message` (`messageSource: vlens-docs`, or a code the docs
    /// publish): such a message is checked even where the number is a guess.
    pub message_documented: bool,
    /// Where and when the number was seen (for `source: observed`).
    pub observed: Option<Observation>,
}

/// Who says an error code has its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCodeSource {
    /// Published in Vlens's docs.
    VlensDocs,
    /// This project's guess, where the docs publish none.
    Project,
    /// Seen on a real Vlens by a conformance run (folded in by `cargo xtask calibrate`).
    Observed,
}

impl ErrorCodeSource {
    /// Every source, in the order the docs list them.
    pub const ALL: [ErrorCodeSource; 3] = [
        ErrorCodeSource::VlensDocs,
        ErrorCodeSource::Project,
        ErrorCodeSource::Observed,
    ];

    /// The spelling in the spec (`vlens-docs`, `project`, `observed`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCodeSource::VlensDocs => "vlens-docs",
            ErrorCodeSource::Project => "project",
            ErrorCodeSource::Observed => "observed",
        }
    }

    /// The source spelled `text` in the spec.
    pub fn parse(text: &str) -> Option<ErrorCodeSource> {
        ErrorCodeSource::ALL
            .into_iter()
            .find(|source| source.as_str() == text)
    }
}

/// The provenance of an observed error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The target it was seen on (`api.vlens.co-443`, a profile's name).
    pub target: String,
    /// The day (`2026-11-29`).
    pub date: String,
}

impl ErrorCodeSpec {
    /// Whether the number is this project's guess: a run on a real Vlens records the number it
    /// meets instead of failing on it.
    pub fn is_guess(&self) -> bool {
        self.source == ErrorCodeSource::Project
    }
}

/// The keys an entry may have besides other extensions (`x-…`, such as `x-vlens-decision`):
/// a misspelt key (`messagesource`) is an error rather than a silently absent field.
const KEYS: [&str; 8] = [
    "code",
    "name",
    "httpStatus",
    "message",
    "description",
    "source",
    "messageSource",
    "observed",
];

/// The table as read: the entries that are valid, and every name written in it (valid entry or
/// not), so that an operation naming a broken entry is not reported a second time.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub(crate) entries: Vec<ErrorCodeSpec>,
    pub(crate) names: BTreeSet<String>,
}

/// The root table, `None` when the spec has none; its problems are added to `problems`.
pub(crate) fn read_table(document: &Value, problems: &mut Vec<SpecProblem>) -> Option<Table> {
    let list = document.get("x-vlens-error-codes")?;
    let mut table = Table::default();
    let Some(list) = list.as_array() else {
        problems.push(SpecProblem::new(
            "/x-vlens-error-codes",
            "the root `x-vlens-error-codes` is not a list",
        ));
        return Some(table);
    };
    let mut numbers: BTreeMap<i64, String> = BTreeMap::new();
    for (index, entry) in list.iter().enumerate() {
        let pointer = format!("/x-vlens-error-codes/{index}");
        let name = entry.get("name").and_then(Value::as_str);
        if let Some(name) = name
            && !table.names.insert(name.to_owned())
        {
            problems.push(SpecProblem::new(
                format!("{pointer}/name"),
                format!("error code name `{name}` is used twice"),
            ));
        }
        // Checked on the entry as written, so that a duplicate is named even in an entry
        // that has other problems.
        if let Some(number) = entry.get("code").and_then(Value::as_i64) {
            let label = name.unwrap_or("?");
            if let Some(owner) = numbers.insert(number, label.to_owned()) {
                problems.push(SpecProblem::new(
                    format!("{pointer}/code"),
                    format!("error code `{label}`: {number} is already `{owner}`'s number"),
                ));
            }
        }
        if let Some(code) = read_entry(entry, &pointer, index, problems) {
            table.entries.push(code);
        }
    }
    Some(table)
}

/// One entry, or `None` after adding each of its problems.
fn read_entry(
    entry: &Value,
    pointer: &str,
    index: usize,
    problems: &mut Vec<SpecProblem>,
) -> Option<ErrorCodeSpec> {
    let Some(object) = entry.as_object() else {
        problems.push(SpecProblem::new(
            pointer,
            format!("entry {index} of `x-vlens-error-codes` is not a mapping"),
        ));
        return None;
    };
    let label = match object.get("name").and_then(Value::as_str) {
        Some(name) => format!("error code `{name}`"),
        None => format!("entry {index} of `x-vlens-error-codes`"),
    };
    let before = problems.len();
    let mut problem = |key: &str, message: String| {
        let at = if key.is_empty() {
            pointer.to_owned()
        } else {
            format!("{pointer}/{key}")
        };
        problems.push(SpecProblem::new(at, format!("{label}: {message}")));
    };
    for key in object.keys() {
        if !KEYS.contains(&key.as_str()) && !key.starts_with("x-") {
            problem(
                key,
                format!("unknown key `{key}` (known: {})", KEYS.join(", ")),
            );
        }
    }
    let text = |key: &str| object.get(key).and_then(Value::as_str);

    let name = match text("name") {
        Some(name) if is_type_name(name) => Some(name.to_owned()),
        Some(name) => {
            problem(
                "name",
                format!("`{name}` is not a PascalCase identifier (it names a Rust variant)"),
            );
            None
        }
        None => {
            problem("", "no `name`".to_owned());
            None
        }
    };
    let code = match object.get("code").and_then(Value::as_i64) {
        Some(code) if i32::try_from(code).is_ok() => Some(code),
        _ => {
            problem("code", "`code` is not a 32-bit integer".to_owned());
            None
        }
    };
    let http_status = match object.get("httpStatus").and_then(Value::as_u64) {
        Some(status @ 100..=599) => u16::try_from(status).ok(),
        Some(status) => {
            problem(
                "httpStatus",
                format!("`httpStatus: {status}` is not an HTTP status"),
            );
            None
        }
        None => {
            problem("", "no numeric `httpStatus`".to_owned());
            None
        }
    };
    let message = text("message").map(str::to_owned);
    if message.is_none() {
        problem("", "no `message`".to_owned());
    }
    let description = match object.get("description") {
        None => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => {
            problem("description", "`description` is not a string".to_owned());
            None
        }
    };
    let source = text("source").and_then(ErrorCodeSource::parse);
    if source.is_none() {
        problem(
            "source",
            "`source` must be `vlens-docs`, `project` or `observed`".to_owned(),
        );
    }
    let message_documented = match text("messageSource") {
        None if object.contains_key("messageSource") => {
            problem(
                "messageSource",
                "`messageSource` is `vlens-docs` when set".to_owned(),
            );
            false
        }
        None => source == Some(ErrorCodeSource::VlensDocs),
        Some("vlens-docs") => true,
        Some(_) => {
            problem(
                "messageSource",
                "`messageSource` is `vlens-docs` when set".to_owned(),
            );
            false
        }
    };
    let observed = match (source, object.get("observed")) {
        (Some(ErrorCodeSource::Observed), Some(observed)) => {
            let field = |key: &str| {
                observed
                    .get(key)
                    .and_then(Value::as_str)
                    .filter(|text| !text.is_empty())
                    .map(str::to_owned)
            };
            match (field("target"), field("date")) {
                (Some(target), Some(date)) => Some(Observation { target, date }),
                _ => {
                    problem(
                        "observed",
                        "`observed` needs a `target` and a `date`".to_owned(),
                    );
                    None
                }
            }
        }
        (Some(ErrorCodeSource::Observed), None) => {
            problem(
                "",
                "`source: observed` needs `observed: {target, date}`".to_owned(),
            );
            None
        }
        (_, Some(_)) => {
            problem(
                "observed",
                "`observed` goes with `source: observed`".to_owned(),
            );
            None
        }
        (_, None) => None,
    };
    if problems.len() > before {
        return None;
    }
    Some(ErrorCodeSpec {
        code: code?,
        name: name?,
        http_status: http_status?,
        message: message?,
        description,
        source: source?,
        message_documented,
        observed,
    })
}

/// A PascalCase identifier: an ASCII capital, then letters and digits.
fn is_type_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}
