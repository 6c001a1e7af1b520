//! A city (城市): every layer it is made of, and the city directory that
//! holds one GeoJSON FeatureCollection per layer, as `geodata` writes them
//! ([`LAYER_FILES`]).

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::EngineError;
use crate::geojson::{self, read_collection};
use crate::model::{Area, Camera, KeyPlace, RiskSource, Staff};

/// File names of the layers, in load order (areas first: staff refer to
/// their home grid).
pub const LAYER_FILES: [&str; 5] = [
    "areas.geojson",
    "staff.geojson",
    "cameras.geojson",
    "risk_sources.geojson",
    "key_places.geojson",
];

/// Why a city directory could not be loaded.
#[derive(Debug, Error)]
pub enum CityDirError {
    /// A layer file could not be read.
    #[error("cannot read {1}: {0}")]
    Read(#[source] std::io::Error, PathBuf),
    /// A layer file is not a FeatureCollection.
    #[error("{1}: {0}")]
    Parse(#[source] EngineError, PathBuf),
    /// One feature is invalid.
    #[error("{path}: feature {index}: {source}")]
    Feature {
        /// The file.
        path: PathBuf,
        /// The feature's position in the collection, from 0.
        index: usize,
        /// Why it was refused.
        #[source]
        source: EngineError,
    },
    /// The layers do not fit together (e.g. a staff member's unknown grid).
    #[error("{0}")]
    Engine(#[from] EngineError),
}

/// Every layer of a city, parsed: what an [`crate::Engine`] is built from,
/// what a store loads and imports, what a city directory holds.
#[derive(Debug, Default, Clone)]
pub struct City {
    /// The governance tree, parents before children.
    pub areas: Vec<Area>,
    /// Field staff; a later member with the same id replaces an earlier one.
    pub staff: Vec<Staff>,
    /// Cameras.
    pub cameras: Vec<Camera>,
    /// Risk sources.
    pub risk_sources: Vec<RiskSource>,
    /// Key places.
    pub key_places: Vec<KeyPlace>,
}

/// Reads and validates every layer of a city directory.
pub fn read(dir: &Path) -> Result<City, CityDirError> {
    Ok(City {
        areas: read_layer(&dir.join(LAYER_FILES[0]), geojson::parse_area)?,
        staff: read_layer(&dir.join(LAYER_FILES[1]), geojson::parse_staff)?,
        cameras: read_layer(&dir.join(LAYER_FILES[2]), geojson::parse_camera)?,
        risk_sources: read_layer(&dir.join(LAYER_FILES[3]), geojson::parse_risk_source)?,
        key_places: read_layer(&dir.join(LAYER_FILES[4]), geojson::parse_key_place)?,
    })
}

/// Reads and validates one layer file (a FeatureCollection) with `parse`
/// (one of [`geojson`]'s `parse_*`); errors name the file and the feature.
pub fn read_layer<T>(
    path: &Path,
    parse: fn(&::geojson::Feature) -> Result<T, EngineError>,
) -> Result<Vec<T>, CityDirError> {
    let text = std::fs::read_to_string(path).map_err(|e| CityDirError::Read(e, path.to_owned()))?;
    read_collection(&text)
        .map_err(|e| CityDirError::Parse(e, path.to_owned()))?
        .iter()
        .enumerate()
        .map(|(index, f)| {
            parse(f).map_err(|source| CityDirError::Feature {
                path: path.to_owned(),
                index,
                source,
            })
        })
        .collect()
}
