//! Deterministic parallel work: every task draws from its own random stream,
//! keyed by the build's seed and the task's name (an area code, a layer), so
//! results do not depend on which thread ran what, or in which order.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::ProgressBar;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The random stream for the task `key` of the build seeded with `seed`.
#[must_use]
pub fn rng_for(seed: u64, key: &str) -> ChaCha8Rng {
    // FNV-1a over the key, then a SplitMix64 finaliser with the seed, so
    // that similar keys ("330302001", "330302002") get unrelated streams.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = h ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ChaCha8Rng::seed_from_u64(z ^ (z >> 31))
}

/// `f` applied to every item on all cores, results in the items' order.
/// Items are handed out one at a time, so a few slow ones (big districts)
/// do not hold up a whole share of the work. Ticks `bar` once per item.
pub fn map<T: Sync, R: Send>(items: &[T], bar: &ProgressBar, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(items.len());
    if threads <= 1 {
        return items
            .iter()
            .map(|x| {
                let r = f(x);
                bar.inc(1);
                r
            })
            .collect();
    }
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    bar.inc(1);
                    // A poisoned lock means another worker panicked; the
                    // scope re-raises that panic, so the data is moot.
                    if let Ok(mut d) = done.lock() {
                        d.push((i, r));
                    }
                }
            });
        }
    });
    let mut done = done
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn results_keep_the_items_order() {
        let items: Vec<u64> = (0..100).collect();
        let out = map(&items, &ProgressBar::hidden(), |&x| x * 2);
        assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
    }

    #[test]
    fn streams_differ_by_key_and_repeat_by_key() {
        let a: u64 = rng_for(1, "330302001").random();
        let b: u64 = rng_for(1, "330302002").random();
        let c: u64 = rng_for(1, "330302001").random();
        let d: u64 = rng_for(2, "330302001").random();
        assert_ne!(a, b);
        assert_eq!(a, c);
        assert_ne!(a, d);
    }
}
