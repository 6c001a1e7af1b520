//! `GET /api/audit`: the append-only audit log of what authenticated
//! principals did (docs/protocol.md, "Audit log").

use std::sync::Arc;

use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Principal;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use crate::app::App;
use crate::clock::now_ms;
use crate::identity::{Scope, UserRole};
use riskmap_wire::time::parse_time;

/// `GET /api/audit` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// From (epoch ms or ISO 8601; default 24 hours ago).
    pub from: Option<String>,
    /// To (default now).
    pub to: Option<String>,
    /// One user's entries.
    pub username: Option<String>,
    /// At most (default 1000, at most 10,000).
    pub limit: Option<u32>,
}

/// `GET /api/audit`: administrators only. The system administrator (bound
/// to no area) reads every entry; one bound to a district reads the entries
/// of principals whose area lies in its subtree (docs/SECURITY.md).
pub async fn audit(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<AuditParams>,
) -> ApiResult<Json<Value>> {
    p.require(&[UserRole::Admin])?;
    let now = now_ms();
    let time = |s: Option<&str>, default: i64| {
        s.map_or(Ok(default), |s| parse_time(s).map_err(ApiError::from))
    };
    let from = time(q.from.as_deref(), now - 86_400_000)?;
    let to = time(q.to.as_deref(), now + 1)?;
    let limit = q.limit.unwrap_or(1000);
    if limit == 0 || limit > 10_000 {
        return Err(ApiError::BadRequest("limit must be 1 to 10000".into()));
    }
    let areas = {
        let engine = app.engine.read();
        Scope::of(&p.user, engine.areas()).area_codes(engine.areas())
    };
    let entries = app
        .store
        .audit_between(from, to, q.username.as_deref(), areas.as_deref(), limit)
        .await?;
    Ok(Json(json!({ "entries": entries })))
}
