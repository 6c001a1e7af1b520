//! One store shape. A backend ([`Backend`]) is its pools, how it begins a
//! write, and its dialect: the few SQL fragments in which SQLite and
//! PostgreSQL differ, as constants in one place per backend. Everything
//! both run alike (incidents, audit, accounts, settings, layer writes and
//! reads) is written once, over any `B: Backend`, through the [`Driver`]
//! of its database; the SQL text of those queries lives in `sql/*.sql`.
//! What really differs (PostgreSQL's snapshot-sharing city load, SQLite's
//! track log) stays in [`super::postgis`] and [`super::sqlite`].

use std::future::Future;

use async_trait::async_trait;
use sqlx::postgres::PgDatabaseError;
use sqlx::{Database, Pool, Transaction};

use super::codec::{first_duplicate, name};
use super::driver::{Driver, Stmt, first};
use super::outbox::{Outgoing, keep_opt};
use super::{LayerData, LayerKind, Result, StoreError, WriteMode, layers};
use riskmap_engine::City;
use riskmap_engine::model::DutyStatus;

/// A connection of backend `B`'s database.
pub type Conn<B> = <<B as Backend>::Db as Database>::Connection;

/// How a column's value is written in an `INSERT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// As bound.
    Plain,
    /// JSON text, stored as the backend stores JSON.
    Json,
    /// GeoJSON geometry text, stored as the backend stores geometry.
    Geometry,
}

/// The name the grid locator's image is kept under (see
/// [`CommonStore::index_image`]): written by a start that built the locator
/// and by an areas import, read by the next start.
pub const LOCATOR_IMAGE: &str = "grid-locator";

/// How a backend hands the layers' geometry back in a `SELECT`.
#[derive(Debug, Clone, Copy)]
pub enum GeometryOut {
    /// GeoJSON text, this expression (the embedded store keeps the text).
    GeoJson(&'static str),
    /// Well-Known Binary, this expression: PostGIS writes the doubles
    /// themselves, where text had to be printed and parsed again (a start
    /// reads every area of the city).
    Wkb(&'static str),
}

/// A backend: its pools, its write transactions, its dialect.
pub trait Backend: Send + Sync + 'static {
    /// Its database driver.
    type Db: Driver;

    /// Most bound values one statement may carry; multi-row inserts are
    /// chunked to stay below it.
    const MAX_BINDS: usize;
    /// Whether the placeholders of a long `VALUES` list are numbered
    /// (`$1`, PostgreSQL knows no other) or bare (`?`, taken in order):
    /// SQLite keeps numbered ones in a list it scans once per bound value,
    /// quadratic in a 30,000-value insert, and bare ones in no list at all.
    const NUMBERED: bool;
    /// The layer tables' geometry column.
    const GEOMETRY_COLUMN: &'static str;
    /// What goes around a bound GeoJSON text to store it.
    const GEOMETRY_VALUE: (&'static str, &'static str);
    /// The geometry column in a `SELECT`, and what it reads as.
    const GEOMETRY_OUT: GeometryOut;
    /// What goes around a bound JSON text to store it.
    const JSON_VALUE: (&'static str, &'static str);
    /// What follows a JSON column in a `SELECT` to read it as text.
    const JSON_TEXT: &'static str;
    /// A subquery of the strings of a JSON array, `{}` the placeholder
    /// it is bound to (see [`json_strings`]).
    const JSON_STRINGS: &'static str;
    /// A statement run first by a layer write, `{}` the table (none if the
    /// backend has one writer anyway).
    const LOCK_FOR_LAYER: Option<&'static str>;

    /// The pool reads run on.
    fn reader(&self) -> &Pool<Self::Db>;
    /// The pool single-statement writes run on.
    fn writer(&self) -> &Pool<Self::Db>;
    /// Begins a write transaction.
    fn begin_write(&self) -> impl Future<Output = Result<Transaction<'static, Self::Db>>> + Send;
}

/// What every store does the same way: whether it is there, whether it
/// holds a city, writing layers, its settings.
#[async_trait]
pub trait CommonStore: Send + Sync {
    /// Whether the database answers.
    async fn ping(&self) -> Result<()>;

    /// Whether the store holds no areas yet (a first run).
    async fn is_empty(&self) -> Result<bool>;

    /// Writes every layer of a city in one transaction (replacing each).
    async fn import_city(&self, city: &City) -> Result<()>;

    /// Writes one layer in one transaction.
    async fn write_layer(&self, data: &LayerData, mode: WriteMode) -> Result<()> {
        self.write_layer_kept(data, mode, None).await.map(drop)
    }

    /// [`CommonStore::write_layer`], keeping `outbox` (a cluster node's
    /// record of the change) in the same transaction; its outbox id.
    async fn write_layer_kept(
        &self,
        data: &LayerData,
        mode: WriteMode,
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>>;

    /// One layer as stored (a cluster node reads a layer another node
    /// imported: the store is the record, the log only says it changed).
    async fn read_layer(&self, kind: LayerKind) -> Result<LayerData>;

    /// Sets staff members' duty status (上岗/离岗), keeping `outbox` in the
    /// same transaction; its outbox id. A member the store does not hold is
    /// [`StoreError::NotFound`] and nothing is written.
    async fn set_duty_kept(
        &self,
        changes: &[(String, DutyStatus)],
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>>;

    /// Sets cameras' `online` flag (the stream probe's finding), keeping
    /// `outbox` in the same transaction; its outbox id. Cameras the store
    /// does not hold (removed meanwhile) are skipped.
    async fn set_cameras_online_kept(
        &self,
        changes: &[(String, bool)],
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>>;

    /// A server-wide setting.
    async fn setting(&self, key: &str) -> Result<Option<String>>;

    /// Sets a server-wide setting.
    async fn put_setting(&self, key: &str, value: &str) -> Result<()>;

    /// A derived index kept between starts (an image of the grid locator,
    /// [`LOCATOR_IMAGE`]), by name; `None` if none is kept.
    async fn index_image(&self, name: &str) -> Result<Option<Vec<u8>>>;

    /// Keeps a derived index's image under `name`, replacing the one there.
    async fn put_index_image(&self, name: &str, body: &[u8]) -> Result<()>;
}

#[async_trait]
impl<B: Backend> CommonStore for B {
    async fn ping(&self) -> Result<()> {
        let mut c = self.reader().acquire().await?;
        B::Db::run(&mut c, Stmt::new("SELECT 1")).await?;
        Ok(())
    }

    async fn is_empty(&self) -> Result<bool> {
        let mut c = self.reader().acquire().await?;
        // COUNT: a BIGINT on both (a bare 1 is PostgreSQL's INTEGER).
        let q = Stmt::new("SELECT COUNT(*) AS n FROM (SELECT 1 FROM areas LIMIT 1) AS a");
        let any = first::<B::Db, _>(&mut c, q, |r| r.get::<i64>("n")).await?;
        Ok(any.unwrap_or(0) == 0)
    }

    async fn import_city(&self, city: &City) -> Result<()> {
        let mut tx = self.begin_write().await?;
        layers::write_city::<B>(&mut tx, city).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn write_layer_kept(
        &self,
        data: &LayerData,
        mode: WriteMode,
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin_write().await?;
        layers::write_layer::<B>(&mut tx, data, mode).await?;
        let kept = keep_opt::<B>(&mut tx, outbox, crate::clock::now_ms()).await?;
        tx.commit().await?;
        Ok(kept)
    }

    async fn read_layer(&self, kind: LayerKind) -> Result<LayerData> {
        let mut c = self.reader().acquire().await?;
        Ok(match kind {
            LayerKind::Areas => LayerData::Areas(layers::read_areas::<B>(&mut c).await?),
            LayerKind::Staff => LayerData::Staff(layers::read_staff::<B>(&mut c).await?),
            static_kind => {
                let (cameras, risks, places) = layers::read_static::<B>(&mut c).await?;
                match static_kind {
                    LayerKind::Cameras => LayerData::Cameras(cameras),
                    LayerKind::RiskSources => LayerData::RiskSources(risks),
                    _ => LayerData::KeyPlaces(places),
                }
            }
        })
    }

    async fn set_duty_kept(
        &self,
        changes: &[(String, DutyStatus)],
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin_write().await?;
        write_duty::<B>(&mut tx, changes).await?;
        let kept = keep_opt::<B>(&mut tx, outbox, crate::clock::now_ms()).await?;
        tx.commit().await?;
        Ok(kept)
    }

    async fn set_cameras_online_kept(
        &self,
        changes: &[(String, bool)],
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>> {
        // Two statements, each with its ids as one JSON list: an outage is
        // 100,000 cameras, and a statement each is as many round trips to
        // PostgreSQL inside the write transaction.
        let sql = format!(
            "UPDATE cameras SET online = $1 WHERE id IN ({})",
            json_strings::<B>("$2")
        );
        let mut tx = self.begin_write().await?;
        for online in [false, true] {
            let ids: Vec<&str> = changes
                .iter()
                .filter(|c| c.1 == online)
                .map(|c| c.0.as_str())
                .collect();
            if ids.is_empty() {
                continue;
            }
            let list = json_list(&ids)?;
            B::Db::run(&mut tx, Stmt::new(&sql).bind(online).bind(list.as_str())).await?;
        }
        let kept = keep_opt::<B>(&mut tx, outbox, crate::clock::now_ms()).await?;
        tx.commit().await?;
        Ok(kept)
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new("SELECT value FROM settings WHERE key = $1").bind(key);
        first::<B::Db, _>(&mut c, q, |r| r.get("value")).await
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<()> {
        let mut c = self.writer().acquire().await?;
        let q = Stmt::new(include_str!("sql/put_setting.sql"))
            .bind(key)
            .bind(value);
        B::Db::run(&mut c, q).await?;
        Ok(())
    }

    async fn index_image(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new("SELECT body FROM index_images WHERE name = $1").bind(name);
        first::<B::Db, _>(&mut c, q, |r| r.get("body")).await
    }

    async fn put_index_image(&self, name: &str, body: &[u8]) -> Result<()> {
        let mut c = self.writer().acquire().await?;
        let q = Stmt::new(
            "INSERT INTO index_images (name, body) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET body = excluded.body",
        )
        .bind(name)
        .bind(body);
        B::Db::run(&mut c, q).await?;
        Ok(())
    }
}

/// [`Backend::JSON_STRINGS`] of the JSON array text bound as `param`
/// (`$1`, …): how a list of keys (ids, area codes) reaches the database as
/// one value.
#[must_use]
pub fn json_strings<B: Backend>(param: &str) -> String {
    B::JSON_STRINGS.replace("{}", param)
}

/// `sql` with its `{areas}` replaced by the strings of the JSON array
/// bound as `param` (see [`json_strings`]).
#[must_use]
pub fn with_areas<B: Backend>(sql: &str, param: &str) -> String {
    sql.replace("{areas}", &json_strings::<B>(param))
}

/// Writes staff members' duty statuses in a write transaction; a member
/// the store does not hold is [`StoreError::NotFound`] (the caller's
/// transaction is then dropped: nothing is written).
pub async fn write_duty<B: Backend>(
    tx: &mut Conn<B>,
    changes: &[(String, DutyStatus)],
) -> Result<()> {
    for (staff, status) in changes {
        let status = name(*status)?;
        let q = Stmt::new("UPDATE staff SET duty = $1 WHERE id = $2")
            .bind(status.as_str())
            .bind(staff);
        if B::Db::run(tx, q).await? == 0 {
            return Err(StoreError::NotFound(format!("staff member {staff}")));
        }
    }
    Ok(())
}

/// A list of keys as the JSON array text [`json_strings`] reads.
pub fn json_list(keys: &[impl serde::Serialize]) -> Result<String> {
    serde_json::to_string(keys).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A database error, with unique violations as [`StoreError::Conflict`]
/// (with PostgreSQL's detail, which names the key).
pub fn db_error(e: sqlx::Error) -> StoreError {
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

/// [`db_error`] of a [`StoreError::Database`]; other errors as they are.
#[must_use]
pub fn store_error(e: StoreError) -> StoreError {
    match e {
        StoreError::Database(e) => db_error(e),
        other => other,
    }
}

/// Names the duplicate when a layer write hit a unique key.
pub fn layer_error<'a>(
    e: StoreError,
    table: &str,
    ids: impl Iterator<Item = &'a str>,
) -> StoreError {
    match store_error(e) {
        StoreError::Conflict(m) => match first_duplicate(ids) {
            Some(id) => {
                StoreError::Conflict(format!("{table}: id {id} appears twice in the batch"))
            }
            None => StoreError::Conflict(m),
        },
        other => other,
    }
}
