//! Loading a directory of case files. A file that cannot be used becomes a [`BadFile`] with
//! every problem and its line and column; the other files load regardless.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::case::{Case, read_case};
use crate::problem::{Pos, Problem};
use crate::yaml::parse;

/// The largest case file read: far above any real case (the biggest is a few KB), small
/// enough that a mistaken path (a log, a device file) cannot exhaust memory.
pub const MAX_CASE_FILE_BYTES: u64 = 256 * 1024;

/// A loaded case and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    /// The file, as shown in messages (`conformance/cases/location/far.yaml`).
    pub file: String,
    /// The trial name: the path under the cases directory without `.yaml` (`location/far`).
    pub trial: String,
    /// The case.
    pub case: Case,
}

/// A case file that cannot be used.
#[derive(Debug, Clone)]
pub struct BadFile {
    /// The file, as shown in messages.
    pub file: String,
    /// The trial name.
    pub trial: String,
    /// What is wrong, in file order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for BadFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} is not a usable case:", self.file)?;
        for problem in &self.problems {
            writeln!(f, "  {}", problem.in_file(&self.file))?;
        }
        Ok(())
    }
}

/// Every case file of a directory.
#[derive(Debug, Clone, Default)]
pub struct Suite {
    /// Cases that load.
    pub cases: Vec<LoadedCase>,
    /// Files that do not.
    pub bad: Vec<BadFile>,
}

/// Loads every `*.yaml` and `*.yml` below `dir`, in path order. `shown_as` is how the directory
/// is named in messages (`conformance/cases`).
pub fn load(dir: &Path, shown_as: &str) -> Result<Suite, std::io::Error> {
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    files.sort();
    let mut suite = Suite::default();
    for path in files {
        let relative = path.strip_prefix(dir).unwrap_or(&path);
        let relative_text = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let file = format!("{}/{relative_text}", shown_as.trim_end_matches('/'));
        let trial = relative_text
            .trim_end_matches(".yaml")
            .trim_end_matches(".yml")
            .to_owned();
        let problems = match read_text(&path) {
            Err(message) => vec![Problem::new(Pos::default(), message)],
            Ok(text) => match parse(&text) {
                Err(problem) => vec![Problem::new(
                    problem.at,
                    format!("not valid YAML: {}", problem.message),
                )],
                Ok(root) => match read_case(&root).and_then(|case| {
                    let problems = crate::lint::lint(&case);
                    if problems.is_empty() {
                        Ok(case)
                    } else {
                        Err(problems)
                    }
                }) {
                    Ok(case) => {
                        suite.cases.push(LoadedCase { file, trial, case });
                        continue;
                    }
                    Err(problems) => problems,
                },
            },
        };
        suite.bad.push(BadFile {
            file,
            trial,
            problems,
        });
    }
    suite.reject_duplicate_snapshots();
    Ok(suite)
}

/// The file's text, refusing one over [`MAX_CASE_FILE_BYTES`] before reading it.
fn read_text(path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path)
        .map_err(|error| format!("cannot be read: {error}"))?
        .len();
    if size > MAX_CASE_FILE_BYTES {
        return Err(format!(
            "is {size} bytes, over the limit of {MAX_CASE_FILE_BYTES} for a case file"
        ));
    }
    std::fs::read_to_string(path).map_err(|error| format!("cannot be read: {error}"))
}

/// Every `*.yaml`/`*.yml` below `dir`. A symbolic link to a directory is not followed: a link
/// to `.` or a parent would make the walk endless or load the same cases many times.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), std::io::Error> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // `DirEntry::file_type` does not follow links.
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect(&path, files)?;
        } else if (!kind.is_symlink() || path.is_file())
            && path
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
        {
            files.push(path);
        }
    }
    Ok(())
}

impl Suite {
    /// Two steps, in any files, may not write the same snapshot: the second file is bad.
    fn reject_duplicate_snapshots(&mut self) {
        let mut owners: BTreeMap<String, String> = BTreeMap::new();
        let mut kept = Vec::new();
        for loaded in std::mem::take(&mut self.cases) {
            let mut problems = Vec::new();
            for step in &loaded.case.steps {
                if let Some(snapshot) = step.http().and_then(|http| http.snapshot.as_ref()) {
                    let name = &snapshot.name;
                    if let Some(owner) = owners.get(name) {
                        problems.push(Problem::new(
                            step.at,
                            format!("snapshot name `{name}` is already used by {owner}"),
                        ));
                    } else {
                        owners.insert(name.clone(), loaded.file.clone());
                    }
                }
            }
            if problems.is_empty() {
                kept.push(loaded);
            } else {
                self.bad.push(BadFile {
                    file: loaded.file,
                    trial: loaded.trial,
                    problems,
                });
            }
        }
        self.cases = kept;
    }
}
