//! `/api/departments`: the departments (部门, 网格+) incidents are routed
//! to. Anyone reads those serving their area; administrators save those of
//! their subtree, one or many (JSON, or a GeoJSON FeatureCollection whose
//! features' properties are departments). The rules are the app layer's
//! (`app/departments.rs`).

use std::sync::Arc;

use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Principal;
use super::error::ApiResult;
use super::extract::{Json, Query};
use crate::app::App;
use crate::app::departments::DepartmentError;
use crate::org::read_departments;

/// `GET /api/departments` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// An area code: the departments serving that place (its own and those
    /// above it).
    pub area: Option<String>,
    /// One department type (综治中心, 派出所 …).
    pub kind: Option<String>,
}

/// `GET /api/departments`.
pub async fn list(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<ListParams>,
) -> ApiResult<Json<Value>> {
    let list = app
        .departments_for(&p.user, q.area.as_deref(), q.kind.as_deref())
        .await?;
    Ok(Json(json!({ "departments": list })))
}

/// `POST /api/departments`: `{"departments": […]}` or a FeatureCollection.
pub async fn save(
    State(app): State<Arc<App>>,
    p: Principal,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let list = read_departments(body).map_err(DepartmentError::from)?;
    let saved = app.save_departments(&p.user, list).await?;
    Ok(Json(json!({ "saved": saved })))
}
