//! Engine benchmarks: the figures in docs/PERFORMANCE.md.
//!
//! `cargo bench -p riskmap --bench engine`
//!
//! Data are synthetic and seeded: staff and cameras uniform over Wenzhou's
//! urban core (25 km × 22 km), grids a jittered lattice of 50,000 cells of
//! about 0.1 km² each. The `scale` group repeats nearest, move and viewport
//! at 10,000, 100,000 and 1,000,000 staff over the same area (so density
//! grows with the count); the other groups keep their ids so earlier figures
//! stay comparable.

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use riskmap_engine::model::Camera;
use riskmap_engine::sphere::LonLat;
use riskmap_engine::{AreaTree, Layer, MoveOutcome, StaffFilter, StaffIndex};
use support::{WENZHOU_URBAN, fix_at, lattice_city, point_in, random_staff, rng};

const STAFF: usize = 100_000;
const QUERIES: usize = 4_096;

fn staff_index(n: usize) -> StaffIndex {
    let mut r = rng(7);
    let mut idx = StaffIndex::default();
    for i in 0..n {
        let p = point_in(&mut r, WENZHOU_URBAN);
        idx.upsert(&random_staff(&mut r, i, "g", Some(p), 1.0 / 3.0), None)
            .expect("valid staff");
    }
    idx
}

fn query_points(n: usize, bbox: [f64; 4]) -> Vec<LonLat> {
    let mut r = rng(11);
    (0..n).map(|_| point_in(&mut r, bbox)).collect()
}

/// Moves at walking pace, for staff `0..staff`: a fix every few seconds
/// moves a few metres, so most moves stay in their cell (the cross-cell case
/// is measured separately). Each is (member, Δlon, Δlat).
fn walking_steps(staff: usize) -> Vec<(u32, f64, f64)> {
    use rand::RngExt;
    let mut r = rng(5);
    let staff = u32::try_from(staff).expect("fewer than 2^32 staff");
    (0..QUERIES)
        .map(|_| {
            (
                r.random_range(0..staff),
                r.random_range(-0.000_05..0.000_05),
                r.random_range(-0.000_05..0.000_05),
            )
        })
        .collect()
}

/// One walking step of [`walking_steps`], at time `t`.
fn walk(
    idx: &mut StaffIndex,
    (s, dx, dy): (u32, f64, f64),
    t: i64,
) -> riskmap_engine::Result<MoveOutcome> {
    let p = idx.position(s).expect("positioned");
    let to = LonLat::new(p.lon + dx, p.lat + dy).expect("in range");
    idx.apply_fix(s, fix_at(to, t))
}

fn nearest(c: &mut Criterion) {
    let idx = staff_index(STAFF);
    let queries = query_points(QUERIES, WENZHOU_URBAN);
    let available = StaffFilter {
        available_only: true,
        ..StaffFilter::default()
    };
    let mut g = c.benchmark_group("nearest");
    g.throughput(Throughput::Elements(1));
    let mut i = 0;
    g.bench_function("nearest5_available_of_100k", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            black_box(idx.nearest(queries[i], 5, &available, None))
        });
    });
    g.finish();
}

fn locate(c: &mut Criterion) {
    // 250 × 200 = 50,000 grids of 0.003° (≈ 300 m × 330 m).
    let origin = LonLat::new(120.40, 27.70).expect("in range");
    let areas = lattice_city(&mut rng(3), origin, 250, 200, 0.003, 0.0);
    let tree =
        AreaTree::build(areas, riskmap_engine::locator::DEFAULT_RESOLUTION).expect("valid tree");
    let queries = query_points(QUERIES, [120.40, 27.70, 121.15, 28.30]);
    let mut g = c.benchmark_group("locate");
    g.throughput(Throughput::Elements(1));
    let mut i = 0;
    g.bench_function("point_to_grid_of_50k", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            black_box(tree.grid_at(queries[i]))
        });
    });
    g.finish();
}

fn moves(c: &mut Criterion) {
    let mut idx = staff_index(STAFF);
    let steps = walking_steps(STAFF);
    let far = query_points(QUERIES, WENZHOU_URBAN);
    let mut g = c.benchmark_group("move");
    g.throughput(Throughput::Elements(1));
    let mut t = 10;
    let mut i = 0;
    g.bench_function("staff_move_walking", |b| {
        b.iter(|| {
            i = (i + 1) % steps.len();
            t += 1;
            black_box(walk(&mut idx, steps[i], t))
        });
    });
    g.bench_function("staff_move_anywhere", |b| {
        b.iter(|| {
            i = (i + 1) % steps.len();
            t += 1;
            black_box(idx.apply_fix(steps[i].0, fix_at(far[i], t)))
        });
    });
    g.finish();
}

/// 巡查覆盖: one fix into a day's book (its grid located, as the server
/// does for each fix; a new cell asks for its centre's grid), beside
/// the move it rides along with.
fn patrol(c: &mut Criterion) {
    use riskmap_engine::patrol::{DayBook, PatrolFix};
    let origin = LonLat::new(120.40, 27.70).expect("in range");
    let areas = lattice_city(&mut rng(3), origin, 250, 200, 0.003, 0.0);
    let tree =
        AreaTree::build(areas, riskmap_engine::locator::DEFAULT_RESOLUTION).expect("valid tree");
    let ids: Vec<String> = (0..STAFF).map(|i| format!("S{i:06}")).collect();
    let mut at: Vec<LonLat> = query_points(STAFF, [120.40, 27.70, 121.15, 28.30]);
    let steps = walking_steps(STAFF);
    let mut book = DayBook::new(riskmap_engine::patrol::DEFAULT_RESOLUTION);
    let mut g = c.benchmark_group("patrol");
    g.throughput(Throughput::Elements(1));
    let (mut i, mut t) = (0, 10);
    g.bench_function("observe_walking_of_100k", |b| {
        b.iter(|| {
            i = (i + 1) % steps.len();
            t += 1_000;
            let (s, dx, dy) = steps[i];
            let s = s as usize;
            let p = &mut at[s];
            *p = LonLat::new(p.lon + dx, p.lat + dy).expect("in range");
            let grid = tree.grid_at(*p).map(|g| tree.get(g).code.as_str());
            let fix = PatrolFix { t, at: *p, grid };
            black_box(book.observe(&ids[s], fix, |cell| {
                let c = h3o::LatLng::from(cell);
                let g = tree.grid_at(LonLat::new(c.lng(), c.lat()).ok()?)?;
                Some(tree.get(g).code.as_str().into())
            }))
        });
    });
    g.finish();
}

/// 电子围栏: one walking fix judged against 10,000 administrators' polygons
/// (squares of 100–600 m, a fifth of the city under some fence) and the
/// 100 m buffers of 2,000 risk sources, each of 100,000 workers' place
/// among them kept — the work the server adds to every fix.
fn fences(c: &mut Criterion) {
    use geo::{MultiPolygon, Point, polygon};
    use rand::RngExt;
    use riskmap_engine::fence::{FenceSet, FenceState, Zone};
    use riskmap_engine::model::Footprint;
    let city = [120.40, 27.70, 121.15, 28.30];
    let mut r = rng(13);
    let mut zones = Vec::new();
    for k in 0..10_000u32 {
        let p = point_in(&mut r, city);
        let side = r.random_range(0.001..0.006);
        let (x0, y0, x1, y1) = (p.lon, p.lat, p.lon + side, p.lat + side);
        let square = polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)];
        zones.push((k, Zone::Area(MultiPolygon::new(vec![square]))));
    }
    for k in 0..2_000u32 {
        let p = point_in(&mut r, city);
        zones.push((
            10_000 + k,
            Zone::Buffer {
                footprint: Footprint::Point(Point::new(p.lon, p.lat)),
                radius_m: 100.0,
            },
        ));
    }
    let set = FenceSet::new(zones).expect("valid zones");
    let mut at: Vec<LonLat> = query_points(STAFF, city);
    let mut states = vec![FenceState::default(); STAFF];
    let steps = walking_steps(STAFF);
    let (mut scratch, mut out) = (Vec::new(), Vec::new());
    let mut g = c.benchmark_group("fences");
    g.throughput(Throughput::Elements(1));
    let mut i = 0;
    g.bench_function("observe_walking_10k_areas_2k_buffers", |b| {
        b.iter(|| {
            i = (i + 1) % steps.len();
            let (s, dx, dy) = steps[i];
            let s = s as usize;
            let p = &mut at[s];
            *p = LonLat::new(p.lon + dx, p.lat + dy).expect("in range");
            out.clear();
            states[s].observe(&set, *p, &mut scratch, &mut out);
            black_box(out.len())
        });
    });
    g.finish();
}

fn viewport(c: &mut Criterion) {
    let mut r = rng(9);
    let cameras: Vec<Camera> = (0..200_000)
        .map(|i| Camera {
            id: format!("C{i:06}"),
            name: String::new(),
            heading_deg: None,
            fov_deg: None,
            range_m: 80.0,
            stream_url: None,
            online: true,
            owner: String::new(),
            location: point_in(&mut r, WENZHOU_URBAN),
        })
        .collect();
    let layer = Layer::build(cameras).expect("valid cameras");
    // 200,000 over 0.25° × 0.20°: a 0.05° × 0.05° viewport holds ~10,000.
    let view = [120.60, 27.95, 120.65, 28.00];
    let staff = staff_index(STAFF);
    // 100,000 over the same box: a 0.125° × 0.04° viewport holds ~10,000.
    let staff_view = [120.60, 27.95, 120.725, 27.99];
    let mut g = c.benchmark_group("viewport");
    g.throughput(Throughput::Elements(1));
    g.bench_function(
        format!("cameras_bbox_{}_features", layer.in_bbox(view).len()),
        |b| b.iter(|| black_box(layer.in_bbox(black_box(view)))),
    );
    g.bench_function(
        format!("staff_bbox_{}_features", staff.in_bbox(staff_view).len()),
        |b| b.iter(|| black_box(staff.in_bbox(black_box(staff_view)))),
    );
    g.finish();
}

/// Vector tiles cut from memory (uncached: what the server does once per
/// tile until the layer changes). 200,000 cameras over the 0.75° × 0.60°
/// of the `locate` city (≈ 40 a km², Dongguan's density is ≈ 77), and once
/// more over the urban core alone (≈ 360 a km²: the worst case).
fn tiles(c: &mut Criterion) {
    use riskmap_engine::tile::TileId;
    use riskmap_engine::tile::layers::{TileLayer, cut};
    use riskmap_engine::{City, Engine, EngineConfig};
    let origin = LonLat::new(120.40, 27.70).expect("in range");
    let whole = [120.40, 27.70, 121.15, 28.30];
    let cameras = |r: &mut rand_chacha::ChaCha8Rng, bbox: [f64; 4]| -> Vec<Camera> {
        (0..200_000)
            .map(|i| Camera {
                id: format!("CAM-{i:06}"),
                name: format!("路口摄像头{i}"),
                heading_deg: Some(f64::from(i % 360)),
                fov_deg: Some(60.0),
                range_m: 80.0,
                stream_url: None,
                online: i % 10 != 0,
                owner: "公安".into(),
                location: point_in(r, bbox),
            })
            .collect()
    };
    let engine = |bbox: [f64; 4]| {
        let mut r = rng(21);
        let city = City {
            areas: lattice_city(&mut r, origin, 250, 200, 0.003, 0.0),
            cameras: cameras(&mut r, bbox),
            ..City::default()
        };
        Engine::build(EngineConfig::default(), city)
            .expect("a valid city")
            .0
    };
    let all = |_| true;
    let mut g = c.benchmark_group("tiles");
    g.throughput(Throughput::Elements(1));
    let mut city = None;
    for (name, bbox) in [("city", whole), ("urban_core", WENZHOU_URBAN)] {
        let e = engine(bbox);
        for (layer, z) in [
            (TileLayer::Cameras, 12),
            (TileLayer::Cameras, 10),
            (TileLayer::Areas, 12),
            (TileLayer::Areas, 8),
        ] {
            if name == "urban_core" && layer == TileLayer::Areas {
                continue; // the same areas as the city's
            }
            let t = TileId::containing(120.65, 28.0, z);
            let bytes = cut(&e, layer, t, &all).len();
            g.bench_function(
                format!("{name}_{}_z{z}_{}kB", layer.name(), bytes / 1000),
                |b| b.iter(|| black_box(cut(&e, layer, black_box(t), &all))),
            );
        }
        if name == "city" {
            city = Some(e);
        }
    }
    g.finish();
    if let Some(mut e) = city {
        heatmap(c, &e);
        outage(c, &mut e);
    }
}

/// A camera outage in the engine: 100,000 of the 200,000 cameras set
/// offline (and back, on the next run) by flipping their flag where they
/// stand, against replacing each camera whole (a copy, a grid lookup, the
/// index's remove and insert), as every change went before.
fn outage(c: &mut Criterion, e: &mut riskmap_engine::Engine) {
    let ids: Vec<String> = (0..200_000)
        .step_by(2)
        .map(|i| format!("CAM-{i:06}"))
        .collect();
    let mut g = c.benchmark_group("outage");
    g.sample_size(10);
    let mut online = false;
    g.bench_function("flip_100k_cameras", |b| {
        b.iter(|| {
            online = !online;
            for id in &ids {
                black_box(e.set_camera_online(id, online));
            }
        });
    });
    g.bench_function("upsert_100k_cameras", |b| {
        b.iter(|| {
            online = !online;
            for id in &ids {
                let Some(mut camera) = e
                    .cameras()
                    .find(id)
                    .and_then(|i| e.cameras().get(i))
                    .cloned()
                else {
                    continue;
                };
                camera.online = online;
                black_box(e.upsert_camera(camera).ok());
            }
        });
    });
    g.finish();
}

/// A city-wide heat map of 200,000 cameras at resolution 8: what the
/// server holds the engine's lock for (the points copied) against the
/// whole (their cells found and counted).
fn heatmap(c: &mut Criterion, e: &riskmap_engine::Engine) {
    use riskmap_engine::HeatLayer;
    let whole = [120.40, 27.70, 121.15, 28.30];
    let mut g = c.benchmark_group("heatmap");
    g.throughput(Throughput::Elements(1));
    g.bench_function("cameras_200k_points", |b| {
        b.iter(|| black_box(e.heat_points(HeatLayer::Cameras, whole, |_| true)));
    });
    g.bench_function("cameras_200k_cells_res8", |b| {
        b.iter(|| black_box(e.heatmap(HeatLayer::Cameras, whole, 8)));
    });
    g.finish();
}

/// Staff counts of the `scale` group.
const SCALE_SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

fn scale(c: &mut Criterion) {
    let queries = query_points(QUERIES, WENZHOU_URBAN);
    let far = query_points(QUERIES, WENZHOU_URBAN);
    let available = StaffFilter {
        available_only: true,
        ..StaffFilter::default()
    };
    // A fixed viewport of 0.05° × 0.02° (≈ 5 km × 2 km): 0.2% of the area,
    // so it returns about N / 500 staff.
    let view = [120.60, 27.95, 120.65, 27.97];
    let mut g = c.benchmark_group("scale");
    g.throughput(Throughput::Elements(1));
    for n in SCALE_SIZES {
        let mut idx = staff_index(n);
        let mut i = 0;
        g.bench_with_input(BenchmarkId::new("nearest5_available", n), &n, |b, _| {
            b.iter(|| {
                i = (i + 1) % queries.len();
                black_box(idx.nearest(queries[i], 5, &available, None))
            });
        });
        // Before the moves, so the count in its id is the seeded one.
        let found = idx.in_bbox(view).len();
        g.bench_with_input(
            BenchmarkId::new(format!("viewport_{found}_staff"), n),
            &n,
            |b, _| b.iter(|| black_box(idx.in_bbox(black_box(view)))),
        );
        let steps = walking_steps(n);
        let mut t = 10;
        g.bench_with_input(BenchmarkId::new("move_walking", n), &n, |b, _| {
            b.iter(|| {
                i = (i + 1) % steps.len();
                t += 1;
                black_box(walk(&mut idx, steps[i], t))
            });
        });
        g.bench_with_input(BenchmarkId::new("move_anywhere", n), &n, |b, _| {
            b.iter(|| {
                i = (i + 1) % steps.len();
                t += 1;
                black_box(idx.apply_fix(steps[i].0, fix_at(far[i], t)))
            });
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = nearest, locate, moves, patrol, fences, viewport, scale, tiles
}
criterion_main!(benches);
