//! Patrol coverage (巡查覆盖): what the tracks show of a day's patrols, kept
//! as the fixes arrive — per worker and per grid: the H3 cells walked, the
//! visits, the time spent and the distance walked.
//!
//! A grid's cells are the H3 cells (at the book's resolution) whose centres
//! lie in it, so each cell belongs to one grid and a grid's coverage is the
//! share of its cells that some worker's fix fell in. Consecutive fixes of a
//! worker are joined into a walk when they are at most [`MAX_GAP_MS`] apart
//! (a longer silence is a break, not a stroll); a joined interval counts its
//! time and its distance for the worker and for the grid it started in. A
//! visit (入格) begins with a fix in a grid after a fix outside it, or after
//! a break.
//!
//! Fixes reach a [`DayBook`] in each worker's time order; one no newer than
//! the worker's last is ignored, so a day can be replayed from the stored
//! tracks and the live fixes fed after it without counting any twice.

use compact_str::CompactString;
use h3o::{CellIndex, LatLng, Resolution};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::model::EpochMs;
use crate::sphere::{LonLat, distance_m};

/// Longest silence between two fixes that still joins them into a walk.
pub const MAX_GAP_MS: EpochMs = 10 * 60_000;

/// Fastest plausible walk or ride between two fixes, metres per second; a
/// longer jump is a GPS glitch (or a drive) and walks no distance.
pub const MAX_SPEED_MPS: f64 = 30.0;

/// The default resolution of the coverage cells (10: about 0.015 km², edge
/// 66 m — a street walked covers the cells on both sides).
pub const DEFAULT_RESOLUTION: Resolution = Resolution::Ten;

/// One fix as the book takes it; the server looks up the grids.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PatrolFix<'a> {
    /// When it was taken.
    pub t: EpochMs,
    /// Where.
    pub at: LonLat,
    /// The grid it lies in, by code.
    pub grid: Option<&'a str>,
}

/// A worker's share of one grid on the day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GridShare {
    /// Visits begun.
    pub visits: u32,
    /// Time on joined intervals begun in the grid, ms.
    pub time_ms: EpochMs,
    /// Distance of those intervals, metres.
    pub distance_m: f64,
    /// The grid's cells this worker walked.
    pub cells: u32,
    /// First and last fix in the grid.
    pub first_ms: EpochMs,
    /// Last fix in the grid.
    pub last_ms: EpochMs,
}

/// One worker's day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkerDay {
    /// Fixes taken.
    pub fixes: u32,
    /// First fix.
    pub first_ms: EpochMs,
    /// Last fix.
    pub last_ms: EpochMs,
    /// Time on joined intervals, ms.
    pub time_ms: EpochMs,
    /// Distance walked, metres.
    pub distance_m: f64,
    /// Each grid the worker was in, by code.
    pub grids: FxHashMap<CompactString, GridShare>,
    /// Every cell walked (in a grid or not).
    pub cells: FxHashSet<CellIndex>,
    last: Option<(EpochMs, LonLat, Option<CompactString>)>,
}

/// One grid's day, summed over its workers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GridDay {
    /// Visits begun, by anyone.
    pub visits: u32,
    /// Time spent, summed over workers, ms.
    pub time_ms: EpochMs,
    /// Distance walked in it, metres.
    pub distance_m: f64,
    /// Its cells walked, each with how many workers walked it.
    pub cells: FxHashMap<CellIndex, u32>,
    /// The workers who were in it.
    pub workers: FxHashSet<CompactString>,
    /// First fix in it.
    pub first_ms: Option<EpochMs>,
}

/// One day's patrols.
#[derive(Debug, Clone)]
pub struct DayBook {
    resolution: Resolution,
    workers: FxHashMap<CompactString, WorkerDay>,
    grids: FxHashMap<CompactString, GridDay>,
}

impl DayBook {
    /// An empty day, counting cells at `resolution`.
    #[must_use]
    pub fn new(resolution: Resolution) -> DayBook {
        DayBook {
            resolution,
            workers: FxHashMap::default(),
            grids: FxHashMap::default(),
        }
    }

    /// The resolution of the coverage cells.
    #[must_use]
    pub fn resolution(&self) -> Resolution {
        self.resolution
    }

    /// The coverage cell of a point.
    #[must_use]
    pub fn cell_of(&self, at: LonLat) -> Option<CellIndex> {
        LatLng::new(at.lat, at.lon)
            .ok()
            .map(|ll| ll.to_cell(self.resolution))
    }

    /// Takes a worker's next fix. `cell_grid` says which grid a cell's
    /// centre lies in; it is asked once per worker and new cell. Returns
    /// false for a fix no newer than the worker's last (already counted).
    pub fn observe(
        &mut self,
        staff: &str,
        fix: PatrolFix<'_>,
        cell_grid: impl FnOnce(CellIndex) -> Option<CompactString>,
    ) -> bool {
        let Some(cell) = self.cell_of(fix.at) else {
            return false;
        };
        let worker = self.workers.entry(staff.into()).or_default();
        let previous = match &worker.last {
            Some((t, _, _)) if *t >= fix.t => return false,
            Some((t, at, grid)) if fix.t - t <= MAX_GAP_MS => Some((*t, *at, grid.clone())),
            _ => None,
        };
        if worker.fixes == 0 {
            worker.first_ms = fix.t;
        }
        worker.fixes += 1;
        worker.last_ms = fix.t;
        // The joined interval since the previous fix, for the grid it began in.
        if let Some((t, at, grid)) = &previous {
            let dt = fix.t - t;
            let metres = distance_m(*at, fix.at);
            #[allow(clippy::cast_precision_loss)] // ms to s: far inside f64
            let walked = if metres <= MAX_SPEED_MPS * dt as f64 / 1000.0 {
                metres
            } else {
                0.0
            };
            worker.time_ms += dt;
            worker.distance_m += walked;
            if let Some(g) = grid {
                let share = worker.grids.entry(g.clone()).or_default();
                share.time_ms += dt;
                share.distance_m += walked;
                let day = self.grids.entry(g.clone()).or_default();
                day.time_ms += dt;
                day.distance_m += walked;
            }
        }
        let grid: Option<CompactString> = fix.grid.map(Into::into);
        if let Some(g) = &grid {
            let share = worker.grids.entry(g.clone()).or_default();
            let day = self.grids.entry(g.clone()).or_default();
            let visit = previous.as_ref().is_none_or(|(_, _, pg)| pg != &grid);
            if visit {
                share.visits += 1;
                day.visits += 1;
            }
            if share.first_ms == 0 {
                share.first_ms = fix.t;
            }
            share.last_ms = fix.t;
            day.first_ms = Some(day.first_ms.map_or(fix.t, |f| f.min(fix.t)));
            if !day.workers.contains(staff) {
                day.workers.insert(staff.into());
            }
        }
        if worker.cells.insert(cell)
            && let Some(owner) = cell_grid(cell)
        {
            worker.grids.entry(owner.clone()).or_default().cells += 1;
            *self
                .grids
                .entry(owner)
                .or_default()
                .cells
                .entry(cell)
                .or_insert(0) += 1;
        }
        worker.last = Some((fix.t, fix.at, grid));
        true
    }

    /// A worker's day, if they took a fix.
    #[must_use]
    pub fn worker(&self, staff: &str) -> Option<&WorkerDay> {
        self.workers.get(staff)
    }

    /// Every worker's day.
    pub fn workers(&self) -> impl Iterator<Item = (&str, &WorkerDay)> {
        self.workers.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// A grid's day, if anyone was in it or walked one of its cells.
    #[must_use]
    pub fn grid(&self, code: &str) -> Option<&GridDay> {
        self.grids.get(code)
    }
}

/// The cells of a grid: those whose centres lie in its outline.
#[must_use]
pub fn grid_cells(outline: &geo::MultiPolygon<f64>, resolution: Resolution) -> u32 {
    use h3o::geom::{ContainmentMode, TilerBuilder};
    let mut tiler = TilerBuilder::new(resolution)
        .containment_mode(ContainmentMode::ContainsCentroid)
        .build();
    for polygon in outline {
        // A ring h3o refuses (too few points) holds no cell centre.
        let _ = tiler.add(polygon.clone());
    }
    u32::try_from(tiler.into_coverage().count()).unwrap_or(u32::MAX)
}

/// A share of covered cells, 0 to 1; a grid too small to hold a cell's
/// centre counts as covered once a fix fell in it.
#[must_use]
pub fn coverage(walked: usize, total: u32, visited: bool) -> f64 {
    if total == 0 {
        return if visited { 1.0 } else { 0.0 };
    }
    #[allow(clippy::cast_precision_loss)] // counts of cells: far inside f64
    let share = walked as f64 / f64::from(total);
    share.min(1.0)
}
