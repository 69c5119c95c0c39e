//! Path templates (`/api/BusinessRequest/Create/{typeId}`): matching concrete paths and
//! rendering them. Hand-written because OpenAPI templates are simpler than any router crate's
//! syntax and the two operations needed here are a few lines each.

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

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(crate) fn percent_encode_segment(text: &str) -> String {
    percent_encode(text, |byte| {
        byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
    })
}

/// Percent-encodes every byte `keep` refuses.
pub(crate) fn percent_encode(text: &str, keep: fn(u8) -> bool) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if keep(byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Decodes `%XX` escapes; a malformed escape is kept as it is.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escape = (bytes[index] == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escape {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

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
