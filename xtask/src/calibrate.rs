//! `cargo xtask calibrate REPORT`: folds a conformance run's calibration report into
//! `openapi/vlens.yaml`. Each error code whose number was this project's guess and that the
//! report saw becomes a fact with its provenance — `source: observed`,
//! `observed: {target, date}`, the number, message and HTTP status the server sent — so that
//! `cargo xtask codegen` then makes the client's `KnownErrorCode` match the real server.
//!
//! The spec's text is edited in place, entry by entry, so that its comments and layout stay;
//! the result is parsed again (with `vlens-openapi`) before anything is written.

use std::collections::BTreeMap;
use std::path::Path;

use vlens_openapi::calibration::Report;
use vlens_openapi::{ApiSpec, ErrorCodeSource};

use crate::Error;
use crate::workspace::{Layout, SPEC};

/// What calibrating changed, one line per code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The code's name.
    pub name: String,
    /// `4406 → 54406 (observed on api.vlens.co-443, 2026-11-29)`, or why it stays.
    pub what: String,
}

/// Reads `report`, folds it into the spec of `layout` (written unless `dry_run`), and returns
/// what changed.
pub fn run(layout: &Layout, report: &Path, dry_run: bool) -> Result<Vec<Change>, Error> {
    let report_text = std::fs::read_to_string(report).map_err(|source| Error::Io {
        path: report.to_path_buf(),
        source,
    })?;
    let report = Report::parse(&report_text).map_err(|message| Error::Calibration {
        problems: vec![format!("{}: {message}", layout_relative(report))],
    })?;
    let spec_path = layout.path(SPEC);
    let text = std::fs::read_to_string(&spec_path).map_err(|source| Error::Io {
        path: spec_path.clone(),
        source,
    })?;
    let (text, changes) =
        fold(&text, &report).map_err(|problems| Error::Calibration { problems })?;
    if !dry_run && changes.iter().any(|change| change.what.contains('→')) {
        std::fs::write(&spec_path, text).map_err(|source| Error::Io {
            path: spec_path,
            source,
        })?;
    }
    Ok(changes)
}

fn layout_relative(path: &Path) -> String {
    path.display().to_string()
}

/// The spec text with the report folded in, and the changes; every problem at once otherwise.
pub fn fold(text: &str, report: &Report) -> Result<(String, Vec<Change>), Vec<String>> {
    let spec = ApiSpec::parse("vlens", text).map_err(|error| vec![error.to_string()])?;
    let mut problems = Vec::new();
    let mut changes = Vec::new();
    let mut numbers: BTreeMap<i64, String> = spec
        .error_codes()
        .iter()
        .map(|code| (code.code, code.name.clone()))
        .collect();
    let mut edited = text.to_owned();
    for (name, seen) in &report.codes {
        let Some(known) = spec.error_code(name) else {
            problems.push(format!("`{name}`: the spec has no such error code"));
            continue;
        };
        let Some(code) = seen.code else {
            problems.push(format!(
                "`{name}`: the server sent an error without a number ({})",
                seen.seen_in.join(", ")
            ));
            continue;
        };
        if !seen.also_sent.is_empty() {
            problems.push(format!(
                "`{name}`: the server sent {code} and also {:?}: calibrate from a consistent run",
                seen.also_sent
            ));
            continue;
        }
        if known.source == ErrorCodeSource::VlensDocs {
            if code != known.code {
                problems.push(format!(
                    "`{name}` is published by Vlens as {}, the server sent {code}: a fact of the \
                     docs is not overwritten (check the docs, then edit the spec by hand)",
                    known.code
                ));
            } else {
                changes.push(Change {
                    name: name.clone(),
                    what: format!("{code}, as Vlens publishes it"),
                });
            }
            continue;
        }
        if known.message_documented && seen.message != known.message {
            problems.push(format!(
                "`{name}`: the server's message \"{}\" is not the documented \"{}\"",
                seen.message, known.message
            ));
            continue;
        }
        if let Some(owner) = numbers.get(&code)
            && owner != name
        {
            problems.push(format!(
                "`{name}`: the server sent {code}, which the spec gives to `{owner}`"
            ));
            continue;
        }
        numbers.remove(&known.code);
        numbers.insert(code, name.clone());
        match edit_entry(&edited, name, code, seen, &report.target) {
            Ok(text) => edited = text,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        }
        changes.push(Change {
            name: name.clone(),
            what: format!(
                "{} → {code} (observed on {}, {})",
                known.code, report.target, seen.date
            ),
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // The edit must leave a spec that loads and says what was observed.
    let check = ApiSpec::parse("vlens", &edited)
        .map_err(|error| vec![format!("calibrating would break the spec: {error}")])?;
    for (name, seen) in &report.codes {
        let Some(code) = check.error_code(name) else {
            continue;
        };
        if code.source != ErrorCodeSource::VlensDocs && Some(code.code) != seen.code {
            return Err(vec![format!(
                "`{name}` was not updated (an unexpected layout?)"
            )]);
        }
    }
    Ok((edited, changes))
}

/// Rewrites the entry of `name` in the root `x-vlens-error-codes` list: its number, HTTP
/// status, message, and its source with the observation.
fn edit_entry(
    text: &str,
    name: &str,
    code: i64,
    seen: &vlens_openapi::calibration::CodeReport,
    target: &str,
) -> Result<String, String> {
    let lines: Vec<&str> = text.lines().collect();
    let name_line = lines
        .iter()
        .position(|line| line.trim() == format!("name: {name}"))
        .ok_or_else(|| format!("`{name}`: no `name: {name}` line in the spec"))?;
    // The entry starts at the `- code:` line above its name and ends before the next `- `.
    let start = (0..name_line)
        .rev()
        .find(|&i| lines[i].trim_start().starts_with("- code:"))
        .ok_or_else(|| format!("`{name}`: its entry has no `- code:` line"))?;
    let indent = lines[start].len() - lines[start].trim_start().len() + 2;
    let end = (name_line + 1..lines.len())
        .find(|&i| {
            let line = lines[i];
            let depth = line.len() - line.trim_start().len();
            !line.trim().is_empty() && (depth < indent || line.trim_start().starts_with("- "))
        })
        .unwrap_or(lines.len());
    let pad = " ".repeat(indent);
    let mut entry: Vec<String> = Vec::new();
    for line in &lines[start..end] {
        let key = line.trim_start().trim_start_matches("- ");
        let field = key.split(':').next().unwrap_or_default();
        let replaced = match field {
            "code" => Some(format!("{}- code: {code}", " ".repeat(indent - 2))),
            "httpStatus" => Some(format!("{pad}httpStatus: {}", seen.http_status)),
            "message" => Some(format!("{pad}message: {}", yaml_string(&seen.message))),
            "source" => Some(format!(
                "{pad}source: observed\n{pad}observed: {{target: {}, date: '{}'}}",
                yaml_string(target),
                seen.date
            )),
            // A fresh observation replaces an older one.
            "observed" => Some(String::new()),
            _ => None,
        };
        match replaced {
            Some(text) if text.is_empty() => {}
            Some(text) => entry.push(text),
            None => entry.push((*line).to_owned()),
        }
    }
    let mut out: Vec<String> = lines[..start].iter().map(|l| (*l).to_owned()).collect();
    out.extend(entry);
    out.extend(lines[end..].iter().map(|l| (*l).to_owned()));
    let mut text = out.join("\n");
    text.push('\n');
    Ok(text)
}

/// A YAML scalar: single-quoted unless it is plainly safe.
fn yaml_string(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " .,-_()/".contains(c))
        && !text.starts_with([' ', '-'])
        && !text.ends_with(' ');
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

#[cfg(test)]
mod tests {
    use vlens_openapi::calibration::{CodeReport, FORMAT};

    use super::*;

    fn report(codes: &[(&str, i64, &str)]) -> Report {
        Report {
            format: FORMAT.to_owned(),
            target: "api.vlens.co-443".to_owned(),
            base_url: "https://api.vlens.co".to_owned(),
            date: "2026-11-29".to_owned(),
            codes: codes
                .iter()
                .map(|(name, code, message)| {
                    (
                        (*name).to_owned(),
                        CodeReport {
                            code: Some(*code),
                            message: (*message).to_owned(),
                            http_status: 200,
                            spec_code: 0,
                            seen_in: vec!["a/b step 1".to_owned()],
                            also_sent: Vec::new(),
                            date: "2026-11-29".to_owned(),
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn observed_numbers_become_facts_with_their_provenance() {
        let spec = vlens_openapi::VLENS_YAML;
        let (text, changes) = fold(
            spec,
            &report(&[
                ("OtpInvalid", 54201, "Wrong code: it's not valid"),
                (
                    "LocationRevalidationRequired",
                    54406,
                    "Location changed, liveness revalidation required.",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(changes.len(), 2, "{changes:?}");
        let folded = ApiSpec::parse("vlens", &text).unwrap();
        let otp = folded.error_code("OtpInvalid").unwrap();
        assert_eq!(otp.code, 54201);
        assert_eq!(otp.message, "Wrong code: it's not valid");
        assert_eq!(otp.source, ErrorCodeSource::Observed);
        let observed = otp.observed.as_ref().unwrap();
        assert_eq!(
            (observed.target.as_str(), observed.date.as_str()),
            ("api.vlens.co-443", "2026-11-29")
        );
        // The documented message stays documented.
        assert!(
            folded
                .error_code("LocationRevalidationRequired")
                .unwrap()
                .message_documented
        );
        // Everything else is untouched, comments included.
        assert_eq!(text.lines().count(), spec.lines().count() + 2);
        assert!(text.contains("# The project's own codes"));
        // Calibrating again from the same report changes nothing more.
        let (again, _) = fold(
            &text,
            &report(&[("OtpInvalid", 54201, "Wrong code: it's not valid")]),
        )
        .unwrap();
        assert_eq!(again, text);
    }

    #[test]
    fn what_cannot_be_a_fact_is_refused() {
        let spec = vlens_openapi::VLENS_YAML;
        for (codes, words) in [
            (vec![("Unauthorized", 4011, "x")], "published by Vlens"),
            (vec![("OtpInvalid", 4202, "x")], "gives to `OtpExpired`"),
            (
                vec![("LocationRevalidationRequired", 1, "moved")],
                "not the documented",
            ),
            (vec![("NoSuchCode", 1, "x")], "no such error code"),
        ] {
            let problems = fold(spec, &report(&codes)).unwrap_err();
            assert!(
                problems.iter().any(|p| p.contains(words)),
                "{codes:?}: {problems:?}"
            );
        }
        let mut inconsistent = report(&[("OtpInvalid", 54201, "x")]);
        if let Some(code) = inconsistent.codes.get_mut("OtpInvalid") {
            code.also_sent = vec![99];
        }
        let problems = fold(spec, &inconsistent).unwrap_err();
        assert!(problems[0].contains("also"), "{problems:?}");
    }
}
