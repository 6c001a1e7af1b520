//! The demo city tiles every parent exactly, has what it promises, is the
//! same on every run and reads back through riskmap's own parsers; benchmark
//! cities follow their knobs.
// Helpers outside `#[test]` functions are test code too.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use std::path::Path;
use std::sync::OnceLock;

use common::check_tiling;
use geo::{Area, BooleanOps, Intersects, MultiPolygon};
use geodata::city::{self, City, CitySpec};
use geodata::output;
use riskmap_engine::model::{AreaLevel, DutyStatus, Footprint, Role};

fn demo() -> &'static City {
    static DEMO: OnceLock<City> = OnceLock::new();
    DEMO.get_or_init(|| city::build(&CitySpec::DEMO).unwrap())
}

fn count(city: &City, level: AreaLevel) -> usize {
    city.areas.iter().filter(|a| a.level == level).count()
}

/// Every staff member stands inside their home grid.
fn check_staff_at_home(city: &City) {
    let grids: HashMap<&str, &MultiPolygon<f64>> = city
        .areas
        .iter()
        .filter(|a| a.level == AreaLevel::Grid)
        .map(|a| (a.code.as_str(), &a.geometry))
        .collect();
    for s in &city.staff {
        let fix = s.last_fix.unwrap();
        assert!(
            grids[s.home_grid.as_str()].intersects(&fix.position.point()),
            "{} is outside {}",
            s.id,
            s.home_grid
        );
        assert_eq!(fix.fix_time_ms, 1_767_225_600_000);
        assert_eq!(s.devices, vec![format!("dev-{}", s.id)]);
        assert!((1..=3).contains(&s.skills.len()));
    }
}

/// Area footprints lie inside the city.
fn check_footprints(city: &City) {
    let whole = &city.areas[0].geometry;
    for f in city
        .risk_sources
        .iter()
        .map(|r| &r.footprint)
        .chain(city.key_places.iter().map(|k| &k.footprint))
    {
        match f {
            Footprint::Point(p) => assert!(whole.intersects(p)),
            Footprint::Line(l) => assert!(whole.intersects(l)),
            Footprint::Area(a) => assert!(a.difference(whole).unsigned_area() < 1e-12),
        }
    }
}

#[test]
fn the_demo_city_tiles_every_parent() {
    let c = demo();
    check_tiling(c);
}

#[test]
fn every_demo_area_is_valid() {
    use geo::Validation;
    for a in &demo().areas {
        assert!(
            a.geometry.is_valid(),
            "{} is not a valid MultiPolygon",
            a.code
        );
    }
}

#[test]
fn the_demo_city_has_what_it_promises() {
    let c = demo();
    assert_eq!(count(c, AreaLevel::City), 1);
    assert_eq!(count(c, AreaLevel::District), 11);
    assert!(
        (80..=220).contains(&count(c, AreaLevel::Street)),
        "{}",
        count(c, AreaLevel::Street)
    );
    assert!(
        count(c, AreaLevel::Grid) >= 3_000,
        "{}",
        count(c, AreaLevel::Grid)
    );
    assert!(c.staff.len() >= 5_000);
    for role in Role::ALL {
        assert!(c.staff.iter().any(|s| s.role == role), "no {role:?}");
    }
    assert_eq!(c.cameras.len(), 20_000);
    assert_eq!(c.risk_sources.len(), 2_000);
    assert_eq!(c.key_places.len(), 1_500);
    assert_eq!(c.staff[0].id, "S000001");
    assert_eq!(c.cameras[19_999].id, "C020000");
    check_staff_at_home(c);
    check_footprints(c);
    // Busy is a live state (a task held): the demo's roster has on and off
    // duty only, and its simulator makes staff busy with their tasks.
    let on_duty = |d: DutyStatus| c.staff.iter().filter(|s| s.duty == d).count();
    assert_eq!(on_duty(DutyStatus::Busy), 0);
    assert!(on_duty(DutyStatus::Available) > 2 * on_duty(DutyStatus::Off));

    // Grids are small in the old city and large in the mountains.
    let mean_size = |district: &str| {
        let sizes: Vec<f64> = c
            .areas
            .iter()
            .filter(|a| a.level == AreaLevel::Grid && a.code.starts_with(district))
            .map(|a| a.geometry.unsigned_area())
            .collect();
        sizes.iter().sum::<f64>() / sizes.len() as f64
    };
    assert!(
        mean_size("330329") > 20.0 * mean_size("330302"),
        "泰顺 grids are much larger than 鹿城's"
    );

    // Most cameras are in the urban core.
    let core = c
        .cameras
        .iter()
        .filter(|x| (x.location.lon - 120.68).abs() < 0.1 && (x.location.lat - 27.98).abs() < 0.08)
        .count();
    assert!(core > c.cameras.len() / 2, "{core} cameras in the core");
}

fn hashes(dir: &Path) -> Vec<u64> {
    riskmap_engine::city::LAYER_FILES
        .iter()
        .map(|f| {
            let mut h = DefaultHasher::new();
            h.write(&std::fs::read(dir.join(f)).unwrap());
            h.finish()
        })
        .collect()
}

#[test]
fn the_demo_city_is_the_same_every_time_and_reads_back() {
    let first = tempfile::tempdir().unwrap();
    output::write(demo(), first.path()).unwrap();
    let again = city::build(&CitySpec::DEMO).unwrap();
    let second = tempfile::tempdir().unwrap();
    output::write(&again, second.path()).unwrap();
    assert_eq!(
        hashes(first.path()),
        hashes(second.path()),
        "two builds differ"
    );

    let back = riskmap_engine::city::read(first.path()).unwrap();
    let c = demo();
    assert_eq!(back.areas, c.areas);
    assert_eq!(back.staff, c.staff);
    assert_eq!(back.cameras, c.cameras);
    assert_eq!(back.risk_sources, c.risk_sources);
    assert_eq!(back.key_places, c.key_places);
}

#[test]
fn a_benchmark_city_follows_its_knobs() {
    let spec = CitySpec {
        grids: 500,
        staff: 2_000,
        cameras: 3_000,
        risk_sources: 200,
        key_places: 150,
        busy_percent: CitySpec::BENCHMARK_BUSY_PERCENT,
        seed: 3,
    };
    let c = city::build(&spec).unwrap();
    let grids = count(&c, AreaLevel::Grid);
    assert!((450..=550).contains(&grids), "{grids} grids for 500 wanted");
    assert_eq!(c.staff.len(), 2_000);
    assert_eq!(c.cameras.len(), 3_000);
    assert_eq!(c.risk_sources.len(), 200);
    assert_eq!(c.key_places.len(), 150);
    check_tiling(&c);
    check_staff_at_home(&c);
    // Another seed, another city.
    let other = city::build(&CitySpec { seed: 4, ..spec }).unwrap();
    assert_ne!(other.areas, c.areas);
}

#[test]
fn knobs_out_of_range_are_refused() {
    let spec = CitySpec {
        grids: 10,
        ..CitySpec::DEMO
    };
    assert!(city::build(&spec).is_err());
}
