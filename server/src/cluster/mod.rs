//! A riskmap node of a cluster (集群): PostgreSQL + PostGIS is the store of
//! record every node shares, and NATS JetStream the ordered log of every
//! committed change between them.
//!
//! The write path is *commit, then publish through an outbox*: a node
//! commits a change and its record in one transaction
//! (`store::outbox`), applies it to its own live state, and its relay
//! ([`relay`]) publishes the record with the outbox id as JetStream's
//! message id, then deletes the row. A node that dies between commit and
//! publish leaves the row, and the sweeper (one node, under the lease)
//! publishes it; JetStream drops a second copy within its duplicate window,
//! and applying is idempotent beyond it. So an acknowledged write is in the
//! store, and reaches every node.
//!
//! Every node follows the stream ([`follow`]) from the point its snapshot
//! covers: the stream's last sequence is read *before* the node loads from
//! PostgreSQL, so every change missing from the snapshot is after it in the
//! stream. It reports ready once it has applied what the stream held when
//! it finished loading.
//!
//! The once-only jobs (the outbox sweeper, track retention, the demo
//! simulator) run on the node that holds the lease ([`jobs`]), a PostgreSQL
//! advisory lock, and each run is fenced by a row per job and time slot.

pub mod follow;
pub mod jobs;
pub mod relay;

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use thiserror::Error;

use crate::app::cluster::ClusterLink;

/// The stream every node publishes to and follows.
pub const STREAM: &str = "RISKMAP";

/// The subjects the stream holds.
pub const SUBJECTS: &str = "riskmap.events.>";

/// How long the stream keeps records: a node cut off for longer reloads
/// from the store when it restarts.
pub const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// How long JetStream remembers a message id (a republished record within
/// it is dropped).
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// How long connecting to NATS at start may take.
const CONNECT_PATIENCE: Duration = Duration::from_secs(10);

/// Why a node could not join its cluster.
#[derive(Debug, Error)]
pub enum ClusterError {
    /// NATS did not answer.
    #[error("cannot reach NATS at {0}: {1}")]
    Connect(String, String),
    /// JetStream refused the stream or a consumer (is JetStream enabled on
    /// the server, `nats-server -js`?).
    #[error("JetStream: {0}")]
    JetStream(String),
    /// The cluster needs the shared PostgreSQL store.
    #[error("--cluster needs PostgreSQL (--database-url): every node shares the store")]
    NeedsPostgres,
}

/// A node's connection to the log.
#[derive(Clone)]
pub struct Log {
    /// The NATS client.
    pub client: async_nats::Client,
    /// Its JetStream context.
    pub js: jetstream::Context,
    /// The stream.
    pub stream: stream::Stream,
}

impl Log {
    /// Connects to NATS at `url` (comma-separated servers) and finds or
    /// creates the stream (with `replicas` copies).
    pub async fn connect(url: &str, node: &str, replicas: usize) -> Result<Log, ClusterError> {
        let servers: Vec<async_nats::ServerAddr> = url
            .split(',')
            .map(|s| s.trim().parse())
            .collect::<Result<_, _>>()
            .map_err(|e| ClusterError::Connect(url.to_owned(), format!("{e}")))?;
        let options = async_nats::ConnectOptions::new()
            .name(format!("riskmap {node}"))
            // After the first connection, the client reconnects on its own
            // for as long as it takes; the relay and the followers wait.
            .retry_on_initial_connect()
            .max_reconnects(None);
        let connecting = options.connect(servers);
        let client = match tokio::time::timeout(CONNECT_PATIENCE, connecting).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return Err(ClusterError::Connect(url.to_owned(), e.to_string())),
            Err(_) => {
                return Err(ClusterError::Connect(
                    url.to_owned(),
                    format!("no answer within {} s", CONNECT_PATIENCE.as_secs()),
                ));
            }
        };
        // (retry_on_initial_connect returns before the connection is up:
        // wait for it, bounded, to fail fast on a wrong address.)
        let up = async {
            while client.connection_state() != async_nats::connection::State::Connected {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        if tokio::time::timeout(CONNECT_PATIENCE, up).await.is_err() {
            return Err(ClusterError::Connect(
                url.to_owned(),
                format!("no connection within {} s", CONNECT_PATIENCE.as_secs()),
            ));
        }
        let js = jetstream::new(client.clone());
        let stream = js
            .get_or_create_stream(stream::Config {
                name: STREAM.to_owned(),
                subjects: vec![SUBJECTS.to_owned()],
                storage: stream::StorageType::File,
                max_age: RETENTION,
                duplicate_window: DUPLICATE_WINDOW,
                num_replicas: replicas.max(1),
                ..stream::Config::default()
            })
            .await
            .map_err(|e| ClusterError::JetStream(e.to_string()))?;
        Ok(Log { client, js, stream })
    }

    /// The stream's last sequence now (0 when empty).
    pub async fn last_sequence(&self) -> Result<u64, ClusterError> {
        let mut stream = self.stream.clone();
        let info = stream
            .info()
            .await
            .map_err(|e| ClusterError::JetStream(e.to_string()))?;
        Ok(info.state.last_sequence)
    }
}

/// What `serve` starts for a node, once its App exists.
pub struct Joined {
    /// The log.
    pub log: Log,
    /// The stream's last sequence before the node loaded: it follows from
    /// the next one.
    pub before_load: u64,
    /// The app's link.
    pub link: Arc<ClusterLink>,
    /// What the app's writers hand to the relay.
    pub committed: tokio::sync::mpsc::UnboundedReceiver<crate::store::outbox::Kept>,
}

/// Joins the cluster: connects to NATS and reads where the stream is, before
/// the node loads its snapshot.
pub async fn join(url: &str, node: &str, replicas: usize) -> Result<Joined, ClusterError> {
    let log = Log::connect(url, node, replicas).await?;
    let before_load = log.last_sequence().await?;
    let (link, committed) = ClusterLink::new(node);
    tracing::info!(node, origin = %link.origin, from = before_load + 1, "joined the cluster");
    Ok(Joined {
        log,
        before_load,
        link: Arc::new(link),
        committed,
    })
}
