//! The relay: publishes the records this node committed, in the order it
//! committed them, and deletes their outbox rows once JetStream has them.
//! What it cannot publish (NATS down, the node dying) stays in the outbox
//! for the sweeper.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_nats::HeaderMap;
use tokio::sync::{mpsc, watch};

use super::Log;
use crate::app::cluster::ClusterLink;
use crate::store::Store;
use crate::store::outbox::Kept;

/// Records published together, at most.
const BATCH: usize = 1_024;

/// How long a publish waits for JetStream's acknowledgement.
const ACK_PATIENCE: Duration = Duration::from_secs(5);

/// Publishes `records` with their outbox ids as message ids (JetStream
/// drops a second copy of one); the ids JetStream acknowledged.
pub async fn publish(log: &Log, records: &[Kept]) -> Vec<i64> {
    let mut pending = Vec::with_capacity(records.len());
    for r in records {
        let mut headers = HeaderMap::new();
        headers.insert(
            async_nats::header::NATS_MESSAGE_ID,
            message_id(r.id).as_str(),
        );
        match log
            .js
            .publish_with_headers(r.subject.clone(), headers, r.payload.clone().into())
            .await
        {
            Ok(ack) => pending.push((r.id, ack)),
            Err(e) => {
                tracing::warn!(error = %e, "publishing to the cluster's log failed; the sweeper retries");
                break;
            }
        }
    }
    let mut acked = Vec::with_capacity(pending.len());
    for (id, ack) in pending {
        match tokio::time::timeout(ACK_PATIENCE, ack).await {
            Ok(Ok(_)) => acked.push(id),
            Ok(Err(e)) => tracing::warn!(error = %e, id, "JetStream did not take a record"),
            Err(_) => tracing::warn!(id, "no acknowledgement from JetStream in time"),
        }
    }
    acked
}

/// A record's message id: its outbox id, the same whoever publishes it.
#[must_use]
pub fn message_id(outbox_id: i64) -> String {
    format!("riskmap-outbox-{outbox_id}")
}

/// The relay task: ends when the app's writers are gone (at shutdown), or
/// at `stop`.
pub async fn run(
    log: Log,
    store: Arc<dyn Store>,
    link: Arc<ClusterLink>,
    mut committed: mpsc::UnboundedReceiver<Kept>,
    mut stop: watch::Receiver<bool>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        tokio::select! {
            n = committed.recv_many(&mut batch, BATCH) => if n == 0 { return },
            _ = stop.wait_for(|s| *s) => return,
        }
        let sent = publish(&log, &batch).await;
        link.gauges
            .published
            .fetch_add(sent.len() as u64, Ordering::Relaxed);
        if let Err(e) = store.outbox_sent(&sent).await {
            // They are in the log; the sweeper sends them again (dropped by
            // JetStream as duplicates, or applied idempotently).
            tracing::warn!(error = %e, "clearing sent records from the outbox failed");
        }
        batch.clear();
    }
}
