//! Keeping secrets (ApiKeys, passwords, tokens, OTP codes) out of every message.
//!
//! Three layers: values the harness knows are secret (keys, passwords, tokens it was given or
//! captured, OTP codes, the SecurityHash of every signing link it met) are replaced wherever
//! they appear in text; JSON members whose names say they hold a secret are replaced before JSON
//! is shown; and anything shaped like a JWT, and the value of a `SecurityHash=` query parameter,
//! are replaced in any text, so a token or link the harness never saw still does not leak.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use regex::Regex;
use serde_json::Value;

/// The names of the members that hold a secret: every property the specs mark
/// `x-vlens-secret` (passwords, OTP codes, tokens, ApiKeys — the spec decides), lower-cased.
/// `data` is left out: an envelope whose whole `data` is a secret (an invitation token) is
/// registered by the runner from its operation, not by a name every reply has.
static SECRET_NAMES: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    let mut names: BTreeSet<String> = [vlens_openapi::vlens(), vlens_openapi::sandbox_control()]
        .iter()
        .flat_map(|spec| spec.secret_pointers())
        .filter_map(|pointer| property_name(pointer))
        .map(|name| name.to_ascii_lowercase())
        .collect();
    names.remove("data");
    names
});

/// The property a secret pointer names (`.../properties/accessToken` is `accessToken`).
fn property_name(pointer: &str) -> Option<&str> {
    let (parent, name) = pointer.rsplit_once('/')?;
    parent.ends_with("/properties").then_some(name)
}

/// The operations whose whole `data` is a secret (`x-vlens-secret` on their reply's `data`):
/// a session or invitation token, a link that carries a SecurityHash.
static SECRET_DATA_OPERATIONS: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    let spec = vlens_openapi::vlens();
    let secret_data: Vec<&str> = spec
        .secret_pointers()
        .iter()
        .filter(|pointer| pointer.ends_with("/properties/data"))
        .filter_map(|pointer| pointer.strip_prefix("/components/schemas/"))
        .filter_map(|rest| rest.split('/').next())
        .collect();
    spec.operations()
        .iter()
        .filter(|op| {
            op.response_for_status(200)
                .and_then(|response| response.schema_name())
                .is_some_and(|name| secret_data.contains(&name))
        })
        .map(|op| op.id.clone())
        .collect()
});

/// Whether operation `id`'s whole `data` is a secret.
pub fn is_secret_data(id: &str) -> bool {
    SECRET_DATA_OPERATIONS.contains(id)
}

/// Whether a JSON member of this name holds a secret (the specs' `x-vlens-secret` names, and
/// `SecurityHash`, which travels as a query parameter).
pub fn is_secret_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    lower == "securityhash" || SECRET_NAMES.contains(&lower)
}

/// Whether the last token of a JSON pointer names a secret.
pub fn is_secret_pointer(pointer: &str) -> bool {
    pointer.rsplit('/').next().is_some_and(is_secret_key)
}

/// Whether `value`, found at a member called `key`, has the shape of that kind of secret: an
/// OTP is 4 to 10 digits, a token is long, anything else at least 8 characters and not a plain
/// word. A validation error's `"code": "required"` is not a secret, and registering it would
/// garble every message that says "required".
pub fn has_secret_shape(key: &str, value: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    if lower.contains("otp") || lower == "code" {
        (4..=10).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit())
    } else if lower.contains("token") {
        value.len() >= 16
    } else if lower.contains("password") {
        value.len() >= 6
    } else {
        value.len() >= 8 && !value.bytes().all(|b| b.is_ascii_lowercase())
    }
}

/// Whether a member holds a secret: a secret's name and a secret's shape.
pub fn is_secret_member(key: &str, value: &Value) -> bool {
    is_secret_key(key)
        && value
            .as_str()
            .is_some_and(|text| has_secret_shape(key, text))
}

static JWT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*").ok());

/// `SecurityHash=<value>` in a URL (any case, `=` possibly percent-encoded): group 1 is the
/// name and `=`, group 2 the value. A value starting with `[` is already a placeholder.
static SECURITY_HASH_PARAM: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(?i)(securityhash(?:=|%3d))([^\[&#\s"'<>\\][^&#\s"'<>\\]*)"#).ok()
});

/// The text with the value of every `SecurityHash=` query parameter replaced by `placeholder`.
pub fn replace_security_hash_params(text: &str, placeholder: &str) -> String {
    match SECURITY_HASH_PARAM.as_ref() {
        Some(pattern) => pattern
            .replace_all(text, |captures: &regex::Captures<'_>| {
                format!("{}{placeholder}", &captures[1])
            })
            .into_owned(),
        None => text.to_owned(),
    }
}

/// A URL as messages show it: everything up to the query, then only the names of its
/// parameters (a signing link's SecurityHash is a secret).
pub fn url_for_display(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let names: Vec<String> = query
        .split(['&', '#'])
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let name = pair.split_once('=').map_or(pair, |(name, _)| name);
            format!("{name}=[…]")
        })
        .collect();
    format!("{base}?{}", names.join("&"))
}

/// The secret values one case (and the target) uses, shared by everything that prints.
#[derive(Clone, Default)]
pub struct Secrets {
    values: Arc<Mutex<Vec<Known>>>,
}

/// A registered secret with the forms it may take in text, computed once: reports redact
/// every request and reply of a run, thousands of texts.
#[derive(Clone)]
struct Known {
    value: String,
    label: &'static str,
    forms: Vec<String>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self
            .values
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        write!(f, "Secrets({count} redacted values)")
    }
}

impl Secrets {
    /// Registers a secret value with a label (`api-key`, `token`, `otp`, `password`).
    /// Very short values are ignored: replacing every `1` would make text unreadable and
    /// protects nothing.
    pub fn add(&self, value: &str, label: &'static str) {
        if value.len() < 4 {
            return;
        }
        let mut values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        if !values.iter().any(|known| known.value == value) {
            values.push(Known {
                value: value.to_owned(),
                label,
                forms: encodings(value),
            });
            // Longest first, so that a secret containing another is replaced whole.
            values.sort_by_key(|known| std::cmp::Reverse(known.value.len()));
        }
    }

    /// Registers every member of a JSON value that holds a secret (its name and its shape say
    /// so), and the SecurityHash of every URL in its strings (so that the bare hash is
    /// redacted too, wherever it appears).
    pub fn add_from_json(&self, value: &Value) {
        walk_members(value, &mut |key, member| {
            if is_secret_member(key, member)
                && let Some(text) = member.as_str()
            {
                self.add(text, label_for(key));
            }
        });
        walk_strings(value, &mut |text| self.add_security_hashes(text));
    }

    /// Registers the value of every `SecurityHash=` query parameter of a text.
    pub fn add_security_hashes(&self, text: &str) {
        let Some(pattern) = SECURITY_HASH_PARAM.as_ref() else {
            return;
        };
        for captures in pattern.captures_iter(text) {
            self.add(&captures[2], "security-hash");
        }
    }

    /// An independent copy: what a case adds does not reach the target's shared set.
    pub fn clone_for_case(&self) -> Secrets {
        let values = self
            .values
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        Secrets {
            values: Arc::new(Mutex::new(values)),
        }
    }

    /// A snapshot of the registered values (for tests proving they never leak).
    pub fn values(&self) -> Vec<(String, &'static str)> {
        self.values
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|known| (known.value.clone(), known.label))
            .collect()
    }

    /// The text with every known secret — as it is, JSON-escaped or percent-encoded — and
    /// every JWT-shaped string replaced.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for known in self
            .values
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            for form in &known.forms {
                if out.contains(form.as_str()) {
                    out = out.replace(form.as_str(), &format!("[REDACTED {}]", known.label));
                }
            }
        }
        if let Some(jwt) = JWT.as_ref() {
            out = jwt.replace_all(&out, "[REDACTED token]").into_owned();
        }
        replace_security_hash_params(&out, "[REDACTED security-hash]")
    }

    /// JSON for display: secret-named members replaced, then the text redacted.
    pub fn redact_json(&self, value: &Value) -> String {
        let mut copy = value.clone();
        mask_secret_members(&mut copy);
        self.redact(&copy.to_string())
    }
}

/// A secret as it may appear in text: itself, JSON-escaped (inside a JSON string), and
/// percent-encoded (in a URL or a form), longest first.
fn encodings(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_owned()];
    let json = serde_json::to_string(value).unwrap_or_default();
    let escaped = json
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(value);
    let encoded = percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    for form in [
        escaped.to_owned(),
        encoded.clone(),
        encoded.replace("%20", "+"),
    ] {
        if !forms.contains(&form) {
            forms.push(form);
        }
    }
    forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
    forms
}

fn label_for(key: &str) -> &'static str {
    let lower = key.to_ascii_lowercase();
    if lower.contains("token") {
        "token"
    } else if lower.contains("password") {
        "password"
    } else if lower.contains("apikey") {
        "api-key"
    } else if lower.contains("hash") {
        "security-hash"
    } else {
        "otp"
    }
}

/// Replaces the values of members that hold a secret with `"[REDACTED <label>]"`.
pub fn mask_secret_members(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, member) in map.iter_mut() {
                if is_secret_member(key, member) {
                    *member = Value::String(format!("[REDACTED {}]", label_for(key)));
                } else {
                    mask_secret_members(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_secret_members),
        _ => {}
    }
}

fn walk_strings(value: &Value, visit: &mut impl FnMut(&str)) {
    match value {
        Value::String(text) => visit(text),
        Value::Object(map) => map.values().for_each(|member| walk_strings(member, visit)),
        Value::Array(items) => items.iter().for_each(|item| walk_strings(item, visit)),
        _ => {}
    }
}

fn walk_members(value: &Value, visit: &mut impl FnMut(&str, &Value)) {
    match value {
        Value::Object(map) => {
            for (key, member) in map {
                visit(key, member);
                walk_members(member, visit);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| walk_members(item, visit)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn known_values_members_and_jwts_are_redacted() {
        let secrets = Secrets::default();
        secrets.add("sandbox-api-key", "api-key");
        secrets.add_from_json(
            &json!({"data": {"code": "123456", "accessToken": "abc.def.opaque-token-value"}}),
        );
        let text = "key sandbox-api-key code 123456 jwt eyJhbGciOi.eyJzdWIiOi.sig";
        let redacted = secrets.redact(text);
        assert!(!redacted.contains("sandbox-api-key"));
        assert!(!redacted.contains("123456"));
        assert!(!redacted.contains("eyJ"));
        assert!(redacted.contains("[REDACTED api-key]"));
        let shown = secrets.redact_json(&json!({"refreshToken": "r-secret-refresh-value", "n": 1}));
        assert!(!shown.contains("r-secret-refresh-value"), "{shown}");
        assert!(format!("{secrets:?}").contains("3 redacted"));
    }

    #[test]
    fn secrets_are_found_json_escaped_and_percent_encoded() {
        let secrets = Secrets::default();
        secrets.add(r#"Canary"Key\Secret-42"#, "api-key");
        secrets.add("pass word&more=1", "password");
        for text in [
            r#"{"key":"Canary\"Key\\Secret-42"}"#.to_owned(),
            "u?k=Canary%22Key%5CSecret%2D42".to_owned(),
            "form: pass+word%26more%3D1".to_owned(),
            "u?p=pass%20word%26more%3D1".to_owned(),
        ] {
            let shown = secrets.redact(&text);
            assert!(
                !shown.contains("Canary") && !shown.contains("more"),
                "{text} -> {shown}"
            );
            assert!(shown.contains("[REDACTED"), "{text} -> {shown}");
        }
    }

    #[test]
    fn only_values_shaped_like_secrets_are_registered() {
        let secrets = Secrets::default();
        // What a validating proxy answers: a "code" that is a word, not an OTP.
        secrets.add_from_json(&json!({"validation": [{"code": "required", "field": "x"}]}));
        secrets.add_from_json(
            &json!({"data": {"code": "OK", "otpCode": "12", "accessToken": "short"}}),
        );
        assert!(secrets.values().is_empty(), "{:?}", secrets.values());
        let message = "\"error_code\" is a required property";
        assert_eq!(secrets.redact(message), message);
        let shown = secrets.redact_json(&json!({"validation": [{"code": "required"}]}));
        assert!(shown.contains("required"), "{shown}");
        // The real things still are.
        secrets.add_from_json(
            &json!({"data": {"code": "482913", "phoneNumberOtp": "0042", "password": "Pw-1234"}}),
        );
        let values: Vec<String> = secrets.values().into_iter().map(|(v, _)| v).collect();
        for expected in ["482913", "0042", "Pw-1234"] {
            assert!(
                values.iter().any(|v| v == expected),
                "{expected}: {values:?}"
            );
        }
    }

    #[test]
    fn security_hashes_are_redacted_in_urls_members_and_anywhere_once_seen() {
        let hash = "0123456789abcdef0123456789abcdef01234567";
        let link = format!("http://h/sign?RequestId=r&SecurityHash={hash}&x=1");
        let secrets = Secrets::default();
        // Never seen: the query parameter is still redacted, whatever its case or shape.
        for text in [
            link.clone(),
            format!("securityhash={hash}"),
            "u?SECURITYHASH=a+b/c=".to_owned(),
            format!("next%3Fa%3D1%26SecurityHash%3D{hash}"),
        ] {
            let shown = secrets.redact(&text);
            assert!(!shown.contains(hash) && !shown.contains("a+b/c"), "{shown}");
            assert!(shown.contains("[REDACTED security-hash]"), "{shown}");
        }
        assert!(
            secrets
                .redact(&link)
                .ends_with("[REDACTED security-hash]&x=1")
        );
        // A member named so is masked.
        assert!(is_secret_key("securityHash") && is_secret_key("SECURITYHASH"));
        let shown = secrets.redact_json(&json!({"SecurityHash": "opaque-value"}));
        assert!(!shown.contains("opaque-value"), "{shown}");
        // Once seen in a reply, the bare hash is redacted anywhere.
        secrets.add_from_json(&json!({"data": [link]}));
        let shown = secrets.redact(&format!("expected {hash}"));
        assert_eq!(shown, "expected [REDACTED security-hash]");
        assert_eq!(
            url_for_display(&link),
            "http://h/sign?RequestId=[…]&SecurityHash=[…]&x=[…]"
        );
    }

    #[test]
    fn operations_whose_data_is_a_secret_are_known_from_the_spec() {
        for id in [
            "create-invitation",
            "create-auth-session",
            "generate-sign-contract-link",
        ] {
            assert!(is_secret_data(id), "{id}");
        }
        assert!(!is_secret_data("check-eligibility"));
    }

    #[test]
    fn secret_pointers() {
        assert!(is_secret_pointer("/data/accessToken"));
        assert!(is_secret_pointer("/data/code"));
        assert!(!is_secret_pointer("/data/otpRequestId"));
    }
}
