//! The clock: epoch milliseconds, now (what every stored and sent time is).
//! Reading the times clients send is riskmap-wire's.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the epoch, now.
#[must_use]
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
