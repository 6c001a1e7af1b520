//! Point → grid through H3 cells.
//!
//! The grids are covered with H3 cells of adaptive size: a cell that lies
//! inside exactly one grid answers with a hash hit and no polygon test, and
//! may be as coarse as the grid allows; a cell that meets a grid edge is split
//! into its children down to the finest resolution, where it keeps a short
//! list of candidate grids for an exact point-in-polygon test.
//!
//! The cover is built top-down from H3's base cells: each cell is compared
//! with the grids whose bounding boxes come near it (an R-tree of boxes), and
//! only cells that meet an edge are refined. Work is therefore proportional to
//! the length of the grid edges, not to the area covered, and the refinement
//! of separate subtrees runs on every core.
//!
//! A point is looked up by its finest cell and that cell's ancestors, so a
//! coarse cell must answer for every finest-resolution descendant, and H3
//! children stick out of their parent's outline. A coarse cell is therefore
//! judged on its bounding box grown by [`DESCENDANT_MARGIN`] of its own size,
//! which holds all its descendants with room to spare (checked in the tests).
//! A finest cell is judged on its bounding box grown by [`EDGE_MARGIN_DEG`]:
//! h3o's outline in lon/lat differs from the true cell by far less than that.
//! Whatever the margins, the answer stays exact: a grown box only makes a
//! cell a boundary cell more often.

use geo::{BoundingRect, Coord, Intersects, MultiPolygon, Rect};
use h3o::{CellIndex, LatLng, Resolution};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use rustc_hash::{FxHashMap, FxHashSet};

use super::areas::AreaIdx;
use super::error::{EngineError, Result};
use super::sphere::LonLat;

mod image;

/// How far (degrees, ~10 cm) a finest cell's bounding box is grown before it
/// is compared with the grids.
pub const EDGE_MARGIN_DEG: f64 = 1e-6;

/// How far a coarser cell's bounding box is grown, as a fraction of its
/// larger side: every finest-resolution descendant of an H3 cell lies within
/// about 0.35 of that side of its outline (0.61 circumradii: each level's
/// child centres lie inside the parent, and radii shrink by √7 per level);
/// 0.5 leaves 40% to spare for the distortion of the projection.
pub const DESCENDANT_MARGIN: f64 = 0.5;

/// The default finest H3 resolution (10: cells of about 0.015 km², edge 66 m),
/// fine enough that most urban boundary cells hold one or two grids.
pub const DEFAULT_RESOLUTION: Resolution = Resolution::Ten;

/// Resolution from which the refinement is shared out between threads: by
/// then a city is split into dozens of independent subtrees.
const SPLIT_RESOLUTION: u8 = 5;

/// What a cell knows.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// Entirely inside this grid.
    Interior(AreaIdx),
    /// Touches the edges of these grids: `candidates[start..start + len]`.
    Boundary { start: u32, len: u32 },
}

/// One grid as the locator sees it.
#[derive(Debug)]
struct Shape {
    area: AreaIdx,
    bbox: Rect<f64>,
    geometry: MultiPolygon<f64>,
}

/// Answers "which grid is this point in" in a hash lookup or two.
#[derive(Debug)]
pub struct GridLocator {
    /// The resolution points are converted at.
    resolution: Resolution,
    /// Resolutions present in `cells`, finest first: the lookup walks up the
    /// hierarchy through these only.
    levels: Vec<Resolution>,
    /// Cell → what it knows. Keys never overlap: a cell is either stored or
    /// refined into its children, never both.
    cells: FxHashMap<CellIndex, Slot>,
    /// Concatenated candidate lists of boundary cells, as `shapes` indices in
    /// area order.
    candidates: Vec<u32>,
    /// The grids.
    shapes: Vec<Shape>,
}

/// The grids as the locator keeps them, refused if a coordinate is not
/// finite.
fn shapes_of(grids: &[(AreaIdx, &MultiPolygon<f64>)]) -> Result<Vec<Shape>> {
    let shapes: Vec<Shape> = grids
        .iter()
        .filter_map(|(area, g)| {
            Some(Shape {
                area: *area,
                bbox: g.bounding_rect()?,
                geometry: (*g).clone(),
            })
        })
        .collect();
    for s in &shapes {
        let (min, max) = (s.bbox.min(), s.bbox.max());
        if ![min.x, min.y, max.x, max.y].iter().all(|v| v.is_finite()) {
            return Err(EngineError::InvalidGeometry(format!(
                "grid {}: coordinates must be finite",
                s.area
            )));
        }
    }
    Ok(shapes)
}

/// Cells found by one refinement worker.
#[derive(Debug, Default)]
struct Cover {
    cells: Vec<(CellIndex, Slot)>,
    candidates: Vec<u32>,
}

/// How a grid relates to the region a cell answers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    /// No point of the region is in the grid (edges included).
    Outside,
    /// Every point of the region is inside the grid.
    Inside,
    /// An edge of the grid comes into the region.
    Crossing,
}

/// What [`Grids::classify`] made of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Stored as inside this grid (a `shapes` index).
    Interior(u32),
    /// Stored as a boundary cell, or dropped: no grid comes near it.
    Done,
    /// To be split into its children.
    Split,
}

/// The grids and the R-tree of their boxes, shared by the workers.
struct Grids<'a> {
    shapes: &'a [Shape],
    boxes: RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
    finest: Resolution,
}

impl GridLocator {
    /// Covers every grid with cells down to `resolution` and classifies
    /// them. `grids` must be in area-index order: a point on a shared edge
    /// goes to the first grid that contains it.
    pub fn build(grids: &[(AreaIdx, &MultiPolygon<f64>)], resolution: Resolution) -> Result<Self> {
        let shapes = shapes_of(grids)?;
        let index = Grids {
            shapes: &shapes,
            boxes: RTree::bulk_load(
                shapes
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        GeomWithData::new(
                            Rectangle::from_corners(
                                [s.bbox.min().x, s.bbox.min().y],
                                [s.bbox.max().x, s.bbox.max().y],
                            ),
                            i as u32,
                        )
                    })
                    .collect(),
            ),
            finest: resolution,
        };

        // Breadth-first down to the split resolution, then each remaining
        // subtree depth-first on one of the threads.
        let mut cover = Cover::default();
        let mut frontier: Vec<CellIndex> = CellIndex::base_cells().collect();
        let split =
            Resolution::try_from(SPLIT_RESOLUTION.min(u8::from(resolution))).unwrap_or(resolution);
        while frontier.first().is_some_and(|c| c.resolution() < split) {
            let mut next = Vec::new();
            for cell in frontier {
                if index.classify(cell, &mut cover) == Verdict::Split {
                    next.extend(cell.children(child_resolution(cell)));
                }
            }
            frontier = next;
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(frontier.len().max(1));
        let index = &index;
        let frontier = &frontier;
        let parts: Vec<Cover> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    s.spawn(move || {
                        let mut part = Cover::default();
                        // Interleaved, so dense and empty parts of the city
                        // are shared out evenly.
                        for &cell in frontier.iter().skip(t).step_by(threads) {
                            index.refine(cell, &mut part);
                        }
                        part
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });

        let (cells, candidates, levels) = merge(resolution, &shapes, cover, parts);
        Ok(GridLocator {
            resolution,
            levels,
            cells,
            candidates,
            shapes,
        })
    }

    /// The grid containing `p` (edges included), if any.
    #[must_use]
    pub fn locate(&self, p: LonLat) -> Option<AreaIdx> {
        let ll = LatLng::new(p.lat, p.lon).ok()?;
        let cell = ll.to_cell(self.resolution);
        let slot = self
            .levels
            .iter()
            .find_map(|&r| self.cells.get(&cell.parent(r)?))?;
        match *slot {
            Slot::Interior(area) => Some(area),
            Slot::Boundary { start, len } => {
                let c = Coord { x: p.lon, y: p.lat };
                self.candidates[start as usize..(start + len) as usize]
                    .iter()
                    .map(|&s| &self.shapes[s as usize])
                    .find(|s| s.bbox.intersects(&c) && s.geometry.intersects(&c))
                    .map(|s| s.area)
            }
        }
    }

    /// How many cells the locator holds, and how many of them are interior.
    #[must_use]
    pub fn cell_counts(&self) -> (usize, usize) {
        let interior = self
            .cells
            .values()
            .filter(|s| matches!(s, Slot::Interior(_)))
            .count();
        (self.cells.len(), interior)
    }

    /// The resolution points are converted at.
    #[must_use]
    pub fn resolution(&self) -> Resolution {
        self.resolution
    }
}

impl Grids<'_> {
    /// Refines a cell depth-first. Returns the grid when the whole cell
    /// turned out to lie inside one: its children are then merged back into
    /// it (exact, since a point is looked up through its finest cell's
    /// ancestors), which keeps the table small where the margins were too
    /// cautious.
    fn refine(&self, cell: CellIndex, out: &mut Cover) -> Option<u32> {
        match self.classify(cell, out) {
            Verdict::Interior(s) => return Some(s),
            Verdict::Done => return None,
            Verdict::Split => {}
        }
        let mark = out.cells.len();
        let mut all: Option<Option<u32>> = None;
        for child in cell.children(child_resolution(cell)) {
            let got = self.refine(child, out);
            all = match all {
                None => Some(got),
                Some(same) if same == got => Some(same),
                Some(_) => Some(None),
            };
        }
        let s = all.flatten()?;
        // Every child is one Interior entry of the same grid.
        out.cells.truncate(mark);
        out.cells.push((cell, Slot::Interior(s)));
        Some(s)
    }

    /// Decides a cell: stores it in `out` (inside one grid, or a finest cell
    /// with candidates), drops it (no grid there), or asks for it to be split
    /// into its children.
    fn classify(&self, cell: CellIndex, out: &mut Cover) -> Verdict {
        let finest = cell.resolution() >= self.finest;
        let region = region(cell, finest);
        let mut near: Vec<u32> = Vec::new();
        for r in &region {
            let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
            near.extend(
                self.boxes
                    .locate_in_envelope_intersecting(env)
                    .map(|g| g.data),
            );
        }
        near.sort_unstable();
        near.dedup();
        // Grids in area order up to the first one holding the whole region:
        // later grids can never win a point here.
        let start = out.candidates.len();
        for s in near {
            match relation(&self.shapes[s as usize], &region) {
                Relation::Outside => {}
                Relation::Inside if out.candidates.len() == start => {
                    out.cells.push((cell, Slot::Interior(s)));
                    return Verdict::Interior(s);
                }
                Relation::Inside => {
                    out.candidates.push(s);
                    break;
                }
                Relation::Crossing => out.candidates.push(s),
            }
        }
        let len = out.candidates.len() - start;
        if len == 0 {
            return Verdict::Done;
        }
        if finest {
            out.cells.push((
                cell,
                Slot::Boundary {
                    start: start as u32,
                    len: len as u32,
                },
            ));
            return Verdict::Done;
        }
        out.candidates.truncate(start);
        Verdict::Split
    }
}

/// The workers' cells in one table (their candidate lists concatenated,
/// interior cells naming the area), and the resolutions present, finest first.
fn merge(
    resolution: Resolution,
    shapes: &[Shape],
    first: Cover,
    parts: Vec<Cover>,
) -> (FxHashMap<CellIndex, Slot>, Vec<u32>, Vec<Resolution>) {
    let total = first.cells.len() + parts.iter().map(|p| p.cells.len()).sum::<usize>();
    let mut cells = FxHashMap::with_capacity_and_hasher(total, rustc_hash::FxBuildHasher);
    let mut candidates = Vec::with_capacity(
        first.candidates.len() + parts.iter().map(|p| p.candidates.len()).sum::<usize>(),
    );
    let mut present = FxHashSet::default();
    present.insert(resolution);
    for part in std::iter::once(first).chain(parts) {
        let offset = candidates.len() as u32;
        candidates.extend_from_slice(&part.candidates);
        for (cell, slot) in part.cells {
            present.insert(cell.resolution());
            let slot = match slot {
                Slot::Interior(s) => Slot::Interior(shapes[s as usize].area),
                Slot::Boundary { start, len } => Slot::Boundary {
                    start: start + offset,
                    len,
                },
            };
            cells.insert(cell, slot);
        }
    }
    let mut levels: Vec<Resolution> = present.into_iter().collect();
    levels.sort_unstable_by(|a, b| b.cmp(a));

    (cells, candidates, levels)
}

/// The resolution of a cell's children (it is never the finest possible:
/// cells at the locator's finest resolution are not split).
fn child_resolution(cell: CellIndex) -> Resolution {
    cell.resolution().succ().unwrap_or(Resolution::Fifteen)
}

/// The lon/lat boxes (two where it crosses the antimeridian) holding every
/// point a cell answers for: its outline's box, grown by [`EDGE_MARGIN_DEG`]
/// for a finest cell and by [`DESCENDANT_MARGIN`] of its size otherwise.
fn region(cell: CellIndex, finest: bool) -> Vec<Rect<f64>> {
    let boundary = cell.boundary();
    let (mut s, mut n) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut w, mut e) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in boundary.iter() {
        s = s.min(v.lat());
        n = n.max(v.lat());
        w = w.min(v.lng());
        e = e.max(v.lng());
    }
    if e - w > 180.0 {
        // Across the antimeridian: measure with western longitudes moved
        // past 180°.
        (w, e) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in boundary.iter() {
            let lon = if v.lng() < 0.0 {
                v.lng() + 360.0
            } else {
                v.lng()
            };
            w = w.min(lon);
            e = e.max(lon);
        }
    }
    let margin = if finest {
        EDGE_MARGIN_DEG
    } else {
        DESCENDANT_MARGIN * (e - w).max(n - s) + EDGE_MARGIN_DEG
    };
    let around_pole =
        |lat: f64| LatLng::new(lat, 0.0).is_ok_and(|p| p.to_cell(cell.resolution()) == cell);
    if n + margin > 60.0 && around_pole(90.0) {
        n = 90.0;
        (w, e) = (-180.0, 180.0);
    }
    if s - margin < -60.0 && around_pole(-90.0) {
        s = -90.0;
        (w, e) = (-180.0, 180.0);
    }
    let (s, n) = ((s - margin).max(-90.0), (n + margin).min(90.0));
    let (w, e) = (w - margin, e + margin);
    let rect = |w: f64, e: f64| Rect::new(Coord { x: w, y: s }, Coord { x: e, y: n });
    if e - w >= 360.0 {
        vec![rect(-180.0, 180.0)]
    } else if w < -180.0 {
        vec![rect(w + 360.0, 180.0), rect(-180.0, e)]
    } else if e > 180.0 {
        vec![rect(w, 180.0), rect(-180.0, e - 360.0)]
    } else {
        vec![rect(w, e)]
    }
}

/// How a grid relates to a region (boxes that do not cross the antimeridian).
fn relation(shape: &Shape, region: &[Rect<f64>]) -> Relation {
    let (mut inside, mut outside) = (false, false);
    for r in region {
        if !shape.bbox.intersects(r) {
            outside = true;
            continue;
        }
        if edges(&shape.geometry).any(|(a, b)| segment_meets_box(a, b, r)) {
            return Relation::Crossing;
        }
        // No edge comes into the box, so it lies wholly inside or wholly
        // outside the grid, and its centre (far from every edge) tells which.
        if shape.geometry.intersects(&r.center()) {
            inside = true;
        } else {
            outside = true;
        }
    }
    match (inside, outside) {
        (true, false) => Relation::Inside,
        (false, _) => Relation::Outside,
        (true, true) => Relation::Crossing,
    }
}

/// Every edge of every ring.
fn edges(mp: &MultiPolygon<f64>) -> impl Iterator<Item = (Coord<f64>, Coord<f64>)> + '_ {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|ring| ring.0.windows(2).map(|w| (w[0], w[1])))
}

/// Whether the segment a–b has a point in the closed box `r`: their boxes
/// overlap and the segment's line does not leave all four corners strictly on
/// one side.
fn segment_meets_box(a: Coord<f64>, b: Coord<f64>, r: &Rect<f64>) -> bool {
    let (min, max) = (r.min(), r.max());
    if a.x.max(b.x) < min.x || a.x.min(b.x) > max.x || a.y.max(b.y) < min.y || a.y.min(b.y) > max.y
    {
        return false;
    }
    let side = |x: f64, y: f64| (b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x);
    let corners = [
        side(min.x, min.y),
        side(max.x, min.y),
        side(max.x, max.y),
        side(min.x, max.y),
    ];
    !(corners.iter().all(|&c| c > 0.0) || corners.iter().all(|&c| c < 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The margin that lets a coarse cell answer for its descendants: every
    /// vertex of every resolution-10 descendant lies inside the cell's grown
    /// box, and would even with 0.35 instead of [`DESCENDANT_MARGIN`].
    #[test]
    fn descendants_stay_inside_the_grown_box() {
        let places = [
            (120.65, 28.0),
            (0.0, 0.0),
            (-73.9, 40.7),
            (30.3, 59.9),
            (151.2, -33.9),
        ];
        for (lon, lat) in places {
            for res in [6u8, 7, 8, 9] {
                let res = Resolution::try_from(res).unwrap();
                let cell = LatLng::new(lat, lon).unwrap().to_cell(res);
                let b = cell.boundary();
                let lons = b.iter().map(|v| v.lng());
                let lats = b.iter().map(|v| v.lat());
                let (w, e) = (
                    lons.clone().fold(f64::INFINITY, f64::min),
                    lons.fold(f64::NEG_INFINITY, f64::max),
                );
                let (s, n) = (
                    lats.clone().fold(f64::INFINITY, f64::min),
                    lats.fold(f64::NEG_INFINITY, f64::max),
                );
                let m = 0.35 * (e - w).max(n - s);
                let [grown] = region(cell, false)[..] else {
                    panic!("one box expected at {lon}, {lat}");
                };
                for d in cell.children(Resolution::Ten) {
                    for v in d.boundary().iter() {
                        assert!(
                            v.lng() >= w - m
                                && v.lng() <= e + m
                                && v.lat() >= s - m
                                && v.lat() <= n + m,
                            "{d} sticks out of {cell} by more than 0.35"
                        );
                        assert!(grown.intersects(&Coord {
                            x: v.lng(),
                            y: v.lat()
                        }));
                    }
                }
            }
        }
    }

    /// A grid that is a few kilometres wide gets coarse interior cells, and
    /// lookups stay exact on and off its edges.
    #[test]
    fn large_grids_get_coarse_cells() {
        let square = |x0: f64, x1: f64| {
            MultiPolygon::new(vec![geo::Polygon::new(
                geo::LineString::from(vec![
                    (x0, 28.0),
                    (x1, 28.0),
                    (x1, 28.1),
                    (x0, 28.1),
                    (x0, 28.0),
                ]),
                vec![],
            )])
        };
        let (a, b) = (square(120.0, 120.1), square(120.1, 120.2));
        let loc = GridLocator::build(&[(7, &a), (9, &b)], Resolution::Ten).unwrap();
        assert!(loc.levels.len() > 2, "levels {:?}", loc.levels);
        let at = |lon: f64, lat: f64| loc.locate(LonLat::new(lon, lat).unwrap());
        assert_eq!(at(120.05, 28.05), Some(7));
        assert_eq!(at(120.15, 28.05), Some(9));
        assert_eq!(at(120.1, 28.05), Some(7));
        assert_eq!(at(120.0, 28.0), Some(7));
        assert_eq!(at(120.2, 28.1), Some(9));
        assert_eq!(at(120.25, 28.05), None);
        assert_eq!(at(120.05, 27.999_999), None);
    }
}
