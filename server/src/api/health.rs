//! `GET /health` (alive), `GET /ready` (store reachable, engine loaded),
//! `GET /metrics` (Prometheus). No token needed: probes and scrapers.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::app::cluster::ClusterLink;

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
    if let Some(c) = &app.cluster {
        cluster_metrics(&mut text, c);
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// A cluster node's figures: its log lag, what it applied and published,
/// and whether it holds the lease. Labelled with the node, so that one
/// dashboard can show every node side by side.
fn cluster_metrics(text: &mut String, c: &ClusterLink) {
    use std::sync::atomic::Ordering::Relaxed;
    let g = &c.gauges;
    let node = &c.node;
    let rows: [(&str, &str, &str, u64); 9] = [
        (
            "riskmap_cluster_log_lag",
            "gauge",
            "Records in the cluster's log not yet applied here.",
            g.lag.load(Relaxed),
        ),
        (
            "riskmap_cluster_log_sequence",
            "gauge",
            "The log's sequence applied here last.",
            g.last_seq.load(Relaxed),
        ),
        (
            "riskmap_cluster_applied_total",
            "counter",
            "Records of other nodes applied here.",
            g.applied.load(Relaxed),
        ),
        (
            "riskmap_cluster_own_total",
            "counter",
            "Records of this node seen in the log (applied when committed).",
            g.own.load(Relaxed),
        ),
        (
            "riskmap_cluster_failed_total",
            "counter",
            "Records that could not be applied.",
            g.failed.load(Relaxed),
        ),
        (
            "riskmap_cluster_published_total",
            "counter",
            "Records this node published after committing them.",
            g.published.load(Relaxed),
        ),
        (
            "riskmap_cluster_swept_total",
            "counter",
            "Records the sweeper published for a node that had not.",
            g.swept.load(Relaxed),
        ),
        (
            "riskmap_cluster_caught_up",
            "gauge",
            "1 once this node has caught up with the log since it started.",
            u64::from(g.caught_up.load(Relaxed)),
        ),
        (
            "riskmap_cluster_lease_holder",
            "gauge",
            "1 if this node holds the lease of the once-only jobs.",
            u64::from(g.lease_holder.load(Relaxed)),
        ),
    ];
    for (name, kind, help, v) in rows {
        let _ = writeln!(
            text,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{node=\"{node}\"}} {v}"
        );
    }
}
