//! The embedded store: one SQLite file (`riskmap.db`) in the data directory,
//! no setup.
//!
//! Durability: the database runs in WAL mode with `synchronous = FULL`, so a
//! commit has been fsynced to the write-ahead log before it returns. Every
//! trait method commits before it returns `Ok`, so an acknowledged write
//! survives `kill -9` and power loss.
//!
//! Concurrency: SQLite has one writer at a time. Writes go through a pool of
//! exactly one connection, so they queue in Rust (fairly, with a timeout)
//! instead of spinning on `SQLITE_BUSY`, and each write transaction starts
//! with `BEGIN IMMEDIATE`, taking the write lock up front (nothing else should
//! write to the file, but if something does we wait for it instead of
//! failing half-way). Reads use a separate small pool of `query_only`
//! connections and run beside the writer, each on its own WAL snapshot.
//!
//! Layout: one table per layer with the model's fields as columns (see
//! `migrations/sqlite/0001_init.sql`); enums as the names serde gives them,
//! polygons as GeoJSON text, points as `lon`/`lat` columns.
//!
//! Tracks are the exception: a log of packed fix batches that a background
//! pass compacts into one packed chunk per staff member (see [`tracks`]).
//!
//! What it shares with PostGIS (incidents, audit, accounts, settings, layer
//! writes and reads) is written once over [`Backend`]; this file holds the
//! pools and the dialect.

mod batch;
mod bulk;
mod chunk;
mod legacy;
mod recent;
mod replay;
mod retention;
pub mod tracks;
mod unsynced;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::Sqlite;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::backend::{Backend, GeometryOut};
use super::outbox::{Outgoing, keep_all};
use super::{CityFeed, Result, STAFF_BATCH, Store, StoreError, TrackPoint, layers};
use riskmap_engine::City;
use riskmap_engine::model::{EpochMs, Fix};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "riskmap.db";

/// SQLite's limit on bound values in one statement (the default
/// `SQLITE_MAX_VARIABLE_NUMBER` since 3.32); multi-row inserts are chunked to
/// stay below it.
const MAX_BINDS: usize = 32_766;

/// Reader connections. Reads are short (a user, a session, a track) except
/// the start-up load; a few connections keep them off each other's backs.
const READERS: u32 = 4;

/// How long a write waits for the writer connection, and a connection for
/// SQLite's locks, before giving up. An import of a big city holds the writer
/// for seconds; fixes queue behind it rather than fail.
const WAIT: Duration = Duration::from_secs(60);

/// Track rows deleted per transaction by [`Store::prune_tracks`], so that a
/// prune of millions of rows never holds the writer for long: fix batches get
/// their turn between chunks.
const PRUNE_CHUNK: i64 = 20_000;

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Exactly one connection: every write goes through it.
    writer: SqlitePool,
    /// `query_only` connections for reads.
    reader: SqlitePool,
    /// The track log and its compactor.
    track_log: Arc<tracks::TrackLog>,
    /// The database file, for the city read at start ([`bulk`]).
    file: PathBuf,
}

impl SqliteStore {
    /// Opens `dir/riskmap.db`, creating the directory and the file if they
    /// are missing, and brings the schema up to date.
    pub async fn open(dir: &Path) -> Result<Self> {
        Self::open_with(dir, tracks::Compaction::default()).await
    }

    /// [`SqliteStore::open`] with the track log compacted by `compaction`.
    pub async fn open_with(dir: &Path, compaction: tracks::Compaction) -> Result<Self> {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(sqlx::Error::Io)?;
        let file = dir.join(DB_FILE);
        let base = SqliteConnectOptions::new()
            .filename(&file)
            .foreign_keys(true)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(WAIT);
        // The journal mode is a property of the file, set (once, by the
        // writer) before anything else is written.
        let writer_options = base
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let writer = SqlitePoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            .acquire_timeout(WAIT)
            .connect_with(writer_options)
            .await?;
        // The durability promise rests on these settings: check that the
        // connection really has them.
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&writer)
            .await?;
        if synchronous < 2 {
            return Err(sqlx::Error::Configuration(
                format!("SQLite runs with synchronous = {synchronous}, not FULL (2)").into(),
            )
            .into());
        }
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&writer)
            .await?;
        if journal != "wal" {
            // Still durable (a rollback journal with synchronous = FULL),
            // but readers and the writer now block each other.
            tracing::warn!(
                "{} could not switch to WAL (journal_mode = {journal}); is it on a network file system?",
                dir.display()
            );
        }
        sync_dir_entries(dir);
        sqlx::migrate!("../migrations/sqlite").run(&writer).await?;
        legacy::move_row_log(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .acquire_timeout(WAIT)
            .connect_with(base.pragma("query_only", "ON"))
            .await?;
        let track_log = tracks::TrackLog::start(writer.clone(), reader.clone(), compaction);
        Ok(SqliteStore {
            writer,
            reader,
            track_log,
            file,
        })
    }

    /// Two read transactions on the same snapshot, for reading the layers
    /// on two connections at once as if in one transaction. SQLite takes a
    /// read transaction's snapshot at its first read; both take theirs while
    /// this holds the write lock, so no commit can fall between them.
    async fn twin_snapshots(&self) -> Result<(bulk::Snapshot, bulk::Snapshot)> {
        let hold = self.begin_write().await?;
        let file = self.file.clone();
        let twins = tokio::task::spawn_blocking(move || {
            Ok::<_, StoreError>((
                bulk::Snapshot::begin(&file, WAIT)?,
                bulk::Snapshot::begin(&file, WAIT)?,
            ))
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("opening the city's snapshots: {e}")))??;
        hold.rollback().await?;
        Ok(twins)
    }

    /// Compacts the whole track log now (the compactor does it by itself
    /// in the background; this is for a caller that needs it done, e.g. a
    /// test of the compacted form).
    pub async fn compact_tracks(&self) -> Result<()> {
        self.track_log.drain().await
    }
}

/// Flushes the directory holding the database, and that directory's own
/// entry in its parent, to disk: a database file whose directory entry is
/// lost in a power cut is lost whole. (SQLite syncs the directory when it
/// creates the WAL, but not the directories above.) Best effort: some file
/// systems cannot sync a directory, and that is no reason not to start.
fn sync_dir_entries(dir: &Path) {
    let parent = match dir.parent() {
        Some(p) if p.as_os_str().is_empty() => Path::new("."),
        Some(p) => p,
        None => dir,
    };
    for d in [dir, parent] {
        if let Ok(f) = std::fs::File::open(d)
            && let Err(e) = f.sync_all()
        {
            tracing::debug!("cannot sync directory {}: {e}", d.display());
        }
    }
}

impl Backend for SqliteStore {
    type Db = Sqlite;
    const MAX_BINDS: usize = MAX_BINDS;
    const NUMBERED: bool = false;
    const GEOMETRY_COLUMN: &'static str = "geometry";
    const GEOMETRY_VALUE: (&'static str, &'static str) = ("", "");
    const GEOMETRY_OUT: GeometryOut = GeometryOut::GeoJson("geometry");
    const JSON_VALUE: (&'static str, &'static str) = ("", "");
    const JSON_TEXT: &'static str = "";
    const JSON_STRINGS: &'static str = "SELECT value FROM json_each({})";
    // One writer connection: layer writes queue behind each other anyway.
    const LOCK_FOR_LAYER: Option<&'static str> = None;

    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn load_city_feeding(&self, feed: CityFeed) -> Result<City> {
        // The staff rows' last fixes trail the track log by up to one pass.
        self.compact_tracks().await?;
        // Two connections read at once, each on a thread of its own: the
        // staff on one, the areas then the static layers on the other; the
        // engine builds its grid locator from the areas, and its staff index
        // from each batch of staff, while the rest is still being read.
        let (staff_snapshot, other_snapshot) = self.twin_snapshots().await?;
        let others = tokio::task::spawn_blocking(move || {
            let mut areas = other_snapshot.rows(&layers::areas_read::<SqliteStore>())?;
            layers::sort_areas(&mut areas);
            let _ = feed.areas.send(areas);
            let (cameras, risks, places) = layers::static_reads::<SqliteStore>();
            let layers = (
                other_snapshot.rows(&cameras)?,
                other_snapshot.rows(&risks)?,
                other_snapshot.rows(&places)?,
            );
            other_snapshot.end()?;
            Ok::<_, StoreError>(layers)
        });
        let (staff_count, staff_out) = (feed.staff_count, feed.staff);
        let staff = tokio::task::spawn_blocking(move || {
            let _ = staff_count.send(staff_snapshot.count("staff")?);
            staff_snapshot.batches(&layers::staff_read::<SqliteStore>(), STAFF_BATCH, |b| {
                let _ = staff_out.send(b);
            })?;
            staff_snapshot.end()
        });
        let (staff, others) = tokio::join!(staff, others);
        let broken =
            |e: tokio::task::JoinError| StoreError::Corrupt(format!("reading the city: {e}"));
        staff.map_err(broken)??;
        let (cameras, risk_sources, key_places) = others.map_err(broken)??;
        Ok(City {
            areas: Vec::new(),
            staff: Vec::new(),
            cameras,
            risk_sources,
            key_places,
        })
    }

    async fn append_fixes_kept(
        &self,
        points: &[TrackPoint<'_>],
        outbox: &[Outgoing<'_>],
    ) -> Result<Vec<i64>> {
        if points.is_empty() {
            return Ok(Vec::new());
        }
        // Packed before the writer is taken: it waits for no one meanwhile.
        let batch = batch::Batch::pack(points)?;
        let mut tx = self.begin_write().await?;
        let id = tracks::append(&mut tx, &batch).await?;
        let kept = keep_all::<SqliteStore>(&mut tx, outbox, crate::clock::now_ms()).await?;
        tx.commit().await?;
        self.track_log.logged(id, batch);
        Ok(kept)
    }

    async fn track(&self, staff: &str, from: EpochMs, to: EpochMs, limit: u32) -> Result<Vec<Fix>> {
        replay::track(&self.reader, staff, from, to, limit).await
    }

    async fn prune_tracks(&self, before_ms: EpochMs) -> Result<u64> {
        self.track_log.prune(before_ms, PRUNE_CHUNK).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn marks(snapshot: &bulk::Snapshot) -> i64 {
        let read = layers::LayerRead {
            sql: "SELECT count(*) FROM settings WHERE key = 'twin-mark'".to_owned(),
            from: |r| r.get(0),
        };
        snapshot.rows(&read).unwrap()[0]
    }

    /// The bundled SQLite is built without memory statistics
    /// (`.cargo/config.toml`): with them, every allocation SQLite makes
    /// takes one process-wide mutex, and reading a city at start on several
    /// threads queued on it.
    #[tokio::test]
    async fn sqlite_keeps_no_memory_statistics() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options")
            .fetch_all(&store.reader)
            .await
            .unwrap();
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
    }

    /// The layers are read on two connections as from one transaction: a
    /// commit after the two began is seen by neither.
    #[tokio::test]
    async fn twin_snapshots_see_the_store_as_it_was_when_they_began() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let (first, second) = store.twin_snapshots().await.unwrap();
        sqlx::query("INSERT INTO settings (key, value) VALUES ('twin-mark', 'x')")
            .execute(&store.writer)
            .await
            .unwrap();
        assert_eq!(marks(&first), 0);
        assert_eq!(marks(&second), 0);
        first.end().unwrap();
        second.end().unwrap();
        let after = bulk::Snapshot::begin(&store.file, WAIT).unwrap();
        assert_eq!(marks(&after), 1, "a later read sees the commit");
    }
}
