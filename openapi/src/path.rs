//! Path templates (`/api/BusinessRequest/Create/{typeId}`): matching concrete paths and
//! rendering them. Hand-written because OpenAPI templates are simpler than any router crate's
//! syntax and the two operations needed here are a few lines each.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// One segment of a template: literal text, or text around one `{parameter}`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Parameter {
        prefix: String,
        name: String,
        suffix: String,
    },
}

/// A parsed path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathTemplate {
    segments: Vec<Segment>,
}

impl PathTemplate {
    /// Parses a template; each segment holds at most one `{parameter}`.
    pub(crate) fn parse(template: &str) -> Result<PathTemplate, String> {
        let Some(rest) = template.strip_prefix('/') else {
            return Err(format!("path `{template}` does not start with `/`"));
        };
        let segments = rest
            .split('/')
            .map(|segment| {
                let Some(open) = segment.find('{') else {
                    if segment.contains('}') {
                        return Err(format!("unbalanced `}}` in path `{template}`"));
                    }
                    return Ok(Segment::Literal(segment.to_owned()));
                };
                let close = segment[open..]
                    .find('}')
                    .map(|offset| open + offset)
                    .ok_or_else(|| format!("unbalanced `{{` in path `{template}`"))?;
                let name = &segment[open + 1..close];
                let suffix = &segment[close + 1..];
                if name.is_empty() || suffix.contains(['{', '}']) {
                    return Err(format!(
                        "segment `{segment}` of path `{template}` is not `prefix{{name}}suffix`"
                    ));
                }
                Ok(Segment::Parameter {
                    prefix: segment[..open].to_owned(),
                    name: name.to_owned(),
                    suffix: suffix.to_owned(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PathTemplate { segments })
    }

    /// The parameter names, in order.
    pub(crate) fn parameter_names(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Parameter { name, .. } => Some(name.as_str()),
            Segment::Literal(_) => None,
        })
    }

    /// How many segments are plain text (the more, the more specific the template).
    pub(crate) fn literal_segments(&self) -> usize {
        self.segments
            .iter()
            .filter(|segment| matches!(segment, Segment::Literal(_)))
            .count()
    }

    /// The parameters of `path` (percent-decoded) when it matches.
    pub(crate) fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let rest = path.strip_prefix('/')?;
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut parameters = Vec::new();
        for (segment, part) in self.segments.iter().zip(parts) {
            match segment {
                Segment::Literal(text) => {
                    if text != part {
                        return None;
                    }
                }
                Segment::Parameter {
                    prefix,
                    name,
                    suffix,
                } => {
                    let value = part.strip_prefix(prefix.as_str())?;
                    let value = value.strip_suffix(suffix.as_str())?;
                    if value.is_empty() {
                        return None;
                    }
                    parameters.push((name.clone(), percent_decode(value)));
                }
            }
        }
        Some(parameters)
    }

    /// The concrete path; the error names the first parameter `value` has nothing for.
    pub(crate) fn render<'v>(
        &self,
        value: impl Fn(&str) -> Option<&'v str>,
    ) -> Result<String, String> {
        let mut path = String::new();
        for segment in &self.segments {
            path.push('/');
            match segment {
                Segment::Literal(text) => path.push_str(text),
                Segment::Parameter {
                    prefix,
                    name,
                    suffix,
                } => {
                    let given = value(name).ok_or_else(|| name.clone())?;
                    path.push_str(prefix);
                    path.push_str(&percent_encode_segment(given));
                    path.push_str(suffix);
                }
            }
        }
        Ok(path)
    }
}

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`).
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What a URI fragment may hold unescaped besides unreserved characters (RFC 3986's
/// sub-delims, `:`, `@` and `/`), for JSON pointers in `$ref` fragments.
pub(crate) const NOT_FRAGMENT: &AsciiSet = &NOT_UNRESERVED
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@')
    .remove(b'/');

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(crate) fn percent_encode_segment(text: &str) -> String {
    utf8_percent_encode(text, NOT_UNRESERVED).to_string()
}

/// Decodes `%XX` escapes; a malformed escape is kept as it is, and invalid UTF-8 is replaced.
pub fn percent_decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_escapes_round_trip_and_malformed_ones_stay() {
        assert_eq!(percent_encode_segment("a b/ü~"), "a%20b%2F%C3%BC~");
        assert_eq!(percent_decode("a%20b%2F%C3%BC~"), "a b/ü~");
        assert_eq!(percent_decode("100%zz%4"), "100%zz%4");
    }

    #[test]
    fn matches_and_captures_parameters() {
        let template = PathTemplate::parse("/api/BusinessRequest/Create/{typeId}").unwrap();
        assert_eq!(
            template.matches("/api/BusinessRequest/Create/414"),
            Some(vec![("typeId".to_owned(), "414".to_owned())])
        );
        assert_eq!(template.matches("/api/BusinessRequest/Create"), None);
        assert_eq!(template.matches("/api/BusinessRequest/Create/"), None);
        assert_eq!(template.matches("/api/BusinessRequest/Create/1/2"), None);
    }

    #[test]
    fn prefix_and_suffix_around_a_parameter() {
        let template = PathTemplate::parse("/files/{id}.pdf").unwrap();
        assert_eq!(
            template.matches("/files/a%20b.pdf"),
            Some(vec![("id".to_owned(), "a b".to_owned())])
        );
        assert_eq!(template.matches("/files/a.txt"), None);
    }

    #[test]
    fn renders_with_encoding_and_names_a_missing_parameter() {
        let template = PathTemplate::parse("/r/{id}/status").unwrap();
        assert_eq!(
            template.render(|_| Some("a/b c")),
            Ok("/r/a%2Fb%20c/status".to_owned())
        );
        assert_eq!(template.render(|_| None), Err("id".to_owned()));
    }

    #[test]
    fn rejects_malformed_templates() {
        assert!(PathTemplate::parse("no-slash").is_err());
        assert!(PathTemplate::parse("/a/{open").is_err());
        assert!(PathTemplate::parse("/a/{}").is_err());
        assert!(PathTemplate::parse("/a/{x}{y}").is_err());
    }
}
