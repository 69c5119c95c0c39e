//! Time arithmetic that cannot panic.
//!
//! chrono's `DateTime + TimeDelta` panics out of range, and a tenant's clock is moved through
//! the control API, so every "instant plus seconds" in the sandbox goes through [`after`].

use chrono::{DateTime, TimeDelta, Utc};

/// `instant` plus `seconds` (negative: minus), saturating at chrono's first or last instant
/// instead of panicking. Expiries computed near the end of time simply never come.
pub fn after(instant: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
    TimeDelta::try_seconds(seconds)
        .and_then(|delta| instant.checked_add_signed(delta))
        .unwrap_or(if seconds < 0 {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_in_range_and_saturates_out_of_range() {
        let now = Utc::now();
        assert_eq!(after(now, 60), now + TimeDelta::seconds(60));
        assert_eq!(after(now, -60), now - TimeDelta::seconds(60));
        assert_eq!(after(now, i64::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(after(now, i64::MIN), DateTime::<Utc>::MIN_UTC);
        assert_eq!(after(DateTime::<Utc>::MAX_UTC, 1), DateTime::<Utc>::MAX_UTC);
    }
}
