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
//! Tracks are the exception: an unindexed log that a background pass
//! compacts into one packed chunk per staff member (see [`tracks`]).
//!
//! The `codec` module below holds what both backends share: enum names, geometry
//! text, row preparation and the checks that keep unloadable data out.

mod chunk;
pub mod tracks;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::query_builder::Separated;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite};

use super::codec::{
    FixColumns, area_rows, camera_location, corrupt, first_duplicate, fix_from, footprint_from,
    key_place_rows, multi_polygon_from, parse_json_list, parse_name, risk_level_from,
    risk_source_rows, staff_rows,
};
use super::{LayerData, Result, Store, StoreError, TrackPoint, WriteMode};
use riskmap_engine::City;
use riskmap_engine::model::{Area, Camera, DutyStatus, EpochMs, Fix, KeyPlace, RiskSource, Staff};
use riskmap_engine::sphere::LonLat;

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
        let base = SqliteConnectOptions::new()
            .filename(dir.join(DB_FILE))
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
        })
    }

    /// Compacts the whole track log now (the compactor does it by itself
    /// in the background; this is for a caller that needs it done, e.g. a
    /// test of the compacted form).
    pub async fn compact_tracks(&self) -> Result<()> {
        self.track_log.drain().await
    }

    /// Begins a write transaction on the writer connection.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
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

/// A database error, with unique violations as [`StoreError::Conflict`].
fn db_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(d.message().to_owned())
        }
        _ => StoreError::Database(e),
    }
}

/// Names the duplicate when a layer write hit a unique key.
fn layer_error<'a>(e: sqlx::Error, table: &str, ids: impl Iterator<Item = &'a str>) -> StoreError {
    match db_error(e) {
        StoreError::Conflict(m) => match first_duplicate(ids) {
            Some(id) => {
                StoreError::Conflict(format!("{table}: id {id} appears twice in the batch"))
            }
            None => StoreError::Conflict(m),
        },
        other => other,
    }
}

/// Runs a multi-row `INSERT` in chunks that respect [`MAX_BINDS`]. `head` is
/// everything up to `VALUES`; `bind` pushes one row's `columns` values.
async fn insert_chunked<'a, T>(
    conn: &mut SqliteConnection,
    head: &str,
    columns: usize,
    items: &'a [T],
    mut bind: impl FnMut(&mut Separated<'_, 'a, Sqlite, &'static str>, &'a T) + Send,
) -> Result<(), sqlx::Error>
where
    T: Sync,
{
    for chunk in items.chunks((MAX_BINDS / columns).max(1)) {
        let mut q = QueryBuilder::<Sqlite>::new(head);
        q.push_values(chunk, |mut b, item| bind(&mut b, item));
        // Each chunk size is a new statement text: not worth caching.
        q.build().persistent(false).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Makes room for a layer write: the whole table for a replace, the batch's
/// ids for a merge (so that a merge, too, fails on a duplicate inside the
/// batch instead of silently keeping the last one).
async fn clear_for_write<'a>(
    conn: &mut SqliteConnection,
    table: &str,
    key: &str,
    mode: WriteMode,
    ids: impl Iterator<Item = &'a str>,
) -> Result<()> {
    match mode {
        WriteMode::Replace => {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *conn)
                .await?;
        }
        WriteMode::Merge => {
            let ids: Vec<&str> = ids.collect();
            let list = serde_json::to_string(&ids).map_err(|e| corrupt(table, "*", &e))?;
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE {key} IN (SELECT value FROM json_each(?))"
            ))
            .bind(list)
            .persistent(false)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

async fn write_areas(conn: &mut SqliteConnection, areas: &[Area], mode: WriteMode) -> Result<()> {
    let rows = area_rows(areas)?;
    let ids = || areas.iter().map(|a| a.code.as_str());
    clear_for_write(conn, "areas", "code", mode, ids()).await?;
    insert_chunked(
        conn,
        "INSERT INTO areas (code, name, level, parent, geometry) ",
        5,
        &rows,
        |b, r| {
            b.push_bind(r.area.code.as_str())
                .push_bind(r.area.name.as_str())
                .push_bind(r.level.as_str())
                .push_bind(r.area.parent.as_deref())
                .push_bind(r.geometry.as_str());
        },
    )
    .await
    .map_err(|e| layer_error(e, "areas", ids()))
}

async fn write_staff(conn: &mut SqliteConnection, staff: &[Staff], mode: WriteMode) -> Result<()> {
    let rows = staff_rows(staff)?;
    let ids = || staff.iter().map(|s| s.id.as_str());
    clear_for_write(conn, "staff", "id", mode, ids()).await?;
    insert_chunked(
        conn,
        "INSERT INTO staff (id, name, role, skills, home_grid, duty, devices, lon, lat, accuracy_m, speed_mps, \
         heading_deg, altitude_m, battery_pct, fix_time_ms, server_time_ms) ",
        16,
        &rows,
        |b, r| {
            let s = r.staff;
            let f = s.last_fix;
            b.push_bind(s.id.as_str())
                .push_bind(s.name.as_str())
                .push_bind(r.role.as_str())
                .push_bind(r.skills.as_str())
                .push_bind(s.home_grid.as_str())
                .push_bind(r.duty.as_str())
                .push_bind(r.devices.as_str())
                .push_bind(f.map(|f| f.position.lon))
                .push_bind(f.map(|f| f.position.lat))
                .push_bind(f.and_then(|f| f.accuracy_m))
                .push_bind(f.and_then(|f| f.speed_mps))
                .push_bind(f.and_then(|f| f.heading_deg))
                .push_bind(f.and_then(|f| f.altitude_m))
                .push_bind(f.and_then(|f| f.battery_pct))
                .push_bind(f.map(|f| f.fix_time_ms))
                .push_bind(f.map(|f| f.server_time_ms));
        },
    )
    .await
    .map_err(|e| layer_error(e, "staff", ids()))
}

async fn write_cameras(
    conn: &mut SqliteConnection,
    cameras: &[Camera],
    mode: WriteMode,
) -> Result<()> {
    for c in cameras {
        camera_location(c)?;
    }
    let ids = || cameras.iter().map(|c| c.id.as_str());
    clear_for_write(conn, "cameras", "id", mode, ids()).await?;
    insert_chunked(
        conn,
        "INSERT INTO cameras (id, name, heading_deg, fov_deg, range_m, stream_url, online, owner, lon, lat) ",
        10,
        cameras,
        |b, c| {
            b.push_bind(c.id.as_str())
                .push_bind(c.name.as_str())
                .push_bind(c.heading_deg)
                .push_bind(c.fov_deg)
                .push_bind(c.range_m)
                .push_bind(c.stream_url.as_deref())
                .push_bind(c.online)
                .push_bind(c.owner.as_str())
                .push_bind(c.location.lon)
                .push_bind(c.location.lat);
        },
    )
    .await
    .map_err(|e| layer_error(e, "cameras", ids()))
}

async fn write_risk_sources(
    conn: &mut SqliteConnection,
    risks: &[RiskSource],
    mode: WriteMode,
) -> Result<()> {
    let rows = risk_source_rows(risks)?;
    let ids = || risks.iter().map(|r| r.id.as_str());
    clear_for_write(conn, "risk_sources", "id", mode, ids()).await?;
    insert_chunked(
        conn,
        "INSERT INTO risk_sources (id, name, category, level, geometry) ",
        5,
        &rows,
        |b, r| {
            b.push_bind(r.id)
                .push_bind(r.name)
                .push_bind(r.category)
                .push_bind(i64::from(r.level))
                .push_bind(r.geometry.as_str());
        },
    )
    .await
    .map_err(|e| layer_error(e, "risk_sources", ids()))
}

async fn write_key_places(
    conn: &mut SqliteConnection,
    places: &[KeyPlace],
    mode: WriteMode,
) -> Result<()> {
    let rows = key_place_rows(places)?;
    let ids = || places.iter().map(|p| p.id.as_str());
    clear_for_write(conn, "key_places", "id", mode, ids()).await?;
    insert_chunked(
        conn,
        "INSERT INTO key_places (id, name, category, geometry) ",
        4,
        &rows,
        |b, r| {
            b.push_bind(r.id)
                .push_bind(r.name)
                .push_bind(r.category)
                .push_bind(r.geometry.as_str());
        },
    )
    .await
    .map_err(|e| layer_error(e, "key_places", ids()))
}

async fn write_any(conn: &mut SqliteConnection, data: &LayerData, mode: WriteMode) -> Result<()> {
    match data {
        LayerData::Areas(v) => write_areas(conn, v, mode).await,
        LayerData::Staff(v) => write_staff(conn, v, mode).await,
        LayerData::Cameras(v) => write_cameras(conn, v, mode).await,
        LayerData::RiskSources(v) => write_risk_sources(conn, v, mode).await,
        LayerData::KeyPlaces(v) => write_key_places(conn, v, mode).await,
    }
}

fn area_from(r: &SqliteRow) -> Result<Area> {
    let code: String = r.try_get("code")?;
    let level: String = r.try_get("level")?;
    let geometry: String = r.try_get("geometry")?;
    Ok(Area {
        level: parse_name("areas", &code, "level", &level)?,
        geometry: multi_polygon_from("areas", &code, &geometry)?,
        name: r.try_get("name")?,
        parent: r.try_get("parent")?,
        code,
    })
}

fn staff_from(r: &SqliteRow) -> Result<Staff> {
    let id: String = r.try_get("id")?;
    let role: String = r.try_get("role")?;
    let duty: String = r.try_get("duty")?;
    let skills: String = r.try_get("skills")?;
    let devices: String = r.try_get("devices")?;
    let fix = FixColumns {
        lon: r.try_get("lon")?,
        lat: r.try_get("lat")?,
        accuracy_m: r.try_get("accuracy_m")?,
        speed_mps: r.try_get("speed_mps")?,
        heading_deg: r.try_get("heading_deg")?,
        altitude_m: r.try_get("altitude_m")?,
        battery_pct: r.try_get("battery_pct")?,
        fix_time_ms: r.try_get("fix_time_ms")?,
        server_time_ms: r.try_get("server_time_ms")?,
    };
    Ok(Staff {
        role: parse_name("staff", &id, "role", &role)?,
        duty: parse_name("staff", &id, "duty", &duty)?,
        skills: parse_json_list("staff", &id, "skills", &skills)?,
        devices: parse_json_list("staff", &id, "devices", &devices)?,
        last_fix: fix_from("staff", &id, &fix)?,
        name: r.try_get("name")?,
        home_grid: r.try_get("home_grid")?,
        id,
    })
}

fn camera_from(r: &SqliteRow) -> Result<Camera> {
    let id: String = r.try_get("id")?;
    let mut camera = Camera {
        name: r.try_get("name")?,
        heading_deg: r.try_get("heading_deg")?,
        fov_deg: r.try_get("fov_deg")?,
        range_m: r.try_get("range_m")?,
        stream_url: r.try_get("stream_url")?,
        online: r.try_get("online")?,
        owner: r.try_get("owner")?,
        location: LonLat {
            lon: r.try_get("lon")?,
            lat: r.try_get("lat")?,
        },
        id,
    };
    camera.location = camera
        .location
        .validated()
        .map_err(|e| corrupt("cameras", &camera.id, &e))?;
    Ok(camera)
}

fn risk_source_from(r: &SqliteRow) -> Result<RiskSource> {
    let id: String = r.try_get("id")?;
    let level: i64 = r.try_get("level")?;
    let geometry: String = r.try_get("geometry")?;
    Ok(RiskSource {
        level: risk_level_from("risk_sources", &id, level)?,
        footprint: footprint_from("risk_sources", &id, &geometry)?,
        name: r.try_get("name")?,
        category: r.try_get("category")?,
        id,
    })
}

fn key_place_from(r: &SqliteRow) -> Result<KeyPlace> {
    let id: String = r.try_get("id")?;
    let geometry: String = r.try_get("geometry")?;
    Ok(KeyPlace {
        footprint: footprint_from("key_places", &id, &geometry)?,
        name: r.try_get("name")?,
        category: r.try_get("category")?,
        id,
    })
}

#[async_trait]
impl Store for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn is_empty(&self) -> Result<bool> {
        let any: i64 = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM areas)")
            .fetch_one(&self.reader)
            .await?;
        Ok(any == 0)
    }

    async fn load_city(&self) -> Result<City> {
        // The staff rows' last fixes trail the track log by up to one pass.
        self.compact_tracks().await?;
        // One read transaction: every layer from the same snapshot, even if a
        // write commits half-way through the load.
        let mut tx = self.reader.begin().await?;
        let mut city = City::default();
        for r in sqlx::query("SELECT code, name, level, parent, geometry FROM areas")
            .fetch_all(&mut *tx)
            .await?
        {
            city.areas.push(area_from(&r)?);
        }
        // Parents before children: by level from the city down, then code.
        city.areas
            .sort_by(|a, b| a.level.cmp(&b.level).then_with(|| a.code.cmp(&b.code)));
        for r in sqlx::query(
            "SELECT id, name, role, skills, home_grid, duty, devices, lon, lat, accuracy_m, speed_mps, \
             heading_deg, altitude_m, battery_pct, fix_time_ms, server_time_ms FROM staff ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await?
        {
            city.staff.push(staff_from(&r)?);
        }
        for r in sqlx::query(
            "SELECT id, name, heading_deg, fov_deg, range_m, stream_url, online, owner, lon, lat \
             FROM cameras ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await?
        {
            city.cameras.push(camera_from(&r)?);
        }
        for r in
            sqlx::query("SELECT id, name, category, level, geometry FROM risk_sources ORDER BY id")
                .fetch_all(&mut *tx)
                .await?
        {
            city.risk_sources.push(risk_source_from(&r)?);
        }
        for r in sqlx::query("SELECT id, name, category, geometry FROM key_places ORDER BY id")
            .fetch_all(&mut *tx)
            .await?
        {
            city.key_places.push(key_place_from(&r)?);
        }
        tx.commit().await?;
        Ok(city)
    }

    async fn import_city(&self, city: &City) -> Result<()> {
        let mut tx = self.begin_write().await?;
        write_areas(&mut tx, &city.areas, WriteMode::Replace).await?;
        write_staff(&mut tx, &city.staff, WriteMode::Replace).await?;
        write_cameras(&mut tx, &city.cameras, WriteMode::Replace).await?;
        write_risk_sources(&mut tx, &city.risk_sources, WriteMode::Replace).await?;
        write_key_places(&mut tx, &city.key_places, WriteMode::Replace).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn write_layer(&self, data: &LayerData, mode: WriteMode) -> Result<()> {
        let mut tx = self.begin_write().await?;
        write_any(&mut tx, data, mode).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn append_fixes(&self, points: &[TrackPoint<'_>]) -> Result<()> {
        if points.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        tracks::append(&mut tx, points).await?;
        tx.commit().await?;
        self.track_log.logged(points.len());
        Ok(())
    }

    async fn track(
        &self,
        staff_id: &str,
        from_ms: EpochMs,
        to_ms: EpochMs,
        limit: u32,
    ) -> Result<Vec<Fix>> {
        tracks::track(&self.reader, staff_id, from_ms, to_ms, limit).await
    }

    async fn prune_tracks(&self, before_ms: EpochMs) -> Result<u64> {
        tracks::prune(&self.track_log, before_ms, PRUNE_CHUNK).await
    }

    async fn set_duty(&self, staff_id: &str, duty: DutyStatus) -> Result<()> {
        let duty = super::codec::name(duty)?;
        let done = sqlx::query("UPDATE staff SET duty = ? WHERE id = ?")
            .bind(duty)
            .bind(staff_id)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("staff member {staff_id}")));
        }
        Ok(())
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}

super::incidents::impl_incident_store!(SqliteStore, reader: reader, begin: begin_write, sql: super::incidents::same);
super::audit::impl_audit_store!(SqliteStore, reader: reader, writer: writer, sql: super::incidents::same);
super::accounts::impl_account_store!(SqliteStore, reader: reader, writer: writer, sql: super::incidents::same, db_error: db_error);
