//! `GET /api/assessment`: 考核, the ranking of one level's units (workers,
//! departments, grids, streets, districts) over a period, as JSON or CSV.
//! The figures are the app layer's (`app/assessment.rs`).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::auth::Principal;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use super::incidents::{csv_attachment, csv_field, time_param, wants_csv};
use crate::app::App;
use crate::incident::assessment::{self, Level};

/// The default period: the last 30 days.
const DEFAULT_DAYS: i64 = 30;

/// `GET /api/assessment` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentParams {
    /// worker, department, grid, street or district (default street).
    pub level: Option<String>,
    /// An area code inside the caller's area (default: all of it).
    pub area: Option<String>,
    /// Reported at or after (epoch ms or ISO 8601; default 30 days ago).
    pub from: Option<String>,
    /// Reported before (default now).
    pub to: Option<String>,
    /// json (default) or csv.
    pub format: Option<String>,
}

/// `GET /api/assessment`.
pub async fn assessment(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<AssessmentParams>,
) -> ApiResult<Response> {
    let level = match q.level.as_deref() {
        None => Level::Street,
        Some(s) => Level::parse(s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "unknown level {s:?}; levels are worker, department, grid, street, district"
            ))
        })?,
    };
    let now = crate::clock::now_ms();
    let to = time_param(q.to.as_deref())?.unwrap_or(now);
    let from = time_param(q.from.as_deref())?.unwrap_or(to - DEFAULT_DAYS * 86_400_000);
    if from >= to {
        return Err(ApiError::BadRequest("`from` must be before `to`".into()));
    }
    let csv = wants_csv(q.format.as_deref())?;
    let rows = app.assessment(&p.user, level, q.area.as_deref(), (from, to))?;
    if csv {
        // A byte-order mark: spreadsheets then read the Chinese names right.
        let body = format!("\u{feff}{}", assessment::csv(&rows, csv_field));
        return Ok(csv_attachment(
            &format!("assessment-{}", level.as_str()),
            body,
        ));
    }
    Ok(Json(json!({
        "level": level, "area": q.area, "from_ms": from, "to_ms": to, "rows": rows,
    }))
    .into_response())
}
