//! The wire form of a layer import: its features as GeoJSON (the form they
//! were imported in, and the one every other tool reads), its mode by name,
//! and the area tree built while validating it carried beside the event
//! but never on the wire.

use std::sync::Arc;

use geojson::Feature;
use parking_lot::Mutex;
use riskmap_engine::AreaTree;
use riskmap_engine::geojson::{
    area_feature, camera_feature, key_place_feature, parse_area, parse_camera, parse_key_place,
    parse_risk_source, parse_staff, risk_source_feature, staff_feature,
};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::store::{LayerData, WriteMode};

/// An areas import's new tree, built once while the import was validated:
/// the node that validated it swaps it in as it is. Not part of the event's
/// value (not serialised, equal to any other): a node that reads the event
/// from the wire builds the tree itself.
#[derive(Clone, Default)]
pub struct PrebuiltTree(Arc<Mutex<Option<AreaTree>>>);

impl PrebuiltTree {
    /// Carries `tree` (if there is one) to whoever applies the event.
    #[must_use]
    pub fn new(tree: Option<AreaTree>) -> PrebuiltTree {
        PrebuiltTree(Arc::new(Mutex::new(tree)))
    }

    /// The tree, once: whoever applies the event takes it.
    #[must_use]
    pub fn take(&self) -> Option<AreaTree> {
        self.0.lock().take()
    }
}

impl std::fmt::Debug for PrebuiltTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrebuiltTree")
    }
}

impl PartialEq for PrebuiltTree {
    fn eq(&self, _: &PrebuiltTree) -> bool {
        true
    }
}

/// `{"layer": "cameras", "features": [GeoJSON Feature, …]}`.
#[derive(Serialize, Deserialize)]
struct Wire {
    layer: String,
    features: Vec<Feature>,
}

/// Serde for [`LayerData`] in its wire form.
pub mod features {
    use super::*;

    /// Writes the layer's features as GeoJSON.
    pub fn serialize<S: Serializer>(data: &LayerData, s: S) -> Result<S::Ok, S::Error> {
        let (layer, features): (&str, Vec<Feature>) = match data {
            LayerData::Areas(v) => ("areas", v.iter().map(area_feature).collect()),
            LayerData::Staff(v) => ("staff", v.iter().map(staff_feature).collect()),
            LayerData::Cameras(v) => ("cameras", v.iter().map(camera_feature).collect()),
            LayerData::RiskSources(v) => {
                ("risk_sources", v.iter().map(risk_source_feature).collect())
            }
            LayerData::KeyPlaces(v) => ("key_places", v.iter().map(key_place_feature).collect()),
        };
        Wire {
            layer: layer.to_owned(),
            features,
        }
        .serialize(s)
    }

    /// Reads the features back, each checked as an import checks it.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<LayerData, D::Error> {
        let wire = Wire::deserialize(d)?;
        let fs = &wire.features;
        match wire.layer.as_str() {
            "areas" => all(fs, parse_area).map(LayerData::Areas),
            "staff" => all(fs, parse_staff).map(LayerData::Staff),
            "cameras" => all(fs, parse_camera).map(LayerData::Cameras),
            "risk_sources" => all(fs, parse_risk_source).map(LayerData::RiskSources),
            "key_places" => all(fs, parse_key_place).map(LayerData::KeyPlaces),
            other => Err(format!("unknown layer {other:?}")),
        }
        .map_err(D::Error::custom)
    }

    fn all<T>(
        features: &[Feature],
        parse: fn(&Feature) -> riskmap_engine::Result<T>,
    ) -> Result<Vec<T>, String> {
        features
            .iter()
            .enumerate()
            .map(|(i, f)| parse(f).map_err(|e| format!("feature {i}: {e}")))
            .collect()
    }
}

/// Serde for [`WriteMode`]: `"merge"` or `"replace"`, as clients name it.
pub mod mode {
    use super::*;

    /// Writes the mode's name.
    #[allow(clippy::trivially_copy_pass_by_ref)] // serde's `with` signature
    pub fn serialize<S: Serializer>(mode: &WriteMode, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match mode {
            WriteMode::Merge => "merge",
            WriteMode::Replace => "replace",
        })
    }

    /// Reads a mode's name.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<WriteMode, D::Error> {
        match String::deserialize(d)?.as_str() {
            "merge" => Ok(WriteMode::Merge),
            "replace" => Ok(WriteMode::Replace),
            other => Err(D::Error::custom(format!(
                "mode must be merge or replace, got {other:?}"
            ))),
        }
    }
}
