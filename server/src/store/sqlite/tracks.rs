//! Tracks in the SQLite store: a log that takes fixes as fast as SQLite can
//! append, and compacted chunks that keep them for replay.
//!
//! Why two tables. A fix batch of 10,000 staff appended to a table indexed
//! by `(staff_id, fix_time_ms)` dirties one index page per staff member,
//! about 40 MB of WAL per commit, and the last-fix update of each member's
//! `staff` row as much again: that, not the rows themselves, capped ingest
//! at 30,000 to 60,000 fixes a second (docs/PERFORMANCE.md). So:
//!
//! - `track_log` is a plain rowid table without an index. A batch is
//!   appended to its end (a few hundred pages) and committed; that commit is
//!   the acknowledgement.
//! - A compactor task moves the log into `track_chunks` in the background,
//!   one *segment* per pass: every fix in the log so far, grouped by staff
//!   member, each member's fixes packed into one BLOB ([`super::chunk`]),
//!   stored under `(seq, staff_id)`, so a pass appends to the end of its
//!   tables instead of touching pages all over them. The pass also moves the
//!   `staff` rows' last fix forward and deletes the log rows it took, all in
//!   one transaction: a fix is in the log or in a chunk, never both, never
//!   neither.
//! - Replay reads the chunks of the segments that overlap the window (one
//!   index probe each) and scans the log, which a pass keeps short.
//!
//! Because the `staff` last fix trails the log, [`drain`] runs before the
//! city is loaded.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::TryStreamExt;
use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteRow};

use super::{SqliteStore, chunk};
use crate::store::backend::Cell;
use crate::store::codec::{FixColumns, POINT_COLUMNS, corrupt, fix_from, validate_points};
use crate::store::driver::Param;
use crate::store::rows::{insert_points, insert_rows, move_last_fixes};
use crate::store::{Result, TrackPoint};
use riskmap_engine::model::{EpochMs, Fix};

/// When the compactor runs.
#[derive(Debug, Clone, Copy)]
pub struct Compaction {
    /// A pass starts once this many fixes were logged since the last one,
    /// and takes at most this many (so a pass holds the writer for a
    /// bounded time, and a replay scans at most about this many log rows).
    pub rows: usize,
    /// A pass also runs this long after the last one if anything was
    /// logged, so that a quiet city's log is short too.
    pub every: Duration,
}

impl Default for Compaction {
    fn default() -> Self {
        Compaction {
            rows: 100_000,
            every: Duration::from_secs(30),
        }
    }
}

/// What the store and its compactor share.
#[derive(Debug)]
pub struct TrackLog {
    writer: SqlitePool,
    reader: SqlitePool,
    policy: Compaction,
    /// Fixes logged since the last pass began.
    pending: AtomicUsize,
    wake: tokio::sync::Notify,
    /// Held by a pass and by a prune: what a pass read at the head of the
    /// log is still there, unchanged, when it writes.
    head: tokio::sync::Mutex<()>,
}

impl TrackLog {
    /// A log compacted by `policy`, with its compactor running until the
    /// last handle to the log is dropped.
    #[must_use]
    pub fn start(writer: SqlitePool, reader: SqlitePool, policy: Compaction) -> Arc<TrackLog> {
        let log = Arc::new(TrackLog {
            writer,
            reader,
            policy,
            pending: AtomicUsize::new(0),
            wake: tokio::sync::Notify::new(),
            head: tokio::sync::Mutex::new(()),
        });
        tokio::spawn(compactor(Arc::downgrade(&log)));
        log
    }

    /// Counts `n` fixes just committed to the log; wakes the compactor when
    /// a pass is due.
    pub fn logged(&self, n: usize) {
        let pending = self.pending.fetch_add(n, Ordering::Relaxed) + n;
        if pending >= self.policy.rows {
            self.wake.notify_one();
        }
    }

    /// Compacts until the log is empty.
    pub async fn drain(&self) -> Result<()> {
        while self.compact().await? > 0 {}
        Ok(())
    }
}

/// The compactor: a pass whenever one is due, until the store is gone. A
/// failed pass changes nothing (one transaction) and is tried again later.
async fn compactor(log: Weak<TrackLog>) {
    loop {
        let Some(every) = log.upgrade().map(|l| l.policy.every) else {
            return;
        };
        let due = async {
            let log = log.upgrade()?;
            tokio::select! {
                () = log.wake.notified() => {}
                () = tokio::time::sleep(every) => {}
            }
            Some(())
        };
        if due.await.is_none() {
            return;
        }
        loop {
            let Some(log) = log.upgrade() else { return };
            log.pending.store(0, Ordering::Relaxed);
            match log.compact().await {
                // The log held more than one pass: go on at once.
                Ok(n) if n >= log.policy.rows => {}
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "compacting the track log failed; retrying later");
                    break;
                }
            }
        }
    }
}

/// Appends a batch to the log, in the caller's transaction.
pub async fn append(conn: &mut SqliteConnection, points: &[TrackPoint<'_>]) -> Result<()> {
    validate_points(points)?;
    insert_points::<SqliteStore>(conn, "track_log", points).await
}

/// A log row's fix: the row's columns from `staff_id` on are
/// [`POINT_COLUMNS`], `staff_id` at `at - 1` (decoded by position: a pass
/// decodes hundreds of thousands of rows).
fn log_fix(staff_id: &str, r: &SqliteRow, at: usize) -> Result<Fix> {
    let fix = FixColumns {
        fix_time_ms: r.try_get(at)?,
        server_time_ms: r.try_get(at + 1)?,
        lon: r.try_get(at + 2)?,
        lat: r.try_get(at + 3)?,
        accuracy_m: r.try_get(at + 4)?,
        speed_mps: r.try_get(at + 5)?,
        heading_deg: r.try_get(at + 6)?,
        altitude_m: r.try_get(at + 7)?,
        battery_pct: r.try_get(at + 8)?,
    };
    fix_from("track_log", staff_id, &fix)?
        .ok_or_else(|| corrupt("track_log", staff_id, &"a fix without a time"))
}

/// Fixes in time order (then by server time): the order of a replay and of
/// a chunk.
fn by_time(fixes: &mut [Fix]) {
    fixes.sort_by_key(|f| (f.fix_time_ms, f.server_time_ms));
}

/// Members whose chunks one write transaction of a pass takes: each
/// write holds the writer for a few milliseconds, so the fix batches that
/// queue behind it are not held up for the whole pass (a pass of 100,000
/// fixes over 10,000 members written at once held it 100–200 ms, which
/// showed as the acknowledgements' p99).
const MEMBERS_PER_WRITE: usize = 1_000;

/// One member's fixes read from the log in a pass, and the log rows they
/// came from.
#[derive(Default)]
struct Taken {
    fixes: Vec<Fix>,
    rowids: Vec<i64>,
}

/// One compaction pass over the oldest `max_rows` fixes of the log; returns
/// how many it moved.
///
/// The log is read on a reader connection, outside the write transactions,
/// so that fix batches keep committing meanwhile (the read and the packing
/// are most of a pass). Rows at the head of the log change only by a pass
/// or a prune, and both hold [`TrackLog::head`]. The pass then writes a
/// segment per [`MEMBERS_PER_WRITE`] members, each in its own transaction
/// with the deletion of exactly those members' log rows: whenever it
/// stops, every fix is in the log or in a chunk, never both.
impl TrackLog {
    pub async fn compact(&self) -> Result<usize> {
        let _head = self.head.lock().await;
        let started = std::time::Instant::now();
        // Streamed, not fetched whole: only the fixes are kept, not the rows.
        let query = format!("SELECT rowid, {POINT_COLUMNS} FROM track_log ORDER BY rowid LIMIT ?");
        let mut rows = sqlx::query(&query)
            .bind(i64::try_from(self.policy.rows).unwrap_or(i64::MAX))
            .fetch(&self.reader);
        let mut members: BTreeMap<String, Taken> = BTreeMap::new();
        let mut count = 0;
        while let Some(r) = rows.try_next().await? {
            let rowid: i64 = r.try_get(0)?;
            let staff_id: &str = r.try_get(1)?;
            let fix = log_fix(staff_id, &r, 2)?;
            let taken = match members.get_mut(staff_id) {
                Some(t) => t,
                None => members.entry(staff_id.to_owned()).or_default(),
            };
            taken.fixes.push(fix);
            taken.rowids.push(rowid);
            count += 1;
        }
        drop(rows);
        if count == 0 {
            return Ok(0);
        }
        for taken in members.values_mut() {
            by_time(&mut taken.fixes);
        }
        let read = started.elapsed();
        let all: Vec<(&str, &Taken)> = members.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let mut writes = 0;
        for group in all.chunks(MEMBERS_PER_WRITE) {
            self.write_segment(group).await?;
            writes += 1;
        }
        tracing::debug!(
            fixes = count,
            members = members.len(),
            writes,
            read_ms = read.as_millis(),
            write_ms = started.elapsed().saturating_sub(read).as_millis(),
            "track log compacted"
        );
        Ok(count)
    }

    /// One transaction of a pass: a segment of these members' chunks,
    /// their last fixes moved forward, their log rows deleted.
    async fn write_segment(&self, group: &[(&str, &Taken)]) -> Result<()> {
        let (mut min, mut max, mut fixes) = (EpochMs::MAX, EpochMs::MIN, 0);
        let mut chunks = Vec::with_capacity(group.len());
        for (staff_id, taken) in group {
            let f = &taken.fixes;
            let (first, last) = (f[0].fix_time_ms, f[f.len() - 1].fix_time_ms);
            (min, max) = (min.min(first), max.max(last));
            fixes += f.len();
            let mut data = Vec::new();
            chunk::encode(f, &mut data);
            chunks.push((*staff_id, first, last, f.len(), data));
        }
        let rowids: Vec<i64> = group
            .iter()
            .flat_map(|(_, t)| t.rowids.iter().copied())
            .collect();
        let rowids = serde_json::to_string(&rowids)
            .map_err(|e| crate::store::StoreError::Corrupt(format!("the log's row ids: {e}")))?;
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO track_segments (min_fix_ms, max_fix_ms, fixes) VALUES (?, ?, ?) \
             RETURNING seq",
        )
        .bind(min)
        .bind(max)
        .bind(i64::try_from(fixes).unwrap_or(i64::MAX))
        .fetch_one(&mut *tx)
        .await?;
        insert_rows::<SqliteStore, _>(
            &mut tx,
            (
                "INSERT INTO track_chunks (seq, staff_id, min_fix_ms, max_fix_ms, fixes, data)",
                "",
            ),
            &[Cell::Plain; 6],
            &chunks,
            |(staff_id, first, last, n, data), p| {
                p.extend([
                    Param::Int(seq),
                    Param::Text(staff_id),
                    Param::Int(*first),
                    Param::Int(*last),
                    Param::Int(i64::try_from(*n).unwrap_or(i64::MAX)),
                    Param::Bytes(data),
                ]);
            },
        )
        .await?;
        // Each member's newest fix is the last of their time-ordered chunk.
        let newest: Vec<TrackPoint<'_>> = group
            .iter()
            .filter_map(|(staff_id, t)| {
                Some(TrackPoint {
                    staff_id,
                    fix: *t.fixes.last()?,
                })
            })
            .collect();
        move_last_fixes::<SqliteStore>(&mut tx, &newest).await?;
        sqlx::query("DELETE FROM track_log WHERE rowid IN (SELECT value FROM json_each(?))")
            .bind(rowids)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A staff member's fixes between two times (inclusive), oldest first, at
/// most `limit`: the chunks and the log, read from one snapshot. The work
/// is bounded by `limit`, not by the window: chunks are read in the order of
/// their first fix, and once `limit` fixes are known that are older than
/// every chunk not read yet, the rest is neither read nor decoded.
pub async fn track(
    reader: &SqlitePool,
    staff_id: &str,
    from_ms: EpochMs,
    to_ms: EpochMs,
    limit: u32,
) -> Result<Vec<Fix>> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut tx = reader.begin().await?;
    // The log first: a pass keeps it short, and only its oldest `limit`
    // fixes in the window can be in the answer.
    let logged = sqlx::query(&format!(
        "SELECT {POINT_COLUMNS} FROM track_log WHERE staff_id = ? AND fix_time_ms BETWEEN ? AND ? \
         ORDER BY fix_time_ms, server_time_ms LIMIT ?"
    ))
    .bind(staff_id)
    .bind(from_ms)
    .bind(to_ms)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(&mut *tx)
    .await?;
    let mut fixes = Vec::new();
    for r in &logged {
        fixes.push(log_fix(staff_id, r, 1)?);
    }
    // Which chunks, without their data (sorting those would read it all).
    let chunks: Vec<(i64, EpochMs)> = sqlx::query_as(
        "SELECT c.seq, c.min_fix_ms FROM track_segments s \
         JOIN track_chunks c ON c.seq = s.seq AND c.staff_id = ?1 \
         WHERE s.max_fix_ms >= ?2 AND s.min_fix_ms <= ?3 \
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

/// Deletes the fixes taken before `before_ms` from the log and the chunks;
/// returns how many. Whole segments go by their `seq`, a few per
/// transaction (at most about `per_tx` fixes), so that fix batches get the
/// writer between them; chunks that straddle the cut are rewritten.
pub async fn prune(log: &TrackLog, before_ms: EpochMs, per_tx: i64) -> Result<u64> {
    let _head = log.head.lock().await;
    let writer = &log.writer;
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    let mut total = sqlx::query("DELETE FROM track_log WHERE fix_time_ms < ?")
        .bind(before_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
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
