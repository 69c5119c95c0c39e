//! A step while it runs: the raw request and reply, the findings, the snapshot check. When the
//! case is over it becomes a [`StepRecord`], redacted with every secret the case met by then
//! (a code read in a later step is hidden in an earlier reply too).

use std::time::Duration;

use crate::case::{Action, Step, StepKind};
use crate::http::{Reply, Request};
use crate::problem::Pos;
use crate::record::{
    OperationRef, ShownFinding, ShownReply, ShownRequest, ShownSnapshot, StepRecord, StepStatus,
    verdicts,
};
use crate::redact::Secrets;
use crate::snapshot::SnapshotOutcome;
use crate::verify::{Finding, Layer};

/// One step's raw results.
pub(crate) struct PendingStep {
    number: usize,
    name: String,
    at: Pos,
    does: String,
    operation: Option<OperationRef>,
    /// Failed until it concludes: a step the time limit cut short stays failed.
    pub(crate) status: StepStatus,
    pub(crate) duration: Duration,
    pub(crate) attempts: u32,
    pub(crate) request: Option<Request>,
    pub(crate) reply: Option<Reply>,
    pub(crate) applied: Vec<Layer>,
    pub(crate) findings: Vec<Finding>,
    pub(crate) snapshot: Option<SnapshotOutcome>,
    pub(crate) message: Option<String>,
}

impl PendingStep {
    /// Step `index` (from 0) of a case, not yet run.
    pub(crate) fn new(index: usize, step: &Step) -> PendingStep {
        let operation = match &step.kind {
            StepKind::Http(http) => match &http.action {
                Action::Call {
                    spec, operation, ..
                } => spec.spec().operation(operation).map(|op| OperationRef {
                    id: op.id.clone(),
                    method: op.method.clone(),
                    path: op.path.clone(),
                }),
                Action::Fetch { .. } => None,
            },
            _ => None,
        };
        PendingStep {
            number: index + 1,
            name: step.name.clone(),
            at: step.at,
            does: step.label(),
            operation,
            status: StepStatus::Failed,
            duration: Duration::ZERO,
            attempts: 0,
            request: None,
            reply: None,
            applied: Vec::new(),
            findings: Vec::new(),
            snapshot: None,
            message: None,
        }
    }

    /// Settles the step's status from how it ended; whether the case goes on. A new or changed
    /// snapshot fails the step but not the case's later steps.
    pub(crate) fn conclude(&mut self, done: Result<(), String>) -> bool {
        if let Err(message) = done {
            self.message = Some(message);
        }
        let snapshot_fails = self
            .snapshot
            .as_ref()
            .is_some_and(|snapshot| snapshot.verdict.fails());
        let stops = self.message.is_some() || !self.findings.is_empty();
        self.status = if stops || snapshot_fails {
            StepStatus::Failed
        } else {
            StepStatus::Passed
        };
        !stops
    }

    /// A step that was never reached.
    pub(crate) fn not_run(mut self, secrets: &Secrets) -> StepRecord {
        self.status = StepStatus::NotRun;
        self.finish(secrets, false)
    }

    /// The record, redacted. The request and reply are kept when `keep_exchange` says so, and
    /// always for a failed step (its failure message shows them).
    pub(crate) fn finish(self, secrets: &Secrets, keep_exchange: bool) -> StepRecord {
        let keep = keep_exchange || self.status == StepStatus::Failed;
        let mut applied = self.applied;
        if self.snapshot.is_some() {
            applied.push(Layer::Snapshot);
        }
        let findings: Vec<ShownFinding> = self
            .findings
            .iter()
            .map(|finding| ShownFinding::new(finding, secrets))
            .collect();
        let snapshot = self
            .snapshot
            .as_ref()
            .map(|snapshot| ShownSnapshot::new(snapshot, secrets));
        // The snapshot's verdict is its own; the other layers' come from their findings.
        let mut judged = self.findings;
        if snapshot.as_ref().is_some_and(ShownSnapshot::fails) {
            judged.push(Finding::new(Layer::Snapshot, "", String::new()));
        }
        StepRecord {
            number: self.number,
            name: secrets.redact(&self.name),
            line: self.at.line,
            column: self.at.column,
            does: self.does,
            operation: self.operation,
            status: self.status,
            duration_ms: self.duration.as_secs_f64() * 1000.0,
            attempts: self.attempts,
            request: self
                .request
                .as_ref()
                .filter(|_| keep)
                .map(|request| ShownRequest::new(request, secrets)),
            reply: self
                .reply
                .as_ref()
                .filter(|_| keep)
                .map(|reply| ShownReply::new(reply, secrets)),
            layers: if applied.is_empty() {
                Vec::new()
            } else {
                verdicts(&applied, &judged)
            },
            findings,
            snapshot,
            message: self
                .message
                .as_deref()
                .map(|message| secrets.redact(message)),
        }
    }
}
