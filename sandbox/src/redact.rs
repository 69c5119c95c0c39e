//! `Debug` output for values that hold secrets.

use std::fmt;

/// Shows `[REDACTED]` (or `None`) in place of a secret.
pub(crate) struct Redacted<'a, T>(pub &'a Option<T>);

impl<T> fmt::Debug for Redacted<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(_) => f.write_str("Some([REDACTED])"),
            None => f.write_str("None"),
        }
    }
}
