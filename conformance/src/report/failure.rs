//! How a failing step is shown: each layer's findings with pointer and value, then the reply —
//! every secret redacted.

use std::fmt::Write as _;

use crate::http::Reply;
use crate::redact::Secrets;
use crate::verify::Finding;

/// The most characters of a reply a failure shows.
const SHOWN_REPLY_LIMIT: usize = 1500;

/// `{title} failed:` and the findings and the reply, redacted.
pub fn describe(secrets: &Secrets, title: &str, findings: &[Finding], reply: &Reply) -> String {
    let mut out = format!("{title} failed:\n");
    for finding in findings {
        let at = if finding.pointer.is_empty() {
            "(root)"
        } else {
            &finding.pointer
        };
        let _ = writeln!(out, "  [{}] at `{at}`: {}", finding.layer, finding.message);
        if let Some(value) = &finding.value {
            let _ = writeln!(
                out,
                "      value: {}",
                truncate(&secrets.redact_json(value), 300)
            );
        }
    }
    let shown = match &reply.json {
        Some(json) => secrets.redact_json(json),
        None if reply.body.starts_with(b"%PDF-") => format!("<PDF, {} bytes>", reply.body.len()),
        None => secrets.redact(&String::from_utf8_lossy(&reply.body)),
    };
    let _ = writeln!(
        out,
        "  reply: HTTP {} {}: {}",
        reply.status,
        reply.content_type.as_deref().unwrap_or("(no content type)"),
        truncate(&shown, SHOWN_REPLY_LIMIT)
    );
    out
}

fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let cut: String = text.chars().take(limit).collect();
    format!("{cut}… ({} characters in all)", text.chars().count())
}
