//! Around every route: the per-token request rate, the client's address for
//! handlers, and the audit of writes (docs/protocol.md, "Limits" and
//! "Audit log").

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::bearer;
use super::error::ApiError;
use crate::app::App;
use crate::clock::now_ms;
use crate::identity::User;
use crate::net::Peer;
use crate::store::AuditEntry;

/// The client's address, as handlers see it.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

/// Writes that are telemetry, not decisions: their record is the track.
const TELEMETRY: [&str; 2] = ["/api/fixes", "/osmand"];

/// A 429 with `Retry-After`.
#[must_use]
pub fn too_many(wait: Duration, what: &str) -> Response {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut r = ApiError::TooMany(format!("{what}; retry in {secs} s")).into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// The guard middleware.
pub async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let addr = parts.extensions.get::<ConnectInfo<Peer>>().map_or_else(
        || "unknown".to_owned(),
        |c| {
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok());
            app.trusted_proxies
                .client(c.0.0.ip(), forwarded)
                .to_string()
        },
    );
    parts.extensions.insert(ClientAddr(addr.clone()));
    let token = bearer(&parts);
    if let Some(t) = &token
        && let Err(wait) = app.rates.allow(t)
    {
        return too_many(
            wait,
            &format!(
                "rate limit: more than {} requests per second with this token",
                app.rates.per_second()
            ),
        );
    }
    let path = parts.uri.path();
    // Only writes are audited: reads (most requests) build no audit entry.
    let action = (!matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
        && !TELEMETRY.contains(&path)
        && path != "/api/auth/login")
        .then(|| format!("{} {path}", parts.method));
    let response = next.run(Request::from_parts(parts, body)).await;
    if let Some(action) = action {
        let user = match &token {
            Some(t) => app.auth.authenticate(t).await.ok().map(|(_, u)| u),
            None => None,
        };
        record(
            &app,
            user.as_ref(),
            "-",
            &action,
            response.status().as_u16(),
            &addr,
        )
        .await;
    }
    response
}

/// Appends an audit entry; a failure is logged (the write it records has
/// happened either way).
pub async fn record(
    app: &App,
    user: Option<&User>,
    username: &str,
    action: &str,
    status: u16,
    addr: &str,
) {
    let entry = AuditEntry {
        seq: 0,
        at_ms: now_ms(),
        username: user.map_or(username, |u| u.username.as_str()).to_owned(),
        role: user.map(|u| u.role.as_str()).unwrap_or_default().to_owned(),
        area: user.map(|u| u.area.clone()).unwrap_or_default(),
        action: action.to_owned(),
        status: i64::from(status),
        ip: addr.to_owned(),
    };
    if let Err(e) = app.store.append_audit(&entry).await {
        tracing::error!(error = %e, action, "the audit log could not be written");
    }
}
