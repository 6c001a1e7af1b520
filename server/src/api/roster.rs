//! `/api/roster`: 排班, the shifts of each grid (who is due on duty when),
//! and `/api/roster/due`, who is due now and who of them is missing (应到未到).
//! The rules are the app layer's (`app/roster.rs`).

use std::sync::Arc;

use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Principal;
use super::error::ApiResult;
use super::extract::{Json, Query};
use crate::app::App;
use crate::app::roster::DueView;
use crate::roster::Shift;

/// `?area=`: under this area of the user's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaParam {
    /// An area code.
    pub area: Option<String>,
}

/// `PUT /api/roster`'s body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterIn {
    /// Every shift of the administrator's area.
    pub shifts: Vec<Shift>,
}

/// `GET /api/roster`.
pub async fn list(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<AreaParam>,
) -> ApiResult<Json<Value>> {
    let shifts = app.roster_of(&p.user, q.area.as_deref())?;
    Ok(Json(json!({ "shifts": shifts })))
}

/// `PUT /api/roster`: the administrator's area's shifts become those sent.
pub async fn replace(
    State(app): State<Arc<App>>,
    p: Principal,
    Json(body): Json<RosterIn>,
) -> ApiResult<Json<Value>> {
    let (saved, replaced) = app.save_roster(&p.user, body.shifts).await?;
    Ok(Json(json!({ "saved": saved, "replaced": replaced })))
}

/// `GET /api/roster/due`.
pub async fn due(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<AreaParam>,
) -> ApiResult<Json<DueView>> {
    Ok(Json(app.roster_due_now(&p.user, q.area.as_deref())?))
}
