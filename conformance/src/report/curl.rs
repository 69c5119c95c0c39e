//! A `curl` command that resends a request: every redacted secret becomes a reference to an
//! environment variable (`[REDACTED api-key]` → `"$VLENS_API_KEY"`), never its value, so the
//! command can be pasted into a ticket and run by whoever holds the secrets.

use std::sync::LazyLock;

use regex::Regex;

use crate::record::ShownRequest;

/// `[REDACTED label]`, as [`crate::redact::Secrets::redact`] writes it.
static REDACTED: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\[REDACTED ([a-z-]+)\]").ok());

/// The environment variable a redacted secret of this label is read from
/// (`api-key` → `VLENS_API_KEY`).
pub fn variable_for(label: &str) -> String {
    format!("VLENS_{}", label.to_ascii_uppercase().replace('-', "_"))
}

/// The command, and the variables it reads (in order of first use).
pub fn command(request: &ShownRequest) -> (String, Vec<String>) {
    let mut variables = Vec::new();
    let mut words = vec!["curl".to_owned()];
    if request.method != "GET" {
        words.push("-X".to_owned());
        words.push(request.method.clone());
    }
    words.push(word(&request.url, &mut variables));
    for header in &request.headers {
        words.push("-H".to_owned());
        words.push(word(
            &format!("{}: {}", header.name, header.value),
            &mut variables,
        ));
    }
    if let Some(body) = &request.body {
        let text = match (&body.json, &body.text) {
            (Some(json), _) => json.to_string(),
            (None, Some(text)) => text.clone(),
            (None, None) => String::new(),
        };
        words.push("--data-raw".to_owned());
        words.push(word(&text, &mut variables));
    }
    (words.join(" "), variables)
}

/// One shell word: literal text single-quoted, each redacted secret a double-quoted variable
/// reference, side by side (`'ApiKey: '"$VLENS_API_KEY"`), so nothing in the text is expanded
/// by the shell but the secrets.
fn word(text: &str, variables: &mut Vec<String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    if let Some(pattern) = REDACTED.as_ref() {
        while let Some(found) = pattern.captures(rest) {
            let (Some(whole), Some(label)) = (found.get(0), found.get(1)) else {
                break;
            };
            out.push_str(&quoted(&rest[..whole.start()]));
            let variable = variable_for(label.as_str());
            out.push_str(&format!("\"${variable}\""));
            if !variables.contains(&variable) {
                variables.push(variable);
            }
            rest = &rest[whole.end()..];
        }
    }
    out.push_str(&quoted(rest));
    if out.is_empty() {
        out.push_str("''");
    }
    out
}

fn quoted(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let plain = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,%+".contains(&b));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::record::{Header, ShownBody};

    #[test]
    fn secrets_become_variable_references_and_text_stays_literal() {
        let request = ShownRequest {
            method: "POST".to_owned(),
            url: "http://127.0.0.1:5/api/x?q=it's".to_owned(),
            headers: vec![
                Header {
                    name: "ApiKey".to_owned(),
                    value: "[REDACTED api-key]".to_owned(),
                },
                Header {
                    name: "Authorization".to_owned(),
                    value: "Bearer [REDACTED token]".to_owned(),
                },
            ],
            body: Some(ShownBody {
                bytes: 10,
                json: Some(json!({"password": "[REDACTED password]", "n": "$HOME"})),
                text: None,
                abbreviated: false,
            }),
        };
        let (command, variables) = command(&request);
        assert_eq!(
            variables,
            ["VLENS_API_KEY", "VLENS_TOKEN", "VLENS_PASSWORD"]
        );
        assert!(
            command.starts_with("curl -X POST 'http://127.0.0.1:5/api/x?q=it'\\''s'"),
            "{command}"
        );
        assert!(
            command.contains(r#"-H 'ApiKey: '"$VLENS_API_KEY""#),
            "{command}"
        );
        assert!(
            command.contains(r#"-H 'Authorization: Bearer '"$VLENS_TOKEN""#),
            "{command}"
        );
        assert!(
            command.contains(r#"'{"n":"$HOME","password":"'"$VLENS_PASSWORD"'"}'"#),
            "{command}"
        );
        assert!(!command.contains("REDACTED"), "{command}");
    }
}
