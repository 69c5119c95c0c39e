//! Writing the generated files, or (`--check`) comparing them with what the spec produces.

use crate::workspace::{
    GENERATED_BUILDERS, GENERATED_CLIENT, GENERATED_CONTROL, GENERATED_SPEC_META, Layout, SPEC,
};
use crate::{Error, adjust, builders, constructors, control, generate, meta, spec};

/// What `run` does with the generated text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write files that differ.
    Write,
    /// Write nothing; report files that differ.
    Check,
}

/// What `run` found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every generated file already matches the spec.
    UpToDate,
    /// These files were rewritten (Write mode).
    Written(Vec<&'static str>),
    /// These files differ from what the spec produces (Check mode).
    Stale(Vec<&'static str>),
}

/// The generated files' contents, keyed by workspace-relative path.
pub fn render(layout: &Layout) -> Result<Vec<(&'static str, String)>, Error> {
    let spec_path = layout.path(SPEC);
    let spec = spec::load(&spec_path)?;
    let mut adjusted = spec.openapi.clone();
    adjust::drop_client_headers(&mut adjusted);
    let problems = adjust::mark_secrets(&mut adjusted, spec.api.secret_pointers());
    if !problems.is_empty() {
        return Err(Error::SpecProblems {
            path: spec_path.clone(),
            problems,
        });
    }
    let (client_tokens, generator) = generate::client_tokens(&adjusted)?;
    let mut client_file = generate::parse(GENERATED_CLIENT, client_tokens)?;
    let problems = constructors::restrict(&mut client_file);
    if !problems.is_empty() {
        return Err(Error::SpecProblems {
            path: spec_path.clone(),
            problems,
        });
    }
    let client = generate::render_file("progenitor 0.15.1's client", &client_file);
    let meta_tokens = meta::tokens(&spec, generator.get_type_space(), &client, &spec_path)?;
    let meta = generate::render(
        GENERATED_SPEC_META,
        "error codes, envelopes and the operation table",
        meta_tokens,
    )?;
    let builder_tokens =
        builders::tokens(&spec.api, &client_file).map_err(|problems| Error::SpecProblems {
            path: spec_path.clone(),
            problems,
        })?;
    let builders = generate::render(
        GENERATED_BUILDERS,
        "constructors and setters for request bodies",
        builder_tokens,
    )?;
    let control = control::render(layout)?;
    Ok(vec![
        (GENERATED_CLIENT, client),
        (GENERATED_SPEC_META, meta),
        (GENERATED_BUILDERS, builders),
        (GENERATED_CONTROL, control),
    ])
}

/// Generates, then writes or checks.
pub fn run(layout: &Layout, mode: Mode) -> Result<Outcome, Error> {
    let mut differing = Vec::new();
    for (file, text) in render(layout)? {
        let path = layout.path(file);
        let current = match std::fs::read_to_string(&path) {
            Ok(current) => Some(current),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(Error::Io { path, source }),
        };
        if current.as_deref() == Some(text.as_str()) {
            continue;
        }
        if mode == Mode::Write {
            std::fs::write(&path, text).map_err(|source| Error::Io { path, source })?;
        }
        differing.push(file);
    }
    Ok(match (differing.is_empty(), mode) {
        (true, _) => Outcome::UpToDate,
        (false, Mode::Write) => Outcome::Written(differing),
        (false, Mode::Check) => Outcome::Stale(differing),
    })
}
