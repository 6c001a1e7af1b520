//! Synthetic cities for the property tests and the benchmarks: a jittered
//! lattice of grids that tiles exactly (neighbours share their vertices) and
//! staff scattered over it. Shared by `tests/` and `benches/` through
//! `#[path]`, so it is not part of the library.
#![allow(dead_code)]

use geo::{LineString, MultiPolygon, Polygon};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use riskmap_engine::model::{Area, AreaLevel, DutyStatus, Fix, Role, Skill, Staff};
use riskmap_engine::sphere::LonLat;

/// Wenzhou's urban core, the box the benchmarks fill: about 25 km × 22 km.
pub const WENZHOU_URBAN: [f64; 4] = [120.55, 27.90, 120.80, 28.10];

/// A fix at `p` taken at `t`.
pub fn fix_at(p: LonLat, t: i64) -> Fix {
    Fix::at(p, t)
}

/// A city → district → street → community → grids tree whose grids are the
/// cells of an `nx` × `ny` jittered lattice of `step` degrees from `origin`.
/// Each cell is left out with probability `hole_p` (points there are outside
/// every grid). Grid codes are `g{i}_{j}`.
pub fn lattice_city(
    rng: &mut ChaCha8Rng,
    origin: LonLat,
    nx: usize,
    ny: usize,
    step: f64,
    hole_p: f64,
) -> Vec<Area> {
    let mut v = vec![vec![(0.0, 0.0); ny + 1]; nx + 1];
    for (i, col) in v.iter_mut().enumerate() {
        for (j, c) in col.iter_mut().enumerate() {
            let edge = i == 0 || j == 0 || i == nx || j == ny;
            let jitter = if edge { 0.0 } else { 0.3 * step };
            *c = (
                origin.lon + i as f64 * step + rng.random_range(-jitter..=jitter),
                origin.lat + j as f64 * step + rng.random_range(-jitter..=jitter),
            );
        }
    }
    let whole = rect(
        origin.lon,
        origin.lat,
        origin.lon + nx as f64 * step,
        origin.lat + ny as f64 * step,
    );
    let mut areas = vec![
        area("c", AreaLevel::City, None, whole.clone()),
        area("d", AreaLevel::District, Some("c"), whole.clone()),
        area("s", AreaLevel::Street, Some("d"), whole.clone()),
        area("m", AreaLevel::Community, Some("s"), whole),
    ];
    for i in 0..nx {
        for j in 0..ny {
            if hole_p > 0.0 && rng.random_bool(hole_p) {
                continue;
            }
            let ring = vec![v[i][j], v[i + 1][j], v[i + 1][j + 1], v[i][j + 1], v[i][j]];
            areas.push(area(
                &format!("g{i}_{j}"),
                AreaLevel::Grid,
                Some("m"),
                MultiPolygon::new(vec![Polygon::new(LineString::from(ring), vec![])]),
            ));
        }
    }
    areas
}

/// An axis-aligned rectangle as a MultiPolygon.
pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    )])
}

/// An area with its name set to its code.
pub fn area(
    code: &str,
    level: AreaLevel,
    parent: Option<&str>,
    geometry: MultiPolygon<f64>,
) -> Area {
    Area {
        code: code.into(),
        name: code.into(),
        level,
        parent: parent.map(Into::into),
        geometry,
    }
}

/// A uniformly random point in `[west, south, east, north]`.
pub fn point_in(rng: &mut ChaCha8Rng, bbox: [f64; 4]) -> LonLat {
    let [w, s, e, n] = bbox;
    LonLat::new(rng.random_range(w..=e), rng.random_range(s..=n)).expect("box in range")
}

/// A staff member with a random role, skills (each with probability 0.3) and
/// duty status (available with probability `available_p`, else busy or off).
pub fn random_staff(
    rng: &mut ChaCha8Rng,
    i: usize,
    home_grid: &str,
    p: Option<LonLat>,
    available_p: f64,
) -> Staff {
    let skills: Vec<Skill> = Skill::ALL
        .into_iter()
        .filter(|_| rng.random_bool(0.3))
        .collect();
    let duty = if rng.random_bool(available_p) {
        DutyStatus::Available
    } else if rng.random_bool(0.5) {
        DutyStatus::Busy
    } else {
        DutyStatus::Off
    };
    Staff {
        id: format!("S{i:07}"),
        name: format!("员工{i}"),
        role: Role::ALL[rng.random_range(0..Role::ALL.len())],
        skills,
        home_grid: home_grid.into(),
        duty,
        devices: vec![format!("dev-{i}")],
        last_fix: p.map(|p| fix_at(p, 1)),
    }
}

/// A seeded generator.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}
