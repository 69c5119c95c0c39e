//! Drift between targets: two targets' snapshot directories compared snapshot by snapshot —
//! statuses, fields present in one only, values of different types or values, error codes and
//! messages — and, for each difference, which side the spec agrees with (the stored JSON
//! validated against the operation's response schema, placeholders aside; error codes and
//! messages against the spec's table). `vlens-conformance diff A B` prints it; the JSON and
//! HTML reports carry it when a second target's snapshots exist.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use vlens_openapi::ApiSpec;

use crate::case::SpecKind;
use crate::suite::Suite;

/// Two targets compared.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    /// The first target's directory name.
    pub left: String,
    /// The second's.
    pub right: String,
    /// Snapshots both have.
    pub compared: usize,
    /// Snapshots only the first has.
    pub only_left: Vec<String>,
    /// Snapshots only the second has.
    pub only_right: Vec<String>,
    /// The snapshots where they answered differently.
    pub snapshots: Vec<SnapshotDrift>,
}

impl Drift {
    /// Whether the two answered alike wherever both answered.
    pub fn agrees(&self) -> bool {
        self.snapshots.is_empty()
    }

    /// How many differences in all.
    pub fn differences(&self) -> usize {
        self.snapshots.iter().map(|s| s.differences.len()).sum()
    }
}

/// One snapshot where two targets differ.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotDrift {
    /// The snapshot's name.
    pub name: String,
    /// The operation whose reply it is, when a case says.
    pub operation: Option<String>,
    /// The differences.
    pub differences: Vec<Difference>,
}

/// What kind of difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DifferenceKind {
    /// Another HTTP status.
    Status,
    /// Another content type.
    ContentType,
    /// A field only the first target sent.
    OnlyLeft,
    /// A field only the second target sent.
    OnlyRight,
    /// Values of different JSON types.
    Type,
    /// Different values of one type (an error code, a message).
    Value,
}

/// Which side the spec agrees with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpecSide {
    /// The first target.
    Left,
    /// The second.
    Right,
    /// Both fit the spec.
    Both,
    /// Neither does.
    Neither,
    /// The spec does not declare the field (an undocumented extra).
    Undeclared,
    /// No case names the snapshot's operation: nothing to check against.
    Unknown,
}

/// One difference.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    /// A JSON pointer into the reply (empty: the status or content type).
    pub pointer: String,
    /// What differs.
    pub kind: DifferenceKind,
    /// The first target's value (JSON text), if it has one.
    pub left: Option<String>,
    /// The second's.
    pub right: Option<String>,
    /// Which side the spec agrees with.
    pub spec: SpecSide,
}

/// A stored snapshot: `status: N`, `content-type: X`, then the (normalized) body.
#[derive(Debug, Clone, PartialEq)]
struct Stored {
    status: Option<u16>,
    content_type: Option<String>,
    json: Option<Value>,
    text: String,
}

fn load(dir: &Path) -> Result<BTreeMap<String, Stored>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|error| format!("cannot read the snapshots in {}: {error}", dir.display()))?;
    let mut out = BTreeMap::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".snap"))
        else {
            continue;
        };
        let snapshot = insta::Snapshot::from_file(&path)
            .map_err(|error| format!("{}: not an insta snapshot: {error}", path.display()))?;
        let text = snapshot
            .as_text()
            .map(ToString::to_string)
            .unwrap_or_default();
        out.insert(name.to_owned(), parse(&text));
    }
    Ok(out)
}

fn parse(text: &str) -> Stored {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let field = |name: &str| {
        head.lines()
            .find_map(|line| line.strip_prefix(name))
            .map(|value| value.trim().to_owned())
    };
    Stored {
        status: field("status:").and_then(|s| s.parse().ok()),
        content_type: field("content-type:"),
        json: serde_json::from_str(body).ok(),
        text: body.to_owned(),
    }
}

/// The operation of each snapshot, from the cases that write them.
pub fn snapshot_operations(suite: &Suite) -> BTreeMap<String, (SpecKind, String)> {
    let mut out = BTreeMap::new();
    for loaded in &suite.cases {
        for step in &loaded.case.steps {
            if let (Some(snapshot), Some((spec, operation))) = (
                step.http().and_then(|http| http.snapshot.as_ref()),
                step.operation(),
            ) {
                out.insert(snapshot.name.clone(), (spec, operation.to_owned()));
            }
        }
    }
    out
}

/// Compares the snapshots of `left` and `right` (directories of one snapshots root).
pub fn compare(
    left: &Path,
    right: &Path,
    operations: &BTreeMap<String, (SpecKind, String)>,
) -> Result<Drift, String> {
    let name = |dir: &Path| {
        dir.file_name().map_or_else(
            || dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    };
    let (a, b) = (load(left)?, load(right)?);
    let mut drift = Drift {
        left: name(left),
        right: name(right),
        compared: 0,
        only_left: a.keys().filter(|k| !b.contains_key(*k)).cloned().collect(),
        only_right: b.keys().filter(|k| !a.contains_key(*k)).cloned().collect(),
        snapshots: Vec::new(),
    };
    for (snapshot, left) in &a {
        let Some(right) = b.get(snapshot) else {
            continue;
        };
        drift.compared += 1;
        let operation = operations.get(snapshot);
        let differences = differences(
            left,
            right,
            operation.map(|(k, id)| (k.spec(), id.as_str())),
        );
        if !differences.is_empty() {
            drift.snapshots.push(SnapshotDrift {
                name: snapshot.clone(),
                operation: operation.map(|(_, id)| id.clone()),
                differences,
            });
        }
    }
    Ok(drift)
}

fn differences(
    left: &Stored,
    right: &Stored,
    operation: Option<(&ApiSpec, &str)>,
) -> Vec<Difference> {
    let mut found = Vec::new();
    if left.status != right.status {
        let declared = |status: Option<u16>| {
            operation.is_some_and(|(spec, id)| {
                status.is_some_and(|s| {
                    spec.operation(id)
                        .is_some_and(|op| op.response_for_status(s).is_some())
                })
            })
        };
        found.push(Difference {
            pointer: String::new(),
            kind: DifferenceKind::Status,
            left: left.status.map(|s| s.to_string()),
            right: right.status.map(|s| s.to_string()),
            spec: match operation {
                None => SpecSide::Unknown,
                Some(_) => side(declared(left.status), declared(right.status)),
            },
        });
    }
    if left.content_type != right.content_type {
        found.push(Difference {
            pointer: String::new(),
            kind: DifferenceKind::ContentType,
            left: left.content_type.clone(),
            right: right.content_type.clone(),
            spec: SpecSide::Unknown,
        });
    }
    match (&left.json, &right.json) {
        (Some(a), Some(b)) => {
            let mut raw = Vec::new();
            walk("", a, b, &mut raw);
            let judge = Judge::new(operation, left, right);
            for (pointer, kind) in raw {
                let value = |json: &Value| json.pointer(&pointer).map(Value::to_string);
                found.push(Difference {
                    spec: judge.side(&pointer, kind),
                    left: value(a),
                    right: value(b),
                    pointer,
                    kind,
                });
            }
        }
        _ if left.text != right.text => found.push(Difference {
            pointer: String::new(),
            kind: DifferenceKind::Value,
            left: Some(left.text.chars().take(200).collect()),
            right: Some(right.text.chars().take(200).collect()),
            spec: SpecSide::Unknown,
        }),
        _ => {}
    }
    found
}

fn side(left: bool, right: bool) -> SpecSide {
    match (left, right) {
        (true, true) => SpecSide::Both,
        (true, false) => SpecSide::Left,
        (false, true) => SpecSide::Right,
        (false, false) => SpecSide::Neither,
    }
}

fn walk(pointer: &str, a: &Value, b: &Value, out: &mut Vec<(String, DifferenceKind)>) {
    let child = |key: &str| format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (key, value) in x {
                match y.get(key) {
                    Some(other) => walk(&child(key), value, other, out),
                    None => out.push((child(key), DifferenceKind::OnlyLeft)),
                }
            }
            for key in y.keys().filter(|key| !x.contains_key(*key)) {
                out.push((child(key), DifferenceKind::OnlyRight));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for (index, (p, q)) in x.iter().zip(y).enumerate() {
                walk(&child(&index.to_string()), p, q, out);
            }
            for index in y.len()..x.len() {
                out.push((child(&index.to_string()), DifferenceKind::OnlyLeft));
            }
            for index in x.len()..y.len() {
                out.push((child(&index.to_string()), DifferenceKind::OnlyRight));
            }
        }
        _ if std::mem::discriminant(a) != std::mem::discriminant(b) => {
            out.push((pointer.to_owned(), DifferenceKind::Type));
        }
        _ if !crate::verify::expect::numbers_equal(a, b) => {
            out.push((pointer.to_owned(), DifferenceKind::Value));
        }
        _ => {}
    }
}

/// Decides which side the spec agrees with.
struct Judge<'a> {
    operation: Option<(&'a ApiSpec, &'a str)>,
    left: Option<(&'a Value, Vec<vlens_openapi::Violation>, u16)>,
    right: Option<(&'a Value, Vec<vlens_openapi::Violation>, u16)>,
}

/// A value the snapshot normalized (`[uuid]`, `[REDACTED token]`): its type is not the
/// server's, so a schema violation at it says nothing.
fn is_placeholder(value: Option<&Value>) -> bool {
    value
        .and_then(Value::as_str)
        .is_some_and(|text| text.starts_with('[') && text.ends_with(']'))
}

impl<'a> Judge<'a> {
    fn new(
        operation: Option<(&'a ApiSpec, &'a str)>,
        left: &'a Stored,
        right: &'a Stored,
    ) -> Judge<'a> {
        let violations = |stored: &'a Stored| {
            let ((spec, id), json, status) = (operation?, stored.json.as_ref()?, stored.status?);
            let found = match spec.validate_response(id, status, json) {
                Ok(()) => Vec::new(),
                Err(violations) => violations
                    .into_iter()
                    .filter(|v| !is_placeholder(json.pointer(&v.instance_pointer)))
                    .collect(),
            };
            Some((json, found, status))
        };
        Judge {
            operation,
            left: violations(left),
            right: violations(right),
        }
    }

    fn side(&self, pointer: &str, kind: DifferenceKind) -> SpecSide {
        let Some((spec, id)) = self.operation else {
            return SpecSide::Unknown;
        };
        let (Some((a, left, left_status)), Some((b, right, right_status))) =
            (&self.left, &self.right)
        else {
            return SpecSide::Unknown;
        };
        if matches!(kind, DifferenceKind::OnlyLeft | DifferenceKind::OnlyRight) {
            let status = if kind == DifferenceKind::OnlyLeft {
                *left_status
            } else {
                *right_status
            };
            if crate::schema_shape::check(spec, id, status, pointer).is_err() {
                return SpecSide::Undeclared;
            }
        }
        if pointer == "/error_code" || pointer == "/error_message" {
            return side(error_fits(pointer, a, b), error_fits(pointer, b, a));
        }
        side(!touches(left, pointer), !touches(right, pointer))
    }
}

/// Whether an envelope's error code is one of the spec's, or its message the documented one
/// of the code either side sent.
fn error_fits(pointer: &str, json: &Value, other: &Value) -> bool {
    let codes = vlens_openapi::vlens().error_codes();
    let code_of = |json: &Value| json.get("error_code").and_then(Value::as_i64);
    if pointer == "/error_code" {
        return match code_of(json) {
            None | Some(0) => true,
            Some(code) => codes.iter().any(|known| known.code == code),
        };
    }
    let message = json.get("error_message").and_then(Value::as_str);
    let documented = [code_of(json), code_of(other)]
        .into_iter()
        .flatten()
        .find_map(|code| codes.iter().find(|known| known.code == code));
    match documented {
        Some(known) => message == Some(known.message.as_str()),
        None => true,
    }
}

/// Whether a violation is at `pointer`, below it, or is its parent's missing required member.
fn touches(violations: &[vlens_openapi::Violation], pointer: &str) -> bool {
    let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    violations.iter().any(|v| {
        v.instance_pointer == pointer
            || v.instance_pointer.starts_with(&format!("{pointer}/"))
            || (v.instance_pointer == parent && v.message.contains(&format!("\"{key}\"")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(status: u16, json: Value) -> Stored {
        Stored {
            status: Some(status),
            content_type: Some("application/json".to_owned()),
            text: json.to_string(),
            json: Some(json),
        }
    }

    #[test]
    fn differences_name_the_field_and_the_side_the_spec_takes() {
        let spec = vlens_openapi::vlens();
        let left = stored(
            200,
            serde_json::json!({"data": {"isEligible": true, "hasPendingRequest": false,
                "isDigitalIdentityVerified": true, "isEmailConfirmed": true},
                "error_code": null, "error_message": null, "error_descriptions": null}),
        );
        let right = stored(
            200,
            serde_json::json!({"data": {"isEligible": "yes", "hasPendingRequest": false,
                "isDigitalIdentityVerified": true, "isEmailConfirmed": true, "extra": 1},
                "error_code": null, "error_message": null, "error_descriptions": null}),
        );
        let found = differences(&left, &right, Some((spec, "check-eligibility")));
        let at = |pointer: &str| found.iter().find(|d| d.pointer == pointer).unwrap();
        assert_eq!(at("/data/isEligible").kind, DifferenceKind::Type);
        assert_eq!(at("/data/isEligible").spec, SpecSide::Left);
        assert_eq!(at("/data/extra").kind, DifferenceKind::OnlyRight);
        assert_eq!(at("/data/extra").spec, SpecSide::Undeclared);
        assert_eq!(found.len(), 2, "{found:?}");
    }
}
