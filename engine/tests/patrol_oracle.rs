//! Patrol coverage against a brute-force count: random walks over a lattice
//! of square grids, fed to a [`DayBook`] interleaved between workers and
//! partly twice (a replay followed by the live fixes), then compared with
//! figures computed from scratch over each worker's sorted track.

#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use std::collections::{BTreeMap, BTreeSet};

use compact_str::CompactString;
use geo::{Contains, MultiPolygon, Point, Rect, coord};
use h3o::{CellIndex, LatLng, Resolution};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use riskmap_engine::patrol::{DayBook, MAX_GAP_MS, MAX_SPEED_MPS, PatrolFix, grid_cells};
use riskmap_engine::sphere::{LonLat, distance_m};

const WEST: f64 = 120.65;
const SOUTH: f64 = 28.0;
/// Side of a square grid, degrees (about 1 km).
const SIDE: f64 = 0.01;
const RES: Resolution = Resolution::Ten;

/// A lattice of `n × n` square grids named `g{col}-{row}`.
struct Lattice {
    n: u32,
}

impl Lattice {
    fn grid_at(&self, p: LonLat) -> Option<String> {
        let col = ((p.lon - WEST) / SIDE).floor();
        let row = ((p.lat - SOUTH) / SIDE).floor();
        let n = f64::from(self.n);
        ((0.0..n).contains(&col) && (0.0..n).contains(&row))
            .then(|| format!("g{}-{}", col as u32, row as u32))
    }

    fn outline(col: u32, row: u32) -> MultiPolygon<f64> {
        let w = WEST + f64::from(col) * SIDE;
        let s = SOUTH + f64::from(row) * SIDE;
        MultiPolygon::new(vec![
            Rect::new(coord! { x: w, y: s }, coord! { x: w + SIDE, y: s + SIDE }).to_polygon(),
        ])
    }

    /// The cell's owner by its centre, by testing every grid's polygon.
    fn owner(&self, cell: CellIndex) -> Option<String> {
        let c = LatLng::from(cell);
        let p = Point::new(c.lng(), c.lat());
        (0..self.n)
            .flat_map(|col| (0..self.n).map(move |row| (col, row)))
            .find(|&(col, row)| Lattice::outline(col, row).contains(&p))
            .map(|(col, row)| format!("g{col}-{row}"))
    }
}

/// One worker's track: a random walk with pauses and breaks.
fn walk(rng: &mut ChaCha8Rng, n: u32) -> Vec<(i64, LonLat)> {
    let span = f64::from(n) * SIDE;
    let mut p = LonLat {
        lon: WEST + rng.random_range(-0.1..1.1) * span,
        lat: SOUTH + rng.random_range(-0.1..1.1) * span,
    };
    let mut t = 1_000_000 + rng.random_range(0..60_000);
    let mut out = Vec::new();
    for _ in 0..rng.random_range(1..120) {
        out.push((t, p));
        t += match rng.random_range(0..20) {
            0 => MAX_GAP_MS + rng.random_range(1..600_000),
            1 => MAX_GAP_MS,
            _ => rng.random_range(1_000..60_000),
        };
        // Mostly a stroll; now and then a jump no walker makes.
        let step = if rng.random_range(0..15) == 0 {
            0.02
        } else {
            0.0012
        };
        p = LonLat {
            lon: p.lon + rng.random_range(-step..step),
            lat: p.lat + rng.random_range(-step..step),
        };
    }
    out
}

#[derive(Debug, Default)]
struct Figures {
    visits: u32,
    time_ms: i64,
    distance_m: f64,
    cells: BTreeSet<u64>,
    workers: BTreeSet<String>,
}

/// The day from scratch: each worker's sorted track walked once.
fn brute(lattice: &Lattice, tracks: &[Vec<(i64, LonLat)>]) -> BTreeMap<String, Figures> {
    let mut grids: BTreeMap<String, Figures> = BTreeMap::new();
    for (w, track) in tracks.iter().enumerate() {
        let name = format!("w{w}");
        for (i, &(t, p)) in track.iter().enumerate() {
            let here = lattice.grid_at(p);
            let joined = i > 0 && t - track[i - 1].0 <= MAX_GAP_MS;
            let before = (i > 0).then(|| lattice.grid_at(track[i - 1].1)).flatten();
            if joined && let Some(g) = &before {
                let (t0, p0) = track[i - 1];
                let metres = distance_m(p0, p);
                let walked = if metres <= MAX_SPEED_MPS * (t - t0) as f64 / 1000.0 {
                    metres
                } else {
                    0.0
                };
                let f = grids.entry(g.clone()).or_default();
                f.time_ms += t - t0;
                f.distance_m += walked;
            }
            if let Some(g) = &here {
                let f = grids.entry(g.clone()).or_default();
                if !joined || before.as_ref() != Some(g) {
                    f.visits += 1;
                }
                f.workers.insert(name.clone());
            }
            let cell = LatLng::new(p.lat, p.lon).unwrap().to_cell(RES);
            if let Some(owner) = lattice.owner(cell) {
                grids
                    .entry(owner)
                    .or_default()
                    .cells
                    .insert(u64::from(cell));
            }
        }
    }
    grids
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn coverage_matches_a_brute_force_count(seed in any::<u64>(), n in 1u32..4, workers in 1usize..6) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let lattice = Lattice { n };
        let tracks: Vec<_> = (0..workers).map(|_| walk(&mut rng, n)).collect();
        let mut book = DayBook::new(RES);
        // Interleaved between workers, each in time order; a replayed prefix
        // of each track comes round again and is not counted twice.
        let mut next = vec![0usize; workers];
        let mut replayed = vec![false; workers];
        while next.iter().zip(&tracks).any(|(i, t)| *i < t.len()) {
            let w = rng.random_range(0..workers);
            let Some(&(t, p)) = tracks[w].get(next[w]) else { continue };
            let grid = lattice.grid_at(p);
            let took = book.observe(
                &format!("w{w}"),
                PatrolFix { t, at: p, grid: grid.as_deref() },
                |cell| lattice.owner(cell).map(CompactString::from),
            );
            prop_assert!(took);
            next[w] += 1;
            if !replayed[w] && next[w] == tracks[w].len() / 2 {
                replayed[w] = true;
                for &(t, p) in &tracks[w][..next[w]] {
                    let again = book.observe(
                        &format!("w{w}"),
                        PatrolFix { t, at: p, grid: lattice.grid_at(p).as_deref() },
                        |_| panic!("a replayed fix reached the cells"),
                    );
                    prop_assert!(!again);
                }
            }
        }
        let expected = brute(&lattice, &tracks);
        for col in 0..n {
            for row in 0..n {
                let code = format!("g{col}-{row}");
                let want = expected.get(&code);
                let got = book.grid(&code).map(|d| Figures {
                    visits: d.visits,
                    time_ms: d.time_ms,
                    distance_m: d.distance_m,
                    cells: d.cells.keys().map(|c| u64::from(*c)).collect(),
                    workers: d.workers.iter().map(ToString::to_string).collect(),
                });
                match (want, got) {
                    (None, None) => {}
                    (Some(w), Some(g)) => {
                        prop_assert_eq!(w.visits, g.visits, "{} visits", code);
                        prop_assert_eq!(w.time_ms, g.time_ms, "{} time", code);
                        prop_assert!((w.distance_m - g.distance_m).abs() <= 1e-6 * (1.0 + w.distance_m), "{} distance", code);
                        prop_assert_eq!(&w.cells, &g.cells, "{} cells", code);
                        prop_assert_eq!(&w.workers, &g.workers, "{} workers", code);
                    }
                    (w, g) => prop_assert!(false, "{code}: expected {w:?}, got {g:?}"),
                }
            }
        }
        // Each worker's own figures add up to theirs in the grids plus outside.
        for (w, track) in tracks.iter().enumerate() {
            let day = book.worker(&format!("w{w}")).unwrap();
            prop_assert_eq!(day.fixes as usize, track.len());
            let cells: BTreeSet<u64> = track
                .iter()
                .map(|(_, p)| u64::from(LatLng::new(p.lat, p.lon).unwrap().to_cell(RES)))
                .collect();
            prop_assert_eq!(day.cells.len(), cells.len());
            let joined: i64 = track.windows(2).map(|p| p[1].0 - p[0].0).filter(|d| *d <= MAX_GAP_MS).sum();
            prop_assert_eq!(day.time_ms, joined);
        }
    }

}

#[test]
fn a_grids_cells_are_those_whose_centres_lie_in_it() {
    for (col, row) in (0..3).flat_map(|c| (0..3).map(move |r| (c, r))) {
        let outline = Lattice::outline(col, row);
        // Every cell near the grid, by its centre.
        let centre = LatLng::new(
            SOUTH + (f64::from(row) + 0.5) * SIDE,
            WEST + (f64::from(col) + 0.5) * SIDE,
        )
        .unwrap()
        .to_cell(RES);
        let inside = centre
            .grid_disk::<Vec<_>>(20)
            .into_iter()
            .filter(|c| {
                let ll = LatLng::from(*c);
                outline.contains(&Point::new(ll.lng(), ll.lat()))
            })
            .count();
        assert!(inside > 30, "{inside} cells in a square kilometre");
        assert_eq!(grid_cells(&outline, RES) as usize, inside);
    }
}
