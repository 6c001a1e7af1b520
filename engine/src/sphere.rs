//! Geometry on the sphere: validated coordinates, great-circle metres,
//! bearings, and the bounds the indexes use to prune.
//!
//! Great-circle metres on a sphere of the IUGG mean radius are the truth for
//! every distance riskmap reports. Degree-space distance is not (a degree of
//! longitude shrinks with the cosine of latitude), so no index here ranks by
//! it.

use serde::{Deserialize, Serialize};

use super::error::EngineError;

/// Mean Earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Latitudes beyond this are refused. Longitude cells degenerate near the
/// poles, and no city governed by grids lies there.
pub const MAX_ABS_LAT: f64 = 85.0;

/// A validated WGS84 position in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LonLat {
    /// Longitude, −180 to 180.
    pub lon: f64,
    /// Latitude, −85 to 85 (see [`MAX_ABS_LAT`]).
    pub lat: f64,
}

impl LonLat {
    /// A position, refused if not finite or out of range.
    pub fn new(lon: f64, lat: f64) -> Result<Self, EngineError> {
        if !lon.is_finite() || !lat.is_finite() {
            return Err(EngineError::InvalidCoordinate(format!(
                "coordinates must be finite numbers, got lon={lon}, lat={lat}"
            )));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(EngineError::InvalidCoordinate(format!(
                "longitude must be within -180..180, got {lon}"
            )));
        }
        if lat.abs() > MAX_ABS_LAT {
            return Err(EngineError::InvalidCoordinate(format!(
                "latitude must be within -{MAX_ABS_LAT}..{MAX_ABS_LAT}, got {lat}"
            )));
        }
        Ok(LonLat { lon, lat })
    }

    /// Re-checks a position that came in through deserialisation.
    pub fn validated(self) -> Result<Self, EngineError> {
        LonLat::new(self.lon, self.lat)
    }

    /// The position as a unit vector in Earth-centred coordinates. Chord
    /// length between unit vectors grows monotonically with great-circle
    /// distance, which is what makes vector-space ranking exact in metres.
    #[must_use]
    pub fn unit_vector(self) -> [f64; 3] {
        let (slat, clat) = self.lat.to_radians().sin_cos();
        let (slon, clon) = self.lon.to_radians().sin_cos();
        [clat * clon, clat * slon, slat]
    }

    /// As a geo point (x = lon, y = lat).
    #[must_use]
    pub fn point(self) -> geo::Point<f64> {
        geo::Point::new(self.lon, self.lat)
    }
}

/// Great-circle distance in metres (haversine, stable for short distances).
#[must_use]
pub fn distance_m(a: LonLat, b: LonLat) -> f64 {
    let dlat = (b.lat - a.lat).to_radians();
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2)
        + a.lat.to_radians().cos() * b.lat.to_radians().cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Squared chord length between two unit vectors.
#[must_use]
pub fn chord2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let dx = a[0] - b[0];
    let dy = a[1] - b[1];
    let dz = a[2] - b[2];
    dx * dx + dy * dy + dz * dz
}

/// Great-circle metres for a squared chord between unit vectors.
#[must_use]
pub fn chord2_to_m(c2: f64) -> f64 {
    2.0 * EARTH_RADIUS_M * (c2.sqrt() / 2.0).min(1.0).asin()
}

/// The squared chord that corresponds to a great-circle distance.
#[must_use]
pub fn m_to_chord2(m: f64) -> f64 {
    let half_angle = (m / EARTH_RADIUS_M / 2.0).min(std::f64::consts::FRAC_PI_2);
    let c = 2.0 * half_angle.sin();
    c * c
}

/// Initial bearing from `from` to `to`, degrees clockwise from north, 0..360.
#[must_use]
pub fn bearing_deg(from: LonLat, to: LonLat) -> f64 {
    let (lat1, lat2) = (from.lat.to_radians(), to.lat.to_radians());
    let dlon = (to.lon - from.lon).to_radians();
    let y = dlon.sin() * lat2.cos();
    let x = lat1.cos() * lat2.sin() - lat1.sin() * lat2.cos() * dlon.cos();
    y.atan2(x).to_degrees().rem_euclid(360.0)
}

/// Smallest absolute difference between two bearings, 0..180 degrees.
#[must_use]
pub fn bearing_gap_deg(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

/// A lower bound, in metres, on the great-circle distance between two points
/// whose latitudes differ by at least `dlat` degrees: the meridian arc.
#[must_use]
pub fn lat_gap_m(dlat: f64) -> f64 {
    dlat.max(0.0).to_radians() * EARTH_RADIUS_M
}

/// A lower bound, in metres, on the great-circle distance between two points
/// whose longitudes differ by at least `dlon` degrees when neither lies beyond
/// `max_abs_lat`.
///
/// From the haversine formula, hav(d) = hav(Δφ) + cos φ1 cos φ2 hav(Δλ)
/// ≥ cos²(φmax) hav(Δλ), so d ≥ 2 asin(cos φmax · sin(Δλ/2)).
#[must_use]
pub fn lon_gap_m(dlon: f64, max_abs_lat: f64) -> f64 {
    let dlon = dlon.clamp(0.0, 180.0).to_radians();
    let s = (max_abs_lat.abs().min(90.0).to_radians().cos() * (dlon / 2.0).sin()).min(1.0);
    2.0 * EARTH_RADIUS_M * s.asin()
}

/// Whether a point lies in a `[west, south, east, north]` box, edges
/// included; west > east crosses the antimeridian.
#[must_use]
pub fn in_bbox(bbox: [f64; 4], p: LonLat) -> bool {
    let [w, s, e, n] = bbox;
    let lon_ok = if w <= e {
        p.lon >= w && p.lon <= e
    } else {
        p.lon >= w || p.lon <= e
    };
    lon_ok && p.lat >= s && p.lat <= n
}

/// The lon/lat box that surely holds every point within `radius_m` of
/// `centre`, as `[west, south, east, north]`. West may exceed east when the box
/// crosses the antimeridian.
#[must_use]
pub fn radius_bbox(centre: LonLat, radius_m: f64) -> [f64; 4] {
    let dlat = (radius_m / EARTH_RADIUS_M).to_degrees();
    let south = (centre.lat - dlat).max(-90.0);
    let north = (centre.lat + dlat).min(90.0);
    let max_abs_lat = south.abs().max(north.abs());
    if max_abs_lat >= 89.9 || radius_m >= EARTH_RADIUS_M {
        return [-180.0, south, 180.0, north];
    }
    // Points at a given distance reach their widest longitude offset at a
    // latitude no further from the equator than the box's edge, so use the
    // edge's cosine: asin(sin(r)/cos(φ)).
    let s = (radius_m / EARTH_RADIUS_M).sin() / max_abs_lat.to_radians().cos();
    if s >= 1.0 {
        return [-180.0, south, 180.0, north];
    }
    let dlon = s.asin().to_degrees();
    let mut west = centre.lon - dlon;
    let mut east = centre.lon + dlon;
    if west < -180.0 {
        west += 360.0;
    }
    if east > 180.0 {
        east -= 360.0;
    }
    [west, south, east, north]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ll(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    #[test]
    fn refuses_bad_coordinates() {
        assert!(LonLat::new(f64::NAN, 0.0).is_err());
        assert!(LonLat::new(0.0, f64::INFINITY).is_err());
        assert!(LonLat::new(180.5, 0.0).is_err());
        assert!(LonLat::new(0.0, 85.5).is_err());
        assert!(LonLat::new(-180.0, -85.0).is_ok());
    }

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let d = distance_m(ll(120.0, 28.0), ll(120.0, 29.0));
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
    }

    #[test]
    fn chord_and_haversine_agree() {
        let a = ll(120.65, 28.01);
        let b = ll(120.70, 27.95);
        let c2 = chord2(&a.unit_vector(), &b.unit_vector());
        assert!((chord2_to_m(c2) - distance_m(a, b)).abs() < 1e-3);
        assert!((m_to_chord2(distance_m(a, b)) - c2).abs() < 1e-15);
    }

    #[test]
    fn bearings() {
        assert!((bearing_deg(ll(120.0, 28.0), ll(120.0, 28.1)) - 0.0).abs() < 1e-9);
        assert!((bearing_deg(ll(120.0, 28.0), ll(120.1, 28.0)) - 90.0).abs() < 0.1);
        assert!((bearing_gap_deg(350.0, 10.0) - 20.0).abs() < 1e-9);
    }

    #[test]
    fn radius_bbox_holds_the_circle() {
        let c = ll(120.65, 28.01);
        let [w, s, e, n] = radius_bbox(c, 1_000.0);
        for i in 0..360 {
            let brg = f64::from(i).to_radians();
            // Walk 999 m in every direction; the end point must be in the box.
            let d = 999.0 / EARTH_RADIUS_M;
            let lat1 = c.lat.to_radians();
            let lat2 = (lat1.sin() * d.cos() + lat1.cos() * d.sin() * brg.cos()).asin();
            let lon2 = c.lon.to_radians()
                + (brg.sin() * d.sin() * lat1.cos()).atan2(d.cos() - lat1.sin() * lat2.sin());
            let (lon2, lat2) = (lon2.to_degrees(), lat2.to_degrees());
            assert!(lon2 >= w && lon2 <= e && lat2 >= s && lat2 <= n);
        }
    }

    #[test]
    fn lower_bound_never_exceeds_distance() {
        let a = ll(120.0, 40.0);
        for (dlon, dlat) in [(0.5, 0.0), (0.0, 0.5), (0.3, 0.2), (2.0, -1.0)] {
            let b = ll(120.0 + dlon, 40.0 + dlat);
            let lb = lat_gap_m(f64::abs(dlat)).max(lon_gap_m(f64::abs(dlon), 41.0));
            assert!(lb <= distance_m(a, b) + 1e-6);
        }
    }
}
