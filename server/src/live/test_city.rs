//! The smallest city the live and app tests need: one grid in its four parents,
//! all the same square.

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

/// A bare fix at a point, taken and received at `t`.
pub(crate) fn fix_at(lon: f64, lat: f64, t: EpochMs) -> Fix {
    Fix::at(LonLat::new(lon, lat).expect("a test position"), t)
}
