//! Property tests: every engine query against a brute-force oracle on random
//! data, including ties, points on grid edges, points outside every grid,
//! high latitudes and the antimeridian.
// A failed unwrap is a failed test, with the panic message to show why.
#![allow(clippy::unwrap_used)]

mod support;

use geo::Intersects;
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use riskmap_engine::areas::LocatorOrigin;
use riskmap_engine::model::{AreaLevel, Camera, DutyStatus, Skill};
use riskmap_engine::sphere::{self, LonLat};
use riskmap_engine::{AreaTree, Layer, StaffFilter, StaffIndex, cameras};
use support::{fix_at, lattice_city, random_staff};

/// A point near `centre`, within `spread` degrees, kept in range; longitudes
/// wrap across the antimeridian.
fn near(rng: &mut ChaCha8Rng, centre: LonLat, spread: f64) -> LonLat {
    let mut lon = centre.lon + rng.random_range(-spread..=spread);
    if lon > 180.0 {
        lon -= 360.0;
    }
    if lon < -180.0 {
        lon += 360.0;
    }
    let lat = (centre.lat + rng.random_range(-spread..=spread)).clamp(-85.0, 85.0);
    LonLat::new(lon, lat).unwrap()
}

fn random_filter(rng: &mut ChaCha8Rng) -> StaffFilter {
    StaffFilter {
        available_only: rng.random_bool(0.5),
        roles: if rng.random_bool(0.5) {
            0
        } else {
            rng.random_range(1..32)
        },
        skills: if rng.random_bool(0.6) {
            0
        } else {
            Skill::ALL[rng.random_range(0..Skill::ALL.len())].bit()
        },
    }
}

/// Brute force: every positioned member passing the filter and `keep`
/// within `max_m`, by (squared chord, index), the first k.
fn oracle_nearest(
    idx: &StaffIndex,
    q: LonLat,
    k: usize,
    f: StaffFilter,
    max_m: Option<f64>,
    keep: impl Fn(u32) -> bool,
) -> Vec<(u32, f64)> {
    let qv = q.unit_vector();
    let limit2 = max_m.map_or(f64::INFINITY, sphere::m_to_chord2);
    let mut all: Vec<(f64, u32)> = idx
        .iter()
        .filter(|&(i, m)| f.accepts_member(m) && keep(i))
        .filter_map(|(i, m)| Some((sphere::chord2(&qv, &m.fix?.position.unit_vector()), i)))
        .filter(|&(d2, _)| d2 <= limit2)
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    all.truncate(k);
    all.into_iter()
        .map(|(d2, i)| (i, sphere::chord2_to_m(d2)))
        .collect()
}

fn check_nearest(idx: &StaffIndex, q: LonLat, k: usize, f: StaffFilter, max_m: Option<f64>) {
    let got: Vec<(u32, f64)> = idx
        .nearest(q, k, &f, max_m)
        .unwrap()
        .into_iter()
        .map(|n| (n.idx, n.distance_m))
        .collect();
    let want = oracle_nearest(idx, q, k, f, max_m, |_| true);
    assert_eq!(got, want, "query {q:?} k={k} filter={f:?} max_m={max_m:?}");
    // With a scope-like test on top (a third of the members out of scope).
    let keep = |i: u32| i % 3 != 1;
    let got: Vec<(u32, f64)> = idx
        .nearest_where(q, k, &f, max_m, keep)
        .unwrap()
        .into_iter()
        .map(|n| (n.idx, n.distance_m))
        .collect();
    let want = oracle_nearest(idx, q, k, f, max_m, keep);
    assert_eq!(
        got, want,
        "where: query {q:?} k={k} filter={f:?} max_m={max_m:?}"
    );
}

/// Radius query against brute force.
fn check_within(idx: &StaffIndex, q: LonLat, r: f64, f: StaffFilter) {
    let got: Vec<u32> = idx
        .within(q, r, &f)
        .unwrap()
        .into_iter()
        .map(|n| n.idx)
        .collect();
    let limit2 = sphere::m_to_chord2(r);
    let mut want: Vec<(f64, u32)> = idx
        .iter()
        .filter(|(_, m)| f.accepts_member(m))
        .filter_map(|(i, m)| {
            Some((
                sphere::chord2(&q.unit_vector(), &m.fix?.position.unit_vector()),
                i,
            ))
        })
        .filter(|&(d2, _)| d2 <= limit2)
        .collect();
    want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let want: Vec<u32> = want.into_iter().map(|w| w.1).collect();
    assert_eq!(got, want, "within {r} m of {q:?} filter={f:?}");
}

/// Box query against brute force (`west > east` crosses the antimeridian).
fn check_bbox(idx: &StaffIndex, bbox: [f64; 4]) {
    let mut got = idx.in_bbox(bbox);
    got.sort_unstable();
    let want: Vec<u32> = idx
        .iter()
        .filter(|(_, m)| {
            let Some(f) = m.fix else { return false };
            let p = f.position;
            let lon_ok = if bbox[0] <= bbox[2] {
                p.lon >= bbox[0] && p.lon <= bbox[2]
            } else {
                p.lon >= bbox[0] || p.lon <= bbox[2]
            };
            lon_ok && p.lat >= bbox[1] && p.lat <= bbox[3]
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(got, want, "box {bbox:?}");
}

/// A stand-in for the grid locator: any function of the position will do,
/// as long as a remembered grid that outlived a move would show.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn fake_grid(p: LonLat) -> Option<u32> {
    (p.lat > -80.0).then_some(((p.lon + 180.0) * 1e4 + (p.lat + 90.0) * 1e8) as u32 % 1_000_000)
}

/// Every member's remembered grid is that of their current fix.
fn check_grids(idx: &StaffIndex, locate: impl Fn(LonLat) -> Option<u32>) {
    for (i, m) in idx.iter() {
        assert_eq!(
            m.grid(&locate),
            m.fix.and_then(|f| locate(f.position)),
            "member {i}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// k-nearest is exact in metres, with filters, limits, ties, moves and
    /// removals, anywhere on the globe within the latitude limit.
    #[test]
    fn nearest_staff_matches_brute_force(
        seed in any::<u64>(),
        n in 0usize..400,
        cell_deg in prop::sample::select(vec![0.000_5, 0.002, 0.005, 0.007, 0.05, 0.5]),
        centre_lon in -180.0f64..=180.0,
        centre_lat in -84.0f64..=84.0,
        spread in prop::sample::select(vec![0.001, 0.02, 0.3, 3.0]),
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let centre = LonLat::new(centre_lon, centre_lat).unwrap();
        let mut idx = StaffIndex::new(cell_deg);
        let mut spots: Vec<LonLat> = Vec::new();
        for i in 0..n {
            // A quarter of the staff stand exactly where someone else stands: ties.
            let p = if !spots.is_empty() && rng.random_bool(0.25) {
                spots[rng.random_range(0..spots.len())]
            } else {
                near(&mut rng, centre, spread)
            };
            spots.push(p);
            let pos = (!rng.random_bool(0.05)).then_some(p);
            idx.upsert(&random_staff(&mut rng, i, "g", pos, 0.4), None).unwrap();
        }
        for _ in 0..6 {
            let q = if rng.random_bool(0.2) && !spots.is_empty() {
                spots[rng.random_range(0..spots.len())]
            } else {
                near(&mut rng, centre, spread * 2.0)
            };
            let k = rng.random_range(0..12);
            let max_m = rng.random_bool(0.3).then(|| rng.random_range(0.0..50_000.0));
            check_nearest(&idx, q, k, random_filter(&mut rng), max_m);
        }
        // A query far from everyone takes the fallback path.
        check_nearest(&idx, near(&mut rng, LonLat::new(-centre_lon / 2.0, -centre_lat).unwrap(), 1.0), 3, StaffFilter::default(), None);

        // Moves (newer fixes), stale fixes, duty changes and removals keep the index exact.
        check_grids(&idx, fake_grid);
        let ids: Vec<u32> = idx.iter().map(|(i, _)| i).collect();
        for (step, &i) in ids.iter().enumerate() {
            match rng.random_range(0..4) {
                0 => { idx.apply_fix(i, fix_at(near(&mut rng, centre, spread), 2 + step as i64)).unwrap(); }
                1 => {
                    let before = idx.position(i);
                    let outcome = idx.apply_fix(i, fix_at(near(&mut rng, centre, spread), 0)).unwrap();
                    if before.is_some() {
                        prop_assert_eq!(outcome, riskmap_engine::MoveOutcome::Stale);
                        prop_assert_eq!(idx.position(i), before);
                    }
                }
                2 => { idx.set_duty(i, DutyStatus::Available).unwrap(); }
                _ => {
                    let id = idx.get(i).unwrap().id.to_string();
                    prop_assert!(idx.remove(&id));
                    prop_assert!(idx.find(&id).is_none());
                }
            }
        }
        for _ in 0..6 {
            let q = near(&mut rng, centre, spread * 2.0);
            check_nearest(&idx, q, rng.random_range(1..8), random_filter(&mut rng), None);
        }
        // Remembered grids followed the moves, and a new area tree drops them.
        check_grids(&idx, fake_grid);
        idx.rehome(|_| None);
        check_grids(&idx, |p| fake_grid(p).map(|g| g + 1));
        // Every remaining device still finds its owner.
        for (i, m) in idx.iter() {
            prop_assert_eq!(idx.find_device(&m.devices[0]), Some(i));
            prop_assert_eq!(idx.find(&m.id), Some(i));
        }
    }

    /// Radius and box queries over staff match brute force.
    #[test]
    fn staff_within_and_bbox_match_brute_force(
        seed in any::<u64>(),
        n in 1usize..300,
        centre_lon in -180.0f64..=180.0,
        centre_lat in -80.0f64..=80.0,
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let centre = LonLat::new(centre_lon, centre_lat).unwrap();
        let mut idx = StaffIndex::new(0.01);
        for i in 0..n {
            let p = near(&mut rng, centre, 0.2);
            idx.upsert(&random_staff(&mut rng, i, "g", Some(p), 0.4), None).unwrap();
        }
        let q = near(&mut rng, centre, 0.2);
        check_within(&idx, q, rng.random_range(0.0..30_000.0), random_filter(&mut rng));
        let a = near(&mut rng, centre, 0.2);
        let b = near(&mut rng, centre, 0.2);
        check_bbox(&idx, [a.lon, a.lat.min(b.lat), b.lon, a.lat.max(b.lat)]);
    }

    /// An index that grows from a few members to many re-sizes its buckets
    /// (finer as a crowd gathers, coarser as staff scatter or leave), and
    /// every answer on the way matches brute force.
    #[test]
    fn staff_index_resizing_its_buckets_matches_brute_force(
        seed in any::<u64>(),
        n in 200usize..1_500,
        start_deg in prop::sample::select(vec![0.000_5, 0.005, 0.5]),
        centre_lon in -180.0f64..=180.0,
        centre_lat in -80.0f64..=80.0,
        spread in prop::sample::select(vec![0.002, 0.05, 2.0]),
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let centre = LonLat::new(centre_lon, centre_lat).unwrap();
        let mut idx = StaffIndex::new(start_deg);
        let mut sizes = vec![idx.cell_deg()];
        let check = |idx: &StaffIndex, rng: &mut ChaCha8Rng, spread: f64| {
            for _ in 0..3 {
                let q = near(rng, centre, spread * 1.5);
                check_nearest(idx, q, rng.random_range(1..10), random_filter(rng), None);
            }
            let q = near(rng, centre, spread);
            check_within(idx, q, spread * rng.random_range(0.0..50_000.0), random_filter(rng));
        };
        for i in 0..n {
            let p = near(&mut rng, centre, spread);
            idx.upsert(&random_staff(&mut rng, i, "g", Some(p), 0.4), None).unwrap();
            if i.is_power_of_two() {
                check(&idx, &mut rng, spread);
                sizes.push(idx.cell_deg());
            }
        }
        check(&idx, &mut rng, spread);
        // Hundreds of staff within 0.002° (~200 m) cannot share 0.5° buckets,
        // nor scattered over 4° share 0.0005° ones: the index re-sized.
        if (start_deg > 0.1 && spread < 0.01) || (start_deg < 0.001 && spread > 1.0) {
            prop_assert!((idx.cell_deg() / start_deg - 1.0).abs() > 0.2, "sizes {:?}", sizes);
        }
        // Everyone walks to one spot (moves alone change the density)...
        let spot = near(&mut rng, centre, spread);
        let ids: Vec<u32> = idx.iter().map(|(i, _)| i).collect();
        for (t, &i) in ids.iter().enumerate() {
            idx.apply_fix(i, fix_at(near(&mut rng, spot, 0.000_3), 10 + t as i64)).unwrap();
            if t % 97 == 0 {
                check(&idx, &mut rng, spread);
            }
        }
        check_nearest(&idx, spot, 7, StaffFilter::default(), None);
        // ... then scatters, and most of them leave.
        for (t, &i) in ids.iter().enumerate() {
            idx.apply_fix(i, fix_at(near(&mut rng, centre, 3.0), 10_000 + t as i64)).unwrap();
            if t % 5 != 0 {
                let id = idx.get(i).unwrap().id.to_string();
                prop_assert!(idx.remove(&id));
            }
            if t % 89 == 0 {
                check(&idx, &mut rng, 3.0);
            }
        }
        check(&idx, &mut rng, 3.0);
        let a = near(&mut rng, centre, 3.0);
        let b = near(&mut rng, centre, 3.0);
        check_bbox(&idx, [a.lon, a.lat.min(b.lat), b.lon, a.lat.max(b.lat)]);
        for (i, m) in idx.iter() {
            prop_assert_eq!(idx.find(&m.id), Some(i));
        }
    }

    /// Very uneven density: a crowd in a few hundred metres and staff
    /// scattered over degrees around it share one bucket size; nearest,
    /// radius and box queries in the crowd, among the scattered and far
    /// from everyone match brute force.
    #[test]
    fn staff_index_with_uneven_density_matches_brute_force(
        seed in any::<u64>(),
        crowd in 100usize..2_000,
        scattered in 1usize..200,
        centre_lon in -180.0f64..=180.0,
        centre_lat in -80.0f64..=80.0,
        batch in 1usize..700,
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let centre = LonLat::new(centre_lon, centre_lat).unwrap();
        let members: Vec<_> = (0..crowd + scattered).map(|i| {
            let p = if i % 10 == 0 && scattered > 0 && i / 10 < scattered {
                near(&mut rng, centre, 2.0)
            } else {
                near(&mut rng, centre, 0.003)
            };
            random_staff(&mut rng, i, "g", Some(p), 0.4)
        }).collect();
        let homes = vec![0; members.len()];
        let built = StaffIndex::build(riskmap_engine::staff::DEFAULT_CELL_DEG, &members, &homes).unwrap();
        // The same roster fed in batches, as a server start reads it.
        let mut fed = StaffIndex::new(riskmap_engine::staff::DEFAULT_CELL_DEG);
        fed.reserve_exact(members.len());
        for part in members.chunks(batch) {
            fed.load_batch(part, |_| Some(0)).unwrap();
        }
        fed.end_load();
        prop_assert_eq!(fed.len(), built.len());
        for idx in [&built, &fed] {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
            for spread in [0.003, 0.5, 2.5] {
                for _ in 0..3 {
                    let q = near(&mut rng, centre, spread);
                    check_nearest(idx, q, rng.random_range(1..12), random_filter(&mut rng), None);
                    let max_m = rng.random_range(0.0..100_000.0);
                    check_nearest(idx, q, 5, StaffFilter::default(), Some(max_m));
                    check_within(idx, q, spread * rng.random_range(0.0..100_000.0), random_filter(&mut rng));
                }
                let a = near(&mut rng, centre, spread);
                let b = near(&mut rng, centre, spread);
                check_bbox(idx, [a.lon, a.lat.min(b.lat), b.lon, a.lat.max(b.lat)]);
            }
            let far = near(&mut rng, LonLat::new(-centre_lon / 2.0, -centre_lat).unwrap(), 1.0);
            check_nearest(idx, far, 3, StaffFilter::default(), None);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Point → grid through H3 equals the first grid (in tree order) whose
    /// polygon contains the point, edges included.
    #[test]
    fn grid_lookup_matches_brute_force(
        seed in any::<u64>(),
        nx in 1usize..9,
        ny in 1usize..9,
        step in prop::sample::select(vec![0.001, 0.004, 0.02]),
        res in prop::sample::select(vec![8u8, 9, 10, 11]),
        lon0 in 100.0f64..140.0,
        lat0 in 10.0f64..50.0,
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let origin = LonLat::new(lon0, lat0).unwrap();
        let areas = lattice_city(&mut rng, origin, nx, ny, step, 0.1);
        let resolution = h3o::Resolution::try_from(res).unwrap();
        let tree = AreaTree::build(areas.clone(), resolution).unwrap();
        // The same tree with its locator taken from the first one's image.
        let image = tree.locator_image();
        let (again, from) = AreaTree::build_from_image(areas, resolution, Some(&image)).unwrap();
        prop_assert_eq!(from, LocatorOrigin::Image);
        let grids: Vec<u32> = tree.iter().filter(|(_, a)| a.level == AreaLevel::Grid).map(|(i, _)| i).collect();
        let oracle = |p: LonLat| grids.iter().copied().find(|&g| tree.get(g).geometry.intersects(&p.point()));
        let mut probes: Vec<LonLat> = (0..200).map(|_| LonLat::new(
            lon0 + rng.random_range(-0.2..nx as f64 + 0.2) * step,
            lat0 + rng.random_range(-0.2..ny as f64 + 0.2) * step,
        ).unwrap()).collect();
        // Vertices and edge midpoints: points on grid boundaries.
        for &g in &grids {
            let ring = tree.get(g).geometry.0[0].exterior().clone();
            for l in ring.lines() {
                probes.push(LonLat::new(l.start.x, l.start.y).unwrap());
                probes.push(LonLat::new(f64::midpoint(l.start.x, l.end.x), f64::midpoint(l.start.y, l.end.y)).unwrap());
            }
        }
        probes.push(LonLat::new(lon0 - 1.0, lat0).unwrap());
        for p in probes {
            prop_assert_eq!(tree.grid_at(p), oracle(p), "at {:?}", p);
            prop_assert_eq!(again.grid_at(p), oracle(p), "from the image, at {:?}", p);
        }
    }

    /// Radius queries on a static layer and "who sees this point" match brute force.
    #[test]
    fn layer_and_camera_queries_match_brute_force(
        seed in any::<u64>(),
        n in 0usize..300,
        centre_lon in -180.0f64..=180.0,
        centre_lat in -84.0f64..=84.0,
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let centre = LonLat::new(centre_lon, centre_lat).unwrap();
        let cams: Vec<Camera> = (0..n).map(|i| {
            let dome = rng.random_bool(0.3);
            Camera {
                id: format!("C{i}"),
                name: String::new(),
                heading_deg: (!dome).then(|| rng.random_range(0.0..360.0)),
                fov_deg: (!dome).then(|| rng.random_range(10.0..180.0)),
                range_m: rng.random_range(10.0..500.0),
                stream_url: None,
                online: true,
                owner: String::new(),
                location: near(&mut rng, centre, 0.01),
            }
        }).collect();
        let max_range = cams.iter().map(|c| c.range_m).fold(0.0, f64::max);
        let layer = Layer::build(cams.clone()).unwrap();
        for _ in 0..5 {
            let q = near(&mut rng, centre, 0.012);
            let r = rng.random_range(0.0..2_000.0);
            let got: Vec<u32> = layer.within(q, r).unwrap().into_iter().map(|x| x.0).collect();
            let mut want: Vec<(f64, u32)> = cams.iter().enumerate()
                .map(|(i, c)| (sphere::distance_m(q, c.location), i as u32))
                .filter(|&(d, _)| d <= r).collect();
            want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            prop_assert_eq!(got, want.into_iter().map(|w| w.1).collect::<Vec<_>>());

            let got: Vec<u32> = cameras::seeing(&layer, q, max_range).unwrap().into_iter().map(|x| x.0).collect();
            let mut want: Vec<(f64, u32)> = cams.iter().enumerate()
                .filter_map(|(i, c)| Some((cameras::sees(c, q)?, i as u32))).collect();
            want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            prop_assert_eq!(got, want.into_iter().map(|w| w.1).collect::<Vec<_>>());
        }
    }
}

#[test]
fn out_of_range_queries_are_refused() {
    let idx = StaffIndex::default();
    assert!(LonLat::new(0.0, 89.0).is_err());
    let bad = LonLat {
        lon: 0.0,
        lat: 89.0,
    };
    assert!(idx.nearest(bad, 5, &StaffFilter::default(), None).is_err());
    let ok = LonLat::new(120.0, 28.0).unwrap();
    assert!(
        idx.nearest(ok, 5, &StaffFilter::default(), Some(f64::NAN))
            .is_err()
    );
    assert!(
        idx.nearest(ok, 5_000, &StaffFilter::default(), None)
            .is_err()
    );
}

/// A marker pinned by a fix from the future (a wrong clock, or someone who
/// wanted it to stay put) is freed by the next real fix; a fix that is only
/// older than the live one is still stale.
#[test]
fn a_marker_pinned_from_the_future_recovers() {
    use riskmap_engine::MoveOutcome;
    use riskmap_engine::model::FUTURE_TOLERANCE_MS;
    let now = 1_767_225_600_000;
    let here = LonLat::new(120.66, 28.0).unwrap();
    let there = LonLat::new(120.67, 28.01).unwrap();
    let mut idx = StaffIndex::new(0.01);
    let mut s = random_staff(&mut support::rng(7), 1, "g", None, 1.0);
    s.last_fix = Some(riskmap_engine::model::Fix {
        fix_time_ms: now + 30 * 86_400_000,
        ..fix_at(here, now)
    });
    let i = idx.upsert(&s, None).unwrap();
    let real = riskmap_engine::model::Fix {
        server_time_ms: now + 1_000,
        ..fix_at(there, now + 1_000)
    };
    assert_eq!(idx.apply_fix(i, real).unwrap(), MoveOutcome::Applied);
    assert_eq!(idx.position(i), Some(there));
    // Within the tolerance a fix ahead of the clock is a fix like any other.
    let ahead = riskmap_engine::model::Fix {
        fix_time_ms: now + FUTURE_TOLERANCE_MS,
        server_time_ms: now + 2_000,
        ..fix_at(here, 0)
    };
    assert_eq!(idx.apply_fix(i, ahead).unwrap(), MoveOutcome::Applied);
    let older = riskmap_engine::model::Fix {
        server_time_ms: now + 3_000,
        ..fix_at(there, now + 2_000)
    };
    assert_eq!(idx.apply_fix(i, older).unwrap(), MoveOutcome::Stale);
    assert_eq!(idx.position(i), Some(here));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The dispatch question as the engine answers it (a grid's own staff
    /// first, then everyone nearest; only those fixed recently enough; a
    /// scope) matches brute force over every member.
    #[test]
    fn dispatch_with_freshness_and_own_grid_first_matches_brute_force(
        seed in any::<u64>(),
        n in 0usize..300,
        nx in 1usize..6,
        ny in 1usize..6,
        lon0 in 100.0f64..130.0,
        lat0 in 20.0f64..45.0,
    ) {
        use riskmap_engine::{Engine, EngineConfig, NearestQuery, city::City};
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let origin = LonLat::new(lon0, lat0).unwrap();
        let step = 0.01;
        let areas = lattice_city(&mut rng, origin, nx, ny, step, 0.1);
        let grid_codes: Vec<String> = areas.iter().filter(|a| a.level == AreaLevel::Grid).map(|a| a.code.clone()).collect();
        // A 1×1 lattice can lose its only grid (cells are dropped at random):
        // staff need a home grid.
        prop_assume!(!grid_codes.is_empty());
        let centre = LonLat::new(lon0 + nx as f64 * step / 2.0, lat0 + ny as f64 * step / 2.0).unwrap();
        let spread = step * (nx.max(ny) as f64);
        let staff: Vec<_> = (0..n).map(|i| {
            let home = &grid_codes[rng.random_range(0..grid_codes.len())];
            let pos = (!rng.random_bool(0.05)).then(|| near(&mut rng, centre, spread));
            let mut s = random_staff(&mut rng, i, home, pos, 0.5);
            if let Some(f) = &mut s.last_fix {
                f.fix_time_ms = rng.random_range(0..1_000);
            }
            s
        }).collect();
        let city = City { areas, staff, ..City::default() };
        let (engine, _) = Engine::build(EngineConfig::default(), city).unwrap();
        for _ in 0..8 {
            let point = near(&mut rng, centre, spread);
            let q = NearestQuery {
                point,
                k: rng.random_range(1..10),
                filter: random_filter(&mut rng),
                max_m: rng.random_bool(0.3).then(|| rng.random_range(0.0..3_000.0)),
                same_grid_first: rng.random_bool(0.5),
                fixed_since: rng.random_bool(0.7).then(|| rng.random_range(0..1_100)),
            };
            // A scope: a third of the grids out of sight.
            let visible = |home: Option<u32>| home.is_some_and(|h| h % 3 != 1);
            let got: Vec<(u32, f64, bool)> = engine
                .nearest_staff_where(&q, visible)
                .unwrap()
                .into_iter()
                .map(|c| (c.idx, c.distance_m, c.same_grid))
                .collect();

            let here = point.unit_vector();
            // (Ordered by chord, as the index is: metres are a monotonic
            // function of it that rounding could make tie.)
            let mut eligible: Vec<(f64, u32, Option<u32>, f64)> = engine.staff().iter().filter_map(|(i, m)| {
                let f = m.fix?;
                let c2 = sphere::chord2(&here, &f.position.unit_vector());
                let d = sphere::chord2_to_m(c2);
                (q.filter.accepts_member(m)
                    && q.fixed_since.is_none_or(|t| f.fix_time_ms >= t)
                    && visible(m.home)
                    && q.max_m.is_none_or(|max| d <= max))
                    .then_some((d, i, m.home, c2))
            }).collect();
            eligible.sort_by(|a, b| a.3.total_cmp(&b.3).then(a.1.cmp(&b.1)));
            let own_grid = q.same_grid_first.then(|| engine.areas().grid_at(point)).flatten();
            let mut want: Vec<(u32, f64, bool)> = eligible.iter()
                .filter(|e| own_grid.is_some() && e.2 == own_grid)
                .take(q.k)
                .map(|e| (e.1, e.0, true))
                .collect();
            let taken: Vec<u32> = want.iter().map(|w| w.0).collect();
            let rest = q.k - want.len();
            want.extend(eligible.iter().filter(|e| !taken.contains(&e.1)).take(rest).map(|e| (e.1, e.0, false)));
            prop_assert_eq!(got.len(), want.len(), "{:?}", q);
            for (g, w) in got.iter().zip(&want) {
                prop_assert_eq!((g.0, g.2), (w.0, w.2), "{:?}", q);
                prop_assert!((g.1 - w.1).abs() < 1e-6, "{:?}: {} vs {}", q, g.1, w.1);
            }
        }
    }
}

/// A probe's finding flips a camera's `online` where it stands: the same
/// camera, still found where it is, the others untouched; an unknown id is
/// nothing to flip.
#[test]
fn a_camera_set_offline_stays_where_it_is() {
    use riskmap_engine::{City, Engine, EngineConfig};
    let mut rng = support::rng(11);
    let centre = LonLat::new(120.66, 28.0).unwrap();
    let cams: Vec<Camera> = (0..50)
        .map(|i| Camera {
            id: format!("C{i}"),
            name: format!("球机{i}"),
            heading_deg: None,
            fov_deg: None,
            range_m: 80.0,
            stream_url: Some(format!("http://gw.example/live/C{i}.m3u8")),
            online: true,
            owner: "公安".into(),
            location: near(&mut rng, centre, 0.01),
        })
        .collect();
    let city = City {
        cameras: cams.clone(),
        ..City::default()
    };
    let (mut e, _) = Engine::build(EngineConfig::default(), city).unwrap();
    let before = e.cameras().find("C7").unwrap();
    assert_eq!(e.set_camera_online("C7", false), Some(before));
    assert_eq!(e.set_camera_online("C404", false), None);
    let c7 = e.cameras().get(before).unwrap();
    assert!(!c7.online);
    assert_eq!(c7.location, cams[7].location);
    let around: Vec<u32> = e
        .cameras()
        .within(cams[7].location, 1.0)
        .unwrap()
        .into_iter()
        .map(|x| x.0)
        .collect();
    assert!(around.contains(&before), "{around:?}");
    let offline: Vec<&str> = e
        .cameras()
        .iter()
        .filter(|(_, c)| !c.online)
        .map(|(_, c)| c.id.as_str())
        .collect();
    assert_eq!(offline, ["C7"]);
    assert_eq!(e.set_camera_online("C7", true), Some(before));
    assert!(e.cameras().get(before).unwrap().online);
}
