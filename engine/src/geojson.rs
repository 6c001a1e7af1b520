//! RFC 7946 GeoJSON ⇄ model: one feature per entity, the model's serde form
//! as `properties`, the entity's id as the feature `id`.
//!
//! Parsing validates everything the engine relies on (finite coordinates in
//! range, non-empty rings, the right geometry type) so that a bad feature is
//! refused with a reason instead of poisoning an index.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use geo::{Coord, LineString, MultiLineString, MultiPolygon, Polygon};
use geojson::{Feature, GeometryValue, JsonObject, feature::Id};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{EngineError, Result};
use super::model::{Area, Camera, Footprint, KeyPlace, RiskSource, Staff};
use super::sphere::LonLat;

/// Default cap on the vertices of one geometry, so one hostile feature cannot
/// make an index build take minutes.
pub const MAX_VERTICES: usize = 200_000;

/// An area as a feature (MultiPolygon).
#[must_use]
pub fn area_feature(area: &Area) -> Feature {
    feature(
        &area.code,
        Some(GeometryValue::from(&area.geometry)),
        properties(area),
    )
}

/// A staff member as a feature: the last fix's position, or no geometry.
#[must_use]
pub fn staff_feature(staff: &Staff) -> Feature {
    let geometry = staff
        .last_fix
        .map(|f| GeometryValue::from(&f.position.point()));
    feature(&staff.id, geometry, properties(staff))
}

/// A camera as a point feature.
#[must_use]
pub fn camera_feature(camera: &Camera) -> Feature {
    feature(
        &camera.id,
        Some(GeometryValue::from(&camera.location.point())),
        properties(camera),
    )
}

/// A risk source as a point or (multi)polygon feature.
#[must_use]
pub fn risk_source_feature(risk: &RiskSource) -> Feature {
    feature(
        &risk.id,
        Some(footprint_geometry(&risk.footprint)),
        properties(risk),
    )
}

/// A key place as a point or (multi)polygon feature.
#[must_use]
pub fn key_place_feature(place: &KeyPlace) -> Feature {
    feature(
        &place.id,
        Some(footprint_geometry(&place.footprint)),
        properties(place),
    )
}

/// Reads an area; Polygon and MultiPolygon geometries are accepted.
pub fn parse_area(f: &Feature) -> Result<Area> {
    let mut area: Area = parse_properties(f)?;
    area.geometry = parse_multi_polygon(required_geometry(f)?)?;
    Ok(area)
}

/// Reads a staff member; a Point geometry without `last_fix` is taken as a
/// fix at time zero, so a plain roster with positions can be imported.
pub fn parse_staff(f: &Feature) -> Result<Staff> {
    let mut staff: Staff = parse_properties(f)?;
    match (&mut staff.last_fix, f.geometry.as_ref().map(|g| &g.value)) {
        (Some(fix), Some(g)) => fix.position = parse_point(g)?,
        (Some(fix), None) => fix.position = fix.position.validated()?,
        (None, Some(g)) => {
            staff.last_fix = Some(super::model::Fix::at(parse_point(g)?, 0));
        }
        (None, None) => {}
    }
    Ok(staff)
}

/// Reads a camera (Point geometry).
pub fn parse_camera(f: &Feature) -> Result<Camera> {
    let mut camera: Camera = parse_properties(f)?;
    camera.location = parse_point(required_geometry(f)?)?;
    check_camera(&camera)?;
    Ok(camera)
}

/// Reads a risk source (Point, Polygon or MultiPolygon).
pub fn parse_risk_source(f: &Feature) -> Result<RiskSource> {
    let mut risk: RiskSource = parse_properties(f)?;
    risk.footprint = parse_footprint(required_geometry(f)?)?;
    Ok(risk)
}

/// Reads a key place (Point, Polygon or MultiPolygon).
pub fn parse_key_place(f: &Feature) -> Result<KeyPlace> {
    let mut place: KeyPlace = parse_properties(f)?;
    place.footprint = parse_footprint(required_geometry(f)?)?;
    Ok(place)
}

/// Streams a FeatureCollection to `path`, one feature per line, so a million
/// features are never held twice in memory.
pub fn write_collection(
    path: &Path,
    features: impl IntoIterator<Item = Feature>,
) -> io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut out = BufWriter::new(file);
    write_collection_to(&mut out, features)?;
    out.flush()
}

/// Writes a FeatureCollection to any writer.
pub fn write_collection_to<W: Write>(
    out: &mut W,
    features: impl IntoIterator<Item = Feature>,
) -> io::Result<()> {
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    for (i, f) in features.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut *out, &f)?;
    }
    out.write_all(b"\n]}\n")
}

/// Parses a FeatureCollection document into its features.
pub fn read_collection(text: &str) -> Result<Vec<Feature>> {
    let fc: geojson::FeatureCollection = text
        .parse::<geojson::GeoJson>()
        .map_err(|e| EngineError::InvalidGeometry(format!("not GeoJSON: {e}")))
        .and_then(|g| {
            geojson::FeatureCollection::try_from(g)
                .map_err(|e| EngineError::InvalidGeometry(format!("not a FeatureCollection: {e}")))
        })?;
    Ok(fc.features)
}

fn feature(id: &str, geometry: Option<GeometryValue>, properties: JsonObject) -> Feature {
    Feature {
        bbox: None,
        geometry: geometry.map(geojson::Geometry::new),
        id: Some(Id::String(id.to_owned())),
        properties: Some(properties),
        foreign_members: None,
    }
}

fn properties<T: Serialize>(value: &T) -> JsonObject {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => map,
        // The model types are plain structs: they always serialise to objects.
        _ => JsonObject::new(),
    }
}

fn parse_properties<T: DeserializeOwned>(f: &Feature) -> Result<T> {
    let props = f.properties.clone().unwrap_or_default();
    serde_json::from_value(serde_json::Value::Object(props))
        .map_err(|e| EngineError::InvalidProperties(e.to_string()))
}

fn required_geometry(f: &Feature) -> Result<&GeometryValue> {
    f.geometry
        .as_ref()
        .map(|g| &g.value)
        .ok_or_else(|| EngineError::InvalidGeometry("the feature has no geometry".into()))
}

fn footprint_geometry(footprint: &Footprint) -> GeometryValue {
    match footprint {
        Footprint::Point(p) => GeometryValue::from(p),
        Footprint::Line(ml) => GeometryValue::from(ml),
        Footprint::Area(mp) => GeometryValue::from(mp),
    }
}

fn check_camera(camera: &Camera) -> Result<()> {
    let bad = |what: &str| Err(EngineError::InvalidProperties(what.to_owned()));
    if !(camera.range_m.is_finite() && camera.range_m > 0.0 && camera.range_m <= 5_000.0) {
        return bad("range_m must be within 0..5000 metres");
    }
    if let Some(h) = camera.heading_deg
        && !(h.is_finite() && (0.0..=360.0).contains(&h))
    {
        return bad("heading_deg must be within 0..360");
    }
    if let Some(f) = camera.fov_deg
        && !(f.is_finite() && f > 0.0 && f <= 360.0)
    {
        return bad("fov_deg must be within 0..360");
    }
    Ok(())
}

/// A point from a Point geometry, validated.
pub fn parse_point(g: &GeometryValue) -> Result<LonLat> {
    match g {
        GeometryValue::Point { coordinates } => position(coordinates.as_slice()),
        other => Err(EngineError::InvalidGeometry(format!(
            "expected a Point, got a {}",
            other.type_name()
        ))),
    }
}

/// A point, a line or an area from a `Point`, `LineString`,
/// `MultiLineString`, `Polygon` or `MultiPolygon` geometry.
pub fn parse_footprint(g: &GeometryValue) -> Result<Footprint> {
    match g {
        GeometryValue::Point { .. } => Ok(Footprint::Point(parse_point(g)?.point())),
        GeometryValue::LineString { .. } | GeometryValue::MultiLineString { .. } => {
            Ok(Footprint::Line(parse_multi_line(g)?))
        }
        _ => Ok(Footprint::Area(parse_multi_polygon(g)?)),
    }
}

/// A `MultiLineString` from a `LineString` or `MultiLineString` geometry,
/// validated: every coordinate in range, every line at least two positions,
/// and no more than [`MAX_VERTICES`] vertices.
pub fn parse_multi_line(g: &GeometryValue) -> Result<MultiLineString<f64>> {
    let lines: Vec<&Vec<geojson::Position>> = match g {
        GeometryValue::LineString { coordinates } => vec![coordinates],
        GeometryValue::MultiLineString { coordinates } => coordinates.iter().collect(),
        other => {
            return Err(EngineError::InvalidGeometry(format!(
                "expected a LineString or MultiLineString, got a {}",
                other.type_name()
            )));
        }
    };
    let vertices: usize = lines.iter().map(|l| l.len()).sum();
    if vertices > MAX_VERTICES {
        return Err(EngineError::InvalidGeometry(format!(
            "{vertices} vertices is more than the limit of {MAX_VERTICES}"
        )));
    }
    if lines.is_empty() {
        return Err(EngineError::InvalidGeometry(
            "the MultiLineString is empty".into(),
        ));
    }
    let mut out = Vec::with_capacity(lines.len());
    for positions in lines {
        if positions.len() < 2 {
            return Err(EngineError::InvalidGeometry(format!(
                "a line needs at least 2 positions, got {}",
                positions.len()
            )));
        }
        out.push(LineString::new(coords(positions)?));
    }
    Ok(MultiLineString::new(out))
}

/// A MultiPolygon from a Polygon or MultiPolygon geometry, validated: every
/// coordinate in range, every ring closed with at least four positions, and
/// no more than [`MAX_VERTICES`] vertices.
pub fn parse_multi_polygon(g: &GeometryValue) -> Result<MultiPolygon<f64>> {
    let polygons: Vec<&Vec<Vec<geojson::Position>>> = match g {
        GeometryValue::Polygon { coordinates } => vec![coordinates],
        GeometryValue::MultiPolygon { coordinates } => coordinates.iter().collect(),
        other => {
            return Err(EngineError::InvalidGeometry(format!(
                "expected a Polygon or MultiPolygon, got a {}",
                other.type_name()
            )));
        }
    };
    let vertices: usize = polygons.iter().flat_map(|p| p.iter()).map(Vec::len).sum();
    if vertices > MAX_VERTICES {
        return Err(EngineError::InvalidGeometry(format!(
            "{vertices} vertices is more than the limit of {MAX_VERTICES}"
        )));
    }
    let mut out = Vec::with_capacity(polygons.len());
    for rings in polygons {
        let mut rings = rings.iter().map(|r| ring(r));
        let exterior = rings
            .next()
            .ok_or_else(|| EngineError::InvalidGeometry("a polygon has no rings".into()))??;
        let interiors = rings.collect::<Result<Vec<_>>>()?;
        out.push(Polygon::new(exterior, interiors));
    }
    if out.is_empty() {
        return Err(EngineError::InvalidGeometry(
            "the MultiPolygon is empty".into(),
        ));
    }
    Ok(MultiPolygon::new(out))
}

fn ring(positions: &[geojson::Position]) -> Result<LineString<f64>> {
    if positions.len() < 4 {
        return Err(EngineError::InvalidGeometry(format!(
            "a linear ring needs at least 4 positions, got {}",
            positions.len()
        )));
    }
    let coords = coords(positions)?;
    if coords.first() != coords.last() {
        return Err(EngineError::InvalidGeometry(
            "a linear ring must end where it starts".into(),
        ));
    }
    Ok(LineString::new(coords))
}

fn coords(positions: &[geojson::Position]) -> Result<Vec<Coord<f64>>> {
    positions
        .iter()
        .map(|p| {
            position(p.as_slice()).map(|ll| Coord {
                x: ll.lon,
                y: ll.lat,
            })
        })
        .collect()
}

fn position(p: &[f64]) -> Result<LonLat> {
    match p {
        [lon, lat, ..] => LonLat::new(*lon, *lat),
        _ => Err(EngineError::InvalidGeometry(
            "a position needs a longitude and a latitude".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AreaLevel, DutyStatus, Fix, Role, Skill};

    fn square() -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (120.0, 28.0),
                (120.1, 28.0),
                (120.1, 28.1),
                (120.0, 28.1),
                (120.0, 28.0),
            ]),
            vec![],
        )])
    }

    #[test]
    fn area_round_trip() {
        let area = Area {
            code: "330302".into(),
            name: "鹿城区".into(),
            level: AreaLevel::District,
            parent: Some("330300".into()),
            geometry: square(),
        };
        let f = area_feature(&area);
        let text = serde_json::to_string(&f).unwrap();
        let back: Feature = serde_json::from_str(&text).unwrap();
        assert_eq!(parse_area(&back).unwrap(), area);
    }

    #[test]
    fn staff_round_trip_keeps_the_fix() {
        let staff = Staff {
            id: "S000001".into(),
            name: "王伟".into(),
            role: Role::GridWorker,
            skills: vec![Skill::Mediation, Skill::FirstAid],
            home_grid: "330302001001001".into(),
            duty: DutyStatus::Available,
            devices: vec!["dev-S000001".into()],
            last_fix: Some(Fix {
                position: LonLat::new(120.65, 28.01).unwrap(),
                accuracy_m: Some(5.0),
                speed_mps: None,
                heading_deg: Some(90.0),
                altitude_m: None,
                battery_pct: Some(80.0),
                fix_time_ms: 1_767_225_600_000,
                server_time_ms: 1_767_225_600_000,
            }),
        };
        let back = parse_staff(&staff_feature(&staff)).unwrap();
        assert_eq!(back, staff);
        let props = staff_feature(&staff).properties.unwrap();
        assert_eq!(props["role"], "grid_worker");
        assert_eq!(props["duty"], "available");
    }

    #[test]
    fn refuses_bad_features_with_a_reason() {
        let mut f = camera_feature(&Camera {
            id: "C1".into(),
            name: "x".into(),
            heading_deg: Some(10.0),
            fov_deg: Some(90.0),
            range_m: 100.0,
            stream_url: None,
            online: true,
            owner: String::new(),
            location: LonLat::new(120.0, 28.0).unwrap(),
        });
        assert!(parse_camera(&f).is_ok());
        f.geometry = Some(geojson::Geometry::new(GeometryValue::Point {
            coordinates: geojson::Position::from(vec![f64::NAN, 28.0]),
        }));
        let err = parse_camera(&f).unwrap_err().to_string();
        assert!(err.contains("finite"), "{err}");
        f.geometry = None;
        assert!(
            parse_camera(&f)
                .unwrap_err()
                .to_string()
                .contains("no geometry")
        );
    }

    #[test]
    fn refuses_open_rings() {
        let g = GeometryValue::Polygon {
            coordinates: vec![vec![
                geojson::Position::from(vec![120.0, 28.0]),
                geojson::Position::from(vec![120.1, 28.0]),
                geojson::Position::from(vec![120.1, 28.1]),
                geojson::Position::from(vec![120.0, 28.1]),
            ]],
        };
        assert!(
            parse_multi_polygon(&g)
                .unwrap_err()
                .to_string()
                .contains("end where it starts")
        );
    }
}
