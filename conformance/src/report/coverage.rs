//! What the suite exercised: statuses and error codes per operation, recorded as replies arrive,
//! and the static checks that every operation has a case.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};

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

    /// The table: every operation of `openapi/vlens.yaml`, its declared responses and error
    /// codes, each marked exercised (`+`) or not (`-`), then totals.
    pub fn table(&self) -> String {
        let spec = vlens_openapi::vlens();
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::new();
        let _ = writeln!(out, "coverage of openapi/vlens.yaml (+ exercised, - not):");
        let mut statuses_total = (0, 0);
        let mut operations_hit = 0;
        let mut codes_hit: BTreeSet<i64> = BTreeSet::new();
        for operation in spec.operations() {
            let entry = seen.get(&operation.id).cloned().unwrap_or_default();
            if !entry.statuses.is_empty() {
                operations_hit += 1;
            }
            codes_hit.extend(entry.codes.iter().copied());
            let statuses: Vec<String> = operation
                .responses
                .iter()
                .map(|response| {
                    let hit = entry.statuses.iter().any(|status| {
                        operation
                            .response_for_status(*status)
                            .is_some_and(|r| r.key == response.key)
                    });
                    statuses_total.1 += 1;
                    if hit {
                        statuses_total.0 += 1;
                    }
                    format!("{}{}", if hit { '+' } else { '-' }, response.key)
                })
                .collect();
            let codes: Vec<String> = operation
                .error_codes
                .iter()
                .map(|name| {
                    let hit = spec
                        .error_code(name)
                        .is_some_and(|code| entry.codes.contains(&code.code));
                    format!("{}{name}", if hit { '+' } else { '-' })
                })
                .collect();
            let transport: Vec<String> = entry
                .codes
                .iter()
                .filter_map(|code| spec.error_codes().iter().find(|c| c.code == *code))
                .filter(|code| code.http_status != 200)
                .map(|code| code.name.clone())
                .collect();
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
                if transport.is_empty() {
                    String::new()
                } else {
                    format!("  | also: {}", transport.join(", "))
                }
            );
        }
        if let Some(outside) = seen.get(OUTSIDE_OPERATIONS) {
            codes_hit.extend(outside.codes.iter().copied());
            let codes: Vec<String> = outside
                .codes
                .iter()
                .map(|code| {
                    spec.error_codes()
                        .iter()
                        .find(|known| known.code == *code)
                        .map_or_else(|| code.to_string(), |known| known.name.clone())
                })
                .collect();
            let _ = writeln!(
                out,
                "  {OUTSIDE_OPERATIONS:<64} | also: {}",
                codes.join(", ")
            );
        }
        let all_codes: Vec<&str> = spec
            .error_codes()
            .iter()
            .filter(|code| !codes_hit.contains(&code.code))
            .map(|code| code.name.as_str())
            .collect();
        let _ = writeln!(
            out,
            "  operations {operations_hit}/{}, declared responses {}/{}, error codes {}/{}",
            spec.operations().len(),
            statuses_total.0,
            statuses_total.1,
            spec.error_codes().len() - all_codes.len(),
            spec.error_codes().len(),
        );
        if !all_codes.is_empty() {
            let _ = writeln!(out, "  error codes not exercised: {}", all_codes.join(", "));
        }
        out
    }
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
