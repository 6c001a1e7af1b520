//! Around every route: the client's address (behind trusted proxies, the
//! one they name), the bearer token checked once (its user handed to the
//! handlers), the per-token request rate, a limit on invalid tokens per
//! address, and the audit of what authenticated users write
//! (docs/protocol.md, "Limits" and "Audit log").

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::{Principal, bearer};
use super::error::ApiError;
use crate::app::App;
use crate::identity::AuthError;
use crate::metrics::Metrics;
use crate::net::Peer;

/// The client's address, as handlers see it.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

/// Writes that are telemetry, not decisions: their record is the track.
const TELEMETRY: [&str; 2] = ["/api/fixes", "/osmand"];

/// A 429 with `Retry-After`.
#[must_use]
pub fn too_many(wait: Duration, what: &str) -> Response {
    ApiError::retry_after(wait, what).into_response()
}

/// Tells handlers the client's address (the OsmAnd listener has only this
/// of the guard: it takes no tokens).
pub async fn client_address(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let addr = client_addr(&app, &parts);
    parts.extensions.insert(ClientAddr(addr));
    next.run(Request::from_parts(parts, body)).await
}

/// The guard middleware.
pub async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let addr = client_addr(&app, &parts);
    parts.extensions.insert(ClientAddr(addr.clone()));
    let principal = match bearer(&parts) {
        None => None,
        Some(token) => match authenticate(&app, token, &addr).await {
            Ok(p) => Some(p),
            Err(refusal) => return refusal,
        },
    };
    if let Some(p) = &principal
        && p.user.must_change_password
        && !allowed_before_password_change(&parts)
    {
        return ApiError::PasswordChangeRequired(format!(
            "{} must choose a new password first: POST /api/auth/password",
            p.user.username
        ))
        .into_response();
    }
    // Only authenticated writes are audited: reads (most requests) build no
    // entry, and anonymous failures are counted in metrics, not stored.
    let action = principal.as_ref().and_then(|_| audited_action(&parts));
    if let Some(p) = &principal {
        parts.extensions.insert(p.clone());
    }
    let response = next.run(Request::from_parts(parts, body)).await;
    if let (Some(action), Some(p)) = (action, principal) {
        app.audit
            .record(&p.user, &action, response.status().as_u16(), &addr)
            .await;
    }
    response
}

/// The client's address: the TCP peer, or behind a trusted proxy the one
/// it names.
fn client_addr(app: &App, parts: &Parts) -> String {
    parts.extensions.get::<ConnectInfo<Peer>>().map_or_else(
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
    )
}

/// Checks a bearer token once per request (a hash lookup while its cache
/// entry is fresh) and takes one request from its rate. Unknown tokens cost
/// a store lookup each, so an address sending many invalid ones is slowed
/// down before it gets to ask (tokens known to have been valid are read
/// again without limit, so the others behind that address are not held
/// up); only a verified token has a rate of its own (random tokens cannot
/// open fresh buckets).
async fn authenticate(app: &App, token: String, addr: &str) -> Result<Principal, Response> {
    let (session, user) = if let Some(found) = app.auth.cached(&token) {
        found
    } else {
        if !app.auth.knows(&token)
            && let Some(wait) = app.bad_tokens.wait(addr)
        {
            return Err(too_many(
                wait,
                "too many requests with invalid tokens from this address",
            ));
        }
        match app.auth.authenticate(&token).await {
            Ok(found) => found,
            Err(e @ AuthError::BadToken) => {
                let _ = app.bad_tokens.allow(addr);
                Metrics::add(&app.metrics.auth_failures, 1);
                return Err(ApiError::from(e).into_response());
            }
            Err(e) => return Err(ApiError::from(e).into_response()),
        }
    };
    if let Err(wait) = app.rates.allow(&token) {
        return Err(too_many(
            wait,
            &format!(
                "rate limit: more than {} requests per second with this token",
                app.rates.per_second()
            ),
        ));
    }
    Ok(Principal {
        user,
        token: token.into(),
        session,
    })
}

/// What a login that must change its password may still ask: who it is,
/// the change itself, and to log out.
fn allowed_before_password_change(parts: &Parts) -> bool {
    matches!(
        (&parts.method, parts.uri.path()),
        (&Method::GET, "/api/me") | (&Method::POST, "/api/auth/password" | "/api/auth/logout")
    )
}

/// `METHOD /path` of a write worth auditing, if this request is one.
fn audited_action(parts: &Parts) -> Option<String> {
    let path = parts.uri.path();
    (!matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
        && !TELEMETRY.contains(&path)
        && path != "/api/auth/login")
        .then(|| format!("{} {path}", parts.method))
}
