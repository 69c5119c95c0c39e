//! Stage 6, reporting: what a run saw, kept apart from running it — the coverage table, the
//! calibration report, failure messages, the plan and the ignore reasons.

pub mod calibration;
pub mod coverage;
pub mod failure;
pub mod plan;
