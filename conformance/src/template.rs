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

use crate::generate;

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

/// Where the values of variables come from while evaluating.
pub trait Scope {
    /// The variable's value.
    fn variable(&self, name: &str) -> Option<&Value>;
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
            let expr = Parser::new(source)
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
                std::env::var(variable)
                    .map(Value::String)
                    .map_err(|_| error(format!("environment variable `{variable}` is not set")))
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
                generate::call(function, &values)
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

struct Parser<'s> {
    source: &'s str,
    position: usize,
}

impl<'s> Parser<'s> {
    fn new(source: &'s str) -> Parser<'s> {
        Parser {
            source,
            position: 0,
        }
    }

    fn parse_all(mut self) -> Result<Expr, TemplateError> {
        self.skip_spaces();
        if self.rest().is_empty() {
            return Err(error("empty expression"));
        }
        let expr = self.expr()?;
        self.skip_spaces();
        if !self.rest().is_empty() {
            return Err(error(format!("unexpected `{}`", self.rest())));
        }
        Ok(expr)
    }

    fn rest(&self) -> &'s str {
        &self.source[self.position..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_spaces(&mut self) {
        let trimmed = self.rest().trim_start();
        self.position = self.source.len() - trimmed.len();
    }

    fn expr(&mut self) -> Result<Expr, TemplateError> {
        self.skip_spaces();
        match self.peek() {
            Some(quote @ ('\'' | '"')) => {
                let body = &self.rest()[1..];
                let end = body
                    .find(quote)
                    .ok_or_else(|| error(format!("unclosed {quote}")))?;
                let text = body[..end].to_owned();
                self.position += end + 2;
                Ok(Expr::Text(text))
            }
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => self.quantity(),
            Some(c) if c.is_ascii_alphabetic() || c == '_' => self.name_expr(),
            Some(c) => Err(error(format!("unexpected `{c}`"))),
            None => Err(error("an expression is missing")),
        }
    }

    fn quantity(&mut self) -> Result<Expr, TemplateError> {
        let rest = self.rest();
        let number_len = rest
            .char_indices()
            .find(|&(index, c)| {
                !(c.is_ascii_digit() || c == '.' || (index == 0 && (c == '-' || c == '+')))
            })
            .map_or(rest.len(), |(index, _)| index);
        let number: f64 = rest[..number_len]
            .parse()
            .map_err(|_| error(format!("`{}` is not a number", &rest[..number_len])))?;
        let unit_len = rest[number_len..]
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len() - number_len);
        let unit = rest[number_len..number_len + unit_len].to_owned();
        if !unit.is_empty() && !generate::UNITS.contains(&unit.as_str()) {
            return Err(error(format!(
                "unknown unit `{unit}` (known: {})",
                generate::UNITS.join(", ")
            )));
        }
        self.position += number_len + unit_len;
        Ok(Expr::Quantity(number, unit))
    }

    fn name(&mut self) -> &'s str {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        self.position += len;
        &rest[..len]
    }

    fn name_expr(&mut self) -> Result<Expr, TemplateError> {
        let name = self.name().to_owned();
        self.skip_spaces();
        if self.peek() == Some('(') {
            self.position += 1;
            let Some(&(_, min, max, _)) = FUNCTIONS.iter().find(|(known, ..)| *known == name)
            else {
                let known: Vec<&str> = FUNCTIONS.iter().map(|(known, ..)| *known).collect();
                return Err(error(format!(
                    "unknown function `{name}` (known: {})",
                    known.join(", ")
                )));
            };
            let mut args = Vec::new();
            self.skip_spaces();
            if self.peek() == Some(')') {
                self.position += 1;
            } else {
                loop {
                    args.push(self.expr()?);
                    self.skip_spaces();
                    match self.peek() {
                        Some(',') => self.position += 1,
                        Some(')') => {
                            self.position += 1;
                            break;
                        }
                        _ => return Err(error(format!("`{name}(` is not closed"))),
                    }
                }
            }
            if args.len() < min || args.len() > max {
                let wanted = if min == max {
                    min.to_string()
                } else {
                    format!("{min} to {max}")
                };
                return Err(error(format!(
                    "`{name}` takes {wanted} arguments, not {}",
                    args.len()
                )));
            }
            return Ok(Expr::Call(name, args));
        }
        let mut segments = Vec::new();
        loop {
            match self.peek() {
                Some('.') => {
                    self.position += 1;
                    let key = self.name();
                    if key.is_empty() {
                        return Err(error(format!("a name is missing after `{name}.`")));
                    }
                    segments.push(Segment::Key(key.to_owned()));
                }
                Some('[') => {
                    let rest = &self.rest()[1..];
                    let end = rest.find(']').ok_or_else(|| error("`[` without `]`"))?;
                    let index = rest[..end]
                        .trim()
                        .parse()
                        .map_err(|_| error(format!("`[{}]` is not an index", &rest[..end])))?;
                    segments.push(Segment::Index(index));
                    self.position += end + 2;
                }
                _ => break,
            }
        }
        Ok(Expr::Path(name, segments))
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
        assert_eq!(eval("${uuid()}").unwrap().as_str().map(str::len), Some(36));
    }
}
