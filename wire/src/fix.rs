//! A position fix as clients send it, and its checks: the time read, GCJ-02
//! converted, every number in range.

use serde::{Deserialize, Serialize};

use riskmap_engine::gcj02::Datum;
use riskmap_engine::model::Fix;
use riskmap_engine::sphere::LonLat;

use crate::time::{epoch_ms, parse_time};

/// A position fix as clients send it (REST batches and `/ws`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct FixIn {
    /// Whose fix; field users may omit it (it is theirs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_id: Option<String>,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// When the device took it: epoch milliseconds (or seconds), or ISO 8601.
    /// Defaults to the time the server receives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t: Option<serde_json::Value>,
    /// Horizontal accuracy, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f32>,
    /// Speed, metres per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f32>,
    /// Heading, degrees clockwise from north.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<f32>,
    /// Altitude, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub altitude: Option<f32>,
    /// Battery, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery: Option<f32>,
    /// The datum of lon/lat; default WGS84.
    #[serde(default)]
    pub coords: Datum,
}

/// Turns a client's fix into an engine fix: time parsed (default now),
/// GCJ-02 converted, every number checked. A time more than
/// [`FUTURE_TOLERANCE_MS`](riskmap_engine::model::FUTURE_TOLERANCE_MS) ahead of the server's clock (a phone whose clock
/// is wrong, or someone pinning a marker: a fix from the future would make
/// every real one after it look stale) is taken as the server's time; the
/// flag says so.
pub fn to_fix(f: &FixIn, now: i64) -> Result<(Fix, bool), String> {
    let given = LonLat::new(f.lon, f.lat).map_err(|e| e.to_string())?;
    let position = f.coords.to_wgs84(given).map_err(|e| e.to_string())?;
    let fix_time_ms = match &f.t {
        None | Some(serde_json::Value::Null) => now,
        Some(serde_json::Value::Number(n)) => {
            let v = n.as_f64().ok_or("t must be a number or a date")?;
            epoch_ms(v).map_err(|e| e.to_string())?
        }
        Some(serde_json::Value::String(s)) => parse_time(s).map_err(|e| e.to_string())?,
        Some(_) => {
            return Err("t must be epoch milliseconds, epoch seconds or an ISO 8601 date".into());
        }
    };
    let check = |name: &str, v: Option<f32>, lo: f32, hi: f32| -> Result<Option<f32>, String> {
        match v {
            Some(x) if !x.is_finite() || x < lo || x > hi => {
                Err(format!("{name} must be within {lo}..{hi}, got {x}"))
            }
            other => Ok(other),
        }
    };
    let mut fix = Fix {
        position,
        accuracy_m: check("accuracy", f.accuracy, 0.0, 100_000.0)?,
        speed_mps: check("speed", f.speed, 0.0, 1_000.0)?,
        heading_deg: check("heading", f.heading, 0.0, 360.0)?,
        altitude_m: check("altitude", f.altitude, -1_000.0, 20_000.0)?,
        battery_pct: check("battery", f.battery, 0.0, 100.0)?,
        fix_time_ms,
        server_time_ms: now,
    };
    let clamped = fix.is_from_the_future(now);
    if clamped {
        fix.fix_time_ms = now;
    }
    Ok((fix, clamped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use riskmap_engine::model::FUTURE_TOLERANCE_MS;

    #[test]
    fn fixes_are_checked_and_gcj02_converted() {
        let mut f = FixIn {
            staff_id: None,
            lon: 120.66,
            lat: 28.01,
            t: None,
            accuracy: Some(5.0),
            speed: None,
            heading: Some(370.0),
            altitude: None,
            battery: None,
            coords: Datum::Wgs84,
        };
        assert!(
            to_fix(&f, 1_767_225_600_000)
                .unwrap_err()
                .contains("heading")
        );
        f.heading = Some(90.0);
        let (w, clamped) = to_fix(&f, 1_767_225_600_000).unwrap();
        assert!(!clamped);
        assert!((w.position.lon - 120.66).abs() < 1e-12);
        f.coords = Datum::Gcj02;
        let (g, _) = to_fix(&f, 1_767_225_600_000).unwrap();
        assert!(riskmap_engine::sphere::distance_m(w.position, g.position) > 100.0);
        f.lat = f64::NAN;
        assert!(to_fix(&f, 0).is_err());
    }

    #[test]
    fn a_fix_from_the_future_is_taken_at_the_server_time() {
        let now = 1_767_225_600_000;
        let at = |t: i64| FixIn {
            staff_id: None,
            lon: 120.66,
            lat: 28.01,
            t: Some(serde_json::json!(t)),
            accuracy: None,
            speed: None,
            heading: None,
            altitude: None,
            battery: None,
            coords: Datum::Wgs84,
        };
        let (fix, clamped) = to_fix(&at(now + FUTURE_TOLERANCE_MS), now).unwrap();
        assert_eq!(
            (fix.fix_time_ms, clamped),
            (now + FUTURE_TOLERANCE_MS, false)
        );
        let (fix, clamped) = to_fix(&at(now + 8 * 3_600_000), now).unwrap();
        assert_eq!((fix.fix_time_ms, clamped), (now, true));
        let (fix, clamped) = to_fix(&at(now - 5_000), now).unwrap();
        assert_eq!((fix.fix_time_ms, clamped), (now - 5_000, false));
    }
}
