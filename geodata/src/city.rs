//! The knobs ([`CitySpec`]) and the whole build: boundaries, tree, people
//! and things.
//!
//! The demo city and the benchmark cities are the same build on Wenzhou's
//! real districts; only the counts and the seed differ. A trial city
//! ([`build_on`]) is the same build again on another city's districts (see
//! [`crate::import`]). The number of grids
//! is met exactly, unless a split comes back short (never seen) or a
//! community would need more than 999 grids (codes have three digits per
//! level; not reachable below [`CitySpec::MAX_GRIDS`]). The tests allow
//! ±10%.

use rand_chacha::ChaCha8Rng;
use riskmap_engine::model::{Area, Camera, KeyPlace, RiskSource, Staff};

use crate::boundaries::{BoundaryError, CityBounds};
use crate::density::Density;
use crate::parallel::rng_for;
use crate::population::{self, Grids};
use crate::progress;
use crate::tree::{self, Tree};

/// How big a city to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CitySpec {
    /// Grids wanted.
    pub grids: usize,
    /// Field staff.
    pub staff: usize,
    /// Cameras.
    pub cameras: usize,
    /// Risk sources.
    pub risk_sources: usize,
    /// Key places.
    pub key_places: usize,
    /// Percentage of the staff written as busy. A benchmark city wants a
    /// dispatcher's realistic mix; the demo none, since busy is a live
    /// state (a task held) that the demo's simulator gives with the task.
    pub busy_percent: u8,
    /// Seed of every random choice: the same spec gives the same city.
    pub seed: u64,
}

impl CitySpec {
    /// The demo city of Wenzhou.
    pub const DEMO: CitySpec = CitySpec {
        grids: 4_000,
        staff: 6_000,
        cameras: 20_000,
        risk_sources: 2_000,
        key_places: 1_500,
        busy_percent: 0,
        seed: 20_260_101,
    };

    /// A benchmark city: big enough to load a server.
    pub const BENCHMARK: CitySpec = CitySpec {
        grids: 5_000,
        staff: 100_000,
        cameras: 20_000,
        risk_sources: 2_000,
        key_places: 1_500,
        busy_percent: Self::BENCHMARK_BUSY_PERCENT,
        seed: 1,
    };

    /// A trial city on a city's own districts: the demo's counts, for it is
    /// served in demo mode (whose simulator makes staff busy), seed 1.
    pub const TRIAL: CitySpec = CitySpec {
        seed: 1,
        ..Self::DEMO
    };

    /// The busy percentage of a benchmark city: with a quarter off duty,
    /// half the staff are available to dispatch.
    pub const BENCHMARK_BUSY_PERCENT: u8 = 25;

    /// Fewest grids: every district needs a few streets and communities.
    pub const MIN_GRIDS: usize = 100;
    /// Most grids: beyond this the build takes too long to be useful.
    pub const MAX_GRIDS: usize = 500_000;
    /// Most staff.
    pub const MAX_STAFF: usize = 5_000_000;
    /// Most cameras, risk sources or key places.
    pub const MAX_THINGS: usize = 2_000_000;

    /// Checks the knobs.
    pub fn validate(&self) -> Result<(), BuildError> {
        let bad = |what: String| Err(BuildError::Spec(what));
        if !(Self::MIN_GRIDS..=Self::MAX_GRIDS).contains(&self.grids) {
            return bad(format!(
                "grids must be within {}..={}, got {}",
                Self::MIN_GRIDS,
                Self::MAX_GRIDS,
                self.grids
            ));
        }
        if self.staff > Self::MAX_STAFF {
            return bad(format!(
                "at most {} staff, got {}",
                Self::MAX_STAFF,
                self.staff
            ));
        }
        for (what, n) in [
            ("cameras", self.cameras),
            ("risk sources", self.risk_sources),
            ("key places", self.key_places),
        ] {
            if n > Self::MAX_THINGS {
                return bad(format!("at most {} {what}, got {n}", Self::MAX_THINGS));
            }
        }
        Ok(())
    }
}

/// Why a city could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The knobs are out of range.
    #[error("{0}")]
    Spec(String),
    /// The embedded boundaries are unreadable (never expected).
    #[error(transparent)]
    Boundaries(#[from] BoundaryError),
}

/// A built city.
#[derive(Debug, Clone)]
pub struct City {
    /// The governance tree: the city, its districts, streets, communities,
    /// grids, in that order; a parent always comes before its children.
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

/// Builds a city on Wenzhou's districts, with Wenzhou's own density
/// surface.
pub fn build(spec: &CitySpec) -> Result<City, BuildError> {
    spec.validate()?;
    let wenzhou = CityBounds::wenzhou()?;
    let density = Density::wenzhou(&wenzhou.seats());
    Ok(build_with(spec, &wenzhou, &density))
}

/// Builds a city on any city's districts. Where its people live is not
/// known, so they crowd around the district seats.
pub fn build_on(spec: &CitySpec, city: &CityBounds) -> Result<City, BuildError> {
    spec.validate()?;
    let density = Density::around_seats(&city.seats());
    Ok(build_with(spec, city, &density))
}

fn build_with(spec: &CitySpec, city: &CityBounds, density: &Density) -> City {
    let tree = tree::build(city, spec.grids, density, spec.seed);
    let (staff, cameras, risk_sources, key_places) = populate(&tree, spec);
    City {
        areas: tree.nodes.into_iter().map(|n| n.area).collect(),
        staff,
        cameras,
        risk_sources,
        key_places,
    }
}

/// Every layer but the areas. Each layer has its own random stream, so the
/// layers are built side by side and still come out the same every time.
fn populate(
    tree: &Tree,
    spec: &CitySpec,
) -> (Vec<Staff>, Vec<Camera>, Vec<RiskSource>, Vec<KeyPlace>) {
    let grids = Grids::new(tree.grids());
    let rng = |layer: &str| -> ChaCha8Rng { rng_for(spec.seed, layer) };
    let staff_bar = progress::bar(spec.staff, "staff");
    let camera_bar = progress::bar(spec.cameras, "cameras");
    let risk_bar = progress::bar(spec.risk_sources, "risk sources");
    let place_bar = progress::bar(spec.key_places, "key places");
    std::thread::scope(|s| {
        let grids = &grids;
        let others = s.spawn(|| {
            let cameras =
                population::cameras(grids, spec.cameras, &mut rng("cameras"), &camera_bar);
            camera_bar.finish();
            let risks = population::risk_sources(
                grids,
                spec.risk_sources,
                &mut rng("risk sources"),
                &risk_bar,
            );
            risk_bar.finish();
            let places =
                population::key_places(grids, spec.key_places, &mut rng("key places"), &place_bar);
            place_bar.finish();
            (cameras, risks, places)
        });
        let staff = population::staff(
            grids,
            spec.staff,
            spec.busy_percent,
            &mut rng("staff"),
            &staff_bar,
        );
        staff_bar.finish();
        let (cameras, risks, places) = others
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (staff, cameras, risks, places)
    })
}
