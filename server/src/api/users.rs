//! `/api/users`: logins, for administrators, each in their own area
//! (分级授权). The rules are the app layer's (`app/accounts.rs`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::auth::Principal;
use super::error::{ApiError, ApiResult};
use super::extract::Json;
use crate::app::App;
use crate::app::accounts::NewAccount;
use crate::identity::{Account, AccountChanges};

/// `POST /api/users/{username}/password` body.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// The password its owner must change at the next login.
    pub password: String,
}

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

/// `POST /api/users/{username}/password`: a new password for a login of the
/// caller's area, which its owner must change at the next login; its
/// sessions end at once.
pub async fn reset_password(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(username): Path<String>,
    Json(body): Json<NewPassword>,
) -> ApiResult<Json<Account>> {
    if body.password.len() > 1024 {
        return Err(ApiError::BadRequest("password too long".into()));
    }
    Ok(Json(
        app.reset_password(&p.user, &username, &body.password)
            .await?,
    ))
}
