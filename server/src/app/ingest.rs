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
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::cluster::{Change, ClusterLink, Shipment};
use crate::event::{DomainEvent, StaffFix};
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
    /// Bytes of fixes waiting for a commit, at most (bounds memory while the
    /// store is slow or down); beyond it, fixes are refused at once.
    pub max_waiting_bytes: usize,
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
            max_waiting_bytes: 256 * 1024 * 1024,
        }
    }
}

/// Fixes in one record of the cluster's log at most.
const FIXES_PER_RECORD: usize = 1_000;

/// Why fixes were not committed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum IngestError {
    /// The store could not take them in time; the client should retry.
    #[error("the store is unavailable; nothing was saved, retry later")]
    Unavailable,
    /// The server is shutting down.
    #[error("the server is shutting down; retry later")]
    ShuttingDown,
    /// Too many fixes already wait for the store (it is slow or down).
    #[error("the server is behind saving fixes; nothing was saved, retry later")]
    Behind,
    /// The store refused the batch for a reason retrying will not change.
    #[error("the store refused the fixes; nothing was saved")]
    Refused,
}

struct Pending {
    points: Vec<StaffFix>,
    /// Gets the fixes back once they are committed, to apply them.
    done: oneshot::Sender<Result<Vec<StaffFix>, IngestError>>,
    /// Its share of the byte budget, returned when it is done.
    _budget: OwnedSemaphorePermit,
}

/// The handle requests use to persist fixes.
#[derive(Clone)]
pub struct Ingest {
    tx: mpsc::Sender<Pending>,
    /// KiB of fixes that may wait for a commit.
    budget: Arc<Semaphore>,
}

/// A batch's size in the budget's unit (KiB, at least one).
fn kib_of(points: &[StaffFix]) -> u32 {
    let bytes: usize = points
        .iter()
        .map(|p| size_of::<StaffFix>() + p.staff_id.len())
        .sum();
    u32::try_from(bytes.div_ceil(1024).max(1)).unwrap_or(u32::MAX)
}

impl Ingest {
    /// Starts the writer task. It ends when `drain` turns true (at
    /// shutdown, once the listeners stopped): it takes no more fixes, commits
    /// those queued, and ends; a fix sent after that is refused, never
    /// acknowledged unsaved.
    pub fn start(
        store: Arc<dyn Store>,
        metrics: Arc<Metrics>,
        config: IngestConfig,
        cluster: Option<Arc<ClusterLink>>,
        drain: watch::Receiver<bool>,
    ) -> (Ingest, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(config.queue);
        let budget = Arc::new(Semaphore::new(config.max_waiting_bytes.div_ceil(1024)));
        let writer = Writer {
            store,
            metrics,
            cluster,
            give_up_after: config.give_up_after,
        };
        let task = tokio::spawn(write_loop(rx, writer, config, drain));
        (Ingest { tx, budget }, task)
    }

    /// Queues fixes and waits until they are committed; hands them back.
    /// Refused at once when the fixes already waiting fill the byte budget.
    pub async fn persist(&self, points: Vec<StaffFix>) -> Result<Vec<StaffFix>, IngestError> {
        if points.is_empty() {
            return Ok(points);
        }
        let budget = self
            .budget
            .clone()
            .try_acquire_many_owned(kib_of(&points))
            .map_err(|_| IngestError::Behind)?;
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Pending {
                points,
                done,
                _budget: budget,
            })
            .await
            .map_err(|_| IngestError::ShuttingDown)?;
        wait.await.map_err(|_| IngestError::ShuttingDown)?
    }
}

/// What the writer task commits with.
struct Writer {
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    /// A cluster node's link: each batch's record goes to the outbox.
    cluster: Option<Arc<ClusterLink>>,
    give_up_after: Duration,
}

async fn write_loop(
    mut rx: mpsc::Receiver<Pending>,
    writer: Writer,
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
        let outcome = writer.commit(&waiting).await;
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

impl Writer {
    /// Commits one batch, retrying with backoff while the store is unreachable,
    /// until it lands or time is up. A cluster node keeps the batch's record
    /// in the outbox with it, and hands it to the relay once committed.
    async fn commit(&self, waiting: &[Pending]) -> Result<(), IngestError> {
        let Writer {
            store,
            metrics,
            cluster,
            give_up_after,
        } = self;
        let give_up_after = *give_up_after;
        // A cluster node's records of the batch, each small enough for one
        // NATS message (1 MiB by default; a record of 1,000 fixes is about
        // 150 KB).
        let shipments: Vec<Shipment> = cluster.as_ref().map_or_else(Vec::new, |c| {
            let all: Vec<StaffFix> = waiting
                .iter()
                .flat_map(|p| p.points.iter().cloned())
                .collect();
            all.chunks(FIXES_PER_RECORD)
                .map(|fixes| {
                    c.ship(Change::Event(Box::new(DomainEvent::FixesRecorded {
                        fixes: fixes.to_vec(),
                    })))
                })
                .collect()
        });
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
            let outgoing: Vec<_> = shipments.iter().map(Shipment::outgoing).collect();
            match store.append_fixes_kept(&points, &outgoing).await {
                Ok(ids) => {
                    metrics.fix_commit.observe(t.elapsed());
                    Metrics::add(&metrics.fix_batches, 1);
                    Metrics::add(&metrics.fixes_persisted, points.len() as u64);
                    if let Some(c) = cluster {
                        for (id, s) in ids.into_iter().zip(shipments) {
                            c.committed(Some(id), s);
                        }
                    }
                    return Ok(());
                }
                Err(e) => {
                    Metrics::add(&metrics.fix_batch_failures, 1);
                    if !e.is_transient() {
                        // Retrying a refusal would only hold every waiting
                        // request for the whole patience.
                        tracing::error!(error = %e, fixes = points.len(), "the store refused a batch of fixes");
                        return Err(IngestError::Refused);
                    }
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
}

#[cfg(test)]
mod tests {
    use riskmap_engine::model::Fix;
    use riskmap_engine::sphere::LonLat;

    use super::*;
    use crate::store::sqlite::SqliteStore;

    fn points(n: usize) -> Vec<StaffFix> {
        (0..n)
            .map(|i| StaffFix {
                staff_id: format!("S{i:06}"),
                fix: Fix::at(
                    LonLat {
                        lon: 120.0,
                        lat: 28.0,
                    },
                    1_767_225_600_000,
                ),
            })
            .collect()
    }

    /// Fixes waiting for the store are bounded by bytes: what does not fit
    /// the budget is refused at once (the client keeps it and retries),
    /// never queued without bound.
    #[tokio::test]
    async fn waiting_fixes_are_bounded_by_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
        let (_drain_tx, drain) = watch::channel(false);
        let config = IngestConfig {
            max_waiting_bytes: 4 * 1024,
            ..IngestConfig::default()
        };
        let (ingest, _task) =
            Ingest::start(store, Arc::new(Metrics::default()), config, None, drain);
        assert!(kib_of(&points(1)) == 1 && kib_of(&points(200)) > 4);
        assert_eq!(ingest.persist(points(200)).await, Err(IngestError::Behind));
        // A batch that fits goes through (the staff are unknown to this
        // empty store: the track takes them all the same).
        assert_eq!(ingest.persist(points(10)).await.map(|p| p.len()), Ok(10));
        assert_eq!(ingest.budget.available_permits(), 4, "returned once done");
    }
}
