//! The once-only jobs under the lease: every second the node bids for the
//! lease (or confirms it holds it); the holder sweeps the outbox each
//! second and prunes old tracks each hour. Each run first claims its job
//! and time slot in the store, so that two nodes that both believe they
//! hold the lease for a moment (one cut off from the database, its lock
//! already gone) never run the same slot twice.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;

use super::{Log, relay};
use crate::app::App;
use crate::clock::now_ms;
use crate::store::lease::Lease;

/// The advisory lock key of the jobs' lease ("riskmap" in ASCII).
pub const LEASE_KEY: i64 = 0x0072_6973_6b6d_6170;

/// How often the lease is bid for, and the outbox swept.
pub const EVERY: Duration = Duration::from_secs(1);

/// How old an outbox record must be before the sweeper sends it (younger
/// ones are still their own node's to send).
pub const SWEEP_AFTER_MS: i64 = 3_000;

/// Records the sweeper sends per second at most (a record holds up to
/// 1,000 fixes: about 150 KB).
const SWEEP_BATCH: u32 = 200;

/// The job names, as `job_runs` records them.
pub const SWEEP: &str = "outbox sweep";
/// Track retention.
pub const RETENTION: &str = "track retention";

/// Runs the lease and the jobs until `stop`; `holder` tells other tasks
/// (the demo simulator) whether this node holds the lease.
pub async fn run(
    app: Arc<App>,
    log: Log,
    database_url: String,
    retention_days: u32,
    holder: watch::Sender<bool>,
    mut stop: watch::Receiver<bool>,
) {
    let Some(link) = app.cluster.clone() else {
        return;
    };
    let mut lease = Lease::new(&database_url, LEASE_KEY);
    let mut every = tokio::time::interval(EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let held = lease.poll().await;
        let was = link.gauges.lease_holder.swap(held, Ordering::AcqRel);
        if held != was {
            tracing::info!(node = %link.node, held, "the jobs' lease changed hands");
            if held {
                link.gauges
                    .lease_since_ms
                    .store(now_ms(), Ordering::Relaxed);
            }
            let _ = holder.send(held);
        }
        if !held {
            continue;
        }
        let now = now_ms();
        if claim(&app, SWEEP, now / 1000, &link.node).await {
            sweep(&app, &log, now).await;
        }
        let hour = now / 3_600_000;
        if claim(&app, RETENTION, hour, &link.node).await {
            let before = now - i64::from(retention_days) * 24 * 3_600_000;
            match app.store.prune_tracks(before).await {
                Ok(n) if n > 0 => tracing::info!(deleted = n, "pruned old track fixes"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "pruning tracks failed"),
            }
        }
    }
}

/// Claims a job's slot for this node; false if it ran already (or the
/// store cannot say: then it does not run).
async fn claim(app: &App, job: &str, slot: i64, node: &str) -> bool {
    match app.store.claim_run(job, slot, node, now_ms()).await {
        Ok(claimed) => claimed,
        Err(e) => {
            tracing::warn!(error = %e, job, "claiming a job's run failed");
            false
        }
    }
}

/// Publishes the records that waited in the outbox for longer than their
/// node should have taken (it died, or NATS was down), oldest first.
async fn sweep(app: &App, log: &Log, now: i64) {
    let waiting = match app
        .store
        .outbox_waiting(now - SWEEP_AFTER_MS, SWEEP_BATCH)
        .await
    {
        Ok(w) if !w.is_empty() => w,
        Ok(_) => return,
        Err(e) => {
            tracing::warn!(error = %e, "reading the outbox failed");
            return;
        }
    };
    let sent = relay::publish(log, &waiting).await;
    if let Some(link) = &app.cluster {
        link.gauges
            .swept
            .fetch_add(sent.len() as u64, Ordering::Relaxed);
    }
    if let Err(e) = app.store.outbox_sent(&sent).await {
        tracing::warn!(error = %e, "clearing swept records from the outbox failed");
    }
}
