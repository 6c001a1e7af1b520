//! Prometheus metrics, kept in atomics and rendered as text exposition
//! format 0.0.4 on `GET /metrics`. Hand-written: a handful of counters,
//! gauges and fixed-bucket histograms need no registry.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency histogram buckets, seconds.
const BUCKETS_S: [f64; 16] = [
    0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005,
    0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// A latency histogram with fixed buckets.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS_S.len()],
    count: AtomicU64,
    /// Sum in nanoseconds, so it stays an integer.
    sum_ns: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        if let Some(i) = BUCKETS_S.iter().position(|&b| s <= b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(
            u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (b, n) in BUCKETS_S.iter().zip(&self.buckets) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{b}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {count}");
        let sum = self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        let labels = labels.trim_end_matches(',');
        let labels = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{labels} {sum}");
        let _ = writeln!(out, "{name}_count{labels} {count}");
    }
}

/// The queries whose latency is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Query {
    /// k nearest staff.
    Nearest,
    /// Point → grid and chain.
    Locate,
    /// Cameras that see a point.
    Cameras,
    /// Features within a radius.
    Nearby,
    /// H3 heat map.
    Heatmap,
    /// Features in a box (OGC items, snapshots).
    Viewport,
    /// A staff census pass (人员分布: every member counted per cell, the
    /// changes worked out), under the engine's read lock.
    Census,
}

impl Query {
    const ALL: [Query; 7] = [
        Query::Nearest,
        Query::Locate,
        Query::Cameras,
        Query::Nearby,
        Query::Heatmap,
        Query::Viewport,
        Query::Census,
    ];

    fn label(self) -> &'static str {
        match self {
            Query::Nearest => "nearest",
            Query::Locate => "locate",
            Query::Cameras => "cameras",
            Query::Nearby => "nearby",
            Query::Heatmap => "heatmap",
            Query::Viewport => "viewport",
            Query::Census => "census",
        }
    }
}

/// Every metric the server keeps.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Open WebSocket connections.
    pub ws_connections: AtomicI64,
    /// WebSocket messages received.
    pub ws_messages_in: AtomicU64,
    /// WebSocket messages sent.
    pub ws_messages_out: AtomicU64,
    /// Delta messages a slow viewer's full queue could not take.
    pub queue_drops: AtomicU64,
    /// Viewers sent a fresh snapshot after falling behind.
    pub resyncs: AtomicU64,
    /// Viewers closed for being too slow.
    pub slow_closes: AtomicU64,
    /// Vector tiles cut (a request served from the cache, or from another
    /// request's cut of the same tile, cuts none).
    pub tile_cuts: AtomicU64,
    /// Fixes that moved a live position.
    pub fixes_applied: AtomicU64,
    /// Fixes older than the live position (track only).
    pub fixes_stale: AtomicU64,
    /// Fixes refused (bad input, unknown device, not allowed).
    pub fixes_rejected: AtomicU64,
    /// Track fixes committed to the store.
    pub fixes_persisted: AtomicU64,
    /// Track batches committed.
    pub fix_batches: AtomicU64,
    /// Track batch commits that failed (and were retried).
    pub fix_batch_failures: AtomicU64,
    /// Requests that carried an unknown, revoked or expired token.
    pub auth_failures: AtomicU64,
    /// Logins refused for a wrong username or password.
    pub login_failures: AtomicU64,
    /// Logins refused by the throttle.
    pub login_throttled: AtomicU64,
    /// Fixes whose time was ahead of the server's clock (taken at the
    /// server's time).
    pub fixes_future: AtomicU64,
    /// OsmAnd fixes naming a device no one has.
    pub unknown_devices: AtomicU64,
    /// Background tasks restarted after a panic.
    pub task_restarts: AtomicU64,
    /// Time to commit a batch of fixes.
    pub fix_commit: Histogram,
    /// Time a fix request waits for its fixes to be committed: the queue to
    /// the writer, the group-commit window, the commit.
    pub fix_persist: Histogram,
    /// Time to apply a committed fix request to the engine and the live
    /// hub (and raise its rule alerts), before it is acknowledged.
    pub fix_apply: Histogram,
    queries: [Histogram; Query::ALL.len()],
}

impl Metrics {
    /// Records one query's latency.
    pub fn observe(&self, q: Query, d: Duration) {
        self.queries[q as usize].observe(d);
    }

    /// Adds to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Every counter: name, help, value.
    fn counters(&self) -> [(&'static str, &'static str, &AtomicU64); 18] {
        [
            (
                "riskmap_ws_messages_in_total",
                "WebSocket messages received.",
                &self.ws_messages_in,
            ),
            (
                "riskmap_ws_messages_out_total",
                "WebSocket messages sent.",
                &self.ws_messages_out,
            ),
            (
                "riskmap_queue_drops_total",
                "Delta messages dropped because a viewer's queue was full.",
                &self.queue_drops,
            ),
            (
                "riskmap_resyncs_total",
                "Fresh snapshots sent to viewers that fell behind.",
                &self.resyncs,
            ),
            (
                "riskmap_slow_closes_total",
                "Viewers closed for being too slow.",
                &self.slow_closes,
            ),
            (
                "riskmap_tile_cuts_total",
                "Vector tiles cut (not served from the cache or another request's cut).",
                &self.tile_cuts,
            ),
            (
                "riskmap_fixes_applied_total",
                "Fixes that moved a live position.",
                &self.fixes_applied,
            ),
            (
                "riskmap_fixes_stale_total",
                "Fixes older than the live position.",
                &self.fixes_stale,
            ),
            (
                "riskmap_fixes_rejected_total",
                "Fixes refused.",
                &self.fixes_rejected,
            ),
            (
                "riskmap_fixes_persisted_total",
                "Track fixes committed to the store.",
                &self.fixes_persisted,
            ),
            (
                "riskmap_fix_batches_total",
                "Track batches committed.",
                &self.fix_batches,
            ),
            (
                "riskmap_fix_batch_failures_total",
                "Track batch commits that failed and were retried.",
                &self.fix_batch_failures,
            ),
            (
                "riskmap_auth_failures_total",
                "Requests refused for an unknown, revoked or expired token (not audited: anonymous).",
                &self.auth_failures,
            ),
            (
                "riskmap_login_failures_total",
                "Logins refused for a wrong username or password (not audited: anonymous).",
                &self.login_failures,
            ),
            (
                "riskmap_login_throttled_total",
                "Logins refused by the throttle.",
                &self.login_throttled,
            ),
            (
                "riskmap_task_restarts_total",
                "Background tasks (tick, clock, retention, simulator) restarted after a panic.",
                &self.task_restarts,
            ),
            (
                "riskmap_unknown_devices_total",
                "OsmAnd fixes naming a device no one has.",
                &self.unknown_devices,
            ),
            (
                "riskmap_fixes_future_total",
                "Fixes whose time was ahead of the server's clock, taken at the server's time.",
                &self.fixes_future,
            ),
        ]
    }

    /// The Prometheus text exposition.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        let gauge = |out: &mut String, name: &str, help: &str, v: i64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        };
        let counter = |out: &mut String, name: &str, help: &str, c: &AtomicU64| {
            let v = c.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        gauge(
            &mut out,
            "riskmap_ws_connections",
            "Open WebSocket connections.",
            self.ws_connections.load(Ordering::Relaxed),
        );
        let counters = self.counters();
        for (name, help, c) in counters {
            counter(&mut out, name, help, c);
        }
        let _ = writeln!(
            out,
            "# HELP riskmap_fix_commit_seconds Time to commit a batch of fixes.\n# TYPE riskmap_fix_commit_seconds histogram"
        );
        self.fix_commit
            .render(&mut out, "riskmap_fix_commit_seconds", "");
        let _ = writeln!(
            out,
            "# HELP riskmap_fix_persist_seconds Time a fix request waits for its fixes to be committed (queue, window, commit).\n# TYPE riskmap_fix_persist_seconds histogram"
        );
        self.fix_persist
            .render(&mut out, "riskmap_fix_persist_seconds", "");
        let _ = writeln!(
            out,
            "# HELP riskmap_fix_apply_seconds Time to apply a committed fix request to the live state before it is acknowledged.\n# TYPE riskmap_fix_apply_seconds histogram"
        );
        self.fix_apply
            .render(&mut out, "riskmap_fix_apply_seconds", "");
        let _ = writeln!(
            out,
            "# HELP riskmap_query_seconds Spatial query latency inside the engine.\n# TYPE riskmap_query_seconds histogram"
        );
        for q in Query::ALL {
            self.queries[q as usize].render(
                &mut out,
                "riskmap_query_seconds",
                &format!("query=\"{}\",", q.label()),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_histograms_cumulatively() {
        let m = Metrics::default();
        m.observe(Query::Nearest, Duration::from_micros(3));
        m.observe(Query::Nearest, Duration::from_micros(30));
        let text = m.render();
        assert!(text.contains("riskmap_query_seconds_bucket{query=\"nearest\",le=\"0.000005\"} 1"));
        assert!(text.contains("riskmap_query_seconds_bucket{query=\"nearest\",le=\"0.00005\"} 2"));
        assert!(text.contains("riskmap_query_seconds_count{query=\"nearest\"} 2"));
        assert!(text.contains("riskmap_fix_commit_seconds_count 0"));
    }
}
