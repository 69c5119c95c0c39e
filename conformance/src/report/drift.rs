//! Drift between two targets as text, for `vlens-conformance diff`.

use std::fmt::Write as _;

use crate::drift::{DifferenceKind, Drift, SpecSide};
use crate::report::html::spec_side;

/// Snapshot by snapshot, each difference and the side the spec agrees with.
pub fn render(drift: &Drift) -> String {
    let (left, right) = (&drift.left, &drift.right);
    let mut out = format!(
        "{left} against {right}: {} snapshots in both, {} only in {left}, {} only in {right}\n",
        drift.compared,
        drift.only_left.len(),
        drift.only_right.len()
    );
    for snapshot in &drift.snapshots {
        let _ = writeln!(
            out,
            "\n{}{}:",
            snapshot.name,
            snapshot
                .operation
                .as_ref()
                .map(|op| format!(" ({op})"))
                .unwrap_or_default()
        );
        for d in &snapshot.differences {
            let value = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".to_owned());
            let what = match d.kind {
                DifferenceKind::Status => format!(
                    "HTTP status: {} from {left}, {} from {right}",
                    value(&d.left),
                    value(&d.right)
                ),
                DifferenceKind::ContentType => format!(
                    "content type: {} from {left}, {} from {right}",
                    value(&d.left),
                    value(&d.right)
                ),
                DifferenceKind::OnlyLeft => {
                    format!("{}: only in {left} ({})", d.pointer, value(&d.left))
                }
                DifferenceKind::OnlyRight => {
                    format!("{}: only in {right} ({})", d.pointer, value(&d.right))
                }
                DifferenceKind::Type | DifferenceKind::Value => format!(
                    "{}: {} in {left}, {} in {right}{}",
                    if d.pointer.is_empty() {
                        "(body)"
                    } else {
                        &d.pointer
                    },
                    value(&d.left),
                    value(&d.right),
                    if d.kind == DifferenceKind::Type {
                        " (different types)"
                    } else {
                        ""
                    }
                ),
            };
            let verdict = match d.spec {
                SpecSide::Undeclared => "the spec does not declare it".to_owned(),
                SpecSide::Unknown => "no case names the operation".to_owned(),
                side => format!("the spec agrees with {}", spec_side(side, drift)),
            };
            let _ = writeln!(out, "  {what} — {verdict}");
        }
    }
    if !drift.only_left.is_empty() {
        let _ = writeln!(out, "\nonly in {left}: {}", drift.only_left.join(", "));
    }
    if !drift.only_right.is_empty() {
        let _ = writeln!(out, "\nonly in {right}: {}", drift.only_right.join(", "));
    }
    if drift.agrees() {
        let _ = writeln!(
            out,
            "\nno drift: they answered alike in all {} snapshots both have",
            drift.compared
        );
    } else {
        let _ = writeln!(
            out,
            "\ndrift: {} differences in {} snapshots",
            drift.differences(),
            drift.snapshots.len()
        );
    }
    out
}
