//! Point → grid through H3 cells.
//!
//! Every grid is covered with H3 cells at one fine resolution. A cell that
//! lies well inside exactly one grid answers with a hash hit and no polygon
//! test; such cells are compacted to coarser parents so the countryside costs
//! little memory. A cell that touches a grid edge keeps a short list of
//! candidate grids for an exact point-in-polygon test.
//!
//! "Well inside" is decided conservatively: h3o's containment test works on
//! the cell's outline in lon/lat, which differs from the true cell by far less
//! than a millimetre, so a cell counts as interior only if its neighbours are
//! inside the same grid too, or no edge of the grid comes within
//! [`EDGE_MARGIN_DEG`] of it. Everything else takes the exact path.

use geo::{BoundingRect, Coord, Intersects, MultiPolygon, Rect};
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};
use rustc_hash::{FxHashMap, FxHashSet};

use super::areas::AreaIdx;
use super::error::{EngineError, Result};
use super::sphere::LonLat;

/// How close (degrees, ~10 cm) a grid edge may come to a cell before the cell
/// is treated as a boundary cell.
pub const EDGE_MARGIN_DEG: f64 = 1e-6;

/// The default H3 resolution (10: cells of about 0.015 km², edge 66 m), fine
/// enough that most urban cells fall inside one grid.
pub const DEFAULT_RESOLUTION: Resolution = Resolution::Ten;

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
    /// Cell → what it knows. Keys never overlap: a compacted parent replaces
    /// all of its descendants.
    cells: FxHashMap<CellIndex, Slot>,
    /// Concatenated candidate lists of boundary cells, as `shapes` indices in
    /// area order.
    candidates: Vec<u32>,
    /// The grids.
    shapes: Vec<Shape>,
}

impl GridLocator {
    /// Covers every grid with cells at `resolution` and classifies them.
    /// `grids` must be in area-index order: a point on a shared edge goes to
    /// the first grid that contains it.
    pub fn build(grids: &[(AreaIdx, &MultiPolygon<f64>)], resolution: Resolution) -> Result<Self> {
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

        // (cell, shape, fully contained), sorted by cell.
        let mut hits: Vec<(CellIndex, u32, bool)> = Vec::new();
        for (i, shape) in shapes.iter().enumerate() {
            let mut tiler = TilerBuilder::new(resolution)
                .containment_mode(ContainmentMode::Covers)
                .build();
            tiler
                .add_batch(shape.geometry.0.iter().cloned())
                .map_err(|e| EngineError::InvalidGeometry(format!("grid {}: {e}", shape.area)))?;
            hits.extend(
                tiler
                    .into_annotated_coverage()
                    .map(|c| (c.cell, i as u32, c.is_fully_contained)),
            );
        }
        hits.sort_unstable_by_key(|&(c, s, _)| (c, s));
        hits.dedup_by_key(|&mut (c, s, _)| (c, s));

        // Cells covered by one grid only, and fully inside it.
        let mut lone_inside: FxHashMap<CellIndex, u32> = FxHashMap::default();
        for group in hits.chunk_by(|a, b| a.0 == b.0) {
            if let [(cell, shape, true)] = group {
                lone_inside.insert(*cell, *shape);
            }
        }

        let mut cells = FxHashMap::default();
        let mut candidates = Vec::new();
        let mut interior: FxHashMap<u32, Vec<CellIndex>> = FxHashMap::default();
        for group in hits.chunk_by(|a, b| a.0 == b.0) {
            let cell = group[0].0;
            if let Some(&shape) = lone_inside.get(&cell)
                && is_robustly_inside(cell, shape, &lone_inside, &shapes[shape as usize])
            {
                interior.entry(shape).or_default().push(cell);
                continue;
            }
            let start = candidates.len() as u32;
            candidates.extend(group.iter().map(|&(_, s, _)| s));
            cells.insert(
                cell,
                Slot::Boundary {
                    start,
                    len: group.len() as u32,
                },
            );
        }

        let mut present = FxHashSet::default();
        present.insert(resolution);
        for (shape, mut list) in interior {
            CellIndex::compact(&mut list)
                .map_err(|e| EngineError::InvalidGeometry(format!("H3 compaction: {e}")))?;
            for cell in list {
                present.insert(cell.resolution());
                cells.insert(cell, Slot::Interior(shapes[shape as usize].area));
            }
        }
        let mut levels: Vec<Resolution> = present.into_iter().collect();
        levels.sort_unstable_by(|a, b| b.cmp(a));

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

/// Whether a cell that h3o found fully inside `shape` is safely so: either
/// every neighbour is also inside the same grid (the grid's edge is at least a
/// cell away), or no edge of the grid passes near the cell.
fn is_robustly_inside(
    cell: CellIndex,
    shape_idx: u32,
    lone_inside: &FxHashMap<CellIndex, u32>,
    shape: &Shape,
) -> bool {
    let ring_inside = cell
        .grid_disk::<Vec<_>>(1)
        .into_iter()
        .all(|n| lone_inside.get(&n) == Some(&shape_idx));
    if ring_inside {
        return true;
    }
    let Some(bbox) = cell_bbox(cell) else {
        return false;
    };
    let near = Rect::new(
        Coord {
            x: bbox.min().x - EDGE_MARGIN_DEG,
            y: bbox.min().y - EDGE_MARGIN_DEG,
        },
        Coord {
            x: bbox.max().x + EDGE_MARGIN_DEG,
            y: bbox.max().y + EDGE_MARGIN_DEG,
        },
    );
    !shape
        .geometry
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(geo::LineString::lines)
        .any(|l| l.bounding_rect().intersects(&near))
}

fn cell_bbox(cell: CellIndex) -> Option<Rect<f64>> {
    let b = cell.boundary();
    let mut it = b.iter();
    let first = it.next()?;
    let (mut x0, mut y0) = (first.lng(), first.lat());
    let (mut x1, mut y1) = (x0, y0);
    for v in it {
        x0 = x0.min(v.lng());
        x1 = x1.max(v.lng());
        y0 = y0.min(v.lat());
        y1 = y1.max(v.lat());
    }
    Some(Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 }))
}
