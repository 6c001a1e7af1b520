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
//! - [`alerts`]: alerts (a worker's SOS): raise, acknowledge, close.
//! - [`duty`]: check-in and out (上岗/离岗).
//! - [`fences`]: geofences (电子围栏) and risk sources' buffers, crossed
//!   as the fixes arrive.
//! - [`roster`]: 排班, who is due on duty when, and who of them is missing.
//! - [`departments`]: the departments incidents are routed to (网格+).
//! - [`layers`]: layer imports (validate, commit, apply).
//! - [`risk`]: each grid's risk level (风险研判), kept current and pushed;
//!   [`analysis`]: the incident analysis views.
//! - [`cameras`]: camera health, from probes of their streams.
//! - [`apply`]: the one function that applies a committed change.
//! - [`assessment`]: 考核 rankings over a period.
//! - [`audit`]: the audit log's writer, off every request's path.

pub mod accounts;
pub mod alerts;
pub mod analysis;
pub mod apply;
pub mod assessment;
pub mod audit;
pub mod cameras;
pub mod census;
pub mod channels;
pub mod cluster;
pub mod departments;
pub mod duty;
pub mod fences;
pub mod fixes;
pub mod incidents;
pub mod ingest;
pub mod layers;
pub mod patrol;
pub mod risk;
pub mod roster;
pub mod tiles;
pub mod venues;

use std::sync::Arc;

use parking_lot::RwLock;
use riskmap_engine::Engine;

pub use apply::Applied;
pub use fixes::{FixRejection, FixReport};
pub use incidents::{Desk, DeskError};

use crate::config;
use crate::identity::{Auth, LoginThrottle, Rates};
use crate::live::Hub;
use crate::metrics::Metrics;
use crate::net::proxies::TrustedProxies;
use crate::net::public_url::PublicUrl;
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
    /// Open WebSocket connections per user at most.
    pub max_ws_per_user: usize,
    /// How often a WebSocket is pinged.
    pub ws_ping: std::time::Duration,
    /// How long a WebSocket may stay silent, and one message may wait for
    /// the peer to read it, before the connection is dropped (the slow
    /// viewer's allowance).
    pub ws_patience: std::time::Duration,
    /// HTTP requests in flight at most (beyond: 503).
    pub max_concurrent_requests: usize,
    /// Vertices of one imported polygon at most.
    pub max_polygon_vertices: usize,
    /// How old a staff member's last fix may be before they count as
    /// offline (left out of dispatch unless asked for), milliseconds.
    pub stale_after_ms: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: config::DEFAULT_MAX_BODY_BYTES,
            max_frame_bytes: config::DEFAULT_MAX_MESSAGE_BYTES,
            max_import_bytes: config::DEFAULT_MAX_IMPORT_BYTES,
            max_fixes_per_request: config::MAX_FIXES_PER_REQUEST,
            max_import_features: config::MAX_IMPORT_FEATURES,
            max_page: config::MAX_PAGE,
            max_k: config::MAX_K,
            max_radius_m: config::MAX_RADIUS_M,
            ws_messages_per_second: config::DEFAULT_WS_MESSAGES_PER_SECOND,
            max_ws_connections: config::DEFAULT_MAX_WS_CONNECTIONS,
            max_ws_per_user: config::DEFAULT_MAX_WS_PER_USER,
            ws_ping: std::time::Duration::from_secs(config::DEFAULT_WS_PING_S),
            ws_patience: std::time::Duration::from_secs(config::DEFAULT_SLOW_VIEWER_CLOSE_S),
            max_concurrent_requests: config::DEFAULT_MAX_CONCURRENT_REQUESTS,
            max_polygon_vertices: config::DEFAULT_MAX_POLYGON_VERTICES,
            stale_after_ms: 1000 * config::DEFAULT_STALE_AFTER_S as i64,
        }
    }
}

/// The shared state.
pub struct App {
    /// The city in memory: the live truth. Its lock is fair (a read waits
    /// behind a queued writer, and every fix batch is one), so it is taken
    /// before any other lock, and never again while held: either the other
    /// way deadlocks the server once a writer queues between the two.
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
    /// Alerts (SOS): the active ones and the last day's.
    pub alerts: alerts::Alerts,
    /// Each grid's risk (风险研判).
    pub risk: risk::RiskDesk,
    /// Failed logins per username and address (password guessing).
    pub logins: LoginThrottle,
    /// Requests per bearer token (one runaway client must not starve the
    /// command centre).
    pub rates: Rates,
    /// Requests with invalid tokens per client address (each costs a store
    /// lookup).
    pub bad_tokens: Rates,
    /// OsmAnd fixes naming unknown devices per client address (a device id
    /// is the protocol's only credential: many unknown ones are guesses).
    pub unknown_devices: Rates,
    /// What authenticated users did.
    pub audit: audit::Auditor,
    /// Origins allowed to call the API from a browser page of theirs (CORS);
    /// empty: same origin only.
    pub cors_origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` (and, for links,
    /// `X-Forwarded-Proto`, `-Host`, `-Prefix`) is believed.
    pub trusted_proxies: TrustedProxies,
    /// The address clients reach this server by, when the operator gave it
    /// (`--public-url`): the root of every absolute link the server writes.
    pub public_url: Option<PublicUrl>,
    /// Held by a layer import from validation to the live change: imports
    /// run one at a time, so the store and the engine see them in the same
    /// order.
    pub imports: tokio::sync::Mutex<()>,
    /// Camera health: how many probes in a row each camera's stream has
    /// failed (cameras whose last probe answered are not kept).
    pub camera_misses: parking_lot::Mutex<std::collections::HashMap<String, u8>>,
    /// The link to the other nodes, if this server is a cluster node.
    pub cluster: Option<Arc<cluster::ClusterLink>>,
    /// 一网归集/一网反馈: the citizen page's proof and rates, the
    /// call-backs' client.
    pub channels: channels::Channels,
    /// 巡查覆盖: today's and yesterday's patrols, and the rules.
    pub patrol: patrol::PatrolDesk,
    /// 场所码: the codes' key, the scan radius, each place's last inspection.
    pub venues: venues::Venues,
    /// 电子围栏: the fences, the risk sources' buffers, each worker's place
    /// among them.
    pub fences: fences::Fencing,
    /// 排班: the shifts of every grid.
    pub roster: roster::Rosters,
    /// 矢量瓦片: the static layers' tiles cut so far.
    pub tiles: tiles::Tiles,
    /// `/ws` snapshots being built, at most one per core: each is a
    /// megabytes-long text while it is written, and 200 viewers subscribing
    /// at once must not hold 200 of them (issue 20).
    pub snapshots: Arc<tokio::sync::Semaphore>,
    /// Heavy queries (heat maps) being answered on blocking threads, at most
    /// one per core: each copies its points (16 MB at a million staff), and
    /// a burst of them must take neither every core nor as many copies.
    pub heavy_queries: Arc<tokio::sync::Semaphore>,
    /// 人员分布: the staff counted per H3 cell for `staff_cells` viewers.
    pub census: parking_lot::Mutex<crate::live::census::Census>,
}

impl App {
    /// Whether the server is ready to serve: a cluster node has caught up
    /// with the log, and the store answers. (The engine is loaded before the
    /// App exists.) The store's own
    /// error is logged, not returned: `/ready` answers anyone, and a
    /// database's message can name hosts, users and versions.
    pub async fn ready(&self) -> Result<(), &'static str> {
        // A probe must answer promptly: a database that is down can keep a
        // connection attempt waiting far longer than any probe waits.
        if let Some(c) = &self.cluster
            && !c
                .gauges
                .caught_up
                .load(std::sync::atomic::Ordering::Acquire)
        {
            return Err("catching up with the cluster's log");
        }
        match tokio::time::timeout(std::time::Duration::from_secs(2), self.store.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "readiness: the store is unreachable");
                Err("the store is unreachable")
            }
            Err(_) => Err("the store did not answer within 2 s"),
        }
    }
}
