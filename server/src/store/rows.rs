//! How both backends lay features out: one row per feature with its id, its
//! properties (the model's serde form, JSON) and its geometry (GeoJSON), and
//! back again through the engine's validating parser.

use geojson::{Feature, GeometryValue, JsonObject, feature::Id};
use rustc_hash::FxHashMap;

use super::{LayerData, Result, StoreError, TrackPoint};
use crate::engine::EngineError;
use crate::engine::geojson as gj;
use crate::engine::model::{Area, Fix};

/// One feature as a row.
#[derive(Debug, Clone)]
pub struct Row {
    /// The feature id (an area's code).
    pub id: String,
    /// Properties as JSON text (a staff member's without `last_fix`).
    pub properties: String,
    /// GeoJSON geometry text; `None` for staff (their fix is in columns).
    pub geometry: Option<String>,
    /// An area's level and parent, for the columns that index them.
    pub level: Option<String>,
    /// An area's parent code.
    pub parent: Option<String>,
    /// A staff member's last fix.
    pub fix: Option<Fix>,
}

/// The table a layer lives in.
#[must_use]
pub fn table(data: &LayerData) -> &'static str {
    match data {
        LayerData::Areas(_) => "areas",
        LayerData::Staff(_) => "staff",
        LayerData::Cameras(_) => "cameras",
        LayerData::RiskSources(_) => "risk_sources",
        LayerData::KeyPlaces(_) => "key_places",
    }
}

fn from_feature(f: Feature) -> Row {
    let id = match &f.id {
        Some(Id::String(s)) => s.clone(),
        Some(Id::Number(n)) => n.to_string(),
        None => String::new(),
    };
    let props = f.properties.unwrap_or_default();
    Row {
        id,
        properties: serde_json::Value::Object(props).to_string(),
        geometry: f
            .geometry
            .map(|g| serde_json::to_string(&g).unwrap_or_default()),
        level: None,
        parent: None,
        fix: None,
    }
}

/// The rows of a layer.
#[must_use]
pub fn rows(data: &LayerData) -> Vec<Row> {
    match data {
        LayerData::Areas(v) => v
            .iter()
            .map(|a| Row {
                level: serde_json::to_value(a.level)
                    .ok()
                    .and_then(|l| l.as_str().map(ToOwned::to_owned)),
                parent: a.parent.clone(),
                ..from_feature(gj::area_feature(a))
            })
            .collect(),
        LayerData::Staff(v) => v
            .iter()
            .map(|s| {
                let mut bare = s.clone();
                bare.last_fix = None;
                Row {
                    geometry: None,
                    fix: s.last_fix,
                    ..from_feature(gj::staff_feature(&bare))
                }
            })
            .collect(),
        LayerData::Cameras(v) => v
            .iter()
            .map(|c| from_feature(gj::camera_feature(c)))
            .collect(),
        LayerData::RiskSources(v) => v
            .iter()
            .map(|r| from_feature(gj::risk_source_feature(r)))
            .collect(),
        LayerData::KeyPlaces(v) => v
            .iter()
            .map(|k| from_feature(gj::key_place_feature(k)))
            .collect(),
    }
}

/// Rebuilds a feature from stored parts.
pub fn feature(id: &str, properties: &str, geometry: Option<&str>) -> Result<Feature> {
    let corrupt =
        |what: &str, e: &dyn std::fmt::Display| StoreError::Corrupt(format!("{id}: {what}: {e}"));
    let props: JsonObject =
        serde_json::from_str(properties).map_err(|e| corrupt("properties", &e))?;
    let geometry = match geometry {
        Some(g) => Some(
            serde_json::from_str::<geojson::Geometry>(g).map_err(|e| corrupt("geometry", &e))?,
        ),
        None => None,
    };
    Ok(Feature {
        bbox: None,
        geometry,
        id: Some(Id::String(id.to_owned())),
        properties: Some(props),
        foreign_members: None,
    })
}

/// Parses a stored feature with one of the engine's parsers, naming the row
/// if it is corrupt.
pub fn parse<T>(
    id: &str,
    properties: &str,
    geometry: Option<&str>,
    parse: fn(&Feature) -> Result<T, EngineError>,
) -> Result<T> {
    let f = feature(id, properties, geometry)?;
    parse(&f).map_err(|e| StoreError::Corrupt(format!("{id}: {e}")))
}

/// Orders areas so every parent precedes its children (by level, then code).
pub fn order_areas(areas: &mut [Area]) {
    areas.sort_by(|a, b| a.level.cmp(&b.level).then_with(|| a.code.cmp(&b.code)));
}

/// The newest fix of each staff member in a batch: the only ones that can
/// move a stored last fix forward.
#[must_use]
pub fn newest_per_staff<'a>(points: &[TrackPoint<'a>]) -> Vec<TrackPoint<'a>> {
    let mut newest: FxHashMap<&str, TrackPoint<'a>> = FxHashMap::default();
    for p in points {
        newest
            .entry(p.staff_id)
            .and_modify(|n| {
                if p.fix.fix_time_ms > n.fix.fix_time_ms {
                    *n = *p;
                }
            })
            .or_insert(*p);
    }
    let mut out: Vec<TrackPoint<'a>> = newest.into_values().collect();
    out.sort_by(|a, b| a.staff_id.cmp(b.staff_id));
    out
}

/// A GeoJSON Point geometry's text for a fix.
#[must_use]
pub fn point_geojson(fix: &Fix) -> String {
    serde_json::to_string(&geojson::Geometry::new(GeometryValue::from(
        &fix.position.point(),
    )))
    .unwrap_or_default()
}
