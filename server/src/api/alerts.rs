//! Alerts over REST (the rules are the app layer's, `app/alerts.rs`):
//! `POST /api/staff/{id}/sos` and `…/sos/cancel`, `GET /api/alerts`,
//! `GET /api/alerts/{id}`, `POST /api/alerts/{id}/ack` and `…/close`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Principal;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use crate::alert::{AlertAction, AlertState};
use crate::app::App;
use crate::app::alerts::{SOS_SHARE_EVERY_S, SosIn, StepIn};
use crate::clock::now_ms;
use riskmap_wire::time::parse_time;

/// Most alerts in one history answer.
const MAX_LIMIT: u32 = 1_000;

/// Raises an SOS → 201 with the alert (200 with the active one if the
/// member already has one) and how often to share the position meanwhile.
pub async fn raise(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    Json(sos): Json<SosIn>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (alert, new) = app.raise_sos(&p.user, &id, sos).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({ "alert": alert, "share_every_s": SOS_SHARE_EVERY_S })),
    ))
}

/// Cancels a member's active SOS → the closed alert.
pub async fn cancel(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    Json(step): Json<StepIn>,
) -> ApiResult<Json<Value>> {
    let alert = app.cancel_sos(&p.user, &id, step).await?;
    Ok(Json(json!({ "alert": alert })))
}

/// `GET /api/alerts` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `open`, `acknowledged`, `closed`, or `active` (open or
    /// acknowledged).
    state: Option<String>,
    /// The history from the store: raised at or after (ISO 8601 or epoch
    /// ms). Without it: the active alerts and those of the last day.
    from: Option<String>,
    /// Raised before (default now).
    to: Option<String>,
    /// At most this many (default and most 1,000).
    limit: Option<u32>,
}

/// The alerts the user may see, newest first.
pub async fn list(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<ListParams>,
) -> ApiResult<Json<Value>> {
    let wanted: Option<Vec<AlertState>> = match q.state.as_deref() {
        None => None,
        Some("active") => Some(vec![AlertState::Open, AlertState::Acknowledged]),
        Some(s) => Some(vec![AlertState::parse(s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "unknown state {s:?}; states are open, acknowledged, closed, active"
            ))
        })?]),
    };
    let limit = q.limit.unwrap_or(MAX_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_LIMIT}"
        )));
    }
    let mut alerts = match q.from.as_deref() {
        Some(from) => {
            let from = parse_time(from)?;
            let to =
                q.to.as_deref()
                    .map(parse_time)
                    .transpose()?
                    .unwrap_or(now_ms() + 1);
            if to <= from {
                return Err(ApiError::BadRequest("to must be after from".into()));
            }
            app.alert_history(&p.user, from, to, MAX_LIMIT).await?
        }
        None if q.to.is_some() => {
            return Err(ApiError::BadRequest("to needs from".into()));
        }
        None => app.recent_alerts(&p.user, None),
    };
    if let Some(w) = wanted {
        alerts.retain(|a| w.contains(&a.state));
    }
    alerts.truncate(limit as usize);
    Ok(Json(json!({ "alerts": alerts })))
}

/// One alert.
pub async fn get_one(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "alert": app.alert_for(&p.user, &id)? })))
}

/// 认领: a dispatcher takes an open alert (it stops repeating).
pub async fn acknowledge(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    Json(step): Json<StepIn>,
) -> ApiResult<Json<Value>> {
    step_json(&app, &p, &id, AlertAction::Acknowledged, step).await
}

/// Closes an alert (处置完毕) with a note.
pub async fn close(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    Json(step): Json<StepIn>,
) -> ApiResult<Json<Value>> {
    step_json(&app, &p, &id, AlertAction::Closed, step).await
}

async fn step_json(
    app: &App,
    p: &Principal,
    id: &str,
    action: AlertAction,
    step: StepIn,
) -> ApiResult<Json<Value>> {
    let alert = app.step_alert(&p.user, id, action, step).await?;
    Ok(Json(json!({ "alert": alert })))
}
