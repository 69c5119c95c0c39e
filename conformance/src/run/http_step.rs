//! An HTTP step: build the request, send it (again, for a `retry`), verify the reply in its
//! layers, check the snapshot, capture — everything it saw kept in its [`PendingStep`].

use std::path::Path;

use serde_json::Value;

use crate::case::{Action, HttpStep, SpecKind, Step};
use crate::http::{self, Reply};
use crate::run::RunContext;
use crate::run::pending::PendingStep;
use crate::run::request;
use crate::run::state::State;
use crate::snapshot::{normalize, normalize_text};
use crate::suite::LoadedCase;
use crate::verify;

/// Runs one HTTP step; `Err` is a failure no layer words (it could not be sent, no reply, a
/// capture). Layer findings and the snapshot are left in `record`.
pub(crate) async fn run(
    context: &RunContext<'_>,
    loaded: &LoadedCase,
    state: &mut State<'_>,
    index: usize,
    step: &Step,
    http: &HttpStep,
    record: &mut PendingStep,
) -> Result<(), String> {
    let request =
        request::build(state, http).map_err(|message| format!("could not be sent: {message}"))?;
    let request = &*record.request.insert(request);
    let attempts = 1 + http.retry.map_or(0, |(retry, _)| retry.count);
    let mut last = None;
    let mut sent = 0;
    for attempt in 0..attempts {
        if attempt > 0
            && let Some((retry, _)) = http.retry
        {
            tokio::time::sleep(retry.interval).await;
        }
        sent += 1;
        let reply = match http::send(state.target, request).await {
            Ok(reply) => reply,
            Err(message) => {
                record.attempts = sent;
                return Err(format!("no reply: {message}"));
            }
        };
        if let Some(json) = &reply.json {
            state.secrets.add_from_json(json);
            if let Some((_, id)) = &request.operation
                && crate::redact::is_secret_data(id)
                && let Some(data) = json.get("data").and_then(Value::as_str)
                // A link's secret is its SecurityHash, registered on its own: the rest of the
                // link is worth showing.
                && data.len() >= 16
                && !data.contains("://")
            {
                state.secrets.add(data, "token");
            }
        }
        let mut checked = verify::check_reply(http, request, &reply, &state.target.base_url);
        let (expected, observed) = verify::expect::check(
            &verify::expect::Context {
                scope: state,
                file: state.file,
                secrets: &state.secrets,
                calibrating: !state.target.has_control_api(),
            },
            &http.expect,
            &reply,
        );
        checked.applied.push(verify::Layer::Expectation);
        checked.findings.extend(expected);
        let code = match (&observed, &http.expect.outcome) {
            // Observed under another number: counted as the error it is.
            (Some(_), crate::case::Outcome::Error { code, .. }) => Some(*code),
            _ => reply
                .json
                .as_ref()
                .and_then(|json| json.get("error_code"))
                .and_then(Value::as_i64),
        };
        context.coverage.record_request(
            &state.target.base_url,
            request
                .operation
                .as_ref()
                .map(|(spec, id)| (*spec, id.as_str())),
            &request.url,
            reply.status,
            code,
        );
        let done = checked.findings.is_empty();
        if done && let Some(observed) = &observed {
            context
                .calibration
                .record(observed, &format!("{} step {}", loaded.trial, index + 1));
        }
        last = Some((reply, checked));
        if done {
            break;
        }
    }
    record.attempts = sent;
    let Some((reply, checked)) = last else {
        return Err("nothing was sent".to_owned());
    };
    record.applied = checked.applied;
    record.findings = checked.findings;
    if record.findings.is_empty()
        && let Some(snapshot) = &http.snapshot
    {
        let content = snapshot_content(state, &reply, &snapshot.vary);
        let description = format!("{} — step {} `{}`", loaded.case.name, index + 1, step.name);
        record.snapshot = Some(context.snapshots.check(
            &snapshot.name,
            Path::new(&loaded.file),
            &description,
            &content,
        ));
    }
    let captured = if record.findings.is_empty() {
        capture(state, http, &reply).map(|()| remember_created(state, http, &reply))
    } else {
        Ok(())
    };
    record.reply = Some(reply);
    captured
}

/// A Create that succeeded made a request its sender owns: settled after the case.
fn remember_created(state: &mut State<'_>, http: &HttpStep, reply: &Reply) {
    let Action::Call {
        spec: SpecKind::Vlens,
        operation,
        ..
    } = &http.action
    else {
        return;
    };
    if operation != "create-business-request" {
        return;
    }
    let Some(id) = reply
        .json
        .as_ref()
        .and_then(|json| json.pointer("/data/id"))
        .and_then(Value::as_str)
    else {
        return;
    };
    let owner = match &http.identity {
        crate::case::Identity::User(name) => Some(name.clone()),
        crate::case::Identity::Default => {
            match state.case.default_identity(SpecKind::Vlens, operation) {
                crate::case::Identity::User(name) => Some(name),
                _ => None,
            }
        }
        _ => None,
    };
    if let Some(owner) = owner {
        state.created.push((id.to_owned(), owner));
    }
}

fn capture(state: &mut State<'_>, http: &HttpStep, reply: &Reply) -> Result<(), String> {
    for capture in &http.captures {
        let value = reply
            .json
            .as_ref()
            .and_then(|json| json.pointer(&capture.pointer))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "capture `{}`: the reply has nothing at `{}`",
                    capture.name, capture.pointer
                )
            })?;
        if capture.secret
            && let Some(text) = value.as_str()
        {
            state.secrets.add(text, "secret");
        }
        state.vars.insert(capture.name.clone(), value);
    }
    Ok(())
}

fn snapshot_content(state: &State<'_>, reply: &Reply, vary: &[String]) -> String {
    let base = &state.target.base_url;
    let body = match &reply.json {
        Some(json) => {
            let mut json = json.clone();
            for pointer in vary {
                if let Some(value) = json.pointer_mut(pointer) {
                    *value = Value::String("[varies]".to_owned());
                }
            }
            let normalized = normalize(&json, base, &state.secrets);
            serde_json::to_string_pretty(&normalized).unwrap_or_default()
        }
        None => normalize_text(&String::from_utf8_lossy(&reply.body), base, &state.secrets),
    };
    format!(
        "status: {}\ncontent-type: {}\n\n{body}",
        reply.status,
        reply.content_type.as_deref().unwrap_or("none")
    )
}
