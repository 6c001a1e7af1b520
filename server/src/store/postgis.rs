//! PostgreSQL + PostGIS: the layers as real geometry columns in WGS84
//! (SRID 4326) with `GiST` indexes, so GIS tools (QGIS, ogr2ogr) read them in
//! place. See `migrations/postgres/0001_init.sql`.
//!
//! Geometry crosses the wire as GeoJSON: `ST_GeomFromGeoJSON` on the way in
//! and `ST_AsGeoJSON` on the way out, read back through the engine's
//! validating parser. Points (a staff member's last fix, track fixes,
//! cameras) are stored as exact `lon`/`lat` doubles with the PostGIS point
//! generated from them by the database.
//!
//! Durability: every connection runs with `synchronous_commit = on`, so a
//! commit is flushed to the WAL before it returns, whatever the server's
//! default; and every trait method commits before it returns `Ok`. The
//! server's own `fsync` must be on (a warning is logged if it is not).

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use sqlx::postgres::{
    PgConnectOptions, PgConnection, PgDatabaseError, PgPool, PgPoolOptions, PgRow,
};
use sqlx::query_builder::Separated;
use sqlx::{Postgres, QueryBuilder, Row};

use super::codec::{
    FixColumns, MOVE_LAST_FIXES, POINT_COLUMNS, area_rows, camera_location, corrupt,
    first_duplicate, fix_from, footprint_from, key_place_rows, multi_polygon_from, name,
    newest_per_staff, parse_json_list, parse_name, push_point, risk_level_from, risk_source_rows,
    staff_rows, validate_points,
};
use super::{LayerData, Result, Store, StoreError, TrackPoint, WriteMode};
use riskmap_engine::City;
use riskmap_engine::model::{Area, Camera, DutyStatus, EpochMs, Fix, KeyPlace, RiskSource, Staff};
use riskmap_engine::sphere::LonLat;

/// PostgreSQL's limit on bound values in one statement (the protocol counts
/// them in 16 bits); multi-row inserts are chunked to stay below it.
const MAX_BINDS: usize = 65_535;

/// Connections in the pool. The server writes fixes from one task and reads
/// little; a few connections cover start-up, logins and track replays.
const CONNECTIONS: u32 = 8;

/// How long to wait for a pooled connection.
const WAIT: Duration = Duration::from_secs(60);

/// The most decimals `ST_AsGeoJSON` may write. PostGIS (3.1 and later)
/// writes the shortest text that reads back as the same double, within this
/// many decimals; at 30 every coordinate comes back bit-exact (checked on
/// random doubles down to 1e-16; smaller ones are written with an exponent).
/// The default of 9 would round coordinates to about 0.1 mm.
const GEOJSON_DIGITS: i32 = 30;

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
        let options = PgConnectOptions::from_str(url)?
            .application_name("riskmap")
            .options([("synchronous_commit", "on")]);
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

    /// Begins a write transaction.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

/// A database error, with unique violations as [`StoreError::Conflict`]
/// (with PostgreSQL's detail, which names the key).
fn db_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            let detail = d
                .try_downcast_ref::<PgDatabaseError>()
                .and_then(PgDatabaseError::detail)
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            StoreError::Conflict(format!("{}{detail}", d.message()))
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
/// everything up to `VALUES`; `bind` pushes one row's `binds` values.
async fn insert_chunked<'a, T>(
    conn: &mut PgConnection,
    head: &str,
    binds: usize,
    items: &'a [T],
    mut bind: impl FnMut(&mut Separated<'_, 'a, Postgres, &'static str>, &'a T) + Send,
) -> Result<(), sqlx::Error>
where
    T: Sync,
{
    for chunk in items.chunks((MAX_BINDS / binds).max(1)) {
        let mut q = QueryBuilder::<Postgres>::new(head);
        q.push_values(chunk, |mut b, item| bind(&mut b, item));
        // Each chunk size is a new statement: not worth preparing for reuse.
        q.build().persistent(false).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Pushes a GeoJSON geometry bound as text, converted by PostGIS.
fn push_geometry<'a>(b: &mut Separated<'_, 'a, Postgres, &'static str>, geojson: &'a str) {
    b.push("ST_SetSRID(ST_GeomFromGeoJSON(")
        .push_bind_unseparated(geojson)
        .push_unseparated("), 4326)");
}

/// Makes room for a layer write: the whole table for a replace, the batch's
/// ids for a merge (so that a merge, too, fails on a duplicate inside the
/// batch, as a replace does, instead of hitting PostgreSQL's "cannot affect
/// row a second time").
async fn clear_for_write<'a>(
    conn: &mut PgConnection,
    table: &str,
    key: &str,
    mode: WriteMode,
    ids: impl Iterator<Item = &'a str>,
) -> Result<()> {
    // Layer writes to one table queue behind each other, and behind (or
    // ahead of) fix batches as a whole: they lock the table before any row,
    // so no two writers can each hold a row the other waits for.
    sqlx::query(&format!("LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))
        .execute(&mut *conn)
        .await?;
    match mode {
        WriteMode::Replace => {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *conn)
                .await?;
        }
        WriteMode::Merge => {
            let ids: Vec<&str> = ids.collect();
            sqlx::query(&format!("DELETE FROM {table} WHERE {key} = ANY($1)"))
                .bind(ids)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

async fn write_areas(conn: &mut PgConnection, areas: &[Area], mode: WriteMode) -> Result<()> {
    let rows = area_rows(areas)?;
    let ids = || areas.iter().map(|a| a.code.as_str());
    clear_for_write(conn, "areas", "code", mode, ids()).await?;
    insert_chunked(
        conn,
        "INSERT INTO areas (code, name, level, parent, geom) ",
        5,
        &rows,
        |b, r| {
            b.push_bind(r.area.code.as_str())
                .push_bind(r.area.name.as_str())
                .push_bind(r.level.as_str())
                .push_bind(r.area.parent.as_deref());
            push_geometry(b, &r.geometry);
        },
    )
    .await
    .map_err(|e| layer_error(e, "areas", ids()))
}

async fn write_staff(conn: &mut PgConnection, staff: &[Staff], mode: WriteMode) -> Result<()> {
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
                .push_unseparated("::jsonb")
                .push_bind(s.home_grid.as_str())
                .push_bind(r.duty.as_str())
                .push_bind(r.devices.as_str())
                .push_unseparated("::jsonb")
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

async fn write_cameras(conn: &mut PgConnection, cameras: &[Camera], mode: WriteMode) -> Result<()> {
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
    conn: &mut PgConnection,
    risks: &[RiskSource],
    mode: WriteMode,
) -> Result<()> {
    let rows = risk_source_rows(risks)?;
    let ids = || risks.iter().map(|r| r.id.as_str());
    clear_for_write(conn, "risk_sources", "id", mode, ids()).await?;
    insert_chunked(
        conn,
        "INSERT INTO risk_sources (id, name, category, level, geom) ",
        5,
        &rows,
        |b, r| {
            b.push_bind(r.id)
                .push_bind(r.name)
                .push_bind(r.category)
                .push_bind(i16::from(r.level));
            push_geometry(b, &r.geometry);
        },
    )
    .await
    .map_err(|e| layer_error(e, "risk_sources", ids()))
}

async fn write_key_places(
    conn: &mut PgConnection,
    places: &[KeyPlace],
    mode: WriteMode,
) -> Result<()> {
    let rows = key_place_rows(places)?;
    let ids = || places.iter().map(|p| p.id.as_str());
    clear_for_write(conn, "key_places", "id", mode, ids()).await?;
    insert_chunked(
        conn,
        "INSERT INTO key_places (id, name, category, geom) ",
        4,
        &rows,
        |b, r| {
            b.push_bind(r.id).push_bind(r.name).push_bind(r.category);
            push_geometry(b, &r.geometry);
        },
    )
    .await
    .map_err(|e| layer_error(e, "key_places", ids()))
}

async fn write_any(conn: &mut PgConnection, data: &LayerData, mode: WriteMode) -> Result<()> {
    match data {
        LayerData::Areas(v) => write_areas(conn, v, mode).await,
        LayerData::Staff(v) => write_staff(conn, v, mode).await,
        LayerData::Cameras(v) => write_cameras(conn, v, mode).await,
        LayerData::RiskSources(v) => write_risk_sources(conn, v, mode).await,
        LayerData::KeyPlaces(v) => write_key_places(conn, v, mode).await,
    }
}

fn area_from(r: &PgRow) -> Result<Area> {
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

/// The staff columns [`staff_from_load`] reads, in its order.
const STAFF_LOAD_COLUMNS: &str = "id, name, role, skills::text, home_grid, duty, devices::text, lon, lat, \
     accuracy_m, speed_mps, heading_deg, altitude_m, battery_pct, fix_time_ms, server_time_ms";

/// A staff row of [`STAFF_LOAD_COLUMNS`], by position: a city load reads
/// hundreds of thousands, and a lookup by name per column costs more than
/// the decoding.
fn staff_from_load(r: &PgRow) -> Result<Staff> {
    let id: String = r.try_get(0)?;
    let role: &str = r.try_get(2)?;
    let skills: &str = r.try_get(3)?;
    let duty: &str = r.try_get(5)?;
    let devices: &str = r.try_get(6)?;
    let fix = FixColumns {
        lon: r.try_get(7)?,
        lat: r.try_get(8)?,
        accuracy_m: r.try_get(9)?,
        speed_mps: r.try_get(10)?,
        heading_deg: r.try_get(11)?,
        altitude_m: r.try_get(12)?,
        battery_pct: r.try_get(13)?,
        fix_time_ms: r.try_get(14)?,
        server_time_ms: r.try_get(15)?,
    };
    Ok(Staff {
        role: parse_name("staff", &id, "role", role)?,
        duty: parse_name("staff", &id, "duty", duty)?,
        skills: parse_json_list("staff", &id, "skills", skills)?,
        devices: parse_json_list("staff", &id, "devices", devices)?,
        last_fix: fix_from("staff", &id, &fix)?,
        name: r.try_get(1)?,
        home_grid: r.try_get(4)?,
        id,
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
    let mut cameras = Vec::new();
    let mut rows = sqlx::query(
        "SELECT id, name, heading_deg, fov_deg, range_m, stream_url, online, owner, lon, lat \
         FROM cameras ORDER BY id",
    )
    .fetch(&mut *tx);
    while let Some(r) = rows.try_next().await? {
        cameras.push(camera_from(&r)?);
    }
    drop(rows);
    let risk_sources = read_layer(
        &mut tx,
        "SELECT id, name, category, level, ST_AsGeoJSON(geom, $1, 0) AS geometry FROM risk_sources ORDER BY id",
        risk_source_from,
    )
    .await?;
    let key_places = read_layer(
        &mut tx,
        "SELECT id, name, category, ST_AsGeoJSON(geom, $1, 0) AS geometry FROM key_places ORDER BY id",
        key_place_from,
    )
    .await?;
    tx.commit().await?;
    Ok((cameras, risk_sources, key_places))
}

/// A camera row, by position (see [`staff_from_load`]).
fn camera_from(r: &PgRow) -> Result<Camera> {
    let id: String = r.try_get(0)?;
    let location =
        LonLat::new(r.try_get(8)?, r.try_get(9)?).map_err(|e| corrupt("cameras", &id, &e))?;
    Ok(Camera {
        name: r.try_get(1)?,
        heading_deg: r.try_get(2)?,
        fov_deg: r.try_get(3)?,
        range_m: r.try_get(4)?,
        stream_url: r.try_get(5)?,
        online: r.try_get(6)?,
        owner: r.try_get(7)?,
        location,
        id,
    })
}

/// Every row of a layer whose query takes the GeoJSON precision as `$1`.
async fn read_layer<T>(
    conn: &mut PgConnection,
    sql: &str,
    from: fn(&PgRow) -> Result<T>,
) -> Result<Vec<T>> {
    sqlx::query(sql)
        .bind(GEOJSON_DIGITS)
        .fetch_all(conn)
        .await?
        .iter()
        .map(from)
        .collect()
}

fn risk_source_from(r: &PgRow) -> Result<RiskSource> {
    let id: String = r.try_get("id")?;
    let level: i16 = r.try_get("level")?;
    let geometry: String = r.try_get("geometry")?;
    Ok(RiskSource {
        level: risk_level_from("risk_sources", &id, i64::from(level))?,
        footprint: footprint_from("risk_sources", &id, &geometry)?,
        name: r.try_get("name")?,
        category: r.try_get("category")?,
        id,
    })
}

fn key_place_from(r: &PgRow) -> Result<KeyPlace> {
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
impl Store for PostgisStore {
    fn kind(&self) -> &'static str {
        "postgis"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn is_empty(&self) -> Result<bool> {
        let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM areas)")
            .fetch_one(&self.pool)
            .await?;
        Ok(!any)
    }

    async fn load_city(&self) -> Result<City> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut city = self.load_city_areas_first(tx).await?;
        city.areas = rx
            .await
            .map_err(|_| StoreError::Corrupt("the areas were not read".into()))?;
        Ok(city)
    }

    async fn load_city_areas_first(
        &self,
        areas_out: tokio::sync::oneshot::Sender<Vec<Area>>,
    ) -> Result<City> {
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
        let mut areas = Vec::new();
        for r in sqlx::query(
            "SELECT code, name, level, parent, ST_AsGeoJSON(geom, $1, 0) AS geometry FROM areas",
        )
        .bind(GEOJSON_DIGITS)
        .fetch_all(&mut *tx)
        .await?
        {
            areas.push(area_from(&r)?);
        }
        // Parents before children: by level from the city down, then code.
        areas.sort_by(|a, b| a.level.cmp(&b.level).then_with(|| a.code.cmp(&b.code)));
        let _ = areas_out.send(areas);
        // Ids are COLLATE "C": ORDER BY sorts them byte-wise, as Rust does.
        // Rows are decoded as they arrive, by column position.
        let mut staff = Vec::new();
        let query = format!("SELECT {STAFF_LOAD_COLUMNS} FROM staff ORDER BY id");
        let mut rows = sqlx::query(&query).fetch(&mut *tx);
        while let Some(r) = rows.try_next().await? {
            staff.push(staff_from_load(&r)?);
        }
        drop(rows);
        // The exported snapshot lives only as long as this transaction: it
        // ends after the other one has taken it over (and finished).
        let (cameras, risk_sources, key_places) = others
            .await
            .map_err(|e| StoreError::Corrupt(format!("reading the static layers: {e}")))??;
        tx.commit().await?;
        Ok(City {
            areas: Vec::new(),
            staff,
            cameras,
            risk_sources,
            key_places,
        })
    }

    async fn import_city(&self, city: &City) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        write_areas(&mut tx, &city.areas, WriteMode::Replace).await?;
        write_staff(&mut tx, &city.staff, WriteMode::Replace).await?;
        write_cameras(&mut tx, &city.cameras, WriteMode::Replace).await?;
        write_risk_sources(&mut tx, &city.risk_sources, WriteMode::Replace).await?;
        write_key_places(&mut tx, &city.key_places, WriteMode::Replace).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn write_layer(&self, data: &LayerData, mode: WriteMode) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        write_any(&mut tx, data, mode).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn append_fixes(&self, points: &[TrackPoint<'_>]) -> Result<()> {
        if points.is_empty() {
            return Ok(());
        }
        validate_points(points)?;
        let newest = newest_per_staff(points);
        let mut tx = self.pool.begin().await?;
        insert_chunked(
            &mut tx,
            &format!("INSERT INTO tracks ({POINT_COLUMNS}) "),
            10,
            points,
            push_point,
        )
        .await?;
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
        for chunk in newest.chunks(MAX_BINDS / 10) {
            let mut q = QueryBuilder::<Postgres>::new(MOVE_LAST_FIXES.0);
            q.push_values(chunk, |mut b, p| push_point(&mut b, p));
            q.push(MOVE_LAST_FIXES.1);
            q.build().persistent(false).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn track(
        &self,
        staff_id: &str,
        from_ms: EpochMs,
        to_ms: EpochMs,
        limit: u32,
    ) -> Result<Vec<Fix>> {
        let rows = sqlx::query(
            "SELECT fix_time_ms, server_time_ms, lon, lat, accuracy_m, speed_mps, heading_deg, altitude_m, \
             battery_pct FROM tracks WHERE staff_id = $1 AND fix_time_ms BETWEEN $2 AND $3 \
             ORDER BY fix_time_ms, server_time_ms LIMIT $4",
        )
        .bind(staff_id)
        .bind(from_ms)
        .bind(to_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                fix_from("tracks", staff_id, &fix_columns(r)?)?
                    .ok_or_else(|| corrupt("tracks", staff_id, &"a fix without a time"))
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

    async fn set_duty(&self, staff_id: &str, duty: DutyStatus) -> Result<()> {
        let done = sqlx::query("UPDATE staff SET duty = $1 WHERE id = $2")
            .bind(name(duty)?)
            .bind(staff_id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("staff member {staff_id}")));
        }
        Ok(())
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

super::incidents::impl_incident_store!(PostgisStore, reader: pool, begin: begin_write, sql: super::incidents::numbered);
super::audit::impl_audit_store!(PostgisStore, reader: pool, writer: pool, sql: super::incidents::numbered);
super::accounts::impl_account_store!(PostgisStore, reader: pool, writer: pool, sql: super::incidents::numbered, db_error: db_error);
