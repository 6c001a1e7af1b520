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
use crate::metrics::Metrics;
use riskmap_wire::FixIn;
use riskmap_wire::osmand::{parse_json, parse_params};

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
