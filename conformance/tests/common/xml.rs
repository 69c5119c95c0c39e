//! A small element tree read with quick-xml, for tests that check the structure of the JUnit
//! report and of the HTML report (which is well-formed XML on purpose).

use std::collections::BTreeMap;

use quick_xml::Reader;
use quick_xml::events::Event;

/// An element.
#[derive(Debug, Default, Clone)]
pub struct Element {
    /// Its name.
    pub name: String,
    /// Its attributes, unescaped.
    pub attributes: BTreeMap<String, String>,
    /// Its child elements.
    pub children: Vec<Element>,
    /// Its text (and its children's), unescaped.
    pub text: String,
}

impl Element {
    /// Every element below (and including) this one, depth first.
    pub fn all(&self) -> Vec<&Element> {
        let mut out = vec![self];
        for child in &self.children {
            out.extend(child.all());
        }
        out
    }

    /// Every element below with this name.
    pub fn named(&self, name: &str) -> Vec<&Element> {
        self.all().into_iter().filter(|e| e.name == name).collect()
    }

    /// An attribute.
    pub fn attr(&self, name: &str) -> &str {
        self.attributes.get(name).map_or("", String::as_str)
    }

    /// Whether its `class` has this word.
    pub fn has_class(&self, class: &str) -> bool {
        self.attr("class").split_whitespace().any(|c| c == class)
    }

    /// The check layers the HTML report marks failed inside this element (a case).
    pub fn failed_layers(&self) -> Vec<&str> {
        self.named("span")
            .into_iter()
            .filter(|s| s.has_class("layer") && s.has_class("failed"))
            .map(|s| s.text.as_str())
            .collect()
    }
}

/// Parses a document; panics (the test fails) when it is not well-formed.
pub fn parse(text: &str) -> Element {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack = vec![Element::default()];
    loop {
        let event = reader.read_event().unwrap_or_else(|error| {
            panic!("not well-formed at {}: {error}", reader.buffer_position())
        });
        match event {
            Event::Start(start) => stack.push(element_of(&start)),
            Event::Empty(start) => {
                stack.push(element_of(&start));
                close(&mut stack);
            }
            Event::End(_) => close(&mut stack),
            Event::Text(text) => push_text(&mut stack, &text.decode().expect("UTF-8 text")),
            Event::CData(data) => push_text(&mut stack, &String::from_utf8_lossy(&data)),
            Event::GeneralRef(reference) => {
                let name = reference.decode().expect("a reference");
                let text = quick_xml::escape::unescape(&format!("&{name};"))
                    .expect("a known entity")
                    .into_owned();
                push_text(&mut stack, &text);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut root = stack.pop().unwrap_or_default();
    assert_eq!(root.children.len(), 1, "one root element");
    root.children.remove(0)
}

fn element_of(start: &quick_xml::events::BytesStart<'_>) -> Element {
    let mut element = Element {
        name: String::from_utf8_lossy(start.name().as_ref()).into_owned(),
        ..Element::default()
    };
    for attribute in start.attributes() {
        let attribute = attribute.expect("a well-formed attribute");
        element.attributes.insert(
            String::from_utf8_lossy(attribute.key.as_ref()).into_owned(),
            attribute
                .unescape_value()
                .expect("an attribute value")
                .into_owned(),
        );
    }
    element
}

fn close(stack: &mut Vec<Element>) {
    let element = stack.pop().expect("an open element");
    let parent = stack.last_mut().expect("a parent");
    parent.text.push_str(&element.text);
    parent.children.push(element);
}

fn push_text(stack: &mut [Element], text: &str) {
    if let Some(top) = stack.last_mut() {
        top.text.push_str(text);
    }
}
