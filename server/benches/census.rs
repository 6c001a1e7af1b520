//! The staff census (人员分布, `live/census.rs`): a pass over every member
//! at 100,000 and 1,000,000 staff, as the server takes it every 2 s while a
//! screen watches `staff_cells` (under the engine's read lock).
//!
//! `cargo bench -p riskmap --bench census`
//!
//! Staff uniform over Wenzhou's urban core (25 km × 22 km), homed in the grid
//! of a 0.005° lattice they stand in (as `loadgen dataset` homes them).
//! `steady`: nobody moved since the last pass; `moved`: a tenth of the staff
//! walked a few metres to a hundred since (more than `loadgen ingest`'s 2,000
//! fixes a second bring in 2 s at 1,000,000 staff).

#[path = "../../engine/tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::RngExt;
use riskmap::identity::Scope;
use riskmap::live::Subscription;
use riskmap::live::census::Census;
use riskmap_engine::sphere::LonLat;
use riskmap_engine::{Engine, EngineConfig};
use riskmap_wire::Layers;
use support::{WENZHOU_URBAN, fix_at, lattice_city, point_in, random_staff, rng};

const STEP: f64 = 0.005;
const NOW: i64 = 1_000;

fn city(n: usize) -> Engine {
    let mut r = rng(3);
    let [w, s, e, north] = WENZHOU_URBAN;
    let (nx, ny) = (((e - w) / STEP) as usize, ((north - s) / STEP) as usize);
    let origin = LonLat::new(w, s).expect("in range");
    let mut engine = Engine::new(EngineConfig::default()).expect("an engine");
    engine
        .replace_areas(lattice_city(&mut r, origin, nx, ny, STEP, 0.0))
        .expect("the lattice city");
    for i in 0..n {
        let p = point_in(&mut r, WENZHOU_URBAN);
        let gi = (((p.lon - w) / STEP) as usize).min(nx - 1);
        let gj = (((p.lat - s) / STEP) as usize).min(ny - 1);
        engine
            .upsert_staff(&random_staff(
                &mut r,
                i,
                &format!("g{gi}_{gj}"),
                Some(p),
                1.0 / 3.0,
            ))
            .expect("a member");
    }
    engine
}

fn census(c: &mut Criterion) {
    let mut g = c.benchmark_group("census");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for n in [100_000, 1_000_000] {
        let mut engine = city(n);
        let mut census = Census::default();
        census.take(&engine, NOW, 600_000);
        g.bench_function(BenchmarkId::new("steady", n), |b| {
            b.iter(|| black_box(census.take(&engine, NOW, 600_000)));
        });
        let mut r = rng(9);
        let count = u32::try_from(n).expect("fewer than 2^32");
        g.bench_function(BenchmarkId::new("moved", n), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for k in 0..iters {
                    for _ in 0..n / 10 {
                        let idx = r.random_range(0..count);
                        let Some(p) = engine.staff().position(idx) else {
                            continue;
                        };
                        let q = LonLat::new(
                            p.lon + r.random_range(-0.001..0.001),
                            p.lat + r.random_range(-0.001..0.001),
                        )
                        .expect("in range");
                        let t = NOW + 1 + i64::try_from(k).unwrap_or(0);
                        let _ = engine.apply_fix(idx, fix_at(q, t));
                    }
                    let t = Instant::now();
                    black_box(census.take(&engine, NOW + 1_000, 600_000));
                    spent += t.elapsed();
                }
                spent
            });
        });
        // What changed for one city-wide screen between two passes.
        let city = Subscription {
            bbox: WENZHOU_URBAN,
            layers: Layers::STAFF_CELLS,
            scope: Scope::All,
            home: Scope::All,
            tree: engine.areas().generation(),
        };
        let before = census.take(&engine, NOW, 600_000);
        let after = census.take(&engine, NOW + 700_000, 600_000);
        g.bench_function(BenchmarkId::new("changes", n), |b| {
            b.iter(|| {
                black_box(census.changes(Some(&before), &after, &[(1, city)], engine.areas()))
            });
        });
    }
    g.finish();
}

criterion_group!(benches, census);
criterion_main!(benches);
