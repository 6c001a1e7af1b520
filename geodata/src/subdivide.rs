//! Tiles a parent area with `n` children, the same way at every level
//! (district → streets → communities → grids):
//!
//! 1. Sample points inside the parent, each weighted by the population
//!    density there.
//! 2. Pick `n` seeds among the samples with probability proportional to
//!    weight, then relax them with a few weighted Lloyd steps, so that seeds
//!    crowd where people are but do not clump.
//! 3. Each child is its seed's Voronoi cell intersected with the parent. The
//!    cell is a box around the parent clipped by the perpendicular bisector
//!    towards every nearby seed (convex clipping), in coordinates where a
//!    degree of longitude is as long as one of latitude on the ground, so
//!    cells are round, not stretched east–west.
//!
//! Voronoi cells of the whole box tile it, so the children tile the parent:
//! no gap, no overlap, each inside it, islands included (a coastal cell takes
//! its islands along and comes out as a MultiPolygon). Every seed is a point
//! inside the parent and inside its own cell, so no child is empty.
//!
//! # Exactness
//!
//! The boolean operations (geo's, on `i_overlay`) snap every coordinate to
//! an integer lattice sized to the operands' bounding box. Left alone, each
//! child's intersection would use its own lattice, and two neighbours would
//! round their shared edge differently: slivers of overlap and gap. So:
//!
//! - all intersections of one split run on one [`Lattice`]: a square whose
//!   half-size is a power of two and whose centre is a multiple of 2⁻²⁰°,
//!   imposed by adding two of its corners to every cell as one-point
//!   "rings" (they enclose nothing, but they fix the bounding box);
//! - a Voronoi vertex shared by several cells is computed from the same
//!   sites in the same order in each of them (see `Lines::meet`), so neighbours
//!   hand over bit-identical shared edges;
//! - a child's lattice is never coarser than its parent's, so the parent's
//!   vertices, produced on the parent's lattice, are lattice points of the
//!   child's and pass through unrounded.
//!
//! Siblings then share their edges exactly and add up to their parent.

use geo::orient::{Direction, Orient};
use geo::{BooleanOps, BoundingRect, Coord, LineString, MultiPolygon, Polygon, Rect};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashSet;

use crate::density::Density;
use crate::inside::Inside;

/// Samples drawn per wanted child: enough for the Lloyd steps and the
/// children's population shares to be stable.
const SAMPLES_PER_CHILD: usize = 24;

/// Lloyd relaxation steps: a few even out the cells; many would make them
/// all the same size and lose the density gradient inside the parent.
const LLOYD_STEPS: usize = 2;

/// Lattice centres are multiples of this many degrees (2⁻²⁰, about 0.1 m),
/// coarse enough to be a lattice point of every finer lattice.
const CENTRE_STEP: f64 = 1.0 / 1_048_576.0;

/// One child of a split.
#[derive(Debug, Clone)]
pub struct Piece {
    /// Its extent, inside the parent.
    pub geometry: MultiPolygon<f64>,
    /// Its share of the parent's population (the shares sum to 1).
    pub share: f64,
}

/// The integer lattice the boolean operations of one split run on: `i_overlay`
/// maps a bounding box of half-size `h` (a power of two) centred on `c` to
/// integers by `(x − c) · 2^(29 − log2 h)`, exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lattice {
    centre: Coord<f64>,
    /// Half the side of the square, a power of two, in degrees.
    pub half: f64,
}

impl Lattice {
    /// The lattice for an area with bounding box `bbox`, with room for a
    /// margin around it, and no coarser than `coarsest` (the half-size of
    /// the lattice the area's own vertices lie on) when that still fits.
    #[must_use]
    pub fn around(bbox: Rect<f64>, coarsest: f64) -> Lattice {
        let c = bbox.center();
        let centre = Coord {
            x: (c.x / CENTRE_STEP).round() * CENTRE_STEP,
            y: (c.y / CENTRE_STEP).round() * CENTRE_STEP,
        };
        let reach = reach(bbox, centre);
        let mut half = (reach * 1.25).max(CENTRE_STEP).log2().ceil().exp2();
        if half > coarsest && reach * 1.1 <= coarsest {
            half = coarsest;
        }
        Lattice { centre, half }
    }

    /// Two one-point "rings" at opposite corners of the lattice square.
    /// Added to an operand, they make the operation's bounding box the
    /// lattice square, and nothing else: a point has no edge, so it
    /// neither encloses anything nor cuts any edge (which would add a
    /// rounded vertex where it crossed).
    fn anchors(&self) -> [Polygon<f64>; 2] {
        let corner = |sign: f64| {
            let c = Coord {
                x: self.centre.x + sign * self.half,
                y: self.centre.y + sign * self.half,
            };
            Polygon::new(LineString::new(vec![c, c]), Vec::new())
        };
        [corner(-1.0), corner(1.0)]
    }
}

/// How far a box reaches from `centre`, the larger of both axes.
fn reach(bbox: Rect<f64>, centre: Coord<f64>) -> f64 {
    (bbox.max().x - centre.x)
        .max(centre.x - bbox.min().x)
        .max(bbox.max().y - centre.y)
        .max(centre.y - bbox.min().y)
}

/// A weighted sample point, in local coordinates.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Coord<f64>,
    weight: f64,
}

/// Local, locally isotropic coordinates around a centre: longitude offsets
/// are scaled by the cosine of the latitude.
#[derive(Debug, Clone, Copy)]
struct Frame {
    centre: Coord<f64>,
    k: f64,
}

impl Frame {
    fn to_local(self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: (c.x - self.centre.x) * self.k,
            y: c.y - self.centre.y,
        }
    }

    fn to_lonlat(self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: c.x / self.k + self.centre.x,
            y: c.y + self.centre.y,
        }
    }
}

/// Splits `parent` into `n` children (fewer only if it is too small to hold
/// `n` distinct seeds), ordered from the most densely peopled seed down, so
/// that low codes go to central areas as they do in real cities. The
/// parent's vertices lie on a lattice of half-size `coarsest` (infinite if
/// unknown); the children's lie on the returned lattice.
pub fn split(
    parent: &MultiPolygon<f64>,
    coarsest: f64,
    n: usize,
    density: &Density,
    rng: &mut ChaCha8Rng,
) -> (Vec<Piece>, Lattice) {
    let Some(bbox) = parent.bounding_rect() else {
        return (
            Vec::new(),
            Lattice::around(Rect::new((0.0, 0.0), (1.0, 1.0)), coarsest),
        );
    };
    let lattice = Lattice::around(bbox, coarsest);
    if n <= 1 {
        let whole = Piece {
            geometry: parent.clone(),
            share: 1.0,
        };
        return (vec![whole], lattice);
    }
    let frame = Frame {
        centre: lattice.centre,
        k: lattice.centre.y.to_radians().cos(),
    };
    let inside = Inside::new(parent);
    // Seeds must be distinct points (two seeds in one place have no
    // bisector), so repeated samples go: a sliver too thin to hit falls
    // back to its one interior point over and over.
    let mut seen = FxHashSet::default();
    let samples: Vec<Sample> = (0..(n * SAMPLES_PER_CHILD).max(64))
        .filter_map(|_| inside.random_point(rng))
        .filter(|c| seen.insert((c.x.to_bits(), c.y.to_bits())))
        .map(|c| Sample {
            at: frame.to_local(c),
            weight: density.at(c),
        })
        .collect();
    let mut seeds = initial_seeds(&samples, n, rng);
    let mut owner = vec![0; samples.len()];
    for _ in 0..LLOYD_STEPS {
        assign(&samples, &seeds, &mut owner);
        seeds = relaxed(&samples, &seeds, &owner);
    }
    assign(&samples, &seeds, &mut owner);

    let mut weights = vec![0.0; seeds.len()];
    for (s, &o) in samples.iter().zip(&owner) {
        weights[o] += s.weight;
    }
    let mut order: Vec<usize> = (0..seeds.len()).collect();
    order.sort_by(|&a, &b| {
        samples[seeds[b]]
            .weight
            .total_cmp(&samples[seeds[a]].weight)
            .then(a.cmp(&b))
    });

    // The Voronoi box: the parent's box with a margin, inside the lattice.
    let r = reach(bbox, lattice.centre) * 1.1;
    let lo = frame.to_local(Coord {
        x: lattice.centre.x - r,
        y: lattice.centre.y - r,
    });
    let hi = frame.to_local(Coord {
        x: lattice.centre.x + r,
        y: lattice.centre.y + r,
    });
    let lines = Lines {
        sites: seeds.iter().map(|&s| samples[s].at).collect(),
        bounds: [lo.x, hi.x, lo.y, hi.y],
    };
    let anchors = lattice.anchors();
    let mut pieces: Vec<Piece> = order
        .into_iter()
        .filter_map(|i| {
            let cell = lines.cell(i);
            if cell.len() < 3 {
                return None;
            }
            let mut ring: Vec<Coord<f64>> = cell.iter().map(|&c| frame.to_lonlat(c)).collect();
            ring.push(ring[0]);
            let mut cell = vec![Polygon::new(LineString::new(ring), Vec::new())];
            cell.extend(anchors.iter().cloned());
            let cell = MultiPolygon::new(cell);
            // RFC 7946 wants exteriors counter-clockwise and holes
            // clockwise; turning rings round moves no vertex.
            let geometry = cell.intersection(parent).orient(Direction::Default);
            (!geometry.0.is_empty()).then_some(Piece {
                geometry,
                share: weights[i],
            })
        })
        .collect();
    let total: f64 = pieces.iter().map(|p| p.share).sum();
    let count = pieces.len() as f64;
    for p in &mut pieces {
        p.share = if total > 0.0 {
            p.share / total
        } else {
            1.0 / count
        };
    }
    if pieces.is_empty() {
        // Never seen; but a parent must not be left without children.
        pieces.push(Piece {
            geometry: parent.clone(),
            share: 1.0,
        });
    }
    (pieces, lattice)
}

/// `n` distinct sample indices, drawn with probability proportional to
/// weight (or all of them when there are no more than `n`).
fn initial_seeds(samples: &[Sample], n: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    if samples.len() <= n {
        return (0..samples.len()).collect();
    }
    let mut acc = 0.0;
    let cumulative: Vec<f64> = samples
        .iter()
        .map(|s| {
            acc += s.weight;
            acc
        })
        .collect();
    let mut taken = vec![false; samples.len()];
    let mut seeds = Vec::with_capacity(n);
    while seeds.len() < n {
        let x = rng.random_range(0.0..acc);
        let mut pick = cumulative
            .partition_point(|&c| c <= x)
            .min(samples.len() - 1);
        // A drawn sample is drawn again: walk on to a free one, so the loop
        // always ends.
        while taken[pick] {
            pick = (pick + 1) % samples.len();
        }
        taken[pick] = true;
        seeds.push(pick);
    }
    seeds
}

fn dist2(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).powi(2) + (a.y - b.y).powi(2)
}

/// Gives each sample to its nearest seed (the lowest index on a tie, so a
/// seed always owns its own sample).
fn assign(samples: &[Sample], seeds: &[usize], owner: &mut [usize]) {
    for (o, s) in owner.iter_mut().zip(samples) {
        let mut best = (f64::INFINITY, 0);
        for (j, &seed) in seeds.iter().enumerate() {
            let d = dist2(s.at, samples[seed].at);
            if d < best.0 {
                best = (d, j);
            }
        }
        *o = best.1;
    }
}

/// One Lloyd step: each seed moves to the weighted centroid of its samples,
/// then onto the nearest of its own samples. That keeps every seed inside
/// the parent, and distinct, since no two seeds own the same sample.
fn relaxed(samples: &[Sample], seeds: &[usize], owner: &[usize]) -> Vec<usize> {
    let mut sums = vec![(0.0, 0.0, 0.0); seeds.len()];
    for (s, &o) in samples.iter().zip(owner) {
        sums[o].0 += s.at.x * s.weight;
        sums[o].1 += s.at.y * s.weight;
        sums[o].2 += s.weight;
    }
    let mut best: Vec<(f64, usize)> = seeds.iter().map(|&s| (f64::INFINITY, s)).collect();
    for (i, (s, &o)) in samples.iter().zip(owner).enumerate() {
        let (x, y, w) = sums[o];
        if w > 0.0 {
            let d = dist2(s.at, Coord { x: x / w, y: y / w });
            if d < best[o].0 {
                best[o] = (d, i);
            }
        }
    }
    best.into_iter().map(|(_, i)| i).collect()
}

/// A line a Voronoi cell's edge lies on: a side of the box (left, right,
/// bottom, top), or the bisector of two sites (lower index first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Line {
    Side(u8),
    Bisector(usize, usize),
}

/// A corner of a cell, and the line the cell's edge leaves it along
/// (counter-clockwise). The line it arrives on is the previous corner's.
#[derive(Debug, Clone, Copy)]
struct Corner {
    at: Coord<f64>,
    to: Line,
}

/// The sites and the box, in local coordinates.
struct Lines {
    sites: Vec<Coord<f64>>,
    /// Left, right, bottom, top.
    bounds: [f64; 4],
}

impl Lines {
    /// `n · p = c` for the line, the normal of a bisector pointing from its
    /// first site to its second.
    fn equation(&self, line: Line) -> (Coord<f64>, f64) {
        match line {
            Line::Side(s) => {
                let normal = if s < 2 {
                    Coord { x: 1.0, y: 0.0 }
                } else {
                    Coord { x: 0.0, y: 1.0 }
                };
                (normal, self.bounds[usize::from(s)])
            }
            Line::Bisector(a, b) => {
                let (p, q) = (self.sites[a], self.sites[b]);
                let normal = Coord {
                    x: q.x - p.x,
                    y: q.y - p.y,
                };
                let mid = Coord {
                    x: f64::midpoint(p.x, q.x),
                    y: f64::midpoint(p.y, q.y),
                };
                (normal, normal.x * mid.x + normal.y * mid.y)
            }
        }
    }

    /// Where two lines meet, computed the same way in every cell that has
    /// this corner: the lines are put in a fixed order and two bisectors of
    /// a cell (sites i, j and i, k) are replaced by the two of the triple's
    /// lowest site, which meet at the same point.
    fn meet(&self, l1: Line, l2: Line) -> Option<Coord<f64>> {
        let (l1, l2) = match (l1, l2) {
            (Line::Bisector(a, b), Line::Bisector(c, d)) => {
                let mut t = [a, b, c, d];
                t.sort_unstable();
                // A cell's two bisectors share its own site: three distinct.
                let (x, y, z) = if t[0] == t[1] {
                    (t[0], t[2], t[3])
                } else if t[1] == t[2] {
                    (t[0], t[1], t[3])
                } else {
                    (t[0], t[1], t[2])
                };
                (Line::Bisector(x, y), Line::Bisector(x, z))
            }
            (a, b) if a <= b => (a, b),
            (a, b) => (b, a),
        };
        let (n1, c1) = self.equation(l1);
        let (n2, c2) = self.equation(l2);
        let det = n1.x * n2.y - n1.y * n2.x;
        if det == 0.0 {
            return None;
        }
        Some(Coord {
            x: (c1 * n2.y - c2 * n1.y) / det,
            y: (n1.x * c2 - n2.x * c1) / det,
        })
    }

    /// The Voronoi cell of site `i` within the box, counter-clockwise.
    /// Neighbours are visited nearest first; once the nearest remaining one
    /// is more than twice as far as the cell's farthest corner, no bisector
    /// can cut the cell any more.
    fn cell(&self, i: usize) -> Vec<Coord<f64>> {
        let [l, r, b, t] = self.bounds;
        let corner = |x, y, to| Corner {
            at: Coord { x, y },
            to: Line::Side(to),
        };
        let mut cell = vec![
            corner(l, b, 2),
            corner(r, b, 1),
            corner(r, t, 3),
            corner(l, t, 0),
        ];
        let me = self.sites[i];
        let mut others: Vec<(f64, usize)> = (0..self.sites.len())
            .filter(|&j| j != i)
            .map(|j| (dist2(me, self.sites[j]), j))
            .collect();
        others.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (d2, j) in others {
            let reach2 = cell.iter().map(|c| dist2(me, c.at)).fold(0.0, f64::max);
            if d2 > 4.0 * reach2 {
                break;
            }
            cell = self.clip(&cell, i, j);
            if cell.len() < 3 {
                break;
            }
        }
        cell.into_iter().map(|c| c.at).collect()
    }

    /// Clips a convex cell of site `i` to the side of the bisector with `j`
    /// where `i` is (Sutherland–Hodgman).
    fn clip(&self, cell: &[Corner], i: usize, j: usize) -> Vec<Corner> {
        let cut = Line::Bisector(i.min(j), i.max(j));
        let (normal, c) = self.equation(cut);
        // Outside is positive: the normal points towards the other site.
        let sign = if i < j { 1.0 } else { -1.0 };
        let outside = |p: Coord<f64>| sign * (normal.x * p.x + normal.y * p.y - c) > 0.0;
        let mut out = Vec::with_capacity(cell.len() + 1);
        for (k, p) in cell.iter().enumerate() {
            let q = &cell[(k + 1) % cell.len()];
            let (p_out, q_out) = (outside(p.at), outside(q.at));
            if !p_out {
                out.push(*p);
            }
            if p_out != q_out {
                // Coming back in, the edge goes on along p's line; going
                // out, it turns onto the cut.
                out.push(Corner {
                    at: self.crossing(p.to, cut, p.at, q.at),
                    to: if p_out { p.to } else { cut },
                });
            }
        }
        out
    }

    /// Where the edge from `p` to `q` on `edge` crosses `cut`: the shared,
    /// canonical [`Self::meet`], unless rounding in nearly parallel lines
    /// throws it off the edge, then the plain interpolation.
    fn crossing(&self, edge: Line, cut: Line, p: Coord<f64>, q: Coord<f64>) -> Coord<f64> {
        let [l, r, b, t] = self.bounds;
        let slack = 1e-9 * (r - l).max(t - b);
        let on_edge = |x: &Coord<f64>| {
            x.x >= p.x.min(q.x) - slack
                && x.x <= p.x.max(q.x) + slack
                && x.y >= p.y.min(q.y) - slack
                && x.y <= p.y.max(q.y) + slack
        };
        self.meet(edge, cut).filter(on_edge).unwrap_or_else(|| {
            let (normal, c) = self.equation(cut);
            let (sp, sq) = (
                normal.x * p.x + normal.y * p.y - c,
                normal.x * q.x + normal.y * q.y - c,
            );
            let t = if (sp - sq).abs() > 0.0 {
                sp / (sp - sq)
            } else {
                0.5
            };
            Coord {
                x: p.x + (q.x - p.x) * t,
                y: p.y + (q.y - p.y) * t,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;
    use rand::SeedableRng;

    fn square() -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (120.6, 28.0),
                (120.7, 28.0),
                (120.7, 28.1),
                (120.6, 28.1),
                (120.6, 28.0),
            ]),
            vec![],
        )])
    }

    #[test]
    fn a_square_is_tiled_exactly() {
        let sq = square();
        let d = Density::wenzhou(&[]);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (pieces, _) = split(&sq, f64::INFINITY, 12, &d, &mut rng);
        assert_eq!(pieces.len(), 12);
        let sum: f64 = pieces.iter().map(|p| p.geometry.unsigned_area()).sum();
        assert!(
            (sum - sq.unsigned_area()).abs() < 1e-9 * sq.unsigned_area(),
            "{sum}"
        );
        let share: f64 = pieces.iter().map(|p| p.share).sum();
        assert!((share - 1.0).abs() < 1e-9);
        for (i, a) in pieces.iter().enumerate() {
            for b in &pieces[i + 1..] {
                assert!(
                    a.geometry.intersection(&b.geometry).unsigned_area()
                        < 1e-12 * sq.unsigned_area()
                );
            }
        }
    }

    #[test]
    fn denser_parts_get_smaller_pieces() {
        let d = Density::wenzhou(&[]);
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let (pieces, _) = split(&square(), f64::INFINITY, 30, &d, &mut rng);
        // The first piece has the densest seed (near the old city at the
        // square's north-east), the last the emptiest.
        let first = pieces[0].geometry.unsigned_area();
        let last = pieces[pieces.len() - 1].geometry.unsigned_area();
        assert!(first < last, "{first} vs {last}");
    }

    #[test]
    fn neighbours_share_their_corners_bit_for_bit() {
        let lines = Lines {
            sites: vec![
                Coord { x: 0.21, y: 0.33 },
                Coord { x: 0.71, y: 0.42 },
                Coord { x: 0.52, y: 0.83 },
                Coord { x: 0.13, y: 0.91 },
            ],
            bounds: [0.0, 1.0, 0.0, 1.0],
        };
        let cells: Vec<Vec<Coord<f64>>> = (0..4).map(|i| lines.cell(i)).collect();
        let area: f64 = cells
            .iter()
            .map(|c| {
                let mut ring = c.clone();
                ring.push(c[0]);
                Polygon::new(LineString::new(ring), Vec::new()).signed_area()
            })
            .sum();
        assert!(
            (area - 1.0).abs() < 1e-12,
            "cells cover the box, counter-clockwise: {area}"
        );
        // Every inner corner of a cell is a corner of another cell too,
        // with exactly the same coordinates.
        for (i, cell) in cells.iter().enumerate() {
            for corner in cell
                .iter()
                .filter(|c| c.x > 0.0 && c.x < 1.0 && c.y > 0.0 && c.y < 1.0)
            {
                let shared = cells
                    .iter()
                    .enumerate()
                    .any(|(j, other)| j != i && other.contains(corner));
                assert!(shared, "corner {corner:?} of cell {i} is nobody else's");
            }
        }
    }
}
