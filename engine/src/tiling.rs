//! Whether each area's children tile it: no two siblings overlap, no part of
//! the parent is left to no child, no child reaches outside its parent.
//!
//! [`AreaTree::build`](super::AreaTree::build) refuses a tree that is wrong
//! in its codes (missing parent, levels out of order, duplicates); this
//! checks the geometry, which a city draws by hand and gets slightly wrong.
//! It refuses nothing: `riskmap import` prints the problems so the city's GIS
//! staff can fix their own grids, and each problem names the codes, the m²
//! and a point near it to zoom to.
//!
//! Areas are square metres on the sphere of [`EARTH_RADIUS_M`], by
//! Chamberlain and Duquette's formula (the one behind geo's
//! `ChamberlainDuquetteArea`, written out in [`ring_m2`]). Why: it is exact
//! for a spherical polygon whatever its size, so it needs no reference
//! latitude per parent (a local equirectangular projection would drift by
//! ~1 % across a city a degree tall), and it costs one `sin` per vertex. The
//! sphere is within 0.5 % of the ellipsoid across China, far below any
//! tolerance that matters here. The boolean operations run in degrees: they
//! are topological, and `i_overlay` snaps to a grid scaled to the inputs' box,
//! so shared edges stay shared.
//!
//! Cost, for a parent with n children of ~v vertices and V vertices of its
//! own: an R-tree of the children's boxes (n log n), one intersection per
//! sibling pair whose boxes overlap by a non-negligible area (a few per
//! child; neighbours whose boxes merely touch are skipped unseen), one union
//! of the children and one difference with the parent (~(nv + V) log), and a
//! per-child difference only for children near a part of the union outside
//! the parent (none, in a clean tiling). Parents are checked on all cores.
//! The whole city is thus about linear in its vertices: seconds for 50,000
//! grids, fine for an offline import.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use geo::{
    BooleanOps, BoundingRect, InteriorPoint, Intersects, LineString, MultiPolygon, Orient, Polygon,
    Rect, orient::Direction, unary_union,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use rustc_hash::FxHashMap;

use super::model::{Area, AreaLevel};
use super::sphere::EARTH_RADIUS_M;

/// How large a flaw must be to be reported. Digitising leaves slivers along
/// shared edges (a vertex a metre off), which are normal and harmless; a
/// flaw is ignored only when it is small both in square metres and as a
/// share of the area it is judged against (the smaller of two overlapping
/// siblings, the parent for a gap, the child for a part outside its parent).
/// Both, because either alone misleads: 80 m² is noise beside a 1 km² grid
/// but 4 % of a 2,000 m² grid, where a house could fall in either; 0.05 % of
/// a 200 km² district is a 100,000 m² hole nobody patrols.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Flaws under this many square metres may be ignored...
    pub m2: f64,
    /// ...if also under this share (0.001 = 0.1 %) of the reference area.
    pub share: f64,
}

impl Default for Tolerance {
    /// 100 m² (a 10 m square, or a 1 m sliver along a 100 m edge) and 0.1 %:
    /// larger than digitising noise on grids a few hundred metres across, far
    /// smaller than a building block.
    fn default() -> Self {
        Tolerance {
            m2: 100.0,
            share: 0.001,
        }
    }
}

impl Tolerance {
    /// Reports every flaw of positive area, however small.
    pub const EXACT: Tolerance = Tolerance {
        m2: 0.0,
        share: 0.0,
    };

    /// Whether a flaw of `m2` judged against `reference_m2` is ignored.
    #[must_use]
    pub fn ignores(&self, m2: f64, reference_m2: f64) -> bool {
        m2.is_nan() || m2 <= 0.0 || (m2 < self.m2 && m2 < self.share * reference_m2)
    }
}

/// One way an area's children fail to tile it. Codes are the areas' codes;
/// `near` is a (lon, lat) inside the flaw (of its largest piece).
#[derive(Debug, Clone, PartialEq)]
pub enum TilingProblem {
    /// Two siblings of level `level` share `m2` square metres.
    Overlap {
        level: AreaLevel,
        a: String,
        b: String,
        m2: f64,
        near: (f64, f64),
    },
    /// One connected part of `parent` (of level `level`) that no child covers.
    Gap {
        level: AreaLevel,
        parent: String,
        m2: f64,
        near: (f64, f64),
    },
    /// `child` (of level `level`) reaches `m2` square metres outside `parent`.
    Outside {
        level: AreaLevel,
        child: String,
        parent: String,
        m2: f64,
        near: (f64, f64),
    },
}

impl TilingProblem {
    /// Square metres of the flaw, e.g. to list the largest first.
    #[must_use]
    pub fn m2(&self) -> f64 {
        match self {
            TilingProblem::Overlap { m2, .. }
            | TilingProblem::Gap { m2, .. }
            | TilingProblem::Outside { m2, .. } => *m2,
        }
    }

    /// A (lon, lat) inside the flaw.
    #[must_use]
    pub fn near(&self) -> (f64, f64) {
        match self {
            TilingProblem::Overlap { near, .. }
            | TilingProblem::Gap { near, .. }
            | TilingProblem::Outside { near, .. } => *near,
        }
    }
}

impl fmt::Display for TilingProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (m2, near) = (M2(self.m2()), LonLatText(self.near()));
        match self {
            TilingProblem::Overlap { level, a, b, .. } => {
                let grids = name(*level).1;
                write!(f, "{grids} {a} and {b} overlap by {m2} near {near}")
            }
            TilingProblem::Gap { level, parent, .. } => {
                let (street, communities) = (
                    name(*level).0,
                    level.child().map_or("children", |c| name(c).1),
                );
                write!(
                    f,
                    "{street} {parent} has {m2} not covered by any of its {communities} near {near}"
                )
            }
            TilingProblem::Outside {
                level,
                child,
                parent,
                ..
            } => {
                let (grid, community) = (
                    name(*level).0,
                    parent_level(*level).map_or("parent", |p| name(p).0),
                );
                write!(
                    f,
                    "{grid} {child} reaches {m2} outside its {community} {parent} near {near}"
                )
            }
        }
    }
}

/// Checks every area with children in `areas`. Areas whose parent code is
/// unknown are skipped: [`AreaTree::build`](super::AreaTree::build) refuses
/// those already. Problems come parent by parent in input order; within a
/// parent, overlaps, then gaps, then children outside.
#[must_use]
pub fn check_tiling(areas: &[Area], tolerance: Tolerance) -> Vec<TilingProblem> {
    let mut by_code: FxHashMap<&str, usize> = FxHashMap::default();
    for (i, a) in areas.iter().enumerate() {
        by_code.entry(a.code.as_str()).or_insert(i);
    }
    let mut children = vec![Vec::new(); areas.len()];
    for (i, a) in areas.iter().enumerate() {
        if let Some(&p) = a.parent.as_deref().and_then(|c| by_code.get(c))
            && p != i
        {
            children[p].push(i);
        }
    }
    let parents: Vec<usize> = (0..areas.len())
        .filter(|&p| !children[p].is_empty())
        .collect();
    // Families are independent and their costs uneven (a street with 30
    // communities, a community with 8 grids): threads take the next family
    // off a shared counter, and the results are put back in input order.
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(parents.len())
        .max(1);
    let (next, parents, children) = (&next, &parents, &children);
    let mut found: Vec<(usize, Vec<TilingProblem>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(move || {
                    let mut out = Vec::new();
                    while let Some(&p) = parents.get(next.fetch_add(1, Ordering::Relaxed)) {
                        out.push((p, check_family(areas, p, &children[p], tolerance)));
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    found.sort_unstable_by_key(|&(p, _)| p);
    found
        .into_iter()
        .flat_map(|(_, problems)| problems)
        .collect()
}

/// The problems of one parent and its children.
fn check_family(
    areas: &[Area],
    parent: usize,
    kids: &[usize],
    tol: Tolerance,
) -> Vec<TilingProblem> {
    let p = &areas[parent];
    let kid_m2: Vec<f64> = kids.iter().map(|&c| m2(&areas[c].geometry)).collect();
    let mut out = overlaps(areas, kids, &kid_m2, tol);

    // unary_union reads its fill rule off the first ring's winding, so the
    // children are oriented alike first (city files mix windings).
    let oriented: Vec<MultiPolygon<f64>> = kids
        .iter()
        .map(|&c| areas[c].geometry.orient(Direction::Default))
        .collect();
    let covered = unary_union(&oriented);

    // Each hole separately: two holes are two places to fix.
    let parent_m2 = m2(&p.geometry);
    for hole in &p.geometry.difference(&covered) {
        let hole_m2 = polygon_m2(hole);
        if !tol.ignores(hole_m2, parent_m2) {
            out.push(TilingProblem::Gap {
                level: p.level,
                parent: p.code.clone(),
                m2: hole_m2,
                near: near_polygon(hole),
            });
        }
    }

    // The union's part outside the parent says which children to look at.
    let spill: Vec<Rect<f64>> = covered
        .difference(&p.geometry)
        .iter()
        .filter_map(BoundingRect::bounding_rect)
        .collect();
    if spill.is_empty() {
        return out;
    }
    for (k, &c) in kids.iter().enumerate() {
        let child = &areas[c];
        let near_spill = child
            .geometry
            .bounding_rect()
            .is_some_and(|r| spill.iter().any(|s| r.intersects(s)));
        if !near_spill {
            continue;
        }
        let outside = child.geometry.difference(&p.geometry);
        let outside_m2 = m2(&outside);
        if !tol.ignores(outside_m2, kid_m2[k]) {
            out.push(TilingProblem::Outside {
                level: child.level,
                child: child.code.clone(),
                parent: p.code.clone(),
                m2: outside_m2,
                near: near(&outside),
            });
        }
    }
    out
}

type Envelope = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Overlapping siblings, found among pairs whose boxes meet.
fn overlaps(areas: &[Area], kids: &[usize], kid_m2: &[f64], tol: Tolerance) -> Vec<TilingProblem> {
    let boxes: Vec<Option<Rect<f64>>> = kids
        .iter()
        .map(|&c| areas[c].geometry.bounding_rect())
        .collect();
    let tree = RTree::bulk_load(
        boxes
            .iter()
            .enumerate()
            .filter_map(|(k, r)| {
                let r = (*r)?;
                Some(Envelope::new(
                    Rectangle::from_corners(r.min().into(), r.max().into()),
                    k,
                ))
            })
            .collect(),
    );
    let mut out = Vec::new();
    for (k, r) in boxes.iter().enumerate() {
        let Some(r) = r else { continue };
        let envelope = AABB::from_corners(r.min().into(), r.max().into());
        let mut hits: Vec<usize> = tree
            .locate_in_envelope_intersecting(envelope)
            .map(|e| e.data)
            .filter(|&j| j > k)
            .collect();
        hits.sort_unstable();
        for j in hits {
            let reference = kid_m2[k].min(kid_m2[j]);
            // The boxes' common part bounds the overlap from above: when even
            // that is negligible (neighbours along a straight edge) the
            // costly intersection is skipped.
            if let Some(common) = box_intersection(r, boxes[j].as_ref())
                && tol.ignores(polygon_m2(&common.to_polygon()), reference)
            {
                continue;
            }
            let (a, b) = (&areas[kids[k]], &areas[kids[j]]);
            let shared = a.geometry.intersection(&b.geometry);
            let shared_m2 = m2(&shared);
            if !tol.ignores(shared_m2, reference) {
                out.push(TilingProblem::Overlap {
                    level: a.level,
                    a: a.code.clone(),
                    b: b.code.clone(),
                    m2: shared_m2,
                    near: near(&shared),
                });
            }
        }
    }
    out
}

fn box_intersection(a: &Rect<f64>, b: Option<&Rect<f64>>) -> Option<Rect<f64>> {
    let b = b?;
    a.intersects(b).then(|| {
        Rect::new(
            (a.min().x.max(b.min().x), a.min().y.max(b.min().y)),
            (a.max().x.min(b.max().x), a.max().y.min(b.max().y)),
        )
    })
}

/// Square metres of a multipolygon.
fn m2(mp: &MultiPolygon<f64>) -> f64 {
    mp.iter().map(polygon_m2).sum()
}

/// Square metres of a polygon, holes taken out whatever the rings' winding
/// (geo's `ChamberlainDuquetteArea` subtracts signed hole areas, which adds
/// them back when a hole winds against its exterior, as overlay output does).
fn polygon_m2(p: &Polygon<f64>) -> f64 {
    let holes: f64 = p.interiors().iter().map(ring_m2).sum();
    (ring_m2(p.exterior()) - holes).max(0.0)
}

/// Chamberlain and Duquette, "Some algorithms for polygons on a sphere"
/// (JPL, 2007): R² · |Σ Δλ · (sin φᵢ + sin φᵢ₊₁) / 2|. The sines are taken
/// relative to the first vertex's, which changes nothing for a closed ring
/// but keeps a 10 m² sliver from drowning in rounding of terms a city wide.
fn ring_m2(ring: &LineString<f64>) -> f64 {
    let Some(first) = ring.0.first() else {
        return 0.0;
    };
    let s0 = first.y.to_radians().sin();
    let sum: f64 = ring
        .lines()
        .map(|l| {
            let d_lon = (l.end.x - l.start.x).to_radians();
            d_lon * (l.start.y.to_radians().sin() + l.end.y.to_radians().sin() - 2.0 * s0)
        })
        .sum();
    (sum / 2.0).abs() * EARTH_RADIUS_M * EARTH_RADIUS_M
}

/// A point inside the largest piece, where a GIS user should zoom to.
fn near(mp: &MultiPolygon<f64>) -> (f64, f64) {
    mp.iter()
        .max_by(|a, b| polygon_m2(a).total_cmp(&polygon_m2(b)))
        .map_or((f64::NAN, f64::NAN), near_polygon)
}

fn near_polygon(p: &Polygon<f64>) -> (f64, f64) {
    p.interior_point()
        .map(|q| (q.x(), q.y()))
        .or_else(|| p.bounding_rect().map(|r| (r.center().x, r.center().y)))
        .unwrap_or((f64::NAN, f64::NAN))
}

/// English singular and plural of a level, as a city's GIS staff say them.
fn name(level: AreaLevel) -> (&'static str, &'static str) {
    match level {
        AreaLevel::City => ("city", "cities"),
        AreaLevel::District => ("district", "districts"),
        AreaLevel::Street => ("street", "streets"),
        AreaLevel::Community => ("community", "communities"),
        AreaLevel::Grid => ("grid", "grids"),
    }
}

fn parent_level(level: AreaLevel) -> Option<AreaLevel> {
    AreaLevel::ALL
        .into_iter()
        .find(|l| l.child() == Some(level))
}

/// Square metres as "1,234 m²" (one decimal under 10, where rounding hides).
struct M2(f64);

impl fmt::Display for M2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 10.0 {
            return write!(f, "{:.1} m²", self.0);
        }
        let digits = format!("{:.0}", self.0);
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        write!(f, "{grouped} m²")
    }
}

/// "lon,lat" to 5 decimals (~1 m), the order GeoJSON and map search boxes use.
struct LonLatText((f64, f64));

impl fmt::Display for LonLatText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.5},{:.5}", self.0.0, self.0.1)
    }
}

#[cfg(test)]
mod tests;
