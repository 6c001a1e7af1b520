//! The tiling check's tests: clean tilings, overlaps, gaps, children
//! outside their parent, slivers, and a synthetic city.
use geo::{Contains, Coord, Point, polygon};

use super::*;

/// Square metres in a 1e-3° × 1e-3° cell at lat 28 on the WGS84
/// ellipsoid (98.36 m of longitude, 110.82 m of latitude): an estimate
/// independent of the code under test.
const CELL_M2: f64 = 98.36 * 110.82;

/// A rectangle given in thousandths of a degree east and north of
/// (120°E, 28°N).
fn rect(w: f64, s: f64, e: f64, n: f64) -> MultiPolygon<f64> {
    let (x0, y0, x1, y1) = (
        120.0 + w * 1e-3,
        28.0 + s * 1e-3,
        120.0 + e * 1e-3,
        28.0 + n * 1e-3,
    );
    MultiPolygon::new(vec![
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
    ])
}

fn area(code: &str, level: AreaLevel, parent: Option<&str>, geometry: MultiPolygon<f64>) -> Area {
    Area {
        code: code.to_owned(),
        name: code.to_owned(),
        level,
        parent: parent.map(str::to_owned),
        geometry,
    }
}

fn community(geometry: MultiPolygon<f64>) -> Area {
    area("330302001001", AreaLevel::Community, None, geometry)
}

fn grid(n: u32, geometry: MultiPolygon<f64>) -> Area {
    area(
        &format!("330302001001{n:03}"),
        AreaLevel::Grid,
        Some("330302001001"),
        geometry,
    )
}

/// A community of 2 × 2 cells and its four grids.
fn two_by_two() -> Vec<Area> {
    vec![
        community(rect(0.0, 0.0, 2.0, 2.0)),
        grid(1, rect(0.0, 0.0, 1.0, 1.0)),
        grid(2, rect(1.0, 0.0, 2.0, 1.0)),
        grid(3, rect(0.0, 1.0, 1.0, 2.0)),
        grid(4, rect(1.0, 1.0, 2.0, 2.0)),
    ]
}

fn within_5pct(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 0.05 * want,
        "got {got} m², want {want} m² ± 5 %"
    );
}

#[test]
fn tiling_clean_2x2_has_no_problems() {
    let mut areas = two_by_two();
    // City files mix windings; a clockwise grid must not matter.
    let cw = areas[2].geometry.orient(Direction::Reversed);
    areas[2].geometry = cw;
    assert_eq!(check_tiling(&areas, Tolerance::default()), []);
    assert_eq!(check_tiling(&areas, Tolerance::EXACT), []);
}

#[test]
fn tiling_overlapping_grids_are_one_overlap_with_their_area() {
    let areas = vec![
        community(rect(0.0, 0.0, 2.0, 1.0)),
        grid(1, rect(0.0, 0.0, 1.2, 1.0)),
        grid(2, rect(1.0, 0.0, 2.0, 1.0)),
    ];
    let problems = check_tiling(&areas, Tolerance::default());
    let [
        TilingProblem::Overlap {
            level,
            a,
            b,
            m2,
            near,
        },
    ] = problems.as_slice()
    else {
        panic!("want one overlap, got {problems:?}");
    };
    assert_eq!(*level, AreaLevel::Grid);
    assert_eq!(
        (a.as_str(), b.as_str()),
        ("330302001001001", "330302001001002")
    );
    within_5pct(*m2, 0.2 * CELL_M2);
    assert!(rect(1.0, 0.0, 1.2, 1.0).contains(&Point::from(*near)));
}

#[test]
fn tiling_missing_grid_is_one_gap_with_a_point_in_the_hole() {
    let mut areas = two_by_two();
    areas.remove(3); // grid 3, the north-west cell
    let problems = check_tiling(&areas, Tolerance::default());
    let [
        TilingProblem::Gap {
            parent, m2, near, ..
        },
    ] = problems.as_slice()
    else {
        panic!("want one gap, got {problems:?}");
    };
    assert_eq!(parent, "330302001001");
    within_5pct(*m2, CELL_M2);
    assert!(
        rect(0.0, 1.0, 1.0, 2.0).contains(&Point::from(*near)),
        "{near:?}"
    );
}

#[test]
fn tiling_grid_sticking_out_is_outside_its_community() {
    let mut areas = two_by_two();
    areas[4].geometry = rect(1.0, 1.0, 2.5, 2.0);
    let problems = check_tiling(&areas, Tolerance::default());
    let [
        TilingProblem::Outside {
            child,
            parent,
            m2,
            near,
            ..
        },
    ] = problems.as_slice()
    else {
        panic!("want one child outside, got {problems:?}");
    };
    assert_eq!(
        (child.as_str(), parent.as_str()),
        ("330302001001004", "330302001001")
    );
    within_5pct(*m2, 0.5 * CELL_M2);
    assert!(rect(2.0, 1.0, 2.5, 2.0).contains(&Point::from(*near)));
}

#[test]
fn tiling_slivers_under_tolerance_are_ignored() {
    // 1e-7° is 1 cm: slivers of ~1 m² along 110 m edges, under 100 m²
    // and under 0.1 % of a 10,900 m² grid.
    let d = 1e-4;
    let areas = vec![
        community(rect(0.0, 0.0, 2.0, 1.0)),
        grid(1, rect(0.0, 0.0, 1.0 + d, 1.0)), // overlaps grid 2
        grid(2, rect(1.0, 0.0, 2.0 + d, 1.0 - d)), // outside, and a gap above
    ];
    assert_eq!(check_tiling(&areas, Tolerance::default()), []);
    let exact = check_tiling(&areas, Tolerance::EXACT);
    assert_eq!(exact.len(), 3, "{exact:?}");
    assert!(exact.iter().all(|p| match p {
        TilingProblem::Overlap { m2, .. }
        | TilingProblem::Gap { m2, .. }
        | TilingProblem::Outside { m2, .. } => *m2 > 0.0 && *m2 < 2.0,
    }));
}

#[test]
fn tiling_messages_name_codes_and_a_point() {
    let overlap = TilingProblem::Overlap {
        level: AreaLevel::Grid,
        a: "330302001001001".into(),
        b: "330302001001002".into(),
        m2: 1234.4,
        near: (120.654_321, 28.012_346),
    };
    assert_eq!(
        overlap.to_string(),
        "grids 330302001001001 and 330302001001002 overlap by 1,234 m² near 120.65432,28.01235"
    );
    let gap = TilingProblem::Gap {
        level: AreaLevel::Street,
        parent: "330302001".into(),
        m2: 5600.0,
        near: (120.0, 28.0),
    };
    assert_eq!(
        gap.to_string(),
        "street 330302001 has 5,600 m² not covered by any of its communities near 120.00000,28.00000"
    );
    let outside = TilingProblem::Outside {
        level: AreaLevel::Grid,
        child: "330302001001007".into(),
        parent: "330302001001".into(),
        m2: 1_234_567.0,
        near: (120.0, 28.0),
    };
    assert_eq!(
        outside.to_string(),
        "grid 330302001001007 reaches 1,234,567 m² outside its community 330302001001 near 120.00000,28.00000"
    );
}

/// A street of nx × ny grids on a jittered lattice (shared edges slant,
/// as drawn ones do), grouped in communities of bx × by grids.
fn lattice(nx: usize, ny: usize, bx: usize, by: usize) -> Vec<Area> {
    let point = |i: usize, j: usize| {
        // A fixed hash of (i, j): up to ±0.2 of a cell either way.
        let h = ((i as u64 * 0x9E37_79B9) ^ (j as u64 * 0x85EB_CA6B)).wrapping_mul(0xC2B2_AE35);
        let jx = ((h >> 20) % 1000) as f64 / 1000.0 - 0.5;
        let jy = ((h >> 40) % 1000) as f64 / 1000.0 - 0.5;
        Coord {
            x: 120.0 + (i as f64 + 0.4 * jx) * 1e-3,
            y: 28.0 + (j as f64 + 0.4 * jy) * 1e-3,
        }
    };
    let block = |i0: usize, j0: usize, i1: usize, j1: usize| {
        let mut ring: Vec<Coord<f64>> = (i0..i1).map(|i| point(i, j0)).collect();
        ring.extend((j0..j1).map(|j| point(i1, j)));
        ring.extend((i0 + 1..=i1).rev().map(|i| point(i, j1)));
        ring.extend((j0 + 1..=j1).rev().map(|j| point(i0, j)));
        MultiPolygon::new(vec![Polygon::new(LineString::new(ring), vec![])])
    };
    let street = "330302001";
    let mut areas = vec![area(street, AreaLevel::Street, None, block(0, 0, nx, ny))];
    for (c, (ci, cj)) in (0..nx / bx)
        .flat_map(|ci| (0..ny / by).map(move |cj| (ci, cj)))
        .enumerate()
    {
        let code = format!("{street}{:03}", c + 1);
        let (i0, j0) = (ci * bx, cj * by);
        areas.push(area(
            &code,
            AreaLevel::Community,
            Some(street),
            block(i0, j0, i0 + bx, j0 + by),
        ));
        for (g, (i, j)) in (i0..i0 + bx)
            .flat_map(|i| (j0..j0 + by).map(move |j| (i, j)))
            .enumerate()
        {
            let grid = format!("{code}{:03}", g + 1);
            areas.push(area(
                &grid,
                AreaLevel::Grid,
                Some(&code),
                block(i, j, i + 1, j + 1),
            ));
        }
    }
    areas
}

#[test]
fn tiling_200_grid_synthetic_city_is_clean() {
    let areas = lattice(20, 10, 10, 5);
    assert_eq!(
        areas.iter().filter(|a| a.level == AreaLevel::Grid).count(),
        200
    );
    assert_eq!(check_tiling(&areas, Tolerance::default()), []);
    // And the check is not blind on it: drop one grid, get its hole.
    let without: Vec<Area> = areas
        .into_iter()
        .filter(|a| a.code != "330302001002017")
        .collect();
    let problems = check_tiling(&without, Tolerance::default());
    assert!(
        matches!(problems.as_slice(), [TilingProblem::Gap { parent, .. }] if parent == "330302001002"),
        "{problems:?}"
    );
}

/// `cargo test -p riskmap-engine --lib tiling -- --ignored --nocapture`
#[test]
#[ignore = "timing, 50,000 grids"]
fn tiling_50k_grids_timing() {
    let areas = lattice(250, 200, 10, 5);
    let t = std::time::Instant::now();
    let problems = check_tiling(&areas, Tolerance::default());
    println!("{} areas checked in {:?}", areas.len(), t.elapsed());
    assert_eq!(problems, []);
}
