//! `cargo xtask spec-diff OLD NEW`, and the report `cargo xtask codegen` prints: what changed
//! between two versions of the spec, for a caller of `vlens-client`. The format and the rules
//! are in `openapi/README.md` ("What a spec change means for callers"). `cargo xtask codegen`
//! reports the control spec the same way ([`control_since`]), for a caller of the control
//! client generated into `vlens-sandbox`.
//!
//! Hand-written: the OpenAPI diff crates (schemadoc-diff, oasdiff's ports) judge changes for an
//! HTTP client in general, while what breaks here is decided by the code progenitor and typify
//! generate — positional arguments, `Option` fields, merged `allOf`s, exhaustive enums, the
//! non-exhaustive `KnownErrorCode` — and by this project's extensions (`x-vlens-token`,
//! `x-vlens-error-codes`), which only `vlens-openapi` reads.
//!
//! - [`shape`] reduces schemas to the generated types' shape;
//! - [`operations`], [`types`] and [`codes`] find the changes of each kind;
//! - [`report`] weighs them and renders the report with a semver hint.

pub mod codes;
pub mod operations;
pub mod report;
pub mod shape;
pub mod types;

use std::path::Path;
use std::process::Command;

use vlens_openapi::ApiSpec;

pub use report::{Change, Level, Report};

use crate::Error;
use crate::workspace::{CONTROL_SPEC, Layout, SPEC};

/// The manifest whose version the semver hint is for.
pub const CLIENT_MANIFEST: &str = "client/Cargo.toml";
/// The manifest of the crate the control spec's client is generated into.
pub const SANDBOX_MANIFEST: &str = "sandbox/Cargo.toml";

/// Every change from `old` to `new`: operations, then types, then error codes.
pub fn compare(old: &ApiSpec, new: &ApiSpec) -> Report {
    let mut changes = Vec::new();
    operations::compare(old, new, &mut changes);
    types::compare(old, new, &mut changes);
    codes::compare(old, new, &mut changes);
    Report { changes }
}

/// The report of the workspace's spec against its text at git revision `rev`.
pub fn since(layout: &Layout, rev: &str) -> Result<String, Error> {
    let old_text = git_show(layout, rev, SPEC)?;
    let new_path = layout.path(SPEC);
    let new_text = read(&new_path)?;
    let old_name = format!("{rev}:{SPEC}");
    render(layout, (&old_name, &old_text), (SPEC, &new_text), rev)
}

/// The report of `new` against `old`, two spec files.
pub fn files(layout: Option<&Layout>, old: &Path, new: &Path) -> Result<String, Error> {
    let (old_text, new_text) = (read(old)?, read(new)?);
    let old_name = old.display().to_string();
    let new_name = new.display().to_string();
    let version = layout.and_then(client_version);
    let old_spec = crate::spec::read(old, &old_text)?;
    let new_spec = crate::spec::read(new, &new_text)?;
    Ok(compare(&old_spec, &new_spec).render(&new_name, &old_name, version.as_deref()))
}

/// The report of the workspace's control spec against its text at git revision `rev`, for a
/// caller of the control client generated into `vlens-sandbox`: the operations it generates
/// (tagged `control`) and the types they use; the hosted pages are not part of that client.
pub fn control_since(layout: &Layout, rev: &str) -> Result<String, Error> {
    let old_text = git_show(layout, rev, CONTROL_SPEC)?;
    let new_path = layout.path(CONTROL_SPEC);
    let new_text = read(&new_path)?;
    if old_text == new_text {
        return Ok(format!("{CONTROL_SPEC}: unchanged since {rev}\n"));
    }
    let old_name = format!("{rev}:{CONTROL_SPEC}");
    let old_spec = generated_control(Path::new(&old_name), &old_text)?;
    let new_spec = generated_control(&new_path, &new_text)?;
    let version = manifest_version(layout, SANDBOX_MANIFEST);
    Ok(compare(&old_spec, &new_spec).render_for(
        "vlens-sandbox",
        CONTROL_SPEC,
        rev,
        version.as_deref(),
    ))
}

/// The control spec with only the operations the control client is generated from.
fn generated_control(path: &Path, text: &str) -> Result<ApiSpec, Error> {
    let whole = crate::spec::read_as("sandbox-control", path, text)?;
    let mut document = whole.raw_document().clone();
    if let Some(paths) = document.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for item in paths.values_mut() {
            if let Some(item) = item.as_object_mut() {
                item.retain(|_, operation| {
                    operation.get("operationId").is_none()
                        || operation
                            .get("tags")
                            .and_then(|tags| tags.as_array())
                            .is_some_and(|tags| {
                                tags.iter().any(|t| t == crate::control::CONTROL_TAG)
                            })
                });
            }
        }
        paths.retain(|_, item| item.as_object().is_some_and(|item| !item.is_empty()));
    }
    // JSON is YAML: the reader takes the filtered document as text.
    crate::spec::read_as("sandbox-control", path, &document.to_string())
}

fn render(
    layout: &Layout,
    (old_name, old_text): (&str, &str),
    (new_name, new_text): (&str, &str),
    since: &str,
) -> Result<String, Error> {
    if old_text == new_text {
        return Ok(format!("{new_name}: unchanged since {since}\n"));
    }
    let old_spec = crate::spec::read(Path::new(old_name), old_text)?;
    let new_spec = crate::spec::read(Path::new(new_name), new_text)?;
    let version = client_version(layout);
    Ok(compare(&old_spec, &new_spec).render(new_name, since, version.as_deref()))
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// `git show REV:PATH` in the workspace.
fn git_show(layout: &Layout, rev: &str, path: &str) -> Result<String, Error> {
    let object = format!("{rev}:{path}");
    let output = Command::new("git")
        .arg("-C")
        .arg(&layout.root)
        .args(["show", &object])
        .output()
        .map_err(|source| Error::Git {
            what: format!("`git show {object}` did not run: {source}"),
        })?;
    if !output.status.success() {
        return Err(Error::Git {
            what: format!(
                "`git show {object}` failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    String::from_utf8(output.stdout).map_err(|_| Error::Git {
        what: format!("{object} is not UTF-8"),
    })
}

/// `package.version` of the client's manifest, if it can be read.
fn client_version(layout: &Layout) -> Option<String> {
    manifest_version(layout, CLIENT_MANIFEST)
}

/// `package.version` of a workspace-relative manifest, if it can be read.
fn manifest_version(layout: &Layout, manifest: &str) -> Option<String> {
    let text = std::fs::read_to_string(layout.path(manifest)).ok()?;
    let manifest: toml::Table = toml::from_str(&text).ok()?;
    manifest
        .get("package")?
        .get("version")?
        .as_str()
        .map(str::to_string)
}
