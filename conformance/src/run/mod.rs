//! Stage 4, running: one case's fixtures as its plan says, then each step — interpolate, send,
//! verify the reply ([`crate::verify`]), snapshot, capture — and, on a shared target, settling
//! what it left before its users go back to the pool.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::case::{DEFAULT_CASE_TIMEOUT, StepKind};
use crate::plan::Plan;
use crate::record::StepRecord;
use crate::redact::Secrets;
use crate::report::calibration::Calibration;
use crate::report::coverage::Coverage;
use crate::snapshot::SnapshotStore;
use crate::suite::LoadedCase;
use crate::target::Target;

pub(crate) mod fixtures;
mod http_step;
mod pending;
mod register;
pub(crate) mod remote;
pub mod request;
pub(crate) mod state;
pub(crate) mod steps;

use pending::PendingStep;
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
    /// Keep the request and reply of every step (reports show them); without it only a failing
    /// step's are kept, for its failure message.
    pub keep_exchanges: bool,
}

/// How a case ended, as data: every step (those never reached too) and what failed outside
/// them — secrets already redacted. [`crate::report::failure`] words it.
#[derive(Debug)]
pub struct CaseRun {
    /// Every step of the case, in order.
    pub steps: Vec<StepRecord>,
    /// Failures outside the steps' checks: fixtures, `vars`, the time limit, settling.
    pub problems: Vec<String>,
    /// Every secret value the case registered (for tests proving none leaked).
    pub secrets: Secrets,
    /// How long it took.
    pub duration: Duration,
}

impl CaseRun {
    /// Whether every step held and nothing else failed.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
            && self
                .steps
                .iter()
                .all(|step| step.status != crate::record::StepStatus::Failed)
    }
}

/// Runs one case as `plan` says; never panics on anything the case or the server does, and
/// stops it past its time limit (its `timeout`, or [`DEFAULT_CASE_TIMEOUT`], plus its waits).
pub async fn run_case(context: &RunContext<'_>, loaded: &LoadedCase, plan: &Plan) -> CaseRun {
    let started = Instant::now();
    let secrets = context.target.secrets.clone_for_case();
    let limit = loaded.case.timeout.unwrap_or(DEFAULT_CASE_TIMEOUT)
        + plan
            .waits
            .iter()
            .map(|(_, wait, _)| *wait)
            .sum::<Duration>();
    let mut pending = Vec::new();
    let mut problems = Vec::new();
    let run = run(context, loaded, plan, &secrets, &mut pending, &mut problems);
    if tokio::time::timeout(limit, run).await.is_err() {
        problems.push(format!(
            "the case did not finish within {} s (its `timeout`, default {} s, plus its waits)",
            limit.as_secs(),
            DEFAULT_CASE_TIMEOUT.as_secs()
        ));
    }
    let mut steps: Vec<StepRecord> = pending
        .into_iter()
        .map(|step| step.finish(&secrets, context.keep_exchanges))
        .collect();
    for (index, step) in loaded.case.steps.iter().enumerate().skip(steps.len()) {
        steps.push(PendingStep::new(index, step).not_run(&secrets));
    }
    CaseRun {
        steps,
        problems: problems
            .iter()
            .map(|problem| secrets.redact(problem))
            .collect(),
        secrets,
        duration: started.elapsed(),
    }
}

async fn run(
    context: &RunContext<'_>,
    loaded: &LoadedCase,
    plan: &Plan,
    secrets: &Secrets,
    pending: &mut Vec<PendingStep>,
    problems: &mut Vec<String>,
) {
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
    let lease = match fixtures::provide(&mut state, case, plan).await {
        Ok(lease) => lease,
        Err(message) => {
            problems.push(format!("fixtures could not be set up: {message}"));
            return;
        }
    };
    if let Err(message) = steps_of(context, loaded, &mut state, pending).await {
        problems.push(message);
    }
    if let Err(settling) = lease.settle(&mut state).await {
        problems.push(settling.to_string());
    }
}

/// Runs `vars`, then each step until one fails (a snapshot that is new or changed is reported
/// and the case goes on: the reply was right by every other layer). A failure of `vars` is the
/// error; a step's failure is in its record.
async fn steps_of(
    context: &RunContext<'_>,
    loaded: &LoadedCase,
    state: &mut State<'_>,
    pending: &mut Vec<PendingStep>,
) -> Result<(), String> {
    for (name, value) in &loaded.case.vars {
        let value = state
            .evaluate(value)
            .map_err(|message| format!("vars.{name}: {message}"))?;
        state.vars.insert(name.clone(), value);
    }
    for (index, step) in loaded.case.steps.iter().enumerate() {
        pending.push(PendingStep::new(index, step));
        let Some(record) = pending.last_mut() else {
            break;
        };
        let started = Instant::now();
        let done = match &step.kind {
            StepKind::Http(http) => {
                http_step::run(context, loaded, state, index, step, http, record).await
            }
            StepKind::Otp(otp) => steps::otp(state, otp).await,
            StepKind::Wait(wait) => steps::wait(state, wait).await,
            StepKind::Portal(portal) => steps::portal(state, portal).await,
        };
        record.duration = started.elapsed();
        if !record.conclude(done) {
            break;
        }
    }
    Ok(())
}
