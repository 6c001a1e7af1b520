//! GCJ-02, the offset coordinate system Chinese phone map SDKs (`AMap`, Tencent,
//! and Baidu before its own second offset) report positions in.
//!
//! riskmap stores WGS84 only. A client that declares GCJ-02 has its
//! coordinates converted on the way in. The forward transform is the widely
//! published polynomial on the Krasovsky 1940 ellipsoid; the inverse has no
//! closed form and is found by fixed-point iteration to well under a
//! millimetre. Outside mainland China GCJ-02 equals WGS84.

use super::error::Result;
use super::sphere::LonLat;

/// Krasovsky 1940 semi-major axis, metres.
const A: f64 = 6_378_245.0;
/// Krasovsky 1940 first eccentricity squared.
const EE: f64 = 0.006_693_421_622_965_943;

/// Whether the offset applies (a coarse box around mainland China, as the
/// published transform uses).
#[must_use]
pub fn in_china(p: LonLat) -> bool {
    (72.004..=137.8347).contains(&p.lon) && (0.8293..=55.8271).contains(&p.lat)
}

fn offset_lat(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn offset_lon(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS84 → GCJ-02 (used to test the inverse, and by simulated phones).
#[must_use]
pub fn from_wgs84(p: LonLat) -> LonLat {
    use std::f64::consts::PI;
    if !in_china(p) {
        return p;
    }
    let dlat = offset_lat(p.lon - 105.0, p.lat - 35.0);
    let dlon = offset_lon(p.lon - 105.0, p.lat - 35.0);
    let rad = p.lat.to_radians();
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    LonLat {
        lon: p.lon + dlon * 180.0 / (A / sqrt_magic * rad.cos() * PI),
        lat: p.lat + dlat * 180.0 / (A * (1.0 - EE) / (magic * sqrt_magic) * PI),
    }
}

/// Which datum a client's coordinates are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Datum {
    /// WGS84 (GPS).
    #[default]
    Wgs84,
    /// GCJ-02 (Chinese phone map SDKs).
    Gcj02,
}

impl Datum {
    /// A position given in this datum, in WGS84.
    pub fn to_wgs84(self, p: LonLat) -> Result<LonLat> {
        match self {
            Datum::Wgs84 => Ok(p),
            Datum::Gcj02 => to_wgs84(p),
        }
    }
}

/// GCJ-02 → WGS84, refusing positions out of range.
pub fn to_wgs84(g: LonLat) -> Result<LonLat> {
    let g = g.validated()?;
    if !in_china(g) {
        return Ok(g);
    }
    let mut w = g;
    // The offset changes slowly (under 1e-5 per degree), so each step gains
    // about five digits; three or four steps reach 1e-12 degrees.
    for _ in 0..10 {
        let back = from_wgs84(w);
        let (dlon, dlat) = (back.lon - g.lon, back.lat - g.lat);
        w = LonLat {
            lon: w.lon - dlon,
            lat: w.lat - dlat,
        };
        if dlon.abs() < 1e-12 && dlat.abs() < 1e-12 {
            break;
        }
    }
    w.validated()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sphere::distance_m;

    #[test]
    fn offset_in_wenzhou_is_a_few_hundred_metres() {
        let w = LonLat::new(120.655, 28.016).unwrap();
        let g = from_wgs84(w);
        let d = distance_m(w, g);
        assert!((100.0..1_000.0).contains(&d), "{d}");
    }

    #[test]
    fn inverse_round_trips_to_a_millimetre() {
        for (lon, lat) in [
            (120.655, 28.016),
            (116.397, 39.909),
            (113.26, 23.13),
            (87.6, 43.8),
        ] {
            let w = LonLat::new(lon, lat).unwrap();
            let back = to_wgs84(from_wgs84(w)).unwrap();
            assert!(distance_m(w, back) < 0.001);
        }
    }

    #[test]
    fn outside_china_nothing_changes() {
        let paris = LonLat::new(2.35, 48.85).unwrap();
        assert_eq!(from_wgs84(paris), paris);
        assert_eq!(to_wgs84(paris).unwrap(), paris);
    }
}
