//! `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/me`, and the
//! extractor every protected handler takes.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{FromRequestParts, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{ApiError, ApiResult};
use super::extract::Json;
use super::guard::{ClientAddr, too_many};
use crate::app::App;
use crate::app::accounts::AccountError;
use crate::identity::AuthError;
use crate::identity::{User, UserRole};
use crate::metrics::Metrics;
use crate::store::Session;

/// The authenticated user of a request. Cheap to clone (the guard hands it
/// to the handler through the request's extensions): the user and session
/// are the session cache's own.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Who.
    pub user: Arc<User>,
    /// The bearer token (for logout).
    pub token: Arc<str>,
    /// Its session (when it expires).
    pub session: Arc<Session>,
}

impl Principal {
    /// Refuses unless the user has one of `roles`.
    pub fn require(&self, roles: &[UserRole]) -> ApiResult<()> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this needs the role {}; you are {}",
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(" or "),
                self.user.role.as_str()
            )))
        }
    }
}

/// The bearer token of a request: `Authorization: Bearer …`, or on `/ws`
/// only, `?token=` (browsers cannot set headers on a WebSocket; anywhere
/// else a token in the URL would end up in logs and links).
#[must_use]
pub fn bearer(parts: &Parts) -> Option<String> {
    if let Some(h) = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
    {
        let h = h.trim();
        if h.len() > 7 && h[..7].eq_ignore_ascii_case("bearer ") {
            return Some(h[7..].trim().to_owned());
        }
    }
    if parts.uri.path() != "/ws" {
        return None;
    }
    parts.uri.query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "token")
            .map(|(_, v)| v.to_owned())
    })
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    /// The guard checked the token once and left its user here.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Principal>().cloned().ok_or_else(|| {
            ApiError::Unauthorized(
                "log in first: send Authorization: Bearer <token> from POST /api/auth/login".into(),
            )
        })
    }
}

/// Login body.
#[derive(Debug, Deserialize)]
pub struct Login {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// `POST /api/auth/login` → `{"token", "expires_ms", "user"}`.
/// Failed attempts are throttled per username and per client address
/// (429 with `Retry-After`); every attempt is in the audit log.
pub async fn login(
    State(app): State<Arc<App>>,
    Extension(ClientAddr(addr)): Extension<ClientAddr>,
    Json(body): Json<Login>,
) -> Response {
    if body.username.len() > 128 || body.password.len() > 1024 {
        return ApiError::BadRequest("username or password too long".into()).into_response();
    }
    let attempt = match app.logins.admit(&body.username, &addr) {
        Ok(attempt) => attempt,
        Err(wait) => {
            Metrics::add(&app.metrics.login_throttled, 1);
            return too_many(wait, "too many failed logins for this user or address");
        }
    };
    match app.auth.login(&body.username, &body.password).await {
        Ok((token, session, user)) => {
            attempt.succeeded();
            app.audit.record(&user, "login", 200, &addr).await;
            session_answer(&token, &session, &user).into_response()
        }
        Err(AuthError::BadCredentials) => {
            attempt.failed();
            Metrics::add(&app.metrics.login_failures, 1);
            ApiError::Unauthorized("wrong username or password".into()).into_response()
        }
        Err(e) => {
            attempt.void();
            ApiError::from(e).into_response()
        }
    }
}

/// `POST /api/auth/password` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password the login has now.
    pub current_password: String,
    /// The one it is to have.
    pub new_password: String,
}

/// `POST /api/auth/password` → `{"token", "expires_ms", "user"}`: the
/// caller changes their own password. Every session of the login ends (this
/// one too) and a new one is opened. Wrong current passwords are throttled
/// as failed logins are: a token left open must not let anyone guess it.
pub async fn change_password(
    State(app): State<Arc<App>>,
    Extension(ClientAddr(addr)): Extension<ClientAddr>,
    p: Principal,
    Json(body): Json<PasswordChange>,
) -> Response {
    if body.current_password.len() > 1024 || body.new_password.len() > 1024 {
        return ApiError::BadRequest("password too long".into()).into_response();
    }
    let attempt = match app.logins.admit(&p.user.username, &addr) {
        Ok(attempt) => attempt,
        Err(wait) => {
            Metrics::add(&app.metrics.login_throttled, 1);
            return too_many(wait, "too many wrong passwords for this user or address");
        }
    };
    match app
        .change_own_password(&p.user, &body.current_password, &body.new_password)
        .await
    {
        Ok((token, session, user)) => {
            attempt.succeeded();
            session_answer(&token, &session, &user).into_response()
        }
        Err(AccountError::Auth(AuthError::WrongPassword)) => {
            attempt.failed();
            ApiError::WrongPassword("the current password is wrong".into()).into_response()
        }
        Err(e) => {
            attempt.void();
            ApiError::from(e).into_response()
        }
    }
}

/// What a login (or a password change) answers: the token, when it
/// expires, and who.
fn session_answer(token: &str, session: &Session, user: &User) -> Json<Value> {
    Json(json!({
        "token": token,
        "expires_ms": session.expires_ms,
        "user": user,
    }))
}

/// `POST /api/auth/logout`: the token stops working at once.
pub async fn logout(State(app): State<Arc<App>>, p: Principal) -> ApiResult<Json<Value>> {
    app.logout(&p.token, &p.session.token_hash, &p.user.username)
        .await?;
    Ok(Json(json!({ "ok": true })))
}

/// `GET /api/me`: who the token belongs to, and their area.
pub async fn me(State(app): State<Arc<App>>, p: Principal) -> ApiResult<Json<Value>> {
    let engine = app.engine.read();
    let area = engine.areas().idx(&p.user.area).map(|i| {
        let a = engine.areas().get(i);
        json!({ "code": a.code, "name": a.name, "level": a.level })
    });
    Ok(Json(json!({ "user": p.user, "area": area })))
}
