//! Rules judged on a worker's track as the fixes arrive: out of their own
//! grid too long while on duty (脱岗), and not moving too long while on
//! duty (a possible fall). Each member's [`Watch`] sees their fixes in time
//! order (only fixes newer than the live position reach it) and says when a
//! rule is broken — once, until the member is back in order.

use crate::model::EpochMs;
use crate::sphere::{LonLat, distance_m};

/// The thresholds; a rule with no time is off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WatchRules {
    /// Out of the home grid, on duty, this long.
    pub left_grid_after_ms: Option<EpochMs>,
    /// Within [`WatchRules::motionless_radius_m`] of one spot, on duty,
    /// this long.
    pub motionless_after_ms: Option<EpochMs>,
    /// How far a member may drift (GPS noise, a few steps) and still count
    /// as not moving, metres.
    pub motionless_radius_m: f64,
}

impl WatchRules {
    /// Whether any rule is on.
    #[must_use]
    pub fn any(&self) -> bool {
        self.left_grid_after_ms.is_some() || self.motionless_after_ms.is_some()
    }
}

/// What a fix showed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Finding {
    /// Out of the home grid since then.
    LeftGrid {
        /// The first fix outside.
        since: EpochMs,
    },
    /// Not moving from `at` since then.
    Motionless {
        /// The first fix at the spot.
        since: EpochMs,
        /// The spot.
        at: LonLat,
    },
}

/// One member's state under the rules.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Watch {
    /// The first fix of the current run outside the home grid.
    outside_since: Option<EpochMs>,
    left_told: bool,
    /// The spot and first fix of the current run without moving.
    still: Option<(LonLat, EpochMs)>,
    still_told: bool,
}

/// One fix as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seen {
    /// When it was taken.
    pub t: EpochMs,
    /// Where.
    pub at: LonLat,
    /// Whether it lies in the member's home grid.
    pub in_home_grid: bool,
    /// Whether the member is on duty (available or busy).
    pub on_duty: bool,
}

impl Watch {
    /// Takes the member's next fix; what it shows (at most one finding a
    /// rule, each once a run).
    pub fn observe(&mut self, rules: &WatchRules, fix: Seen) -> [Option<Finding>; 2] {
        if !fix.on_duty {
            // Off duty (or in an SOS, which is its own alarm): nothing runs.
            *self = Watch::default();
            return [None, None];
        }
        let mut out = [None, None];
        if fix.in_home_grid {
            self.outside_since = None;
            self.left_told = false;
        } else {
            let since = *self.outside_since.get_or_insert(fix.t);
            if let Some(after) = rules.left_grid_after_ms
                && !self.left_told
                && fix.t - since >= after
            {
                self.left_told = true;
                out[0] = Some(Finding::LeftGrid { since });
            }
        }
        match self.still {
            Some((spot, _)) if distance_m(spot, fix.at) <= rules.motionless_radius_m => {}
            _ => {
                self.still = Some((fix.at, fix.t));
                self.still_told = false;
            }
        }
        if let (Some(after), Some((spot, since))) = (rules.motionless_after_ms, self.still)
            && !self.still_told
            && fix.t - since >= after
        {
            self.still_told = true;
            out[1] = Some(Finding::Motionless { since, at: spot });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const RULES: WatchRules = WatchRules {
        left_grid_after_ms: Some(15 * 60_000),
        motionless_after_ms: Some(20 * 60_000),
        motionless_radius_m: 25.0,
    };

    fn seen(t_min: i64, east_m: f64, in_home_grid: bool, on_duty: bool) -> Seen {
        Seen {
            t: t_min * 60_000,
            // About 88 km a degree of longitude at 28°N.
            at: LonLat {
                lon: 120.0 + east_m / 88_000.0,
                lat: 28.0,
            },
            in_home_grid,
            on_duty,
        }
    }

    #[test]
    fn a_member_standing_still_is_told_once_and_again_after_moving() {
        let mut w = Watch::default();
        let mut told = Vec::new();
        for (t, east) in [
            (0, 0.0),
            (10, 5.0),
            (19, 10.0),
            (20, 12.0),
            (30, 3.0),
            (31, 200.0),
            (52, 205.0),
        ] {
            for f in w
                .observe(&RULES, seen(t, east, true, true))
                .into_iter()
                .flatten()
            {
                told.push((t, f));
            }
        }
        assert_eq!(told.len(), 2, "{told:?}");
        assert!(matches!(
            told[0],
            (20, Finding::Motionless { since: 0, .. })
        ));
        assert!(matches!(
            told[1],
            (
                52,
                Finding::Motionless {
                    since: 1_860_000,
                    ..
                }
            )
        ));
    }

    #[test]
    fn leaving_the_grid_counts_only_on_duty_and_from_the_first_fix_outside() {
        let mut w = Watch::default();
        let mut told = Vec::new();
        let track = [
            (0, true, true),
            (5, false, true),
            (10, false, false), // off duty: the run is over
            (12, false, true),
            (26, false, true),
            (27, false, true),
            (28, true, true),
            (29, false, true),
        ];
        for (i, (t, home, duty)) in track.into_iter().enumerate() {
            // Moving all the time: only the grid rule can speak.
            for f in w
                .observe(&RULES, seen(t, i as f64 * 100.0, home, duty))
                .into_iter()
                .flatten()
            {
                told.push((t, f));
            }
        }
        assert_eq!(told, [(27, Finding::LeftGrid { since: 12 * 60_000 })]);
    }

    /// The rules restated over the whole track: runs of consecutive
    /// on-duty fixes outside the home grid, and runs of on-duty fixes
    /// within the radius of the run's first fix; each run tells once, at
    /// its first fix at least the threshold after the run began.
    fn brute_force(track: &[Seen]) -> Vec<(usize, Finding)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < track.len() {
            if !track[i].on_duty || track[i].in_home_grid {
                i += 1;
                continue;
            }
            let start = i;
            let mut told = false;
            while i < track.len() && track[i].on_duty && !track[i].in_home_grid {
                if !told && track[i].t - track[start].t >= RULES.left_grid_after_ms.unwrap() {
                    out.push((
                        i,
                        Finding::LeftGrid {
                            since: track[start].t,
                        },
                    ));
                    told = true;
                }
                i += 1;
            }
        }
        let mut i = 0;
        while i < track.len() {
            if !track[i].on_duty {
                i += 1;
                continue;
            }
            let start = i;
            let mut told = false;
            i += 1;
            while i < track.len()
                && track[i].on_duty
                && distance_m(track[start].at, track[i].at) <= RULES.motionless_radius_m
            {
                if !told && track[i].t - track[start].t >= RULES.motionless_after_ms.unwrap() {
                    out.push((
                        i,
                        Finding::Motionless {
                            since: track[start].t,
                            at: track[start].at,
                        },
                    ));
                    told = true;
                }
                i += 1;
            }
            // A run of one fix may already be long enough (a threshold of 0
            // is not used here), so the first fix never tells on its own.
        }
        out.sort_by_key(|(i, f)| (*i, matches!(f, Finding::Motionless { .. })));
        out
    }

    /// Findings over every generated track: the property is not vacuous.
    static FOUND: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    #[test]
    fn random_tracks_do_break_the_rules() {
        // Runs after (or beside) the property test; on its own it runs the
        // property's cases itself.
        the_watch_tells_exactly_what_the_runs_say();
        assert!(FOUND.load(std::sync::atomic::Ordering::Relaxed) > 50);
    }

    proptest! {
        #[test]
        fn the_watch_tells_exactly_what_the_runs_say(
            steps in prop::collection::vec((0i64..12, prop_oneof![3 => 0.0f64..8.0, 1 => 20.0f64..200.0], prop::bool::weighted(0.6), prop::bool::weighted(0.9)), 1..80)
        ) {
            let mut t = 0;
            let mut east = 0.0;
            let mut track = Vec::new();
            for (dt, step, home, duty) in steps {
                t += dt;
                east += step;
                track.push(seen(t, east, home, duty));
            }
            let mut w = Watch::default();
            let mut told = Vec::new();
            for (i, f) in track.iter().enumerate() {
                for x in w.observe(&RULES, *f).into_iter().flatten() {
                    told.push((i, x));
                }
            }
            told.sort_by_key(|(i, f)| (*i, matches!(f, Finding::Motionless { .. })));
            let expected = brute_force(&track);
            prop_assert_eq!(&told, &expected);
            FOUND.fetch_add(told.len(), std::sync::atomic::Ordering::Relaxed);
        }
    }
}
