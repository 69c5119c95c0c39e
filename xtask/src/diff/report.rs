//! The change report: each change with its weight for a caller of `vlens-client`, and the
//! semver hint that follows.

/// How a change weighs on a caller of `vlens-client`, as a semver level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Compatible, adds no API: a caller's code and its meaning stay (a moved path, a
    /// renumbered or reworded error code, a code an operation may now answer with).
    Patch,
    /// Compatible, adds API (an operation, an optional request field, a response field, an
    /// error code).
    Minor,
    /// Breaking: code that compiled may no longer compile, or may no longer work.
    Major,
}

impl Level {
    /// The report's heading for the level.
    fn heading(self) -> &'static str {
        match self {
            Level::Major => "breaking (major)",
            Level::Minor => "compatible, adds API (minor)",
            Level::Patch => "compatible (patch)",
        }
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Its weight.
    pub level: Level,
    /// What changed: `operation `check-eligibility` (GET /api/…)`, `type `GeoLocation``,
    /// `error code `OtpInvalid``.
    pub subject: String,
    /// How (`field `data.isEligible` removed`).
    pub detail: String,
}

impl Change {
    /// Whether it breaks a caller.
    pub fn is_breaking(&self) -> bool {
        self.level == Level::Major
    }
}

/// Every change between two specs, in report order (operations, types, error codes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The changes.
    pub changes: Vec<Change>,
}

impl Report {
    /// The highest level of any change; `None` when nothing changed.
    pub fn level(&self) -> Option<Level> {
        self.changes.iter().map(|c| c.level).max()
    }

    /// How many changes are breaking (each type counted, where the report groups types that
    /// change alike on one line).
    pub fn breaking(&self) -> usize {
        self.changes.iter().filter(|c| c.is_breaking()).count()
    }

    /// The report as text, for `since` (`HEAD`, a file name) and the crate's current version
    /// (for the hint; `None` when unknown). Nothing changed: one line.
    pub fn render(&self, spec: &str, since: &str, version: Option<&str>) -> String {
        self.render_for(CLIENT_CRATE, spec, since, version)
    }

    /// [`Report::render`] for the crate whose generated code the spec makes (`vlens-sandbox`
    /// for its control client).
    pub fn render_for(
        &self,
        krate: &str,
        spec: &str,
        since: &str,
        version: Option<&str>,
    ) -> String {
        let Some(level) = self.level() else {
            return format!("{spec} since {since}: no change a caller of {krate} can see\n");
        };
        let sections: Vec<(Level, Vec<String>)> = [Level::Major, Level::Minor, Level::Patch]
            .into_iter()
            .map(|heading| {
                let lines = grouped(self.changes.iter().filter(|c| c.level == heading));
                (heading, lines)
            })
            .filter(|(_, lines)| !lines.is_empty())
            .collect();
        let count: usize = sections.iter().map(|(_, lines)| lines.len()).sum();
        let breaking = sections
            .iter()
            .find(|(level, _)| *level == Level::Major)
            .map_or(0, |(_, lines)| lines.len());
        let mut out = format!(
            "{spec} since {since}: {count} change{} ({breaking} breaking)\n{}\n",
            if count == 1 { "" } else { "s" },
            semver_hint_for(krate, level, version)
        );
        for (heading, lines) in sections {
            out.push_str(&format!("\n{}:\n", heading.heading()));
            for line in lines {
                out.push_str(&format!("  - {line}\n"));
            }
        }
        out
    }
}

/// One line per change, the same detail of several types (the envelopes share
/// `ApiOutputBase`'s fields) on one line.
fn grouped<'c>(changes: impl Iterator<Item = &'c Change>) -> Vec<String> {
    let mut lines: Vec<(String, Vec<&str>)> = Vec::new();
    for change in changes {
        match lines
            .iter_mut()
            .find(|(detail, _)| *detail == change.detail)
        {
            Some((_, subjects)) if change.subject.starts_with("type ") => {
                subjects.push(&change.subject)
            }
            _ => lines.push((change.detail.clone(), vec![&change.subject])),
        }
    }
    lines
        .into_iter()
        .map(|(detail, subjects)| match subjects.as_slice() {
            [one] => format!("{one}: {detail}"),
            many => {
                let names: Vec<&str> = many.iter().map(|s| s.trim_start_matches("type ")).collect();
                let shown = if names.len() > 4 {
                    format!("{} and {} more", names[..3].join(", "), names.len() - 3)
                } else {
                    names.join(", ")
                };
                format!("types {shown}: {detail}")
            }
        })
        .collect()
}

/// The crate the Vlens spec's report is for.
const CLIENT_CRATE: &str = "vlens-client";

/// The semver hint for `vlens-client`. Cargo reads a 0.y.z version's `y` as the major number:
/// a breaking change bumps `y`, anything else bumps `z`.
pub fn semver_hint(level: Level, version: Option<&str>) -> String {
    semver_hint_for(CLIENT_CRATE, level, version)
}

/// [`semver_hint`] for another crate.
pub fn semver_hint_for(krate: &str, level: Level, version: Option<&str>) -> String {
    let what = match level {
        Level::Major => "major (breaking)",
        Level::Minor => "minor (adds API)",
        Level::Patch => "patch",
    };
    let Some((current, [major, minor, patch])) = version.and_then(|v| Some((v, parse(v)?))) else {
        return format!("semver hint for {krate}: {what}");
    };
    let next = match (major, level) {
        (0, Level::Major) => [0, minor + 1, 0],
        (0, _) => [0, minor, patch + 1],
        (_, Level::Major) => [major + 1, 0, 0],
        (_, Level::Minor) => [major, minor + 1, 0],
        (_, Level::Patch) => [major, minor, patch + 1],
    };
    let next = format!("{}.{}.{}", next[0], next[1], next[2]);
    let rule = if major == 0 {
        match level {
            Level::Major => " (a 0.x crate's minor number is its major)",
            _ => " (a 0.x crate takes additions and fixes in its patch number)",
        }
    } else {
        ""
    };
    format!("semver hint for {krate}: {what}, {current} → {next}{rule}")
}

/// `MAJOR.MINOR.PATCH`; a pre-release or build suffix gives no hint. Three numbers do not need
/// the `semver` crate.
fn parse(version: &str) -> Option<[u64; 3]> {
    let mut parts = version.split('.').map(|part| part.parse::<u64>().ok());
    let parsed = [parts.next()??, parts.next()??, parts.next()??];
    parts.next().is_none().then_some(parsed)
}
