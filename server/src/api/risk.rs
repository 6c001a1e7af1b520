//! 风险研判 over REST (the model is the engine's, kept by `app/risk.rs`):
//! `GET /api/risk/grids`, `GET /api/risk/grids/{code}`,
//! `GET /api/risk/areas/{code}` and the incident analysis
//! `GET /api/risk/analysis`, each within the user's area (分级授权).

use std::sync::Arc;

use axum::extract::{Path, State};
use riskmap_engine::model::RiskLevel;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Principal;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use crate::app::App;
use crate::app::analysis::AnalysisIn;
use crate::app::risk::GridDetail;
use crate::incident::analysis::Analysis;
use riskmap_wire::time::parse_time;

/// Most grids in one list answer unless asked for fewer.
const MAX_LIMIT: usize = 100_000;

/// `GET /api/risk/grids` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridsParams {
    /// Only the grids under this area (default: the user's whole area).
    area: Option<String>,
    /// Only grids at this level or worse: `red`, `orange`, `yellow`,
    /// `blue`, or 1 to 4.
    level: Option<String>,
    /// At most this many, riskiest first.
    limit: Option<usize>,
}

/// The grids the user may see, riskiest first, with their level and the
/// count per level.
pub async fn grids(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<GridsParams>,
) -> ApiResult<Json<Value>> {
    let level = q.level.as_deref().map(parse_level).transpose()?;
    let limit = q.limit.unwrap_or(MAX_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_LIMIT}, got {limit}"
        )));
    }
    let mut rows = app.risk_grids(&p.user, q.area.as_deref(), level)?;
    let mut counts = [0u32; 4];
    for r in &rows {
        counts[usize::from(u8::from(r.level)) - 1] += 1;
    }
    let total = rows.len();
    rows.truncate(limit);
    let t = app.risk_thresholds();
    Ok(Json(json!({
        "grids": rows,
        "total": total,
        "counts": { "red": counts[0], "orange": counts[1], "yellow": counts[2], "blue": counts[3] },
        "thresholds": t,
    })))
}

/// One grid's breakdown and trend.
pub async fn grid(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(code): Path<String>,
) -> ApiResult<Json<GridDetail>> {
    Ok(Json(app.risk_grid(&p.user, &code).await?))
}

/// An area's grids summed up, and each child area's (the drill-down).
pub async fn area(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let (area, children) = app.risk_area(&p.user, &code)?;
    Ok(Json(json!({ "area": area, "children": children })))
}

/// `GET /api/risk/analysis` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisParams {
    area: Option<String>,
    from: Option<String>,
    to: Option<String>,
    category: Option<String>,
    resolution: Option<u8>,
    repeat_days: Option<usize>,
}

/// The incidents of the user's area over a period: heat map, trends, top
/// grids and categories, repeat hot spots.
pub async fn analysis(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<AnalysisParams>,
) -> ApiResult<Json<Analysis>> {
    let time = |s: Option<&str>| s.map(parse_time).transpose().map_err(ApiError::from);
    let ask = AnalysisIn {
        area: q.area.as_deref(),
        from: time(q.from.as_deref())?,
        to: time(q.to.as_deref())?,
        category: q.category.as_deref(),
        resolution: q.resolution,
        repeat_days: q.repeat_days,
    };
    Ok(Json(app.analyse_incidents(&p.user, &ask)?))
}

fn parse_level(s: &str) -> Result<RiskLevel, ApiError> {
    let level = match s {
        "red" | "1" => RiskLevel::Major,
        "orange" | "2" => RiskLevel::Significant,
        "yellow" | "3" => RiskLevel::General,
        "blue" | "4" => RiskLevel::Low,
        other => {
            return Err(ApiError::BadRequest(format!(
                "level must be red, orange, yellow, blue or 1 to 4, got {other:?}"
            )));
        }
    };
    Ok(level)
}
