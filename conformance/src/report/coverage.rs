//! What the suite exercised: statuses and error codes per operation, recorded as replies arrive,
//! and the static checks that every operation has a case.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

use crate::case::{Outcome, SpecKind};
use crate::suite::Suite;

/// Replies seen, per operation.
#[derive(Debug, Default)]
pub struct Coverage {
    seen: Mutex<BTreeMap<String, Seen>>,
}

#[derive(Debug, Default, Clone)]
struct Seen {
    statuses: BTreeSet<u16>,
    codes: BTreeSet<i64>,
}

/// The static trial that fails when an operation of the spec has no case.
pub const OPERATIONS_TRIAL: &str = "coverage/every-operation-has-a-case";
/// The static trial that fails when an error code of the spec is expected by no case.
pub const ERROR_CODES_TRIAL: &str = "coverage/every-error-code-has-a-case";

/// The entry of replies from routes no operation owns (a `fetch` of an unknown route): their
/// error codes count as seen, as the static check counts the cases that expect them.
const OUTSIDE_OPERATIONS: &str = "(routes of no operation, by fetch)";

impl Coverage {
    /// Counts a reply: an operation's under it; a fetched URL's under the Vlens operation
    /// whose path it has, or, on the target but on no operation's route, under "no
    /// operation" (so a `NotFound` a case expects through `fetch` counts as seen, as the
    /// static check counts it).
    pub fn record_request(
        &self,
        base_url: &str,
        operation: Option<(SpecKind, &str)>,
        url: &str,
        status: u16,
        error_code: Option<i64>,
    ) {
        match operation {
            Some((SpecKind::Vlens, operation)) => self.record(operation, status, error_code),
            Some((SpecKind::Control, _)) => {}
            None => match fetched_route(base_url, url) {
                FetchedRoute::Vlens(operation) => self.record(operation, status, error_code),
                FetchedRoute::NoOperation => self.record_outside_operations(status, error_code),
                FetchedRoute::Control | FetchedRoute::Elsewhere => {}
            },
        }
    }

    /// Records one reply of a route that no operation of either spec owns.
    pub fn record_outside_operations(&self, status: u16, error_code: Option<i64>) {
        self.record(OUTSIDE_OPERATIONS, status, error_code);
    }

    /// Records one reply of a Vlens operation.
    pub fn record(&self, operation: &str, status: u16, error_code: Option<i64>) {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = seen.entry(operation.to_owned()).or_default();
        entry.statuses.insert(status);
        if let Some(code) = error_code.filter(|code| *code != 0) {
            entry.codes.insert(code);
        }
    }

    /// What was exercised, as data: every operation of `openapi/vlens.yaml` with its declared
    /// responses and error codes, each exercised or not, and the totals.
    pub fn summary(&self) -> CoverageSummary {
        let spec = vlens_openapi::vlens();
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let mut codes_hit: BTreeSet<i64> = BTreeSet::new();
        let mut operations = Vec::new();
        for operation in spec.operations() {
            let entry = seen.get(&operation.id).cloned().unwrap_or_default();
            codes_hit.extend(entry.codes.iter().copied());
            let responses = operation
                .responses
                .iter()
                .map(|response| Mark {
                    name: response.key.clone(),
                    exercised: entry.statuses.iter().any(|status| {
                        operation
                            .response_for_status(*status)
                            .is_some_and(|r| r.key == response.key)
                    }),
                })
                .collect();
            let error_codes = operation
                .error_codes
                .iter()
                .map(|name| Mark {
                    name: name.clone(),
                    exercised: spec
                        .error_code(name)
                        .is_some_and(|code| entry.codes.contains(&code.code)),
                })
                .collect();
            let transport_errors = entry
                .codes
                .iter()
                .filter_map(|code| spec.error_codes().iter().find(|c| c.code == *code))
                .filter(|code| code.http_status != 200)
                .map(|code| code.name.clone())
                .collect();
            operations.push(OperationCoverage {
                id: operation.id.clone(),
                exercised: !entry.statuses.is_empty(),
                responses,
                error_codes,
                transport_errors,
            });
        }
        let outside_operations = seen.get(OUTSIDE_OPERATIONS).map(|outside| {
            codes_hit.extend(outside.codes.iter().copied());
            outside
                .codes
                .iter()
                .map(|code| {
                    spec.error_codes()
                        .iter()
                        .find(|known| known.code == *code)
                        .map_or_else(|| code.to_string(), |known| known.name.clone())
                })
                .collect()
        });
        let codes_not_exercised: Vec<String> = spec
            .error_codes()
            .iter()
            .filter(|code| !codes_hit.contains(&code.code))
            .map(|code| code.name.clone())
            .collect();
        let responses: Vec<&Mark> = operations.iter().flat_map(|op| &op.responses).collect();
        CoverageSummary {
            totals: Totals {
                operations: operations.iter().filter(|op| op.exercised).count(),
                operations_declared: operations.len(),
                responses: responses.iter().filter(|mark| mark.exercised).count(),
                responses_declared: responses.len(),
                error_codes: spec.error_codes().len() - codes_not_exercised.len(),
                error_codes_declared: spec.error_codes().len(),
            },
            operations,
            outside_operations,
            codes_not_exercised,
        }
    }

    /// The table: every operation of `openapi/vlens.yaml`, its declared responses and error
    /// codes, each marked exercised (`+`) or not (`-`), then totals.
    pub fn table(&self) -> String {
        table(&self.summary())
    }
}

/// Coverage of the spec by one run, as data (the JSON and HTML reports carry it).
#[derive(Debug, Clone, Serialize)]
pub struct CoverageSummary {
    /// Every operation of the spec, in the spec's order.
    pub operations: Vec<OperationCoverage>,
    /// Error codes of replies from routes no operation owns (a `fetch`), when there were any.
    pub outside_operations: Option<Vec<String>>,
    /// The spec's error codes that no reply carried.
    pub codes_not_exercised: Vec<String>,
    /// The totals.
    pub totals: Totals,
}

/// One operation's coverage.
#[derive(Debug, Clone, Serialize)]
pub struct OperationCoverage {
    /// The operationId.
    pub id: String,
    /// Whether any reply of it was seen.
    pub exercised: bool,
    /// Its declared responses (`200`, `4XX`).
    pub responses: Vec<Mark>,
    /// Its business error codes.
    pub error_codes: Vec<Mark>,
    /// The transport errors it answered (`Unauthorized`).
    pub transport_errors: Vec<String>,
}

/// Something declared, and whether the run exercised it.
#[derive(Debug, Clone, Serialize)]
pub struct Mark {
    /// Its name.
    pub name: String,
    /// Exercised in this run.
    pub exercised: bool,
}

/// Exercised against declared.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Totals {
    /// Operations with a reply.
    pub operations: usize,
    /// Operations in the spec.
    pub operations_declared: usize,
    /// Declared responses seen.
    pub responses: usize,
    /// Declared responses.
    pub responses_declared: usize,
    /// Error codes seen.
    pub error_codes: usize,
    /// Error codes in the spec.
    pub error_codes_declared: usize,
}

/// `operations 32/32, declared responses 96/96, error codes 40/40`, as the table and the HTML
/// report both say it.
impl std::fmt::Display for Totals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "operations {}/{}, declared responses {}/{}, error codes {}/{}",
            self.operations,
            self.operations_declared,
            self.responses,
            self.responses_declared,
            self.error_codes,
            self.error_codes_declared,
        )
    }
}

/// The coverage table as text.
pub fn table(summary: &CoverageSummary) -> String {
    let mark = |mark: &Mark| format!("{}{}", if mark.exercised { '+' } else { '-' }, mark.name);
    let mut out = String::new();
    let _ = writeln!(out, "coverage of openapi/vlens.yaml (+ exercised, - not):");
    for operation in &summary.operations {
        let statuses: Vec<String> = operation.responses.iter().map(mark).collect();
        let codes: Vec<String> = operation.error_codes.iter().map(mark).collect();
        let _ = writeln!(
            out,
            "  {:<45} {:<18} {}{}",
            operation.id,
            statuses.join(" "),
            if codes.is_empty() {
                "(no business codes)".to_owned()
            } else {
                codes.join(" ")
            },
            if operation.transport_errors.is_empty() {
                String::new()
            } else {
                format!("  | also: {}", operation.transport_errors.join(", "))
            }
        );
    }
    if let Some(codes) = &summary.outside_operations {
        let _ = writeln!(
            out,
            "  {OUTSIDE_OPERATIONS:<64} | also: {}",
            codes.join(", ")
        );
    }
    let _ = writeln!(out, "  {}", summary.totals);
    if !summary.codes_not_exercised.is_empty() {
        let _ = writeln!(
            out,
            "  error codes not exercised: {}",
            summary.codes_not_exercised.join(", ")
        );
    }
    out
}

/// Where a fetched URL leads, for coverage.
#[derive(Debug, PartialEq, Eq)]
enum FetchedRoute {
    /// The path of this Vlens operation (a GET).
    Vlens(&'static str),
    /// A route of the sandbox control API (the signing page, the contract PDF).
    Control,
    /// The target, on a route no operation of either spec owns.
    NoOperation,
    /// Another host.
    Elsewhere,
}

fn fetched_route(base_url: &str, url: &str) -> FetchedRoute {
    let Some(path) = url
        .strip_prefix(base_url)
        .filter(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
    else {
        return FetchedRoute::Elsewhere;
    };
    if let Some(operation) = vlens_openapi::vlens().find_operation("GET", path) {
        FetchedRoute::Vlens(operation.id.as_str())
    } else if vlens_openapi::sandbox_control()
        .find_operation("GET", path)
        .is_some()
    {
        FetchedRoute::Control
    } else {
        FetchedRoute::NoOperation
    }
}

/// The operations of `openapi/vlens.yaml` that no case calls (a static check of the files).
pub fn operations_without_cases(suite: &Suite) -> Vec<String> {
    let called: BTreeSet<&str> = suite
        .cases
        .iter()
        .flat_map(|loaded| &loaded.case.steps)
        .filter_map(|step| match step.operation() {
            Some((SpecKind::Vlens, operation)) => Some(operation),
            _ => None,
        })
        .collect();
    vlens_openapi::vlens()
        .operations()
        .iter()
        .filter(|operation| !called.contains(operation.id.as_str()))
        .map(|operation| operation.id.clone())
        .collect()
}

/// The error codes of the spec that no case expects (a static check). `InternalError` too: the
/// sandbox's fault injection provokes it.
pub fn error_codes_without_cases(suite: &Suite) -> Vec<String> {
    let expected: BTreeSet<&str> = suite
        .cases
        .iter()
        .flat_map(|loaded| &loaded.case.steps)
        .filter_map(|step| match &step.http()?.expect.outcome {
            Outcome::Error { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    vlens_openapi::vlens()
        .error_codes()
        .iter()
        .map(|code| code.name.as_str())
        .filter(|name| !expected.contains(name))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_marks_what_was_seen() {
        let coverage = Coverage::default();
        coverage.record("check-eligibility", 200, None);
        coverage.record("check-eligibility", 401, Some(401));
        coverage.record("get-current-business-request", 200, Some(4403));
        let table = coverage.table();
        let line = table
            .lines()
            .find(|line| line.contains("check-eligibility"))
            .unwrap_or_default();
        assert!(line.contains("+200 +4XX -5XX"), "{line}");
        assert!(line.contains("also: Unauthorized"), "{line}");
        let line = table
            .lines()
            .find(|line| line.contains(" get-current-business-request "))
            .unwrap_or_default();
        assert!(line.contains("+RequestNotFound"), "{line}");
        assert!(table.contains("operations 2/32"), "{table}");
        let not_exercised = |table: &str, name: &str| {
            table
                .lines()
                .find_map(|line| line.strip_prefix("  error codes not exercised: "))
                .is_some_and(|list| list.split(", ").any(|known| known == name))
        };
        let total = |table: &str| {
            table
                .lines()
                .find_map(|line| line.split_once("error codes ").map(|(_, n)| n.to_owned()))
                .unwrap_or_default()
        };
        assert!(not_exercised(&table, "NotFound"), "{table}");
        let before = total(&table);
        coverage.record_outside_operations(404, Some(404));
        let table = coverage.table();
        assert!(!not_exercised(&table, "NotFound"), "{table}");
        assert!(
            table.contains("(routes of no operation, by fetch)"),
            "{table}"
        );
        assert!(table.contains("| also: NotFound"), "{table}");
        assert_ne!(total(&table), before, "{table}");
    }

    #[test]
    fn fetched_urls_are_attributed_to_the_route_they_reach() {
        let base = "http://127.0.0.1:5555";
        assert_eq!(
            fetched_route(base, &format!("{base}/api/BusinessRequest/NoSuchOperation")),
            FetchedRoute::NoOperation
        );
        assert_eq!(
            fetched_route(
                base,
                &format!("{base}/api/BusinessRequest/GetAllRequestTypes")
            ),
            FetchedRoute::Vlens("get-all-request-types")
        );
        assert_eq!(
            fetched_route(base, &format!("{base}/__sandbox/health")),
            FetchedRoute::Control
        );
        assert_eq!(
            fetched_route(base, "https://elsewhere.example/api/x"),
            FetchedRoute::Elsewhere
        );
        assert_eq!(
            fetched_route(base, &format!("{base}5/api/x")),
            FetchedRoute::Elsewhere,
            "another port is another host"
        );
    }
}
