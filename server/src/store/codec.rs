//! Encoding shared by both stores: enum names as serde writes them,
//! geometry as GeoJSON text, and the checks that keep rows loadable.
use std::fmt::Display;

use geo::MultiPolygon;
use geojson::GeometryValue;
use rustc_hash::FxHashMap;
use serde::Serialize;
use serde::de::value::StrDeserializer;
use serde::de::{DeserializeOwned, IntoDeserializer};

use crate::store::{Result, StoreError, TrackPoint};
use riskmap_engine::geojson as gj;
use riskmap_engine::model::{
    Area, Camera, EpochMs, Fix, Footprint, KeyPlace, RiskLevel, RiskSource, Staff,
};
use riskmap_engine::sphere::LonLat;
use riskmap_engine::wkb;

/// A row that cannot become (or be stored as) a model value, named by
/// its table and id.
pub fn corrupt(table: &str, id: &str, why: &dyn Display) -> StoreError {
    StoreError::Corrupt(format!("{table} {id}: {why}"))
}

/// A value refused before it reaches the database.
fn refused(table: &str, id: &str, why: &dyn Display) -> StoreError {
    StoreError::Corrupt(format!("{table} {id}: refusing to store it: {why}"))
}

/// The name serde gives a unit enum variant (`grid_worker`, `available`).
pub fn name<T: Serialize + std::fmt::Debug>(value: T) -> Result<String> {
    match serde_json::to_value(&value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(StoreError::Corrupt(format!("{value:?} has no name"))),
    }
}

/// Parses a name written by [`name`].
pub fn parse_name<T: DeserializeOwned>(
    table: &str,
    id: &str,
    column: &str,
    text: &str,
) -> Result<T> {
    // Straight from the text: a city load parses two a staff row.
    let text_in: StrDeserializer<'_, serde::de::value::Error> = text.into_deserializer();
    T::deserialize(text_in).map_err(|_| {
        corrupt(
            table,
            id,
            &format!("{column} {text:?} is not a known value"),
        )
    })
}

/// Parses a JSON array column (skills, devices).
pub fn parse_json_list<T: DeserializeOwned>(
    table: &str,
    id: &str,
    column: &str,
    text: &str,
) -> Result<Vec<T>> {
    serde_json::from_str(text).map_err(|e| corrupt(table, id, &format!("{column} {text:?}: {e}")))
}

/// A risk level from its number (1 = major … 4 = low).
pub fn risk_level_from(table: &str, id: &str, level: i64) -> Result<RiskLevel> {
    u8::try_from(level)
        .map_err(|e| e.to_string())
        .and_then(RiskLevel::try_from)
        .map_err(|e| corrupt(table, id, &format!("level {level}: {e}")))
}

fn geometry_text(table: &str, id: &str, g: &GeometryValue) -> Result<String> {
    serde_json::to_string(g).map_err(|e| refused(table, id, &e))
}

fn geometry_value(table: &str, id: &str, text: &str) -> Result<GeometryValue> {
    serde_json::from_str(text).map_err(|e| corrupt(table, id, &format!("geometry: {e}")))
}

/// A layer's geometry as a backend hands it back (see
/// [`GeometryOut`](super::backend::GeometryOut)).
pub enum StoredGeometry {
    /// GeoJSON text.
    GeoJson(String),
    /// Well-Known Binary.
    Wkb(Vec<u8>),
}

/// An area's MultiPolygon, validated like an import.
pub fn multi_polygon_from(table: &str, id: &str, g: &StoredGeometry) -> Result<MultiPolygon<f64>> {
    match g {
        StoredGeometry::GeoJson(text) => gj::parse_multi_polygon(&geometry_value(table, id, text)?),
        StoredGeometry::Wkb(bytes) => wkb::parse_multi_polygon(bytes),
    }
    .map_err(|e| corrupt(table, id, &e))
}

/// A point, line or area, validated like an import.
pub fn footprint_from(table: &str, id: &str, g: &StoredGeometry) -> Result<Footprint> {
    match g {
        StoredGeometry::GeoJson(text) => gj::parse_footprint(&geometry_value(table, id, text)?),
        StoredGeometry::Wkb(bytes) => wkb::parse_footprint(bytes),
    }
    .map_err(|e| corrupt(table, id, &e))
}

/// GeoJSON text for an area's extent, refused if the loader would refuse
/// it.
pub fn multi_polygon_text(table: &str, id: &str, mp: &MultiPolygon<f64>) -> Result<String> {
    let g = GeometryValue::from(mp);
    gj::parse_multi_polygon(&g).map_err(|e| refused(table, id, &e))?;
    geometry_text(table, id, &g)
}

/// GeoJSON text for a point, a line or an area, refused if the loader would
/// refuse it.
pub fn footprint_text(table: &str, id: &str, footprint: &Footprint) -> Result<String> {
    let g = match footprint {
        Footprint::Point(p) => GeometryValue::from(p),
        Footprint::Line(ml) => GeometryValue::from(ml),
        Footprint::Area(mp) => GeometryValue::from(mp),
    };
    gj::parse_footprint(&g).map_err(|e| refused(table, id, &e))?;
    geometry_text(table, id, &g)
}

/// An area ready to bind.
pub struct AreaRow<'a> {
    pub area: &'a Area,
    pub level: String,
    pub geometry: String,
}

pub fn area_rows(areas: &[Area]) -> Result<Vec<AreaRow<'_>>> {
    areas
        .iter()
        .map(|area| {
            Ok(AreaRow {
                level: name(area.level)?,
                geometry: multi_polygon_text("areas", &area.code, &area.geometry)?,
                area,
            })
        })
        .collect()
}

/// A staff member ready to bind.
pub struct StaffRow<'a> {
    pub staff: &'a Staff,
    pub role: String,
    pub duty: String,
    pub skills: String,
    pub devices: String,
}

pub fn staff_rows(staff: &[Staff]) -> Result<Vec<StaffRow<'_>>> {
    staff
        .iter()
        .map(|s| {
            if let Some(f) = &s.last_fix {
                f.position
                    .validated()
                    .map_err(|e| refused("staff", &s.id, &e))?;
            }
            Ok(StaffRow {
                role: name(s.role)?,
                duty: name(s.duty)?,
                skills: serde_json::to_string(&s.skills)
                    .map_err(|e| refused("staff", &s.id, &e))?,
                devices: serde_json::to_string(&s.devices)
                    .map_err(|e| refused("staff", &s.id, &e))?,
                staff: s,
            })
        })
        .collect()
}

/// Checks a camera's position before it is stored.
pub fn camera_location(c: &Camera) -> Result<LonLat> {
    c.location
        .validated()
        .map_err(|e| refused("cameras", &c.id, &e))
}

/// A risk source or key place ready to bind (`level` is 0 for key
/// places, which have none).
pub struct PlaceRow<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub category: &'a str,
    pub level: u8,
    pub geometry: String,
}

pub fn risk_source_rows(risks: &[RiskSource]) -> Result<Vec<PlaceRow<'_>>> {
    risks
        .iter()
        .map(|r| {
            Ok(PlaceRow {
                id: &r.id,
                name: &r.name,
                category: &r.category,
                level: u8::from(r.level),
                geometry: footprint_text("risk_sources", &r.id, &r.footprint)?,
            })
        })
        .collect()
}

pub fn key_place_rows(places: &[KeyPlace]) -> Result<Vec<PlaceRow<'_>>> {
    places
        .iter()
        .map(|p| {
            Ok(PlaceRow {
                id: &p.id,
                name: &p.name,
                category: &p.category,
                level: 0,
                geometry: footprint_text("key_places", &p.id, &p.footprint)?,
            })
        })
        .collect()
}

/// The columns of a stored fix (a staff member's last one, or a track
/// row), any of which may be NULL.
pub struct FixColumns {
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub accuracy_m: Option<f32>,
    pub speed_mps: Option<f32>,
    pub heading_deg: Option<f32>,
    pub altitude_m: Option<f32>,
    pub battery_pct: Option<f32>,
    pub fix_time_ms: Option<EpochMs>,
    pub server_time_ms: Option<EpochMs>,
}

/// A fix from its columns: none when position and times are all NULL,
/// corrupt when only some are.
pub fn fix_from(table: &str, id: &str, c: &FixColumns) -> Result<Option<Fix>> {
    match (c.lon, c.lat, c.fix_time_ms, c.server_time_ms) {
        (None, None, None, None) => Ok(None),
        (Some(lon), Some(lat), Some(fix_time_ms), Some(server_time_ms)) => Ok(Some(Fix {
            position: LonLat::new(lon, lat).map_err(|e| corrupt(table, id, &e))?,
            accuracy_m: c.accuracy_m,
            speed_mps: c.speed_mps,
            heading_deg: c.heading_deg,
            altitude_m: c.altitude_m,
            battery_pct: c.battery_pct,
            fix_time_ms,
            server_time_ms,
        })),
        _ => Err(corrupt(
            table,
            id,
            &"a fix with only some of lon, lat and its times",
        )),
    }
}

/// A track point's columns, in the order
/// [`point_params`](super::rows::point_params) binds them.
pub const POINT_COLUMNS: &str = "staff_id, fix_time_ms, server_time_ms, lon, lat, accuracy_m, \
                                 speed_mps, heading_deg, altitude_m, battery_pct";

/// The statement that moves stored last fixes forward, around the rows of
/// [`point_params`](super::rows::point_params): `MOVE_LAST_FIXES.0`, the rows, `MOVE_LAST_FIXES.1`. A
/// point replaces the stored fix only if it is newer: the stored last fix
/// never goes back. (The same SQL on both stores.)
pub const MOVE_LAST_FIXES: (&str, &str) = (
    "WITH v (id, fix_time_ms, server_time_ms, lon, lat, accuracy_m, speed_mps, heading_deg, \
     altitude_m, battery_pct) AS (",
    ") UPDATE staff SET lon = v.lon, lat = v.lat, accuracy_m = v.accuracy_m, \
     speed_mps = v.speed_mps, heading_deg = v.heading_deg, altitude_m = v.altitude_m, \
     battery_pct = v.battery_pct, fix_time_ms = v.fix_time_ms, \
     server_time_ms = v.server_time_ms \
     FROM v WHERE staff.id = v.id \
     AND (staff.fix_time_ms IS NULL OR staff.fix_time_ms < v.fix_time_ms)",
);

/// Checks every fix's position before a batch is stored.
pub fn validate_points(points: &[TrackPoint<'_>]) -> Result<()> {
    for p in points {
        p.fix
            .position
            .validated()
            .map_err(|e| refused("tracks", p.staff_id, &e))?;
    }
    Ok(())
}

/// The newest fix of each staff member in a batch (the first of equals),
/// sorted by staff id: the only fixes that can move a stored last fix,
/// in the order their rows are locked.
#[must_use]
pub fn newest_per_staff<'a>(points: &[TrackPoint<'a>]) -> Vec<TrackPoint<'a>> {
    let mut newest: FxHashMap<&'a str, TrackPoint<'a>> = FxHashMap::default();
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
    out.sort_unstable_by(|a, b| a.staff_id.cmp(b.staff_id));
    out
}

/// The first id that occurs twice, to name it in a conflict.
pub fn first_duplicate<'a>(ids: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = rustc_hash::FxHashSet::default();
    ids.into_iter().find(|id| !seen.insert(*id))
}
