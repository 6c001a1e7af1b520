//! Persistence behind one trait, two backends: [`sqlite`] (the embedded
//! default, no setup) and [`postgis`] (PostgreSQL + PostGIS).
//!
//! One shape for what they share ([`backend`]): each backend is a
//! [`Backend`] (pools, write transactions, dialect constants), and the
//! shared queries ([`incidents`], [`alerts`], [`risk`], [`audit`], [`accounts`], [`layers`],
//! settings) are written once over any `Backend`, through the small
//! [`driver::Driver`] trait; their SQL is in `sql/*.sql`.
//!
//! The engine is the live truth while the server runs; the store is what
//! survives a restart. Every write is one transaction: a layer import either
//! lands whole or not at all, and a batch of fixes is committed before any of
//! it is acknowledged.

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod backend;
pub mod codec;
pub mod departments;
pub mod driver;
pub mod fences;
pub mod incidents;
pub mod inspections;
pub mod intake;
pub mod layers;
pub mod lease;
pub mod outbox;
mod pgcopy;
pub mod postgis;
pub mod risk;
pub mod roster;
pub mod rows;
pub mod sqlite;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use accounts::AccountStore;
pub use alerts::AlertStore;
pub use audit::{AuditEntry, AuditStore};
pub use backend::{Backend, CommonStore, LOCATOR_IMAGE};
pub use departments::DepartmentStore;
pub use fences::FenceStore;
pub use incidents::{IncidentStore, LogRange};
pub use inspections::{InspectionFilter, InspectionStore};
pub use intake::IntakeStore;
pub use outbox::OutboxStore;
pub use risk::{RiskDay, RiskStore};
use riskmap_engine::City;
use riskmap_engine::model::{Area, Camera, EpochMs, Fix, KeyPlace, RiskSource, Staff};
pub use roster::RosterStore;

/// Why a store operation failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique key is taken (e.g. a username).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The referenced row does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// Stored data could not be read back into the model.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database said no, or could not be reached.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The database URL cannot be used (its scheme, its syntax).
    #[error("database URL: {0}")]
    BadUrl(String),
    /// The first connection failed: the driver's reason (refused, unknown
    /// host, authentication failed, no answer in time).
    #[error("cannot connect to {0}: {1}")]
    Connect(String, #[source] sqlx::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether the database could not be reached (or went away mid-way), as
    /// opposed to refusing the write: worth retrying once it is back.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => db.code().is_some_and(|c| {
                // Connection exceptions, and the server shutting down.
                c.starts_with("08") || c.starts_with("57P")
            }),
            StoreError::Database(
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Protocol(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed,
            ) => true,
            _ => false,
        }
    }
}

/// Result alias for store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// One layer's features, for an import.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerData {
    /// The governance tree.
    Areas(Vec<Area>),
    /// Field staff.
    Staff(Vec<Staff>),
    /// Cameras.
    Cameras(Vec<Camera>),
    /// Risk sources.
    RiskSources(Vec<RiskSource>),
    /// Key places.
    KeyPlaces(Vec<KeyPlace>),
}

/// The layers an import can write (one per [`LayerData`] variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    /// 区域: the governance tree.
    Areas,
    /// 工作人员: field staff.
    Staff,
    /// 视频监控.
    Cameras,
    /// 风险源.
    RiskSources,
    /// 重点场所.
    KeyPlaces,
}

impl LayerKind {
    /// The layer's name as clients know it: the OGC collection id, and the
    /// `layer` of the import report and of the `layer_changed` message.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            LayerKind::Areas => "areas",
            LayerKind::Staff => "staff",
            LayerKind::Cameras => "cameras",
            LayerKind::RiskSources => "risk_sources",
            LayerKind::KeyPlaces => "key_places",
        }
    }

    /// The key inside a feature's `properties` that holds its id.
    #[must_use]
    pub fn id_key(self) -> &'static str {
        if self == LayerKind::Areas {
            "code"
        } else {
            "id"
        }
    }

    /// The layer `data` belongs to.
    #[must_use]
    pub fn of(data: &LayerData) -> LayerKind {
        match data {
            LayerData::Areas(_) => LayerKind::Areas,
            LayerData::Staff(_) => LayerKind::Staff,
            LayerData::Cameras(_) => LayerKind::Cameras,
            LayerData::RiskSources(_) => LayerKind::RiskSources,
            LayerData::KeyPlaces(_) => LayerKind::KeyPlaces,
        }
    }
}

/// How an import meets what is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// The layer becomes exactly the import.
    Replace,
    /// Imported features replace those with the same id; others stay.
    Merge,
}

/// A fix in a staff member's track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackPoint<'a> {
    /// Whose.
    pub staff_id: &'a str,
    /// The fix as received (WGS84).
    pub fix: Fix,
}

/// A login session, known by the SHA-256 of its bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Hex SHA-256 of the token; the token itself is never stored.
    pub token_hash: String,
    /// Whose session.
    pub user_id: i64,
    /// When it was issued.
    pub created_ms: EpochMs,
    /// When it stops working.
    pub expires_ms: EpochMs,
}

/// Where a city load hands over the layers the engine builds first (see
/// [`Store::load_city_feeding`]).
#[derive(Debug)]
pub struct CityFeed {
    /// The areas, whole, parents before children.
    pub areas: tokio::sync::oneshot::Sender<Vec<Area>>,
    /// How many staff members the batches will hold, before the first (so
    /// that the staff index makes room once).
    pub staff_count: tokio::sync::oneshot::Sender<usize>,
    /// The staff by id, in batches of [`STAFF_BATCH`] (the last one
    /// shorter); the channel closes after the last.
    pub staff: tokio::sync::mpsc::UnboundedSender<Vec<Staff>>,
}

/// Staff members per batch of a city load: enough that a batch is cheap
/// to hand over, few enough that the staff index starts on the first while
/// the store reads on.
pub const STAFF_BATCH: usize = 16_384;

/// Everything riskmap persists.
#[async_trait]
pub trait Store:
    IncidentStore
    + IntakeStore
    + InspectionStore
    + DepartmentStore
    + FenceStore
    + RosterStore
    + AlertStore
    + RiskStore
    + AuditStore
    + AccountStore
    + CommonStore
    + OutboxStore
    + Send
    + Sync
    + 'static
{
    /// "sqlite" or "postgis", for logs and /ready.
    fn kind(&self) -> &'static str;

    /// Every layer, to build the engine at start.
    async fn load_city(&self) -> Result<City> {
        let (areas, areas_rx) = tokio::sync::oneshot::channel();
        let (staff_count, _) = tokio::sync::oneshot::channel();
        let (staff, mut staff_rx) = tokio::sync::mpsc::unbounded_channel();
        let feed = CityFeed {
            areas,
            staff_count,
            staff,
        };
        let mut city = self.load_city_feeding(feed).await?;
        city.areas = areas_rx
            .await
            .map_err(|_| StoreError::Corrupt("the areas were not read".into()))?;
        while let Some(batch) = staff_rx.recv().await {
            city.staff.extend(batch);
        }
        Ok(city)
    }

    /// [`Store::load_city`], handing the areas and the staff to `feed` as
    /// soon as they are read, so that the engine builds its grid locator and
    /// its staff index while the rest is still being read; the returned
    /// layers then hold neither. (What `feed`'s receivers drop is lost.)
    async fn load_city_feeding(&self, feed: CityFeed) -> Result<City>;

    /// Appends fixes to the tracks and moves each staff member's stored last
    /// fix forward (never back), in one transaction.
    async fn append_fixes(&self, points: &[TrackPoint<'_>]) -> Result<()> {
        self.append_fixes_kept(points, &[]).await.map(drop)
    }

    /// [`Store::append_fixes`], keeping `outbox` (a cluster node's records
    /// of the fixes) in the same transaction; their outbox ids, in order.
    async fn append_fixes_kept(
        &self,
        points: &[TrackPoint<'_>],
        outbox: &[outbox::Outgoing<'_>],
    ) -> Result<Vec<i64>>;

    /// A staff member's track between two times (fix time, inclusive),
    /// oldest first, at most `limit` fixes.
    async fn track(&self, staff: &str, from: EpochMs, to: EpochMs, limit: u32) -> Result<Vec<Fix>>;

    /// Deletes track fixes taken before `before_ms`; returns how many.
    async fn prune_tracks(&self, before_ms: EpochMs) -> Result<u64>;
}
