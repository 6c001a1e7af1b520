//! Command line: clap, with environment fallbacks; defaults as named
//! constants.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// riskmap — real-time situational awareness map server for city grid
/// governance (网格化管理).
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Loads a city directory (as `geodata demo` writes it) into the engine
    /// and prints what it holds, how long each index took to build, and a
    /// few dispatch queries at the city centre.
    Summary {
        /// Directory holding `areas.geojson`, `staff.geojson`,
        /// `cameras.geojson`, `risk_sources.geojson` and `key_places.geojson`.
        #[arg(env = "RISKMAP_CITY_DIR")]
        dir: PathBuf,
        /// H3 resolution of the point → grid cells.
        #[arg(long, env = "RISKMAP_H3_RESOLUTION", default_value_t = DEFAULT_H3_RESOLUTION)]
        h3_resolution: u8,
    },
}

/// Default H3 resolution for point → grid (10: cells of about 0.015 km²).
pub const DEFAULT_H3_RESOLUTION: u8 = 10;
