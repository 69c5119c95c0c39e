//! Changes to the root `x-vlens-error-codes` table, which the client turns into
//! `KnownErrorCode` (`#[non_exhaustive]`: a new code is not a breaking change).

use vlens_openapi::{ApiSpec, ErrorCodeSpec};

use super::report::{Change, Level};

/// The error codes of both specs, compared by name (a name is a `KnownErrorCode` variant).
pub fn compare(old: &ApiSpec, new: &ApiSpec, out: &mut Vec<Change>) {
    let removed: Vec<&ErrorCodeSpec> = old
        .error_codes()
        .iter()
        .filter(|code| new.error_code(&code.name).is_none())
        .collect();
    let added: Vec<&ErrorCodeSpec> = new
        .error_codes()
        .iter()
        .filter(|code| old.error_code(&code.name).is_none())
        .collect();
    for code in &removed {
        let detail = match added.iter().find(|a| a.code == code.code) {
            Some(renamed) => format!(
                "renamed to `{}` ({}; `KnownErrorCode::{}` is gone)",
                renamed.name, code.code, code.name
            ),
            None => format!("removed (`KnownErrorCode::{}` is gone)", code.name),
        };
        out.push(Change {
            level: Level::Major,
            subject: format!("error code `{}`", code.name),
            detail,
        });
    }
    for code in old.error_codes() {
        let Some(now) = new.error_code(&code.name) else {
            continue;
        };
        let mut what = Vec::new();
        if code.code != now.code {
            what.push(format!("renumbered {} → {}", code.code, now.code));
        }
        if code.http_status != now.http_status {
            what.push(format!("HTTP {} → {}", code.http_status, now.http_status));
        }
        if code.message != now.message {
            what.push(format!(
                "message \"{}\" → \"{}\"",
                code.message, now.message
            ));
        }
        if code.source != now.source {
            what.push(format!(
                "source {} → {}",
                code.source.as_str(),
                now.source.as_str()
            ));
        }
        if !what.is_empty() {
            out.push(Change {
                level: Level::Patch,
                subject: format!("error code `{}`", code.name),
                detail: format!(
                    "{} (`KnownErrorCode::{}` stays)",
                    what.join("; "),
                    code.name
                ),
            });
        }
    }
    for code in added {
        if removed.iter().any(|r| r.code == code.code) {
            continue;
        }
        out.push(Change {
            level: Level::Minor,
            subject: format!("error code `{}`", code.name),
            detail: format!(
                "added ({}, HTTP {}: `KnownErrorCode::{}`)",
                code.code, code.http_status, code.name
            ),
        });
    }
}
