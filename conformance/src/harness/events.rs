//! `--format json` events, written here rather than by libtest-mimic: its events carry no
//! ignore reason and wrap a failure in a Debug-quoted `Error: "…"`. These keep libtest's shape
//! (`{"type": "test", "event": "failed", "name": …}`) and add `reason` to an ignored trial and
//! the failure as it is, in `message` (and in `stdout`, where libtest's consumers look).

use serde_json::json;

use crate::report::results::{Summary, TrialResult, TrialStatus};

/// Prints events to stdout, one JSON object a line (each `println!` is one locked write, and a
/// test harness around an inner run captures it).
#[derive(Debug, Default)]
pub struct Events;

impl Events {
    fn line(&self, event: serde_json::Value) {
        println!("{event}");
    }

    /// `{"type": "suite", "event": "started", "test_count": N}`.
    pub fn started(&self, count: usize) {
        self.line(json!({"type": "suite", "event": "started", "test_count": count}));
    }

    /// A trial's `started` and outcome events.
    pub fn trial(&self, trial: &TrialResult) {
        self.line(json!({"type": "test", "event": "started", "name": trial.name}));
        let mut event = json!({
            "type": "test",
            "name": trial.name,
            "event": match trial.status {
                TrialStatus::Passed => "ok",
                TrialStatus::Failed => "failed",
                TrialStatus::Ignored => "ignored",
            },
            "exec_time": trial.duration_ms / 1000.0,
        });
        if let Some(reason) = &trial.reason {
            event["reason"] = json!(reason);
        }
        if let Some(message) = trial
            .message
            .as_ref()
            .filter(|_| trial.status == TrialStatus::Failed)
        {
            event["message"] = json!(message);
            event["stdout"] = json!(message);
        }
        self.line(event);
    }

    /// The closing `suite` event.
    pub fn finished(&self, summary: &Summary, seconds: f64) {
        self.line(json!({
            "type": "suite",
            "event": if summary.failed > 0 { "failed" } else { "ok" },
            "passed": summary.passed,
            "failed": summary.failed,
            "ignored": summary.ignored,
            "measured": 0,
            "filtered_out": summary.filtered_out,
            "exec_time": seconds,
        }));
    }
}
