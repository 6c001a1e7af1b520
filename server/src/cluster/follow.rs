//! The follower: applies the records other processes committed, in stream
//! order, from the point this node's snapshot covers; marks the node caught
//! up once it has applied what the stream held when the node had loaded.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_nats::jetstream::consumer::{DeliverPolicy, push};
use futures_util::StreamExt;
use tokio::sync::watch;

use super::Log;
use crate::app::App;
use crate::app::cluster::RecordError;

/// Follows the stream from sequence `from` until `stop`; the node is caught
/// up once it has applied sequence `target` (or at once if `target` is
/// before `from`). A broken subscription is made again from the sequence
/// after the last one applied.
pub async fn run(app: Arc<App>, log: Log, from: u64, target: u64, mut stop: watch::Receiver<bool>) {
    let Some(link) = app.cluster.clone() else {
        return;
    };
    let gauges = &link.gauges;
    if target < from {
        gauges.caught_up.store(true, Ordering::Release);
    }
    let mut next = from;
    loop {
        let config = push::OrderedConfig {
            deliver_subject: log.client.new_inbox(),
            deliver_policy: if next <= 1 {
                DeliverPolicy::All
            } else {
                DeliverPolicy::ByStartSequence {
                    start_sequence: next,
                }
            },
            ..push::OrderedConfig::default()
        };
        let messages = match log.stream.create_consumer(config).await {
            Ok(c) => c.messages().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let mut messages = match messages {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, from = next, "following the cluster's log failed; retrying");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
        };
        loop {
            let message = tokio::select! {
                m = messages.next() => m,
                _ = stop.wait_for(|s| *s) => return,
            };
            let message = match message {
                Some(Ok(m)) => m,
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "the cluster's log subscription hiccuped");
                    continue;
                }
                None => break,
            };
            let Ok(info) = message.info() else {
                continue;
            };
            let (seq, pending) = (info.stream_sequence, info.pending);
            if seq < next {
                continue; // redelivered after a resubscription
            }
            apply_patiently(&app, &message.payload, seq, &mut stop).await;
            next = seq + 1;
            gauges.last_seq.store(seq, Ordering::Relaxed);
            gauges.lag.store(pending, Ordering::Relaxed);
            if seq >= target {
                gauges.caught_up.store(true, Ordering::Release);
            }
        }
        tracing::warn!(
            from = next,
            "the cluster's log subscription ended; following again"
        );
    }
}

/// Applies one record; a store failure (reading an imported layer) is
/// retried until it succeeds or the node stops: skipping it would leave
/// this node behind for good.
async fn apply_patiently(
    app: &Arc<App>,
    payload: &[u8],
    seq: u64,
    stop: &mut watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let outcome = app.apply_record(payload).await;
        app.count_record(&outcome);
        match outcome {
            Ok(_) => return,
            Err(RecordError::Store(e)) if e.is_transient() => {
                tracing::warn!(error = %e, seq, "applying a record: the store failed; retrying");
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
            Err(e) => {
                tracing::error!(error = %e, seq, "a record of the cluster's log could not be applied");
                return;
            }
        }
    }
}
