//! The JSON report: the run's results as data, under a format name and version, described by
//! the committed JSON Schema `conformance/report.schema.json`.

use serde::Serialize;

use crate::report::results::{REPORT_FORMAT_VERSION, RunResults};

/// The format's name, in every report.
pub const FORMAT: &str = "vlens-conformance-report";

#[derive(Serialize)]
struct Document<'a> {
    format: &'static str,
    version: u32,
    #[serde(flatten)]
    results: &'a RunResults,
}

/// The report as pretty JSON.
pub fn render(results: &RunResults) -> String {
    let document = Document {
        format: FORMAT,
        version: REPORT_FORMAT_VERSION,
        results,
    };
    serde_json::to_string_pretty(&document).unwrap_or_default() + "\n"
}
