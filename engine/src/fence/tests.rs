use std::sync::atomic::{AtomicUsize, Ordering};

use geo::{LineString, MultiLineString, Polygon, polygon};
use proptest::prelude::*;

use super::*;

/// About 98 km a degree of longitude at 28°N, 111 km of latitude.
fn east_north(e_m: f64, n_m: f64) -> LonLat {
    LonLat {
        lon: 120.0 + e_m / (M_PER_DEG * 28f64.to_radians().cos()),
        lat: 28.0 + n_m / M_PER_DEG,
    }
}

fn square(e_m: f64, n_m: f64, side_m: f64) -> Polygon<f64> {
    let a = east_north(e_m, n_m);
    let b = east_north(e_m + side_m, n_m + side_m);
    polygon![
        (x: a.lon, y: a.lat),
        (x: b.lon, y: a.lat),
        (x: b.lon, y: b.lat),
        (x: a.lon, y: b.lat),
    ]
}

fn point_buffer(e_m: f64, n_m: f64, radius_m: f64) -> Zone {
    let c = east_north(e_m, n_m);
    Zone::Buffer {
        footprint: Footprint::Point(Point::new(c.lon, c.lat)),
        radius_m,
    }
}

#[test]
fn a_buffer_reaches_as_far_as_its_radius() {
    let set = FenceSet::new(vec![
        (1, point_buffer(0.0, 0.0, 120.0)),
        (
            2,
            Zone::Buffer {
                footprint: Footprint::Line(MultiLineString::new(vec![LineString::from(vec![
                    (east_north(0.0, 1000.0).lon, east_north(0.0, 1000.0).lat),
                    (east_north(500.0, 1000.0).lon, east_north(500.0, 1000.0).lat),
                ])])),
                radius_m: 50.0,
            },
        ),
        (
            3,
            Zone::Buffer {
                footprint: Footprint::Area(MultiPolygon::new(vec![square(2000.0, 0.0, 100.0)])),
                radius_m: 30.0,
            },
        ),
    ])
    .expect("valid zones");
    let mut out = Vec::new();
    for (e, n, want) in [
        (100.0, 0.0, vec![1]),
        (0.0, -119.0, vec![1]),
        (84.0, 84.0, vec![1]), // 118.8 m away
        (130.0, 0.0, vec![]),
        (250.0, 1045.0, vec![2]),
        (250.0, 1055.0, vec![]),
        (540.0, 1000.0, vec![2]),
        (560.0, 1000.0, vec![]),
        (2050.0, 50.0, vec![3]), // inside the area itself
        (1975.0, 50.0, vec![3]),
        (1965.0, 50.0, vec![]),
        (2120.0, 120.0, vec![3]), // 28 m from the corner
        (2125.0, 125.0, vec![]),  // 35 m from it
    ] {
        set.containing(east_north(e, n), &mut out);
        assert_eq!(out, want, "at {e} m east, {n} m north");
    }
}

#[test]
fn a_set_refuses_a_key_twice_and_an_empty_zone() {
    assert!(
        FenceSet::new(vec![
            (1, point_buffer(0.0, 0.0, 10.0)),
            (1, point_buffer(5.0, 0.0, 10.0))
        ])
        .is_err()
    );
    assert!(FenceSet::new(vec![(1, Zone::Area(MultiPolygon::new(vec![])))]).is_err());
}

#[test]
fn a_removed_zone_is_left_without_an_exit() {
    let both = FenceSet::new(vec![
        (
            1,
            Zone::Area(MultiPolygon::new(vec![square(0.0, 0.0, 100.0)])),
        ),
        (2, point_buffer(50.0, 50.0, 30.0)),
    ])
    .expect("valid");
    let mut st = FenceState::default();
    let (mut scratch, mut out) = (Vec::new(), Vec::new());
    st.observe(&both, east_north(50.0, 50.0), &mut scratch, &mut out);
    assert_eq!(out, [Crossing::Enter(1), Crossing::Enter(2)]);
    out.clear();
    // Zone 1 is deleted; the member walks out of both.
    let only_two = FenceSet::new(vec![(2, point_buffer(50.0, 50.0, 30.0))]).expect("valid");
    st.observe(&only_two, east_north(500.0, 500.0), &mut scratch, &mut out);
    assert_eq!(out, [Crossing::Exit(2)]);
    assert!(st.inside().is_empty());
}

/// A random zone near the origin: a square, a point's buffer, or a
/// segment's.
fn zone() -> impl Strategy<Value = Zone> {
    prop_oneof![
        (-800.0f64..800.0, -800.0f64..800.0, 20.0f64..600.0)
            .prop_map(|(e, n, s)| Zone::Area(MultiPolygon::new(vec![square(e, n, s)]))),
        (-800.0f64..800.0, -800.0f64..800.0, 10.0f64..300.0)
            .prop_map(|(e, n, r)| point_buffer(e, n, r)),
        (
            -800.0f64..800.0,
            -800.0f64..800.0,
            -400.0f64..400.0,
            -400.0f64..400.0,
            10.0f64..150.0
        )
            .prop_map(|(e, n, de, dn, r)| {
                let (a, b) = (east_north(e, n), east_north(e + de, n + dn));
                Zone::Buffer {
                    footprint: Footprint::Line(MultiLineString::new(vec![LineString::from(vec![
                        (a.lon, a.lat),
                        (b.lon, b.lat),
                    ])])),
                    radius_m: r,
                }
            }),
    ]
}

/// Crossings over every generated track: the property is not vacuous.
static CROSSED: AtomicUsize = AtomicUsize::new(0);

#[test]
fn random_tracks_do_cross_zones() {
    the_state_crosses_exactly_where_membership_changes();
    assert!(CROSSED.load(Ordering::Relaxed) > 100);
}

proptest! {
    /// The index answers what testing every zone answers.
    #[test]
    fn the_index_finds_exactly_the_zones_that_contain(
        zones in prop::collection::vec(zone(), 0..40),
        points in prop::collection::vec((-1200.0f64..1200.0, -1200.0f64..1200.0), 1..60),
    ) {
        let keyed: Vec<(FenceKey, Zone)> = zones.into_iter().enumerate().map(|(i, z)| (i as u32 * 3 + 7, z)).collect();
        let set = FenceSet::new(keyed.clone()).expect("valid zones");
        let mut out = Vec::new();
        for (e, n) in points {
            let at = east_north(e, n);
            set.containing(at, &mut out);
            let want: Vec<FenceKey> = keyed.iter().filter(|(_, z)| z.contains(at)).map(|(k, _)| *k).collect();
            prop_assert_eq!(&out, &want);
        }
    }

    /// A walk through the zones: each fix enters the zones it is in and the
    /// last fix was not, and exits those the last fix was in and it is not.
    #[test]
    fn the_state_crosses_exactly_where_membership_changes(
        zones in prop::collection::vec(zone(), 1..25),
        steps in prop::collection::vec((-150.0f64..150.0, -150.0f64..150.0), 1..80),
    ) {
        let keyed: Vec<(FenceKey, Zone)> = zones.into_iter().enumerate().map(|(i, z)| (i as u32, z)).collect();
        let set = FenceSet::new(keyed.clone()).expect("valid zones");
        let mut st = FenceState::default();
        let (mut scratch, mut got) = (Vec::new(), Vec::new());
        let mut was: Vec<FenceKey> = Vec::new();
        let (mut e, mut n) = (0.0, 0.0);
        for (de, dn) in steps {
            e += de;
            n += dn;
            let at = east_north(e, n);
            got.clear();
            st.observe(&set, at, &mut scratch, &mut got);
            let now: Vec<FenceKey> = keyed.iter().filter(|(_, z)| z.contains(at)).map(|(k, _)| *k).collect();
            let mut want: Vec<Crossing> = Vec::new();
            want.extend(was.iter().filter(|k| !now.contains(k)).map(|&k| Crossing::Exit(k)));
            want.extend(now.iter().filter(|k| !was.contains(k)).map(|&k| Crossing::Enter(k)));
            let key = |c: &Crossing| match *c { Crossing::Enter(k) | Crossing::Exit(k) => (k, matches!(c, Crossing::Enter(_))) };
            want.sort_by_key(key);
            got.sort_by_key(key);
            prop_assert_eq!(&got, &want);
            CROSSED.fetch_add(got.len(), Ordering::Relaxed);
            was = now;
        }
    }

    /// The flat-earth segment distance agrees with great-circle metres to
    /// the nearest of many points along the segment.
    #[test]
    fn segment_metres_match_the_sphere(
        (e, n, de, dn) in (-2000.0f64..2000.0, -2000.0f64..2000.0, -1000.0f64..1000.0, -1000.0f64..1000.0),
    ) {
        let (a, b) = (east_north(e, n), east_north(e + de, n + dn));
        let at = east_north(0.0, 0.0);
        let flat = segment_m(at, Coord { x: a.lon, y: a.lat }, Coord { x: b.lon, y: b.lat });
        let sampled = (0..=2000)
            .map(|i| {
                let t = f64::from(i) / 2000.0;
                distance_m(at, LonLat { lon: a.lon + t * (b.lon - a.lon), lat: a.lat + t * (b.lat - a.lat) })
            })
            .fold(f64::INFINITY, f64::min);
        prop_assert!((flat - sampled).abs() <= 0.5 + 0.002 * sampled, "flat {flat} sampled {sampled}");
    }
}
