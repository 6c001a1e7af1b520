//! PostgreSQL + PostGIS: geometry columns in WGS84 (SRID 4326) with `GiST`
//! indexes, so GIS tools can read the layers in place. Geometry crosses the
//! wire as GeoJSON (`ST_GeomFromGeoJSON` / `ST_AsGeoJSON`) and is validated by
//! the engine's parser on the way back.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, QueryBuilder, Row as _, Transaction};

use super::rows::{self, Row};
use super::{LayerData, Result, Session, Store, StoreError, TrackPoint, WriteMode};
use crate::access::{NewUser, User, UserRole};
use crate::auth::now_ms;
use crate::citydir::CityLayers;
use crate::engine::geojson as gj;
use crate::engine::model::{DutyStatus, EpochMs, Fix};
use crate::engine::sphere::LonLat;

/// PostgreSQL allows 65,535 bound values per statement; rows are chunked
/// below it.
const MAX_VARS: usize = 60_000;

/// Decimal digits of `ST_AsGeoJSON`: enough for doubles to come back exact.
const GEOJSON_DIGITS: i32 = 15;

/// The PostGIS store.
pub struct PostgisStore {
    pool: PgPool,
}

impl PostgisStore {
    /// Connects and migrates (the PostGIS extension is created if missing).
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        Ok(PostgisStore { pool })
    }
}

fn map_unique(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(d.message().to_owned())
        }
        _ => StoreError::Database(e),
    }
}

async fn write_rows(
    tx: &mut Transaction<'_, Postgres>,
    data: &LayerData,
    mode: WriteMode,
) -> Result<()> {
    let table = rows::table(data);
    if mode == WriteMode::Replace {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut **tx)
            .await?;
    }
    let rows = rows::rows(data);
    match data {
        LayerData::Areas(_) => {
            for chunk in rows.chunks(MAX_VARS / 5) {
                let mut q = QueryBuilder::<Postgres>::new(
                    "INSERT INTO areas (code, level, parent, properties, geom) ",
                );
                q.push_values(chunk, |mut b, r: &Row| {
                    b.push_bind(&r.id)
                        .push_bind(&r.level)
                        .push_bind(&r.parent)
                        .push_bind(&r.properties)
                        .push_unseparated("::jsonb")
                        .push("ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(")
                        .push_bind_unseparated(&r.geometry)
                        .push_unseparated("), 4326))");
                });
                if mode == WriteMode::Merge {
                    q.push(
                        " ON CONFLICT (code) DO UPDATE SET level = excluded.level, parent = excluded.parent, \
                         properties = excluded.properties, geom = excluded.geom",
                    );
                }
                q.build().execute(&mut **tx).await.map_err(map_unique)?;
            }
        }
        LayerData::Staff(_) => {
            for chunk in rows.chunks(MAX_VARS / 11) {
                let mut q = QueryBuilder::<Postgres>::new(
                    "INSERT INTO staff (id, properties, geom, accuracy_m, speed_mps, heading_deg, \
                     altitude_m, battery_pct, fix_time_ms, server_time_ms) ",
                );
                q.push_values(chunk, |mut b, r: &Row| {
                    let f = r.fix;
                    b.push_bind(&r.id)
                        .push_bind(&r.properties)
                        .push_unseparated("::jsonb")
                        .push("ST_SetSRID(ST_MakePoint(")
                        .push_bind_unseparated(f.map(|f| f.position.lon))
                        .push_unseparated("::float8, ")
                        .push_bind_unseparated(f.map(|f| f.position.lat))
                        .push_unseparated("::float8), 4326)")
                        .push_bind(f.and_then(|f| f.accuracy_m))
                        .push_bind(f.and_then(|f| f.speed_mps))
                        .push_bind(f.and_then(|f| f.heading_deg))
                        .push_bind(f.and_then(|f| f.altitude_m))
                        .push_bind(f.and_then(|f| f.battery_pct))
                        .push_bind(f.map(|f| f.fix_time_ms))
                        .push_bind(f.map(|f| f.server_time_ms));
                });
                if mode == WriteMode::Merge {
                    // A merged record without a fix keeps the stored one.
                    q.push(" ON CONFLICT (id) DO UPDATE SET properties = excluded.properties");
                    for c in [
                        "geom",
                        "accuracy_m",
                        "speed_mps",
                        "heading_deg",
                        "altitude_m",
                        "battery_pct",
                        "fix_time_ms",
                        "server_time_ms",
                    ] {
                        q.push(format!(
                            ", {c} = CASE WHEN excluded.fix_time_ms IS NULL THEN staff.{c} ELSE excluded.{c} END"
                        ));
                    }
                }
                q.build().execute(&mut **tx).await.map_err(map_unique)?;
            }
        }
        LayerData::Cameras(_) | LayerData::RiskSources(_) | LayerData::KeyPlaces(_) => {
            for chunk in rows.chunks(MAX_VARS / 3) {
                let mut q = QueryBuilder::<Postgres>::new(format!(
                    "INSERT INTO {table} (id, properties, geom) "
                ));
                q.push_values(chunk, |mut b, r: &Row| {
                    b.push_bind(&r.id)
                        .push_bind(&r.properties)
                        .push_unseparated("::jsonb")
                        .push("ST_SetSRID(ST_GeomFromGeoJSON(")
                        .push_bind_unseparated(&r.geometry)
                        .push_unseparated("), 4326)");
                });
                if mode == WriteMode::Merge {
                    q.push(" ON CONFLICT (id) DO UPDATE SET properties = excluded.properties, geom = excluded.geom");
                }
                q.build().execute(&mut **tx).await.map_err(map_unique)?;
            }
        }
    }
    Ok(())
}

fn user_from(row: &PgRow) -> Result<User> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: UserRole::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("user role {role}")))?,
        area: row.try_get("area")?,
        staff_id: row.try_get("staff_id")?,
    })
}

fn fix_from(row: &PgRow) -> Result<Option<Fix>> {
    let lon: Option<f64> = row.try_get("x")?;
    let lat: Option<f64> = row.try_get("y")?;
    let t: Option<i64> = row.try_get("fix_time_ms")?;
    let (Some(lon), Some(lat), Some(fix_time_ms)) = (lon, lat, t) else {
        return Ok(None);
    };
    Ok(Some(Fix {
        position: LonLat::new(lon, lat).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        accuracy_m: row.try_get("accuracy_m")?,
        speed_mps: row.try_get("speed_mps")?,
        heading_deg: row.try_get("heading_deg")?,
        altitude_m: row.try_get("altitude_m")?,
        battery_pct: row.try_get("battery_pct")?,
        fix_time_ms,
        server_time_ms: row
            .try_get::<Option<i64>, _>("server_time_ms")?
            .unwrap_or(fix_time_ms),
    }))
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
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM areas")
            .fetch_one(&self.pool)
            .await?;
        Ok(n == 0)
    }

    async fn load_city(&self) -> Result<CityLayers> {
        let mut city = CityLayers::default();
        let q = format!(
            "SELECT code, properties::text, ST_AsGeoJSON(geom, {GEOJSON_DIGITS}) FROM areas"
        );
        for r in sqlx::query(&q).fetch_all(&self.pool).await? {
            let (id, p, g): (String, String, String) =
                (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            city.areas
                .push(rows::parse(&id, &p, Some(&g), gj::parse_area)?);
        }
        rows::order_areas(&mut city.areas);
        let q = "SELECT id, properties::text AS properties, ST_X(geom) AS x, ST_Y(geom) AS y, accuracy_m, speed_mps, \
                 heading_deg, altitude_m, battery_pct, fix_time_ms, server_time_ms FROM staff ORDER BY id";
        for r in sqlx::query(q).fetch_all(&self.pool).await? {
            let (id, p): (String, String) = (r.try_get("id")?, r.try_get("properties")?);
            let mut s = rows::parse(&id, &p, None, gj::parse_staff)?;
            s.last_fix = fix_from(&r)?;
            city.staff.push(s);
        }
        for (table, sink) in [("cameras", 0), ("risk_sources", 1), ("key_places", 2)] {
            let q = format!(
                "SELECT id, properties::text, ST_AsGeoJSON(geom, {GEOJSON_DIGITS}) FROM {table} ORDER BY id"
            );
            for r in sqlx::query(&q).fetch_all(&self.pool).await? {
                let (id, p, g): (String, String, String) =
                    (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
                match sink {
                    0 => city
                        .cameras
                        .push(rows::parse(&id, &p, Some(&g), gj::parse_camera)?),
                    1 => city.risk_sources.push(rows::parse(
                        &id,
                        &p,
                        Some(&g),
                        gj::parse_risk_source,
                    )?),
                    _ => city
                        .key_places
                        .push(rows::parse(&id, &p, Some(&g), gj::parse_key_place)?),
                }
            }
        }
        Ok(city)
    }

    async fn import_city(&self, city: &CityLayers) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        write_rows(
            &mut tx,
            &LayerData::Areas(city.areas.clone()),
            WriteMode::Replace,
        )
        .await?;
        write_rows(
            &mut tx,
            &LayerData::Staff(city.staff.clone()),
            WriteMode::Replace,
        )
        .await?;
        write_rows(
            &mut tx,
            &LayerData::Cameras(city.cameras.clone()),
            WriteMode::Replace,
        )
        .await?;
        write_rows(
            &mut tx,
            &LayerData::RiskSources(city.risk_sources.clone()),
            WriteMode::Replace,
        )
        .await?;
        write_rows(
            &mut tx,
            &LayerData::KeyPlaces(city.key_places.clone()),
            WriteMode::Replace,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn write_layer(&self, data: &LayerData, mode: WriteMode) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        write_rows(&mut tx, data, mode).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn append_fixes(&self, points: &[TrackPoint<'_>]) -> Result<()> {
        if points.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for chunk in points.chunks(MAX_VARS / 10) {
            let mut q = QueryBuilder::<Postgres>::new(
                "INSERT INTO tracks (staff_id, fix_time_ms, server_time_ms, geom, accuracy_m, \
                 speed_mps, heading_deg, altitude_m, battery_pct) ",
            );
            q.push_values(chunk, |mut b, p| {
                let f = p.fix;
                b.push_bind(p.staff_id)
                    .push_bind(f.fix_time_ms)
                    .push_bind(f.server_time_ms)
                    .push("ST_SetSRID(ST_MakePoint(")
                    .push_bind_unseparated(f.position.lon)
                    .push_unseparated(", ")
                    .push_bind_unseparated(f.position.lat)
                    .push_unseparated("), 4326)")
                    .push_bind(f.accuracy_m)
                    .push_bind(f.speed_mps)
                    .push_bind(f.heading_deg)
                    .push_bind(f.altitude_m)
                    .push_bind(f.battery_pct);
            });
            q.build().execute(&mut *tx).await?;
        }
        for p in rows::newest_per_staff(points) {
            let f = p.fix;
            sqlx::query(
                "UPDATE staff SET geom = ST_SetSRID(ST_MakePoint($1, $2), 4326), accuracy_m = $3, \
                 speed_mps = $4, heading_deg = $5, altitude_m = $6, battery_pct = $7, fix_time_ms = $8, \
                 server_time_ms = $9 WHERE id = $10 AND (fix_time_ms IS NULL OR fix_time_ms < $11)",
            )
            .bind(f.position.lon)
            .bind(f.position.lat)
            .bind(f.accuracy_m)
            .bind(f.speed_mps)
            .bind(f.heading_deg)
            .bind(f.altitude_m)
            .bind(f.battery_pct)
            .bind(f.fix_time_ms)
            .bind(f.server_time_ms)
            .bind(p.staff_id)
            .bind(f.fix_time_ms)
            .execute(&mut *tx)
            .await?;
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
            "SELECT ST_X(geom) AS x, ST_Y(geom) AS y, accuracy_m, speed_mps, heading_deg, altitude_m, \
             battery_pct, fix_time_ms, server_time_ms FROM tracks \
             WHERE staff_id = $1 AND fix_time_ms BETWEEN $2 AND $3 ORDER BY fix_time_ms, ctid LIMIT $4",
        )
        .bind(staff_id)
        .bind(from_ms)
        .bind(to_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .filter_map(|r| fix_from(r).transpose())
            .collect()
    }

    async fn prune_tracks(&self, before_ms: EpochMs) -> Result<u64> {
        let r = sqlx::query("DELETE FROM tracks WHERE fix_time_ms < $1")
            .bind(before_ms)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    async fn set_duty(&self, staff_id: &str, duty: DutyStatus) -> Result<()> {
        let duty = serde_json::to_value(duty)
            .ok()
            .and_then(|v| v.as_str().map(ToOwned::to_owned))
            .unwrap_or_default();
        let r = sqlx::query("UPDATE staff SET properties = jsonb_set(properties, '{duty}', to_jsonb($1::text)) WHERE id = $2")
            .bind(duty)
            .bind(staff_id)
            .execute(&self.pool)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("staff member {staff_id}")));
        }
        Ok(())
    }

    async fn create_user(&self, user: &NewUser) -> Result<User> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, display_name, role, area, staff_id, password_hash, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(user.role.as_str())
        .bind(&user.area)
        .bind(&user.staff_id)
        .bind(&user.password_hash)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(map_unique)?;
        Ok(User {
            id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: user.role,
            area: user.area.clone(),
            staff_id: user.staff_id.clone(),
        })
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query("SELECT * FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((user_from(&r)?, r.try_get("password_hash")?)))
            .transpose()
    }

    async fn user(&self, id: i64) -> Result<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| user_from(&r)).transpose()
    }

    async fn count_users(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(n.unsigned_abs())
    }

    async fn create_session(&self, s: &Session) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_ms, expires_ms) VALUES ($1, $2, $3, $4)")
            .bind(&s.token_hash)
            .bind(s.user_id)
            .bind(s.created_ms)
            .bind(s.expires_ms)
            .execute(&self.pool)
            .await
            .map_err(map_unique)?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> Result<Option<(Session, User)>> {
        let row = sqlx::query(
            "SELECT s.token_hash, s.user_id, s.created_ms, s.expires_ms, u.* \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok((
                Session {
                    token_hash: r.try_get("token_hash")?,
                    user_id: r.try_get("user_id")?,
                    created_ms: r.try_get("created_ms")?,
                    expires_ms: r.try_get("expires_ms")?,
                },
                user_from(&r)?,
            ))
        })
        .transpose()
    }

    async fn revoke_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
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
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
