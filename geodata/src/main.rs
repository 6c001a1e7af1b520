//! `geodata`: builds riskmap's demo city, benchmark cities and trial cities
//! on a city's own districts as directories of GeoJSON layers. The work is
//! in the library; this is the command line.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use geodata::city::{self, CitySpec};
use geodata::{import, output};

/// Builds riskmap's cities as directories of GeoJSON layers.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
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
    /// A benchmark city on Wenzhou's districts, sized by the knobs; or,
    /// with --districts, a trial city on any city's own districts.
    City {
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Build on these district boundaries instead of Wenzhou's: a GeoJSON
        /// FeatureCollection of Polygon/MultiPolygon features in WGS84
        /// degrees, each with a name (`name`, `NAME`, `名称`…) and
        /// optionally a GB/T 2260 code (`adcode`, `code`…). The knobs then
        /// default to the demo city's and no staff is written busy.
        #[arg(long, value_name = "FILE")]
        districts: Option<PathBuf>,
        /// The city's 6-digit code [default: the districts' common prefix,
        /// e.g. 330300, else 990100].
        #[arg(long, requires = "districts")]
        city_code: Option<String>,
        /// The city's name [default: the file's name without extension].
        #[arg(long, requires = "districts")]
        city_name: Option<String>,
        /// The property holding the districts' names [default: the first
        /// of `name_zh`, `NAME_ZH`, `NAME_CHN`, `name`, `NAME`, `Name`, `名称`…].
        #[arg(long, requires = "districts")]
        name_property: Option<String>,
        /// The property holding the districts' codes [default: the first
        /// of `adcode`, `ADCODE`, `code`, `CODE`, `区划代码`…, then the
        /// feature id].
        #[arg(long, requires = "districts")]
        code_property: Option<String>,
        /// Field staff [default: 100000; 6000 with --districts].
        #[arg(long)]
        staff: Option<usize>,
        /// Grids, 100 to 500,000 [default: 5000; 4000 with --districts].
        #[arg(long)]
        grids: Option<usize>,
        /// Cameras [default: 20000].
        #[arg(long)]
        cameras: Option<usize>,
        /// Risk sources [default: 2000].
        #[arg(long)]
        risk_sources: Option<usize>,
        /// Key places [default: 1500].
        #[arg(long)]
        key_places: Option<usize>,
        /// Seed: the same knobs and seed give the same city.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// Where a city is built: on Wenzhou's districts, or on a file's.
type Districts = Option<(PathBuf, import::Options)>;

fn main() -> ExitCode {
    let (spec, districts, out) = match Cli::parse().command {
        Command::Demo { out } => (CitySpec::DEMO, None, out),
        Command::City {
            out,
            districts,
            city_code,
            city_name,
            name_property,
            code_property,
            staff,
            grids,
            cameras,
            risk_sources,
            key_places,
            seed,
        } => {
            let base = if districts.is_some() {
                CitySpec::TRIAL
            } else {
                CitySpec::BENCHMARK
            };
            let spec = CitySpec {
                grids: grids.unwrap_or(base.grids),
                staff: staff.unwrap_or(base.staff),
                cameras: cameras.unwrap_or(base.cameras),
                risk_sources: risk_sources.unwrap_or(base.risk_sources),
                key_places: key_places.unwrap_or(base.key_places),
                busy_percent: base.busy_percent,
                seed,
            };
            let options = import::Options {
                city_code,
                city_name,
                name_property,
                code_property,
            };
            (spec, districts.map(|file| (file, options)), out)
        }
    };
    match run(&spec, districts, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("geodata: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(spec: &CitySpec, districts: Districts, out: &Path) -> Result<(), Box<dyn Error>> {
    let started = Instant::now();
    let city = match districts {
        None => city::build(spec)?,
        Some((file, options)) => {
            // The knobs first: a bad one should not wait for the file.
            spec.validate()?;
            let imported = import::read(&file, &options)?;
            for note in &imported.notes {
                eprintln!("geodata: {note}");
            }
            city::build_on(spec, &imported.city)?
        }
    };
    output::write(&city, out).map_err(|e| format!("writing {}: {e}", out.display()))?;
    print!("{}", output::summary(&city, started.elapsed()));
    println!("written to {}", out.display());
    Ok(())
}
