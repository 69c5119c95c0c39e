//! Loading a directory of case files. A file that cannot be used becomes a [`BadFile`] with
//! every problem and its line and column; the other files load regardless.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::case::{Case, read_case};
use crate::problem::{Pos, Problem};
use crate::yaml::{Node, parse};

mod streamed;

pub use streamed::StreamedSuite;

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
    pub cases: Vec<Arc<LoadedCase>>,
    /// Files that do not.
    pub bad: Vec<BadFile>,
    /// The trial names of the files left unread ([`load_selected`]).
    pub unread: Vec<String>,
}

/// Loads every `*.yaml` and `*.yml` below `dir`, in path order. `shown_as` is how the directory
/// is named in messages (`conformance/cases`).
pub fn load(dir: &Path, shown_as: &str) -> Result<Suite, std::io::Error> {
    load_selected(dir, shown_as, |_| true)
}

/// [`load`], reading and linting only the files whose trial name `selected` keeps (a filtered
/// run pays for the cases it runs); the others are listed in [`Suite::unread`]. Two files
/// naming the same snapshot are only found among the files read.
pub fn load_selected(
    dir: &Path,
    shown_as: &str,
    selected: impl Fn(&str) -> bool,
) -> Result<Suite, std::io::Error> {
    Ok(StreamedSuite::start(dir, shown_as, selected)?
        .suite()
        .clone())
}

/// The case files below `dir` in path order, split into those `selected` keeps and the trial
/// names of the others.
fn case_files(
    dir: &Path,
    shown_as: &str,
    selected: impl Fn(&str) -> bool,
) -> Result<(Vec<CaseFile>, Vec<String>), std::io::Error> {
    let mut paths = Vec::new();
    collect(dir, &mut paths)?;
    paths.sort();
    let mut unread = Vec::new();
    let files = paths
        .into_iter()
        .map(|path| CaseFile::new(dir, shown_as, path))
        .filter_map(|file| {
            if selected(&file.trial) {
                Some(file)
            } else {
                unread.push(file.trial);
                None
            }
        })
        .collect();
    Ok((files, unread))
}

/// A file to load, and its names.
struct CaseFile {
    path: PathBuf,
    /// As shown in messages.
    file: String,
    trial: String,
}

impl CaseFile {
    fn new(dir: &Path, shown_as: &str, path: PathBuf) -> CaseFile {
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
        CaseFile { path, file, trial }
    }

    fn bad(&self, problems: Vec<Problem>) -> BadFile {
        BadFile {
            file: self.file.clone(),
            trial: self.trial.clone(),
            problems,
        }
    }

    /// The file's YAML.
    fn parse(&self) -> Result<Node, BadFile> {
        let text = read_text(&self.path)
            .map_err(|message| self.bad(vec![Problem::new(Pos::default(), message)]))?;
        parse(&text).map_err(|problem| {
            self.bad(vec![Problem::new(
                problem.at,
                format!("not valid YAML: {}", problem.message),
            )])
        })
    }

    /// The case in `root`, read and linted.
    fn read(&self, root: &Node) -> Result<LoadedCase, BadFile> {
        let case = read_case(root).map_err(|problems| self.bad(problems))?;
        let problems = crate::lint::lint(&case);
        if !problems.is_empty() {
            return Err(self.bad(problems));
        }
        Ok(LoadedCase {
            file: self.file.clone(),
            trial: self.trial.clone(),
            case,
        })
    }

    /// The case, read and linted from the file. A panic while reading it (a bug of the
    /// harness, not of the file) is the file's problem too, so that nothing waiting for this
    /// file waits forever.
    fn load(&self) -> Result<LoadedCase, BadFile> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.read(&self.parse()?)))
            .unwrap_or_else(|panic| {
                let message = crate::panics::message(&*panic).unwrap_or("a panic");
                Err(self.bad(vec![Problem::new(
                    Pos::default(),
                    format!("the harness failed reading it (a bug, please report): {message}"),
                )]))
            })
    }
}

/// The file's text, refusing one over [`MAX_CASE_FILE_BYTES`] before reading it, and anything
/// but a regular file (a FIFO named `x.yaml` would block the read, and the run, forever).
fn read_text(path: &Path) -> Result<String, String> {
    let metadata = std::fs::metadata(path).map_err(|error| format!("cannot be read: {error}"))?;
    if !metadata.is_file() {
        return Err("is not a regular file".to_owned());
    }
    let size = metadata.len();
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
    /// Files the harness read, in path order: a case, or a file that cannot be used.
    fn add(&mut self, result: Result<Arc<LoadedCase>, BadFile>) {
        match result {
            Ok(loaded) => self.cases.push(loaded),
            Err(bad) => self.bad.push(bad),
        }
    }
}

/// The snapshot names taken so far. Two steps, in any files, may not write the same snapshot:
/// the file that comes second in path order is bad. Files are admitted in path order.
#[derive(Debug, Default)]
struct SnapshotOwners {
    owners: BTreeMap<String, String>,
}

impl SnapshotOwners {
    /// `result`, or a bad file when one of its snapshots belongs to a file admitted before.
    fn admit(&mut self, result: Result<LoadedCase, BadFile>) -> Result<Arc<LoadedCase>, BadFile> {
        let loaded = result?;
        let mut problems = Vec::new();
        for step in &loaded.case.steps {
            if let Some(snapshot) = step.http().and_then(|http| http.snapshot.as_ref()) {
                let name = &snapshot.name;
                if let Some(owner) = self.owners.get(name) {
                    problems.push(Problem::new(
                        step.at,
                        format!("snapshot name `{name}` is already used by {owner}"),
                    ));
                } else {
                    self.owners.insert(name.clone(), loaded.file.clone());
                }
            }
        }
        if problems.is_empty() {
            Ok(Arc::new(loaded))
        } else {
            Err(BadFile {
                file: loaded.file,
                trial: loaded.trial,
                problems,
            })
        }
    }
}
