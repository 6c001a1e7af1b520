//! Step 3 of an import: the engine takes a committed layer, under its
//! write lock for no longer than the change itself.

use std::sync::Arc;

use parking_lot::RwLock;
use rustc_hash::FxHashSet;

use super::{keep_newer_fix, merge_by_id, merged_areas};
use crate::store::{LOCATOR_IMAGE, LayerData, Store, WriteMode};
use riskmap_engine::model::{Area, Staff};
use riskmap_engine::{AreaTree, Engine, EngineError, Layer, LayerItem};

/// Applies a committed layer to the engine, under its write lock for no
/// longer than the change itself.
pub(super) fn apply_to_engine(
    engine: &RwLock<Engine>,
    data: LayerData,
    mode: WriteMode,
    tree: Option<AreaTree>,
) -> Result<(), EngineError> {
    match data {
        LayerData::Areas(areas) => {
            let tree = tree.map_or_else(|| tree_after(engine, &areas, mode), Ok)?;
            engine.write().replace_area_tree(tree);
            Ok(())
        }
        LayerData::Staff(staff) => apply_staff(&mut engine.write(), staff, mode),
        LayerData::Cameras(cameras) => {
            let mut engine = engine.write();
            match mode {
                WriteMode::Replace => engine.replace_cameras(cameras),
                WriteMode::Merge => cameras
                    .into_iter()
                    .try_for_each(|c| engine.upsert_camera(c).map(|_| ())),
            }
        }
        LayerData::RiskSources(items) => {
            let mut engine = engine.write();
            let all = merged_layer(engine.risk_sources(), items, mode);
            engine.replace_risk_sources(all)
        }
        LayerData::KeyPlaces(items) => {
            let mut engine = engine.write();
            let all = merged_layer(engine.key_places(), items, mode);
            engine.replace_key_places(all)
        }
    }
}

/// Keeps a new grid locator's image in the store, in the background:
/// losing it costs the next start a second or two, no more. Two imports
/// close together may keep their images out of order; a start refuses an
/// image whose grids are not the store's (its digest) and builds afresh.
pub(super) fn keep_locator_image(store: Arc<dyn Store>, image: Vec<u8>) {
    tokio::spawn(async move {
        match store.put_index_image(LOCATOR_IMAGE, &image).await {
            Ok(()) => tracing::info!(
                bytes = image.len(),
                "grid locator image kept after an import"
            ),
            Err(e) => tracing::warn!("cannot keep the grid locator's image: {e}"),
        }
    });
}

/// The area tree after an import, built outside the engine's locks.
fn tree_after(
    engine: &RwLock<Engine>,
    imported: &[Area],
    mode: WriteMode,
) -> Result<AreaTree, EngineError> {
    let (merged, resolution) = {
        let engine = engine.read();
        let tree = engine.areas();
        (
            merged_areas(tree, imported, mode),
            tree.locator().resolution(),
        )
    };
    AreaTree::build(merged, resolution)
}

/// The layer after an import: the import alone (replace), or the current
/// features merged with it by id (merge).
fn merged_layer<T: LayerItem + Clone>(
    current: &Layer<T>,
    imported: Vec<T>,
    mode: WriteMode,
) -> Vec<T> {
    match mode {
        WriteMode::Replace => imported,
        WriteMode::Merge => merge_by_id(current.iter().map(|(_, t)| t), &imported, T::id),
    }
}

fn apply_staff(
    engine: &mut Engine,
    mut staff: Vec<Staff>,
    mode: WriteMode,
) -> Result<(), EngineError> {
    if mode == WriteMode::Replace {
        let keep: FxHashSet<&str> = staff.iter().map(|s| s.id.as_str()).collect();
        let gone: Vec<String> = engine
            .staff()
            .iter()
            .filter(|(_, m)| !keep.contains(m.id.as_str()))
            .map(|(_, m)| m.id.to_string())
            .collect();
        for id in gone {
            engine.remove_staff(&id);
        }
    }
    // Positions may have moved on since step 1.
    for s in &mut staff {
        keep_newer_fix(s, engine.staff());
    }
    // Free the devices of everyone re-imported first, so a device may move
    // from one imported member to another.
    for s in &staff {
        if engine.staff().find(&s.id).is_some() {
            let bare = Staff {
                devices: Vec::new(),
                ..s.clone()
            };
            engine.upsert_staff(&bare)?;
        }
    }
    for s in &staff {
        engine.upsert_staff(s)?;
    }
    Ok(())
}
