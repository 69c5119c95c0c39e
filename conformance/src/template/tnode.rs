//! A YAML value whose strings are templates: request bodies, parameters, expected values.

use serde_json::{Map, Value};

use crate::problem::Problem;
use crate::template::{Scope, Template, TemplateError, value_text};
use crate::yaml::{Node, NodeValue, Pos};

/// The most bytes of strings one value of a case may make when evaluated (a request body with
/// its images, an expected value): the sandbox refuses bodies over 4 MiB, and a 413 case
/// sends about 7 MB.
pub const MAX_EVALUATION_BYTES: usize = 32 * 1024 * 1024;

/// The bytes of the strings in a value.
fn text_bytes(value: &Value) -> usize {
    match value {
        Value::String(text) => text.len(),
        Value::Array(items) => items.iter().map(text_bytes).sum(),
        Value::Object(map) => map.iter().map(|(k, v)| k.len() + text_bytes(v)).sum(),
        _ => 8,
    }
}

/// A value from a case file, its strings parsed as templates, positions kept.
#[derive(Debug, Clone, PartialEq)]
pub struct TNode {
    /// Where it is in the case file.
    pub at: Pos,
    /// The value.
    pub kind: TKind,
}

/// The shape of a [`TNode`].
#[derive(Debug, Clone, PartialEq)]
pub enum TKind {
    /// A literal scalar (null, boolean, number).
    Literal(Value),
    /// A string, possibly with `${...}`.
    Text(Template),
    /// A list.
    Seq(Vec<TNode>),
    /// A mapping, in file order. Keys may be templates too (`"${products.autoApproved}"`: a
    /// map keyed by product id).
    Map(Vec<(TKey, TNode)>),
}

/// A mapping's key: its text, and its template when it holds an expression.
#[derive(Debug, Clone, PartialEq)]
pub struct TKey {
    /// The key as written.
    pub text: String,
    /// Where the key is.
    pub at: Pos,
    template: Option<Template>,
}

impl TKey {
    /// The key's text once its expressions are evaluated.
    pub fn evaluate(&self, scope: &dyn Scope) -> Result<String, TemplateError> {
        match &self.template {
            Some(template) => template.evaluate(scope).map(|value| value_text(&value)),
            None => Ok(self.text.clone()),
        }
    }
}

impl TNode {
    /// Parses every string of `node` as a template; the first bad template is the error.
    pub fn from_node(node: &Node) -> Result<TNode, Problem> {
        let kind = match &node.value {
            NodeValue::Null => TKind::Literal(Value::Null),
            NodeValue::Bool(b) => TKind::Literal(Value::Bool(*b)),
            NodeValue::Number(n) => TKind::Literal(Value::Number(n.clone())),
            NodeValue::String(text) => {
                TKind::Text(Template::parse(text).map_err(|e| Problem::new(node.at, e.message))?)
            }
            NodeValue::Seq(items) => TKind::Seq(
                items
                    .iter()
                    .map(TNode::from_node)
                    .collect::<Result<_, _>>()?,
            ),
            NodeValue::Map(entries) => TKind::Map(
                entries
                    .iter()
                    .map(|(key, value)| {
                        let at = value.key_at.unwrap_or(value.at);
                        let template =
                            Template::parse(key).map_err(|e| Problem::new(at, e.message))?;
                        let key = TKey {
                            text: key.clone(),
                            at,
                            template: template.has_expressions().then_some(template),
                        };
                        Ok((key, TNode::from_node(value)?))
                    })
                    .collect::<Result<_, Problem>>()?,
            ),
        };
        Ok(TNode { at: node.at, kind })
    }

    /// Evaluates every template. The strings it makes may total at most
    /// [`MAX_EVALUATION_BYTES`]: a body of four hundred 8 MB images is refused, not built.
    pub fn evaluate(&self, scope: &dyn Scope) -> Result<Value, Problem> {
        let mut spent = 0;
        self.evaluate_within(scope, &mut spent)
    }

    fn evaluate_within(&self, scope: &dyn Scope, spent: &mut usize) -> Result<Value, Problem> {
        let located = |error: TemplateError| Problem::new(self.at, error.message);
        Ok(match &self.kind {
            TKind::Literal(value) => value.clone(),
            TKind::Text(template) => {
                let value = template.evaluate(scope).map_err(located)?;
                *spent += text_bytes(&value);
                if *spent > MAX_EVALUATION_BYTES {
                    return Err(Problem::new(
                        self.at,
                        format!("the values made here exceed {MAX_EVALUATION_BYTES} bytes in all"),
                    ));
                }
                value
            }
            TKind::Seq(items) => Value::Array(
                items
                    .iter()
                    .map(|item| item.evaluate_within(scope, spent))
                    .collect::<Result<_, _>>()?,
            ),
            TKind::Map(entries) => {
                let mut map = Map::new();
                for (key, value) in entries {
                    let key = key.evaluate(scope).map_err(located)?;
                    map.insert(key, value.evaluate_within(scope, spent)?);
                }
                Value::Object(map)
            }
        })
    }

    /// Every variable read, with the position of the string reading it.
    pub fn variables(&self) -> Vec<(&str, Pos)> {
        let mut found = Vec::new();
        self.visit_templates(&mut |template, at| {
            found.extend(template.variables().into_iter().map(|name| (name, at)));
        });
        found
    }

    /// Every variable read with the first key read in it (`products.paid`), `env` included.
    pub fn variable_keys(&self) -> Vec<(&str, Option<&str>)> {
        let mut found = Vec::new();
        self.visit_templates(&mut |template, _| found.extend(template.variable_keys()));
        found
    }

    /// Every function called, with the position of the string calling it.
    pub fn functions(&self) -> Vec<(&str, Pos)> {
        let mut found = Vec::new();
        self.visit_templates(&mut |template, at| {
            found.extend(template.functions().into_iter().map(|name| (name, at)));
        });
        found
    }

    /// The node at a JSON pointer, if the value has one there (the recipient of a message).
    pub fn at_pointer(&self, pointer: &str) -> Option<&TNode> {
        let mut node = self;
        for token in pointer.split('/').skip(1) {
            let token = token.replace("~1", "/").replace("~0", "~");
            node = match &node.kind {
                TKind::Map(entries) => entries
                    .iter()
                    .find(|(key, _)| key.text == token)
                    .map(|(_, n)| n)?,
                TKind::Seq(items) => items.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The position of the node at `pointer`, or of the closest parent that exists.
    pub fn position_of(&self, pointer: &str) -> Pos {
        let mut node = self;
        let mut walked = String::new();
        for token in pointer.split('/').skip(1) {
            walked.push('/');
            walked.push_str(token);
            match self.at_pointer(&walked) {
                Some(next) => node = next,
                None => break,
            }
        }
        node.at
    }

    fn visit_templates<'t>(&'t self, f: &mut impl FnMut(&'t Template, Pos)) {
        self.visit(&mut |node| match &node.kind {
            TKind::Text(template) => f(template, node.at),
            TKind::Map(entries) => {
                for (key, _) in entries {
                    if let Some(template) = &key.template {
                        f(template, key.at);
                    }
                }
            }
            _ => {}
        });
    }

    /// The value with every templated string replaced by null, and the JSON pointers of those
    /// strings: what can be checked against a schema before the case runs.
    pub fn static_shape(&self) -> (Value, Vec<String>) {
        let mut pointers = Vec::new();
        let value = self.shape("", &mut pointers);
        (value, pointers)
    }

    fn shape(&self, pointer: &str, templated: &mut Vec<String>) -> Value {
        match &self.kind {
            TKind::Literal(value) => value.clone(),
            TKind::Text(template) if template.has_expressions() => {
                templated.push(pointer.to_owned());
                Value::Null
            }
            TKind::Text(template) => template.evaluate(&NoVariables).unwrap_or(Value::Null),
            TKind::Seq(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| item.shape(&format!("{pointer}/{index}"), templated))
                    .collect(),
            ),
            TKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(key, value)| {
                        let token = key.text.replace('~', "~0").replace('/', "~1");
                        let pointer = format!("{pointer}/{token}");
                        if key.template.is_some() {
                            // A templated key: its value cannot be checked before the run.
                            templated.push(pointer.clone());
                        }
                        (key.text.clone(), value.shape(&pointer, templated))
                    })
                    .collect(),
            ),
        }
    }

    fn visit<'t>(&'t self, f: &mut impl FnMut(&'t TNode)) {
        f(self);
        match &self.kind {
            TKind::Seq(items) => items.iter().for_each(|item| item.visit(f)),
            TKind::Map(entries) => entries.iter().for_each(|(_, value)| value.visit(f)),
            _ => {}
        }
    }
}

struct NoVariables;

impl Scope for NoVariables {
    fn variable(&self, _: &str) -> Option<&Value> {
        None
    }

    fn generators(&self) -> &crate::template::Generators {
        crate::template::Generators::sandbox()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::yaml::parse;

    #[test]
    fn shapes_replace_templates_with_null_and_list_them() {
        let node = parse("a: ${x}\nb: [1, 'lit', 'n=${y}']\n").unwrap();
        let tnode = TNode::from_node(&node).unwrap();
        let (shape, pointers) = tnode.static_shape();
        assert_eq!(shape, json!({"a": null, "b": [1, "lit", null]}));
        assert_eq!(pointers, ["/a", "/b/2"]);
        let names: Vec<&str> = tnode.variables().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["x", "y"]);
    }

    #[test]
    fn bad_templates_report_their_position() {
        let node = parse("a:\n  b: ${nope(}\n").unwrap();
        let error = TNode::from_node(&node).unwrap_err();
        assert_eq!(error.at.line, 2);
    }
}
