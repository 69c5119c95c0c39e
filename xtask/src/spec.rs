//! Reading `openapi/vlens.yaml` (and `openapi/sandbox-control.yaml`) for the generator.
//!
//! `vlens-openapi` reads and checks the spec: its structure and every vendor extension
//! (`x-vlens-*`), with the one strictness the whole workspace shares. This module adds only what
//! the generator needs: checks, up front, for what progenitor would panic on or silently get
//! wrong (../shared/notes/toolchain-facts.md lists them), each naming the operation or schema at
//! fault and all reported at once; and openapiv3's typed view of the document, which is what
//! progenitor takes.

use std::path::Path;

use serde_json::Value;
use vlens_openapi::{ApiSpec, SpecError};

use crate::Error;

/// A parsed spec: `vlens-openapi`'s reading (operations, extensions) and openapiv3's typed view
/// of the same document for progenitor.
#[derive(Debug)]
pub struct Spec {
    /// The spec as the workspace reads it.
    pub api: ApiSpec,
    /// The document as progenitor reads it (extensions included, unread).
    pub openapi: openapiv3::OpenAPI,
}

/// Reads and checks the spec at `path`.
pub fn load(path: &Path) -> Result<Spec, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Parses and checks spec text; `path` is only used in messages.
pub fn parse(path: &Path, text: &str) -> Result<Spec, Error> {
    let api = read(path, text)?;
    let problems = check(&api);
    typed(path, api, problems)
}

/// Reads and checks the control spec at `path` (`openapi/sandbox-control.yaml`): the generator's
/// checks on the operations tagged `control`, the ones it generates (see [`crate::control`]).
pub fn load_control(path: &Path) -> Result<Spec, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_control(path, &text)
}

/// [`load_control`] on spec text; `path` is only used in messages.
pub fn parse_control(path: &Path, text: &str) -> Result<Spec, Error> {
    let api = read_as("sandbox-control", path, text)?;
    let mut problems = Vec::new();
    check_generator(&api, crate::control::is_generated, &mut problems);
    typed(path, api, problems)
}

/// openapiv3's view of a spec that passed the checks (`problems` empty).
fn typed(path: &Path, api: ApiSpec, problems: Vec<String>) -> Result<Spec, Error> {
    if !problems.is_empty() {
        return Err(Error::SpecProblems {
            path: path.to_path_buf(),
            problems,
        });
    }
    let openapi: openapiv3::OpenAPI = serde_path_to_error::deserialize(api.raw_document().clone())
        .map_err(|e| Error::SpecSyntax {
            path: path.to_path_buf(),
            message: format!("at `{}`: {}", e.path(), e.inner()),
        })?;
    Ok(Spec { api, openapi })
}

/// The spec as `vlens-openapi` reads it, its errors as the xtask's; `path` names it in them.
pub fn read(path: &Path, text: &str) -> Result<ApiSpec, Error> {
    read_as("vlens", path, text)
}

/// [`read`] for a spec `vlens-openapi` knows by another `name` (`sandbox-control`).
pub fn read_as(name: &str, path: &Path, text: &str) -> Result<ApiSpec, Error> {
    ApiSpec::parse(name, text).map_err(|error| match error {
        SpecError::Yaml { message, .. } => Error::SpecSyntax {
            path: path.to_path_buf(),
            message,
        },
        SpecError::Invalid { problems, .. } => Error::SpecProblems {
            path: path.to_path_buf(),
            problems: problems
                .iter()
                .map(|p| format!("{} (at `{}`)", p.message, p.pointer))
                .collect(),
        },
        other => Error::SpecProblems {
            path: path.to_path_buf(),
            problems: vec![other.to_string()],
        },
    })
}

/// Every problem the generator has with a spec that `vlens-openapi` accepts, in document order.
pub fn check(api: &ApiSpec) -> Vec<String> {
    let mut problems = Vec::new();
    if api.error_codes().is_empty() {
        problems.push(
            "no root `x-vlens-error-codes` table (or an empty one): the client's \
             `KnownErrorCode` is made from it"
                .to_string(),
        );
    }
    check_generator(api, |_| true, &mut problems);
    problems
}

/// What progenitor would panic on or silently get wrong, in the whole document and in the
/// operations `generated` selects.
fn check_generator(
    api: &ApiSpec,
    generated: impl Fn(&vlens_openapi::Operation) -> bool,
    problems: &mut Vec<String>,
) {
    let raw = api.raw_document();
    find_type_lists(raw, &mut String::new(), problems);
    if let Some(paths) = raw.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            if item.get("$ref").is_some() {
                problems.push(format!(
                    "path `{path}` is a `$ref`; progenitor does not follow path references"
                ));
            }
        }
    }
    for operation in api.operations().iter().filter(|op| generated(op)) {
        let label = format!(
            "operation `{}` ({} {})",
            operation.id, operation.method, operation.path
        );
        // progenitor panics on a body with two media types (e.g. application/json + text/json).
        if let Some(body) = &operation.request_body
            && body.content_types != ["application/json"]
        {
            problems.push(format!(
                "{label}: request body must have exactly one media type, application/json (has: {})",
                body.content_types.join(", ")
            ));
        }
        // progenitor counts `default` as a success type: with a distinct error schema it
        // panics, with inline schemas it can silently generate wrong code.
        if operation.response_keys().any(|key| key == "default") {
            problems.push(format!(
                "{label}: `default` response; declare errors as `4XX`/`5XX` ranges instead"
            ));
        }
        match operation.responses.iter().find(|r| r.key == "200") {
            None => problems.push(format!("{label}: no `200` response")),
            Some(ok) => {
                let json = ok.content_types.iter().any(|t| t == "application/json");
                if !json || ok.schema_name().is_none() {
                    problems.push(format!(
                        "{label}: the `200` response must be application/json with a `$ref` to a named schema (the envelope)"
                    ));
                }
            }
        }
    }
}

/// OpenAPI 3.1 writes nullability as `type: [string, 'null']`; openapiv3 then fails with an
/// error that points at `paths`, not at the schema.
fn find_type_lists(value: &Value, at: &mut String, problems: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(_)) = map.get("type") {
                problems.push(format!(
                    "schema at `{at}`: `type` is a list (OpenAPI 3.1 style); use one type and `nullable: true`"
                ));
            }
            for (key, child) in map {
                let len = at.len();
                at.push('/');
                at.push_str(&key.replace('~', "~0").replace('/', "~1"));
                find_type_lists(child, at, problems);
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{index}"));
                find_type_lists(child, at, problems);
                at.truncate(len);
            }
        }
        _ => {}
    }
}
