//! The HTML report: one self-contained page (inline style, no script, no external asset) that a
//! person opens from CI artefacts — a summary with counts and the coverage, then every case
//! with its steps, each request and reply (pretty JSON, collapsible), the failing layer
//! highlighted, a changed snapshot's diff, the ignore reasons, and the drift between targets.
//!
//! Written by hand rather than with a template engine: one page of a fixed shape, whose only
//! hazard is escaping, which [`escape`] does for every text and attribute. The markup is also
//! well-formed XML, so the tests read its structure with an XML parser.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::drift::{DifferenceKind, Drift, SpecSide};
use crate::record::{ShownBody, StepRecord, StepStatus, Verdict};
use crate::report::coverage::CoverageSummary;
use crate::report::results::{RunResults, TrialResult, TrialStatus};

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem 1.5rem;color:#1f2328;background:#fff}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:1.6rem}
h3{font-size:1rem;margin:1.2rem 0 .4rem;color:#57606a}h1 code{font-size:inherit}
code,pre{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.5rem .7rem;overflow:auto;white-space:pre-wrap;word-break:break-word;margin:.3rem 0}
.meta{color:#57606a;margin:.2rem 0}
.counts{display:flex;gap:.6rem;list-style:none;padding:0;margin:.5rem 0}
.counts li{padding:.35rem .8rem;border-radius:6px;font-weight:600;background:#eaeef2}
.counts .passed,.badge.passed{background:#dafbe1;color:#116329}
.counts .failed,.badge.failed{background:#ffebe9;color:#a40e26}
.counts .ignored,.badge.ignored{background:#fff8c5;color:#7d4e00}
.badge{display:inline-block;min-width:4.2rem;text-align:center;border-radius:4px;padding:0 .3rem;font-size:12px;font-weight:600;margin-right:.4rem}
.badge.not-run,.badge.not-checked{background:#eaeef2;color:#57606a}
details.trial{border:1px solid #d0d7de;border-radius:6px;margin:.35rem 0;padding:.25rem .6rem}
details.trial.failed{border-color:#ff8182;border-left:4px solid #cf222e}
details.trial.ignored{border-left:4px solid #d4a72c}
details.trial>summary{cursor:pointer;padding:.2rem 0}
.title{color:#57606a}
.reason{background:#fff8c5;border-radius:4px;padding:.2rem .5rem;margin:.2rem 0 0 5rem;font-size:13px}
ol.steps{padding-left:1.4rem}
li.step{margin:.5rem 0;padding:.3rem .5rem;border-radius:6px}
li.step.failed{background:#fff5f5;outline:1px solid #ffcecb}
li.step.not-run{color:#8c959f}
.layers{margin:.2rem 0}
.layer{display:inline-block;font-size:12px;padding:0 .35rem;margin-right:.25rem;border-radius:4px;background:#eaeef2;color:#57606a}
.layer.passed{background:#dafbe1;color:#116329}
.layer.failed{background:#cf222e;color:#fff;font-weight:700}
.finding{color:#a40e26;margin:.15rem 0}
.diff .add{color:#116329;background:#dafbe1;display:block}.diff .del{color:#a40e26;background:#ffebe9;display:block}
table{border-collapse:collapse;font-size:12.5px}td,th{border-bottom:1px solid #eaeef2;padding:.15rem .5rem;text-align:left;vertical-align:top}
.hit{color:#116329}.miss{color:#a40e26}
.spec{font-weight:600}
";

/// The page.
pub fn render(results: &RunResults) -> String {
    let run = &results.run;
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>");
    let _ = write!(
        out,
        "<title>vlens-conformance on {} — {} failed, {} passed</title><style>{STYLE}</style></head><body>",
        escape(&run.target),
        results.summary.failed,
        results.summary.passed
    );
    let _ = write!(
        out,
        "<header><h1>vlens-conformance on <code>{}</code></h1><p class=\"meta\">{} · {} · started {} · {:.0} ms · vlens-conformance {} · spec {} (sha256 {})</p></header>",
        escape(&run.target),
        escape(&run.base_url),
        escape(&run.described_by),
        escape(&run.started),
        run.duration_ms,
        escape(&run.harness_version),
        escape(&run.spec_version),
        escape(&run.spec_sha256),
    );
    summary(&mut out, results);
    coverage(&mut out, &results.coverage);
    for drift in &results.drift {
        drift_section(&mut out, drift);
    }
    if let Some(calibration) = &results.calibration {
        out.push_str("<section id=\"calibration\"><h2>Calibration</h2><table><tr><th>error</th><th>spec</th><th>sent</th><th>HTTP</th><th>message</th><th>seen in</th></tr>");
        for (name, code) in &calibration.codes {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(name),
                code.spec_code,
                code.code
                    .map_or_else(|| "none".to_owned(), |c| c.to_string()),
                code.http_status,
                escape(&code.message),
                escape(&code.seen_in.join(", "))
            );
        }
        out.push_str("</table></section>");
    }
    trials(&mut out, &results.trials);
    out.push_str("</body></html>\n");
    out
}

fn summary(out: &mut String, results: &RunResults) {
    let s = results.summary;
    let _ = write!(
        out,
        "<section id=\"summary\"><h2>Summary</h2><ul class=\"counts\"><li class=\"total\">{} trials</li><li class=\"passed\">{} passed</li><li class=\"failed\">{} failed</li><li class=\"ignored\">{} ignored</li>",
        s.total, s.passed, s.failed, s.ignored
    );
    if s.filtered_out > 0 {
        let _ = write!(out, "<li>{} filtered out</li>", s.filtered_out);
    }
    out.push_str("</ul>");
    let failed: Vec<&TrialResult> = results
        .trials
        .iter()
        .filter(|t| t.status == TrialStatus::Failed)
        .collect();
    if !failed.is_empty() {
        out.push_str("<p>Failed: ");
        for (index, trial) in failed.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            let _ = write!(
                out,
                "<a href=\"#{}\">{}</a>",
                escape(&anchor(&trial.name)),
                escape(&trial.name)
            );
        }
        out.push_str("</p>");
    }
    out.push_str("</section>");
}

fn coverage(out: &mut String, coverage: &CoverageSummary) {
    let _ = write!(
        out,
        "<section id=\"coverage\"><h2>Coverage of openapi/vlens.yaml</h2><p>{}</p>",
        coverage.totals
    );
    if !coverage.codes_not_exercised.is_empty() {
        let _ = write!(
            out,
            "<p class=\"miss\">error codes not exercised: {}</p>",
            escape(&coverage.codes_not_exercised.join(", "))
        );
    }
    out.push_str("<details><summary>every operation</summary><table><tr><th>operation</th><th>responses</th><th>error codes</th><th>also</th></tr>");
    let marks = |marks: &[crate::report::coverage::Mark]| {
        marks
            .iter()
            .map(|m| {
                format!(
                    "<span class=\"{}\">{}{}</span>",
                    if m.exercised { "hit" } else { "miss" },
                    if m.exercised { '+' } else { '-' },
                    escape(&m.name)
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    for op in &coverage.operations {
        let _ = write!(
            out,
            "<tr><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if op.exercised { "hit" } else { "miss" },
            escape(&op.id),
            marks(&op.responses),
            marks(&op.error_codes),
            escape(&op.transport_errors.join(", "))
        );
    }
    out.push_str("</table></details></section>");
}

fn drift_section(out: &mut String, drift: &Drift) {
    let _ = write!(
        out,
        "<section class=\"drift\" id=\"drift-{}\"><h2>Drift: {} against {}</h2><p>{} snapshots in both; {} differences in {} of them; only in {}: {}; only in {}: {}</p>",
        escape(&drift.right),
        escape(&drift.left),
        escape(&drift.right),
        drift.compared,
        drift.differences(),
        drift.snapshots.len(),
        escape(&drift.left),
        drift.only_left.len(),
        escape(&drift.right),
        drift.only_right.len()
    );
    if !drift.snapshots.is_empty() {
        let _ = write!(
            out,
            "<table><tr><th>snapshot</th><th>pointer</th><th>{}</th><th>{}</th><th>the spec agrees with</th></tr>",
            escape(&drift.left),
            escape(&drift.right)
        );
        for snapshot in &drift.snapshots {
            for difference in &snapshot.differences {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td><td class=\"spec\">{}</td></tr>",
                    escape(&snapshot.name),
                    escape(&pointer_label(&difference.pointer, difference.kind)),
                    escape(difference.left.as_deref().unwrap_or("(absent)")),
                    escape(difference.right.as_deref().unwrap_or("(absent)")),
                    escape(&spec_side(difference.spec, drift))
                );
            }
        }
        out.push_str("</table>");
    }
    out.push_str("</section>");
}

fn pointer_label(pointer: &str, kind: DifferenceKind) -> String {
    match kind {
        DifferenceKind::Status => "HTTP status".to_owned(),
        DifferenceKind::ContentType => "content type".to_owned(),
        _ if pointer.is_empty() => "(body)".to_owned(),
        _ => pointer.to_owned(),
    }
}

/// Which side the spec agrees with, in words.
pub fn spec_side(side: SpecSide, drift: &Drift) -> String {
    match side {
        SpecSide::Left => drift.left.clone(),
        SpecSide::Right => drift.right.clone(),
        SpecSide::Both => "both".to_owned(),
        SpecSide::Neither => "neither".to_owned(),
        SpecSide::Undeclared => "neither: the spec does not declare it".to_owned(),
        SpecSide::Unknown => "(no case names the operation)".to_owned(),
    }
}

fn trials(out: &mut String, trials: &[TrialResult]) {
    out.push_str("<section id=\"trials\"><h2>Trials</h2>");
    let mut groups: BTreeMap<&str, Vec<&TrialResult>> = BTreeMap::new();
    for trial in trials {
        groups.entry(trial.group.as_str()).or_default().push(trial);
    }
    for (group, trials) in groups {
        let _ = write!(out, "<h3>{}</h3>", escape(group));
        for trial in trials {
            trial_block(out, trial);
        }
    }
    out.push_str("</section>");
}

fn status_name(status: TrialStatus) -> &'static str {
    match status {
        TrialStatus::Passed => "passed",
        TrialStatus::Failed => "failed",
        TrialStatus::Ignored => "ignored",
    }
}

fn trial_block(out: &mut String, trial: &TrialResult) {
    let status = status_name(trial.status);
    let _ = write!(
        out,
        "<details class=\"trial {status}\" id=\"{}\"{}><summary><span class=\"badge {status}\">{status}</span><code>{}</code> <span class=\"title\">{}</span> <span class=\"meta\">{:.0} ms</span>{}</summary>",
        escape(&anchor(&trial.name)),
        if trial.status == TrialStatus::Failed {
            " open=\"open\""
        } else {
            ""
        },
        escape(&trial.name),
        escape(trial.title.as_deref().unwrap_or("")),
        trial.duration_ms,
        // On the trial's own line: read at a glance, without opening it.
        trial
            .reason
            .as_ref()
            .map(|reason| format!("<div class=\"reason\">ignored: {}</div>", escape(reason)))
            .unwrap_or_default()
    );
    if let Some(file) = &trial.file {
        let _ = write!(out, "<p class=\"meta\">{}</p>", escape(file));
    }
    for problem in &trial.problems {
        let _ = write!(out, "<p class=\"finding\">{}</p>", escape(problem));
    }
    if trial.steps.is_empty() {
        if let Some(message) = &trial.message {
            let _ = write!(out, "<pre class=\"message\">{}</pre>", escape(message));
        }
    } else {
        out.push_str("<ol class=\"steps\">");
        for step in &trial.steps {
            step_block(out, step);
        }
        out.push_str("</ol>");
    }
    out.push_str("</details>");
}

fn step_block(out: &mut String, step: &StepRecord) {
    let status = match step.status {
        StepStatus::Passed => "passed",
        StepStatus::Failed => "failed",
        StepStatus::NotRun => "not-run",
    };
    let what = match &step.operation {
        Some(op) => format!("{} · {} {}", op.id, op.method, op.path),
        None => step.does.clone(),
    };
    let _ = write!(
        out,
        "<li class=\"step {status}\"><div><span class=\"badge {status}\">{status}</span><strong>{}</strong> <code>{}</code> <span class=\"meta\">line {} · {:.0} ms{}</span></div>",
        escape(&step.name),
        escape(&what),
        step.line,
        step.duration_ms,
        if step.attempts > 1 {
            format!(" · {} attempts", step.attempts)
        } else {
            String::new()
        }
    );
    if !step.layers.is_empty() {
        out.push_str("<div class=\"layers\">");
        for layer in &step.layers {
            let class = match layer.verdict {
                Verdict::Passed => "passed",
                Verdict::Failed => "failed",
                Verdict::NotChecked => "not-checked",
            };
            let _ = write!(
                out,
                "<span class=\"layer {class}\" title=\"{class}\">{}</span>",
                layer.layer
            );
        }
        out.push_str("</div>");
    }
    for finding in &step.findings {
        let at = if finding.pointer.is_empty() {
            "(root)"
        } else {
            &finding.pointer
        };
        let _ = write!(
            out,
            "<p class=\"finding\">[{}] at <code>{}</code>: {}{}</p>",
            finding.layer,
            escape(at),
            escape(&finding.message),
            finding
                .value
                .as_ref()
                .map(|v| format!(" — value <code>{}</code>", escape(v)))
                .unwrap_or_default()
        );
    }
    if let Some(message) = &step.message {
        let _ = write!(out, "<p class=\"finding\">{}</p>", escape(message));
    }
    if let Some(snapshot) = &step.snapshot {
        if snapshot.fails() {
            let _ = write!(
                out,
                "<p class=\"finding\">[snapshot] {}</p>",
                escape(&super::failure::snapshot_line(snapshot))
            );
        }
        if let Some(diff) = &snapshot.diff {
            out.push_str("<pre class=\"diff\">");
            for line in diff.lines() {
                let class = match line.as_bytes().first() {
                    Some(b'+') if !line.starts_with("+++") => " class=\"add\"",
                    Some(b'-') if !line.starts_with("---") => " class=\"del\"",
                    _ => "",
                };
                let _ = writeln!(out, "<span{class}>{}</span>", escape(line));
            }
            out.push_str("</pre>");
        }
    }
    let open = if step.status == StepStatus::Failed {
        " open=\"open\""
    } else {
        ""
    };
    if let Some(request) = &step.request {
        let mut text = String::new();
        for header in &request.headers {
            let _ = writeln!(text, "{}: {}", header.name, header.value);
        }
        if let Some(body) = &request.body {
            let _ = write!(text, "\n{}", pretty(body));
        }
        let _ = write!(
            out,
            "<details class=\"request\"{open}><summary>request: {} {}</summary><pre>{}</pre></details>",
            escape(&request.method),
            escape(&request.url),
            escape(&text)
        );
        if step.status == StepStatus::Failed {
            let (command, _) = super::curl::command(request);
            let _ = write!(
                out,
                "<details class=\"curl\" open=\"open\"><summary>resend it with curl</summary><pre>{}</pre></details>",
                escape(&command)
            );
        }
    }
    if let Some(reply) = &step.reply {
        let _ = write!(
            out,
            "<details class=\"reply\"{open}><summary>reply: HTTP {} {}</summary><pre>{}</pre></details>",
            reply.status,
            escape(reply.content_type.as_deref().unwrap_or("")),
            escape(
                &reply
                    .body
                    .as_ref()
                    .map_or_else(|| "(empty)".to_owned(), pretty)
            )
        );
    }
    out.push_str("</li>");
}

fn pretty(body: &ShownBody) -> String {
    match (&body.json, &body.text) {
        (Some(json), _) => serde_json::to_string_pretty(json).unwrap_or_default(),
        (None, Some(text)) => text.clone(),
        (None, None) => format!("[{} bytes]", body.bytes),
    }
}

/// The element id of a trial.
pub fn anchor(trial: &str) -> String {
    format!("trial-{trial}")
}

/// Text or an attribute value, escaped for HTML (and XML): `& < > " '`; characters XML cannot
/// hold become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in super::junit::xml_safe(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
