//! How a failed case is shown on the terminal (and in full in the JUnit report): what failed
//! outside the steps, then each failing step — each layer's findings with pointer and value,
//! the snapshot, the request that was sent, the reply, and a `curl` command that resends the
//! request. Everything comes from the run's records, which are redacted already.

use std::fmt::Write as _;

use crate::record::{ShownBody, ShownReply, ShownRequest, StepRecord, StepStatus};
use crate::run::CaseRun;
use crate::snapshot::SnapshotVerdict;
use crate::suite::LoadedCase;

/// The most characters of a reply or request body a failure shows.
const SHOWN_BODY_LIMIT: usize = 1500;

/// The failure message of a case run, or `None` when it passed.
pub fn render(loaded: &LoadedCase, run: &CaseRun) -> Option<String> {
    if run.passed() {
        return None;
    }
    let mut out = format!("case `{}` ({})\n", loaded.case.name, loaded.file);
    for step in run
        .steps
        .iter()
        .filter(|step| step.status == StepStatus::Failed)
    {
        out.push_str(&step_failure(&loaded.file, step));
    }
    for problem in &run.problems {
        let _ = writeln!(out, "{problem}");
    }
    Some(out)
}

/// `step 2 `name` (operation: POST /path) at file:line:column`.
pub fn step_title(file: &str, step: &StepRecord) -> String {
    let what = match &step.operation {
        Some(op) => format!("{}: {} {}", op.id, op.method, op.path),
        None => step.does.clone(),
    };
    format!(
        "step {} `{}` ({what}) at {file}:{}:{}",
        step.number, step.name, step.line, step.column
    )
}

/// One failed step: findings, snapshot, message, request, reply, curl.
pub fn step_failure(file: &str, step: &StepRecord) -> String {
    let mut out = format!("{} failed:\n", step_title(file, step));
    for finding in &step.findings {
        let at = if finding.pointer.is_empty() {
            "(root)"
        } else {
            &finding.pointer
        };
        let _ = writeln!(out, "  [{}] at `{at}`: {}", finding.layer, finding.message);
        if let Some(value) = &finding.value {
            let _ = writeln!(out, "      value: {}", truncate(value, 300));
        }
    }
    if let Some(snapshot) = step.snapshot.as_ref().filter(|snapshot| snapshot.fails()) {
        let _ = writeln!(out, "  [snapshot] {}", snapshot_line(snapshot));
        if let Some(diff) = &snapshot.diff {
            for line in diff.lines() {
                let _ = writeln!(out, "      {line}");
            }
        }
    }
    if let Some(message) = &step.message {
        let _ = writeln!(out, "  {message}");
    }
    if let Some(request) = &step.request {
        out.push_str(&request_text(request));
    }
    if let Some(reply) = &step.reply {
        let _ = writeln!(out, "  reply: {}", reply_line(reply));
    }
    if let Some(request) = &step.request {
        let (command, variables) = super::curl::command(request);
        if variables.is_empty() {
            let _ = writeln!(out, "  resend it:");
        } else {
            let _ = writeln!(out, "  resend it (with {} set):", variables.join(", "));
        }
        let _ = writeln!(out, "    {command}");
    }
    out
}

/// The one line a failing snapshot gets.
pub fn snapshot_line(snapshot: &crate::record::ShownSnapshot) -> String {
    let mut line = match snapshot.verdict {
        SnapshotVerdict::New => format!(
            "new snapshot `{}` for target `{}`: record with INSTA_UPDATE=always or `cargo insta review`",
            snapshot.name, snapshot.target
        ),
        _ => format!(
            "snapshot `{}` for target `{}` changed ({}): review with `cargo insta review`, or record with INSTA_UPDATE=always",
            snapshot.name, snapshot.target, snapshot.file
        ),
    };
    if let Some(error) = &snapshot.error {
        let _ = write!(line, " ({error})");
    }
    line
}

/// The request, one header a line, then the body.
pub fn request_text(request: &ShownRequest) -> String {
    let mut out = format!("  request: {} {}\n", request.method, request.url);
    for header in &request.headers {
        let _ = writeln!(out, "    {}: {}", header.name, header.value);
    }
    if let Some(body) = &request.body {
        let _ = writeln!(out, "    {}", truncate(&body_text(body), SHOWN_BODY_LIMIT));
    }
    out
}

/// `HTTP 200 application/json: {...}`.
pub fn reply_line(reply: &ShownReply) -> String {
    format!(
        "HTTP {} {}: {}",
        reply.status,
        reply.content_type.as_deref().unwrap_or("(no content type)"),
        reply.body.as_ref().map_or_else(
            || "(empty)".to_owned(),
            |body| truncate(&body_text(body), SHOWN_BODY_LIMIT)
        )
    )
}

/// A body as one line of text (JSON compact).
pub fn body_text(body: &ShownBody) -> String {
    match (&body.json, &body.text) {
        (Some(json), _) => json.to_string(),
        (None, Some(text)) => text.clone(),
        (None, None) => format!("[{} bytes]", body.bytes),
    }
}

fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let cut: String = text.chars().take(limit).collect();
    format!("{cut}… ({} characters in all)", text.chars().count())
}
