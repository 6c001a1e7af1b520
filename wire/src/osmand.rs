//! The OsmAnd protocol as Traccar Client sends it — key/value parameters (a
//! GET query or a POST form) or Traccar's JSON body — read into a device id
//! and a fix. Speeds arrive in knots from the former, metres per second from
//! the latter.

use serde_json::Value;

use crate::fix::FixIn;
use riskmap_engine::gcj02::Datum;

/// The first value of a parameter.
fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a String> {
    params.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn number(params: &[(String, String)], keys: &[&str]) -> Result<Option<f64>, String> {
    for k in keys {
        if let Some(v) = param(params, k) {
            return v
                .trim()
                .parse::<f64>()
                .map(Some)
                .map_err(|_| format!("{k} must be a number, got {v:?}"));
        }
    }
    Ok(None)
}

/// Knots to metres per second.
const KNOT_MPS: f64 = 1852.0 / 3600.0;

/// Reads OsmAnd key/value parameters into a device id and a fix.
pub fn parse_params(params: &[(String, String)]) -> Result<(String, FixIn), String> {
    let device = param(params, "id")
        .or_else(|| param(params, "deviceid"))
        .filter(|d| !d.is_empty() && d.len() <= 128)
        .ok_or("missing id (the device id)")?
        .clone();
    let (lat, lon) = if let Some(loc) = param(params, "location") {
        let (a, b) = loc.split_once(',').ok_or("location must be lat,lon")?;
        (
            a.trim()
                .parse::<f64>()
                .map_err(|_| "location must be lat,lon numbers")?,
            b.trim()
                .parse::<f64>()
                .map_err(|_| "location must be lat,lon numbers")?,
        )
    } else {
        (
            number(params, &["lat"])?.ok_or("missing lat")?,
            number(params, &["lon"])?.ok_or("missing lon")?,
        )
    };
    let t = param(params, "timestamp").map(|s| Value::String(s.clone()));
    let coords = match param(params, "coords").map(String::as_str) {
        None | Some("wgs84") => Datum::Wgs84,
        Some("gcj02") => Datum::Gcj02,
        Some(other) => return Err(format!("coords must be wgs84 or gcj02, got {other:?}")),
    };
    Ok((
        device,
        FixIn {
            staff_id: None,
            lon,
            lat,
            t,
            accuracy: number(params, &["accuracy"])?.map(|x| x as f32),
            speed: number(params, &["speed"])?.map(|k| (k * KNOT_MPS) as f32),
            heading: number(params, &["bearing", "heading"])?.map(|x| x as f32),
            altitude: number(params, &["altitude"])?.map(|x| x as f32),
            battery: number(params, &["batt"])?.map(|x| x as f32),
            coords,
        },
    ))
}

/// Traccar Client's JSON body: `{"device_id", "location": {"timestamp",
/// "coords": {"latitude", "longitude", "accuracy", "speed" (m/s), "heading",
/// "altitude"}, "battery": {"level" (0–1)}}}`.
pub fn parse_json(body: &[u8]) -> Result<(String, FixIn), String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("malformed JSON: {e}"))?;
    let device = v["device_id"]
        .as_str()
        .or_else(|| v["id"].as_str())
        .filter(|d| !d.is_empty() && d.len() <= 128)
        .ok_or("missing device_id")?
        .to_owned();
    let loc = &v["location"];
    let c = &loc["coords"];
    let num = |x: &Value| x.as_f64();
    let lat = num(&c["latitude"]).ok_or("missing location.coords.latitude")?;
    let lon = num(&c["longitude"]).ok_or("missing location.coords.longitude")?;
    let speed = num(&c["speed"]).filter(|s| *s >= 0.0);
    let heading = num(&c["heading"]).filter(|h| *h >= 0.0);
    Ok((
        device,
        FixIn {
            staff_id: None,
            lon,
            lat,
            t: loc.get("timestamp").cloned(),
            accuracy: num(&c["accuracy"]).map(|x| x as f32),
            speed: speed.map(|x| x as f32),
            heading: heading.map(|x| x as f32),
            altitude: num(&c["altitude"]).map(|x| x as f32),
            battery: num(&loc["battery"]["level"]).map(|l| (l * 100.0) as f32),
            coords: Datum::Wgs84,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap()
    }

    #[test]
    fn reads_traccar_query_strings() {
        let (d, f) = parse_params(&params(
            "id=123456&lat=28.01&lon=120.65&timestamp=1767225600&speed=10&bearing=90&altitude=12&accuracy=5&batt=80",
        ))
        .unwrap();
        assert_eq!(d, "123456");
        assert!((f.speed.unwrap() - 5.144).abs() < 0.01, "knots to m/s");
        assert_eq!(f.heading, Some(90.0));
        assert_eq!(f.battery, Some(80.0));
        let (_, f) = parse_params(&params("deviceid=9&location=28.0,120.6")).unwrap();
        assert_eq!((f.lat, f.lon), (28.0, 120.6));
        assert!(
            parse_params(&params("lat=1&lon=2"))
                .unwrap_err()
                .contains("id")
        );
        assert!(
            parse_params(&params("id=1&lat=x&lon=2"))
                .unwrap_err()
                .contains("lat")
        );
    }

    #[test]
    fn reads_traccar_json() {
        let body = br#"{"device_id":"abc","location":{"timestamp":"2026-01-01T00:00:00Z",
            "coords":{"latitude":28.0,"longitude":120.6,"accuracy":4,"speed":2.5,"heading":-1,"altitude":5},
            "battery":{"level":0.5,"is_charging":false}}}"#;
        let (d, f) = parse_json(body).unwrap();
        assert_eq!(d, "abc");
        assert_eq!(f.speed, Some(2.5));
        assert_eq!(f.heading, None);
        assert_eq!(f.battery, Some(50.0));
        assert!(parse_json(b"{").unwrap_err().contains("malformed"));
    }
}
