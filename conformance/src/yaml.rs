//! YAML with a position on every node.
//!
//! Case files are read in two passes: serde-saphyr (panic-free, rejects duplicate keys) parses
//! the text into [`Node`]s, each carrying its line and column (`Spanned`), and `case.rs`
//! interprets the tree by hand. Interpreting by hand rather than with `#[derive(Deserialize)]`
//! keeps a precise position for every problem (an untagged enum or `flatten` loses it) and lets
//! the messages say what a case author needs to hear.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;

pub use crate::problem::Pos;
use crate::problem::Problem;

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

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        let spanned = Spanned::<NodeValue>::deserialize(deserializer)?;
        Ok(Node {
            value: spanned.value,
            at: position(&spanned.referenced),
            key_at: None,
        })
    }
}

fn position(location: &serde_saphyr::Location) -> Pos {
    Pos {
        line: location.line(),
        column: location.column(),
    }
}

impl<'de> Deserialize<'de> for NodeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<NodeValue, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = NodeValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<NodeValue, D::Error> {
        NodeValue::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<NodeValue, E> {
        Ok(NodeValue::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<NodeValue, E> {
        Ok(NodeValue::Number(value.into()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<NodeValue, E> {
        Ok(NodeValue::Number(value.into()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<NodeValue, E> {
        serde_json::Number::from_f64(value)
            .map(NodeValue::Number)
            .ok_or_else(|| E::custom("a number that is not finite (.nan or .inf) is not allowed"))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<NodeValue, E> {
        Ok(NodeValue::String(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<NodeValue, E> {
        Ok(NodeValue::String(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(NodeValue::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeValue, A::Error> {
        let mut entries: Vec<(String, Node)> = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let mut value = map.next_value::<Node>()?;
            // serde-saphyr gives line 0 when it does not know where a key is.
            let key_at = position(&key.referenced);
            value.key_at = (key_at.line > 0).then_some(key_at);
            let key = key.value;
            if entries.iter().any(|(known, _)| *known == key) {
                // serde-saphyr already rejects duplicate keys; this keeps the promise if its
                // policy ever changes.
                return Err(de::Error::custom(format!(
                    "duplicate key `{key}` (line {})",
                    value.at.line
                )));
            }
            entries.push((key, value));
        }
        Ok(NodeValue::Map(entries))
    }
}

/// How deep a case file may nest: real cases nest about eight deep; the limit keeps the
/// parser's and the reader's recursion far from the stack's end (a debug build's test thread
/// overflowed at 65 levels of flow mappings).
pub const MAX_DEPTH: usize = 32;
/// How many nodes one case file may have (an alias bomb expands to millions).
pub const MAX_NODES: usize = 20_000;

/// Parses a YAML document into positioned nodes; an empty document is `Null`.
pub fn parse(text: &str) -> Result<Node, Problem> {
    if text.trim().is_empty() {
        return Ok(Node::new(NodeValue::Null));
    }
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_nodes = MAX_NODES;
    budget.max_aliases = 1_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    serde_saphyr::from_str_with_options::<Node>(text, options).map_err(|error| {
        let at = error
            .location()
            .map(|location| Pos {
                line: location.line(),
                column: location.column(),
            })
            .unwrap_or_default();
        Problem::new(at, plain(&first_line(&error.to_string())))
    })
}

/// serde-saphyr words a breached budget as its Debug output (`budget breached: Depth { depth:
/// 33 }`), and the source of its error is not public: the usual breaches in words.
fn plain(message: &str) -> String {
    // "duplicate mapping key: name, set DuplicateKeyPolicy in Options if acceptable": the
    // advice is for the parser's users, not for a case's author.
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(rest);
        return format!("duplicate key `{key}`: a mapping may have each key once");
    }
    let Some(breach) = message.strip_prefix("budget breached: ") else {
        return message.to_owned();
    };
    let kind = breach.split([' ', '{']).next().unwrap_or(breach);
    match kind {
        "Depth" => format!("the case nests more than {MAX_DEPTH} levels deep"),
        "Nodes" | "Events" => {
            format!("the case has more than {MAX_NODES} values (aliases that expand into more?)")
        }
        "Aliases" | "AliasAnchorRatio" => "the case uses too many aliases (`*name`)".to_owned(),
        _ => "the case is too large for a case file".to_owned(),
    }
}

/// serde-saphyr's messages may carry a rendered snippet after the first line; the position is
/// reported separately, so keep the sentence.
fn first_line(message: &str) -> String {
    let line = message
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("unreadable YAML");
    // "error: line 4 column 22: unclosed bracket" -> "unclosed bracket"
    let line = line.strip_prefix("error: ").unwrap_or(line);
    match line
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((position, rest)) if position.contains("column") => rest.to_owned(),
        _ => line.to_owned(),
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
