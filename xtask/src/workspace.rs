//! Where the workspace is, found at run time.
//!
//! The xtask binary may be shared between checkouts through a common `CARGO_TARGET_DIR`, so it
//! must not bake in the folder it was compiled in (`env!("CARGO_MANIFEST_DIR")`): it walks up
//! from the current directory to the `Cargo.toml` that declares `[workspace]`.

use std::path::{Path, PathBuf};

use crate::Error;

/// The files codegen reads and writes, relative to a workspace root.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The workspace root.
    pub root: PathBuf,
}

/// The spec, relative to the workspace root.
pub const SPEC: &str = "openapi/vlens.yaml";
/// progenitor's output, relative to the workspace root.
pub const GENERATED_CLIENT: &str = "client/src/generated.rs";
/// What the spec says beyond types and methods, relative to the workspace root.
pub const GENERATED_SPEC_META: &str = "client/src/generated_spec.rs";
/// Constructors and setters for request bodies, relative to the workspace root.
pub const GENERATED_BUILDERS: &str = "client/src/generated_builders.rs";
/// The sandbox control API's spec, relative to the workspace root.
pub const CONTROL_SPEC: &str = "openapi/sandbox-control.yaml";
/// The control API's client and types (progenitor), relative to the workspace root. They live in
/// `vlens-sandbox`: its handlers serve these types and its test kit calls through this client.
pub const GENERATED_CONTROL: &str = "sandbox/src/generated_control.rs";
/// Every spec codegen reads.
pub const SPECS: [&str; 2] = [SPEC, CONTROL_SPEC];
/// Every file codegen writes, in the order it writes them.
pub const GENERATED_FILES: [&str; 4] = [
    GENERATED_CLIENT,
    GENERATED_SPEC_META,
    GENERATED_BUILDERS,
    GENERATED_CONTROL,
];

/// The spec a generated file is made from.
pub fn source_of(generated: &str) -> &'static str {
    if generated == GENERATED_CONTROL {
        CONTROL_SPEC
    } else {
        SPEC
    }
}

impl Layout {
    /// A layout rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Finds the workspace that contains `start` (walking up to the first `Cargo.toml` with a
    /// `[workspace]` table).
    pub fn discover(start: &Path) -> Result<Self, Error> {
        for dir in start.ancestors() {
            let manifest = dir.join("Cargo.toml");
            if let Ok(text) = std::fs::read_to_string(&manifest)
                && text.lines().any(|line| line.trim() == "[workspace]")
            {
                return Ok(Self::new(dir));
            }
        }
        Err(Error::NoWorkspace {
            start: start.to_path_buf(),
        })
    }

    /// Absolute path of a workspace-relative file.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }
}
