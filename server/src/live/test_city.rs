//! The smallest cities the live, app and identity tests need: one grid in
//! its four parents, or two districts of one grid each, all the same square.

use geo::{LineString, MultiPolygon, Polygon};
use riskmap_engine::model::{Area, AreaLevel, EpochMs, Fix};
use riskmap_engine::sphere::LonLat;

/// City `c`, district `d`, street `s`, community `m` and the grid `grid`,
/// each the same 0.1° square at 120° E, 28° N.
pub(crate) fn one_grid_city(grid: &str) -> Vec<Area> {
    let square = MultiPolygon::new(vec![Polygon::new(
        LineString::from(vec![
            (120.0, 28.0),
            (120.1, 28.0),
            (120.1, 28.1),
            (120.0, 28.1),
            (120.0, 28.0),
        ]),
        vec![],
    )]);
    let area = |code: &str, level, parent: Option<&str>| Area {
        code: code.into(),
        name: code.into(),
        level,
        parent: parent.map(Into::into),
        geometry: square.clone(),
    };
    vec![
        area("c", AreaLevel::City, None),
        area("d", AreaLevel::District, Some("c")),
        area("s", AreaLevel::Street, Some("d")),
        area("m", AreaLevel::Community, Some("s")),
        area(grid, AreaLevel::Grid, Some("m")),
    ]
}

/// Two districts of one grid each ("g" in "d", "g2" in "d2"), every area
/// the same square: who is where is then decided by home alone.
pub(crate) fn two_district_city() -> Vec<Area> {
    let mut areas = one_grid_city("g");
    let square = areas[0].geometry.clone();
    let area = |code: &str, level, parent: &str| Area {
        code: code.into(),
        name: code.into(),
        level,
        parent: Some(parent.into()),
        geometry: square.clone(),
    };
    areas.extend([
        area("d2", AreaLevel::District, "c"),
        area("s2", AreaLevel::Street, "d2"),
        area("m2", AreaLevel::Community, "s2"),
        area("g2", AreaLevel::Grid, "m2"),
    ]);
    areas
}

/// The same areas with the two districts' branches trading places: every
/// index of one names the other's area (as after an areas import that
/// numbers them anew).
pub(crate) fn branches_swapped(mut areas: Vec<Area>) -> Vec<Area> {
    let at = |areas: &[Area], code: &str| {
        areas
            .iter()
            .position(|a| a.code == code)
            .expect("an area of the two-district city")
    };
    for (one, other) in [("d", "d2"), ("s", "s2"), ("m", "m2"), ("g", "g2")] {
        let (i, j) = (at(&areas, one), at(&areas, other));
        areas.swap(i, j);
    }
    areas
}

/// A bare fix at a point, taken and received at `t`.
pub(crate) fn fix_at(lon: f64, lat: f64, t: EpochMs) -> Fix {
    Fix::at(LonLat::new(lon, lat).expect("a test position"), t)
}
