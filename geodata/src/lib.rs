//! Builds riskmap's cities: the demo city of Wenzhou (温州市) on its real
//! district boundaries, synthetic benchmark cities of any size on the same
//! boundaries, and trial cities on any city's own district boundaries. A city
//! is five GeoJSON layers (see [`output`]).
//!
//! # Layout
//!
//! - [`boundaries`]: the embedded district boundaries (MIT), cleaned.
//! - [`import`]: a city's own district boundaries, from a GeoJSON file.
//! - [`density`]: where people live: a density surface with urban peaks.
//!   Grids are small where it is high; staff and cameras crowd there.
//! - [`inside`]: fast point-in-area tests and random points inside an area.
//! - [`subdivide`]: tiles one area with children (density-weighted Voronoi
//!   cells clipped to the parent), the same way at every level.
//! - [`tree`]: the governance tree, level by level, with codes and names.
//! - [`names`]: Chinese names for streets, communities, people and places.
//! - [`population`]: staff, cameras, risk sources and key places.
//! - [`city`]: the knobs ([`city::CitySpec`]) and the whole build.
//! - [`output`]: the layer files and the summary.
//! - [`parallel`]: deterministic parallel work and per-task random streams.
//! - [`progress`]: progress bars, hidden when stderr is not a terminal.
//!
//! Every random choice comes from a `ChaCha8` stream seeded by the spec's seed
//! and the code of the area being worked on, so a build is the same byte for
//! byte however many threads run it.

pub mod boundaries;
pub mod city;
pub mod density;
pub mod import;
pub mod inside;
pub mod names;
pub mod output;
pub mod parallel;
pub mod population;
pub mod progress;
pub mod subdivide;
pub mod tree;
