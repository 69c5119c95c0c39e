//! Nodes from the YAML parser's events.
//!
//! The events come from granit-parser (the parser serde-saphyr is built on, re-exported by it).
//! serde-saphyr itself turned a case file into nodes four times slower than its own parser
//! reads it (290 µs against 76 µs for a 2 KB case, most of it in its serde plumbing for
//! `Spanned`), and every run reads every case before its first request; building the tree
//! from the events directly is a few dozen lines, with the limits and messages kept here.
//!
//! Plain scalars resolve by the YAML 1.2 core schema: `null`, `~` and nothing are null,
//! `true`/`false` booleans, decimal, `0o` and `0x` integers and decimal floats numbers, anything
//! else text; `yes`, `no`, `on` and `off` are text (YAML 1.1's booleans, the "Norway problem").
//! A quoted or block scalar is always text. `!!str` makes any scalar text; other tags are
//! refused, as case files have no use for them.

use std::collections::HashMap;

use serde_saphyr::granit_parser::{Event, Marker, Options, Parser, ScalarStyle, Span, StrInput};

use super::{Node, NodeValue, Pos};
use crate::problem::Problem;

/// How deep a case file may nest: real cases nest about eight deep; the limit keeps the
/// builder's and the reader's recursion far from the stack's end (a debug build's test thread
/// overflowed at 65 levels of flow mappings).
pub const MAX_DEPTH: usize = 32;
/// How many nodes one case file may have, aliases expanded (an alias bomb expands to
/// millions).
pub const MAX_NODES: usize = 20_000;
/// How many aliases (`*name`) one case file may use.
pub const MAX_ALIASES: usize = 1_000;

/// The core schema's tag prefix (`!!str` is `tag:yaml.org,2002:str`).
const CORE_TAGS: &str = "tag:yaml.org,2002:";

/// Parses a YAML document into positioned nodes; an empty document is `Null`.
pub fn parse(text: &str) -> Result<Node, Problem> {
    if text.trim().is_empty() {
        return Ok(Node::new(NodeValue::Null));
    }
    let mut options = Options::default();
    options.set_emit_comments(false);
    // The parser's own limits are a backstop; the builder stops at MAX_DEPTH with a message.
    options.flow_nesting_limit = MAX_DEPTH + 8;
    options.block_nesting_limit = MAX_DEPTH + 8;
    let mut builder = Builder {
        parser: Parser::new_from_str_with_options(text, options),
        anchors: HashMap::new(),
        nodes: 0,
        aliases: 0,
    };
    builder.document()
}

struct Builder<'t> {
    parser: Parser<'t, StrInput<'t>>,
    /// Anchored nodes by the parser's anchor id.
    anchors: HashMap<usize, Node>,
    /// Nodes made so far, aliases expanded.
    nodes: usize,
    aliases: usize,
}

impl<'t> Builder<'t> {
    /// The stream's one document.
    fn document(&mut self) -> Result<Node, Problem> {
        let mut root = None;
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentEnd => {}
                Event::DocumentStart(..) if root.is_some() => {
                    return Err(problem(
                        span.start,
                        "a case file holds one YAML document (a second `---` starts another)",
                    ));
                }
                Event::DocumentStart(..) => {
                    let (event, span) = self.next()?;
                    root = Some(self.node(event, span, 0)?);
                }
                Event::StreamEnd => return Ok(root.unwrap_or_else(|| Node::new(NodeValue::Null))),
                _ => return Err(problem(span.start, "unexpected YAML outside a document")),
            }
        }
    }

    fn next(&mut self) -> Result<(Event<'t>, Span), Problem> {
        match self.parser.next_event() {
            Some(Ok(next)) => Ok(next),
            Some(Err(error)) => Err(problem(*error.marker(), &scan_message(&error.info()))),
            None => Err(Problem::new(Pos::default(), "the YAML ends early")),
        }
    }

    /// The node that `event` starts, `depth` collections deep.
    fn node(&mut self, event: Event<'t>, span: Span, depth: usize) -> Result<Node, Problem> {
        let at = position(span.start);
        let (value, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag.map(|tag| (tag.handle().to_owned(), tag.suffix().to_owned()));
                (
                    scalar(&text, style, tag, span.tag_start.unwrap_or(span.start))?,
                    anchor,
                )
            }
            Event::SequenceStart(_, anchor, tag) => {
                refuse_tag(
                    tag.as_deref().map(|t| (t.handle(), t.suffix())),
                    "seq",
                    &span,
                )?;
                (NodeValue::Seq(self.sequence(span, depth + 1)?), anchor)
            }
            Event::MappingStart(_, anchor, tag) => {
                refuse_tag(
                    tag.as_deref().map(|t| (t.handle(), t.suffix())),
                    "map",
                    &span,
                )?;
                (NodeValue::Map(self.mapping(span, depth + 1)?), anchor)
            }
            Event::Alias(id) => return self.alias(id, span),
            _ => return Err(problem(span.start, "a value was expected here")),
        };
        self.count(1, span.start)?;
        let node = Node {
            value,
            at,
            key_at: None,
        };
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }

    fn sequence(&mut self, start: Span, depth: usize) -> Result<Vec<Node>, Problem> {
        too_deep(depth, start)?;
        let mut items = Vec::new();
        loop {
            let (event, span) = self.next()?;
            if matches!(event, Event::SequenceEnd) {
                return Ok(items);
            }
            items.push(self.node(event, span, depth)?);
        }
    }

    fn mapping(&mut self, start: Span, depth: usize) -> Result<Vec<(String, Node)>, Problem> {
        too_deep(depth, start)?;
        let mut entries: Vec<(String, Node)> = Vec::new();
        loop {
            let (event, key_span) = self.next()?;
            let key = match event {
                Event::MappingEnd => return Ok(entries),
                // A key is its text as written (`1:` is the key "1"), an anchored one too.
                Event::Scalar(text, _, anchor, _) => {
                    let key = text.into_owned();
                    if anchor != 0 {
                        let node = Node {
                            value: NodeValue::String(key.clone()),
                            at: position(key_span.start),
                            key_at: None,
                        };
                        self.anchors.insert(anchor, node);
                    }
                    key
                }
                Event::Alias(id) => match self.alias(id, key_span)?.value {
                    NodeValue::String(text) => text,
                    _ => return Err(problem(key_span.start, "a mapping key must be text")),
                },
                _ => return Err(problem(key_span.start, "a mapping key must be text")),
            };
            if entries.iter().any(|(known, _)| *known == key) {
                return Err(problem(
                    key_span.start,
                    &format!("duplicate key `{key}`: a mapping may have each key once"),
                ));
            }
            let (event, span) = self.next()?;
            let mut value = self.node(event, span, depth)?;
            value.key_at = Some(position(key_span.start));
            entries.push((key, value));
        }
    }

    /// A copy of the anchored node, counted in full: aliases of aliases multiply.
    fn alias(&mut self, id: usize, span: Span) -> Result<Node, Problem> {
        self.aliases += 1;
        if self.aliases > MAX_ALIASES {
            return Err(problem(
                span.start,
                "the case uses too many aliases (`*name`)",
            ));
        }
        let node = self
            .anchors
            .get(&id)
            .cloned()
            .ok_or_else(|| problem(span.start, "an alias (`*name`) of no anchor"))?;
        self.count(size(&node), span.start)?;
        Ok(node)
    }

    fn count(&mut self, nodes: usize, at: Marker) -> Result<(), Problem> {
        self.nodes = self.nodes.saturating_add(nodes);
        if self.nodes > MAX_NODES {
            return Err(problem(
                at,
                &format!(
                    "the case has more than {MAX_NODES} values (aliases that expand into more?)"
                ),
            ));
        }
        Ok(())
    }
}

fn too_deep(depth: usize, start: Span) -> Result<(), Problem> {
    if depth > MAX_DEPTH {
        return Err(problem(
            start.start,
            &format!("the case nests more than {MAX_DEPTH} levels deep"),
        ));
    }
    Ok(())
}

/// How many nodes a tree holds.
fn size(node: &Node) -> usize {
    1 + match &node.value {
        NodeValue::Seq(items) => items.iter().map(size).sum(),
        NodeValue::Map(entries) => entries.iter().map(|(_, node)| size(node)).sum(),
        _ => 0,
    }
}

/// A collection may carry its own core tag (`!!seq`, `!!map`) and no other.
fn refuse_tag(tag: Option<(&str, &str)>, own: &str, span: &Span) -> Result<(), Problem> {
    match tag {
        None => Ok(()),
        Some((CORE_TAGS, suffix)) if suffix == own => Ok(()),
        Some((handle, suffix)) => Err(problem(
            span.tag_start.unwrap_or(span.start),
            &format!("the tag `{handle}{suffix}` is not supported in a case file"),
        )),
    }
}

/// What a plain scalar (or a tagged one) resolves to.
enum Resolved {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    /// `.inf`, `.nan`, or a float beyond `f64`: JSON cannot carry it.
    NonFinite,
}

/// A scalar's value: text unless it is plain (or tagged) and the core schema resolves it.
fn scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<(String, String)>,
    at: Marker,
) -> Result<NodeValue, Problem> {
    let wanted = match &tag {
        None if style == ScalarStyle::Plain => None,
        None => return Ok(NodeValue::String(text.to_owned())),
        Some((handle, suffix)) if handle == CORE_TAGS => Some(suffix.as_str()),
        Some((handle, suffix)) => {
            return Err(problem(
                at,
                &format!("the tag `{handle}{suffix}` is not supported in a case file"),
            ));
        }
    };
    let resolved = match wanted {
        Some("str") => return Ok(NodeValue::String(text.to_owned())),
        None => resolve_plain(text),
        Some("null") => is_null(text).then_some(Resolved::Null),
        Some("bool") => boolean(text).map(Resolved::Bool),
        Some("int") => integer(text),
        Some("float") => float(text).or_else(|| integer(text)),
        Some(other) => {
            return Err(problem(
                at,
                &format!("the tag `!!{other}` is not supported in a case file"),
            ));
        }
    };
    match (resolved, wanted) {
        (Some(Resolved::Null), _) => Ok(NodeValue::Null),
        (Some(Resolved::Bool(value)), _) => Ok(NodeValue::Bool(value)),
        (Some(Resolved::Number(number)), _) => Ok(NodeValue::Number(number)),
        (Some(Resolved::NonFinite), _) => Err(problem(
            at,
            "a number that is not finite (.nan or .inf) is not allowed",
        )),
        (None, None) => Ok(NodeValue::String(text.to_owned())),
        (None, Some(kind)) => Err(problem(at, &format!("`{text}` is not a YAML `!!{kind}`"))),
    }
}

/// A plain scalar by the core schema; `None` is text.
fn resolve_plain(text: &str) -> Option<Resolved> {
    if is_null(text) {
        return Some(Resolved::Null);
    }
    if let Some(value) = boolean(text) {
        return Some(Resolved::Bool(value));
    }
    integer(text).or_else(|| float(text))
}

fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn boolean(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`; a decimal beyond 64 bits is a float.
fn integer(text: &str) -> Option<Resolved> {
    for (prefix, radix) in [("0o", 8), ("0x", 16)] {
        if let Some(digits) = text.strip_prefix(prefix) {
            if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
                return None;
            }
            return Some(
                u64::from_str_radix(digits, radix)
                    .map_or(Resolved::NonFinite, |value| Resolved::Number(value.into())),
            );
        }
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = if text.starts_with('-') {
        text.parse::<i64>().ok().map(serde_json::Number::from)
    } else {
        unsigned.parse::<u64>().ok().map(serde_json::Number::from)
    };
    Some(number.map_or_else(|| finite(text), Resolved::Number))
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?.inf` and `.nan`.
fn float(text: &str) -> Option<Resolved> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(
        unsigned,
        ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN"
    ) {
        return Some(Resolved::NonFinite);
    }
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (unsigned, None),
    };
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty())
        }
        None => !mantissa.is_empty() && digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|exponent| {
        let exponent = exponent.strip_prefix(['-', '+']).unwrap_or(exponent);
        !exponent.is_empty() && digits(exponent)
    });
    (mantissa_ok && exponent_ok).then(|| finite(text))
}

/// A numeral as a finite JSON number, or `NonFinite`.
fn finite(text: &str) -> Resolved {
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Resolved::NonFinite, Resolved::Number)
}

fn problem(at: Marker, message: &str) -> Problem {
    Problem::new(position(at), message)
}

fn position(marker: Marker) -> Pos {
    Pos {
        line: u64::try_from(marker.line()).unwrap_or(u64::MAX),
        column: u64::try_from(marker.col() + 1).unwrap_or(u64::MAX),
    }
}

/// The parser's message without its own position (reported separately) or a trailing period.
fn scan_message(info: &str) -> String {
    let first = info.lines().next().unwrap_or("unreadable YAML").trim();
    if first.is_empty() {
        "unreadable YAML".to_owned()
    } else {
        first.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn json_of(text: &str) -> serde_json::Value {
        parse(text).map(|node| node.to_json()).unwrap_or_else(|p| {
            panic!("{text:?}: {p:?}");
        })
    }

    #[test]
    fn plain_scalars_resolve_by_the_core_schema() {
        assert_eq!(
            json_of("[~, null, NULL, true, False, 12, -7, +3, 0o17, 0x1F, 1.5, -.5, 2e3, 1.]"),
            json!([
                null, null, null, true, false, 12, -7, 3, 15, 31, 1.5, -0.5, 2000.0, 1.0
            ])
        );
        // YAML 1.1's booleans, other spellings and numerals in quotes stay text.
        assert_eq!(
            json_of("[yes, no, on, off, y, tRue, 1_000, 0b101, '12', \"true\", 12a, .5.5]"),
            json!([
                "yes", "no", "on", "off", "y", "tRue", "1_000", "0b101", "12", "true", "12a",
                ".5.5"
            ])
        );
        assert_eq!(json_of("a:\nb: ''\n"), json!({"a": null, "b": ""}));
        assert_eq!(
            json_of("18446744073709551616"),
            json!(18446744073709551616.0)
        );
        assert_eq!(json_of("code: |\n  123\n"), json!({"code": "123\n"}));
    }

    #[test]
    fn core_tags_apply_and_others_are_refused() {
        assert_eq!(
            json_of("[!!str 123, !!str true, !!int '7', !!float '2', !!bool 'false', !!null '']"),
            json!(["123", "true", 7, 2.0, false, null])
        );
        let problem = parse("a: !!int x\n").unwrap_err();
        assert_eq!(problem.message, "`x` is not a YAML `!!int`");
        let problem = parse("a: !custom 1\n").unwrap_err();
        assert!(problem.message.contains("is not supported"), "{problem:?}");
        assert_eq!(problem.at, Pos { line: 1, column: 4 });
        let problem = parse("a: !!binary aGk=\n").unwrap_err();
        assert!(problem.message.contains("not supported"), "{problem:?}");
    }

    #[test]
    fn non_finite_numbers_are_problems() {
        for text in ["a: .inf", "a: -.Inf", "a: .nan", "a: 1e999"] {
            let problem = parse(text).unwrap_err();
            assert!(
                problem.message.contains("not finite"),
                "{text}: {problem:?}"
            );
        }
    }

    #[test]
    fn aliases_copy_their_anchor_with_its_positions() {
        let node = parse("a: &x {b: 1}\nc: *x\n").unwrap();
        assert_eq!(node.to_json(), json!({"a": {"b": 1}, "c": {"b": 1}}));
        let NodeValue::Map(entries) = &node.value else {
            panic!("{node:?}")
        };
        assert_eq!(entries[1].1.at, entries[0].1.at);
        assert_eq!(entries[1].1.key_at, Some(Pos { line: 2, column: 1 }));
        assert_eq!(json_of("&k key: *k"), json!({"key": "key"}));
    }

    #[test]
    fn one_document_only_and_keys_are_text() {
        let problem = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(problem.message.contains("one YAML document"), "{problem:?}");
        assert_eq!(problem.at.line, 2);
        let problem = parse("? [a, b]\n: 1\n").unwrap_err();
        assert_eq!(problem.message, "a mapping key must be text");
        assert_eq!(
            json_of("1: one\ntrue: yes\n"),
            json!({"1": "one", "true": "yes"})
        );
        assert_eq!(json_of("---\na: 1\n...\n"), json!({"a": 1}));
    }

    #[test]
    fn too_many_aliases_are_a_problem() {
        let mut text = String::from("a: &a x\nb: [");
        text.push_str(&vec!["*a"; MAX_ALIASES + 1].join(", "));
        text.push_str("]\n");
        let problem = parse(&text).unwrap_err();
        assert_eq!(problem.message, "the case uses too many aliases (`*name`)");
    }
}
