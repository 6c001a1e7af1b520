//! The app's side of a cluster (集群): what a node hands to the log between
//! nodes, and how it applies what other nodes committed.
//!
//! A node's writer commits a change together with its [`Record`] in the
//! store's outbox (one transaction), applies the change here at once, and
//! hands the kept record to the relay (the `cluster` module), which publishes it
//! to NATS JetStream and then deletes the outbox row. Every node follows the
//! stream and applies the records of other processes through
//! [`App::apply_record`]: events through [`App::apply`], as local changes
//! are, and a layer import by reading the committed layer from the store
//! (the store of record; a large import would not fit a message).
//!
//! Applying is idempotent, so a record that arrives twice (the sweeper
//! republishing what a dying node had published) or after a newer change
//! of the same thing (two nodes writing it) changes nothing: a fix older
//! than, or as old as, the live position is stale; an incident older than,
//! or as new as, the book's is skipped; a layer is read as it is now.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::App;
use crate::event::DomainEvent;
use crate::store::LayerKind;
use crate::store::outbox::{Kept, Outgoing};

/// The JetStream subjects records are published on, by what they change.
pub const SUBJECT_FIXES: &str = "riskmap.events.fixes";
/// Incident reports and actions.
pub const SUBJECT_INCIDENTS: &str = "riskmap.events.incidents";
/// Layer imports.
pub const SUBJECT_LAYERS: &str = "riskmap.events.layers";
/// Sessions ended (logouts, disabled logins).
pub const SUBJECT_SESSIONS: &str = "riskmap.events.sessions";

/// One committed change as the log carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The process that committed it (see [`ClusterLink::origin`]).
    pub origin: String,
    /// What changed.
    pub change: Change,
}

/// What a record changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// A domain event, applied as it is. (Boxed: a layer notice is one
    /// byte, an event hundreds.)
    Event(Box<DomainEvent>),
    /// A layer was imported: read it from the store.
    LayerChanged(LayerKind),
    /// A login's sessions ended (a logout: one session; a disabled login
    /// or a new role or area: all): every node closes their sockets.
    SessionsEnded {
        /// Whose.
        username: String,
        /// The one session (its token's hash), or all of them.
        session: Option<String>,
        /// The close frame's reason.
        reason: String,
    },
}

impl Change {
    /// The subject it is published on.
    #[must_use]
    pub fn subject(&self) -> &'static str {
        match self {
            Change::Event(e) => match **e {
                DomainEvent::FixesRecorded { .. } => SUBJECT_FIXES,
                DomainEvent::LayerImported { .. }
                | DomainEvent::CamerasProbed { .. }
                | DomainEvent::FencesChanged { .. } => SUBJECT_LAYERS,
                // Duty changes travel with the incident changes, which
                // change duty too, and so do departments, which incidents
                // are dispatched to: one subject keeps them in order.
                DomainEvent::IncidentReported { .. }
                | DomainEvent::DepartmentsSaved { .. }
                | DomainEvent::RosterSaved { .. }
                | DomainEvent::IncidentChanged { .. }
                | DomainEvent::DutyChanged { .. }
                | DomainEvent::AlertChanged { .. }
                | DomainEvent::InspectionRecorded { .. } => SUBJECT_INCIDENTS,
            },
            Change::LayerChanged(_) => SUBJECT_LAYERS,
            Change::SessionsEnded { .. } => SUBJECT_SESSIONS,
        }
    }
}

/// A record ready for the outbox: its subject and text.
#[derive(Debug, Clone)]
pub struct Shipment {
    /// The subject.
    pub subject: &'static str,
    /// The record's JSON.
    pub payload: String,
}

impl Shipment {
    /// As the store keeps it.
    #[must_use]
    pub fn outgoing(&self) -> Outgoing<'_> {
        Outgoing {
            subject: self.subject,
            payload: &self.payload,
        }
    }
}

/// What a node's metrics say of the cluster.
#[derive(Debug, Default)]
pub struct ClusterGauges {
    /// Records of other processes applied.
    pub applied: AtomicU64,
    /// Records skipped as this process's own.
    pub own: AtomicU64,
    /// Records that could not be applied (unreadable, or the store failed).
    pub failed: AtomicU64,
    /// Stream messages not yet delivered to this node (its lag).
    pub lag: AtomicU64,
    /// The stream sequence applied last.
    pub last_seq: AtomicU64,
    /// Records published by the relay, and by the sweeper.
    pub published: AtomicU64,
    /// Records the sweeper published for a node that had not.
    pub swept: AtomicU64,
    /// Whether the node has caught up with the log since it started.
    pub caught_up: AtomicBool,
    /// Whether this node holds the lease of the once-only jobs.
    pub lease_holder: AtomicBool,
    /// When the lease was last taken here (ms), 0 if never.
    pub lease_since_ms: AtomicI64,
}

/// A node's link to the cluster, held by the [`App`] of a cluster node.
pub struct ClusterLink {
    /// The node's configured id.
    pub node: String,
    /// This process: the node id and a start nonce. A record of this origin
    /// was applied here when it was committed; one of the same node id but
    /// another origin (before a restart) was not, and is applied.
    pub origin: String,
    /// Committed records, to the relay.
    relay: mpsc::UnboundedSender<Kept>,
    /// Metrics and readiness.
    pub gauges: ClusterGauges,
}

impl ClusterLink {
    /// A link for `node`; the relay reads what it is handed from the
    /// returned receiver.
    #[must_use]
    pub fn new(node: &str) -> (ClusterLink, mpsc::UnboundedReceiver<Kept>) {
        let (relay, rx) = mpsc::unbounded_channel();
        let nonce = crate::identity::sessions::new_token();
        let link = ClusterLink {
            node: node.to_owned(),
            origin: format!("{node}-{}", nonce.get(..8).unwrap_or(&nonce)),
            relay,
            gauges: ClusterGauges::default(),
        };
        (link, rx)
    }

    /// The record of `change` from this process.
    #[must_use]
    pub fn ship(&self, change: Change) -> Shipment {
        let subject = change.subject();
        let record = Record {
            origin: self.origin.clone(),
            change,
        };
        Shipment {
            subject,
            // A record is plain data (strings, numbers, GeoJSON text):
            // serialising it cannot fail.
            payload: serde_json::to_string(&record).unwrap_or_default(),
        }
    }

    /// Hands a committed record to the relay. (If the relay is gone, at
    /// shutdown, the row stays in the outbox for the sweeper.)
    pub fn committed(&self, id: Option<i64>, shipment: Shipment) {
        if let Some(id) = id {
            let _ = self.relay.send(Kept {
                id,
                subject: shipment.subject.to_owned(),
                payload: shipment.payload,
            });
        }
    }
}

/// Why a record from the log was not applied.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Its text is not a record.
    #[error("unreadable record: {0}")]
    Unreadable(#[from] serde_json::Error),
    /// Reading the changed layer from the store failed.
    #[error("reading the changed layer: {0}")]
    Store(#[from] crate::store::StoreError),
    /// The engine refused the stored layer (a bug: the store holds only
    /// what the engine took).
    #[error("the engine refused the stored layer: {0}")]
    Refused(#[from] riskmap_engine::EngineError),
    /// Applying the layer stopped short (its thread panicked or the
    /// runtime is shutting down).
    #[error("applying the stored layer stopped: {0}")]
    Stopped(#[from] tokio::task::JoinError),
}

impl App {
    /// The record of `change` for the outbox, if this server is a cluster
    /// node (a single server keeps none).
    #[must_use]
    pub fn shipment(&self, change: impl FnOnce() -> Change) -> Option<Shipment> {
        self.cluster.as_ref().map(|c| c.ship(change()))
    }

    /// After a commit: hands its record (if any) to the relay.
    pub fn shipped(&self, id: Option<i64>, shipment: Option<Shipment>) {
        if let (Some(c), Some(s)) = (&self.cluster, shipment) {
            c.committed(id, s);
        }
    }

    /// Applies a record read from the log (another process's commit).
    /// Returns whether it was applied (false: it was this process's own).
    pub async fn apply_record(self: &Arc<Self>, payload: &[u8]) -> Result<bool, RecordError> {
        let record: Record = serde_json::from_slice(payload)?;
        if self
            .cluster
            .as_ref()
            .is_some_and(|c| c.origin == record.origin)
        {
            return Ok(false);
        }
        match record.change {
            Change::Event(event) => {
                self.apply(&event);
            }
            Change::LayerChanged(kind) => {
                let data = self.store.read_layer(kind).await?;
                // An areas tree is built and everything derived from the
                // layer follows (seconds of CPU at a city's scale): off the
                // async threads, as a local import does.
                let app = Arc::clone(self);
                tokio::task::spawn_blocking(move || {
                    app.apply_layer(data, crate::store::WriteMode::Replace, None)
                })
                .await??;
            }
            Change::SessionsEnded {
                username,
                session,
                reason,
            } => self.sessions_ended(&username, session.as_deref(), &reason),
        }
        Ok(true)
    }

    /// Closes the sockets of a login's ended sessions (one, or all) on
    /// this node, and forgets what it cached of them.
    pub fn sessions_ended(&self, username: &str, session: Option<&str>, reason: &str) {
        self.auth.forget(username);
        self.hub.end_sessions(session, username, reason);
    }

    /// Closes the sockets of sessions the store no longer holds, however
    /// they ended: `riskmap users disable|passwd` run by the operator beside
    /// a running server (PostgreSQL), a row deleted by hand, an expiry. The
    /// app's own endings close their sockets at once; this catches the
    /// rest, on every node for its own sockets.
    pub async fn close_ended_sessions(&self) -> Result<(), crate::store::StoreError> {
        let bound = self.hub.open_sessions();
        if bound.is_empty() {
            return Ok(());
        }
        let hashes: Vec<String> = bound.iter().map(|(h, _)| h.clone()).collect();
        let open: rustc_hash::FxHashSet<String> = self
            .store
            .open_sessions(&hashes, crate::clock::now_ms())
            .await?
            .into_iter()
            .collect();
        for (hash, username) in bound.iter().filter(|(h, _)| !open.contains(h)) {
            self.sessions_ended(username, Some(hash), "the session ended: log in again");
        }
        Ok(())
    }

    /// Ends a session (logout): in the store, and its sockets on every
    /// node.
    pub async fn logout(
        &self,
        token: &str,
        token_hash: &str,
        username: &str,
    ) -> Result<(), crate::identity::AuthError> {
        const REASON: &str = "logged out: the session ended";
        let shipment = self.shipment(|| Change::SessionsEnded {
            username: username.to_owned(),
            session: Some(token_hash.to_owned()),
            reason: REASON.to_owned(),
        });
        let id = self
            .auth
            .logout(token, shipment.as_ref().map(Shipment::outgoing))
            .await?;
        self.shipped(id, shipment);
        self.sessions_ended(username, Some(token_hash), REASON);
        Ok(())
    }

    /// Counts a record applied (or skipped) by the follower.
    pub fn count_record(&self, outcome: &Result<bool, RecordError>) {
        if let Some(c) = &self.cluster {
            let counter = match outcome {
                Ok(true) => &c.gauges.applied,
                Ok(false) => &c.gauges.own,
                Err(_) => &c.gauges.failed,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record says which process made it and what changed, and reads
    /// back as written; each change goes to its subject.
    #[test]
    fn records_read_back_and_pick_their_subject() {
        let (link, _rx) = ClusterLink::new("n1");
        assert!(link.origin.starts_with("n1-") && link.origin.len() > 3);
        let layer = link.ship(Change::LayerChanged(LayerKind::Cameras));
        assert_eq!(layer.subject, SUBJECT_LAYERS);
        let back: Record = serde_json::from_str(&layer.payload).unwrap();
        assert_eq!(back.change, Change::LayerChanged(LayerKind::Cameras));
        assert_eq!(back.origin, link.origin);
        let fixes = link.ship(Change::Event(Box::new(DomainEvent::FixesRecorded {
            fixes: vec![],
        })));
        assert_eq!(fixes.subject, SUBJECT_FIXES);
        let v: serde_json::Value = serde_json::from_str(&fixes.payload).unwrap();
        assert_eq!(v["change"]["event"]["type"], "fixes_recorded");
    }
}
