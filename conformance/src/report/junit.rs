//! The JUnit XML report, for CI test tabs: one `testsuite` per case folder, one `testcase` per
//! trial with its time; a failure carries the full (redacted) message and the first failing
//! layer as its type; an ignored trial is `skipped` with its reason. Written with quick-xml,
//! which escapes; characters XML 1.0 cannot hold at all (control characters of a binary reply)
//! are replaced first.
//!
//! The shape is the strict one of the Apache Ant JUnit schema (the XSD that CI viewers follow):
//! `testsuites` has no attributes; each `testsuite` has `name`, `package`, `id`, `hostname`,
//! `timestamp` (without a zone), the counts and `time`, then `properties`, the testcases,
//! `system-out` and `system-err`; a `testcase` has `name`, `classname` and `time` only (the
//! case file is in the failure message).

use std::collections::BTreeMap;
use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::report::results::{RunResults, TrialResult, TrialStatus};

/// The report as XML text.
pub fn render(results: &RunResults) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail; the io::Result is quick-xml's general signature.
    let _ = write(&mut writer, results);
    String::from_utf8_lossy(&writer.into_inner()).into_owned()
}

fn seconds(ms: f64) -> String {
    format!("{:.3}", ms / 1000.0)
}

fn write(writer: &mut Writer<Vec<u8>>, results: &RunResults) -> io::Result<()> {
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut groups: BTreeMap<&str, Vec<&TrialResult>> = BTreeMap::new();
    for trial in &results.trials {
        groups.entry(trial.group.as_str()).or_default().push(trial);
    }
    writer
        .create_element("testsuites")
        .write_inner_content(|writer| {
            for (id, (group, trials)) in groups.iter().enumerate() {
                suite(writer, results, id, group, trials)?;
            }
            Ok(())
        })?;
    Ok(())
}

fn suite(
    writer: &mut Writer<Vec<u8>>,
    results: &RunResults,
    id: usize,
    group: &str,
    trials: &[&TrialResult],
) -> io::Result<()> {
    let count = |status| trials.iter().filter(|t| t.status == status).count();
    let time: f64 = trials.iter().map(|t| t.duration_ms).sum();
    // The schema's timestamp has no zone: the run's UTC time without its `Z`.
    let timestamp = results.run.started.trim_end_matches('Z');
    let group = xml_safe(group);
    writer
        .create_element("testsuite")
        .with_attribute(("name", group.as_str()))
        .with_attribute(("package", group.as_str()))
        .with_attribute(("id", id.to_string().as_str()))
        .with_attribute(("hostname", "localhost"))
        .with_attribute(("tests", trials.len().to_string().as_str()))
        .with_attribute(("failures", count(TrialStatus::Failed).to_string().as_str()))
        .with_attribute(("errors", "0"))
        .with_attribute(("skipped", count(TrialStatus::Ignored).to_string().as_str()))
        .with_attribute(("time", seconds(time).as_str()))
        .with_attribute(("timestamp", timestamp))
        .write_inner_content(|writer| {
            writer
                .create_element("properties")
                .write_inner_content(|writer| {
                    for (name, value) in [
                        ("target", results.run.target.as_str()),
                        ("base_url", results.run.base_url.as_str()),
                        ("spec_version", results.run.spec_version.as_str()),
                        ("spec_sha256", results.run.spec_sha256.as_str()),
                    ] {
                        writer
                            .create_element("property")
                            .with_attribute(("name", name))
                            .with_attribute(("value", xml_safe(value).as_str()))
                            .write_empty()?;
                    }
                    Ok(())
                })?;
            for trial in trials {
                testcase(writer, trial)?;
            }
            writer.create_element("system-out").write_empty()?;
            writer.create_element("system-err").write_empty()?;
            Ok(())
        })?;
    Ok(())
}

fn testcase(writer: &mut Writer<Vec<u8>>, trial: &TrialResult) -> io::Result<()> {
    let element = writer
        .create_element("testcase")
        .with_attribute(("name", xml_safe(&trial.name).as_str()))
        .with_attribute(("classname", xml_safe(&trial.group).as_str()))
        .with_attribute(("time", seconds(trial.duration_ms).as_str()));
    match trial.status {
        TrialStatus::Passed => {
            element.write_empty()?;
        }
        TrialStatus::Ignored => {
            let reason = xml_safe(trial.reason.as_deref().unwrap_or("ignored"));
            element.write_inner_content(|writer| {
                writer
                    .create_element("skipped")
                    .with_attribute(("message", reason.as_str()))
                    .write_empty()?;
                Ok(())
            })?;
        }
        TrialStatus::Failed => {
            let message = xml_safe(trial.message.as_deref().unwrap_or("failed"));
            let first = message
                .lines()
                .find(|line| line.trim_start().starts_with('['))
                .or_else(|| message.lines().nth(1))
                .unwrap_or(&message)
                .trim()
                .to_owned();
            let kind = first
                .strip_prefix('[')
                .and_then(|rest| rest.split_once(']'))
                .map_or("failure", |(layer, _)| layer)
                .to_owned();
            element.write_inner_content(|writer| {
                writer
                    .create_element("failure")
                    .with_attribute(("message", first.as_str()))
                    .with_attribute(("type", kind.as_str()))
                    .write_text_content(BytesText::new(&message))?;
                Ok(())
            })?;
        }
    }
    Ok(())
}

/// The text with every character XML 1.0 cannot contain (most control characters, lone
/// surrogates cannot occur in a Rust string) replaced by U+FFFD.
pub fn xml_safe(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}
