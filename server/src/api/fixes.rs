//! Location sharing over HTTP: `POST /api/fixes` (a batch, e.g. buffered
//! while a phone was offline) and the OsmAnd protocol as Traccar Client sends
//! it (`/osmand`: GET query, POST form, POST JSON). Each answers only after
//! the fixes are committed to the store.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Principal;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use super::guard::{ClientAddr, too_many};
use crate::app::ingest::IngestError;
use crate::app::{App, FixRejection};
use crate::live::{Datum, FixIn};
use crate::metrics::Metrics;

/// `POST /api/fixes` body: `{"fixes": [...]}` or a bare array.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum FixBatch {
    /// `{"fixes": [...]}`.
    Wrapped {
        /// The fixes.
        fixes: Vec<FixIn>,
    },
    /// `[...]`.
    Bare(Vec<FixIn>),
}

/// Maps a refused batch to an HTTP error naming the fix.
#[must_use]
pub fn rejection(r: FixRejection) -> ApiError {
    match r {
        FixRejection::Invalid { index, reason } => {
            ApiError::BadRequest(format!("fix {index}: {reason}"))
        }
        FixRejection::UnknownStaff { index, staff_id } => {
            ApiError::BadRequest(format!("fix {index}: unknown staff member {staff_id}"))
        }
        FixRejection::Forbidden { index, reason } => {
            ApiError::Forbidden(format!("fix {index}: {reason}"))
        }
        FixRejection::TooMany { limit } => {
            ApiError::TooLarge(format!("at most {limit} fixes per request"))
        }
        FixRejection::NotPersisted(
            e @ (IngestError::Unavailable | IngestError::ShuttingDown | IngestError::Behind),
        ) => ApiError::Unavailable(format!("{e}; nothing is acknowledged")),
        FixRejection::NotPersisted(IngestError::Refused) => {
            ApiError::Internal("the store refused a batch of fixes".into())
        }
    }
}

/// `POST /api/fixes`: applies and persists a batch; answers
/// `{"applied": n, "stale": m}` once committed.
pub async fn post_fixes(
    State(app): State<Arc<App>>,
    p: Principal,
    Json(batch): Json<FixBatch>,
) -> ApiResult<Json<Value>> {
    let fixes = match batch {
        FixBatch::Wrapped { fixes } | FixBatch::Bare(fixes) => fixes,
    };
    let own = p.user.staff_id.clone();
    let report = app
        .post_fixes(Some(&p.user), own.as_deref(), fixes)
        .await
        .map_err(rejection)?;
    Ok(Json(json!(report)))
}

/// The OsmAnd protocol. Parameters as Traccar reads them: `id` (or
/// `deviceid`), `lat`, `lon` (or `location=lat,lon`), `timestamp` (epoch s
/// or ms, ISO 8601, or `yyyy-MM-dd HH:mm:ss`), `speed` (knots), `bearing`
/// (or `heading`), `altitude`, `accuracy`, `batt`; riskmap adds `coords=gcj02`.
/// They come in the query string, or, if it has none, in a form body; a JSON
/// body in Traccar Client's newer format is read too. An unknown device gets
/// 400, as Traccar answers.
pub async fn osmand(
    State(app): State<Arc<App>>,
    Extension(ClientAddr(addr)): Extension<ClientAddr>,
    method: Method,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let parsed = if query.is_empty() && method == Method::POST && is_json {
        parse_json(&body)
    } else if query.is_empty() && method == Method::POST {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .map_err(|e| format!("cannot read the form body: {e}"))
            .and_then(|pairs| parse_params(&pairs))
    } else {
        parse_params(&query)
    };
    if let Some(wait) = app.unknown_devices.wait(&addr) {
        return too_many(wait, "too many unknown devices from this address");
    }
    let (device, fix) = match parsed {
        Ok(x) => x,
        Err(reason) => {
            Metrics::add(&app.metrics.fixes_rejected, 1);
            return (StatusCode::BAD_REQUEST, reason).into_response();
        }
    };
    let staff_id = {
        let engine = app.engine.read();
        engine
            .staff()
            .find_device(&device)
            .and_then(|i| engine.staff().get(i))
            .map(|m| m.id.to_string())
    };
    let Some(staff_id) = staff_id else {
        // A device id is the only credential here: an address that keeps
        // naming unknown devices is guessing, and is slowed down.
        Metrics::add(&app.metrics.fixes_rejected, 1);
        Metrics::add(&app.metrics.unknown_devices, 1);
        if let Err(wait) = app.unknown_devices.allow(&addr) {
            return too_many(wait, "too many unknown devices from this address");
        }
        return (StatusCode::BAD_REQUEST, format!("unknown device {device}")).into_response();
    };
    match app.post_fixes(None, Some(&staff_id), vec![fix]).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(r) => {
            Metrics::add(&app.metrics.fixes_rejected, 1);
            rejection(r).into_response()
        }
    }
}

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
