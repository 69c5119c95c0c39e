//! Variables: each is defined before it is read (fixtures, `vars` in order, captures of earlier
//! steps; a step's expectations may read its own captures), and each of `vars` is read.

use std::collections::BTreeSet;

use crate::case::walk::{self, Phase};
use crate::case::{Case, RESERVED};
use crate::problem::Problem;

/// Every name the case defines anywhere: the harness's own, fixtures, `vars`, captures.
fn all_names(case: &Case) -> BTreeSet<&str> {
    RESERVED
        .iter()
        .copied()
        .chain(case.fixtures.users.iter().map(|u| u.name.as_str()))
        .chain(case.fixtures.requests.iter().map(|r| r.name.as_str()))
        .chain(case.vars.iter().map(|(name, _)| name.as_str()))
        .chain(
            case.steps
                .iter()
                .flat_map(|step| step.captures().iter().map(|c| c.name.as_str())),
        )
        .collect()
}

/// Adds a problem for every variable read before it is defined and every unread `vars` entry.
pub fn check(case: &Case, problems: &mut Vec<Problem>) {
    let fixtures: BTreeSet<&str> = RESERVED
        .iter()
        .copied()
        .chain(case.fixtures.users.iter().map(|u| u.name.as_str()))
        .chain(case.fixtures.requests.iter().map(|r| r.name.as_str()))
        .collect();
    let defined_at = |phase: Phase| -> BTreeSet<&str> {
        let mut defined = fixtures.clone();
        let (vars, steps, own) = match phase {
            Phase::Fixtures => (0, 0, None),
            Phase::Var(index) => (index, 0, None),
            Phase::Before(index) => (case.vars.len(), index, None),
            Phase::After(index) => (case.vars.len(), index, Some(index)),
        };
        defined.extend(case.vars[..vars].iter().map(|(name, _)| name.as_str()));
        for step in case.steps[..steps]
            .iter()
            .chain(own.and_then(|i| case.steps.get(i)))
        {
            defined.extend(step.captures().iter().map(|c| c.name.as_str()));
        }
        defined
    };
    let mut read: BTreeSet<&str> = BTreeSet::new();
    walk::visit(case, |site| {
        let defined = defined_at(site.phase);
        for (name, at) in site.node.variables() {
            read.insert(name);
            if !defined.contains(name) {
                let everything = all_names(case);
                let hint = if everything.contains(name) {
                    String::new()
                } else {
                    crate::suggest::did_you_mean(name, everything.iter().copied())
                };
                problems.push(Problem::new(
                    at,
                    format!(
                        "variable `{name}` is used before it is defined{hint} (fixtures, `vars` \
                         and earlier captures define variables)"
                    ),
                ));
            }
        }
    });
    for (name, value) in &case.vars {
        if !read.contains(name.as_str()) {
            problems.push(Problem::new(
                value.at,
                format!("`vars.{name}` is never used (remove it, or read it in a step)"),
            ));
        }
    }
}
