//! Stage 6, reporting: what a run saw, kept apart from running it — the coverage table, the
//! calibration report, failure messages with the request and a `curl` to resend it, the plan
//! and the ignore reasons, and the JUnit, JSON and HTML reports of a whole run.

use std::path::{Path, PathBuf};

pub mod calibration;
pub mod coverage;
pub mod curl;
pub mod drift;
pub mod failure;
pub mod html;
pub mod json;
pub mod junit;
pub mod plan;
pub mod results;

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// JUnit XML.
    Junit,
    /// JSON (`conformance/report.schema.json`).
    Json,
    /// One self-contained HTML page.
    Html,
}

/// A report to write: `junit=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    /// The format.
    pub kind: ReportKind,
    /// Where.
    pub path: PathBuf,
}

impl ReportRequest {
    /// Parses `FORMAT=PATH`.
    pub fn parse(text: &str) -> Result<ReportRequest, String> {
        let (kind, path) = text
            .split_once('=')
            .filter(|(_, path)| !path.is_empty())
            .ok_or_else(|| {
                format!("a report is FORMAT=PATH (junit, json or html), not `{text}`")
            })?;
        let kind = match kind.trim() {
            "junit" => ReportKind::Junit,
            "json" => ReportKind::Json,
            "html" => ReportKind::Html,
            other => {
                return Err(format!(
                    "unknown report format `{other}` (junit, json or html){}",
                    crate::suggest::did_you_mean(other, ["junit", "json", "html"])
                ));
            }
        };
        Ok(ReportRequest {
            kind,
            path: PathBuf::from(path),
        })
    }

    /// Renders the report and writes it (creating its directory).
    pub fn write(&self, results: &results::RunResults) -> Result<(), String> {
        let text = match self.kind {
            ReportKind::Junit => junit::render(results),
            ReportKind::Json => json::render(results),
            ReportKind::Html => html::render(results),
        };
        write_file(&self.path, &text)
    }

    /// The format's name.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ReportKind::Junit => "junit",
            ReportKind::Json => "json",
            ReportKind::Html => "html",
        }
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    }
    std::fs::write(path, text).map_err(|error| format!("cannot write {}: {error}", path.display()))
}
