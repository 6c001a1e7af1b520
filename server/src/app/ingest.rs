//! The track writer: fixes are committed to the store in batches (group
//! commit), and a request that delivered fixes is acknowledged only once its
//! fixes are committed.
//!
//! Positions move once their fixes are committed (the writer hands them
//! back for the app layer to apply), so viewers and dispatch see only what
//! survives a crash, while the store sees one transaction per batch of
//! requests instead of one per fix. If the store is down,
//! the writer retries with backoff; callers wait (bounded by the queue and
//! by [`IngestConfig::give_up_after`]) and are told if their fixes could not
//! be committed, so nothing acknowledged is ever lost.

use std::sync::Arc;
use std::time::{Duration, Instant};

use thiserror::Error;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::event::StaffFix;
use crate::metrics::Metrics;
use crate::store::{Store, TrackPoint};

/// Tuning of the writer.
#[derive(Debug, Clone, Copy)]
pub struct IngestConfig {
    /// Largest batch committed in one transaction.
    pub max_batch: usize,
    /// How long the writer waits for more fixes before committing a batch.
    pub window: Duration,
    /// Requests waiting for a commit; beyond this, senders wait.
    pub queue: usize,
    /// How long a batch is retried before its requests are failed.
    pub give_up_after: Duration,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            // A commit's cost is mostly the pages it dirties: one index leaf
            // and one staff row per staff member moved, whatever the number
            // of fixes each sent. Under load a larger batch therefore costs
            // little more than a smaller one (measured on SQLite: 10,000
            // fixes per batch held ingest near 20,000 fixes/s, see
            // docs/PERFORMANCE.md); batches only grow this large while
            // earlier commits are under way.
            max_batch: 100_000,
            window: Duration::from_millis(2),
            queue: 4_096,
            give_up_after: Duration::from_secs(30),
        }
    }
}

/// Why fixes were not committed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum IngestError {
    /// The store could not take them in time; the client should retry.
    #[error("the store is unavailable; nothing was saved, retry later")]
    Unavailable,
    /// The server is shutting down.
    #[error("the server is shutting down; retry later")]
    ShuttingDown,
}

struct Pending {
    points: Vec<StaffFix>,
    /// Gets the fixes back once they are committed, to apply them.
    done: oneshot::Sender<Result<Vec<StaffFix>, IngestError>>,
}

/// The handle requests use to persist fixes.
#[derive(Clone)]
pub struct Ingest {
    tx: mpsc::Sender<Pending>,
}

impl Ingest {
    /// Starts the writer task; it ends when every handle is dropped and the
    /// queue is drained.
    /// Starts the writer task. It ends when `drain` turns true (at
    /// shutdown, once the listeners stopped): it takes no more fixes, commits
    /// those queued, and ends; a fix sent after that is refused, never
    /// acknowledged unsaved.
    pub fn start(
        store: Arc<dyn Store>,
        metrics: Arc<Metrics>,
        config: IngestConfig,
        drain: watch::Receiver<bool>,
    ) -> (Ingest, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(config.queue);
        let task = tokio::spawn(write_loop(rx, store, metrics, config, drain));
        (Ingest { tx }, task)
    }

    /// Queues fixes and waits until they are committed; hands them back.
    pub async fn persist(&self, points: Vec<StaffFix>) -> Result<Vec<StaffFix>, IngestError> {
        if points.is_empty() {
            return Ok(points);
        }
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Pending { points, done })
            .await
            .map_err(|_| IngestError::ShuttingDown)?;
        wait.await.map_err(|_| IngestError::ShuttingDown)?
    }
}

async fn write_loop(
    mut rx: mpsc::Receiver<Pending>,
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    config: IngestConfig,
    mut drain: watch::Receiver<bool>,
) {
    loop {
        let Some(first) = next_or_drain(&mut rx, &mut drain).await else {
            break;
        };
        let mut waiting = vec![first];
        let mut n = waiting[0].points.len();
        let deadline = tokio::time::Instant::now() + config.window;
        while n < config.max_batch {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(p)) => {
                    n += p.points.len();
                    waiting.push(p);
                }
                _ => break,
            }
        }
        let outcome = commit(&*store, &metrics, &waiting, config.give_up_after).await;
        for p in waiting {
            let _ = p.done.send(outcome.clone().map(|()| p.points));
        }
    }
}

/// The next message; once `drain` turns true, no new ones are taken (their
/// senders are refused) and those queued are still handed out, then `None`.
pub(super) async fn next_or_drain<T>(
    rx: &mut mpsc::Receiver<T>,
    drain: &mut watch::Receiver<bool>,
) -> Option<T> {
    let draining = tokio::select! {
        item = rx.recv() => return item,
        // (An error: the server was dropped without a shutdown; the queue
        // then ends when its last sender goes.)
        done = drain.wait_for(|d| *d) => done.is_ok(),
    };
    if draining {
        rx.close();
    }
    rx.recv().await
}

/// Commits one batch, retrying with backoff until it lands or time is up.
async fn commit(
    store: &dyn Store,
    metrics: &Metrics,
    waiting: &[Pending],
    give_up_after: Duration,
) -> Result<(), IngestError> {
    let points: Vec<TrackPoint<'_>> = waiting
        .iter()
        .flat_map(|p| p.points.iter())
        .map(|p| TrackPoint {
            staff_id: &p.staff_id,
            fix: p.fix,
        })
        .collect();
    let started = Instant::now();
    let mut backoff = Duration::from_millis(50);
    loop {
        let t = Instant::now();
        match store.append_fixes(&points).await {
            Ok(()) => {
                metrics.fix_commit.observe(t.elapsed());
                Metrics::add(&metrics.fix_batches, 1);
                Metrics::add(&metrics.fixes_persisted, points.len() as u64);
                return Ok(());
            }
            Err(e) => {
                Metrics::add(&metrics.fix_batch_failures, 1);
                if started.elapsed() >= give_up_after {
                    tracing::error!(error = %e, fixes = points.len(), "giving up on a batch of fixes");
                    return Err(IngestError::Unavailable);
                }
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis(), "committing fixes failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        }
    }
}
