//! Retention in the SQLite store's tracks (`tracks.rs`): the fixes before
//! a time deleted from the log's batches and from the compacted chunks.

use sqlx::Row;
use sqlx::sqlite::SqlitePool;

use super::batch::{self, Batch};
use super::chunk;
use crate::store::{Result, TrackPoint};
use riskmap_engine::model::{EpochMs, Fix};

/// Deletes the log's fixes before `before_ms`, in one transaction (the log
/// is a pass or two long); returns how many. Batches wholly before the cut
/// go, those that straddle it are packed again without the old fixes.
pub async fn cut_log(writer: &SqlitePool, before_ms: EpochMs) -> Result<u64> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    let gone: Vec<i64> =
        sqlx::query_scalar("DELETE FROM track_batches WHERE max_fix_ms < ? RETURNING fixes")
            .bind(before_ms)
            .fetch_all(&mut *tx)
            .await?;
    let mut total: u64 = gone.iter().map(|n| n.unsigned_abs()).sum();
    let straddling: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT id, data FROM track_batches WHERE min_fix_ms < ? ORDER BY id")
            .bind(before_ms)
            .fetch_all(&mut *tx)
            .await?;
    for (id, data) in &straddling {
        let fixes: Vec<(&str, Fix)> = batch::fixes(*id, data, None).collect::<Result<_>>()?;
        let kept: Vec<TrackPoint<'_>> = fixes
            .iter()
            .filter(|(_, f)| f.fix_time_ms >= before_ms)
            .map(|&(staff_id, fix)| TrackPoint { staff_id, fix })
            .collect();
        total += u64::try_from(fixes.len() - kept.len()).unwrap_or(u64::MAX);
        // Not empty: the batch's newest fix is past the cut.
        let cut = Batch::pack(&kept)?;
        sqlx::query("UPDATE track_batches SET min_fix_ms = ?, fixes = ?, data = ? WHERE id = ?")
            .bind(cut.min_ms)
            .bind(i64::try_from(cut.fixes).unwrap_or(i64::MAX))
            .bind(&cut.data)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(total)
}

/// Deletes the chunks' fixes before `before_ms`; returns how many. Whole
/// segments go by their `seq`, a few per transaction (at most about `per_tx`
/// fixes), so that fix batches get the writer between them; chunks that
/// straddle the cut are rewritten.
pub async fn cut_chunks(writer: &SqlitePool, before_ms: EpochMs, per_tx: i64) -> Result<u64> {
    let mut total = 0;
    // Segments wholly before the cut.
    loop {
        let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
        let segments: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT seq, fixes FROM track_segments WHERE max_fix_ms < ? ORDER BY max_fix_ms LIMIT 64",
        )
        .bind(before_ms)
        .fetch_all(&mut *tx)
        .await?;
        if segments.is_empty() {
            break;
        }
        let mut fixes = 0;
        for (seq, n) in segments {
            sqlx::query("DELETE FROM track_chunks WHERE seq = ?")
                .bind(seq)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM track_segments WHERE seq = ?")
                .bind(seq)
                .execute(&mut *tx)
                .await?;
            fixes += n;
            if fixes >= per_tx {
                break;
            }
        }
        tx.commit().await?;
        total += fixes.unsigned_abs();
    }
    // Segments that straddle it: only their chunks that do are rewritten.
    let straddling: Vec<i64> =
        sqlx::query_scalar("SELECT seq FROM track_segments WHERE min_fix_ms < ? ORDER BY seq")
            .bind(before_ms)
            .fetch_all(writer)
            .await?;
    for seq in straddling {
        total += cut_segment(writer, seq, before_ms).await?;
    }
    Ok(total)
}

/// Removes the fixes before `before_ms` from one segment's chunks, in one
/// transaction; returns how many.
async fn cut_segment(writer: &SqlitePool, seq: i64, before_ms: EpochMs) -> Result<u64> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    let chunks = sqlx::query(
        "SELECT staff_id, data FROM track_chunks WHERE seq = ? AND min_fix_ms < ? ORDER BY staff_id",
    )
    .bind(seq)
    .bind(before_ms)
    .fetch_all(&mut *tx)
    .await?;
    let mut removed = 0_u64;
    let mut fixes = Vec::new();
    for r in &chunks {
        let staff_id: &str = r.try_get("staff_id")?;
        fixes.clear();
        chunk::decode(staff_id, r.try_get("data")?, &mut fixes)?;
        let before = fixes.len();
        fixes.retain(|f| f.fix_time_ms >= before_ms);
        removed += u64::try_from(before - fixes.len()).unwrap_or(u64::MAX);
        if fixes.is_empty() {
            sqlx::query("DELETE FROM track_chunks WHERE seq = ? AND staff_id = ?")
                .bind(seq)
                .bind(staff_id)
                .execute(&mut *tx)
                .await?;
        } else {
            let mut data = Vec::new();
            chunk::encode(&fixes, &mut data);
            sqlx::query(
                "UPDATE track_chunks SET min_fix_ms = ?, fixes = ?, data = ? \
                 WHERE seq = ? AND staff_id = ?",
            )
            .bind(fixes[0].fix_time_ms)
            .bind(i64::try_from(fixes.len()).unwrap_or(i64::MAX))
            .bind(data)
            .bind(seq)
            .bind(staff_id)
            .execute(&mut *tx)
            .await?;
        }
    }
    // The segment's own summary follows its chunks; an emptied one goes.
    sqlx::query(
        "DELETE FROM track_segments WHERE seq = ?1 \
         AND NOT EXISTS (SELECT 1 FROM track_chunks WHERE seq = ?1)",
    )
    .bind(seq)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE track_segments SET (min_fix_ms, fixes) = \
         (SELECT min(min_fix_ms), sum(fixes) FROM track_chunks WHERE seq = ?1) WHERE seq = ?1",
    )
    .bind(seq)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(removed)
}
