//! The one kind of problem a case file can have: where it is and what is wrong. Reading,
//! linting, templates and planning all report with it, so every message has the same
//! `file:line:column: what` form.

use std::fmt;

/// A line and column (1-based); 0:0 when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// The line, from 1.
    pub line: u64,
    /// The column, from 1.
    pub column: u64,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A problem in a case file: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub at: Pos,
    /// What.
    pub message: String,
}

impl Problem {
    /// A problem at `at`.
    pub fn new(at: Pos, message: impl Into<String>) -> Problem {
        Problem {
            at,
            message: message.into(),
        }
    }

    /// `file:line:column: message`.
    pub fn in_file(&self, file: &str) -> String {
        format!("{file}:{}: {}", self.at, self.message)
    }
}
