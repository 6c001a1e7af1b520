//! The track log as it was before migration 0016, a row per fix
//! (`track_log`), moved into packed batches when the store opens: SQL
//! cannot pack them, so the migration leaves the table and this empties and
//! drops it.

use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Connection, Row};

use super::batch::Batch;
use super::tracks::append;
use crate::store::codec::{FixColumns, POINT_COLUMNS, corrupt, fix_from};
use crate::store::{Result, TrackPoint};
use riskmap_engine::model::Fix;

/// Rows moved per transaction: one batch each.
const ROWS: i64 = 100_000;

/// Moves every row of an old `track_log` into batches, oldest first, then
/// drops the table; does nothing where there is none.
pub async fn move_row_log(writer: &SqlitePool) -> Result<()> {
    let old: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'track_log'",
    )
    .fetch_one(writer)
    .await?;
    if old == 0 {
        return Ok(());
    }
    let select = format!("SELECT rowid, {POINT_COLUMNS} FROM track_log ORDER BY rowid LIMIT ?");
    loop {
        let mut conn = writer.acquire().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query(&select).bind(ROWS).fetch_all(&mut *tx).await?;
        let Some(last) = rows.last() else {
            sqlx::query("DROP TABLE track_log")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(());
        };
        let last: i64 = last.try_get(0)?;
        let fixes = rows
            .iter()
            .map(|r| {
                let staff_id: &str = r.try_get(1)?;
                Ok((staff_id, row_fix(staff_id, r)?))
            })
            .collect::<Result<Vec<(&str, Fix)>>>()?;
        let points: Vec<TrackPoint<'_>> = fixes
            .iter()
            .map(|&(staff_id, fix)| TrackPoint { staff_id, fix })
            .collect();
        append(&mut tx, &Batch::pack(&points)?).await?;
        sqlx::query("DELETE FROM track_log WHERE rowid <= ?")
            .bind(last)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(fixes = points.len(), "moved track log rows into a batch");
    }
}

/// A row's fix: its columns from `staff_id` (column 1) on are
/// [`POINT_COLUMNS`].
fn row_fix(staff_id: &str, r: &SqliteRow) -> Result<Fix> {
    let fix = FixColumns {
        fix_time_ms: r.try_get(2)?,
        server_time_ms: r.try_get(3)?,
        lon: r.try_get(4)?,
        lat: r.try_get(5)?,
        accuracy_m: r.try_get(6)?,
        speed_mps: r.try_get(7)?,
        heading_deg: r.try_get(8)?,
        altitude_m: r.try_get(9)?,
        battery_pct: r.try_get(10)?,
    };
    fix_from("track_log", staff_id, &fix)?
        .ok_or_else(|| corrupt("track_log", staff_id, &"a fix without a time"))
}
