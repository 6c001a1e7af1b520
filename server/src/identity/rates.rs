//! Per-token request rates: a token bucket per bearer token, so that one
//! runaway client cannot starve a command centre. State is bounded: a
//! bucket that has refilled is dropped once there are many.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Most buckets kept before the full ones are dropped.
const PRUNE_AT: usize = 10_000;

/// A token bucket per key (a bearer token's hash).
#[derive(Debug)]
pub struct Rates {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
    per_second: f64,
    burst: f64,
}

impl Rates {
    /// `per_second` sustained, bursts of twice that; 0 means unlimited.
    #[must_use]
    pub fn new(per_second: u32) -> Self {
        Rates {
            buckets: Mutex::new(HashMap::new()),
            per_second: f64::from(per_second),
            burst: f64::from(per_second) * 2.0,
        }
    }

    /// `per_hour` requests an hour, all of them at once if need be (the
    /// citizen page's limits per address and per phone number).
    #[must_use]
    pub fn per_hour(per_hour: u32) -> Self {
        Rates {
            buckets: Mutex::new(HashMap::new()),
            per_second: f64::from(per_hour) / 3600.0,
            burst: f64::from(per_hour),
        }
    }

    /// The sustained rate.
    #[must_use]
    pub fn per_second(&self) -> f64 {
        self.per_second
    }

    /// Whether there is no limit.
    #[must_use]
    pub fn unlimited(&self) -> bool {
        self.per_second <= 0.0
    }

    /// How long `key` must wait for its next request, without taking one
    /// (`None`: it may go now).
    #[must_use]
    pub fn wait(&self, key: &str) -> Option<Duration> {
        if self.unlimited() {
            return None;
        }
        let now = Instant::now();
        let g = self.buckets.lock();
        let (tokens, last) = g.get(key)?;
        let tokens =
            (tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(self.burst);
        (tokens < 1.0).then(|| Duration::from_secs_f64((1.0 - tokens) / self.per_second))
    }

    /// Takes one request from `key`'s bucket; `Err(wait)` when it is empty.
    pub fn allow(&self, key: &str) -> Result<(), Duration> {
        if self.unlimited() {
            return Ok(());
        }
        let now = Instant::now();
        let mut g = self.buckets.lock();
        if g.len() > PRUNE_AT {
            // A bucket that has refilled says nothing a new one would not.
            let full = self.burst / self.per_second;
            g.retain(|_, (_, last)| now.duration_since(*last).as_secs_f64() < full);
        }
        // A known key (nearly every request) costs no allocation.
        if let Some(bucket) = g.get_mut(key) {
            return self.take(bucket, now);
        }
        let bucket = g.entry(key.to_owned()).or_insert((self.burst, now));
        self.take(bucket, now)
    }

    /// Refills a bucket for the time since it was last asked and takes one
    /// request from it.
    fn take(&self, (tokens, last): &mut (f64, Instant), now: Instant) -> Result<(), Duration> {
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / self.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_allow_a_burst_then_the_rate() {
        let r = Rates::new(10);
        for _ in 0..20 {
            assert!(r.allow("k").is_ok());
        }
        let wait = r.allow("k").unwrap_err();
        assert!(wait <= Duration::from_millis(100), "{wait:?}");
        assert!(r.allow("other").is_ok(), "keys have their own buckets");
        assert!(Rates::new(0).allow("k").is_ok(), "0 is unlimited");
        assert!(r.wait("k").is_some() && r.wait("other").is_none());
        assert!(r.wait("new").is_none(), "asking takes nothing");
    }
}
