//! 巡查 over REST: `GET /api/patrol/coverage` (each grid's day against its
//! rule), `GET /api/patrol/staff/{id}` (a worker's day card) and
//! `GET /api/patrol/log` (巡查台账, JSON or CSV), each within the caller's
//! area (分级授权). The figures are the app layer's (`app/patrol.rs`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::auth::Principal;
use super::blocking::off_worker;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use super::incidents::{csv_attachment, csv_field, wants_csv};
use crate::app::App;
use crate::app::patrol::{LogRow, WorkerDayView, log_csv};

/// The patrol questions' parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatrolParams {
    /// The local date, YYYY-MM-DD (default today).
    day: Option<String>,
    /// An area inside the caller's (default: all of it); not for a day card.
    area: Option<String>,
    /// json (default) or csv; the log only.
    format: Option<String>,
}

fn day(s: Option<&str>) -> ApiResult<Option<NaiveDate>> {
    s.map(|s| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            ApiError::BadRequest(format!("day must be a date as YYYY-MM-DD, got {s:?}"))
        })
    })
    .transpose()
}

fn only_json(q: &PatrolParams) -> ApiResult<()> {
    if q.format.is_some() {
        return Err(ApiError::BadRequest(
            "format is for /api/patrol/log only".into(),
        ));
    }
    Ok(())
}

/// `GET /api/patrol/coverage`. The answer is made and written on a
/// blocking thread once a heavy query's turn is free: a city's is 50,000
/// grids and 12 MB of JSON, tens of milliseconds of one of the two async
/// workers, which the fixes queued behind it waited out (an acknowledgement's
/// p99 went from about 12 to 126–289 ms with a screen asking twice a second;
/// docs/PERFORMANCE.md).
pub async fn coverage(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<PatrolParams>,
) -> ApiResult<Response> {
    only_json(&q)?;
    let day = day(q.day.as_deref())?;
    let coverage = app.patrol_coverage(&p.user, q.area.as_deref(), day).await?;
    let body = off_worker(&app, "answering patrol coverage", move || {
        serde_json::to_vec(&coverage.view()).map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `GET /api/patrol/staff/{id}`.
pub async fn worker(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<PatrolParams>,
) -> ApiResult<Json<WorkerDayView>> {
    only_json(&q)?;
    if q.area.is_some() {
        return Err(ApiError::BadRequest(
            "area is not a parameter of a day card".into(),
        ));
    }
    let day = day(q.day.as_deref())?;
    Ok(Json(app.patrol_worker(&p.user, &id, day).await?))
}

/// `GET /api/patrol/log`, JSON or CSV: made and written as the coverage
/// is, in a heavy answer's turn (a whole city's log is a row per worker and
/// grid).
pub async fn log(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<PatrolParams>,
) -> ApiResult<Response> {
    let csv = wants_csv(q.format.as_deref())?;
    let day = day(q.day.as_deref())?;
    let log = app.patrol_log(&p.user, q.area.as_deref(), day).await?;
    let date = log.day;
    let body = off_worker(&app, "writing the patrol log", move || {
        let rows = log.rows();
        if csv {
            // A byte-order mark: spreadsheets then read the Chinese names right.
            return Ok(format!("\u{feff}{}", log_csv(date, &rows, csv_field)));
        }
        let answer = LogAnswer {
            day: date,
            area: q.area.as_deref(),
            rows: &rows,
        };
        serde_json::to_string(&answer).map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await?;
    if csv {
        return Ok(csv_attachment(&format!("patrol-log-{date}"), body));
    }
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The patrol log as JSON.
#[derive(Serialize)]
struct LogAnswer<'a> {
    day: NaiveDate,
    area: Option<&'a str>,
    rows: &'a [LogRow],
}
