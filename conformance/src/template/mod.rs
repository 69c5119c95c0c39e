//! `${...}` interpolation: variables, environment values and generated values.
//!
//! A string that is exactly one `${expr}` takes the expression's value with its type (an
//! object, a number); anything else is text with each `${expr}` replaced by the value's text.
//! `$${` writes a literal `${`.
//!
//! ```text
//! expr     := call | path | literal
//! call     := name "(" [expr ("," expr)*] ")"        uuid(), point(user.location, 81km, 90)
//! path     := name ("." name | "[" integer "]")*      user.token, reply.items[0].id, env.HOME
//! literal  := number [unit] | 'text' | "text"         81km, 300s, -10m, 600kb, 'abc'
//! ```
//!
//! The grammar is small enough that a hand-written parser is shorter and gives better messages
//! than pulling in an expression crate.

use std::fmt;

use serde_json::{Value, json};

pub mod functions;
mod parse;
mod png;
mod product_fields;
pub mod tnode;
mod url;

pub use functions::Generators;
pub(crate) use product_fields::generated_field_values;
pub use tnode::{TKind, TNode};

/// A parsed template: literal text and expressions.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Expr(Expr),
}

/// One expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A variable and a path into it (`user.location.latitude`, `env.HOME`).
    Path(String, Vec<Segment>),
    /// A function call.
    Call(String, Vec<Expr>),
    /// A number, possibly with a unit (`81km` is `Quantity(81.0, "km")`).
    Quantity(f64, String),
    /// A quoted string.
    Text(String),
}

/// One step of a path after the variable name.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// `.name`
    Key(String),
    /// `[index]`
    Index(usize),
}

/// The functions templates may call, with their arity (min, max) and what they do.
pub const FUNCTIONS: &[(&str, usize, usize, &str)] = &[
    ("uuid", 0, 0, "a random UUID"),
    (
        "now",
        0,
        1,
        "the time now in UTC (RFC 3339), optionally shifted: now(-10m), now(+1h)",
    ),
    (
        "phone",
        0,
        0,
        "a random Egyptian mobile number (+2010########)",
    ),
    ("email", 0, 0, "a random email address at example.com"),
    ("digits", 1, 1, "n random digits: digits(6)"),
    (
        "point",
        3,
        3,
        "the point at a distance and bearing from a point: point(user.location, 81km, 90)",
    ),
    (
        "distance",
        2,
        2,
        "the great-circle distance in km between two points",
    ),
    (
        "image",
        1,
        2,
        "a base64 PNG distinct for each seed, optionally padded: image(1), image(2, 600kb)",
    ),
    ("base64", 1, 1, "the base64 of a text"),
    (
        "wrong_code",
        1,
        1,
        "a code of the same length that differs from the given one in every digit",
    ),
    (
        "tamper",
        1,
        1,
        "the text with its last character changed (a tampered hash)",
    ),
    (
        "query_param",
        2,
        2,
        "a query parameter of a URL: query_param(link, 'SecurityHash')",
    ),
    (
        "set_query_param",
        3,
        3,
        "the URL with a query parameter set: set_query_param(url, 'SecurityHash', 'x')",
    ),
    ("url_path", 1, 1, "the path and query of a URL"),
    (
        "field_values",
        1,
        2,
        "values for every field of a product template: field_values(template), or with \
         'bad-dropdown' or 'unknown-key'",
    ),
    (
        "id_front",
        0,
        0,
        "the front of the test identity's national ID (the target's document, or a generated PNG)",
    ),
    (
        "id_back",
        0,
        0,
        "the back of the test identity's national ID",
    ),
    (
        "face",
        1,
        1,
        "liveness frame 1, 2 or 3 of the test identity: face(1)",
    ),
];

/// A template that does not parse, or an expression that cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    /// What is wrong.
    pub message: String,
}

fn error(message: impl Into<String>) -> TemplateError {
    TemplateError {
        message: message.into(),
    }
}

/// Where the values of variables come from while evaluating, and what generated values depend
/// on (the target's test range and identity documents).
pub trait Scope {
    /// The variable's value.
    fn variable(&self, name: &str) -> Option<&Value>;

    /// How `phone()`, `email()`, `id_front()` and `face(n)` make their values.
    fn generators(&self) -> &Generators;

    /// The value of `env.NAME` (a case run registers it as a secret unless the case says it is
    /// public).
    fn env_var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Template {
    /// Parses a string; text without `${` is a template with one text part.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            if rest[..start].ends_with('$') {
                // `$${` is a literal `${`.
                literal.push_str(&rest[..start - 1]);
                literal.push_str("${");
                rest = &rest[start + 2..];
                continue;
            }
            literal.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = closing_brace(after)
                .ok_or_else(|| error(format!("`${{` without a closing `}}` in `{text}`")))?;
            let source = &after[..end];
            let expr = parse::Parser::new(source)
                .parse_all()
                .map_err(|problem| error(format!("in `${{{source}}}`: {}", problem.message)))?;
            if !literal.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut literal)));
            }
            parts.push(Part::Expr(expr));
            rest = &after[end + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() || parts.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts })
    }

    /// Whether the text holds any expression.
    pub fn has_expressions(&self) -> bool {
        self.parts.iter().any(|part| matches!(part, Part::Expr(_)))
    }

    /// Every function it calls, in order of appearance.
    pub fn functions(&self) -> Vec<&str> {
        let mut names = Vec::new();
        for part in &self.parts {
            if let Part::Expr(expr) = part {
                expr.collect_functions(&mut names);
            }
        }
        names
    }

    /// The expression, when the text is exactly one `${...}`.
    pub fn lone_expression(&self) -> Option<&Expr> {
        match self.parts.as_slice() {
            [Part::Expr(expr)] => Some(expr),
            _ => None,
        }
    }

    /// The literal text, when it holds no expression.
    pub fn literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [Part::Text(text)] => Some(text),
            _ => None,
        }
    }

    /// The variables it reads with the first key read in each (`products.paid` is
    /// `("products", Some("paid"))`), `env` included.
    pub fn variable_keys(&self) -> Vec<(&str, Option<&str>)> {
        let mut found = Vec::new();
        for part in &self.parts {
            if let Part::Expr(expr) = part {
                expr.collect_variable_keys(&mut found);
            }
        }
        found
    }

    /// The variables it reads (not `env`), in order of appearance.
    pub fn variables(&self) -> Vec<&str> {
        let mut names = Vec::new();
        for part in &self.parts {
            if let Part::Expr(expr) = part {
                expr.collect_variables(&mut names);
            }
        }
        names
    }

    /// Evaluates: one lone expression keeps its type, anything else becomes text.
    pub fn evaluate(&self, scope: &dyn Scope) -> Result<Value, TemplateError> {
        if let [Part::Expr(expr)] = self.parts.as_slice() {
            return expr.evaluate(scope);
        }
        let mut text = String::new();
        for part in &self.parts {
            match part {
                Part::Text(literal) => text.push_str(literal),
                Part::Expr(expr) => text.push_str(&value_text(&expr.evaluate(scope)?)),
            }
        }
        Ok(Value::String(text))
    }
}

/// The index of the `}` that closes an expression, skipping quoted text.
fn closing_brace(text: &str) -> Option<usize> {
    let mut quote = None;
    for (index, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '}') => return Some(index),
            (None, _) => {}
        }
    }
    None
}

/// How a value reads inside text: strings as they are, everything else as JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

impl Expr {
    fn collect_functions<'e>(&'e self, names: &mut Vec<&'e str>) {
        if let Expr::Call(name, args) = self {
            names.push(name);
            args.iter().for_each(|arg| arg.collect_functions(names));
        }
    }

    fn collect_variable_keys<'e>(&'e self, found: &mut Vec<(&'e str, Option<&'e str>)>) {
        match self {
            Expr::Path(name, segments) => found.push((
                name,
                match segments.first() {
                    Some(Segment::Key(key)) => Some(key.as_str()),
                    _ => None,
                },
            )),
            Expr::Call(_, args) => args.iter().for_each(|arg| arg.collect_variable_keys(found)),
            _ => {}
        }
    }

    fn collect_variables<'e>(&'e self, names: &mut Vec<&'e str>) {
        match self {
            Expr::Path(name, _) if name != "env" => names.push(name),
            Expr::Call(_, args) => args.iter().for_each(|arg| arg.collect_variables(names)),
            _ => {}
        }
    }

    fn evaluate(&self, scope: &dyn Scope) -> Result<Value, TemplateError> {
        match self {
            Expr::Text(text) => Ok(Value::String(text.clone())),
            Expr::Quantity(number, unit) if unit.is_empty() => Ok(json!(number)),
            Expr::Quantity(number, unit) => Ok(Value::String(format!("{number}{unit}"))),
            Expr::Path(name, segments) if name == "env" => {
                let [Segment::Key(variable)] = segments.as_slice() else {
                    return Err(error("write environment values as `env.NAME`"));
                };
                scope
                    .env_var(variable)
                    .map(Value::String)
                    .ok_or_else(|| error(format!("environment variable `{variable}` is not set")))
            }
            Expr::Path(name, segments) => {
                let mut value = scope
                    .variable(name)
                    .ok_or_else(|| error(format!("variable `{name}` is not defined")))?;
                let mut walked = name.clone();
                for segment in segments {
                    let next = match segment {
                        Segment::Key(key) => {
                            walked.push('.');
                            walked.push_str(key);
                            value.get(key.as_str())
                        }
                        Segment::Index(index) => {
                            walked.push_str(&format!("[{index}]"));
                            value.get(*index)
                        }
                    };
                    value = next.ok_or_else(|| error(format!("`{walked}` does not exist")))?;
                }
                Ok(value.clone())
            }
            Expr::Call(function, args) => {
                let values = args
                    .iter()
                    .map(|arg| match arg {
                        // Quantities reach functions with their unit.
                        Expr::Quantity(number, unit) => Ok(Arg::Quantity(*number, unit.clone())),
                        other => other.evaluate(scope).map(Arg::Value),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                // Named as written (variables, not their values, which may be secret).
                functions::call(function, &values, scope.generators())
                    .map_err(|message| error(format!("`{self}`: {message}")))
            }
        }
    }
}

/// The expression as a case writes it (variable names, never their values).
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Path(name, segments) => {
                write!(f, "{name}")?;
                for segment in segments {
                    match segment {
                        Segment::Key(key) => write!(f, ".{key}")?,
                        Segment::Index(index) => write!(f, "[{index}]")?,
                    }
                }
                Ok(())
            }
            Expr::Call(name, args) => {
                write!(f, "{name}(")?;
                for (index, arg) in args.iter().enumerate() {
                    if index > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                write!(f, ")")
            }
            Expr::Quantity(number, unit) => write!(f, "{number}{unit}"),
            Expr::Text(text) => write!(f, "'{text}'"),
        }
    }
}

/// A function argument: a value, or a number with its unit.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// Any value.
    Value(Value),
    /// `81km`, `-10m`, `600kb`, `3`.
    Quantity(f64, String),
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Value(value) => write!(f, "{value}"),
            Arg::Quantity(number, unit) => write!(f, "{number}{unit}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct Vars(HashMap<String, Value>);

    impl Scope for Vars {
        fn variable(&self, name: &str) -> Option<&Value> {
            self.0.get(name)
        }

        fn generators(&self) -> &Generators {
            Generators::sandbox()
        }
    }

    fn vars() -> Vars {
        Vars(HashMap::from([
            (
                "user".to_owned(),
                json!({"token": "t", "location": {"latitude": 30.0, "longitude": 31.0}, "ids": [5, 6]}),
            ),
            ("n".to_owned(), json!(3)),
        ]))
    }

    fn eval(text: &str) -> Result<Value, TemplateError> {
        Template::parse(text)?.evaluate(&vars())
    }

    #[test]
    fn lone_expressions_keep_their_type_and_text_interpolates() {
        assert_eq!(eval("${n}").unwrap(), json!(3));
        assert_eq!(
            eval("${user.location}").unwrap(),
            json!({"latitude": 30.0, "longitude": 31.0})
        );
        assert_eq!(
            eval("n=${n}, t=${ user.token }").unwrap(),
            json!("n=3, t=t")
        );
        assert_eq!(eval("${user.ids[1]}").unwrap(), json!(6));
        assert_eq!(eval("plain").unwrap(), json!("plain"));
        assert_eq!(eval("$${n}").unwrap(), json!("${n}"));
        assert_eq!(eval("${'a}b'}").unwrap(), json!("a}b"));
    }

    #[test]
    fn variables_are_listed_without_env() {
        let template =
            Template::parse("${point(user.location, 81km, 90)} ${env.HOME} ${n}").unwrap();
        assert_eq!(template.variables(), ["user", "n"]);
    }

    #[test]
    fn problems_are_errors() {
        assert!(
            Template::parse("${")
                .unwrap_err()
                .message
                .contains("closing")
        );
        assert!(
            Template::parse("${nope()}")
                .unwrap_err()
                .message
                .contains("unknown function")
        );
        assert!(
            Template::parse("${uuid(1)}")
                .unwrap_err()
                .message
                .contains("takes 0")
        );
        assert!(
            Template::parse("${5parsecs}")
                .unwrap_err()
                .message
                .contains("unknown unit")
        );
        assert!(
            Template::parse("${}")
                .unwrap_err()
                .message
                .contains("empty")
        );
        assert!(
            eval("${missing}")
                .unwrap_err()
                .message
                .contains("not defined")
        );
        assert!(
            eval("${user.nope}")
                .unwrap_err()
                .message
                .contains("`user.nope` does not exist")
        );
    }

    #[test]
    fn a_failing_call_is_named_as_written() {
        let error = eval("at ${now(+100000000d)}").unwrap_err();
        assert!(error.message.starts_with("`now(100000000d)`: "), "{error}");
        // Variables are named, never shown: their values may be secret.
        let error = eval("${query_param(user.token, 'SecurityHash')}").unwrap_err();
        assert!(
            error
                .message
                .starts_with("`query_param(user.token, 'SecurityHash')`: "),
            "{error}"
        );
    }

    #[test]
    fn generated_values_are_callable() {
        let point = eval("${point(user.location, 81km, 90)}").unwrap();
        let distance = eval("${distance(user.location, {})}");
        assert!(
            distance.is_err(),
            "object literals are not part of the grammar"
        );
        assert!(point["latitude"].as_f64().is_some());
        assert!(
            eval("${face(2)}")
                .unwrap()
                .as_str()
                .is_some_and(|b| b.len() > 40)
        );
        assert_eq!(eval("${uuid()}").unwrap().as_str().map(str::len), Some(36));
    }
}
