//! `geodata`: builds riskmap's demo city and benchmark cities as directories
//! of GeoJSON layers. The work is in the library; this is the command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use geodata::city::{self, CitySpec};
use geodata::output;

/// Builds riskmap's cities as directories of GeoJSON layers.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The demo city of Wenzhou (温州市): 4,000 grids, 6,000 staff, 20,000
    /// cameras, 2,000 risk sources, 1,500 key places. The same bytes every
    /// run.
    Demo {
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// A benchmark city on Wenzhou's districts, sized by the knobs.
    City {
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Field staff.
        #[arg(long, default_value_t = 100_000)]
        staff: usize,
        /// Grids (100 to 500,000).
        #[arg(long, default_value_t = 5_000)]
        grids: usize,
        /// Cameras.
        #[arg(long, default_value_t = 20_000)]
        cameras: usize,
        /// Risk sources.
        #[arg(long, default_value_t = 2_000)]
        risk_sources: usize,
        /// Key places.
        #[arg(long, default_value_t = 1_500)]
        key_places: usize,
        /// Seed: the same knobs and seed give the same city.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn main() -> ExitCode {
    let (spec, out) = match Cli::parse().command {
        Command::Demo { out } => (CitySpec::DEMO, out),
        Command::City {
            out,
            staff,
            grids,
            cameras,
            risk_sources,
            key_places,
            seed,
        } => (
            CitySpec {
                grids,
                staff,
                cameras,
                risk_sources,
                key_places,
                busy_percent: CitySpec::BENCHMARK_BUSY_PERCENT,
                seed,
            },
            out,
        ),
    };
    match run(&spec, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("geodata: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(spec: &CitySpec, out: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let city = city::build(spec)?;
    output::write(&city, out).map_err(|e| format!("writing {}: {e}", out.display()))?;
    print!("{}", output::summary(&city, started.elapsed()));
    println!("written to {}", out.display());
    Ok(())
}
