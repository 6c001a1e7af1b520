use geo::{LineString, MultiLineString, MultiPolygon, Point, Polygon, polygon};
use proptest::prelude::*;

use super::mvt::{self, DecodedValue, LayerWriter, Value, decode, tile};
use super::*;

/// The tile over Wenzhou's old town at zoom 14.
fn wenzhou() -> TileId {
    TileId::new(14, 13682, 6863).expect("a tile of zoom 14")
}

#[test]
fn addresses_outside_the_pyramid_are_refused() {
    assert_eq!(TileId::new(23, 0, 0), Err(TileError::Zoom(23)));
    assert!(matches!(
        TileId::new(2, 4, 0),
        Err(TileError::OutOfRange { last: 3, .. })
    ));
    assert!(TileId::new(0, 0, 0).is_ok());
    assert!(TileId::new(22, (1 << 22) - 1, (1 << 22) - 1).is_ok());
}

#[test]
fn a_tiles_corners_are_its_grids_corners() {
    let t = wenzhou();
    let [w, s, e, n] = t.bounds(0.0);
    assert!(w < e && s < n);
    assert_eq!(t.point(Point::new(w, n)), Some([0, 0]));
    assert_eq!(t.point(Point::new(e, s)), Some([4096, 4096]));
    let mid = t.point(Point::new(f64::midpoint(w, e), f64::midpoint(s, n)));
    // Mercator stretches the north: the middle latitude is a little south
    // of the middle row.
    let [x, y] = mid.expect("inside");
    assert_eq!(x, 2048);
    assert!((2048..2060).contains(&y), "{y}");
    // The margin is BUFFER units: just beyond it is out.
    let [bw, _, _, bn] = t.bounds(BUFFER);
    assert_eq!(t.point(Point::new(bw, bn)), Some([-64, -64]));
    let beyond = t.bounds(BUFFER + 2.0);
    assert_eq!(t.point(Point::new(beyond[0], beyond[3])), None);
}

#[test]
fn a_point_is_in_the_tile_said_to_hold_it() {
    for (lon, lat) in [(120.65, 28.0), (-74.0, 40.7), (0.0, 0.0), (179.99, -85.0)] {
        for z in [0, 5, 14, 22] {
            let t = TileId::containing(lon, lat, z);
            let [x, y] = t.point(Point::new(lon, lat)).expect("in its tile");
            assert!(
                (0..=4096).contains(&x) && (0..=4096).contains(&y),
                "{t:?}: {x} {y}"
            );
        }
    }
    assert_eq!(TileId::containing(120.65, 28.0, 14), wenzhou());
}

#[test]
fn the_world_tile_holds_the_world() {
    let t = TileId::new(0, 0, 0).expect("the root");
    assert_eq!(t.point(Point::new(0.0, 0.0)), Some([2048, 2048]));
    let [w, s, e, n] = t.bounds(0.0);
    assert_eq!((w, e), (-180.0, 180.0));
    assert!((n - 85.0511).abs() < 1e-3 && (s + 85.0511).abs() < 1e-3);
}

#[test]
fn a_polygon_larger_than_the_tile_is_cut_to_the_margin_and_keeps_its_hole() {
    let t = wenzhou();
    let [w, s, e, n] = t.bounds(0.0);
    let (dx, dy) = (e - w, n - s);
    let outer: LineString<f64> = vec![
        (w - dx, s - dy),
        (e + dx, s - dy),
        (e + dx, n + dy),
        (w - dx, n + dy),
        (w - dx, s - dy),
    ]
    .into();
    let hole: LineString<f64> = vec![
        (w + dx * 0.25, s + dy * 0.25),
        (w + dx * 0.25, s + dy * 0.75),
        (w + dx * 0.75, s + dy * 0.75),
        (w + dx * 0.75, s + dy * 0.25),
        (w + dx * 0.25, s + dy * 0.25),
    ]
    .into();
    let p = MultiPolygon::new(vec![Polygon::new(outer, vec![hole])]);
    let Some(TileGeometry::Polygons(rings)) = t.polygons(&p) else {
        panic!("a polygon over the tile is in it");
    };
    assert_eq!(rings.len(), 2);
    let mut square = rings[0].clone();
    square.sort_unstable();
    assert_eq!(
        square,
        vec![[-64, -64], [-64, 4160], [4160, -64], [4160, 4160]]
    );
    assert!(twice_area(&rings[0]) > 0, "exterior clockwise as drawn");
    assert!(twice_area(&rings[1]) < 0, "hole the other way");
    let hole_size = twice_area(&rings[1]).abs() / 2;
    assert!((2048 * 2048 - 40_000..2048 * 2048 + 40_000).contains(&hole_size));
}

#[test]
fn a_polygon_outside_the_tile_and_a_sliver_are_left_out() {
    let t = wenzhou();
    let [w, s, e, n] = t.bounds(0.0);
    let far: MultiPolygon<f64> = polygon![
        (x: e + 1.0, y: s), (x: e + 2.0, y: s), (x: e + 2.0, y: n), (x: e + 1.0, y: s)
    ]
    .into();
    assert_eq!(t.polygons(&far), None);
    // Narrower than a tenth of a tile unit: nothing is left once rounded.
    let eps = (e - w) / 4096.0 / 10.0;
    let sliver: MultiPolygon<f64> = polygon![
        (x: w + (e - w) / 2.0, y: s), (x: w + (e - w) / 2.0 + eps, y: s),
        (x: w + (e - w) / 2.0 + eps, y: n), (x: w + (e - w) / 2.0, y: n)
    ]
    .into();
    assert_eq!(t.polygons(&sliver), None);
}

#[test]
fn a_line_that_leaves_and_comes_back_is_two_parts() {
    let t = wenzhou();
    let [w, s, e, n] = t.bounds(0.0);
    let y = f64::midpoint(s, n);
    let dx = e - w;
    // In, out through the east side, back in further south.
    let line: LineString<f64> = vec![
        (w + dx * 0.5, y),
        (e + dx, y),
        (e + dx, s + (n - s) * 0.2),
        (w + dx * 0.5, s + (n - s) * 0.2),
    ]
    .into();
    let Some(TileGeometry::Lines(parts)) = t.lines(&MultiLineString::new(vec![line])) else {
        panic!("the line crosses the tile");
    };
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert_eq!(parts[0][0][0], 2048);
    assert_eq!(parts[0].last().expect("a point")[0], 4160);
    assert_eq!(parts[1][0][0], 4160);
    assert_eq!(parts[1].last().expect("a point")[0], 2048);
}

#[test]
fn simplification_drops_what_a_pixel_cannot_show() {
    let t = wenzhou();
    let [w, s, e, n] = t.bounds(0.0);
    let y = f64::midpoint(s, n);
    // A straight line with a wiggle of a hundredth of a tile unit at every
    // one of its 1,000 points.
    let wiggle = (n - s) / 4096.0 / 100.0;
    let line: LineString<f64> = (0..1000)
        .map(|i| {
            let f = f64::from(i) / 999.0;
            (
                w + (e - w) * f,
                y + if i % 2 == 0 { wiggle } else { -wiggle },
            )
        })
        .collect();
    let Some(TileGeometry::Lines(parts)) = t.lines(&MultiLineString::new(vec![line])) else {
        panic!("the line is in the tile");
    };
    assert_eq!(parts.len(), 1);
    assert!(parts[0].len() <= 3, "{} points left", parts[0].len());
}

#[test]
fn properties_share_one_table_and_read_back() {
    let mut layer = LayerWriter::new("cameras");
    for (i, online) in [true, false, true].into_iter().enumerate() {
        let name = format!("C{i}");
        layer.add(
            &TileGeometry::Points(vec![[i as i32 * 10, 5]]),
            &[
                ("id", Value::Str(&name)),
                ("online", Value::Bool(online)),
                ("range_m", Value::Double(50.0)),
                ("count", Value::Int(1)),
                ("offset", Value::Int(-3)),
            ],
        );
    }
    let bytes = tile([layer, LayerWriter::new("empty")]);
    let layers = decode(&bytes).expect("our own tile");
    assert_eq!(layers.len(), 1, "an empty layer is left out");
    assert_eq!(mvt::count_features(&bytes), Ok(3));
    let l = &layers[0];
    assert_eq!(
        (l.name.as_str(), l.extent, l.features.len()),
        ("cameras", 4096, 3)
    );
    let f = &l.features[1];
    assert_eq!(f.kind, 1);
    assert_eq!(f.parts, vec![vec![[10, 5]]]);
    assert_eq!(f.get("id"), Some(&DecodedValue::Str("C1".into())));
    assert_eq!(f.get("online"), Some(&DecodedValue::Bool(false)));
    assert_eq!(f.get("range_m"), Some(&DecodedValue::Double(50.0)));
    assert_eq!(f.get("count"), Some(&DecodedValue::Int(1)));
    assert_eq!(f.get("offset"), Some(&DecodedValue::Int(-3)));
    // Five keys once; values: three ids, two booleans, one double, two ints.
    let keys = bytes.windows(5).filter(|w| w == b"range").count();
    assert_eq!(keys, 1);
}

#[test]
fn an_empty_tile_is_empty_and_garbage_is_refused() {
    assert!(tile(Vec::new()).is_empty());
    assert_eq!(decode(&[]), Ok(Vec::new()));
    assert!(decode(&[0x1a, 0x05, 0x01]).is_err());
    assert!(decode(&[0xff; 12]).is_err());
    assert!(mvt::count_features(&[0x1a, 0x05, 0x01]).is_err());
}

fn geometry() -> impl Strategy<Value = TileGeometry> {
    let point = (-64..4160i32, -64..4160i32).prop_map(|(x, y)| [x, y]);
    prop_oneof![
        prop::collection::vec(point.clone(), 1..8).prop_map(TileGeometry::Points),
        prop::collection::vec(prop::collection::vec(point.clone(), 2..8), 1..4)
            .prop_map(TileGeometry::Lines),
        prop::collection::vec(prop::collection::vec(point, 3..8), 1..4)
            .prop_map(TileGeometry::Polygons),
    ]
}

proptest! {
    /// What is written is what a reader sees: every geometry and property.
    #[test]
    fn tiles_read_back_as_written(
        features in prop::collection::vec((geometry(), "[a-z\u{4e00}-\u{4e10}]{0,6}", any::<i32>(), any::<bool>()), 1..20)
    ) {
        let mut layer = LayerWriter::new("t");
        for (g, name, n, b) in &features {
            layer.add(g, &[("name", Value::Str(name)), ("n", Value::Int(i64::from(*n))), ("b", Value::Bool(*b))]);
        }
        let layers = decode(&tile([layer])).expect("our own tile");
        prop_assert_eq!(layers[0].features.len(), features.len());
        for (got, (g, name, n, b)) in layers[0].features.iter().zip(&features) {
            let (kind, parts) = match g {
                TileGeometry::Points(p) => (1, vec![p.clone()]),
                TileGeometry::Lines(p) => (2, p.clone()),
                TileGeometry::Polygons(p) => (3, p.clone()),
            };
            prop_assert_eq!(got.kind, kind);
            prop_assert_eq!(&got.parts, &parts);
            prop_assert_eq!(got.get("name"), Some(&DecodedValue::Str(name.clone())));
            prop_assert_eq!(got.get("n"), Some(&DecodedValue::Int(i64::from(*n))));
            prop_assert_eq!(got.get("b"), Some(&DecodedValue::Bool(*b)));
        }
    }

    /// A rectangle cut to the tile is exactly its overlap with the tile and
    /// its margin, whatever its size and place.
    #[test]
    fn a_rectangle_is_cut_to_its_overlap(
        x0 in -3.0..3.0f64, y0 in -3.0..3.0f64, w in 0.01..4.0f64, h in 0.01..4.0f64
    ) {
        let t = wenzhou();
        let [tw, ts, te, tn] = t.bounds(0.0);
        let (sx, sy) = (te - tw, tn - ts);
        let (west, south) = (tw + x0 * sx, ts + y0 * sy);
        let rect: MultiPolygon<f64> = polygon![
            (x: west, y: south), (x: west + w * sx, y: south),
            (x: west + w * sx, y: south + h * sy), (x: west, y: south + h * sy)
        ].into();
        // The same rectangle in tile units, by the same projection.
        let a = t.project(west, south + h * sy);
        let b = t.project(west + w * sx, south);
        let lo = -BUFFER;
        let hi = 4096.0 + BUFFER;
        let ox = (b[0].min(hi) - a[0].max(lo)).max(0.0);
        let oy = (b[1].min(hi) - a[1].max(lo)).max(0.0);
        match t.polygons(&rect) {
            None => prop_assert!(ox < 1.0 || oy < 1.0, "{ox} × {oy} left out"),
            Some(TileGeometry::Polygons(rings)) => {
                prop_assert_eq!(rings.len(), 1);
                let got = twice_area(&rings[0]) as f64 / 2.0;
                prop_assert!(got > 0.0);
                // Rounding moves each side by at most half a unit.
                let slack = ox + oy + 1.0;
                prop_assert!((got - ox * oy).abs() <= slack, "{got} vs {}", ox * oy);
                for p in &rings[0] {
                    prop_assert!(p.iter().all(|&c| (-64..=4160).contains(&c)));
                }
            }
            Some(other) => prop_assert!(false, "{other:?}"),
        }
    }
}
