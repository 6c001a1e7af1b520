//! `/api/users`: logins, for administrators, each in their own area
//! (分级授权). The rules are the app layer's (`app/accounts.rs`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::auth::Principal;
use super::error::ApiResult;
use super::extract::Json;
use crate::app::App;
use crate::app::accounts::NewAccount;
use crate::identity::{Account, AccountChanges};

/// `GET /api/users`: the logins of the caller's area.
pub async fn list(State(app): State<Arc<App>>, p: Principal) -> ApiResult<Json<Value>> {
    let users = app.accounts(&p.user).await?;
    Ok(Json(json!({ "users": users })))
}

/// `POST /api/users`: a new login in the caller's area.
pub async fn create(
    State(app): State<Arc<App>>,
    p: Principal,
    Json(new): Json<NewAccount>,
) -> ApiResult<(StatusCode, Json<Account>)> {
    let account = app.create_account(&p.user, new).await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// `PATCH /api/users/{username}`: a login's name, role, area, staff
/// member, or disabled.
pub async fn change(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(username): Path<String>,
    Json(changes): Json<AccountChanges>,
) -> ApiResult<Json<Account>> {
    Ok(Json(app.change_account(&p.user, &username, changes).await?))
}
