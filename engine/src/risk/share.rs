//! How much of a line or an area source counts in one grid.
//!
//! A source counts in full in a grid it lies wholly in, or that it covers
//! wholly; otherwise by the larger of the two shares: its own share inside
//! the grid, and how much of the grid it fills. A small chemical plant's
//! polygon inside one grid is that grid's whole plant; a flood zone over
//! ten grids is each grid's flood zone, in full where it covers the grid.
//! A line "fills" a grid along [`RiskWeights::line_full_km`] of it.
//!
//! Areas are compared in lon/lat degrees²: only ratios of areas a few
//! kilometres apart are taken, and the distortion cancels.
//!
//! [`RiskWeights::line_full_km`]: super::RiskWeights::line_full_km

use geo::{Area, BooleanOps, Haversine, Length, MultiLineString, MultiPolygon};

/// The share of a line inside `grid`, 0 to 1.
#[must_use]
pub fn line_share(line: &MultiLineString<f64>, grid: &MultiPolygon<f64>, full_km: f64) -> f64 {
    let total = Haversine.length(line);
    if total <= 0.0 || total.is_nan() {
        return 0.0;
    }
    let inside = Haversine.length(&grid.clip(line, false));
    (inside / total).max(inside / (full_km * 1000.0)).min(1.0)
}

/// The share of an area inside `grid` (whose area is `grid_area`, degrees²),
/// 0 to 1.
#[must_use]
pub fn area_share(area: &MultiPolygon<f64>, grid: &MultiPolygon<f64>, grid_area: f64) -> f64 {
    let own = area.unsigned_area();
    if own.is_nan() || grid_area.is_nan() || own <= 0.0 || grid_area <= 0.0 {
        return 0.0;
    }
    let overlap = grid.intersection(area).unsigned_area();
    (overlap / own).max(overlap / grid_area).min(1.0)
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // zero shares are exact
mod tests {
    use geo::{LineString, Polygon, polygon};

    use super::*;

    fn square(x0: f64, y0: f64, side: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![polygon![
            (x: x0, y: y0),
            (x: x0 + side, y: y0),
            (x: x0 + side, y: y0 + side),
            (x: x0, y: y0 + side),
            (x: x0, y: y0),
        ]])
    }

    #[test]
    fn an_area_counts_by_the_larger_share() {
        let grid = square(120.0, 28.0, 0.01);
        let ga = grid.unsigned_area();
        // The overlay snaps coordinates to an integer grid: a few parts in
        // a billion.
        let near = |a: f64, b: f64| (a - b).abs() < 1e-6;
        // Wholly inside: in full.
        assert!(near(
            area_share(&square(120.002, 28.002, 0.001), &grid, ga),
            1.0
        ));
        // Covering the grid: in full.
        assert!(near(
            area_share(&square(119.99, 27.99, 0.05), &grid, ga),
            1.0
        ));
        // Half of a grid-sized zone over half of the grid: a half.
        let half = area_share(&square(120.005, 28.0, 0.01), &grid, ga);
        assert!(near(half, 0.5), "{half}");
        // Apart: nothing.
        assert_eq!(area_share(&square(121.0, 28.0, 0.01), &grid, ga), 0.0);
        let empty = MultiPolygon::new(vec![Polygon::new(LineString::new(vec![]), vec![])]);
        assert_eq!(area_share(&empty, &grid, ga), 0.0);
    }

    #[test]
    fn a_line_counts_by_its_share_or_by_length() {
        let grid = square(120.0, 28.0, 0.1);
        let line = |x0: f64, x1: f64| {
            MultiLineString::new(vec![LineString::from(vec![(x0, 28.05), (x1, 28.05)])])
        };
        // A short line wholly inside: in full.
        assert!((line_share(&line(120.01, 120.02), &grid, 1.0) - 1.0).abs() < 1e-9);
        // A long line crossing about 9.8 km of the grid: in full (≥ 1 km).
        assert!((line_share(&line(119.5, 120.6), &grid, 1.0) - 1.0).abs() < 1e-9);
        // With 20 km counting in full, about half.
        let s = line_share(&line(119.5, 120.6), &grid, 20.0);
        assert!((0.45..0.55).contains(&s), "{s}");
        assert_eq!(line_share(&line(121.0, 121.1), &grid, 1.0), 0.0);
    }
}
