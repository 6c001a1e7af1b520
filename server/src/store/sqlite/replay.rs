//! A staff member's track read back from the SQLite store: the compacted
//! chunks and the log's batches (`tracks.rs`), as one track.

use sqlx::sqlite::SqlitePool;

use super::{batch, chunk};
use crate::store::Result;
use riskmap_engine::model::{EpochMs, Fix};

/// Fixes in time order (then by server time): the order of a replay and of
/// a chunk.
pub(super) fn by_time(fixes: &mut [Fix]) {
    fixes.sort_by_key(|f| (f.fix_time_ms, f.server_time_ms));
}

/// A staff member's fixes between two times (inclusive), oldest first, at
/// most `limit`: the chunks of finished passes and the log, read from one
/// snapshot. The work is bounded by `limit`, not by the window: chunks are
/// read in the order of their first fix, and once `limit` fixes are known
/// that are older than every chunk not read yet, the rest is neither read
/// nor decoded.
pub async fn track(
    reader: &SqlitePool,
    staff_id: &str,
    from_ms: EpochMs,
    to_ms: EpochMs,
    limit: u32,
) -> Result<Vec<Fix>> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut tx = reader.begin().await?;
    // The log first: a pass keeps it short (a pass or two of batches), and
    // a batch outside the window is not read.
    let logged: Vec<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT id, data FROM track_batches WHERE max_fix_ms >= ? AND min_fix_ms <= ? ORDER BY id",
    )
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(&mut *tx)
    .await?;
    let mut fixes = Vec::new();
    for (id, data) in &logged {
        for r in batch::fixes(*id, data, Some(staff_id)) {
            let (_, fix) = r?;
            if (from_ms..=to_ms).contains(&fix.fix_time_ms) {
                fixes.push(fix);
            }
        }
    }
    // Which chunks, without their data (sorting those would read it all).
    // A segment of a pass under way is not part of any track yet: its
    // fixes are still in the log.
    let chunks: Vec<(i64, EpochMs)> = sqlx::query_as(
        "SELECT c.seq, c.min_fix_ms FROM track_segments s \
         JOIN track_chunks c ON c.seq = s.seq AND c.staff_id = ?1 \
         WHERE s.max_fix_ms >= ?2 AND s.min_fix_ms <= ?3 AND s.done = 1 \
         AND c.max_fix_ms >= ?2 AND c.min_fix_ms <= ?3 ORDER BY c.min_fix_ms, c.seq",
    )
    .bind(staff_id)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(&mut *tx)
    .await?;
    for (seq, first) in chunks {
        if fixes.len() >= limit {
            by_time(&mut fixes);
            fixes.truncate(limit);
            if fixes.last().is_none_or(|f| f.fix_time_ms < first) {
                break;
            }
        }
        let data: Vec<u8> =
            sqlx::query_scalar("SELECT data FROM track_chunks WHERE seq = ? AND staff_id = ?")
                .bind(seq)
                .bind(staff_id)
                .fetch_one(&mut *tx)
                .await?;
        let mut decoded = Vec::new();
        chunk::decode(staff_id, &data, &mut decoded)?;
        decoded.retain(|f| (from_ms..=to_ms).contains(&f.fix_time_ms));
        fixes.append(&mut decoded);
    }
    tx.commit().await?;
    by_time(&mut fixes);
    fixes.truncate(limit);
    Ok(fixes)
}
