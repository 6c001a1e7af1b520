//! Limits on clients that are about who asks and how often, not what one
//! request holds: login throttling (per username and per client address,
//! against password guessing) and per-token request rates (one runaway
//! client must not starve a command centre). Both keep bounded state in
//! memory: entries are dropped once they have nothing left to say.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Most keys a limiter tracks before it drops the stale ones.
const PRUNE_AT: usize = 10_000;

/// Failed logins per key within a window.
#[derive(Debug)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
    max_per_user: usize,
    max_per_address: usize,
    window: Duration,
}

impl LoginThrottle {
    /// At most `max_per_user` failures per username and `max_per_address`
    /// per client address within `window`.
    #[must_use]
    pub fn new(max_per_user: usize, max_per_address: usize, window: Duration) -> Self {
        LoginThrottle {
            failures: Mutex::new(HashMap::new()),
            max_per_user: max_per_user.max(1),
            max_per_address: max_per_address.max(1),
            window,
        }
    }

    fn keys(username: &str, address: &str) -> [String; 2] {
        [format!("u:{username}"), format!("a:{address}")]
    }

    /// `Err(wait)` if this username or address must wait before trying again.
    pub fn check(&self, username: &str, address: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let g = self.failures.lock();
        let [user, addr] = Self::keys(username, address);
        let mut wait = Duration::ZERO;
        for (key, max) in [(user, self.max_per_user), (addr, self.max_per_address)] {
            if let Some(times) = g.get(&key) {
                let recent: Vec<&Instant> = times
                    .iter()
                    .filter(|t| now.duration_since(**t) < self.window)
                    .collect();
                if recent.len() >= max
                    && let Some(oldest) = recent.first()
                {
                    wait = wait.max(self.window.saturating_sub(now.duration_since(**oldest)));
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// Notes a failed login.
    pub fn failed(&self, username: &str, address: &str) {
        let now = Instant::now();
        let mut g = self.failures.lock();
        if g.len() > PRUNE_AT {
            let window = self.window;
            g.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < window));
        }
        for key in Self::keys(username, address) {
            let times = g.entry(key).or_default();
            times.retain(|t| now.duration_since(*t) < self.window);
            times.push(now);
        }
    }

    /// A successful login clears its username's failures.
    pub fn succeeded(&self, username: &str) {
        self.failures.lock().remove(&format!("u:{username}"));
    }
}

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
        let (tokens, last) = g.entry(key.to_owned()).or_insert((self.burst, now));
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
    fn logins_are_throttled_per_user_and_per_address() {
        let t = LoginThrottle::new(3, 5, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(t.check("alice", "1.1.1.1").is_ok());
            t.failed("alice", "1.1.1.1");
        }
        let wait = t.check("alice", "2.2.2.2").unwrap_err();
        assert!(wait > Duration::from_secs(50), "{wait:?}");
        // Bob from the same address still may, until the address is spent.
        assert!(t.check("bob", "1.1.1.1").is_ok());
        t.failed("bob", "1.1.1.1");
        t.failed("bob", "1.1.1.1");
        assert!(
            t.check("carol", "1.1.1.1").is_err(),
            "five from one address"
        );
        assert!(t.check("carol", "3.3.3.3").is_ok());
        t.succeeded("alice");
        assert!(t.check("alice", "4.4.4.4").is_ok());
    }

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
    }
}
