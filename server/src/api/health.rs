//! `GET /health` (alive), `GET /ready` (store reachable, engine loaded),
//! `GET /metrics` (Prometheus). No token needed: probes and scrapers.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::app::App;

/// Alive as long as it answers.
pub async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 when the engine is loaded and the store answers; 503 with the reason
/// otherwise.
pub async fn ready(State(app): State<Arc<App>>) -> Response {
    match app.ready().await {
        Ok(()) => Json(json!({ "status": "ready", "store": app.store.kind() })).into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "degraded", "store": app.store.kind(), "reason": reason })),
        )
            .into_response(),
    }
}

/// Prometheus text exposition.
pub async fn metrics(State(app): State<Arc<App>>) -> Response {
    let mut text = app.metrics.render();
    let staff = app.engine.read().staff().len();
    let _ = write!(
        text,
        "# HELP riskmap_staff Staff members in memory.\n# TYPE riskmap_staff gauge\nriskmap_staff {staff}\n\
         # HELP riskmap_viewers Connected WebSocket clients.\n# TYPE riskmap_viewers gauge\nriskmap_viewers {}\n",
        app.hub.viewer_count()
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
