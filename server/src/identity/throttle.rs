//! Login throttling against password guessing, shaped so that an attacker
//! can neither guess faster by guessing at once nor lock the owner out.
//!
//! - Every attempt is counted as a failure the moment it is admitted, under
//!   one lock with the check: concurrent guesses cannot all pass the check
//!   before any of them is recorded. A success takes its attempt back.
//! - One username from one address backs off exponentially after a few
//!   failures (1 s, 2 s, 4 s … up to the window): the owner, at their own
//!   address, is not slowed by someone guessing elsewhere.
//! - One address guessing many usernames waits out the window after many
//!   failures (a sprayer).
//! - One username guessed from many addresses (a botnet) makes every address
//!   the user has never logged in from back off too; addresses that logged
//!   in as that user recently are let through, so the owner still gets in.
//!
//! State is bounded: entries are dropped once they have nothing left to
//! say, and the whole map is pruned when it grows large.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Most entries kept before the stale ones are dropped.
const PRUNE_AT: usize = 10_000;
/// How long an address that logged in as a user counts as theirs.
const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 3600);
/// Most known addresses remembered per user.
const KNOWN_PER_USER: usize = 16;
/// The first backoff step.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// How many times the per-user limit, from anywhere, turns on the backoff
/// for addresses unknown to the user.
const ANYWHERE_FACTOR: usize = 10;

/// Failed logins per key within the window.
#[derive(Debug)]
pub struct LoginThrottle {
    state: Mutex<State>,
    max_per_user: usize,
    max_per_address: usize,
    window: Duration,
}

#[derive(Debug, Default)]
struct State {
    /// (username, address) → failures.
    pairs: HashMap<(String, String), VecDeque<Instant>>,
    /// Address → failures, any username.
    addresses: HashMap<String, VecDeque<Instant>>,
    /// Username → failures, any address.
    users: HashMap<String, VecDeque<Instant>>,
    /// Username → addresses that logged in as it, and when last.
    known: HashMap<String, Vec<(String, Instant)>>,
}

/// An admitted login attempt, already counted as a failure; say how it
/// ended.
#[derive(Debug)]
#[must_use = "say how the attempt ended: succeeded, failed or void"]
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    username: String,
    address: String,
    at: Instant,
}

impl LoginThrottle {
    /// One username from one address backs off after `max_per_user`
    /// failures; one address waits out `window` after `max_per_address`.
    #[must_use]
    pub fn new(max_per_user: usize, max_per_address: usize, window: Duration) -> Self {
        LoginThrottle {
            state: Mutex::new(State::default()),
            max_per_user: max_per_user.max(1),
            max_per_address: max_per_address.max(1),
            window,
        }
    }

    /// Admits an attempt, counted as a failure until it says otherwise; or
    /// `Err(wait)`: how long this username or address must wait first.
    pub fn admit(&self, username: &str, address: &str) -> Result<Attempt<'_>, Duration> {
        let now = Instant::now();
        let mut g = self.state.lock();
        if g.len() > PRUNE_AT {
            g.prune(now, self.window);
        }
        let pair = (username.to_owned(), address.to_owned());
        let pair_wait = g
            .pairs
            .get_mut(&pair)
            .map_or(Duration::ZERO, |f| self.backoff(f, self.max_per_user, now));
        let address_wait = g
            .addresses
            .get_mut(address)
            .map_or(Duration::ZERO, |f| self.window_wait(f, now));
        let known = g.is_known(username, address, now);
        let anywhere_wait = if known {
            Duration::ZERO
        } else {
            let limit = self.max_per_user * ANYWHERE_FACTOR;
            g.users
                .get_mut(username)
                .map_or(Duration::ZERO, |f| self.backoff(f, limit, now))
        };
        let wait = pair_wait.max(address_wait).max(anywhere_wait);
        if !wait.is_zero() {
            return Err(wait);
        }
        g.pairs.entry(pair).or_default().push_back(now);
        g.addresses
            .entry(address.to_owned())
            .or_default()
            .push_back(now);
        g.users
            .entry(username.to_owned())
            .or_default()
            .push_back(now);
        Ok(Attempt {
            throttle: self,
            username: username.to_owned(),
            address: address.to_owned(),
            at: now,
        })
    }

    /// After `limit` failures within the window, each further one doubles
    /// the wait from the last failure (up to the window).
    fn backoff(&self, failures: &mut VecDeque<Instant>, limit: usize, now: Instant) -> Duration {
        expire(failures, now, self.window);
        let Some(&last) = failures.back() else {
            return Duration::ZERO;
        };
        if failures.len() < limit {
            return Duration::ZERO;
        }
        let doublings = u32::try_from(failures.len() - limit)
            .unwrap_or(u32::MAX)
            .min(20);
        let step = FIRST_BACKOFF
            .saturating_mul(1 << doublings)
            .min(self.window);
        (last + step).saturating_duration_since(now)
    }

    /// After `max_per_address` failures within the window, wait until the
    /// oldest leaves it.
    fn window_wait(&self, failures: &mut VecDeque<Instant>, now: Instant) -> Duration {
        expire(failures, now, self.window);
        match failures.front() {
            Some(&oldest) if failures.len() >= self.max_per_address => {
                (oldest + self.window).saturating_duration_since(now)
            }
            _ => Duration::ZERO,
        }
    }
}

impl Attempt<'_> {
    /// The password was right: its failure is taken back, the pair's slate
    /// is wiped, and the address becomes one the user is known at.
    pub fn succeeded(self) {
        let now = Instant::now();
        let mut g = self.throttle.state.lock();
        g.pairs
            .remove(&(self.username.clone(), self.address.clone()));
        g.take_back(&self.username, &self.address, self.at);
        let known = g.known.entry(self.username.clone()).or_default();
        known.retain(|(a, t)| *a != self.address && now.duration_since(*t) < KNOWN_FOR);
        known.push((self.address.clone(), now));
        if known.len() > KNOWN_PER_USER {
            known.remove(0);
        }
    }

    /// The password was wrong: the failure stands.
    pub fn failed(self) {}

    /// The attempt could not be decided (the store was down, the server
    /// too busy): it does not count.
    pub fn void(self) {
        let mut g = self.throttle.state.lock();
        let pair = (self.username.clone(), self.address.clone());
        if let Some(f) = g.pairs.get_mut(&pair) {
            remove_instant(f, self.at);
        }
        g.take_back(&self.username, &self.address, self.at);
    }
}

impl State {
    fn len(&self) -> usize {
        self.pairs.len() + self.addresses.len() + self.users.len() + self.known.len()
    }

    fn is_known(&mut self, username: &str, address: &str, now: Instant) -> bool {
        self.known.get(username).is_some_and(|k| {
            k.iter()
                .any(|(a, t)| a == address && now.duration_since(*t) < KNOWN_FOR)
        })
    }

    /// Takes one attempt's failure back from the address and user counts.
    fn take_back(&mut self, username: &str, address: &str, at: Instant) {
        if let Some(f) = self.addresses.get_mut(address) {
            remove_instant(f, at);
        }
        if let Some(f) = self.users.get_mut(username) {
            remove_instant(f, at);
        }
    }

    fn prune(&mut self, now: Instant, window: Duration) {
        let live = |f: &mut VecDeque<Instant>| {
            expire(f, now, window);
            !f.is_empty()
        };
        self.pairs.retain(|_, f| live(f));
        self.addresses.retain(|_, f| live(f));
        self.users.retain(|_, f| live(f));
        self.known.retain(|_, k| {
            k.retain(|(_, t)| now.duration_since(*t) < KNOWN_FOR);
            !k.is_empty()
        });
    }
}

/// Drops failures older than the window.
fn expire(failures: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while failures
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        failures.pop_front();
    }
}

fn remove_instant(failures: &mut VecDeque<Instant>, at: Instant) {
    if let Some(i) = failures.iter().rposition(|t| *t == at) {
        failures.remove(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(t: &LoginThrottle, user: &str, addr: &str) {
        t.admit(user, addr).unwrap().failed();
    }

    #[test]
    fn one_user_from_one_address_backs_off() {
        let t = LoginThrottle::new(3, 100, Duration::from_secs(60));
        for _ in 0..3 {
            fail(&t, "alice", "1.1.1.1");
        }
        let wait = t.admit("alice", "1.1.1.1").unwrap_err();
        assert!(wait <= FIRST_BACKOFF && !wait.is_zero(), "{wait:?}");
        // The owner elsewhere is not slowed, nor is anyone else here.
        t.admit("alice", "2.2.2.2").unwrap().succeeded();
        t.admit("bob", "1.1.1.1").unwrap().failed();
    }

    #[test]
    fn concurrent_guesses_count_before_they_are_decided() {
        let t = LoginThrottle::new(3, 100, Duration::from_secs(60));
        let open: Vec<Attempt<'_>> = (0..3)
            .map(|_| t.admit("alice", "1.1.1.1").unwrap())
            .collect();
        assert!(
            t.admit("alice", "1.1.1.1").is_err(),
            "three in flight already"
        );
        for a in open {
            a.failed();
        }
    }

    #[test]
    fn a_sprayer_waits_out_the_window() {
        let t = LoginThrottle::new(100, 5, Duration::from_secs(60));
        for i in 0..5 {
            fail(&t, &format!("user{i}"), "1.1.1.1");
        }
        let wait = t.admit("carol", "1.1.1.1").unwrap_err();
        assert!(wait > Duration::from_secs(50), "{wait:?}");
        t.admit("carol", "3.3.3.3").unwrap().succeeded();
    }

    #[test]
    fn a_botnet_cannot_lock_the_owner_out() {
        let t = LoginThrottle::new(2, 100, Duration::from_secs(60));
        t.admit("chief", "9.9.9.9").unwrap().succeeded();
        for i in 0..(2 * ANYWHERE_FACTOR) {
            fail(&t, "chief", &format!("6.6.{}.{}", i / 200, i % 200));
        }
        assert!(
            t.admit("chief", "7.7.7.7").is_err(),
            "an address never used by chief backs off"
        );
        t.admit("chief", "9.9.9.9").unwrap().succeeded();
    }

    #[test]
    fn void_attempts_do_not_count() {
        let t = LoginThrottle::new(1, 1, Duration::from_secs(60));
        t.admit("alice", "1.1.1.1").unwrap().void();
        t.admit("alice", "1.1.1.1").unwrap().succeeded();
    }
}
