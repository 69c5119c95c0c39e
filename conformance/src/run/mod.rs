//! Stage 4, running: one case's fixtures as its plan says, then each step — interpolate, send,
//! verify the reply ([`crate::verify`]), snapshot, capture — and, on a shared target, settling
//! what it left before its users go back to the pool.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::case::{Action, DEFAULT_CASE_TIMEOUT, HttpStep, SpecKind, Step, StepKind};
use crate::plan::Plan;
use crate::redact::Secrets;
use crate::report::calibration::Calibration;
use crate::report::coverage::Coverage;
use crate::snapshot::{SnapshotStore, normalize, normalize_text};
use crate::suite::LoadedCase;
use crate::target::Target;
use crate::verify::{self, Finding};

pub(crate) mod fixtures;
mod register;
pub(crate) mod remote;
pub mod request;
pub(crate) mod state;
pub(crate) mod steps;

use crate::http::{self, Reply};
use state::State;

/// What a case run needs besides the case.
#[derive(Debug)]
pub struct RunContext<'a> {
    /// The server.
    pub target: &'a Target,
    /// Where replies are counted.
    pub coverage: &'a Coverage,
    /// Where snapshots are.
    pub snapshots: &'a SnapshotStore,
    /// Where guessed error numbers are observed (a real Vlens).
    pub calibration: &'a Calibration,
}

/// How a case ended, with the secrets it met (for tests proving none leaked).
#[derive(Debug)]
pub struct CaseRun {
    /// `Err` holds the failure message, secrets already redacted.
    pub result: Result<(), String>,
    /// Every secret value the case registered.
    pub secrets: Secrets,
}

/// Runs one case as `plan` says; never panics on anything the case or the server does, and
/// stops it past its time limit (its `timeout`, or [`DEFAULT_CASE_TIMEOUT`], plus its waits).
pub async fn run_case(context: &RunContext<'_>, loaded: &LoadedCase, plan: &Plan) -> CaseRun {
    let secrets = context.target.secrets.clone_for_case();
    let limit = loaded.case.timeout.unwrap_or(DEFAULT_CASE_TIMEOUT)
        + plan
            .waits
            .iter()
            .map(|(_, wait, _)| *wait)
            .sum::<Duration>();
    let result = match tokio::time::timeout(limit, run(context, loaded, plan, &secrets)).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "the case did not finish within {} s (its `timeout`, default {} s, plus its waits)\n",
            limit.as_secs(),
            DEFAULT_CASE_TIMEOUT.as_secs()
        )),
    };
    let result = result.map_err(|message| {
        let mut text = format!("case `{}` ({})\n", loaded.case.name, loaded.file);
        text.push_str(&message);
        secrets.redact(&text)
    });
    CaseRun { result, secrets }
}

async fn run(
    context: &RunContext<'_>,
    loaded: &LoadedCase,
    plan: &Plan,
    secrets: &Secrets,
) -> Result<(), String> {
    let case = &loaded.case;
    let mut state = State {
        target: context.target,
        case,
        file: &loaded.file,
        vars: BTreeMap::new(),
        secrets: secrets.clone(),
        main: context.target.main.clone(),
        other: context.target.other.clone(),
        users: BTreeMap::new(),
        admin_token: None,
        created: Vec::new(),
    };
    let lease = fixtures::provide(&mut state, case, plan)
        .await
        .map_err(|message| format!("fixtures could not be set up: {message}\n"))?;
    let outcome = steps_of(context, loaded, &mut state).await;
    let settled = lease.settle(&mut state).await;
    match (outcome, settled) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(failure), Ok(())) => Err(failure),
        (Ok(()), Err(settling)) => Err(format!("{settling}\n")),
        (Err(failure), Err(settling)) => Err(format!("{failure}also: {settling}\n")),
    }
}

async fn steps_of(
    context: &RunContext<'_>,
    loaded: &LoadedCase,
    state: &mut State<'_>,
) -> Result<(), String> {
    for (name, value) in &loaded.case.vars {
        let value = state
            .evaluate(value)
            .map_err(|message| format!("vars.{name}: {message}\n"))?;
        state.vars.insert(name.clone(), value);
    }
    for (index, step) in loaded.case.steps.iter().enumerate() {
        let title = step_title(loaded, index, step);
        // An HTTP step's failure is a whole report already; the others are one line.
        let done = match &step.kind {
            StepKind::Http(http) => {
                run_http_step(context, loaded, state, &title, index, step, http).await?;
                continue;
            }
            StepKind::Otp(otp) => steps::otp(state, otp).await,
            StepKind::Wait(wait) => steps::wait(state, wait).await,
            StepKind::Portal(portal) => steps::portal(state, portal).await,
        };
        done.map_err(|message| format!("{title}: {message}\n"))?;
    }
    Ok(())
}

fn step_title(loaded: &LoadedCase, index: usize, step: &Step) -> String {
    let what = match &step.kind {
        StepKind::Http(http) => match &http.action {
            Action::Call {
                spec, operation, ..
            } => match spec.spec().operation(operation) {
                Some(op) => format!("{operation}: {} {}", op.method, op.path),
                None => operation.clone(),
            },
            Action::Fetch { .. } => "fetch".to_owned(),
        },
        _ => step.label(),
    };
    format!(
        "step {} `{}` ({what}) at {}:{}",
        index + 1,
        step.name,
        loaded.file,
        step.at
    )
}

async fn run_http_step(
    context: &RunContext<'_>,
    loaded: &LoadedCase,
    state: &mut State<'_>,
    title: &str,
    index: usize,
    step: &Step,
    http: &HttpStep,
) -> Result<(), String> {
    let request = request::build(state, http)
        .map_err(|message| format!("{title} could not be sent: {message}\n"))?;
    let attempts = 1 + http.retry.map_or(0, |(retry, _)| retry.count);
    let mut last = None;
    for attempt in 0..attempts {
        if attempt > 0
            && let Some((retry, _)) = http.retry
        {
            tokio::time::sleep(retry.interval).await;
        }
        let reply = http::send(state.target, &request)
            .await
            .map_err(|message| format!("{title}: no reply: {message}\n"))?;
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
        let mut findings = verify::check_reply(http, &request, &reply, &state.target.base_url);
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
        findings.extend(expected);
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
        let done = findings.is_empty();
        if done && let Some(observed) = &observed {
            context
                .calibration
                .record(observed, &format!("{} step {}", loaded.trial, index + 1));
        }
        last = Some((reply, findings));
        if done {
            break;
        }
    }
    let Some((reply, mut findings)) = last else {
        return Err(format!("{title}: nothing was sent\n"));
    };
    if findings.is_empty()
        && let Some(snapshot) = &http.snapshot
    {
        let content = snapshot_content(state, &reply, &snapshot.vary);
        let description = format!("{} — step {} `{}`", loaded.case.name, index + 1, step.name);
        if let Err(message) = context.snapshots.check(
            &snapshot.name,
            Path::new(&loaded.file),
            &description,
            &content,
        ) {
            findings.push(Finding::new("snapshot", "", message));
        }
    }
    if !findings.is_empty() {
        return Err(crate::report::failure::describe(
            &state.secrets,
            title,
            &findings,
            &reply,
        ));
    }
    capture(state, http, &reply).map_err(|message| format!("{title}: {message}\n"))?;
    remember_created(state, http, &reply);
    Ok(())
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
