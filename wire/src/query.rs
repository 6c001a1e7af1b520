//! The parameters of the dispatch and map queries, as the REST query string,
//! a `/ws` `query` message and a batch entry carry them. What they mean is
//! checked where they are answered (limits are the server's settings).

use serde::Deserialize;

use riskmap_engine::gcj02::Datum;

/// A point, in WGS84 unless `coords=gcj02`.
#[derive(Debug, Deserialize)]
pub struct PointParams {
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Datum of lon/lat.
    #[serde(default)]
    pub coords: Datum,
}

/// `GET /api/dispatch/nearest` parameters. (The point's fields are repeated
/// rather than flattened: query strings carry only text, and serde's
/// flattening loses the conversion to numbers.)
#[derive(Debug, Deserialize)]
pub struct NearestParams {
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Datum of lon/lat.
    #[serde(default)]
    pub coords: Datum,
    /// How many (default 5).
    pub k: Option<usize>,
    /// Role filter: one role name, or several separated by commas.
    pub role: Option<String>,
    /// Skill filter: every listed skill (comma-separated) is required.
    pub skill: Option<String>,
    /// Only staff whose duty status is available (default true).
    pub available: Option<bool>,
    /// Maximum distance, metres.
    pub max_m: Option<f64>,
    /// Rank the point's own grid's staff first (default false).
    pub same_grid_first: Option<bool>,
    /// Staff whose last fix is older than `--stale-after-s` too (default
    /// false: a position that old says nothing of where they are).
    pub include_stale: Option<bool>,
}

/// `GET /api/dispatch/nearby` parameters.
#[derive(Debug, Deserialize)]
pub struct NearbyParams {
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Datum of lon/lat.
    #[serde(default)]
    pub coords: Datum,
    /// Radius, metres (default 500).
    pub radius_m: Option<f64>,
    /// Comma-separated: `risk_sources`, `key_places`, `cameras` (default
    /// the first two).
    pub layers: Option<String>,
}

/// `GET /api/heatmap` parameters.
#[derive(Debug, Deserialize)]
pub struct HeatmapParams {
    /// `west,south,east,north`.
    pub bbox: String,
    /// H3 resolution 0–15 (default 8).
    pub res: Option<u8>,
    /// `staff` (default), `cameras`, `risk_sources`, `key_places`.
    pub layer: Option<String>,
}
