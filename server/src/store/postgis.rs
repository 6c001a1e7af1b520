//! PostgreSQL + PostGIS: the layers as real geometry columns in WGS84
//! (SRID 4326) with `GiST` indexes, so GIS tools (QGIS, ogr2ogr) read them in
//! place. See `migrations/postgres/0001_init.sql`.
//!
//! Geometry goes in as GeoJSON (`ST_GeomFromGeoJSON`, the text the import
//! validated) and comes out as Well-Known Binary (`ST_AsBinary`: the doubles
//! bit-exact, read back through the engine's validating WKB parser). Points
//! (a staff member's last fix, track fixes, cameras) are stored as exact
//! `lon`/`lat` doubles with the PostGIS point generated from them by the
//! database.
//!
//! Durability: every connection runs with `synchronous_commit = on`, so a
//! commit is flushed to the WAL before it returns, whatever the server's
//! default; and every trait method commits before it returns `Ok`. The
//! server's own `fsync` must be on (a warning is logged if it is not).

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::{Connection as _, Postgres, Row};

use super::backend::{Backend, GeometryOut};
use super::codec::{FixColumns, corrupt, fix_from, newest_per_staff, validate_points};
use super::outbox::{Outgoing, keep_all};
use super::{CityFeed, Result, STAFF_BATCH, Store, StoreError, TrackPoint, layers, pgcopy, rows};
use riskmap_engine::City;
use riskmap_engine::model::{Camera, EpochMs, Fix, KeyPlace, RiskSource};

/// PostgreSQL's limit on bound values in one statement (the protocol counts
/// them in 16 bits); multi-row inserts are chunked to stay below it.
const MAX_BINDS: usize = 65_535;

/// Connections in the pool. The server writes fixes from one task and reads
/// little; a few connections cover start-up, logins and track replays.
const CONNECTIONS: u32 = 8;

/// How long the first connection may take: an address that drops packets
/// is reported after this, not after the pool's [`WAIT`].
const FIRST_CONNECT: Duration = Duration::from_secs(5);

/// The URL schemes PostgreSQL's driver takes.
const SCHEMES: [&str; 2] = ["postgres://", "postgresql://"];

/// Connection options from a URL whose scheme is PostgreSQL's (any other
/// would be parsed all the same and fail later, as a DNS error or worse).
fn connect_options(url: &str) -> Result<PgConnectOptions> {
    if !SCHEMES.iter().any(|s| url.starts_with(s)) {
        let scheme = url.split_once(':').map_or(url, |(s, _)| s);
        return Err(StoreError::BadUrl(format!(
            "scheme {scheme:?} is not supported; accepted: {} (or leave --database-url out \
             for the embedded SQLite store in --data-dir)",
            SCHEMES.join(", ")
        )));
    }
    PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))
}

/// A URL without its password, for messages.
fn redacted(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
            match authority.rsplit_once('@') {
                Some((user, host)) => {
                    let user = user.split(':').next().unwrap_or_default();
                    format!("{scheme}://{user}@{host}{path}")
                }
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

/// How long to wait for a pooled connection.
const WAIT: Duration = Duration::from_secs(60);

/// The PostGIS store.
#[derive(Debug, Clone)]
pub struct PostgisStore {
    pool: PgPool,
}

impl PostgisStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`) and
    /// brings the schema up to date; the migration creates the PostGIS
    /// extension if it is not there yet (which needs the right to).
    pub async fn connect(url: &str) -> Result<Self> {
        let options = connect_options(url)?
            .application_name("riskmap")
            .options([("synchronous_commit", "on")]);
        // One connection first, briefly: a pool would retry a refused or
        // failing connection until its acquire timeout and then say only
        // "pool timed out", hiding the reason.
        match tokio::time::timeout(FIRST_CONNECT, PgConnection::connect_with(&options)).await {
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
            }
            Ok(Err(e)) => return Err(StoreError::Connect(redacted(url), e)),
            Err(_) => {
                return Err(StoreError::Connect(
                    redacted(url),
                    sqlx::Error::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("no answer within {} s", FIRST_CONNECT.as_secs()),
                    )),
                ));
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(CONNECTIONS)
            .acquire_timeout(WAIT)
            .connect_with(options)
            .await?;
        let fsync: String = sqlx::query_scalar("SELECT current_setting('fsync')")
            .fetch_one(&pool)
            .await?;
        if fsync != "on" {
            tracing::warn!(
                "the PostgreSQL server runs with fsync = {fsync}: a power loss can lose acknowledged writes"
            );
        }
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        Ok(PostgisStore { pool })
    }
}

impl Backend for PostgisStore {
    type Db = Postgres;
    const MAX_BINDS: usize = MAX_BINDS;
    const NUMBERED: bool = true;
    const GEOMETRY_COLUMN: &'static str = "geom";
    const GEOMETRY_VALUE: (&'static str, &'static str) =
        ("ST_SetSRID(ST_GeomFromGeoJSON(", "), 4326)");
    const GEOMETRY_OUT: GeometryOut = GeometryOut::Wkb("ST_AsBinary(geom)");
    const JSON_VALUE: (&'static str, &'static str) = ("", "::jsonb");
    const JSON_TEXT: &'static str = "::text";
    const JSON_STRINGS: &'static str = "SELECT jsonb_array_elements_text({}::jsonb)";
    // Layer writes to one table queue behind each other, and behind (or
    // ahead of) fix batches as a whole: they lock the table before any row,
    // so no two writers can each hold a row the other waits for.
    const LOCK_FOR_LAYER: Option<&'static str> = Some("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE");

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

fn fix_columns(r: &PgRow) -> Result<FixColumns> {
    Ok(FixColumns {
        lon: r.try_get("lon")?,
        lat: r.try_get("lat")?,
        accuracy_m: r.try_get("accuracy_m")?,
        speed_mps: r.try_get("speed_mps")?,
        heading_deg: r.try_get("heading_deg")?,
        altitude_m: r.try_get("altitude_m")?,
        battery_pct: r.try_get("battery_pct")?,
        fix_time_ms: r.try_get("fix_time_ms")?,
        server_time_ms: r.try_get("server_time_ms")?,
    })
}

/// Cameras, risk sources and key places, read in a transaction that takes
/// over an exported snapshot.
async fn load_static_layers(
    pool: &PgPool,
    snapshot: &str,
) -> Result<(Vec<Camera>, Vec<RiskSource>, Vec<KeyPlace>)> {
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    // SET TRANSACTION takes no bind parameters; the id is PostgreSQL's own
    // (hex digits and dashes), quoted all the same.
    sqlx::query(&format!(
        "SET TRANSACTION SNAPSHOT '{}'",
        snapshot.replace('\'', "''")
    ))
    .execute(&mut *tx)
    .await?;
    let layers = layers::read_static::<PostgisStore>(&mut tx).await?;
    tx.commit().await?;
    Ok(layers)
}

#[async_trait]
impl Store for PostgisStore {
    fn kind(&self) -> &'static str {
        "postgis"
    }

    async fn load_city_feeding(&self, feed: CityFeed) -> Result<City> {
        // One snapshot for every layer, even if a write commits meanwhile:
        // the first transaction exports it and a second one, on another
        // connection, imports it, so that two server processes produce rows
        // at once (areas then staff on one, the static layers on the other).
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut *tx)
            .await?;
        let pool = self.pool.clone();
        let others = tokio::spawn(async move { load_static_layers(&pool, &snapshot).await });
        let areas = layers::read_areas::<PostgisStore>(&mut tx).await?;
        let _ = feed.areas.send(areas);
        // The staff copied out in binary (`pgcopy`): rows decoded as they
        // arrive, by column position, and handed over in batches.
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM staff")
            .fetch_one(&mut *tx)
            .await?;
        let _ = feed.staff_count.send(usize::try_from(count).unwrap_or(0));
        let staff = layers::staff_read::<PostgisStore>();
        pgcopy::copy_batches(&mut tx, &staff, STAFF_BATCH, |batch| {
            let _ = feed.staff.send(batch);
        })
        .await?;
        // The exported snapshot lives only as long as this transaction: it
        // ends after the other one has taken it over (and finished).
        let (cameras, risk_sources, key_places) = others
            .await
            .map_err(|e| StoreError::Corrupt(format!("reading the static layers: {e}")))??;
        tx.commit().await?;
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
        validate_points(points)?;
        let newest = newest_per_staff(points);
        let mut tx = self.pool.begin().await?;
        rows::insert_points::<PostgisStore>(&mut tx, "tracks", points).await?;
        // Lock before updating, so that concurrent writers queue instead of
        // deadlocking: first the table in the mode an UPDATE takes anyway (a
        // layer write holds it in a conflicting mode for its whole
        // transaction, so we wait for it before touching any row, or it
        // waits for us), then the rows in id order (two fix batches moving
        // overlapping staff, e.g. from two server nodes, take them in the
        // same order).
        sqlx::query("LOCK TABLE staff IN ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        let ids: Vec<&str> = newest.iter().map(|p| p.staff_id).collect();
        sqlx::query("SELECT id FROM staff WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind(ids)
            .execute(&mut *tx)
            .await?;
        rows::move_last_fixes::<PostgisStore>(&mut tx, &newest).await?;
        let kept = keep_all::<PostgisStore>(&mut tx, outbox, crate::clock::now_ms()).await?;
        tx.commit().await?;
        Ok(kept)
    }

    async fn track(&self, staff: &str, from: EpochMs, to: EpochMs, limit: u32) -> Result<Vec<Fix>> {
        let rows = sqlx::query(
            "SELECT fix_time_ms, server_time_ms, lon, lat, accuracy_m, speed_mps, heading_deg, altitude_m, \
             battery_pct FROM tracks WHERE staff_id = $1 AND fix_time_ms BETWEEN $2 AND $3 \
             ORDER BY fix_time_ms, server_time_ms LIMIT $4",
        )
        .bind(staff)
        .bind(from)
        .bind(to)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                fix_from("tracks", staff, &fix_columns(r)?)?
                    .ok_or_else(|| corrupt("tracks", staff, &"a fix without a time"))
            })
            .collect()
    }

    async fn prune_tracks(&self, before_ms: EpochMs) -> Result<u64> {
        // One statement: PostgreSQL keeps appending fixes beside a delete.
        let done = sqlx::query("DELETE FROM tracks WHERE fix_time_ms < $1")
            .bind(before_ms)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
