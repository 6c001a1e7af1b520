//! One staff member's own endpoints: the member as the map shows them, and
//! their patrol track (轨迹回放) for replay. Both answer only for a member in
//! the asking user's area (分级授权); anyone else is "no such member".

use std::sync::Arc;

use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Principal;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use crate::app::App;
use crate::clock::now_ms;
use crate::identity::{Scope, User};
use crate::live::protocol::staff_json;
use riskmap_engine::Engine;
use riskmap_engine::staff::Member;

/// `GET /api/staff/{id}`: one staff member, if visible.
pub async fn staff(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let engine = app.engine.read();
    let m = visible(&engine, &p.user, &id)?;
    Ok(Json(staff_json(m, engine.areas())))
}

/// Member `id` if `user` may see them; anyone else is not found, so that an
/// id outside the user's area says nothing about whether it exists.
fn visible<'e>(engine: &'e Engine, user: &User, id: &str) -> ApiResult<&'e Member> {
    let scope = Scope::of(user, engine.areas());
    engine
        .staff()
        .find(id)
        .and_then(|i| engine.staff().get(i))
        .filter(|m| scope.contains(m.home, engine.areas()))
        .ok_or_else(|| ApiError::NotFound(format!("no staff member {id}")))
}

/// `GET /api/staff/{id}/track` parameters.
#[derive(Debug, Deserialize)]
pub struct TrackParams {
    /// From (epoch ms or ISO 8601); default 24 hours ago.
    pub from: Option<String>,
    /// To; default now.
    pub to: Option<String>,
    /// At most this many fixes (default and maximum 10,000).
    pub limit: Option<u32>,
}

/// Most fixes in one track answer.
const MAX_TRACK_FIXES: u32 = 10_000;

/// The longest window one track replay may span: the store's work is bound
/// by the limit, and a window beyond a week is a request for several
/// answers (a longer one is refused, not clamped, so that no client takes
/// a week for everything it asked).
const MAX_TRACK_WINDOW_MS: i64 = 7 * 86_400_000;

/// `GET /api/staff/{id}/track`: a patrol track, oldest first; `truncated`
/// says whether the window held more fixes than the limit.
pub async fn track(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<TrackParams>,
) -> ApiResult<Json<Value>> {
    visible(&app.engine.read(), &p.user, &id)?;
    let now = now_ms();
    let time = |s: &Option<String>, default: i64| -> ApiResult<i64> {
        s.as_deref().map_or(Ok(default), |s| {
            riskmap_wire::time::parse_time(s).map_err(ApiError::from)
        })
    };
    let from = time(&q.from, now - 24 * 3600 * 1000)?;
    let to = time(&q.to, now)?;
    if to.saturating_sub(from) > MAX_TRACK_WINDOW_MS {
        return Err(ApiError::BadRequest(format!(
            "the window from {from} to {to} is longer than 7 days, the most one track answer \
             covers; ask for it in parts"
        )));
    }
    let limit = q.limit.unwrap_or(MAX_TRACK_FIXES).min(MAX_TRACK_FIXES);
    // One more than the limit: whether there is more is the one fix past it.
    let mut fixes = app.store.track(&id, from, to, limit + 1).await?;
    let truncated = fixes.len() > limit as usize;
    fixes.truncate(limit as usize);
    let fixes: Vec<Value> = fixes
        .iter()
        .map(|f| {
            json!({
                "lon": f.position.lon, "lat": f.position.lat, "t": f.fix_time_ms,
                "speed": f.speed_mps, "heading": f.heading_deg, "accuracy": f.accuracy_m,
            })
        })
        .collect();
    Ok(Json(
        json!({ "staff_id": id, "from": from, "to": to, "fixes": fixes, "truncated": truncated }),
    ))
}
