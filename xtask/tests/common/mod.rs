//! What the xtask's integration tests share: the real workspace, and a throw-away copy of its
//! specs and generated files to run the code generation in.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use xtask::Layout;
use xtask::workspace::{GENERATED_FILES, SPECS};

/// The workspace this xtask belongs to.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// A throw-away workspace holding copies of the specs and the generated files.
pub fn scratch_workspace() -> (tempfile::TempDir, Layout) {
    let dir = tempfile::tempdir().expect("temp dir");
    let real = Layout::new(workspace_root());
    for file in SPECS.into_iter().chain(GENERATED_FILES) {
        let target = dir.path().join(file);
        std::fs::create_dir_all(target.parent().expect("file has a parent")).expect("mkdir");
        std::fs::copy(real.path(file), &target).expect("copy");
    }
    let layout = Layout::new(dir.path());
    (dir, layout)
}
