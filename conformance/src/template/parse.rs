//! The expression parser of templates (the grammar is in [`super`]'s documentation). Small
//! enough that a hand-written parser is shorter and gives better messages than pulling in an
//! expression crate.

use super::{Expr, FUNCTIONS, Segment, TemplateError, error, functions};

/// How deep calls may nest (`f(g(h(x)))` is 3): far beyond any real case, and shallow enough
/// that neither parsing nor evaluating can exhaust the stack.
pub const MAX_NESTING: usize = 32;

pub(super) struct Parser<'s> {
    source: &'s str,
    position: usize,
    depth: usize,
}

impl<'s> Parser<'s> {
    pub(super) fn new(source: &'s str) -> Parser<'s> {
        Parser {
            source,
            position: 0,
            depth: 0,
        }
    }

    pub(super) fn parse_all(mut self) -> Result<Expr, TemplateError> {
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
        if !unit.is_empty() && !functions::UNITS.contains(&unit.as_str()) {
            return Err(error(format!(
                "unknown unit `{unit}` (known: {})",
                functions::UNITS.join(", ")
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
            self.depth += 1;
            if self.depth > MAX_NESTING {
                return Err(error(format!("calls nest more than {MAX_NESTING} deep")));
            }
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
            self.depth -= 1;
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
