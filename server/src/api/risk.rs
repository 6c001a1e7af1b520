//! 风险研判 over REST (the model is the engine's, kept by `app/risk.rs`):
//! `GET /api/risk/grids`, `GET /api/risk/grids/{code}`,
//! `GET /api/risk/areas/{code}` and the incident analysis
//! `GET /api/risk/analysis`, each within the user's area (分级授权).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use riskmap_engine::model::RiskLevel;
use riskmap_engine::risk::Thresholds;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::auth::Principal;
use super::blocking::json_off_worker;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use super::incidents::time_param;
use crate::app::App;
use crate::app::analysis::AnalysisIn;
use crate::app::risk::{GridDetail, GridRow};

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

/// The answer of `GET /api/risk/grids`.
#[derive(Debug, Serialize)]
struct GridsAnswer {
    /// The grids, riskiest first, at most `limit`.
    grids: Vec<GridRow>,
    /// How many grids there are, all of them.
    total: usize,
    /// How many at each level, all of them.
    counts: LevelCounts,
    /// The scores at which grids turn yellow, orange and red.
    thresholds: Thresholds,
}

/// Grids per level.
#[derive(Debug, Default, Serialize)]
struct LevelCounts {
    red: u32,
    orange: u32,
    yellow: u32,
    blue: u32,
}

/// The grids the user may see, riskiest first, with their level and the
/// count per level. A city's list is 50,000 rows and 10 MB of JSON: it is
/// made and written (from a struct, not a `Value` tree) on a blocking
/// thread in a heavy answer's turn, as the patrol coverage is; made on an
/// async worker, the fixes queued behind it waited (an acknowledgement's
/// p99 118–283 ms with a screen asking twice a second, 13–19 ms now;
/// docs/PERFORMANCE.md).
pub async fn grids(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<GridsParams>,
) -> ApiResult<Response> {
    let level = q.level.as_deref().map(parse_level).transpose()?;
    let limit = q.limit.unwrap_or(MAX_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_LIMIT}, got {limit}"
        )));
    }
    let inner = Arc::clone(&app);
    json_off_worker(&app, "listing grid risk", move || {
        let mut grids = inner.risk_grids(&p.user, q.area.as_deref(), level)?;
        let mut counts = LevelCounts::default();
        for r in &grids {
            *match r.level {
                RiskLevel::Major => &mut counts.red,
                RiskLevel::Significant => &mut counts.orange,
                RiskLevel::General => &mut counts.yellow,
                RiskLevel::Low => &mut counts.blue,
            } += 1;
        }
        let total = grids.len();
        grids.truncate(limit);
        Ok(GridsAnswer {
            grids,
            total,
            counts,
            thresholds: inner.risk_thresholds(),
        })
    })
    .await
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
/// grids and categories, repeat hot spots. A year of a city's 200,000
/// incidents is 0.4 s of counting: made and written on a blocking thread
/// in a heavy answer's turn, as the grid list is (the fixes' tail fell only
/// once it also let the engine's and the book's reads go before counting:
/// docs/PERFORMANCE.md).
pub async fn analysis(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<AnalysisParams>,
) -> ApiResult<Response> {
    let (from, to) = (time_param(q.from.as_deref())?, time_param(q.to.as_deref())?);
    let inner = Arc::clone(&app);
    json_off_worker(&app, "analysing incidents", move || {
        let ask = AnalysisIn {
            area: q.area.as_deref(),
            from,
            to,
            category: q.category.as_deref(),
            resolution: q.resolution,
            repeat_days: q.repeat_days,
        };
        Ok(inner.analyse_incidents(&p.user, &ask)?)
    })
    .await
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
