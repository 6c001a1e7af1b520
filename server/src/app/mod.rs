//! The application layer: the running server's shared state, one cheap
//! handle that every request, connection and background task holds, and
//! every change of live state as a method on it.
//!
//! A change is validated, committed to the store, turned into one typed
//! domain event ([`crate::event::DomainEvent`]) and applied by
//! [`App::apply`] to the engine, the incident book and the live hub. The
//! API above only parses and maps errors; nothing below imports this layer.
//!
//! - [`fixes`]: location sharing; [`ingest`]: the track writer (group
//!   commit) behind it.
//! - [`incidents`]: the incident desk (reports, actions, the clock).
//! - [`apply`]: the one function that applies a committed change.

pub mod apply;
pub mod fixes;
pub mod incidents;
pub mod ingest;

use std::sync::Arc;

use parking_lot::RwLock;
use riskmap_engine::Engine;

pub use apply::Applied;
pub use fixes::{FixRejection, FixReport};
pub use incidents::{Desk, DeskError};

use crate::identity::{Auth, Guard, Scope, User};
use crate::live::Hub;
use crate::metrics::Metrics;
use crate::store::Store;
use ingest::Ingest;

/// Limits on what clients may send; each refusal names the limit.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest HTTP request body, bytes.
    pub max_body_bytes: usize,
    /// Largest WebSocket message, bytes.
    pub max_frame_bytes: usize,
    /// Largest layer import body (`POST /ogc/collections/{id}/items`), bytes.
    pub max_import_bytes: usize,
    /// Most fixes in one request or message.
    pub max_fixes_per_request: usize,
    /// Most features in one import.
    pub max_import_features: usize,
    /// Most items an OGC page may hold.
    pub max_page: usize,
    /// Largest k of a nearest query.
    pub max_k: usize,
    /// Largest radius of a nearby query, metres.
    pub max_radius_m: f64,
    /// WebSocket messages a connection may send per second (sustained).
    pub ws_messages_per_second: u32,
    /// Open WebSocket connections at most.
    pub max_ws_connections: usize,
    /// HTTP requests in flight at most (beyond: 503).
    pub max_concurrent_requests: usize,
    /// Vertices of one imported polygon at most.
    pub max_polygon_vertices: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 * 1024 * 1024,
            max_frame_bytes: 1024 * 1024,
            max_import_bytes: 512 * 1024 * 1024,
            max_fixes_per_request: 10_000,
            max_import_features: 2_000_000,
            max_page: 10_000,
            max_k: 100,
            max_radius_m: 50_000.0,
            ws_messages_per_second: 200,
            max_ws_connections: 20_000,
            max_concurrent_requests: 4_096,
            max_polygon_vertices: 200_000,
        }
    }
}

/// The shared state.
pub struct App {
    /// The city in memory: the live truth.
    pub engine: RwLock<Engine>,
    /// What survives a restart.
    pub store: Arc<dyn Store>,
    /// Logins and sessions.
    pub auth: Auth,
    /// Live push.
    pub hub: Hub,
    /// The track writer.
    pub ingest: Ingest,
    /// Counters and histograms.
    pub metrics: Arc<Metrics>,
    /// Input limits.
    pub limits: Limits,
    /// The incident closed loop.
    pub incidents: Desk,
    /// Login throttling, request rates, CORS.
    pub guard: Guard,
}

impl App {
    /// The scope of a user now.
    #[must_use]
    pub fn scope_of(&self, user: &User) -> Scope {
        Scope::of(user, self.engine.read().areas())
    }

    /// Whether the server is ready to serve: the store answers. (The engine
    /// is loaded before the App exists, so it always is.)
    pub async fn ready(&self) -> Result<(), String> {
        // A probe must answer promptly: a database that is down can keep a
        // connection attempt waiting far longer than any probe waits.
        match tokio::time::timeout(std::time::Duration::from_secs(2), self.store.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("the store is unreachable: {e}")),
            Err(_) => Err("the store did not answer within 2 s".into()),
        }
    }
}
