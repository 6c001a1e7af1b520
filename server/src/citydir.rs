//! A city directory: one GeoJSON FeatureCollection per layer, as `geodata`
//! writes them ([`LAYER_FILES`]).

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::engine::geojson::{self, read_collection};
use crate::engine::model::{Area, Camera, KeyPlace, RiskSource, Staff};
use crate::engine::{BuildTimes, CityParts, Engine, EngineConfig, EngineError};

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

/// Every layer of a city, parsed.
#[derive(Debug, Default)]
pub struct CityLayers {
    /// The governance tree.
    pub areas: Vec<Area>,
    /// Field staff.
    pub staff: Vec<Staff>,
    /// Cameras.
    pub cameras: Vec<Camera>,
    /// Risk sources.
    pub risk_sources: Vec<RiskSource>,
    /// Key places.
    pub key_places: Vec<KeyPlace>,
}

/// Reads and validates every layer of a city directory.
pub fn read(dir: &Path) -> Result<CityLayers, CityDirError> {
    Ok(CityLayers {
        areas: read_layer(&dir.join(LAYER_FILES[0]), geojson::parse_area)?,
        staff: read_layer(&dir.join(LAYER_FILES[1]), geojson::parse_staff)?,
        cameras: read_layer(&dir.join(LAYER_FILES[2]), geojson::parse_camera)?,
        risk_sources: read_layer(&dir.join(LAYER_FILES[3]), geojson::parse_risk_source)?,
        key_places: read_layer(&dir.join(LAYER_FILES[4]), geojson::parse_key_place)?,
    })
}

fn read_layer<T>(
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

/// Builds an engine holding every layer.
pub fn into_engine(layers: CityLayers, config: EngineConfig) -> Result<Engine, CityDirError> {
    Ok(into_engine_timed(layers, config)?.0)
}

/// [`into_engine`], with where the time went.
pub fn into_engine_timed(
    layers: CityLayers,
    config: EngineConfig,
) -> Result<(Engine, BuildTimes), CityDirError> {
    Ok(Engine::build(
        config,
        CityParts {
            areas: layers.areas,
            staff: layers.staff,
            cameras: layers.cameras,
            risk_sources: layers.risk_sources,
            key_places: layers.key_places,
        },
    )?)
}
