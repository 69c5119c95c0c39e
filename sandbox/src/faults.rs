//! Faults injected through the control API (`POST /__sandbox/faults`): the next `count`
//! requests of an operation in a tenant answer a server error instead of being served, so that
//! QA teams can see how their clients behave when Vlens fails.
//!
//! A tenant's faults live in its records (behind its lock): taking one is a short synchronous
//! critical section, so N concurrent requests consume exactly `count` faults.

use std::collections::HashMap;

use http::StatusCode;

/// The operationId that matches every operation.
pub const ANY_OPERATION: &str = "*";

/// The statuses a fault may answer: the internal error and the gateway faults a client meets.
pub const STATUSES: [u16; 4] = [500, 502, 503, 504];

/// What a faulted request answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultReply {
    /// 500, 502, 503 or 504.
    pub status: StatusCode,
    /// The `Retry-After` header, in seconds, when set.
    pub retry_after_seconds: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    reply: FaultReply,
    remaining: u32,
}

/// The pending faults of one tenant, by operationId ([`ANY_OPERATION`] for any).
#[derive(Debug, Default)]
pub struct Faults {
    pending: HashMap<&'static str, Pending>,
}

impl Faults {
    /// Arms `count` faults for `operation`, replacing what was pending for it: the reply of
    /// the control call then says exactly what will happen, with no queue to reason about.
    pub fn inject(&mut self, operation: &'static str, reply: FaultReply, count: u32) {
        if count == 0 {
            self.pending.remove(operation);
        } else {
            self.pending.insert(
                operation,
                Pending {
                    reply,
                    remaining: count,
                },
            );
        }
    }

    /// Consumes one fault for a request of `operation`: the operation's own first (it is the
    /// more specific), else one of [`ANY_OPERATION`]'s. A drained fault is forgotten.
    pub fn take(&mut self, operation: &str) -> Option<FaultReply> {
        let key = if self.pending.contains_key(operation) {
            operation
        } else if self.pending.contains_key(ANY_OPERATION) {
            ANY_OPERATION
        } else {
            return None;
        };
        let pending = self.pending.get_mut(key)?;
        let reply = pending.reply;
        pending.remaining = pending.remaining.saturating_sub(1);
        if pending.remaining == 0 {
            self.pending.remove(key);
        }
        Some(reply)
    }

    /// How many operations (or [`ANY_OPERATION`]) have a fault pending: 0 when nothing is.
    pub fn armed(&self) -> usize {
        self.pending.len()
    }

    /// Forgets every fault (`/__sandbox/reset`).
    pub fn clear(&mut self) {
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNAVAILABLE: FaultReply = FaultReply {
        status: StatusCode::SERVICE_UNAVAILABLE,
        retry_after_seconds: Some(2),
    };
    const BROKEN: FaultReply = FaultReply {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        retry_after_seconds: None,
    };

    #[test]
    fn count_drains_then_nothing_is_pending() {
        let mut faults = Faults::default();
        faults.inject("check-eligibility", UNAVAILABLE, 2);
        assert_eq!(faults.take("login"), None);
        assert_eq!(faults.take("check-eligibility"), Some(UNAVAILABLE));
        assert_eq!(faults.take("check-eligibility"), Some(UNAVAILABLE));
        assert_eq!(faults.take("check-eligibility"), None);
    }

    #[test]
    fn the_operation_s_own_fault_comes_before_any() {
        let mut faults = Faults::default();
        faults.inject(ANY_OPERATION, BROKEN, 1);
        faults.inject("login", UNAVAILABLE, 1);
        assert_eq!(faults.take("login"), Some(UNAVAILABLE));
        assert_eq!(faults.take("login"), Some(BROKEN));
        assert_eq!(faults.take("register"), None);
    }

    #[test]
    fn a_new_fault_replaces_the_pending_one_and_clear_forgets_all() {
        let mut faults = Faults::default();
        faults.inject("login", UNAVAILABLE, 5);
        faults.inject("login", BROKEN, 1);
        assert_eq!(faults.take("login"), Some(BROKEN));
        assert_eq!(faults.take("login"), None);
        faults.inject(ANY_OPERATION, BROKEN, 3);
        faults.clear();
        assert_eq!(faults.take("login"), None);
    }
}
