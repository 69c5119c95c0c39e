//! Case files loaded in the background, each handed over as soon as it is read and linted.
//!
//! Reading and linting a case file costs about 150 µs of CPU, so a suite of a few hundred files
//! would hold back the first request by tens of milliseconds if every file were loaded before
//! the first trial started. Instead the files load in the background, in path order (on every
//! core but one, interleaved), and a trial waits only for its own file and those before it,
//! which decide whether one of its snapshot names is already taken. The spec, which linting
//! needs, loads on a thread of its own meanwhile. std's threads, a mutex and a condition
//! variable do it without a thread-pool dependency.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

use super::{BadFile, CaseFile, LoadedCase, SnapshotOwners, Suite, case_files};

/// The case files of a directory, loading.
#[derive(Debug)]
pub struct StreamedSuite {
    /// The trial names of the files being read, in path order.
    names: Vec<String>,
    /// The trial names of the files left unread.
    unread: Vec<String>,
    state: Mutex<State>,
    /// Notified whenever a file is admitted.
    admitted: Condvar,
    whole: OnceLock<Suite>,
}

/// The files read so far.
#[derive(Debug)]
struct State {
    /// Loaded, by position, until its turn to be admitted.
    waiting: Vec<Option<Result<LoadedCase, BadFile>>>,
    /// The files admitted, in path order: every file before `admitted.len()` is final.
    admitted: Vec<Result<Arc<LoadedCase>, BadFile>>,
    owners: SnapshotOwners,
}

/// Files below this count are loaded by one thread: a thread costs tens of microseconds.
const FILES_PER_THREAD: usize = 8;

impl StreamedSuite {
    /// Lists the `*.yaml`/`*.yml` files below `dir` (only those whose trial name `selected`
    /// keeps are read) and starts loading them. `shown_as` names the directory in messages.
    pub fn start(
        dir: &Path,
        shown_as: &str,
        selected: impl Fn(&str) -> bool,
    ) -> Result<Arc<StreamedSuite>, std::io::Error> {
        let (suite, files) = StreamedSuite::listed(dir, shown_as, selected)?;
        // One core is left to the target's set-up and the first cases, which then start
        // without waiting for a scheduler's turn; files load faster than cases run, so one
        // loader keeps ahead of them on two cores.
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let loaders = files
            .len()
            .div_ceil(FILES_PER_THREAD)
            .clamp(1, cores.saturating_sub(1).max(1));
        suite.load_in_background(files, loaders);
        Ok(suite)
    }

    /// The suite of the files below `dir`, none loaded yet, and the files to load; the spec
    /// starts loading on a thread of its own.
    fn listed(
        dir: &Path,
        shown_as: &str,
        selected: impl Fn(&str) -> bool,
    ) -> Result<(Arc<StreamedSuite>, Vec<CaseFile>), std::io::Error> {
        // The spec, which linting needs, loads while the directory is listed and the first
        // files are parsed. One that does not load is reported by whatever uses it next.
        let spec = || {
            let _ = vlens_openapi::try_vlens();
            let _ = vlens_openapi::try_sandbox_control();
        };
        if std::thread::Builder::new().spawn(spec).is_err() {
            spec();
        }
        let (files, unread) = case_files(dir, shown_as, selected)?;
        let suite = Arc::new(StreamedSuite {
            names: files.iter().map(|file| file.trial.clone()).collect(),
            unread,
            state: Mutex::new(State {
                waiting: files.iter().map(|_| None).collect(),
                admitted: Vec::with_capacity(files.len()),
                owners: SnapshotOwners::default(),
            }),
            admitted: Condvar::new(),
            whole: OnceLock::new(),
        });
        Ok((suite, files))
    }

    /// Loads `files` on `loaders` threads, each taking every `loaders`-th file in path order.
    fn load_in_background(self: &Arc<Self>, files: Vec<CaseFile>, loaders: usize) {
        let files = Arc::new(files);
        let threads = loaders.max(1);
        for first in 0..threads {
            let (suite, files) = (Arc::clone(self), Arc::clone(&files));
            let load = move || {
                for index in (first..files.len()).step_by(threads) {
                    suite.put(index, files[index].load());
                }
            };
            // Without a thread the files load here, before the run.
            if std::thread::Builder::new().spawn(load.clone()).is_err() {
                load();
            }
        }
    }

    /// The trial names of the files being read, in path order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The trial names of the files left unread.
    pub fn unread(&self) -> &[String] {
        &self.unread
    }

    /// The file at `index` of [`Self::names`], once it and every file before it are loaded;
    /// `None` for an index past the last file.
    pub fn get(&self, index: usize) -> Option<Result<Arc<LoadedCase>, BadFile>> {
        if index >= self.names.len() {
            return None;
        }
        let mut state = self.lock();
        loop {
            if let Some(result) = state.admitted.get(index) {
                return Some(result.clone());
            }
            state = self
                .admitted
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// The whole suite, once every file is loaded: what [`super::load_selected`] returns.
    pub fn suite(&self) -> &Suite {
        self.whole.get_or_init(|| {
            let mut state = self.lock();
            while state.admitted.len() < self.names.len() {
                state = self
                    .admitted
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            let mut suite = Suite {
                unread: self.unread.clone(),
                ..Suite::default()
            };
            for result in &state.admitted {
                suite.add(result.clone());
            }
            suite
        })
    }

    /// Files `index` as loaded, and admits every file now next in path order.
    fn put(&self, index: usize, result: Result<LoadedCase, BadFile>) {
        let mut state = self.lock();
        if let Some(slot) = state.waiting.get_mut(index) {
            *slot = Some(result);
        }
        let before = state.admitted.len();
        loop {
            let next = state.admitted.len();
            let Some(result) = state.waiting.get_mut(next).and_then(Option::take) else {
                break;
            };
            let admitted = state.owners.admit(result);
            state.admitted.push(admitted);
        }
        if state.admitted.len() > before {
            self.admitted.notify_all();
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A case whose one step writes snapshot `snapshot`.
    fn case(snapshot: &str) -> String {
        format!(
            "name: snapshot {snapshot}\nsteps:\n  - operation: check-eligibility\n    \
             api_key: none\n    expect: {{error: Unauthorized}}\n    snapshot: {snapshot}\n"
        )
    }

    #[test]
    fn files_arrive_in_path_order_and_a_taken_snapshot_makes_the_later_file_bad() {
        let dir = tempfile::tempdir().unwrap();
        // Enough files for several loading threads; c07 takes c02's snapshot name.
        for n in 0..40 {
            let snapshot = if n == 7 {
                "s02".to_owned()
            } else {
                format!("s{n:02}")
            };
            std::fs::write(dir.path().join(format!("c{n:02}.yaml")), case(&snapshot)).unwrap();
        }
        std::fs::write(dir.path().join("c40.yaml"), "name: [unclosed").unwrap();
        // Three loaders, interleaved, whatever this machine's cores.
        let (suite, files) =
            StreamedSuite::listed(dir.path(), "cases", |name| name != "c39").unwrap();
        suite.load_in_background(files, 3);
        assert_eq!(suite.unread(), ["c39"]);
        assert_eq!(suite.names().len(), 40);
        // Asked for last first: it waits for every file before it.
        assert!(suite.get(39).unwrap().is_err_and(|bad| bad.trial == "c40"));
        let bad = suite.get(7).unwrap().unwrap_err();
        assert_eq!(bad.trial, "c07");
        assert_eq!(
            bad.problems[0].message,
            "snapshot name `s02` is already used by cases/c02.yaml"
        );
        assert_eq!(suite.get(2).unwrap().unwrap().trial, "c02");
        assert!(suite.get(40).is_none(), "not a file of the suite");
        let whole = suite.suite();
        assert_eq!(whole.cases.len(), 38);
        let bad: Vec<&str> = whole.bad.iter().map(|bad| bad.trial.as_str()).collect();
        assert_eq!(bad, ["c07", "c40"]);
        assert_eq!(whole.unread, ["c39"]);
        let names: Vec<&str> = whole.cases.iter().map(|c| c.trial.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "path order");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_named_like_a_case_file_is_a_bad_file_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), case("s-a")).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(dir.path().join("b.yaml"))
            .status()
            .unwrap();
        assert!(made.success());
        let suite = super::super::load(dir.path(), "cases").unwrap();
        assert_eq!(suite.cases.len(), 1);
        assert_eq!(suite.bad.len(), 1);
        assert_eq!(suite.bad[0].trial, "b");
        assert_eq!(suite.bad[0].problems[0].message, "is not a regular file");
    }

    #[test]
    fn an_empty_directory_is_an_empty_suite() {
        let dir = tempfile::tempdir().unwrap();
        let suite = StreamedSuite::start(dir.path(), "cases", |_| true).unwrap();
        assert!(suite.names().is_empty());
        let whole = suite.suite();
        assert!(whole.cases.is_empty() && whole.bad.is_empty());
    }
}
