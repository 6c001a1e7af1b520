//! The board against the model restated independently: random cities of
//! rectangular grids, with point, line and rectangle sources and places whose
//! shares are worked out by hand (interval overlap, Liang–Barsky clipping),
//! and random incidents put in one at a time, moved and merged.

use geo::{Coord, LineString, MultiLineString, MultiPolygon, Point, Rect};
use proptest::prelude::*;

use super::*;
use crate::City;
use crate::EngineConfig;
use crate::model::{Area, Footprint, KeyPlace, RiskSource};
use crate::sphere::{LonLat, distance_m};

const X0: f64 = 120.0;
const Y0: f64 = 28.0;
const CELL: f64 = 0.01;
const DAY: i64 = 86_400_000;
const NOW: i64 = 1_800_000_000_000;

#[derive(Debug, Clone)]
enum Geom {
    Point(f64, f64),
    Line(Vec<(f64, f64)>),
    Rects(Vec<[f64; 4]>),
}

fn rect_poly([w, s, e, n]: [f64; 4]) -> geo::Polygon<f64> {
    Rect::new(Coord { x: w, y: s }, Coord { x: e, y: n }).to_polygon()
}

fn footprint(g: &Geom) -> Footprint {
    match g {
        Geom::Point(x, y) => Footprint::Point(Point::new(*x, *y)),
        Geom::Line(pts) => {
            Footprint::Line(MultiLineString::new(vec![LineString::from(pts.clone())]))
        }
        Geom::Rects(rs) => Footprint::Area(MultiPolygon::new(
            rs.iter().copied().map(rect_poly).collect(),
        )),
    }
}

fn grid_code(i: usize, j: usize) -> String {
    format!("1111{i}{j}")
}

fn city(nx: usize, ny: usize) -> Vec<Area> {
    let whole = [X0, Y0, X0 + CELL * nx as f64, Y0 + CELL * ny as f64];
    let area = |code: &str, level, parent: Option<&str>, r: [f64; 4]| Area {
        code: code.into(),
        name: code.into(),
        level,
        parent: parent.map(Into::into),
        geometry: MultiPolygon::new(vec![rect_poly(r)]),
    };
    let mut out = vec![
        area("1", AreaLevel::City, None, whole),
        area("11", AreaLevel::District, Some("1"), whole),
        area("111", AreaLevel::Street, Some("11"), whole),
        area("1111", AreaLevel::Community, Some("111"), whole),
    ];
    for i in 0..nx {
        for j in 0..ny {
            let (w, s) = (X0 + CELL * i as f64, Y0 + CELL * j as f64);
            out.push(area(
                &grid_code(i, j),
                AreaLevel::Grid,
                Some("1111"),
                [w, s, w + CELL, s + CELL],
            ));
        }
    }
    out
}

/// The overlap of two boxes, degrees².
fn overlap(a: [f64; 4], b: [f64; 4]) -> f64 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    w * h
}

/// The part of segment p→q inside box r (Liang–Barsky), if any.
fn clip(p: (f64, f64), q: (f64, f64), r: [f64; 4]) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (pk, qk) in [
        (-dx, p.0 - r[0]),
        (dx, r[2] - p.0),
        (-dy, p.1 - r[1]),
        (dy, r[3] - p.1),
    ] {
        if pk == 0.0 {
            if qk < 0.0 {
                return None;
            }
        } else {
            let t = qk / pk;
            if pk < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    (t0 < t1).then_some({
        (
            (p.0 + t0 * dx, p.1 + t0 * dy),
            (p.0 + t1 * dx, p.1 + t1 * dy),
        )
    })
}

fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    distance_m(LonLat { lon: a.0, lat: a.1 }, LonLat { lon: b.0, lat: b.1 })
}

/// The model, restated: the share of a geometry in one grid box.
fn share_by_hand(g: &Geom, cell: [f64; 4], first_cell_of_point: bool, full_km: f64) -> f64 {
    match g {
        Geom::Point(..) => f64::from(u8::from(first_cell_of_point)),
        Geom::Line(pts) => {
            let total: f64 = pts.windows(2).map(|w| metres(w[0], w[1])).sum();
            let inside: f64 = pts
                .windows(2)
                .filter_map(|w| clip(w[0], w[1], cell))
                .map(|(a, b)| metres(a, b))
                .sum();
            if total <= 0.0 {
                0.0
            } else {
                (inside / total).max(inside / (full_km * 1000.0)).min(1.0)
            }
        }
        Geom::Rects(rs) => {
            let own: f64 = rs.iter().map(|r| (r[2] - r[0]) * (r[3] - r[1])).sum();
            let over: f64 = rs.iter().map(|r| overlap(*r, cell)).sum();
            let cell_area = CELL * CELL;
            (over / own).max(over / cell_area).min(1.0)
        }
    }
}

fn geom(nx: usize, ny: usize) -> impl Strategy<Value = Geom> {
    let (w, h) = (CELL * nx as f64, CELL * ny as f64);
    let x = move || 0.0..w;
    let y = move || 0.0..h;
    prop_oneof![
        (x(), y()).prop_map(|(a, b)| Geom::Point(X0 + a, Y0 + b)),
        prop::collection::vec((x(), y()), 2..5)
            .prop_map(|v| Geom::Line(v.into_iter().map(|(a, b)| (X0 + a, Y0 + b)).collect())),
        // One or two boxes apart from each other (a MultiPolygon's parts do
        // not overlap).
        (x(), y(), 0.001..0.02f64, 0.001..0.02f64, prop::bool::ANY).prop_map(
            move |(a, b, dw, dh, two)| {
                let first = [X0 + a, Y0 + b, X0 + a + dw, Y0 + b + dh];
                let mut rs = vec![first];
                if two {
                    rs.push([
                        first[2] + 0.003,
                        first[1],
                        first[2] + 0.003 + dw / 2.0,
                        first[3],
                    ]);
                }
                Geom::Rects(rs)
            }
        ),
    ]
}

#[derive(Debug, Clone)]
struct Inc {
    grid: (usize, usize),
    priority: usize,
    age_days: f64,
    open: bool,
    overdue: bool,
    camera: bool,
    merge: Option<usize>,
}

fn incidents(nx: usize, ny: usize) -> impl Strategy<Value = Vec<Inc>> {
    prop::collection::vec(
        (
            0..nx,
            0..ny,
            0..3usize,
            0.0..40.0f64,
            prop::bool::ANY,
            prop::bool::weighted(0.3),
            prop::bool::weighted(0.2),
            prop::option::weighted(0.2, 0..30usize),
        )
            .prop_map(
                |(i, j, priority, age_days, open, overdue, camera, merge)| Inc {
                    grid: (i, j),
                    priority,
                    age_days,
                    open,
                    overdue,
                    camera,
                    merge,
                },
            ),
        0..30,
    )
}

const PRIORITIES: [&str; 3] = ["normal", "urgent", "emergency"];

fn signal(k: usize, inc: &Inc) -> IncidentSignal {
    IncidentSignal {
        id: format!("SJ{k:04}"),
        grid: grid_code(inc.grid.0, inc.grid.1),
        category: "c".into(),
        priority: PRIORITIES[inc.priority].into(),
        reported_ms: NOW - (inc.age_days * DAY as f64) as i64,
        open: inc.open,
        overdue: inc.overdue,
        camera: inc.camera,
        // Merged into an earlier one only (as the desk does).
        merged_into: inc.merge.filter(|&m| m < k).map(|m| format!("SJ{m:04}")),
    }
}

fn incident_by_hand(w: &RiskWeights, all: &[Inc], k: usize, cell: (usize, usize)) -> f64 {
    let inc = &all[k];
    let s = signal(k, inc);
    if inc.grid != cell || s.merged_into.is_some() {
        return 0.0;
    }
    let age = inc.age_days;
    if age > w.window_days {
        return 0.0;
    }
    let repeats = (0..all.len())
        .filter(|&j| signal(j, &all[j]).merged_into.as_deref() == Some(s.id.as_str()))
        .count() as f64;
    let f = |on: bool, x: f64| if on { x } else { 1.0 };
    w.incident_priority[PRIORITIES[inc.priority]]
        * 0.5f64.powf((NOW - s.reported_ms) as f64 / DAY as f64 / w.half_life_days)
        * f(inc.open, w.open_factor)
        * f(inc.overdue, w.overdue_factor)
        * f(inc.camera, w.camera_factor)
        * (1.0 + w.repeat_factor * repeats)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn every_grid_scores_what_the_model_says(
        (nx, ny, sources, places, incs, full_km) in (1..5usize, 1..5usize).prop_flat_map(|(nx, ny)| (
            Just(nx), Just(ny),
            prop::collection::vec((geom(nx, ny), 1..=4u8), 0..12),
            prop::collection::vec((geom(nx, ny), 0..3usize), 0..8),
            incidents(nx, ny),
            prop_oneof![Just(1.0), Just(0.3)],
        ))
    ) {
        let weights = RiskWeights { line_full_km: full_km, ..RiskWeights::default() };
        let kinds = ["学校", "出租房", "仓库"];
        let city = City {
            areas: city(nx, ny),
            risk_sources: sources.iter().enumerate().map(|(k, (g, level))| RiskSource {
                id: format!("R{k}"),
                name: String::new(),
                category: "危化品企业".into(),
                level: RiskLevel::try_from(*level).unwrap(),
                footprint: footprint(g),
            }).collect(),
            key_places: places.iter().enumerate().map(|(k, (g, kind))| KeyPlace {
                id: format!("K{k}"),
                name: String::new(),
                category: kinds[*kind].into(),
                footprint: footprint(g),
            }).collect(),
            ..City::default()
        };
        let (engine, _) = Engine::build(EngineConfig::default(), city).unwrap();
        let mut board = RiskBoard::new(weights.clone());
        board.rebuild(&engine);
        // Put in one at a time, then each again moved to the last grid and
        // back, as edits arrive: the board must end where the truth is.
        let tree = engine.areas();
        for (k, inc) in incs.iter().enumerate() {
            board.upsert_incident(tree, signal(k, inc));
        }
        for (k, inc) in incs.iter().enumerate().rev() {
            let moved = Inc { grid: (nx - 1, ny - 1), merge: None, ..inc.clone() };
            board.upsert_incident(tree, signal(k, &moved));
            board.upsert_incident(tree, signal(k, inc));
        }
        // A line's share is a ratio of lengths summed over pieces (haversine
        // per piece); the hand splits a line where it clips it, the engine
        // where its overlay does, and a straight line in degrees is not a
        // great circle, so the ratios part by up to a few in a million over
        // kilometres (1.4e-6 seen: proptest-regressions/risk/tests.txt).
        let tol = |x: f64| 1e-5 * x.abs().max(1.0);
        let mut city_total = 0.0;
        for i in 0..nx {
            for j in 0..ny {
                let (w, s) = (X0 + CELL * i as f64, Y0 + CELL * j as f64);
                let cell = [w, s, w + CELL, s + CELL];
                // A point belongs to the first listed grid it touches: the
                // grids are listed by column, then row.
                let first = |x: f64, y: f64| {
                    let fi = (((x - X0) / CELL).floor() as usize).min(nx - 1);
                    let fj = (((y - Y0) / CELL).floor() as usize).min(ny - 1);
                    (fi, fj) == (i, j)
                };
                let point_first = |g: &Geom| matches!(g, Geom::Point(x, y) if first(*x, *y));
                let sources_by_hand: f64 = sources.iter().map(|(g, level)| {
                    weights.source_points(RiskLevel::try_from(*level).unwrap(), "危化品企业")
                        * share_by_hand(g, cell, point_first(g), full_km)
                }).sum();
                let places_by_hand: f64 = places.iter().map(|(g, kind)| {
                    weights.place_points(kinds[*kind]) * share_by_hand(g, cell, point_first(g), full_km)
                }).sum();
                let incidents_by_hand: f64 = (0..incs.len()).map(|k| incident_by_hand(&weights, &incs, k, (i, j))).sum();
                let idx = tree.idx(&grid_code(i, j)).unwrap();
                let got = board.grid(idx, NOW);
                // The score is its breakdown's to the bit: each part summed
                // in the order the factors are listed.
                let mut listed = Parts::default();
                for f in board.factors(idx, NOW) {
                    *match f.kind {
                        FactorKind::RiskSource => &mut listed.risk_sources,
                        FactorKind::KeyPlace => &mut listed.key_places,
                        FactorKind::Incident => &mut listed.incidents,
                        FactorKind::CameraAlarm => &mut listed.camera_alarms,
                    } += f.points;
                }
                prop_assert_eq!(got.parts, listed);
                prop_assert!((got.parts.risk_sources - sources_by_hand).abs() < tol(sources_by_hand),
                    "grid {i},{j}: sources {} vs {sources_by_hand}", got.parts.risk_sources);
                prop_assert!((got.parts.key_places - places_by_hand).abs() < tol(places_by_hand),
                    "grid {i},{j}: places {} vs {places_by_hand}", got.parts.key_places);
                let inc_got = got.parts.incidents + got.parts.camera_alarms;
                prop_assert!((inc_got - incidents_by_hand).abs() < tol(incidents_by_hand),
                    "grid {i},{j}: incidents {inc_got} vs {incidents_by_hand}");
                let total = sources_by_hand + places_by_hand + incidents_by_hand;
                prop_assert_eq!(got.level, weights.level(got.score));
                prop_assert!((got.score - total).abs() < tol(total));
                city_total += got.score;
            }
        }
        let city = board.rollup(tree, tree.idx("1").unwrap(), NOW);
        prop_assert_eq!(city.grids as usize, nx * ny);
        prop_assert_eq!(city.counts.iter().sum::<u32>() as usize, nx * ny);
        prop_assert!((city.score - city_total).abs() < tol(city_total));
        // The legend's walk: the city from its district, the district as its own walk.
        let (whole, children) = board.rollup_with_children(tree, tree.idx("1").unwrap(), NOW);
        prop_assert_eq!(&children, &vec![board.rollup(tree, tree.idx("11").unwrap(), NOW)]);
        prop_assert_eq!((whole.grids, whole.counts), (city.grids, city.counts));
        prop_assert_eq!(whole.max_score, city.max_score);
        prop_assert!((whole.score - city.score).abs() < tol(city.score));
    }
}

#[test]
fn one_major_source_makes_its_grid_red_and_an_incident_counts_at_once() {
    let city = City {
        areas: city(2, 1),
        risk_sources: vec![RiskSource {
            id: "R1".into(),
            name: "化工厂".into(),
            category: "其他".into(),
            level: RiskLevel::Major,
            footprint: Footprint::Point(Point::new(X0 + 0.005, Y0 + 0.005)),
        }],
        ..City::default()
    };
    let (engine, _) = Engine::build(EngineConfig::default(), city).unwrap();
    let mut board = RiskBoard::new(RiskWeights::default());
    board.rebuild(&engine);
    let tree = engine.areas();
    let (a, b) = (
        tree.idx(&grid_code(0, 0)).unwrap(),
        tree.idx(&grid_code(1, 0)).unwrap(),
    );
    assert_eq!(board.grid(a, NOW).level, RiskLevel::Major);
    assert_eq!(board.grid(b, NOW).level, RiskLevel::Low);
    let urgent = IncidentSignal {
        id: "SJ1".into(),
        grid: grid_code(1, 0),
        category: "c".into(),
        priority: "emergency".into(),
        reported_ms: NOW,
        open: true,
        overdue: false,
        camera: false,
        merged_into: None,
    };
    assert_eq!(board.upsert_incident(tree, urgent.clone()), vec![b]);
    // 12 points × 2 (open) = 24: orange.
    assert_eq!(board.grid(b, NOW).level, RiskLevel::Significant);
    let f = board.factors(b, NOW);
    assert_eq!(
        (f.len(), f[0].kind, f[0].points),
        (1, FactorKind::Incident, 24.0)
    );
    // A week later it weighs half; after the window nothing.
    assert_eq!(board.grid(b, NOW + 7 * DAY).score, 12.0);
    assert!(board.factors(b, NOW + 29 * DAY).is_empty());
    // A repeat merged into it adds half its weight.
    let repeat = IncidentSignal {
        id: "SJ2".into(),
        merged_into: Some("SJ1".into()),
        ..urgent
    };
    assert_eq!(board.upsert_incident(tree, repeat), vec![b]);
    assert_eq!(board.grid(b, NOW).score, 36.0);
}
