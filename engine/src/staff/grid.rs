//! The staff index's buckets: which bucket a position falls in, moving an
//! entry between buckets, and sizing the buckets to the data.
//!
//! A fixed bucket size suits one density only: at 1,000,000 staff over a
//! city core a 0.005° bucket holds ~500 staff, and a nearest-5 query scans
//! nine such buckets. So the index keeps, on every bucket change, how many
//! others a positioned member shares their bucket with on average
//! ([`Density`]), and when that strays too far from [`TARGET_SHARED`] it
//! picks a new size and re-buckets everyone. Re-bucketing is linear in the
//! number of entries, so it waits until there have been as many bucket
//! changes as there were entries the last time: its cost spread over those
//! changes is a constant per change, whatever the count.

use std::mem;

use rustc_hash::{FxBuildHasher, FxHashMap};

use super::{Entry, StaffIdx, StaffIndex, entry_of};
use crate::sphere::LonLat;

/// Smallest bucket, degrees (about 55 m): below it a bucket holds a few
/// members even in the densest crowd, and the rings around a query get
/// many.
pub const MIN_CELL_DEG: f64 = 0.000_5;

/// Largest bucket, degrees (about 110 km).
pub const MAX_CELL_DEG: f64 = 1.0;

/// The bucket a member without a position is in.
pub(super) const NO_CELL: u64 = u64::MAX;

/// How many members (themself included) a positioned member should share
/// their bucket with on average: enough that the query's bucket and its
/// first ring usually hold 5 available staff (a third of them are), few
/// enough that those nine buckets are a short scan. Chosen by the `scale`
/// benchmark (docs/PERFORMANCE.md).
const TARGET_SHARED: f64 = 16.0;

/// How far, as a factor either way, the average may stray from
/// [`TARGET_SHARED`] before the buckets are re-sized.
const SLACK: f64 = 2.0;

/// Bucket changes before the first look at the density: a handful of
/// members tell nothing about it.
const MIN_PATIENCE: usize = 32;

/// Where an entry sits.
#[derive(Debug, Clone, Copy)]
pub(super) struct Place {
    pub(super) cell: u64,
    pub(super) pos: u32,
}

impl Place {
    pub(super) const NOWHERE: Place = Place {
        cell: NO_CELL,
        pos: 0,
    };
}

/// How crowded the buckets are, and when to look again.
#[derive(Debug, Clone)]
pub(super) struct Density {
    /// Σ over buckets of (entries in it)²: for each positioned member, how
    /// many share their bucket, summed. Kept exact on every push and
    /// removal (a bucket of s entries gaining one adds 2s + 1).
    shared_sum: u64,
    /// Entries in buckets (positioned members).
    placed: usize,
    /// Bucket changes (entries in and out) since the last sizing.
    changes: usize,
    /// Bucket changes to wait for before the next sizing: the entries
    /// there were at the last one, so re-bucketing costs O(1) per change
    /// amortised.
    patience: usize,
}

impl Default for Density {
    fn default() -> Self {
        Density {
            shared_sum: 0,
            placed: 0,
            changes: 0,
            patience: MIN_PATIENCE,
        }
    }
}

impl Density {
    fn pushed(&mut self, len_before: usize) {
        self.shared_sum += 2 * len_before as u64 + 1;
        self.placed += 1;
    }

    fn removed(&mut self, len_before: usize) {
        self.shared_sum -= 2 * len_before as u64 - 1;
        self.placed -= 1;
    }

    /// How many members a positioned member shares their bucket with on
    /// average, themself included.
    fn shared(&self) -> f64 {
        self.shared_sum as f64 / self.placed.max(1) as f64
    }

    /// Whether it is time to re-size: patience spent and the average out
    /// of its band.
    fn due(&self, cell_deg: f64) -> bool {
        if self.changes < self.patience || self.placed == 0 {
            return false;
        }
        let shared = self.shared();
        shared > TARGET_SHARED * SLACK
            || (shared < TARGET_SHARED / SLACK && cell_deg < MAX_CELL_DEG)
    }
}

/// The bucket size for which a member would share their bucket with
/// [`TARGET_SHARED`] members on average, from `shared` at `cell_deg`: for
/// staff scattered at random the average grows with the bucket's area, the
/// square of its side.
fn sized(cell_deg: f64, shared: f64) -> f64 {
    let others = (shared - 1.0).max(0.25);
    let want =
        (cell_deg * ((TARGET_SHARED - 1.0) / others).sqrt()).clamp(MIN_CELL_DEG, MAX_CELL_DEG);
    snapped(want)
}

/// Columns of `cell_deg` around the globe.
pub(super) fn cols_of(cell_deg: f64) -> i64 {
    (360.0 / cell_deg).round() as i64
}

/// The bucket size nearest `cell_deg` that divides 360° evenly. The ring
/// bound of a nearest query takes every column to be `cell_deg` wide; a
/// narrower last column at the antimeridian would make it overstate the
/// distance to the staff across it, and miss them.
pub(super) fn snapped(cell_deg: f64) -> f64 {
    360.0 / cols_of(cell_deg) as f64
}

impl StaffIndex {
    /// Moves or inserts an entry to the bucket of its position.
    pub(super) fn place(&mut self, idx: StaffIdx, entry: Entry) {
        let key = self.key_of_vector(idx);
        let p = self.places[idx as usize];
        if p.cell == key {
            if let Some(e) = self
                .cells
                .get_mut(&key)
                .and_then(|c| c.get_mut(p.pos as usize))
            {
                *e = entry;
            }
            return;
        }
        if p.cell != NO_CELL {
            self.take_out(p);
        }
        self.put(idx, key, entry);
        self.density.changes += 1;
        self.settle();
    }

    /// Takes a member's entry out of its bucket, if it is in one.
    pub(super) fn unplace(&mut self, idx: StaffIdx) {
        let p = self.places[idx as usize];
        if p.cell != NO_CELL {
            self.take_out(p);
            self.places[idx as usize] = Place::NOWHERE;
            self.settle();
        }
    }

    /// Re-sizes the buckets if the density has strayed and patience is
    /// spent. Called only between whole moves, never halfway through one.
    fn settle(&mut self) {
        if self.density.due(self.cell_deg) {
            self.fit();
        }
    }

    /// Sizes the buckets to the density now: for staff scattered at random,
    /// a member shares their bucket with λ others on average, and λ grows
    /// with the bucket's area, the square of its side. Clumps (many staff
    /// at one spot) make the average overstate λ; the clamp and the
    /// patience bound what that costs.
    pub(super) fn fit(&mut self) {
        let d = &mut self.density;
        d.changes = 0;
        d.patience = d.placed.max(MIN_PATIENCE);
        if d.placed == 0 {
            return;
        }
        let want = sized(self.cell_deg, d.shared());
        // Not worth a pass over everyone for a small step (the clamp).
        if (want / self.cell_deg - 1.0).abs() >= 0.2 {
            self.rebucket(want);
        }
    }

    /// Buckets every positioned member afresh (after a load, which left
    /// them out), at the size [`StaffIndex::fit`] would choose: sized from
    /// a count of who shares a bucket at the size there is, which costs
    /// less than bucketing everyone twice.
    pub(super) fn bucket_all(&mut self) {
        let mut counts: FxHashMap<u64, u32> = FxHashMap::default();
        for i in 0..self.members.len() {
            if self.position(i as StaffIdx).is_some() {
                *counts.entry(self.key_of_vector(i as StaffIdx)).or_default() += 1;
            }
        }
        let placed: u64 = counts.values().map(|&c| u64::from(c)).sum();
        if placed > 0 {
            let shared_sum: u64 = counts.values().map(|&c| u64::from(c) * u64::from(c)).sum();
            self.cell_deg = sized(self.cell_deg, shared_sum as f64 / placed as f64);
            self.cols = cols_of(self.cell_deg);
        }
        let buckets = (placed as f64 / TARGET_SHARED) as usize + 1;
        self.cells = FxHashMap::with_capacity_and_hasher(buckets, FxBuildHasher);
        self.density.shared_sum = 0;
        self.density.placed = 0;
        self.places.fill(Place::NOWHERE);
        for i in 0..self.members.len() {
            let idx = i as StaffIdx;
            let Some(entry) = self.members[i]
                .as_ref()
                .filter(|m| m.fix.is_some())
                .map(|m| entry_of(idx, m))
            else {
                continue;
            };
            let key = self.key_of_vector(idx);
            self.put(idx, key, entry);
        }
    }

    /// Puts every entry into buckets of `cell_deg`.
    fn rebucket(&mut self, cell_deg: f64) {
        self.cell_deg = cell_deg;
        self.cols = cols_of(cell_deg);
        let old = mem::take(&mut self.cells);
        self.density.shared_sum = 0;
        self.density.placed = 0;
        for e in old.into_values().flatten() {
            let key = self.key_of_vector(e.idx);
            self.put(e.idx, key, e);
        }
    }

    fn put(&mut self, idx: StaffIdx, key: u64, entry: Entry) {
        let cell = self.cells.entry(key).or_default();
        self.density.pushed(cell.len());
        cell.push(entry);
        self.places[idx as usize] = Place {
            cell: key,
            pos: (cell.len() - 1) as u32,
        };
    }

    /// Swap-removes the entry at `p`, fixing the place of the entry that
    /// took its slot, and drops the bucket when it empties.
    fn take_out(&mut self, p: Place) {
        let Some(cell) = self.cells.get_mut(&p.cell) else {
            return;
        };
        self.density.removed(cell.len());
        self.density.changes += 1;
        cell.swap_remove(p.pos as usize);
        if let Some(moved) = cell.get(p.pos as usize) {
            self.places[moved.idx as usize].pos = p.pos;
        }
        if cell.is_empty() {
            self.cells.remove(&p.cell);
        }
    }

    fn key_of_vector(&self, idx: StaffIdx) -> u64 {
        match self.position(idx) {
            Some(p) => {
                let (x, y) = self.cell_xy(p);
                key(x, y)
            }
            None => NO_CELL,
        }
    }

    pub(super) fn cell_xy(&self, p: LonLat) -> (i64, i64) {
        let x = ((p.lon + 180.0) / self.cell_deg).floor() as i64;
        let y = ((p.lat + 90.0) / self.cell_deg).floor() as i64;
        (x.rem_euclid(self.cols), y)
    }
}

pub(super) fn key(x: i64, y: i64) -> u64 {
    ((y as u64) << 32) | (x as u64 & 0xffff_ffff)
}

pub(super) fn unkey(k: u64) -> (i64, i64) {
    ((k & 0xffff_ffff) as i64, (k >> 32) as i64)
}
