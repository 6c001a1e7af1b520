//! Layer imports: a GeoJSON FeatureCollection written into one layer of the
//! city (areas, staff, cameras, risk sources, key places), merged by id or
//! replacing the layer.
//!
//! An import is three steps, each its own function, so that the step that
//! changes live state takes nothing but what the store committed:
//!
//! 1. [`prepare`]: read and validate the document against a read of the
//!    engine; changes nothing. Every feature is checked before anything is
//!    written, and one bad feature refuses the whole import with its index
//!    and the reason. An areas import builds its new area tree here, outside
//!    the engine's locks, to check it and to hand it on as it is.
//! 2. [`App::commit_layer`]: the store writes the layer in one transaction.
//! 3. [`App::apply_layer`]: the engine takes the committed layer (a tree
//!    built in step 1 is only swapped in under the write lock) and every live
//!    viewer is told.
//!
//! [`App::import_layer`] runs the three, one import at a time. Reading the
//! document feature by feature is [`document`]'s.

mod apply;
mod document;

use std::sync::Arc;

use geojson::Feature;
use parking_lot::RwLock;
use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::json;
use thiserror::Error;

use super::cluster::{Change, Shipment};
use super::{App, Limits};
use crate::event::{DomainEvent, PrebuiltTree};
use crate::identity::User;
use crate::live::{Event, Reach};
pub use crate::store::LayerKind;
use crate::store::{LayerData, StoreError, WriteMode};
use apply::{apply_to_engine, keep_locator_image};
use document::{parse_each, read_features};
use riskmap_engine::geojson::{
    parse_area, parse_camera, parse_key_place, parse_risk_source, parse_staff,
};
use riskmap_engine::model::{Area, AreaLevel, Staff};
use riskmap_engine::{AreaTree, Engine, EngineError, Layer, LayerItem, StaffIndex};
use riskmap_wire::Layers;

/// The mode's name, as clients give it (`?mode=`) and reports name it.
#[must_use]
pub fn mode_name(mode: WriteMode) -> &'static str {
    match mode {
        WriteMode::Merge => "merge",
        WriteMode::Replace => "replace",
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    /// The layer written.
    pub layer: LayerKind,
    /// How the import met what was there.
    pub mode: WriteMode,
    /// Features in the import.
    pub imported: usize,
    /// Features in the layer afterwards.
    pub total: usize,
}

/// Why an import was refused or failed. Until the store has committed,
/// nothing has changed.
#[derive(Debug, Error)]
pub enum LayerError {
    /// The user is not the system administrator (an administrator bound to
    /// no area): an import changes a whole layer, everyone's.
    #[error("imports change whole layers: they need the system administrator (bound to no area)")]
    NotSystemAdmin,
    /// The body is not JSON.
    #[error("malformed JSON: {0}")]
    MalformedJson(#[source] serde_json::Error),
    /// The body is JSON but not a FeatureCollection.
    #[error("the body must be a GeoJSON FeatureCollection")]
    NotAFeatureCollection,
    /// The FeatureCollection has no `features` array.
    #[error("the FeatureCollection has no features array")]
    NoFeatures,
    /// More features than one import may hold.
    #[error("{count} features is more than the limit of {limit} per import")]
    TooManyFeatures {
        /// Features in the import.
        count: usize,
        /// The limit (`Limits::max_import_features`).
        limit: usize,
    },
    /// One feature is invalid (geometry, properties, id, or how it fits the
    /// layer); the whole import is refused.
    #[error("feature {index}: {reason}")]
    BadFeature {
        /// Position in the FeatureCollection, from 0.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The new area tree lacks the home grid of staff members: import their
    /// new home grids first, or keep the grids.
    #[error(
        "the new area tree drops the home grid of {count} staff member(s), e.g. {example}; import their \
         new home grids first, or keep the grids"
    )]
    OrphanedHomeGrids {
        /// Staff members whose home grid would go.
        count: usize,
        /// The first of them, with the grid.
        example: String,
    },
    /// The area tree after the import cannot be built (e.g. a grid's
    /// outline is unusable).
    #[error("the area tree does not build: {0}")]
    TreeDoesNotBuild(#[source] EngineError),
    /// The store could not commit the layer; nothing changed.
    #[error("the store did not take the import: {0}")]
    Store(#[from] StoreError),
    /// The store committed the layer but the engine refused it: a bug, since
    /// step 1 checked everything the engine checks.
    #[error("the store took the import but the engine refused it: {0}")]
    EngineRefused(#[source] EngineError),
    /// The import's task, or a step of it run off the async threads,
    /// panicked.
    #[error("the import task failed: {0}")]
    TaskFailed(#[from] tokio::task::JoinError),
}

fn bad(index: usize, reason: impl std::fmt::Display) -> LayerError {
    LayerError::BadFeature {
        index,
        reason: reason.to_string(),
    }
}

/// A validated import (step 1): what the store commits and the engine then
/// takes.
struct Prepared {
    /// The imported features (staff keep a live position newer than the
    /// imported one).
    data: LayerData,
    /// An areas import's new tree, built and checked.
    tree: Option<AreaTree>,
    /// Features in the import.
    imported: usize,
    /// Features in the layer afterwards.
    total: usize,
}

impl App {
    /// Refuses anyone but the system administrator: an import changes a
    /// whole layer. The API asks before it parses anything else of the
    /// request, so a refused user learns only that.
    pub fn check_import_rights(&self, user: &User) -> Result<(), LayerError> {
        if user.is_system_admin() {
            Ok(())
        } else {
            Err(LayerError::NotSystemAdmin)
        }
    }

    /// Imports a FeatureCollection (`body`) into `layer`: validates it whole,
    /// commits it to the store, then applies it to the engine and tells the
    /// viewers. Imports run one at a time, so the store and the engine see
    /// them in the same order. The caller has checked
    /// [`App::check_import_rights`].
    pub async fn import_layer(
        self: &Arc<Self>,
        layer: LayerKind,
        mode: WriteMode,
        body: impl AsRef<[u8]> + Send + 'static,
    ) -> Result<ImportReport, LayerError> {
        // Once begun, an import runs to its end even if the caller goes away
        // (a client that disconnects drops its request): a layer the store
        // committed but the engine never took would leave the live map
        // behind the store until a restart.
        let app = Arc::clone(self);
        tokio::spawn(async move { app.run_import(layer, mode, body).await }).await?
    }

    async fn run_import(
        self: &Arc<Self>,
        layer: LayerKind,
        mode: WriteMode,
        body: impl AsRef<[u8]> + Send + 'static,
    ) -> Result<ImportReport, LayerError> {
        let _one_at_a_time = self.imports.lock().await;
        // Reading, validating and building a tree of a large import takes
        // seconds of CPU: off the async threads.
        let app = Arc::clone(self);
        let Prepared {
            data,
            tree,
            imported,
            total,
        } = tokio::task::spawn_blocking(move || {
            prepare(&app.engine, &app.limits, layer, mode, body.as_ref())
        })
        .await??;
        self.commit_layer(&data, mode).await?;
        let event = DomainEvent::LayerImported {
            mode,
            data,
            prebuilt: PrebuiltTree::new(tree),
        };
        // Swapping in a layer (and building a tree another node sent) takes
        // CPU: off the async threads.
        let app = Arc::clone(self);
        let applied = tokio::task::spawn_blocking(move || app.apply(&event)).await?;
        if let Some(refused) = applied.refused {
            return Err(LayerError::EngineRefused(refused));
        }
        tracing::info!(
            layer = layer.name(),
            mode = mode_name(mode),
            imported,
            total,
            "layer imported"
        );
        Ok(ImportReport {
            layer,
            mode,
            imported,
            total,
        })
    }

    /// Step 2: the store writes the layer in one transaction.
    /// A cluster node keeps a record that the layer changed: the other
    /// nodes read it from the store.
    async fn commit_layer(&self, data: &LayerData, mode: WriteMode) -> Result<(), LayerError> {
        let shipment = self.shipment(|| Change::LayerChanged(LayerKind::of(data)));
        let outgoing = shipment.as_ref().map(Shipment::outgoing);
        let id = self.store.write_layer_kept(data, mode, outgoing).await?;
        self.shipped(id, shipment);
        Ok(())
    }

    /// Step 3 (from [`App::apply`], or a record of another node's import):
    /// the engine takes a committed layer, what is derived from it follows
    /// (risk, patrol cells, risk buffers, tiles), and every live viewer is
    /// told. `tree` is an areas import's new tree if step 1 built it
    /// already; without it (another node's import) the tree is built here,
    /// outside the engine's locks as well.
    pub(super) fn apply_layer(
        &self,
        data: LayerData,
        mode: WriteMode,
        tree: Option<AreaTree>,
    ) -> Result<(), EngineError> {
        let layer = LayerKind::of(&data);
        // This node's own areas import built the tree: its locator's image
        // is kept, so that the next start need not build it again.
        let image = tree.as_ref().map(AreaTree::locator_image);
        apply_to_engine(&self.engine, data, mode, tree)?;
        if let Some(image) = image {
            keep_locator_image(self.store.clone(), image);
        }
        if matches!(
            layer,
            LayerKind::Areas | LayerKind::RiskSources | LayerKind::KeyPlaces
        ) {
            self.rebuild_risk(crate::clock::now_ms());
        }
        if layer == LayerKind::Areas {
            self.count_patrol_cells();
        }
        if layer == LayerKind::RiskSources {
            // The buffers follow the risk sources.
            self.rebuild_zones();
        }
        self.tiles.imported(layer);
        self.announce(layer);
        Ok(())
    }

    /// Tells every live viewer: a fresh snapshot, and which layer changed (a
    /// client reloads what snapshots do not carry, e.g. the area outlines).
    fn announce(&self, layer: LayerKind) {
        self.hub.resync_all();
        self.layer_changed(layer.name());
    }

    /// Tells every live viewer that `layer` changed (`layer_changed`): a
    /// client reloads what it read of it.
    pub(super) fn layer_changed(&self, layer: &str) {
        let every_layer =
            Layers::parse(&Layers::NAMES.map(|(n, _)| n.to_owned())).unwrap_or_default();
        self.hub.publish(Event {
            text: json!({ "type": "layer_changed", "layer": layer })
                .to_string()
                .into(),
            layer: every_layer,
            reach: Reach::Everyone,
            at: None,
        });
    }
}

// ---------------------------------------------------------------------------
// Step 1: read and validate

/// Reads and validates an import against the engine as it is, holding its
/// read lock only for the checks (never while an area tree is built).
fn prepare(
    engine: &RwLock<Engine>,
    limits: &Limits,
    layer: LayerKind,
    mode: WriteMode,
    body: &[u8],
) -> Result<Prepared, LayerError> {
    let features = read_features(
        body,
        limits.max_import_features,
        limits.max_polygon_vertices,
    )?;
    let key = layer.id_key();
    match layer {
        LayerKind::Areas => prepare_areas(
            engine,
            mode,
            parse_each(features, key, parse_area, |a| &a.code)?,
        ),
        LayerKind::Staff => {
            let staff = parse_each(features, key, parse_staff, |s| &s.id)?;
            prepare_staff(&engine.read(), mode, staff)
        }
        LayerKind::Cameras => prepare_features(
            engine,
            features,
            key,
            mode,
            parse_camera,
            Engine::cameras,
            LayerData::Cameras,
        ),
        LayerKind::RiskSources => prepare_features(
            engine,
            features,
            key,
            mode,
            parse_risk_source,
            Engine::risk_sources,
            LayerData::RiskSources,
        ),
        LayerKind::KeyPlaces => prepare_features(
            engine,
            features,
            key,
            mode,
            parse_key_place,
            Engine::key_places,
            LayerData::KeyPlaces,
        ),
    }
}

/// Features in a layer of `current` features after an import: the import
/// alone (replace), or the current ones plus those imported under a new id
/// (merge).
fn total_after<T>(
    mode: WriteMode,
    imported: &[T],
    current: usize,
    exists: impl Fn(&T) -> bool,
) -> usize {
    match mode {
        WriteMode::Replace => imported.len(),
        WriteMode::Merge => current + imported.iter().filter(|&t| !exists(t)).count(),
    }
}

/// A cameras, risk sources or key places import: each feature stands alone
/// (its grid is found when the engine takes it), so parsing checks
/// everything.
fn prepare_features<T: LayerItem>(
    engine: &RwLock<Engine>,
    features: Vec<Feature>,
    key: &str,
    mode: WriteMode,
    parse: fn(&Feature) -> Result<T, EngineError>,
    current: fn(&Engine) -> &Layer<T>,
    data: fn(Vec<T>) -> LayerData,
) -> Result<Prepared, LayerError> {
    let items = parse_each(features, key, parse, T::id)?;
    let engine = engine.read();
    let current = current(&engine);
    Ok(Prepared {
        imported: items.len(),
        total: total_after(mode, &items, current.len(), |t| {
            current.find(t.id()).is_some()
        }),
        data: data(items),
        tree: None,
    })
}

/// The areas of the tree after an import. Areas that stay keep their place
/// (and so their index in the new tree, as long as none before them goes):
/// subscriptions hold area indexes. New areas come last.
fn merged_areas(tree: &AreaTree, imported: &[Area], mode: WriteMode) -> Vec<Area> {
    match mode {
        WriteMode::Replace => {
            let by_code: FxHashMap<&str, &Area> =
                imported.iter().map(|a| (a.code.as_str(), a)).collect();
            let mut out: Vec<Area> = tree
                .iter()
                .filter_map(|(_, a)| by_code.get(a.code.as_str()).map(|&n| n.clone()))
                .collect();
            out.extend(
                imported
                    .iter()
                    .filter(|a| tree.idx(&a.code).is_none())
                    .cloned(),
            );
            out
        }
        WriteMode::Merge => merge_by_id(tree.iter().map(|(_, a)| a), imported, |a| &a.code),
    }
}

/// The current features with imported ones replacing those of the same id
/// in place and new ones appended.
pub fn merge_by_id<'a, T: Clone + 'a>(
    current: impl Iterator<Item = &'a T>,
    imported: &[T],
    id: impl Fn(&T) -> &str,
) -> Vec<T> {
    let by_id: FxHashMap<&str, &T> = imported.iter().map(|t| (id(t), t)).collect();
    let mut used: FxHashSet<&str> = FxHashSet::default();
    let mut out: Vec<T> = current
        .map(|t| match by_id.get(id(t)) {
            Some(&new) => {
                used.insert(id(new));
                new.clone()
            }
            None => t.clone(),
        })
        .collect();
    out.extend(imported.iter().filter(|t| !used.contains(id(t))).cloned());
    out
}

fn prepare_areas(
    engine: &RwLock<Engine>,
    mode: WriteMode,
    areas: Vec<Area>,
) -> Result<Prepared, LayerError> {
    let (merged, resolution) = {
        let engine = engine.read();
        let tree = engine.areas();
        let merged = merged_areas(tree, &areas, mode);
        check_tree(&areas, &merged)?;
        // Staff must keep their home grids.
        let codes: FxHashSet<&str> = merged.iter().map(|a| a.code.as_str()).collect();
        let orphans: Vec<String> = engine
            .staff()
            .iter()
            .filter(|(_, m)| m.home.is_some() && !codes.contains(m.home_grid.as_str()))
            .map(|(_, m)| format!("{} (home grid {})", m.id, m.home_grid))
            .collect();
        if let Some(first) = orphans.first() {
            return Err(LayerError::OrphanedHomeGrids {
                count: orphans.len(),
                example: first.clone(),
            });
        }
        (merged, tree.locator().resolution())
    };
    let total = merged.len();
    // Built here, outside the engine's lock, both to validate the tree and to
    // hand it to the engine as it is: the write lock is then held only to
    // swap it in.
    let tree = AreaTree::build(merged, resolution).map_err(LayerError::TreeDoesNotBuild)?;
    Ok(Prepared {
        imported: areas.len(),
        total,
        data: LayerData::Areas(areas),
        tree: Some(tree),
    })
}

/// Checks each imported area against the tree it will be part of, naming
/// the feature: a parent that exists, one level up.
fn check_tree(imported: &[Area], all: &[Area]) -> Result<(), LayerError> {
    let levels: FxHashMap<&str, AreaLevel> =
        all.iter().map(|a| (a.code.as_str(), a.level)).collect();
    for (i, a) in imported.iter().enumerate() {
        match (&a.parent, a.level) {
            (None, AreaLevel::City) => {}
            (None, level) => return Err(bad(i, format!("a {level:?} area needs a parent"))),
            (Some(p), level) => match levels.get(p.as_str()) {
                None => return Err(bad(i, format!("unknown parent {p}"))),
                Some(pl) if pl.child() != Some(level) => {
                    return Err(bad(i, format!("a {level:?} cannot lie in {p}, a {pl:?}")));
                }
                Some(_) => {}
            },
        }
    }
    Ok(())
}

fn prepare_staff(
    engine: &Engine,
    mode: WriteMode,
    mut staff: Vec<Staff>,
) -> Result<Prepared, LayerError> {
    let roster = engine.staff();
    let mut devices: FxHashMap<&str, usize> = FxHashMap::default();
    for (i, s) in staff.iter().enumerate() {
        if engine.areas().idx(&s.home_grid).is_none() {
            return Err(bad(i, format!("unknown home_grid {}", s.home_grid)));
        }
        if s.devices.len() > usize::from(u8::MAX) {
            return Err(bad(i, "a staff member may have at most 255 devices"));
        }
        for d in &s.devices {
            if d.is_empty() || d.len() > 128 {
                return Err(bad(i, "a device id must be 1 to 128 characters"));
            }
            if let Some(j) = devices.insert(d, i) {
                return Err(bad(i, format!("device {d} is listed by feature {j} too")));
            }
        }
    }
    if mode == WriteMode::Merge {
        let ids: FxHashSet<&str> = staff.iter().map(|s| s.id.as_str()).collect();
        for (d, &i) in &devices {
            if let Some(owner) = roster.find_device(d).and_then(|o| roster.get(o))
                && !ids.contains(owner.id.as_str())
            {
                return Err(bad(
                    i,
                    format!("device {d} already belongs to staff {}", owner.id),
                ));
            }
        }
    }
    // A live position newer than the imported one stays.
    for s in &mut staff {
        keep_newer_fix(s, roster);
    }
    Ok(Prepared {
        imported: staff.len(),
        total: total_after(mode, &staff, roster.len(), |s| roster.find(&s.id).is_some()),
        data: LayerData::Staff(staff),
        tree: None,
    })
}

fn keep_newer_fix(s: &mut Staff, roster: &StaffIndex) {
    if let Some(live) = roster
        .find(&s.id)
        .and_then(|i| roster.get(i))
        .and_then(|m| m.fix)
        && s.last_fix.is_none_or(|f| f.fix_time_ms < live.fix_time_ms)
    {
        s.last_fix = Some(live);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use geo::{MultiPolygon, polygon};
    use riskmap_engine::geojson::area_feature;
    use riskmap_engine::model::{DutyStatus, Role};
    use riskmap_engine::{City, EngineConfig};

    const GRID: &str = "330302001001001";

    /// A city of one grid (one area per level, each the same square) and
    /// one staff member at home in it.
    fn engine() -> RwLock<Engine> {
        let square = MultiPolygon(vec![polygon![
            (x: 120.0, y: 28.0),
            (x: 120.1, y: 28.0),
            (x: 120.1, y: 28.1),
            (x: 120.0, y: 28.1),
            (x: 120.0, y: 28.0),
        ]]);
        let chain = [
            ("3303", AreaLevel::City),
            ("330302", AreaLevel::District),
            ("330302001", AreaLevel::Street),
            ("330302001001", AreaLevel::Community),
            (GRID, AreaLevel::Grid),
        ];
        let areas = chain
            .iter()
            .enumerate()
            .map(|(i, &(code, level))| Area {
                code: code.into(),
                name: format!("区域{code}"),
                level,
                parent: i.checked_sub(1).map(|p| chain[p].0.to_owned()),
                geometry: square.clone(),
            })
            .collect();
        let staff = vec![Staff {
            id: "S1".into(),
            name: "张三".into(),
            role: Role::GridWorker,
            skills: Vec::new(),
            home_grid: GRID.into(),
            duty: DutyStatus::Available,
            devices: vec!["dev-S1".into()],
            last_fix: None,
        }];
        let city = City {
            areas,
            staff,
            ..City::default()
        };
        RwLock::new(Engine::build(EngineConfig::default(), city).unwrap().0)
    }

    /// Step 1 of an areas import of `features`.
    fn prepare_areas_import(
        engine: &RwLock<Engine>,
        mode: WriteMode,
        features: &[Feature],
    ) -> Result<Prepared, LayerError> {
        let body = json!({ "type": "FeatureCollection", "features": features }).to_string();
        prepare(
            engine,
            &Limits::default(),
            LayerKind::Areas,
            mode,
            body.as_bytes(),
        )
    }

    fn area_features(engine: &RwLock<Engine>, keep: impl Fn(&Area) -> bool) -> Vec<Feature> {
        let engine = engine.read();
        engine
            .areas()
            .iter()
            .filter(|(_, a)| keep(a))
            .map(|(_, a)| area_feature(a))
            .collect()
    }

    #[test]
    fn an_area_import_that_orphans_a_home_grid_is_refused() {
        let engine = engine();
        let without_grid = area_features(&engine, |a| a.level != AreaLevel::Grid);
        let refused = prepare_areas_import(&engine, WriteMode::Replace, &without_grid);
        match refused {
            Err(LayerError::OrphanedHomeGrids { count, example }) => {
                assert_eq!(
                    (count, example.as_str()),
                    (1, "S1 (home grid 330302001001001)")
                );
            }
            Err(other) => panic!("refused for the wrong reason: {other}"),
            Ok(_) => panic!("an import orphaning S1 was taken"),
        }
        // A merge of the same areas keeps the grid.
        let merged = prepare_areas_import(&engine, WriteMode::Merge, &without_grid);
        assert!(merged.is_ok_and(|p| p.total == 5));
    }

    #[test]
    fn an_area_import_applies_alike_with_or_without_a_built_tree() {
        for built in [true, false] {
            let engine = engine();
            let mut grid = area_features(&engine, |a| a.code == GRID);
            grid[0].set_property("name", "五马第1网格");
            let p = prepare_areas_import(&engine, WriteMode::Merge, &grid)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!((p.imported, p.total), (1, 5));
            let tree = if built { p.tree } else { None };
            apply_to_engine(&engine, p.data, WriteMode::Merge, tree).unwrap();
            let engine = engine.read();
            let idx = engine.areas().idx(GRID).unwrap();
            assert_eq!(engine.areas().len(), 5);
            assert_eq!(
                engine.areas().get(idx).name,
                "五马第1网格",
                "built: {built}"
            );
            let s1 = engine
                .staff()
                .find("S1")
                .and_then(|i| engine.staff().get(i));
            assert_eq!(s1.unwrap().home, Some(idx), "built: {built}");
        }
    }

    #[test]
    fn merging_keeps_order_and_replaces_in_place() {
        let cur = [("a", 1), ("b", 1), ("c", 1)];
        let new = [("b", 2), ("d", 2)];
        let out = merge_by_id(cur.iter(), &new, |t| t.0);
        assert_eq!(out, vec![("a", 1), ("b", 2), ("c", 1), ("d", 2)]);
    }
}
