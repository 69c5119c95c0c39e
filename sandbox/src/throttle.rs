//! Throttling counters: how many OTPs, wrong OTP codes and wrong passwords a key had in its
//! current window (the limits are `SandboxConfig::rate_limits`, decided in the spec).
//!
//! Hand-written rather than with `governor`: these counts follow each tenant's own clock (which
//! `/__sandbox/clock` moves), live under the tenant lock beside the OTPs and accounts they guard
//! (so a check and what it allows are one atomic step), are cleared by a tenant reset and purged
//! with its other expired records, and implement the spec's "at most N per window" with the
//! window's end as the retry time; governor keeps its own clock and state and answers with
//! GCRA's "not before t", which the spec does not describe.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use vlens_client::KnownErrorCode;

use crate::config::Limit;
use crate::error::{ApiError, FieldProblem};
use crate::time::after;

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// OTPs sent (`TooManyOtpRequests`).
    OtpRequests,
    /// Wrong OTP codes, across OTPs (`TooManyWrongOtpCodes`).
    WrongOtpCodes,
    /// Wrong passwords (`TooManyFailedLogins`).
    FailedPasswords,
}

impl Counted {
    fn index(self) -> usize {
        match self {
            Counted::OtpRequests => 0,
            Counted::WrongOtpCodes => 1,
            Counted::FailedPasswords => 2,
        }
    }

    fn code(self) -> KnownErrorCode {
        match self {
            Counted::OtpRequests => KnownErrorCode::TooManyOtpRequests,
            Counted::WrongOtpCodes => KnownErrorCode::TooManyWrongOtpCodes,
            Counted::FailedPasswords => KnownErrorCode::TooManyFailedLogins,
        }
    }

    fn what(self) -> &'static str {
        match self {
            Counted::OtpRequests => "OTPs",
            Counted::WrongOtpCodes => "wrong OTP codes",
            Counted::FailedPasswords => "wrong passwords",
        }
    }
}

/// One key's current window.
#[derive(Debug, Clone, Copy)]
struct Window {
    ends_at: DateTime<Utc>,
    count: u32,
}

/// A limit that is spent: the business error to answer, naming `field` and the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    counted: Counted,
    limit: Limit,
    retry_after_seconds: i64,
}

impl Refused {
    /// The spec's code, with one `error_descriptions` item naming `field` (never its value).
    pub fn into_error(self, field: &str) -> ApiError {
        ApiError::business_with(
            self.counted.code(),
            vec![FieldProblem::new(
                field,
                format!(
                    "at most {} {} per {} seconds; try again in {} seconds",
                    self.limit.max,
                    self.counted.what(),
                    self.limit.window_seconds,
                    self.retry_after_seconds
                ),
            )],
        )
    }
}

/// The windows of one tenant, by what is counted and then by key (`register-phone:+2010…`,
/// `activation:<requestId>`, `user:<id>`, `admin`).
#[derive(Debug, Default)]
pub struct Throttle {
    windows: [HashMap<String, Window>; 3],
}

impl Throttle {
    /// Whether one more event of `counted` for `key` is allowed at `now` under `limit` (None:
    /// always). Counts nothing.
    pub fn check(
        &self,
        counted: Counted,
        key: &str,
        limit: Option<Limit>,
        now: DateTime<Utc>,
    ) -> Result<(), Refused> {
        let Some(limit) = limit else {
            return Ok(());
        };
        match self.windows[counted.index()].get(key) {
            Some(window) if window.ends_at > now && window.count >= limit.max => Err(Refused {
                counted,
                limit,
                // Whole seconds, rounded up, so that retrying after them succeeds.
                retry_after_seconds: (window.ends_at - now)
                    .num_milliseconds()
                    .saturating_add(999)
                    / 1000,
            }),
            _ => Ok(()),
        }
    }

    /// Counts one event of `counted` for `key` at `now`, opening a window if none is open.
    pub fn record(
        &mut self,
        counted: Counted,
        key: &str,
        limit: Option<Limit>,
        now: DateTime<Utc>,
    ) {
        let Some(limit) = limit else {
            return;
        };
        let windows = &mut self.windows[counted.index()];
        match windows.get_mut(key) {
            Some(window) if window.ends_at > now => window.count = window.count.saturating_add(1),
            _ => {
                windows.insert(
                    key.to_string(),
                    Window {
                        ends_at: after(now, limit.window_seconds),
                        count: 1,
                    },
                );
            }
        }
    }

    /// Forgets `key`'s count (a successful login clears its failures).
    pub fn forget(&mut self, counted: Counted, key: &str) {
        self.windows[counted.index()].remove(key);
    }

    /// Drops every window that has ended.
    pub fn purge(&mut self, now: DateTime<Utc>) {
        for windows in &mut self.windows {
            windows.retain(|_, window| window.ends_at > now);
        }
    }

    /// Forgets everything (a tenant reset).
    pub fn clear(&mut self) {
        for windows in &mut self.windows {
            windows.clear();
        }
    }

    /// How many windows are open (for tests of the purge).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.windows.iter().map(HashMap::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    const LIMIT: Option<Limit> = Some(Limit::new(2, 60));

    #[test]
    fn a_window_allows_max_then_refuses_until_it_ends() {
        let mut throttle = Throttle::default();
        let start = Utc::now();
        let key = "activation:x";
        for _ in 0..2 {
            assert!(
                throttle
                    .check(Counted::OtpRequests, key, LIMIT, start)
                    .is_ok()
            );
            throttle.record(Counted::OtpRequests, key, LIMIT, start);
        }
        let refused = throttle
            .check(
                Counted::OtpRequests,
                key,
                LIMIT,
                start + TimeDelta::seconds(10),
            )
            .expect_err("the third in the window");
        assert_eq!(refused.retry_after_seconds, 50);
        let error = refused.into_error("requestId").to_envelope().1;
        assert_eq!(
            error.error_code,
            Some(KnownErrorCode::TooManyOtpRequests.code())
        );
        // Another key and another kind of count are not affected.
        assert!(
            throttle
                .check(Counted::OtpRequests, "activation:y", LIMIT, start)
                .is_ok()
        );
        assert!(
            throttle
                .check(Counted::WrongOtpCodes, key, LIMIT, start)
                .is_ok()
        );
        // The window ends 60 s after its first event, and a new one opens.
        let later = start + TimeDelta::seconds(60);
        assert!(
            throttle
                .check(Counted::OtpRequests, key, LIMIT, later)
                .is_ok()
        );
        throttle.record(Counted::OtpRequests, key, LIMIT, later);
        throttle.purge(later);
        assert_eq!(throttle.len(), 1);
    }

    #[test]
    fn no_limit_counts_nothing_and_forget_clears() {
        let mut throttle = Throttle::default();
        let now = Utc::now();
        for _ in 0..100 {
            throttle.record(Counted::FailedPasswords, "admin", None, now);
        }
        assert_eq!(throttle.len(), 0);
        throttle.record(Counted::FailedPasswords, "admin", LIMIT, now);
        throttle.record(Counted::FailedPasswords, "admin", LIMIT, now);
        assert!(
            throttle
                .check(Counted::FailedPasswords, "admin", LIMIT, now)
                .is_err()
        );
        throttle.forget(Counted::FailedPasswords, "admin");
        assert!(
            throttle
                .check(Counted::FailedPasswords, "admin", LIMIT, now)
                .is_ok()
        );
    }
}
