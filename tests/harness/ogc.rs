//! Reading OGC API - Features answers in tests.

use serde_json::Value;

/// The ids of a FeatureCollection's features, in order.
pub fn ids(fc: &Value) -> Vec<String> {
    fc["features"]
        .as_array()
        .unwrap_or_else(|| panic!("not a FeatureCollection: {fc}"))
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}
