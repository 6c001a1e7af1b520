//! An import's document: a GeoJSON FeatureCollection, read feature by
//! feature into the model, each feature checked on its own (a GeoJSON
//! feature, not too many vertices, an id that is there, short and unique).

use geojson::{Feature, JsonObject, feature::Id};
use rustc_hash::FxHashMap;
use serde_json::Value;

use super::{LayerError, bad};
use riskmap_engine::EngineError;

/// Longest feature id an import accepts.
const MAX_ID_LEN: usize = 256;

/// The features of a FeatureCollection document, each checked to be a
/// GeoJSON feature of at most `max_vertices` positions; refused when there
/// are more than `max`.
pub(super) fn read_features(
    body: &[u8],
    max: usize,
    max_vertices: usize,
) -> Result<Vec<Feature>, LayerError> {
    let doc: Value = serde_json::from_slice(body).map_err(LayerError::MalformedJson)?;
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(LayerError::NotAFeatureCollection);
    }
    let Some(Value::Array(features)) = doc.get("features") else {
        return Err(LayerError::NoFeatures);
    };
    if features.len() > max {
        return Err(LayerError::TooManyFeatures {
            count: features.len(),
            limit: max,
        });
    }
    features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let f = serde_json::from_value::<Feature>(f.clone())
                .map_err(|e| bad(i, format!("not a GeoJSON feature: {e}")))?;
            let n = f.geometry.as_ref().map_or(0, |g| vertex_count(&g.value));
            if n > max_vertices {
                return Err(bad(
                    i,
                    format!("{n} vertices is more than the limit of {max_vertices} per feature"),
                ));
            }
            Ok(f)
        })
        .collect()
}

/// Positions in a geometry.
fn vertex_count(g: &geojson::GeometryValue) -> usize {
    use geojson::GeometryValue as G;
    match g {
        G::Point { .. } => 1,
        G::MultiPoint { coordinates } | G::LineString { coordinates } => coordinates.len(),
        G::MultiLineString { coordinates } | G::Polygon { coordinates } => {
            coordinates.iter().map(Vec::len).sum()
        }
        G::MultiPolygon { coordinates } => coordinates.iter().flatten().map(Vec::len).sum(),
        G::GeometryCollection { geometries } => {
            geometries.iter().map(|g| vertex_count(&g.value)).sum()
        }
    }
}

/// Takes the feature id as the id property when the properties lack one;
/// refuses a feature whose two ids differ.
fn adopt_feature_id(f: &mut Feature, key: &str) -> Result<(), String> {
    let fid = match &f.id {
        Some(Id::String(s)) => Some(s.clone()),
        Some(Id::Number(n)) => Some(n.to_string()),
        None => None,
    };
    let props = f.properties.get_or_insert_with(JsonObject::new);
    match (fid, props.get(key)) {
        (Some(fid), None | Some(Value::Null)) => {
            props.insert(key.to_owned(), Value::String(fid));
        }
        (Some(fid), Some(Value::String(p))) if *p != fid => {
            return Err(format!(
                "the feature id {fid:?} differs from properties.{key} {p:?}"
            ));
        }
        _ => {}
    }
    Ok(())
}

/// Parses every feature, refusing the first bad one with its index; ids
/// must be present, short and unique within the import.
pub(super) fn parse_each<T>(
    features: Vec<Feature>,
    key: &str,
    parse: impl Fn(&Feature) -> Result<T, EngineError>,
    id_of: impl Fn(&T) -> &str,
) -> Result<Vec<T>, LayerError> {
    let mut out = Vec::with_capacity(features.len());
    let mut seen: FxHashMap<String, usize> = FxHashMap::default();
    for (i, mut f) in features.into_iter().enumerate() {
        adopt_feature_id(&mut f, key).map_err(|m| bad(i, m))?;
        let item = parse(&f).map_err(|e| bad(i, e))?;
        let id = id_of(&item);
        if id.trim().is_empty() || id.len() > MAX_ID_LEN {
            return Err(bad(
                i,
                format!("{key} must be 1 to {MAX_ID_LEN} characters"),
            ));
        }
        if let Some(j) = seen.insert(id.to_owned(), i) {
            return Err(bad(
                i,
                format!("duplicate {key} {id} (feature {j} has it too)"),
            ));
        }
        out.push(item);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use riskmap_engine::geojson::parse_camera;
    use serde_json::json;

    #[test]
    fn import_documents_are_checked_feature_by_feature() {
        let doc = json!({ "type": "FeatureCollection", "features": [
            { "type": "Feature", "id": "C9", "geometry": { "type": "Point", "coordinates": [120.0, 28.0] },
              "properties": { "name": "x", "range_m": 50 } },
            { "type": "Feature", "geometry": { "type": "Point", "coordinates": [120.0, 99.0] },
              "properties": { "id": "C10", "name": "y", "range_m": 50 } },
        ]});
        let features = read_features(doc.to_string().as_bytes(), 10, 1_000).unwrap();
        let e = parse_each(features.clone(), "id", parse_camera, |c| &c.id).unwrap_err();
        assert!(
            matches!(e, LayerError::BadFeature { index: 1, .. })
                && e.to_string().starts_with("feature 1: invalid coordinate"),
            "{e}"
        );
        assert_eq!(
            parse_each(features[..1].to_vec(), "id", parse_camera, |c| &c.id).unwrap()[0].id,
            "C9"
        );
        let dup = vec![features[0].clone(), features[0].clone()];
        let e = parse_each(dup, "id", parse_camera, |c| &c.id).unwrap_err();
        assert!(e.to_string().contains("feature 1: duplicate id C9"), "{e}");
        assert!(matches!(
            read_features(doc.to_string().as_bytes(), 1, 1_000),
            Err(LayerError::TooManyFeatures { count: 2, limit: 1 })
        ));
        assert!(matches!(
            read_features(b"{", 10, 1_000),
            Err(LayerError::MalformedJson(_))
        ));
        assert!(matches!(
            read_features(br#"{"type":"Feature"}"#, 10, 1_000),
            Err(LayerError::NotAFeatureCollection)
        ));
        let e = read_features(
            br#"{"type":"FeatureCollection","features":[{"type":"Point"}]}"#,
            10,
            1_000,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("feature 0: not a GeoJSON feature"),
            "{e}"
        );
        let mut f = features[0].clone();
        f.set_property("id", "other");
        assert!(
            adopt_feature_id(&mut f, "id")
                .unwrap_err()
                .contains("differs")
        );
    }
}
