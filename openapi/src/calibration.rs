//! The calibration report: error numbers a real Vlens sent where the spec's number is this
//! project's guess. `vlens-conformance` writes it; `cargo xtask calibrate` folds it into
//! `openapi/vlens.yaml` as observed facts. The format is versioned ([`FORMAT`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The format's name and version, first in every report.
pub const FORMAT: &str = "vlens-conformance-calibration/1";

/// What a report says of one code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeReport {
    /// The number the server sent (`None`: an error envelope without a number).
    pub code: Option<i64>,
    /// The message it sent.
    pub message: String,
    /// The HTTP status.
    pub http_status: u16,
    /// The spec's (guessed) number when it was observed.
    pub spec_code: i64,
    /// Where it was met (`activation/expired_otp step 4`).
    pub seen_in: Vec<String>,
    /// Other numbers sent for the same name in the run (a server that is not consistent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_sent: Vec<i64>,
    /// The day it was observed (`2026-11-29`).
    pub date: String,
}

/// A calibration report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// [`FORMAT`].
    pub format: String,
    /// The target's name (a profile's `name`, `api.vlens.co-443`).
    pub target: String,
    /// Its base URL.
    pub base_url: String,
    /// The day of the run that wrote it last.
    pub date: String,
    /// By spec name.
    pub codes: BTreeMap<String, CodeReport>,
}

impl Report {
    /// Parses a report, refusing another format.
    pub fn parse(text: &str) -> Result<Report, String> {
        let report: Report = serde_json::from_str(text)
            .map_err(|error| format!("not a calibration report: {error}"))?;
        if report.format != FORMAT {
            return Err(format!("format `{}` is not `{FORMAT}`", report.format));
        }
        Ok(report)
    }
}
