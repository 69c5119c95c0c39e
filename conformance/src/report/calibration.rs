//! The calibration report: on a real Vlens, the error numbers the server sent where the spec's
//! number is this project's guess (`source: project`). Written as JSON (spec name → observed
//! code, message, HTTP status, target, date) and printed as a short table;
//! `cargo xtask calibrate REPORT` folds it into `openapi/vlens.yaml` as observed facts.
//!
//! Under nextest each case runs in its own process: a report is merged into the file under a
//! lock, so every process adds its observations.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::{Read as _, Seek as _, Write as _};
use std::path::Path;
use std::sync::{Mutex, PoisonError};

pub use vlens_openapi::calibration::{CodeReport, FORMAT, Report};

pub use crate::verify::expect::Observed;

/// The observations of one run.
#[derive(Debug, Default)]
pub struct Calibration {
    seen: Mutex<BTreeMap<String, CodeReport>>,
}

impl Calibration {
    /// Records an observation made at `place`.
    pub fn record(&self, observed: &Observed, place: &str) {
        let spec_code = vlens_openapi::vlens()
            .error_code(&observed.name)
            .map_or(0, |code| code.code);
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = seen
            .entry(observed.name.clone())
            .or_insert_with(|| CodeReport {
                code: observed.code,
                message: observed.message.clone(),
                http_status: observed.http_status,
                spec_code,
                seen_in: Vec::new(),
                also_sent: Vec::new(),
                date: today(),
            });
        if entry.code != observed.code
            && let Some(other) = observed.code
            && !entry.also_sent.contains(&other)
        {
            entry.also_sent.push(other);
        }
        if !entry.seen_in.iter().any(|known| known == place) {
            entry.seen_in.push(place.to_owned());
        }
    }

    /// Whether anything was observed.
    pub fn is_empty(&self) -> bool {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// This run's report.
    pub fn report(&self, target: &str, base_url: &str) -> Report {
        Report {
            format: FORMAT.to_owned(),
            target: target.to_owned(),
            base_url: base_url.to_owned(),
            date: today(),
            codes: self
                .seen
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the calibration report {path}: {message}")]
pub struct WriteError {
    /// The file.
    pub path: String,
    /// Why.
    pub message: String,
}

/// Writing and showing a report.
pub trait ReportExt {
    /// Merges this report into the file at `path` (created if missing) under an exclusive
    /// lock: codes observed now replace what the file said of them, the others stay. A file
    /// of another target is replaced.
    fn merge_into(&self, path: &Path) -> Result<Report, WriteError>;

    /// The short table printed after a run.
    fn table(&self) -> String;
}

impl ReportExt for Report {
    fn merge_into(&self, path: &Path) -> Result<Report, WriteError> {
        let fail = |message: String| WriteError {
            path: path.display().to_string(),
            message,
        };
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| fail(e.to_string()))?;
        file.lock().map_err(|e| fail(e.to_string()))?;
        let mut text = String::new();
        file.read_to_string(&mut text)
            .map_err(|e| fail(e.to_string()))?;
        let mut merged = match serde_json::from_str::<Report>(&text) {
            Ok(existing) if existing.format == FORMAT && existing.target == self.target => existing,
            _ => Report {
                codes: BTreeMap::new(),
                ..self.clone()
            },
        };
        merged.date.clone_from(&self.date);
        merged.base_url.clone_from(&self.base_url);
        for (name, code) in &self.codes {
            merged.codes.insert(name.clone(), code.clone());
        }
        let json = serde_json::to_string_pretty(&merged).map_err(|e| fail(e.to_string()))?;
        file.set_len(0).map_err(|e| fail(e.to_string()))?;
        file.rewind().map_err(|e| fail(e.to_string()))?;
        file.write_all(format!("{json}\n").as_bytes())
            .map_err(|e| fail(e.to_string()))?;
        Ok(merged)
    }

    fn table(&self) -> String {
        let mut out = String::new();
        let renumbered = self
            .codes
            .values()
            .filter(|code| code.code != Some(code.spec_code))
            .count();
        let _ = writeln!(
            out,
            "calibration on {} ({} guessed error codes met, {renumbered} numbered otherwise \
             than the spec):",
            self.target,
            self.codes.len()
        );
        for (name, code) in &self.codes {
            let sent = code
                .code
                .map_or_else(|| "no number".to_owned(), |code| code.to_string());
            let marker = if code.code == Some(code.spec_code) {
                "="
            } else {
                "≠"
            };
            let _ = writeln!(
                out,
                "  {name:<32} spec {:>5} {marker} sent {sent:>6}  HTTP {}  \"{}\"{}",
                code.spec_code,
                code.http_status,
                code.message,
                if code.also_sent.is_empty() {
                    String::new()
                } else {
                    format!("  (also sent: {:?})", code.also_sent)
                }
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(name: &str, code: i64) -> Observed {
        Observed {
            name: name.to_owned(),
            code: Some(code),
            message: "m".to_owned(),
            http_status: 200,
        }
    }

    #[test]
    fn observations_merge_across_runs_and_processes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/standin.json");
        let first = Calibration::default();
        first.record(&observed("OtpInvalid", 54201), "login/a step 2");
        first.record(&observed("OtpInvalid", 54201), "login/a step 2");
        first.record(&observed("OtpInvalid", 99), "login/b step 1");
        first
            .report("standin", "http://x")
            .merge_into(&path)
            .unwrap();
        let second = Calibration::default();
        second.record(&observed("OtpExpired", 54202), "activation/c step 4");
        let merged = second
            .report("standin", "http://x")
            .merge_into(&path)
            .unwrap();
        assert_eq!(merged.codes.len(), 2);
        let invalid = &merged.codes["OtpInvalid"];
        assert_eq!(invalid.code, Some(54201));
        assert_eq!(invalid.spec_code, 4201);
        assert_eq!(invalid.seen_in, ["login/a step 2", "login/b step 1"]);
        assert_eq!(invalid.also_sent, [99]);
        let table = merged.table();
        assert!(
            table.contains("OtpInvalid") && table.contains("54201"),
            "{table}"
        );
        // Another target's report is replaced, not merged.
        let other = Calibration::default();
        other.record(&observed("OtpExpired", 1), "x");
        let replaced = other
            .report("staging", "http://y")
            .merge_into(&path)
            .unwrap();
        assert_eq!(replaced.codes.len(), 1);
    }
}
