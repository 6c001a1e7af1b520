//! The spatial engine: the city in memory. No HTTP, no SQL, no async.
//!
//! - [`model`]: what the city is made of.
//! - [`sphere`]: validated coordinates and great-circle metres.
//! - [`areas`]: the governance tree; [`locator`]: point → grid through H3.
//! - [`staff`]: the roster and the moving-point index (the hot write path).
//! - [`layer`]: static layers in R-trees; [`cameras`]: who sees a point.
//! - [`heatmap`]: counts per H3 cell; [`risk`]: each grid's risk score and
//!   level (风险等级研判); [`patrol`]: a day's patrol coverage (巡查覆盖)
//!   per worker and grid, kept as the fixes arrive; [`watch`]: the track
//!   rules (脱岗, 静止); [`fence`]: geofences (电子围栏) and risk sources'
//!   buffers, crossed as the fixes arrive.
//! - [`geojson`]: RFC 7946 features ⇄ model; [`gcj02`]: the Chinese offset datum.
//! - [`city`]: a whole city's layers ([`City`]) and the city directory reader.
//! - [`tiling`]: whether each area's children tile it (gaps, overlaps).
//! - [`tile`]: map tiles (瓦片): the Web Mercator pyramid and Mapbox Vector
//!   Tiles of the static layers.
//! - [`error`]: why an input or query was refused.
//!
//! [`Engine`] ties them together and is the one place the live state
//! changes; a server wraps it in a lock and feeds it typed changes. The
//! `riskmap` server, the `geodata` city builder and the `loadgen` load
//! generator all build on this crate.

pub mod areas;
pub mod cameras;
pub mod city;
pub mod error;
pub mod fence;
pub mod gcj02;
pub mod geojson;
pub mod heatmap;
pub mod layer;
pub mod locator;
pub mod model;
pub mod patrol;
pub mod risk;
pub mod sphere;
pub mod staff;
pub mod tile;
pub mod tiling;
pub mod watch;
pub mod wkb;

use std::sync::Arc;
use std::time::{Duration, Instant};

use h3o::{CellIndex, Resolution};
use rustc_hash::FxHashMap;

pub use areas::{AreaIdx, AreaTree};
pub use city::City;
pub use error::{EngineError, Result};
pub use layer::{FeatureIdx, Layer, LayerItem};
pub use staff::{MoveOutcome, Neighbour, StaffFilter, StaffIdx, StaffIndex};

use model::{Area, Camera, EpochMs, Fix, KeyPlace, RiskSource, Staff};
use sphere::LonLat;

/// Tuning knobs of the engine; the defaults suit a city.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineConfig {
    /// H3 resolution of the point → grid cells.
    pub h3_resolution: Resolution,
    /// Size the staff index's buckets start at, degrees; the index
    /// re-sizes them to the staff's density.
    pub staff_cell_deg: f64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            h3_resolution: locator::DEFAULT_RESOLUTION,
            staff_cell_deg: staff::DEFAULT_CELL_DEG,
        }
    }
}

/// A nearest-staff question from a dispatcher.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NearestQuery {
    /// Where help is needed.
    pub point: LonLat,
    /// How many candidates.
    pub k: usize,
    /// Which staff qualify.
    pub filter: StaffFilter,
    /// No one further than this, metres.
    pub max_m: Option<f64>,
    /// Rank the staff whose home grid contains `point` before everyone else
    /// (the grid's own workers know it best).
    pub same_grid_first: bool,
    /// Only staff whose last fix was taken at or after this time: a
    /// position hours old says nothing of where someone is now (`None`:
    /// any fix, however old).
    pub fixed_since: Option<EpochMs>,
}

/// A staff member proposed for dispatch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Who.
    pub idx: StaffIdx,
    /// Great-circle metres from the query point.
    pub distance_m: f64,
    /// Whether their home grid is the query point's grid.
    pub same_grid: bool,
}

/// The layers a heat map can count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeatLayer {
    /// Live staff positions.
    Staff,
    /// Cameras.
    Cameras,
    /// Risk sources (an area counts at its representative point).
    RiskSources,
    /// Key places (likewise).
    KeyPlaces,
}

/// Where [`Engine::build`] spent its time (the first three overlap).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuildTimes {
    /// The area tree and its point → grid locator.
    pub areas: Duration,
    /// The staff index.
    pub staff: Duration,
    /// The static layers' R-trees.
    pub layers: Duration,
    /// Placing every static feature in its grid, once the locator is built.
    pub placing: Duration,
    /// The whole build.
    pub total: Duration,
}

/// The city in memory with every index.
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    /// Shared: a question that reads only the tree (names, codes, the
    /// grids of an area) keeps its own reference and lets go of the
    /// engine's lock, which every fix batch waits for to write.
    areas: Arc<AreaTree>,
    staff: StaffIndex,
    cameras: Layer<Camera>,
    /// The largest camera range, the search radius for "who sees this".
    max_camera_range_m: f64,
    risk_sources: Layer<RiskSource>,
    key_places: Layer<KeyPlace>,
}

impl Engine {
    /// An empty engine.
    pub fn new(config: EngineConfig) -> Result<Self> {
        Ok(Engine {
            config,
            areas: Arc::new(AreaTree::build(Vec::new(), config.h3_resolution)?),
            staff: StaffIndex::new(config.staff_cell_deg),
            cameras: Layer::default(),
            max_camera_range_m: 0.0,
            risk_sources: Layer::default(),
            key_places: Layer::default(),
        })
    }

    /// Builds an engine holding a whole city. The area tree (whose locator
    /// is the costliest index) is built beside the staff index and the static
    /// layers: they are independent until features are placed in grids.
    pub fn build(config: EngineConfig, mut city: City) -> Result<(Self, BuildTimes)> {
        let start = Instant::now();
        let areas = std::mem::take(&mut city.areas);
        // Home grids resolve by code, which needs no locator: resolved here,
        // the staff index need not wait for the tree.
        let homes = {
            let codes: FxHashMap<&str, AreaIdx> = areas
                .iter()
                .enumerate()
                .map(|(i, a)| (a.code.as_str(), i as AreaIdx))
                .collect();
            resolve_homes(&city.staff, |code| codes.get(code).copied())?
        };
        let (tree, rest) = std::thread::scope(|s| {
            let tree = s.spawn(move || {
                let t = Instant::now();
                AreaTree::build(areas, config.h3_resolution).map(|tree| (tree, t.elapsed()))
            });
            let rest = build_rest(config, city, &homes);
            (join(tree), rest)
        });
        let (tree, areas_time) = tree?;
        let (engine, mut times) = Engine::assemble(config, tree, rest?);
        times.areas = areas_time;
        times.total = start.elapsed();
        Ok((engine, times))
    }

    /// [`Engine::build`] on an area tree built already (for example while
    /// the other layers were still being read); `city.areas` is ignored.
    pub fn build_on(
        config: EngineConfig,
        tree: AreaTree,
        city: City,
    ) -> Result<(Self, BuildTimes)> {
        let start = Instant::now();
        let homes = resolve_homes(&city.staff, |code| tree.idx(code))?;
        let rest = build_rest(config, city, &homes)?;
        let (engine, mut times) = Engine::assemble(config, tree, rest);
        times.total = start.elapsed();
        Ok((engine, times))
    }

    /// [`Engine::build_on`] with the staff index loaded already too (the
    /// staff in batches as they were read: [`StaffIndex::load_batch`]), its
    /// load ended here ([`StaffIndex::end_load`], bucketing everyone) beside
    /// the static layers' indexes and their placing in the grids;
    /// `city.areas` and `city.staff` are ignored.
    pub fn build_on_staff(
        config: EngineConfig,
        tree: AreaTree,
        mut staff: StaffIndex,
        city: City,
    ) -> Result<(Self, BuildTimes)> {
        let start = Instant::now();
        let (layers, staff_time) = std::thread::scope(|s| {
            let ended = s.spawn(|| {
                let t = Instant::now();
                staff.end_load();
                t.elapsed()
            });
            let layers = build_layers(city).map(|mut layers| {
                let t = Instant::now();
                layers.place(&tree);
                (layers, t.elapsed())
            });
            (layers, join(ended))
        });
        let (layers, placing) = layers?;
        let rest = Rest {
            staff,
            staff_time,
            layers,
        };
        let (engine, mut times) = Engine::put_together(config, tree, rest);
        times.placing = placing;
        times.total = start.elapsed();
        Ok((engine, times))
    }

    /// Puts the parts together and places every static feature in its grid.
    fn assemble(config: EngineConfig, areas: AreaTree, mut rest: Rest) -> (Self, BuildTimes) {
        let t = Instant::now();
        rest.layers.place(&areas);
        let (engine, mut times) = Engine::put_together(config, areas, rest);
        times.placing = t.elapsed();
        (engine, times)
    }

    /// Puts the parts together, the static features placed in their grids.
    fn put_together(config: EngineConfig, areas: AreaTree, rest: Rest) -> (Self, BuildTimes) {
        let engine = Engine {
            config,
            areas: Arc::new(areas),
            max_camera_range_m: rest
                .layers
                .cameras
                .iter()
                .map(|(_, c)| c.range_m)
                .fold(0.0, f64::max),
            staff: rest.staff,
            cameras: rest.layers.cameras,
            risk_sources: rest.layers.risk_sources,
            key_places: rest.layers.key_places,
        };
        (
            engine,
            BuildTimes {
                staff: rest.staff_time,
                layers: rest.layers.time,
                ..BuildTimes::default()
            },
        )
    }

    /// The area tree.
    #[must_use]
    pub fn areas(&self) -> &AreaTree {
        &self.areas
    }

    /// The area tree, to be read after the engine's lock is let go (an
    /// areas import replaces the engine's; this one stays as it was).
    #[must_use]
    pub fn areas_shared(&self) -> Arc<AreaTree> {
        Arc::clone(&self.areas)
    }

    /// The staff roster and positions.
    #[must_use]
    pub fn staff(&self) -> &StaffIndex {
        &self.staff
    }

    /// The cameras layer.
    #[must_use]
    pub fn cameras(&self) -> &Layer<Camera> {
        &self.cameras
    }

    /// The risk sources layer.
    #[must_use]
    pub fn risk_sources(&self) -> &Layer<RiskSource> {
        &self.risk_sources
    }

    /// The key places layer.
    #[must_use]
    pub fn key_places(&self) -> &Layer<KeyPlace> {
        &self.key_places
    }

    /// Replaces the whole area tree, then re-resolves every staff member's
    /// home grid against it.
    pub fn replace_areas(&mut self, areas: Vec<Area>) -> Result<()> {
        self.replace_area_tree(AreaTree::build(areas, self.config.h3_resolution)?);
        Ok(())
    }

    /// [`Engine::replace_areas`] with a tree built already: an import that
    /// builds the tree to validate it (outside the engine's lock) hands that
    /// tree over instead of building it a second time.
    pub fn replace_area_tree(&mut self, tree: AreaTree) {
        self.areas = Arc::new(tree);
        let tree = &self.areas;
        self.staff.rehome(|code| tree.idx(code));
        self.assign_grids();
    }

    /// Places every static feature in its grid, for 分级授权 filtering.
    fn assign_grids(&mut self) {
        place_in_grids(&self.areas, &mut self.cameras);
        place_in_grids(&self.areas, &mut self.risk_sources);
        place_in_grids(&self.areas, &mut self.key_places);
    }

    /// The grid a point lies in.
    fn grid_of_point(&self, p: geo::Point<f64>) -> Option<AreaIdx> {
        self.areas.grid_at(LonLat::new(p.x(), p.y()).ok()?)
    }

    /// Adds or replaces a staff member. Their home grid must exist.
    pub fn upsert_staff(&mut self, staff: &Staff) -> Result<StaffIdx> {
        let home = self
            .areas
            .idx(&staff.home_grid)
            .ok_or_else(|| EngineError::UnknownArea(staff.home_grid.clone()))?;
        self.staff.upsert(staff, Some(home))
    }

    /// Removes a staff member; returns whether they existed.
    pub fn remove_staff(&mut self, id: &str) -> bool {
        self.staff.remove(id)
    }

    /// Applies a position fix (older fixes leave the live position alone).
    pub fn apply_fix(&mut self, idx: StaffIdx, fix: Fix) -> Result<MoveOutcome> {
        self.staff.apply_fix(idx, fix)
    }

    /// Changes a staff member's duty status.
    pub fn set_duty(&mut self, idx: StaffIdx, duty: model::DutyStatus) -> Result<()> {
        self.staff.set_duty(idx, duty)
    }

    /// Replaces the cameras layer.
    pub fn replace_cameras(&mut self, cameras: Vec<Camera>) -> Result<()> {
        self.cameras = Layer::build(cameras)?;
        self.max_camera_range_m = self
            .cameras
            .iter()
            .map(|(_, c)| c.range_m)
            .fold(0.0, f64::max);
        place_in_grids(&self.areas, &mut self.cameras);
        Ok(())
    }

    /// Adds or replaces one camera.
    pub fn upsert_camera(&mut self, camera: Camera) -> Result<FeatureIdx> {
        let range = camera.range_m;
        let grid = self.grid_of_point(camera.location.point());
        let idx = self.cameras.upsert(camera)?;
        self.cameras.set_grid(idx, grid);
        self.max_camera_range_m = self.max_camera_range_m.max(range);
        Ok(idx)
    }

    /// Sets a camera's `online` (what its stream's probe found) in place:
    /// the camera stays where it is in the index, so a city's outage (a
    /// gateway down, 100,000 cameras) costs lookups, not index updates.
    /// Returns its index, or `None` for an id not in the layer.
    pub fn set_camera_online(&mut self, id: &str, online: bool) -> Option<FeatureIdx> {
        let idx = self.cameras.find(id)?;
        self.cameras.get_mut(idx)?.online = online;
        Some(idx)
    }

    /// Replaces the risk sources layer.
    pub fn replace_risk_sources(&mut self, risks: Vec<RiskSource>) -> Result<()> {
        self.risk_sources = Layer::build(risks)?;
        place_in_grids(&self.areas, &mut self.risk_sources);
        Ok(())
    }

    /// Replaces the key places layer.
    pub fn replace_key_places(&mut self, places: Vec<KeyPlace>) -> Result<()> {
        self.key_places = Layer::build(places)?;
        place_in_grids(&self.areas, &mut self.key_places);
        Ok(())
    }

    /// The grid containing a point and its ancestors, grid first.
    pub fn locate(&self, p: LonLat) -> Result<Option<Vec<AreaIdx>>> {
        let p = p.validated()?;
        Ok(self.areas.grid_at(p).map(|g| self.areas.chain(g)))
    }

    /// Staff to dispatch to a point: optionally the point's own grid's staff
    /// first, then the nearest others, each group nearest first.
    pub fn nearest_staff(&self, q: &NearestQuery) -> Result<Vec<Candidate>> {
        self.nearest_staff_where(q, |_| true)
    }

    /// [`Engine::nearest_staff`] among staff whose home grid `visible`
    /// accepts (分级授权: a district dispatcher sees the district's staff).
    pub fn nearest_staff_where(
        &self,
        q: &NearestQuery,
        visible: impl Fn(Option<AreaIdx>) -> bool,
    ) -> Result<Vec<Candidate>> {
        let point = q.point.validated()?;
        let fresh = |m: &staff::Member| {
            q.fixed_since
                .is_none_or(|t| m.fix.is_some_and(|f| f.fix_time_ms >= t))
        };
        let mut out: Vec<Candidate> = Vec::with_capacity(q.k);
        if q.same_grid_first
            && let Some(grid) = self.areas.grid_at(point)
        {
            let limit = q.max_m.unwrap_or(f64::INFINITY);
            let here = point.unit_vector();
            let mut own: Vec<Candidate> = self
                .staff
                .homed_in(grid)
                .iter()
                .filter_map(|&idx| {
                    let m = self.staff.get(idx)?;
                    let pos = m.fix?.position;
                    let d = sphere::chord2_to_m(sphere::chord2(&here, &pos.unit_vector()));
                    (q.filter.accepts_member(m) && fresh(m) && visible(m.home) && d <= limit)
                        .then_some(Candidate {
                            idx,
                            distance_m: d,
                            same_grid: true,
                        })
                })
                .collect();
            own.sort_unstable_by(|a, b| {
                a.distance_m
                    .total_cmp(&b.distance_m)
                    .then(a.idx.cmp(&b.idx))
            });
            own.truncate(q.k);
            out.extend(own);
        }
        let wanted = q.k - out.len();
        if wanted > 0 {
            let taken = out.len();
            let staff = &self.staff;
            let rest = staff.nearest_where(
                point,
                (wanted + taken).min(staff::MAX_K),
                &q.filter,
                q.max_m,
                |idx| staff.get(idx).is_some_and(|m| fresh(m) && visible(m.home)),
            )?;
            out.extend(
                rest.into_iter()
                    .filter(|n| !out[..taken].iter().any(|c| c.idx == n.idx))
                    .take(wanted)
                    .map(|n| Candidate {
                        idx: n.idx,
                        distance_m: n.distance_m,
                        same_grid: false,
                    })
                    .collect::<Vec<_>>(),
            );
        }
        Ok(out)
    }

    /// Cameras that can see a point, nearest first.
    pub fn cameras_seeing(&self, p: LonLat) -> Result<Vec<(FeatureIdx, f64)>> {
        cameras::seeing(&self.cameras, p, self.max_camera_range_m)
    }

    /// Counts per H3 cell of a layer's features inside a box.
    pub fn heatmap(
        &self,
        layer: HeatLayer,
        bbox: [f64; 4],
        resolution: u8,
    ) -> Result<Vec<(CellIndex, u32)>> {
        self.heatmap_where(layer, bbox, resolution, |_| true)
    }

    /// [`Engine::heatmap`] counting only features whose grid (a staff
    /// member's home grid) `visible` accepts.
    pub fn heatmap_where(
        &self,
        layer: HeatLayer,
        bbox: [f64; 4],
        resolution: u8,
        visible: impl Fn(Option<AreaIdx>) -> bool,
    ) -> Result<Vec<(CellIndex, u32)>> {
        heatmap::count(self.heat_points(layer, bbox, visible)?, resolution)
    }

    /// The points [`Engine::heatmap_where`] counts, copied: a caller holding
    /// the engine's lock counts them after letting it go (finding a
    /// million points' cells takes a third of a second; copying them, a
    /// few milliseconds).
    pub fn heat_points(
        &self,
        layer: HeatLayer,
        bbox: [f64; 4],
        visible: impl Fn(Option<AreaIdx>) -> bool,
    ) -> Result<Vec<LonLat>> {
        check_bbox(bbox)?;
        Ok(match layer {
            HeatLayer::Staff => self
                .staff
                .in_bbox(bbox)
                .into_iter()
                .filter_map(|i| {
                    let m = self.staff.get(i)?;
                    visible(m.home).then_some(m.fix?.position)
                })
                .collect(),
            HeatLayer::Cameras => layer_points(&self.cameras, bbox, &visible).collect(),
            HeatLayer::RiskSources => layer_points(&self.risk_sources, bbox, &visible).collect(),
            HeatLayer::KeyPlaces => layer_points(&self.key_places, bbox, &visible).collect(),
        })
    }
}

/// The staff index and the static layers, built.
struct Rest {
    staff: StaffIndex,
    staff_time: Duration,
    layers: StaticLayers,
}

/// Every staff member's home grid, refusing unknown codes.
fn resolve_homes(staff: &[Staff], idx: impl Fn(&str) -> Option<AreaIdx>) -> Result<Vec<AreaIdx>> {
    staff
        .iter()
        .map(|s| idx(&s.home_grid).ok_or_else(|| EngineError::UnknownArea(s.home_grid.clone())))
        .collect()
}

/// Builds the staff index on one thread and the static layers on another.
fn build_rest(config: EngineConfig, mut city: City, homes: &[AreaIdx]) -> Result<Rest> {
    let staff = std::mem::take(&mut city.staff);
    let (index, layers) = std::thread::scope(|s| {
        let index = s.spawn(|| {
            let t = Instant::now();
            StaffIndex::build(config.staff_cell_deg, &staff, homes).map(|i| (i, t.elapsed()))
        });
        (join(index), build_layers(city))
    });
    let (staff, staff_time) = index?;
    Ok(Rest {
        staff,
        staff_time,
        layers: layers?,
    })
}

/// The static layers' indexes, and how long they took.
struct StaticLayers {
    cameras: Layer<Camera>,
    risk_sources: Layer<RiskSource>,
    key_places: Layer<KeyPlace>,
    time: Duration,
}

impl StaticLayers {
    fn place(&mut self, tree: &AreaTree) {
        place_in_grids(tree, &mut self.cameras);
        place_in_grids(tree, &mut self.risk_sources);
        place_in_grids(tree, &mut self.key_places);
    }
}

fn build_layers(city: City) -> Result<StaticLayers> {
    let t = Instant::now();
    Ok(StaticLayers {
        cameras: Layer::build(city.cameras)?,
        risk_sources: Layer::build(city.risk_sources)?,
        key_places: Layer::build(city.key_places)?,
        time: t.elapsed(),
    })
}

/// Waits for a scoped thread, passing its panic on.
fn join<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// The representative points of a layer's visible features in a box.
fn layer_points<'a, T: LayerItem>(
    layer: &'a Layer<T>,
    bbox: [f64; 4],
    visible: &'a impl Fn(Option<AreaIdx>) -> bool,
) -> impl Iterator<Item = LonLat> + 'a {
    layer.in_bbox(bbox).into_iter().filter_map(move |i| {
        let p = layer::representative(layer.get(i)?.shape());
        visible(layer.grid(i)).then_some(LonLat {
            lon: p.x(),
            lat: p.y(),
        })
    })
}

/// Places every feature of a layer in the grid at its representative point.
fn place_in_grids<T: LayerItem + Sync>(tree: &AreaTree, layer: &mut Layer<T>) {
    layer.assign_grids(|p| tree.grid_at(LonLat::new(p.x(), p.y()).ok()?));
}

/// Checks a `[west, south, east, north]` box: finite, in range, south ≤ north.
pub fn check_bbox(bbox: [f64; 4]) -> Result<()> {
    let [w, s, e, n] = bbox;
    for (lon, lat) in [(w, s), (e, n)] {
        if !lon.is_finite()
            || !lat.is_finite()
            || !(-180.0..=180.0).contains(&lon)
            || !(-90.0..=90.0).contains(&lat)
        {
            return Err(EngineError::InvalidQuery(format!(
                "bbox must be [west, south, east, north] in degrees, got {bbox:?}"
            )));
        }
    }
    if s > n {
        return Err(EngineError::InvalidQuery(format!(
            "bbox south {s} is north of its north {n}"
        )));
    }
    Ok(())
}
