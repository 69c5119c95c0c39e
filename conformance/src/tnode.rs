//! A YAML value whose strings are templates: request bodies, parameters, expected values.

use serde_json::{Map, Value};

use crate::template::{Scope, Template, TemplateError};
use crate::yaml::{Node, NodeValue, Pos};

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
    /// A mapping, in file order.
    Map(Vec<(String, TNode)>),
}

/// A template problem and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// Where.
    pub at: Pos,
    /// What.
    pub message: String,
}

impl TNode {
    /// Parses every string of `node` as a template; the first bad template is the error.
    pub fn from_node(node: &Node) -> Result<TNode, Located> {
        let kind = match &node.value {
            NodeValue::Null => TKind::Literal(Value::Null),
            NodeValue::Bool(b) => TKind::Literal(Value::Bool(*b)),
            NodeValue::Number(n) => TKind::Literal(Value::Number(n.clone())),
            NodeValue::String(text) => TKind::Text(Template::parse(text).map_err(|e| Located {
                at: node.at,
                message: e.message,
            })?),
            NodeValue::Seq(items) => TKind::Seq(
                items
                    .iter()
                    .map(TNode::from_node)
                    .collect::<Result<_, _>>()?,
            ),
            NodeValue::Map(entries) => TKind::Map(
                entries
                    .iter()
                    .map(|(key, value)| Ok((key.clone(), TNode::from_node(value)?)))
                    .collect::<Result<_, Located>>()?,
            ),
        };
        Ok(TNode { at: node.at, kind })
    }

    /// Evaluates every template.
    pub fn evaluate(&self, scope: &dyn Scope) -> Result<Value, Located> {
        let located = |error: TemplateError| Located {
            at: self.at,
            message: error.message,
        };
        Ok(match &self.kind {
            TKind::Literal(value) => value.clone(),
            TKind::Text(template) => template.evaluate(scope).map_err(located)?,
            TKind::Seq(items) => Value::Array(
                items
                    .iter()
                    .map(|item| item.evaluate(scope))
                    .collect::<Result<_, _>>()?,
            ),
            TKind::Map(entries) => {
                let mut map = Map::new();
                for (key, value) in entries {
                    map.insert(key.clone(), value.evaluate(scope)?);
                }
                Value::Object(map)
            }
        })
    }

    /// Every variable read, with the position of the string reading it.
    pub fn variables(&self) -> Vec<(&str, Pos)> {
        let mut found = Vec::new();
        self.visit(&mut |node| {
            if let TKind::Text(template) = &node.kind {
                found.extend(template.variables().into_iter().map(|name| (name, node.at)));
            }
        });
        found
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
                        let token = key.replace('~', "~0").replace('/', "~1");
                        (
                            key.clone(),
                            value.shape(&format!("{pointer}/{token}"), templated),
                        )
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
