//! The extensions that mark places anywhere in the document: `x-vlens-secret` (a credential:
//! the client redacts it) and `x-vlens-decision` (where the docs were silent or contradictory
//! and this project decided).

use serde_json::Value;

use crate::convert::METHODS;
use crate::error::SpecProblem;
use crate::spec::escape;

/// One `x-vlens-decision`: what was decided, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// A JSON pointer to the object that carries it (`/components/schemas/IdBackData/properties/transaction_id`).
    pub pointer: String,
    /// The operation, component or error code it belongs to.
    pub place: DecisionPlace,
    /// The decision, as written.
    pub text: String,
}

/// What a decision belongs to: the innermost operation, component or error code around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionPlace {
    /// The document itself (`info`, the root).
    Document,
    /// A path item outside its operations.
    Path {
        /// The path template.
        path: String,
    },
    /// An operation (its parameters, body and responses included).
    Operation {
        /// Its operationId.
        id: String,
    },
    /// A component (`components/schemas/RequestStatus`, `components/parameters/SkipCount`).
    Component {
        /// The section (`schemas`, `parameters`, `securitySchemes`, …).
        section: String,
        /// The component's name.
        name: String,
    },
    /// An entry of the root `x-vlens-error-codes` table.
    ErrorCode {
        /// The code's name.
        name: String,
    },
}

impl Decision {
    /// The name a reader looks the decision up by (as `openapi/README.md` lists them): the
    /// operationId, the component's name, `x-vlens-error-codes/<name>` for an error code, the
    /// path for a path item, and `info` for the document.
    pub fn anchor(&self) -> String {
        match &self.place {
            DecisionPlace::Document => "info".to_owned(),
            DecisionPlace::Path { path } => path.clone(),
            DecisionPlace::Operation { id } => id.clone(),
            DecisionPlace::Component { name, .. } => name.clone(),
            DecisionPlace::ErrorCode { name } => format!("x-vlens-error-codes/{name}"),
        }
    }
}

/// The marks of a document.
#[derive(Debug, Default)]
pub(crate) struct Marks {
    pub(crate) secrets: Vec<String>,
    pub(crate) decisions: Vec<Decision>,
}

/// Every secret and decision of `document`, in document order; bad marks go to `problems`.
pub(crate) fn read(document: &Value, problems: &mut Vec<SpecProblem>) -> Marks {
    let mut marks = Marks::default();
    walk(document, document, &mut Vec::new(), &mut marks, problems);
    marks
}

fn walk(
    document: &Value,
    value: &Value,
    at: &mut Vec<String>,
    marks: &mut Marks,
    problems: &mut Vec<SpecProblem>,
) {
    match value {
        Value::Object(map) => {
            if let Some(mark) = map.get("x-vlens-secret") {
                let pointer = pointer(at);
                if mark == &Value::Bool(true)
                    && map.get("type").and_then(Value::as_str) == Some("string")
                {
                    marks.secrets.push(pointer);
                } else {
                    problems.push(SpecProblem::new(
                        pointer,
                        "`x-vlens-secret` must be `true` on a `type: string` schema (the \
                         client's `Secret` wraps a string)",
                    ));
                }
            }
            if let Some(text) = map.get("x-vlens-decision") {
                let pointer = pointer(at);
                match text.as_str().map(str::trim) {
                    Some(text) if !text.is_empty() => marks.decisions.push(Decision {
                        place: place(document, at),
                        pointer,
                        text: text.to_owned(),
                    }),
                    _ => problems.push(SpecProblem::new(
                        format!("{pointer}/x-vlens-decision"),
                        "`x-vlens-decision` must be a sentence saying what was decided",
                    )),
                }
            }
            for (key, child) in map {
                at.push(key.clone());
                walk(document, child, at, marks, problems);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                at.push(index.to_string());
                walk(document, child, at, marks, problems);
                at.pop();
            }
        }
        _ => {}
    }
}

fn pointer(tokens: &[String]) -> String {
    tokens
        .iter()
        .map(|token| format!("/{}", escape(token)))
        .collect()
}

fn place(document: &Value, at: &[String]) -> DecisionPlace {
    match at {
        [first, path, method, ..] if first == "paths" && METHODS.contains(&method.as_str()) => {
            let id = document["paths"][path][method]["operationId"]
                .as_str()
                .unwrap_or(path)
                .to_owned();
            DecisionPlace::Operation { id }
        }
        [first, path, ..] if first == "paths" => DecisionPlace::Path { path: path.clone() },
        [first, section, name, ..] if first == "components" => DecisionPlace::Component {
            section: section.clone(),
            name: name.clone(),
        },
        [first, index, ..] if first == "x-vlens-error-codes" => {
            let name = index
                .parse::<usize>()
                .ok()
                .and_then(|index| document[first][index]["name"].as_str())
                .unwrap_or(index)
                .to_owned();
            DecisionPlace::ErrorCode { name }
        }
        _ => DecisionPlace::Document,
    }
}
