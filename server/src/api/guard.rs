//! Around every route: the per-token request rate, the client's address for
//! handlers, and the audit of writes (docs/protocol.md, "Limits" and
//! "Audit log").

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::IncomingStream;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Principal, bearer};
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use crate::access::{User, UserRole};
use crate::app::{App, parse_time};
use crate::auth::now_ms;
use crate::serve::NoDelayListener;
use crate::store::AuditEntry;
use crate::tls::TlsListener;

/// The peer of a connection, plain or TLS (what `ConnectInfo` carries).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

impl Connected<IncomingStream<'_, NoDelayListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, NoDelayListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

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
    let addr = parts
        .extensions
        .get::<ConnectInfo<Peer>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.0.ip().to_string());
    parts.extensions.insert(ClientAddr(addr.clone()));
    let token = bearer(&parts);
    if let Some(t) = &token
        && let Err(wait) = app.guard.rates.allow(t)
    {
        return too_many(
            wait,
            &format!(
                "rate limit: more than {} requests per second with this token",
                app.guard.rates.per_second()
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

/// `GET /api/audit`: system administrators only.
pub async fn audit(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<AuditParams>,
) -> ApiResult<Json<Value>> {
    p.require(&[UserRole::Admin])?;
    let now = now_ms();
    let time = |s: Option<&str>, default: i64| {
        s.map_or(Ok(default), |s| parse_time(s).map_err(ApiError::BadRequest))
    };
    let from = time(q.from.as_deref(), now - 86_400_000)?;
    let to = time(q.to.as_deref(), now + 1)?;
    let limit = q.limit.unwrap_or(1000);
    if limit == 0 || limit > 10_000 {
        return Err(ApiError::BadRequest("limit must be 1 to 10000".into()));
    }
    let entries = app
        .store
        .audit_between(from, to, q.username.as_deref(), limit)
        .await?;
    Ok(Json(json!({ "entries": entries })))
}
