//! YAML with a position on every node.
//!
//! Case files are read in two passes: the YAML is parsed into [`Node`]s, each carrying its line
//! and column ([`build`] makes them from the parser's events), and `case/` interprets the tree
//! by hand. Interpreting by hand rather than with `#[derive(Deserialize)]` keeps a precise
//! position for every problem (an untagged enum or `flatten` loses it) and lets the messages
//! say what a case author needs to hear.

use serde_json::Value;

pub use crate::problem::Pos;

mod build;

pub use build::{MAX_ALIASES, MAX_DEPTH, MAX_NODES, parse};

/// A YAML node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: NodeValue,
    /// Where it is in the file.
    pub at: Pos,
    /// Where the key naming it starts, when it is a mapping's value: a problem with the key
    /// itself (an unknown key) is reported there, not at the value.
    pub key_at: Option<Pos>,
}

/// A YAML value whose children keep their positions.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// `~`, `null` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer or a float.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// A node made in code (no position).
    pub fn new(value: NodeValue) -> Node {
        Node {
            value,
            at: Pos::default(),
            key_at: None,
        }
    }

    /// What kind of value it is, for messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            NodeValue::Null => "null",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Number(_) => "a number",
            NodeValue::String(_) => "a string",
            NodeValue::Seq(_) => "a list",
            NodeValue::Map(_) => "a mapping",
        }
    }

    /// The string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::String(text) => Some(text),
            _ => None,
        }
    }

    /// The node as plain JSON (positions dropped).
    pub fn to_json(&self) -> Value {
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Number(n) => Value::Number(n.clone()),
            NodeValue::String(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(key, node)| (key.clone(), node.to_json()))
                    .collect(),
            ),
        }
    }

    /// Calls `visit` with this node and every node inside it, with its JSON pointer relative to
    /// this node.
    pub fn walk<'n>(&'n self, pointer: &str, visit: &mut impl FnMut(&str, &'n Node)) {
        visit(pointer, self);
        match &self.value {
            NodeValue::Seq(items) => {
                for (index, item) in items.iter().enumerate() {
                    item.walk(&format!("{pointer}/{index}"), visit);
                }
            }
            NodeValue::Map(entries) => {
                for (key, node) in entries {
                    let token = key.replace('~', "~0").replace('/', "~1");
                    node.walk(&format!("{pointer}/{token}"), visit);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_keep_positions() {
        let node = parse("a:\n  b: [1, two]\n").unwrap();
        let NodeValue::Map(entries) = &node.value else {
            panic!("{node:?}")
        };
        let (_, b_parent) = &entries[0];
        let NodeValue::Map(inner) = &b_parent.value else {
            panic!()
        };
        let (_, list) = &inner[0];
        assert_eq!(list.at, Pos { line: 2, column: 6 });
        assert_eq!(list.key_at, Some(Pos { line: 2, column: 3 }));
        let NodeValue::Seq(items) = &list.value else {
            panic!()
        };
        assert_eq!(
            items[1].at,
            Pos {
                line: 2,
                column: 10
            }
        );
        assert_eq!(node.to_json(), serde_json::json!({"a": {"b": [1, "two"]}}));
    }

    #[test]
    fn duplicate_keys_and_bad_yaml_are_problems_with_positions() {
        let problem = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(problem.at.line, 3, "{problem:?}");
        assert_eq!(
            problem.message,
            "duplicate key `a`: a mapping may have each key once"
        );
        let problem = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(problem.at.line >= 1, "{problem:?}");
        let problem = parse("a: b: c\n").unwrap_err();
        assert_eq!(problem.at.line, 1, "{problem:?}");
    }

    #[test]
    fn empty_text_is_null() {
        assert_eq!(parse("  \n").unwrap().value, NodeValue::Null);
    }

    #[test]
    fn deep_nesting_and_alias_bombs_are_problems_not_crashes() {
        // Deep flow mappings overflowed a test thread's stack before the budget stopped them.
        let deep = format!("a: {}1{}", "{b: ".repeat(3000), "}".repeat(3000));
        let problem = parse(&deep).unwrap_err();
        assert!(
            problem.message.contains("more than 32 levels"),
            "{problem:?}"
        );
        let deep = format!("a: {}1{}", "[".repeat(3000), "]".repeat(3000));
        assert!(parse(&deep).is_err());
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 0..8 {
            let name = (b'b' + level) as char;
            let previous = (b'a' + level) as char;
            bomb.push_str(&format!(
                "{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"
            ));
        }
        let problem = parse(&bomb).unwrap_err();
        assert!(
            !problem.message.contains("Nodes {"),
            "plain words: {problem:?}"
        );
    }
}
