//! `POST /api/staff/{id}/duty`: 上岗/离岗 (the rules are the app layer's,
//! `app/duty.rs`).

use std::sync::Arc;

use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::auth::Principal;
use super::error::ApiResult;
use super::extract::Json;
use crate::app::App;
use crate::app::duty::DutyIn;

/// Checks a staff member in or out → `{"staff_id", "duty"}` once committed.
pub async fn change(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    Json(change): Json<DutyIn>,
) -> ApiResult<Json<Value>> {
    let duty = app.change_duty(&p.user, &id, change).await?;
    Ok(Json(json!({ "staff_id": id, "duty": duty })))
}
