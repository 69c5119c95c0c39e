//! Snapshots of raw replies, with everything that changes between runs (or is secret)
//! replaced by a placeholder, checked with insta under `conformance/snapshots/<target>/`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use insta::TextSnapshotKind;
use insta::internals::TextSnapshotContents;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::redact::{Secrets, is_secret_key, replace_security_hash_params};

/// Value patterns replaced inside every string, in order.
static PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (
            r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*",
            "[token]",
        ),
        (
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            "[uuid]",
        ),
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
            "[timestamp]",
        ),
        (r"REQ-[0-9A-Za-z-]+", "[request-number]"),
        (r"\b[0-9a-fA-F]{40,64}\b", "[hash]"),
        (r"\+20\d{9,10}", "[phone]"),
        (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", "[email]"),
        (r"^[A-Za-z0-9+/]{120,}={0,2}$", "[base64]"),
    ]
    .into_iter()
    .filter_map(|(pattern, replacement)| Some((Regex::new(pattern).ok()?, replacement)))
    .collect()
});

/// Members whose values are per-run identities, replaced whatever their type.
const VOLATILE_KEYS: &[(&str, &str)] = &[
    ("userId", "[user-id]"),
    ("tenantId", "[tenant-id]"),
    ("idNumber", "[id-number]"),
    ("imei", "[imei]"),
    ("tenancyName", "[tenancy-name]"),
];

/// Makes a reply stable and secret-free for a snapshot.
pub fn normalize(value: &Value, base_url: &str, secrets: &Secrets) -> Value {
    normalize_at(value, None, None, base_url, secrets)
}

fn normalize_at(
    value: &Value,
    key: Option<&str>,
    parent_key: Option<&str>,
    base_url: &str,
    secrets: &Secrets,
) -> Value {
    if let Some(key) = key {
        if is_secret_key(key) && !value.is_null() {
            return Value::String("[secret]".to_owned());
        }
        if let Some((_, placeholder)) = VOLATILE_KEYS.iter().find(|(known, _)| *known == key)
            && !value.is_null()
        {
            return Value::String((*placeholder).to_owned());
        }
        // A user's numeric id (`user.id`, `customerSigner.id`) changes from run to run.
        let in_user = parent_key.is_some_and(|parent| {
            let parent = parent.to_ascii_lowercase();
            parent.contains("user") || parent.contains("signer")
        });
        if key == "id" && in_user && value.is_number() {
            return Value::String("[user-id]".to_owned());
        }
    }
    match value {
        Value::String(text) => Value::String(normalize_text(text, base_url, secrets)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| normalize_at(item, None, key, base_url, secrets))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(member, item)| {
                    (
                        member.clone(),
                        normalize_at(item, Some(member), key, base_url, secrets),
                    )
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Normalizes free text (an HTML page, a string member).
pub fn normalize_text(text: &str, base_url: &str, secrets: &Secrets) -> String {
    // A link's SecurityHash, whatever its shape, is the stable `[hash]` (before the secrets'
    // own `[REDACTED security-hash]`, which would hide that it is a query parameter's value).
    let mut out = secrets.redact(&replace_security_hash_params(text, "[hash]"));
    if !base_url.is_empty() {
        out = out.replace(base_url, "[base-url]");
    }
    for (pattern, replacement) in PATTERNS.iter() {
        out = pattern.replace_all(&out, *replacement).into_owned();
    }
    out
}

/// Where a target's snapshots live.
#[derive(Debug, Clone)]
pub struct SnapshotStore {
    /// `conformance/snapshots/<target>`.
    pub dir: PathBuf,
}

/// How a reply compared with its stored snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SnapshotVerdict {
    /// The stored snapshot matches.
    Matched,
    /// There was none, or it differed, and insta recorded this reply (`INSTA_UPDATE=always`).
    Recorded,
    /// There is none for this target yet.
    New,
    /// The stored snapshot differs.
    Changed,
}

impl SnapshotVerdict {
    /// Whether the step fails on it.
    pub fn fails(self) -> bool {
        matches!(self, SnapshotVerdict::New | SnapshotVerdict::Changed)
    }
}

/// What a snapshot check found, as data: failure messages and reports word it.
#[derive(Debug, Clone)]
pub struct SnapshotOutcome {
    /// The snapshot's name.
    pub name: String,
    /// The target's snapshot directory name (`sandbox`).
    pub target: String,
    /// The stored file.
    pub file: PathBuf,
    /// How it compared.
    pub verdict: SnapshotVerdict,
    /// A unified diff, stored snapshot to this reply, when it changed. Both sides are
    /// normalized, so secrets are already placeholders.
    pub diff: Option<String>,
    /// Why insta could not check it (a bad `INSTA_UPDATE`, an unwritable directory).
    pub error: Option<String>,
}

impl SnapshotStore {
    /// The target's name: the directory's own name.
    pub fn target(&self) -> String {
        self.dir
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// Compares `content` with the stored snapshot `name`. A match is decided here, with
    /// insta's own comparison, so that a passing step costs no insta assertion; anything else
    /// goes through insta, whose policy (`INSTA_UPDATE`, `CI`) decides whether the snapshot
    /// is written, a `NAME.snap.new` is left for `cargo insta review`, or nothing is written.
    /// A `NAME.snap.new` beside a snapshot that matches (or was just recorded) is stale and
    /// removed.
    pub fn check(
        &self,
        name: &str,
        case_file: &Path,
        description: &str,
        content: &str,
    ) -> SnapshotOutcome {
        let file = self.dir.join(format!("{name}.snap"));
        let pending = self.dir.join(format!("{name}.snap.new"));
        let fresh = TextSnapshotContents::new(content.to_owned(), TextSnapshotKind::File);
        let stored = || {
            insta::Snapshot::from_file(&file)
                .ok()
                .and_then(|snapshot| snapshot.as_text().map(ToString::to_string))
        };
        let before = stored();
        let matches = |text: &Option<String>| {
            text.as_ref().is_some_and(|text| {
                TextSnapshotContents::new(text.clone(), TextSnapshotKind::File)
                    .matches_latest(&fresh)
            })
        };
        let mut outcome = SnapshotOutcome {
            name: name.to_owned(),
            target: self.target(),
            file: file.clone(),
            verdict: SnapshotVerdict::Matched,
            diff: None,
            error: None,
        };
        if !matches(&before) {
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path(&self.dir);
            settings.set_prepend_module_to_snapshot(false);
            settings.set_omit_expression(true);
            settings.set_input_file(case_file);
            settings.set_description(description);
            let asserted = catch_unwind(AssertUnwindSafe(|| {
                settings.bind(|| insta::assert_snapshot!(name, content));
            }));
            outcome.verdict = match (asserted, &before) {
                // insta let it pass: recorded in place (or INSTA_FORCE_PASS).
                (Ok(()), _) if matches(&stored()) => SnapshotVerdict::Recorded,
                (Ok(()), _) => SnapshotVerdict::Matched,
                (Err(payload), _) if !is_snapshot_failure(&payload) => {
                    outcome.error = Some(panic_text(&payload));
                    if before.is_some() {
                        SnapshotVerdict::Changed
                    } else {
                        SnapshotVerdict::New
                    }
                }
                (Err(_), None) => SnapshotVerdict::New,
                (Err(_), Some(_)) => SnapshotVerdict::Changed,
            };
            if let (SnapshotVerdict::Changed, Some(before)) = (outcome.verdict, &before) {
                outcome.diff = Some(unified_diff(before, &fresh.to_string()));
            }
        }
        if !outcome.verdict.fails() && pending.exists() {
            let _ = std::fs::remove_file(&pending);
        }
        outcome
    }
}

/// Whether insta panicked because the snapshot did not match (its usual way of failing).
fn is_snapshot_failure(payload: &Box<dyn std::any::Any + Send>) -> bool {
    crate::panics::message(&**payload).is_some_and(is_snapshot_assertion)
}

/// Whether a panic's message is insta's failed snapshot assertion.
pub(crate) fn is_snapshot_assertion(message: &str) -> bool {
    message.starts_with("snapshot assertion for")
}

fn panic_text(payload: &Box<dyn std::any::Any + Send>) -> String {
    crate::panics::message(&**payload)
        .unwrap_or("snapshot assertion failed")
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The stored snapshot against this reply, as a unified diff with three lines of context.
pub fn unified_diff(stored: &str, fresh: &str) -> String {
    similar::TextDiff::from_lines(stored, fresh)
        .unified_diff()
        .context_radius(3)
        .header("stored", "this run")
        .to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn volatile_and_secret_values_become_placeholders() {
        let secrets = Secrets::default();
        secrets.add("sandbox-api-key", "api-key");
        let reply = json!({
            "data": {
                "id": "81f404b3-d7dc-4f08-b4fe-934853c86282",
                "requestNumber": "REQ-2025-00017",
                "creationTime": "2025-01-15T10:30:00.123Z",
                "accessToken": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc",
                "user": {"id": 42, "phoneNumber": "+201012345678", "emailAddress": "a@example.com"},
                "link": "http://127.0.0.1:5555/sign?RequestId=81f404b3-d7dc-4f08-b4fe-934853c86282&SecurityHash=0123456789abcdef0123456789abcdef01234567",
                "typeId": 414,
                "note": "key sandbox-api-key"
            },
            "error_code": null
        });
        let normalized = normalize(&reply, "http://127.0.0.1:5555", &secrets);
        assert_eq!(
            normalized,
            json!({
                "data": {
                    "id": "[uuid]",
                    "requestNumber": "[request-number]",
                    "creationTime": "[timestamp]",
                    "accessToken": "[secret]",
                    "user": {"id": "[user-id]", "phoneNumber": "[phone]", "emailAddress": "[email]"},
                    "link": "[base-url]/sign?RequestId=[uuid]&SecurityHash=[hash]",
                    "typeId": 414,
                    "note": "key [REDACTED api-key]"
                },
                "error_code": null
            })
        );
    }

    #[test]
    fn security_hashes_of_any_shape_never_reach_a_snapshot() {
        let secrets = Secrets::default();
        // A hash that is not 40-64 hex digits (another server's format), in a link, in a
        // member named so, and bare once the link was seen.
        let link = "http://h/sign?SecurityHash=Zm9v-YmFy_opaque&RequestId=x";
        secrets.add_from_json(&json!({ "data": link }));
        let reply = json!({
            "data": link,
            "securityHash": "Zm9v-YmFy_opaque",
            "note": "hash Zm9v-YmFy_opaque"
        });
        let normalized = normalize(&reply, "http://h", &secrets);
        assert_eq!(
            normalized,
            json!({
                "data": "[base-url]/sign?SecurityHash=[hash]&RequestId=x",
                "securityHash": "[secret]",
                "note": "hash [REDACTED security-hash]"
            })
        );
    }
}
