//! The staff index's questions: the k nearest (ring by ring of cells, with
//! a lower bound that stops the walk), everyone within a radius, everyone
//! in a box.

use super::grid::{key, unkey};
use super::{Entry, MAX_K, Neighbour, StaffFilter, StaffIdx, StaffIndex};
use crate::error::{EngineError, Result};
use crate::sphere::{self, LonLat};

impl StaffIndex {
    /// The k members nearest to `q` that pass `filter`, nearest first, no
    /// further than `max_m` metres. Ties in distance go to the lower index.
    pub fn nearest(
        &self,
        q: LonLat,
        k: usize,
        filter: &StaffFilter,
        max_m: Option<f64>,
    ) -> Result<Vec<Neighbour>> {
        self.nearest_where(q, k, filter, max_m, |_| true)
    }

    /// [`StaffIndex::nearest`] among the members `keep` accepts as well (it
    /// is asked only about members that pass `filter` and are nearer than
    /// the k-th best found so far).
    pub fn nearest_where(
        &self,
        q: LonLat,
        k: usize,
        filter: &StaffFilter,
        max_m: Option<f64>,
        keep: impl Fn(StaffIdx) -> bool,
    ) -> Result<Vec<Neighbour>> {
        let mut q = q.validated()?;
        // 180° and −180° are one meridian; cells start at −180°.
        if q.lon >= 180.0 {
            q.lon -= 360.0;
        }
        if k > MAX_K {
            return Err(EngineError::InvalidQuery(format!(
                "k must be at most {MAX_K}, got {k}"
            )));
        }
        let limit2 = max_distance_chord2(max_m)?;
        let mut best = Best::new(k, limit2);
        if k == 0 || self.cells.is_empty() {
            return Ok(Vec::new());
        }
        let qv = q.unit_vector();
        let (cx, cy) = self.cell_xy(q);
        // `keep` is asked last, only about members that would make the best
        // k so far: it may cost a cache miss (a district's scope looks up
        // the member's home grid), the rest reads only the bucket.
        let scan = |cell: &[Entry], best: &mut Best| {
            for e in cell {
                if filter.accepts(e) {
                    let d2 = sphere::chord2(&qv, &e.v);
                    if best.wants(d2, e.idx) && keep(e.idx) {
                        best.offer(d2, e.idx);
                    }
                }
            }
        };
        let mut ring_cells: Vec<&Vec<Entry>> = Vec::with_capacity(16);
        let mut r: i64 = 0;
        loop {
            if r > 0
                && sphere::m_to_chord2(self.outside_lower_bound_m(q, cx, cy, r)) > best.worst2()
            {
                break;
            }
            // Past this size, a ring costs more than visiting every occupied
            // cell once.
            if r > 1 && (8 * r > self.cells.len() as i64 || 2 * r + 1 >= self.cols) {
                let mut rest: Vec<(f64, u64)> = self
                    .cells
                    .keys()
                    .filter(|&&key| self.chebyshev(key, cx, cy) >= r)
                    .map(|&key| (self.cell_lower_bound_m(q, key), key))
                    .collect();
                rest.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
                for (lb, key) in rest {
                    if sphere::m_to_chord2(lb) > best.worst2() {
                        break;
                    }
                    scan(&self.cells[&key], &mut best);
                }
                break;
            }
            // Find the ring's buckets first, then scan them: the hash probes
            // do not wait on each other, so their cache misses overlap (at a
            // million staff the index is far larger than the cache).
            ring_cells.clear();
            ring_cells.extend(ring(cx, cy, r).filter_map(|(x, y)| self.bucket(x, y)));
            for cell in &ring_cells {
                scan(cell, &mut best);
            }
            r += 1;
        }
        Ok(best.into_neighbours())
    }

    /// Members within `radius_m` of `q` that pass `filter`, nearest first.
    pub fn within(&self, q: LonLat, radius_m: f64, filter: &StaffFilter) -> Result<Vec<Neighbour>> {
        let q = q.validated()?;
        let limit2 = max_distance_chord2(Some(radius_m))?;
        let qv = q.unit_vector();
        let mut out = Vec::new();
        self.for_each_in_box(sphere::radius_bbox(q, radius_m), |e| {
            if filter.accepts(e) {
                let d2 = sphere::chord2(&qv, &e.v);
                if d2 <= limit2 {
                    out.push((d2, e.idx));
                }
            }
        });
        out.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        Ok(out
            .into_iter()
            .map(|(d2, idx)| Neighbour {
                idx,
                distance_m: sphere::chord2_to_m(d2),
            })
            .collect())
    }

    /// Members whose live position lies in `[west, south, east, north]`
    /// (west > east crosses the antimeridian).
    #[must_use]
    pub fn in_bbox(&self, bbox: [f64; 4]) -> Vec<StaffIdx> {
        let mut out = Vec::new();
        self.for_each_in_box(bbox, |e| {
            if let Some(p) = self.position(e.idx)
                && sphere::in_bbox(bbox, p)
            {
                out.push(e.idx);
            }
        });
        out
    }

    pub(super) fn bucket(&self, x: i64, y: i64) -> Option<&Vec<Entry>> {
        if y < 0 {
            return None;
        }
        self.cells.get(&key(x.rem_euclid(self.cols), y))
    }

    /// Chebyshev distance in cells between a cell key and (cx, cy), going
    /// round the antimeridian where shorter.
    pub(super) fn chebyshev(&self, k: u64, cx: i64, cy: i64) -> i64 {
        let (x, y) = unkey(k);
        let dx = (x - cx).rem_euclid(self.cols);
        let dx = dx.min(self.cols - dx);
        dx.max((y - cy).abs())
    }

    pub(super) fn lat_of_row(&self, y: i64) -> f64 {
        y as f64 * self.cell_deg - 90.0
    }

    pub(super) fn lon_of_col(&self, x: i64) -> f64 {
        x as f64 * self.cell_deg - 180.0
    }

    /// A lower bound in metres on the distance from `q` to any point outside
    /// the square of cells within Chebyshev distance `r - 1` of (cx, cy).
    /// Such a point lies beyond the square's rows (a latitude gap) or, within
    /// those rows, beyond its columns (a longitude gap at latitudes no further
    /// from the equator than the rows).
    pub(super) fn outside_lower_bound_m(&self, q: LonLat, cx: i64, cy: i64, r: i64) -> f64 {
        let north_edge = self.lat_of_row(cy + r);
        let south_edge = self.lat_of_row(cy - r + 1);
        let east_edge = self.lon_of_col(cx + r);
        let west_edge = self.lon_of_col(cx - r + 1);
        let rows_max_abs_lat = north_edge.abs().max(south_edge.abs()).min(90.0);
        let lat_part =
            sphere::lat_gap_m(north_edge - q.lat).min(sphere::lat_gap_m(q.lat - south_edge));
        let lon_gap = (east_edge - q.lon).min(q.lon - west_edge);
        lat_part.min(sphere::lon_gap_m(lon_gap, rows_max_abs_lat))
    }

    /// A lower bound in metres on the distance from `q` to any point in a
    /// cell.
    pub(super) fn cell_lower_bound_m(&self, q: LonLat, k: u64) -> f64 {
        let (x, y) = unkey(k);
        let (s, n) = (self.lat_of_row(y), self.lat_of_row(y + 1));
        let (w, e) = (self.lon_of_col(x), self.lon_of_col(x + 1));
        let dlat = (s - q.lat).max(q.lat - n).max(0.0);
        let dlon = if q.lon >= w && q.lon <= e {
            0.0
        } else {
            let a = (w - q.lon).rem_euclid(360.0);
            let b = (q.lon - e).rem_euclid(360.0);
            a.min(b)
        };
        let max_abs_lat = s.abs().max(n.abs()).max(q.lat.abs()).min(90.0);
        sphere::lat_gap_m(dlat).max(sphere::lon_gap_m(dlon, max_abs_lat))
    }

    /// Calls `f` for every entry in the cells overlapping a lon/lat box, or
    /// in every cell when the box spans more cells than are occupied.
    pub(super) fn for_each_in_box(&self, bbox: [f64; 4], mut f: impl FnMut(&Entry)) {
        let [w, s, e, n] = bbox;
        let (x0, y0) = self.cell_xy(LonLat {
            lon: w,
            lat: s.max(-90.0),
        });
        let (_, y1) = self.cell_xy(LonLat {
            lon: e,
            lat: n.min(90.0),
        });
        let xa = ((w + 180.0) / self.cell_deg).floor() as i64;
        let xb = ((e + 180.0) / self.cell_deg).floor() as i64;
        let width = if w <= e {
            xb - xa + 1
        } else {
            xb + self.cols - xa + 1
        }
        .clamp(1, self.cols);
        let height = y1 - y0 + 1;
        if width.saturating_mul(height) > self.cells.len() as i64 {
            for cell in self.cells.values() {
                cell.iter().for_each(&mut f);
            }
            return;
        }
        for y in y0..=y1 {
            for dx in 0..width {
                if let Some(cell) = self.bucket(x0 + dx, y) {
                    cell.iter().for_each(&mut f);
                }
            }
        }
    }
}

fn max_distance_chord2(max_m: Option<f64>) -> Result<f64> {
    match max_m {
        None => Ok(f64::INFINITY),
        Some(m) if m.is_finite() && m >= 0.0 => Ok(sphere::m_to_chord2(m)),
        Some(m) => Err(EngineError::InvalidQuery(format!(
            "max distance must be a non-negative number of metres, got {m}"
        ))),
    }
}

/// The cells at Chebyshev distance exactly `r` from (cx, cy).
fn ring(cx: i64, cy: i64, r: i64) -> impl Iterator<Item = (i64, i64)> {
    let top_bottom = (-r..=r).flat_map(move |dx| {
        let rows: &[i64] = if r == 0 { &[0] } else { &[-1, 1] };
        rows.iter().map(move |&s| (cx + dx, cy + s * r))
    });
    let sides = (-r + 1..r).flat_map(move |dy| [(cx - r, cy + dy), (cx + r, cy + dy)]);
    top_bottom.chain(sides.filter(move |_| r > 0))
}

/// The k best (smallest squared chord, then lowest index) seen so far, kept
/// sorted; k is small, so insertion into a short vector beats a heap.
struct Best {
    k: usize,
    limit2: f64,
    items: Vec<(f64, StaffIdx)>,
}

impl Best {
    fn new(k: usize, limit2: f64) -> Self {
        Best {
            k,
            limit2,
            items: Vec::with_capacity(k.min(64) + 1),
        }
    }

    fn worst2(&self) -> f64 {
        if self.items.len() == self.k {
            self.items.last().map_or(self.limit2, |w| w.0)
        } else {
            self.limit2
        }
    }

    /// Whether [`Best::offer`] would take this candidate now.
    fn wants(&self, d2: f64, idx: StaffIdx) -> bool {
        d2 <= self.limit2
            && (self.items.len() < self.k || self.items.last().is_some_and(|&w| (d2, idx) < w))
    }

    fn offer(&mut self, d2: f64, idx: StaffIdx) {
        if !self.wants(d2, idx) {
            return;
        }
        if self.items.len() == self.k {
            self.items.pop();
        }
        let at = self.items.partition_point(|&(d, i)| (d, i) < (d2, idx));
        self.items.insert(at, (d2, idx));
    }

    fn into_neighbours(self) -> Vec<Neighbour> {
        self.items
            .into_iter()
            .map(|(d2, idx)| Neighbour {
                idx,
                distance_m: sphere::chord2_to_m(d2),
            })
            .collect()
    }
}
