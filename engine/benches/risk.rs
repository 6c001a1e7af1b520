//! The risk model's cost (docs/PERFORMANCE.md, "Grid risk"):
//!
//! `cargo bench -p riskmap-engine --bench risk`
//!
//! A seeded city of 50,000 grids (a jittered 250 × 200 lattice of 0.003°,
//! about 300 m a side), 5,000 risk sources (a tenth polygons of a few
//! grids, a twentieth pipelines of a kilometre or two, the rest points),
//! 10,000 key places and 20,000 incidents of the last five weeks.
//! `rebuild_50k_grids` places every source and place (what an import
//! costs), `refresh_incidents` puts every incident in again and reads
//! every grid (the 10-minute pass), `rollup_city_and_districts` sums the
//! city's grids up and each district's (the risk legend at city level),
//! `incident_change` moves one incident and reads its two grids (what a
//! report costs).

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use geo::{LineString, MultiLineString, Point};
use rand::RngExt;
use riskmap_engine::model::{Footprint, KeyPlace, RiskLevel, RiskSource};
use riskmap_engine::risk::{IncidentSignal, RiskBoard, RiskWeights};
use riskmap_engine::sphere::LonLat;
use riskmap_engine::{City, Engine, EngineConfig};
use support::{lattice_city, point_in, rect, rng};

const NX: usize = 250;
const NY: usize = 200;
const STEP: f64 = 0.003;
const NOW: i64 = 1_800_000_000_000;

fn city() -> (Engine, Vec<IncidentSignal>) {
    let mut r = rng(11);
    let origin = LonLat::new(120.40, 27.70).expect("in range");
    let bbox = [
        120.40,
        27.70,
        120.40 + NX as f64 * STEP,
        27.70 + NY as f64 * STEP,
    ];
    let areas = lattice_city(&mut r, origin, NX, NY, STEP, 0.0);
    let risk_sources = (0..5_000)
        .map(|i| {
            let p = point_in(&mut r, [bbox[0], bbox[1], bbox[2] - 0.02, bbox[3] - 0.02]);
            let footprint = match i % 20 {
                0 | 1 => {
                    let w = r.random_range(0.002..0.01);
                    Footprint::Area(rect(p.lon, p.lat, p.lon + w, p.lat + w * 0.8))
                }
                2 => Footprint::Line(MultiLineString::new(vec![LineString::from(vec![
                    (p.lon, p.lat),
                    (p.lon + 0.008, p.lat + 0.003),
                    (p.lon + 0.015, p.lat + 0.001),
                ])])),
                _ => Footprint::Point(Point::new(p.lon, p.lat)),
            };
            RiskSource {
                id: format!("R{i}"),
                name: String::new(),
                category: "危化品企业".into(),
                level: RiskLevel::try_from(1 + (i % 4) as u8).expect("1 to 4"),
                footprint,
            }
        })
        .collect();
    let key_places = (0..10_000)
        .map(|i| {
            let p = point_in(&mut r, bbox);
            KeyPlace {
                id: format!("K{i}"),
                name: String::new(),
                category: ["学校", "医院", "出租房", "仓库"][i % 4].into(),
                footprint: Footprint::Point(Point::new(p.lon, p.lat)),
            }
        })
        .collect();
    let city = City {
        areas,
        risk_sources,
        key_places,
        ..City::default()
    };
    let (engine, _) = Engine::build(EngineConfig::default(), city).expect("valid city");
    let incidents = (0..20_000)
        .map(|i| IncidentSignal {
            id: format!("SJ{i}"),
            grid: format!("g{}_{}", r.random_range(0..NX), r.random_range(0..NY)),
            category: "0101".into(),
            priority: ["normal", "urgent", "emergency"][i % 3].into(),
            reported_ms: NOW - r.random_range(0..35 * 86_400_000),
            open: i % 3 == 0,
            overdue: i % 7 == 0,
            camera: i % 10 == 0,
            merged_into: (i % 25 == 1).then(|| format!("SJ{}", i - 1)),
        })
        .collect();
    (engine, incidents)
}

fn risk(c: &mut Criterion) {
    let (engine, incidents) = city();
    let tree = engine.areas();
    let mut g = c.benchmark_group("risk");
    g.sample_size(10);
    g.bench_function("rebuild_50k_grids", |b| {
        b.iter(|| {
            let mut board = RiskBoard::new(RiskWeights::default());
            board.rebuild(&engine);
            black_box(board)
        });
    });
    let mut board = RiskBoard::new(RiskWeights::default());
    board.rebuild(&engine);
    g.bench_function("refresh_incidents_20k_and_read_50k_grids", |b| {
        b.iter(|| {
            board.set_incidents(tree, incidents.iter().cloned());
            let red = tree
                .iter()
                .filter(|&(i, _)| board.grid(i, NOW).level == RiskLevel::Major)
                .count();
            black_box(red)
        });
    });
    let city = tree.idx("c").expect("the city");
    g.bench_function("rollup_city_and_districts_50k_grids", |b| {
        // What the risk legend asks at city level (GET /api/risk/areas/{city}):
        // the city summed up, and each of its children.
        b.iter(|| black_box(board.rollup_with_children(tree, city, NOW)));
    });
    g.finish();
    let mut g = c.benchmark_group("risk");
    let mut k = 0;
    g.bench_function("incident_change", |b| {
        b.iter(|| {
            k = (k + 1) % incidents.len();
            let mut s = incidents[k].clone();
            s.grid = format!("g{}_{}", k % NX, k % NY);
            let touched = board.upsert_incident(tree, s);
            let scores: f64 = touched.iter().map(|&t| board.grid(t, NOW).score).sum();
            black_box(scores)
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = risk
}
criterion_main!(benches);
