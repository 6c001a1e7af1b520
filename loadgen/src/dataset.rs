//! The benchmark dataset: a city directory whose staff are spread uniformly
//! over Wenzhou's urban core (the box the engine benchmarks fill), one third
//! available, each one's home grid the grid they stand in. The grids and the
//! static layers come from a city `geodata` built (e.g. `geodata demo`), so
//! the areas are the real district outlines.
//!
//! The same seed gives the same staff, positions and query points, so
//! riskmap, PostGIS and Redis are loaded with, and asked about, the same
//! things.

use std::path::{Path, PathBuf};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use riskmap_engine::geojson::{parse_area, read_collection, staff_feature, write_collection};
use riskmap_engine::model::{DutyStatus, Fix, Role, Skill, Staff};
use riskmap_engine::sphere::LonLat;
use riskmap_engine::{AreaTree, EngineConfig};
use serde::Deserialize;

/// Wenzhou's urban core, about 25 km × 22 km (as in the engine benchmarks).
pub const WENZHOU_URBAN: [f64; 4] = [120.55, 27.90, 120.80, 28.10];

/// The fix time of every generated position: 2026-01-01 00:00 UTC, so any
/// fix a load run sends is newer.
const EPOCH_MS: i64 = 1_767_225_600_000;

/// The layers copied from the base city as they are.
const STATIC_LAYERS: [&str; 4] = [
    "areas.geojson",
    "cameras.geojson",
    "risk_sources.geojson",
    "key_places.geojson",
];

/// What `loadgen dataset` builds.
pub struct Spec {
    /// A city directory to take the areas and static layers from.
    pub base: PathBuf,
    /// Where to write the new city directory.
    pub out: PathBuf,
    /// How many staff.
    pub staff: usize,
    /// The share of them available.
    pub available: f64,
    /// The box they stand in.
    pub bbox: [f64; 4],
    /// Random seed.
    pub seed: u64,
}

/// Builds the city directory; returns how many staff were written.
pub fn build(spec: &Spec) -> Result<usize, String> {
    if !(0.0..=1.0).contains(&spec.available) {
        return Err(format!(
            "--available must be within 0..1, got {}",
            spec.available
        ));
    }
    let areas_path = spec.base.join("areas.geojson");
    let text = std::fs::read_to_string(&areas_path)
        .map_err(|e| format!("reading {}: {e}", areas_path.display()))?;
    let areas = read_collection(&text)
        .map_err(|e| format!("{}: {e}", areas_path.display()))?
        .iter()
        .enumerate()
        .map(|(i, f)| {
            parse_area(f).map_err(|e| format!("{}: feature {i}: {e}", areas_path.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let tree = AreaTree::build(areas, EngineConfig::default().h3_resolution)
        .map_err(|e| format!("{}: {e}", areas_path.display()))?;

    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let width = (spec.staff.max(1) - 1).to_string().len().max(6);
    let mut staff = Vec::with_capacity(spec.staff);
    let mut misses = 0usize;
    while staff.len() < spec.staff {
        let p = point_in(&mut rng, spec.bbox)?;
        // Water and land outside every grid: draw again, so everyone has a
        // home grid (the server refuses staff without one).
        let Some(grid) = tree.grid_at(p) else {
            misses += 1;
            if misses > 1000 && misses > 50 * staff.len() {
                return Err(format!(
                    "the box {:?} is almost entirely outside the grids of {}",
                    spec.bbox,
                    spec.base.display()
                ));
            }
            continue;
        };
        let i = staff.len();
        let id = format!("S{i:0width$}");
        let duty = if rng.random_bool(spec.available) {
            DutyStatus::Available
        } else if rng.random_bool(0.5) {
            DutyStatus::Busy
        } else {
            DutyStatus::Off
        };
        let role = Role::ALL[rng.random_range(0..Role::ALL.len())];
        let skills = (0..rng.random_range(0..3_usize))
            .map(|_| Skill::ALL[rng.random_range(0..Skill::ALL.len())])
            .collect::<Vec<_>>();
        staff.push(Staff {
            name: format!("压测{i}"),
            role,
            skills: dedup(skills),
            home_grid: tree.get(grid).code.clone(),
            duty,
            devices: vec![format!("dev-{id}")],
            last_fix: Some(Fix {
                position: p,
                accuracy_m: Some(10.0),
                speed_mps: None,
                heading_deg: None,
                altitude_m: None,
                battery_pct: Some(80.0),
                fix_time_ms: EPOCH_MS,
                server_time_ms: EPOCH_MS,
            }),
            id,
        });
    }

    std::fs::create_dir_all(&spec.out)
        .map_err(|e| format!("creating {}: {e}", spec.out.display()))?;
    for name in STATIC_LAYERS {
        let from = spec.base.join(name);
        let to = spec.out.join(name);
        if from.exists() {
            std::fs::copy(&from, &to)
                .map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))?;
        } else {
            write_collection(&to, std::iter::empty())
                .map_err(|e| format!("writing {}: {e}", to.display()))?;
        }
    }
    let path = spec.out.join("staff.geojson");
    write_collection(&path, staff.iter().map(staff_feature))
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(staff.len())
}

fn dedup(mut v: Vec<Skill>) -> Vec<Skill> {
    let mut out = Vec::with_capacity(v.len());
    for s in v.drain(..) {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// A uniform point in a box.
pub fn point_in(rng: &mut ChaCha8Rng, bbox: [f64; 4]) -> Result<LonLat, String> {
    let [w, s, e, n] = bbox;
    if !(w < e && s < n) {
        return Err(format!(
            "the box must be west,south,east,north with west < east and south < north, got {bbox:?}"
        ));
    }
    LonLat::new(rng.random_range(w..e), rng.random_range(s..n)).map_err(|e| e.to_string())
}

/// `n` query points, uniform in the box: the same for every target.
pub fn query_points(n: usize, bbox: [f64; 4], seed: u64) -> Result<Vec<LonLat>, String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_F9E7);
    (0..n).map(|_| point_in(&mut rng, bbox)).collect()
}

/// What the load loops need of a staff member.
#[derive(Debug, Clone)]
pub struct Member {
    /// Staff id.
    pub id: String,
    /// Where they are now.
    pub lon: f64,
    /// Where they are now.
    pub lat: f64,
    /// Duty status is `available`.
    pub available: bool,
    /// Their first device id, if any (the OsmAnd `id`).
    pub device: Option<String>,
}

#[derive(Deserialize)]
struct Collection {
    features: Vec<LiteFeature>,
}

#[derive(Deserialize)]
struct LiteFeature {
    id: Option<serde_json::Value>,
    geometry: Option<LiteGeometry>,
    #[serde(default)]
    properties: LiteProperties,
}

#[derive(Deserialize)]
struct LiteGeometry {
    coordinates: Vec<f64>,
}

#[derive(Deserialize, Default)]
struct LiteProperties {
    duty: Option<String>,
    #[serde(default)]
    devices: Vec<String>,
}

/// Reads the staff of a city directory (only what the loops need; the
/// server validates the rest when it loads the city). Staff without a
/// position are left out.
pub fn roster(city: &Path) -> Result<Vec<Member>, String> {
    let path = city.join("staff.geojson");
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let fc: Collection =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::with_capacity(fc.features.len());
    for (i, f) in fc.features.into_iter().enumerate() {
        let id = match f.id {
            Some(serde_json::Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => return Err(format!("{}: feature {i} has no id", path.display())),
        };
        let Some(g) = f.geometry else { continue };
        let (Some(&lon), Some(&lat)) = (g.coordinates.first(), g.coordinates.get(1)) else {
            return Err(format!("{}: feature {i} is not a point", path.display()));
        };
        out.push(Member {
            id,
            lon,
            lat,
            available: f.properties.duty.as_deref() == Some("available"),
            device: f.properties.devices.into_iter().next(),
        });
    }
    if out.is_empty() {
        return Err(format!("{}: no staff with a position", path.display()));
    }
    Ok(out)
}
