//! Static layers (cameras, risk sources, key places) in an R-tree of lon/lat
//! envelopes, bulk-loaded and edited rarely.
//!
//! The R-tree only narrows candidates by envelope; every answer is then
//! decided exactly: a point in a box, a polygon intersecting a box, a
//! great-circle distance within a radius.

use geo::{
    BoundingRect, Closest, Contains, Coord, HaversineClosestPoint, Intersects, MultiLineString,
    MultiPolygon, Point, Rect,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use rustc_hash::FxHashMap;

use super::areas::AreaIdx;
use super::error::{EngineError, Result};
use super::model::{Camera, Footprint, KeyPlace, RiskSource};
use super::sphere::{self, LonLat};

/// Features from which a layer's grids are assigned on every core: below
/// it, starting the threads costs more than it saves.
const PARALLEL_PLACING: usize = 20_000;

/// Dense index of a feature inside one [`Layer`].
pub type FeatureIdx = u32;

type Envelope = GeomWithData<Rectangle<[f64; 2]>, FeatureIdx>;

/// Where a layer's feature is, borrowed.
#[derive(Debug, Clone, Copy)]
pub enum Shape<'a> {
    /// A single location.
    Point(Point<f64>),
    /// A route.
    Line(&'a MultiLineString<f64>),
    /// An extent.
    Area(&'a MultiPolygon<f64>),
}

/// A feature that a [`Layer`] can hold.
pub trait LayerItem {
    /// Its stable id.
    fn id(&self) -> &str;
    /// Where it is.
    fn shape(&self) -> Shape<'_>;
}

impl LayerItem for Camera {
    fn id(&self) -> &str {
        &self.id
    }
    fn shape(&self) -> Shape<'_> {
        Shape::Point(self.location.point())
    }
}

fn footprint_shape(f: &Footprint) -> Shape<'_> {
    match f {
        Footprint::Point(p) => Shape::Point(*p),
        Footprint::Line(ml) => Shape::Line(ml),
        Footprint::Area(mp) => Shape::Area(mp),
    }
}

impl LayerItem for RiskSource {
    fn id(&self) -> &str {
        &self.id
    }
    fn shape(&self) -> Shape<'_> {
        footprint_shape(&self.footprint)
    }
}

impl LayerItem for KeyPlace {
    fn id(&self) -> &str {
        &self.id
    }
    fn shape(&self) -> Shape<'_> {
        footprint_shape(&self.footprint)
    }
}

/// A layer of features with an envelope R-tree.
#[derive(Debug)]
pub struct Layer<T> {
    /// Features by index; `None` marks a freed slot.
    items: Vec<Option<T>>,
    /// Freed slots, reused before growing.
    free: Vec<FeatureIdx>,
    /// Id → index.
    by_id: FxHashMap<String, FeatureIdx>,
    /// Envelopes of every feature.
    tree: RTree<Envelope>,
    /// The grid each feature lies in (at its representative point), by
    /// index; kept by the engine for 分级授权 filtering.
    grids: Vec<Option<AreaIdx>>,
}

impl<T> Default for Layer<T> {
    fn default() -> Self {
        Layer {
            items: Vec::new(),
            free: Vec::new(),
            by_id: FxHashMap::default(),
            tree: RTree::new(),
            grids: Vec::new(),
        }
    }
}

impl<T: LayerItem> Layer<T> {
    /// Builds a layer in one go (bulk-loaded R-tree), refusing duplicate ids
    /// and empty geometries.
    pub fn build(items: Vec<T>) -> Result<Self> {
        let mut by_id = FxHashMap::default();
        let mut envelopes = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if by_id
                .insert(item.id().to_owned(), i as FeatureIdx)
                .is_some()
            {
                return Err(EngineError::InvalidProperties(format!(
                    "duplicate id {}",
                    item.id()
                )));
            }
            envelopes.push(GeomWithData::new(envelope(item)?, i as FeatureIdx));
        }
        Ok(Layer {
            grids: vec![None; items.len()],
            items: items.into_iter().map(Some).collect(),
            free: Vec::new(),
            by_id,
            tree: RTree::bulk_load(envelopes),
        })
    }

    /// Number of features.
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the layer is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// A feature by index.
    #[must_use]
    pub fn get(&self, idx: FeatureIdx) -> Option<&T> {
        self.items.get(idx as usize)?.as_ref()
    }

    /// A feature by index, to change what does not move it (its place in
    /// the index is not updated: the shape must stay as it is).
    pub(crate) fn get_mut(&mut self, idx: FeatureIdx) -> Option<&mut T> {
        self.items.get_mut(idx as usize)?.as_mut()
    }

    /// The grid a feature lies in, as last assigned.
    #[must_use]
    pub fn grid(&self, idx: FeatureIdx) -> Option<AreaIdx> {
        self.grids.get(idx as usize).copied().flatten()
    }

    /// Re-assigns every feature's grid, a large layer's in parts on every
    /// core (a city's 200,000 cameras take a quarter of a second on one).
    pub fn assign_grids(&mut self, grid_of: impl Fn(Point<f64>) -> Option<AreaIdx> + Sync)
    where
        T: Sync,
    {
        let place = |part: &[Option<T>]| -> Vec<Option<AreaIdx>> {
            part.iter()
                .map(|t| t.as_ref().and_then(|t| grid_of(representative(t.shape()))))
                .collect()
        };
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        if threads < 2 || self.items.len() < PARALLEL_PLACING {
            self.grids = place(&self.items);
            return;
        }
        let part = self.items.len().div_ceil(threads);
        self.grids = std::thread::scope(|s| {
            let parts: Vec<_> = self
                .items
                .chunks(part)
                .map(|chunk| s.spawn(|| place(chunk)))
                .collect();
            parts
                .into_iter()
                .flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
    }

    /// Assigns one feature's grid.
    pub fn set_grid(&mut self, idx: FeatureIdx, grid: Option<AreaIdx>) {
        let i = idx as usize;
        if self.grids.len() <= i {
            self.grids.resize(i + 1, None);
        }
        self.grids[i] = grid;
    }

    /// The index of an id.
    #[must_use]
    pub fn find(&self, id: &str) -> Option<FeatureIdx> {
        self.by_id.get(id).copied()
    }

    /// Every feature.
    pub fn iter(&self) -> impl Iterator<Item = (FeatureIdx, &T)> {
        self.items
            .iter()
            .enumerate()
            .filter_map(|(i, t)| Some((i as FeatureIdx, t.as_ref()?)))
    }

    /// Adds a feature or replaces the one with the same id.
    pub fn upsert(&mut self, item: T) -> Result<FeatureIdx> {
        let env = envelope(&item)?;
        if let Some(idx) = self.find(item.id()) {
            self.remove_envelope(idx);
            self.items[idx as usize] = Some(item);
            self.tree.insert(GeomWithData::new(env, idx));
            return Ok(idx);
        }
        let id = item.id().to_owned();
        let idx = if let Some(i) = self.free.pop() {
            self.items[i as usize] = Some(item);
            i
        } else {
            self.items.push(Some(item));
            (self.items.len() - 1) as FeatureIdx
        };
        self.by_id.insert(id, idx);
        self.tree.insert(GeomWithData::new(env, idx));
        Ok(idx)
    }

    /// Removes a feature; returns it if it existed.
    pub fn remove(&mut self, id: &str) -> Option<T> {
        let idx = self.by_id.remove(id)?;
        self.remove_envelope(idx);
        self.free.push(idx);
        self.items[idx as usize].take()
    }

    fn remove_envelope(&mut self, idx: FeatureIdx) {
        if let Some(item) = self.get(idx)
            && let Ok(env) = envelope(item)
        {
            self.tree.remove(&GeomWithData::new(env, idx));
        }
    }

    /// Features inside (points) or intersecting (areas) a lon/lat box
    /// `[west, south, east, north]`; west > east crosses the antimeridian.
    #[must_use]
    pub fn in_bbox(&self, bbox: [f64; 4]) -> Vec<FeatureIdx> {
        let mut out = Vec::new();
        for rect in split_bbox(bbox) {
            let env =
                AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
            out.extend(
                self.tree
                    .locate_in_envelope_intersecting(env)
                    .map(|e| e.data)
                    .filter(|&i| {
                        self.get(i).is_some_and(|t| match t.shape() {
                            Shape::Point(p) => rect.intersects(&p),
                            Shape::Line(ml) => ml.intersects(&rect),
                            Shape::Area(mp) => mp.intersects(&rect),
                        })
                    }),
            );
        }
        out
    }

    /// Features within `radius_m` great-circle metres of `q` (an area's
    /// distance is to its nearest point, zero inside), nearest first.
    pub fn within(&self, q: LonLat, radius_m: f64) -> Result<Vec<(FeatureIdx, f64)>> {
        let q = q.validated()?;
        if !(radius_m.is_finite() && radius_m >= 0.0) {
            return Err(EngineError::InvalidQuery(format!(
                "radius must be a non-negative number of metres, got {radius_m}"
            )));
        }
        let mut out: Vec<(FeatureIdx, f64)> = Vec::new();
        for rect in split_bbox(sphere::radius_bbox(q, radius_m)) {
            let env =
                AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
            for e in self.tree.locate_in_envelope_intersecting(env) {
                if let Some(t) = self.get(e.data) {
                    let d = distance_to_shape_m(q, t.shape());
                    if d <= radius_m {
                        out.push((e.data, d));
                    }
                }
            }
        }
        out.sort_unstable_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out.dedup_by_key(|e| e.0);
        Ok(out)
    }

    /// Features intersecting a polygon.
    #[must_use]
    pub fn in_polygon(&self, area: &MultiPolygon<f64>) -> Vec<FeatureIdx> {
        let Some(r) = area.bounding_rect() else {
            return Vec::new();
        };
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        self.tree
            .locate_in_envelope_intersecting(env)
            .map(|e| e.data)
            .filter(|&i| {
                self.get(i).is_some_and(|t| match t.shape() {
                    Shape::Point(p) => area.intersects(&p),
                    Shape::Line(ml) => area.intersects(ml),
                    Shape::Area(mp) => area.intersects(mp),
                })
            })
            .collect()
    }
}

/// Great-circle metres from `q` to a shape: to the point, to a line's
/// nearest point, or to an area's nearest point (zero inside it).
#[must_use]
pub fn distance_to_shape_m(q: LonLat, shape: Shape<'_>) -> f64 {
    let to = |p: Point<f64>| {
        sphere::distance_m(
            q,
            LonLat {
                lon: p.x(),
                lat: p.y(),
            },
        )
    };
    match shape {
        Shape::Point(p) => to(p),
        Shape::Line(ml) => match ml.haversine_closest_point(&q.point()) {
            Closest::Intersection(_) => 0.0,
            Closest::SinglePoint(p) => to(p),
            Closest::Indeterminate => f64::INFINITY,
        },
        Shape::Area(mp) => {
            let qp = q.point();
            if mp.contains(&qp) {
                return 0.0;
            }
            match mp.haversine_closest_point(&qp) {
                Closest::Intersection(_) => 0.0,
                Closest::SinglePoint(p) => to(p),
                Closest::Indeterminate => f64::INFINITY,
            }
        }
    }
}

/// The point a shape is placed at: itself, a point on the line, or a point
/// inside the area.
#[must_use]
pub fn representative(shape: Shape<'_>) -> Point<f64> {
    use geo::InteriorPoint;
    match shape {
        Shape::Point(p) => p,
        Shape::Line(ml) => ml.interior_point().unwrap_or_else(|| Point::new(0.0, 0.0)),
        Shape::Area(mp) => mp.interior_point().unwrap_or_else(|| Point::new(0.0, 0.0)),
    }
}

/// A shape's bounding box; `None` for an empty line or area.
#[must_use]
pub fn shape_bounds(shape: Shape<'_>) -> Option<Rect<f64>> {
    match shape {
        Shape::Point(p) => Some(Rect::new(p.0, p.0)),
        Shape::Line(ml) => ml.bounding_rect(),
        Shape::Area(mp) => mp.bounding_rect(),
    }
}

fn envelope<T: LayerItem>(item: &T) -> Result<Rectangle<[f64; 2]>> {
    let shape = item.shape();
    if let Shape::Point(p) = shape {
        LonLat::new(p.x(), p.y())?;
    }
    let r = shape_bounds(shape).ok_or_else(|| {
        EngineError::InvalidGeometry(format!("feature {} has an empty geometry", item.id()))
    })?;
    Ok(Rectangle::from_corners(
        [r.min().x, r.min().y],
        [r.max().x, r.max().y],
    ))
}

/// A box as one or two rectangles that do not cross the antimeridian.
#[must_use]
pub fn split_bbox(bbox: [f64; 4]) -> Vec<Rect<f64>> {
    let [w, s, e, n] = bbox;
    let rect = |w: f64, e: f64| Rect::new(Coord { x: w, y: s }, Coord { x: e, y: n });
    if w <= e {
        vec![rect(w, e)]
    } else {
        vec![rect(w, 180.0), rect(-180.0, e)]
    }
}
