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
//!   a pass at a time: the oldest fixes of the log (taken from the copy the
//!   writer keeps of them, `recent.rs`, where the log agrees with it),
//!   grouped by staff member, each member's fixes packed into one BLOB
//!   ([`super::chunk`]) and stored under `(seq, staff_id)` in *segments* of
//!   a few hundred members, so a pass appends to the end of its tables
//!   instead of touching pages all over them. Each segment's transaction
//!   also moves its members' `staff` last fix forward and deletes exactly
//!   their log rows: a fix is in the log or in a chunk, never both, never
//!   neither.
//! - Replay reads the chunks of the segments that overlap the window (one
//!   index probe each) and scans the log, which a pass keeps short.
//!
//! Because the `staff` last fix trails the log, [`drain`] runs before the
//! city is loaded.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::TryStreamExt;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{Connection, Row, Sqlite};

use super::recent::{Logged, Recent};
use super::{SqliteStore, chunk};
use crate::store::backend::Cell;
use crate::store::codec::{FixColumns, POINT_COLUMNS, corrupt, fix_from, validate_points};
use crate::store::driver::Param;
use crate::store::rows::{insert_points, insert_rows, move_last_fixes};
use crate::store::{Result, StoreError, TrackPoint};
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
    /// The rows committed and not yet taken by a pass.
    recent: parking_lot::Mutex<Recent>,
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
            // Four passes' worth: room for the rows logged while passes
            // catch up.
            recent: parking_lot::Mutex::new(Recent::new(policy.rows.saturating_mul(4))),
        });
        tokio::spawn(compactor(Arc::downgrade(&log)));
        log
    }

    /// Keeps the fixes just committed to the log, numbered up to
    /// `last_rowid`; wakes the compactor when a pass is due.
    pub fn logged(&self, last_rowid: i64, points: &[TrackPoint<'_>]) {
        self.recent.lock().committed(last_rowid, points);
        let n = points.len();
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

/// Appends a batch to the log, in the caller's transaction; returns the row
/// id of its last fix (see [`TrackLog::logged`]).
pub async fn append(conn: &mut SqliteConnection, points: &[TrackPoint<'_>]) -> Result<i64> {
    validate_points(points)?;
    insert_points::<SqliteStore>(conn, "track_log", points).await?;
    Ok(sqlx::query_scalar("SELECT last_insert_rowid()")
        .fetch_one(conn)
        .await?)
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

/// Members whose chunks one write transaction of a pass takes, while the
/// compactor keeps up: each write holds the writer for a few milliseconds,
/// so the fix batches that queue behind it are not held up for the whole
/// pass (a pass of 100,000 fixes over 10,000 members written at once held
/// it 100–200 ms, which showed as the acknowledgements' p99; 250 members a
/// write hold it about 15 ms under 100,000 fixes a second).
const MEMBERS_PER_WRITE: usize = 250;

/// Members a write takes while another whole pass waits behind this one.
/// Each write also waits its turn behind a fix batch, so small writes cap
/// how fast a pass goes (250 members: about 90,000 fixes a second, less
/// than they arrive at 100,000); larger ones catch up, for a longer hold.
const MEMBERS_PER_WRITE_BEHIND: usize = 1_000;

/// One write of a pass, packed before it takes the writer: its members'
/// chunks, each member's newest fix, and the log rows it takes.
struct Segment {
    min: EpochMs,
    max: EpochMs,
    fixes: usize,
    chunks: Vec<Chunk>,
    /// The log rows, as a JSON array (`json_each` reads it).
    rowids: String,
}

/// One member's fixes in a segment.
struct Chunk {
    staff_id: Box<str>,
    first_ms: EpochMs,
    last_ms: EpochMs,
    fixes: usize,
    /// The fixes packed ([`chunk::encode`]).
    data: Vec<u8>,
    /// The newest of them, for the member's last fix.
    newest: Fix,
}

/// Groups a pass's rows by member, puts each member's fixes in time order
/// and packs them into segments of `per_write` members. CPU only
/// (tens of milliseconds for 100,000 fixes): run off the async workers,
/// where it would hold up the sockets and the fix batches' commits.
fn pack(rows: Vec<Logged>, per_write: usize) -> Vec<Segment> {
    let mut members: BTreeMap<Box<str>, (Vec<Fix>, Vec<i64>)> = BTreeMap::new();
    for row in rows {
        let (fixes, rowids) = members.entry(row.staff_id).or_default();
        fixes.push(row.fix);
        rowids.push(row.rowid);
    }
    let mut segments = Vec::new();
    let mut members = members.into_iter().peekable();
    while members.peek().is_some() {
        let mut segment = Segment {
            min: EpochMs::MAX,
            max: EpochMs::MIN,
            fixes: 0,
            chunks: Vec::with_capacity(per_write),
            rowids: String::from("["),
        };
        for (staff_id, (mut fixes, rowids)) in members.by_ref().take(per_write) {
            by_time(&mut fixes);
            let (Some(first), Some(&newest)) = (fixes.first(), fixes.last()) else {
                continue;
            };
            let (first_ms, last_ms) = (first.fix_time_ms, newest.fix_time_ms);
            segment.min = segment.min.min(first_ms);
            segment.max = segment.max.max(last_ms);
            segment.fixes += fixes.len();
            let mut data = Vec::new();
            chunk::encode(&fixes, &mut data);
            segment.chunks.push(Chunk {
                staff_id,
                first_ms,
                last_ms,
                fixes: fixes.len(),
                data,
                newest,
            });
            for rowid in rowids {
                if segment.rowids.len() > 1 {
                    segment.rowids.push(',');
                }
                let _ = write!(segment.rowids, "{rowid}");
            }
        }
        segment.rowids.push(']');
        segments.push(segment);
    }
    segments
}

/// One compaction pass over the oldest `max_rows` fixes of the log; returns
/// how many it moved.
///
/// The fixes come from the writer's copy when the log's head is exactly
/// that copy's head, and are read from the log, on a reader connection,
/// otherwise; either way outside the write transactions, so that fix
/// batches keep committing meanwhile. Rows at the head of the log change
/// only by a pass or a prune, and both hold [`TrackLog::head`]. The pass
/// then writes a segment per [`MEMBERS_PER_WRITE`] members (or
/// [`MEMBERS_PER_WRITE_BEHIND`] while it catches up), each in its own
/// transaction with the deletion of exactly those members' log rows:
/// whenever it stops, every fix is in the log or in a chunk, never both.
impl TrackLog {
    pub async fn compact(&self) -> Result<usize> {
        let _head = self.head.lock().await;
        let started = std::time::Instant::now();
        let (rows, copied) = match self.take_copied().await? {
            Some(rows) => (rows, true),
            None => (self.read_head().await?, false),
        };
        let behind = self.recent.lock().len() >= self.policy.rows;
        let per_write = if behind {
            MEMBERS_PER_WRITE_BEHIND
        } else {
            MEMBERS_PER_WRITE
        };
        let count = rows.len();
        if count == 0 {
            return Ok(0);
        }
        let segments = tokio::task::spawn_blocking(move || pack(rows, per_write))
            .await
            .map_err(|e| StoreError::Corrupt(format!("packing the track log: {e}")))?;
        let packed = started.elapsed();
        for segment in &segments {
            self.write_segment(segment).await?;
        }
        tracing::debug!(
            fixes = count,
            copied,
            behind,
            writes = segments.len(),
            packed_ms = packed.as_millis(),
            write_ms = started.elapsed().saturating_sub(packed).as_millis(),
            "track log compacted"
        );
        Ok(count)
    }

    /// Takes the copy's head if the log's head is exactly it (as many
    /// rows, from the same first row id to the same last), or `None` when
    /// the log must be read instead.
    async fn take_copied(&self) -> Result<Option<Vec<Logged>>> {
        let Some(span) = self.recent.lock().head(self.policy.rows) else {
            return Ok(None);
        };
        let (n, first): (i64, Option<i64>) =
            sqlx::query_as("SELECT count(*), min(rowid) FROM track_log WHERE rowid <= ?")
                .bind(span.last)
                .fetch_one(&self.reader)
                .await?;
        // The copy's rows are all committed, and only a pass or a prune
        // (which keep the copy in step) deletes log rows: the same count
        // over the same range means the same rows.
        if usize::try_from(n).ok() != Some(span.n) || first != Some(span.first) {
            return Ok(None);
        }
        // Moved out under the lock, grouped after it: the writer waits on
        // this lock with every batch it commits.
        Ok(self.recent.lock().take(span).map(Iterator::collect))
    }

    /// Reads the oldest rows of the log, at most a pass's worth: those
    /// before the copy's first row if there are any (the copy then lines
    /// up with the log for the next pass), any otherwise. The copy forgets
    /// them.
    async fn read_head(&self) -> Result<Vec<Logged>> {
        let copy_starts = self.recent.lock().first_rowid();
        if let Some(first) = copy_starts {
            let read = self.read_log(first).await?;
            if !read.is_empty() {
                return Ok(read);
            }
        }
        self.read_log(i64::MAX).await
    }

    /// The oldest rows of the log before row `below`, at most a pass's worth.
    async fn read_log(&self, below: i64) -> Result<Vec<Logged>> {
        // Streamed, not fetched whole: only the fixes are kept, not the rows.
        let query = format!(
            "SELECT rowid, {POINT_COLUMNS} FROM track_log WHERE rowid < ? ORDER BY rowid LIMIT ?"
        );
        let mut rows = sqlx::query(&query)
            .bind(below)
            .bind(i64::try_from(self.policy.rows).unwrap_or(i64::MAX))
            .fetch(&self.reader);
        let mut read = Vec::new();
        while let Some(r) = rows.try_next().await? {
            let staff_id: &str = r.try_get(1)?;
            read.push(Logged {
                rowid: r.try_get(0)?,
                fix: log_fix(staff_id, &r, 2)?,
                staff_id: staff_id.into(),
            });
        }
        if let Some(last) = read.last() {
            self.recent.lock().forget_through(last.rowid);
        }
        Ok(read)
    }

    /// One transaction of a pass: a segment of these members' chunks,
    /// their last fixes moved forward, their log rows deleted.
    async fn write_segment(&self, segment: &Segment) -> Result<()> {
        let mut unsynced = Unsynced::acquire(&self.writer).await?;
        let mut tx = unsynced.conn()?.begin_with("BEGIN IMMEDIATE").await?;
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO track_segments (min_fix_ms, max_fix_ms, fixes) VALUES (?, ?, ?) \
             RETURNING seq",
        )
        .bind(segment.min)
        .bind(segment.max)
        .bind(i64::try_from(segment.fixes).unwrap_or(i64::MAX))
        .fetch_one(&mut *tx)
        .await?;
        insert_rows::<SqliteStore, _>(
            &mut tx,
            (
                "INSERT INTO track_chunks (seq, staff_id, min_fix_ms, max_fix_ms, fixes, data)",
                "",
            ),
            &[Cell::Plain; 6],
            &segment.chunks,
            |c, p| {
                p.extend([
                    Param::Int(seq),
                    Param::Text(&c.staff_id),
                    Param::Int(c.first_ms),
                    Param::Int(c.last_ms),
                    Param::Int(i64::try_from(c.fixes).unwrap_or(i64::MAX)),
                    Param::Bytes(&c.data),
                ]);
            },
        )
        .await?;
        let newest: Vec<TrackPoint<'_>> = segment
            .chunks
            .iter()
            .map(|c| TrackPoint {
                staff_id: &c.staff_id,
                fix: c.newest,
            })
            .collect();
        move_last_fixes::<SqliteStore>(&mut tx, &newest).await?;
        sqlx::query("DELETE FROM track_log WHERE rowid IN (SELECT value FROM json_each(?))")
            .bind(&segment.rowids)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        unsynced.restore().await
    }
}

/// The writer connection with `synchronous = NORMAL`, for one write of a
/// pass: its commit skips the fsync (a third of the write's time holding the
/// writer under load). Safe because a pass only moves fixes that are
/// already durable: lost in a power cut, its transaction rolls back whole
/// (WAL frames are checksummed) and the fixes are still in the log; and the
/// next fix batch's commit, synchronous again, syncs it along with its own.
///
/// Every fix batch must commit with `synchronous = FULL`, so the connection
/// goes back to the pool only through [`Unsynced::restore`]; dropped any
/// other way (an error, a cancelled pass), it is closed, and the pool opens
/// a new one with the store's settings.
struct Unsynced(Option<PoolConnection<Sqlite>>);

impl Unsynced {
    async fn acquire(writer: &SqlitePool) -> Result<Unsynced> {
        let mut unsynced = Unsynced(Some(writer.acquire().await?));
        sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(unsynced.conn()?)
            .await?;
        Ok(unsynced)
    }

    fn conn(&mut self) -> Result<&mut SqliteConnection> {
        match &mut self.0 {
            Some(conn) => Ok(conn),
            None => Err(sqlx::Error::PoolClosed.into()),
        }
    }

    /// Puts the connection back as it came.
    async fn restore(mut self) -> Result<()> {
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(self.conn()?)
            .await?;
        self.0 = None;
        Ok(())
    }
}

impl Drop for Unsynced {
    fn drop(&mut self) {
        if let Some(conn) = &mut self.0 {
            conn.close_on_drop();
        }
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
    log.recent.lock().prune(before_ms);
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::Store;
    use riskmap_engine::sphere::LonLat;

    async fn synchronous(conn: &mut SqliteConnection) -> i64 {
        sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(conn)
            .await
            .unwrap()
    }

    /// Fix batches are acknowledged on the writer: it must be back to
    /// `synchronous = FULL` after a pass's write, however that ends.
    #[tokio::test]
    async fn the_writer_is_synchronous_again_however_a_pass_write_ends() {
        let dir = tempfile::tempdir().unwrap();
        let by_hand = Compaction {
            rows: usize::MAX,
            every: Duration::from_secs(3600),
        };
        let store = SqliteStore::open_with(dir.path(), by_hand).await.unwrap();
        let writer = &store.writer;
        let full = || async { synchronous(&mut writer.acquire().await.unwrap()).await };
        assert_eq!(full().await, 2);

        let mut unsynced = Unsynced::acquire(writer).await.unwrap();
        assert_eq!(synchronous(unsynced.conn().unwrap()).await, 1);
        unsynced.restore().await.unwrap();
        assert_eq!(full().await, 2, "restored");

        // Dropped half-way (an error, a cancelled pass): closed, not reused.
        let mut unsynced = Unsynced::acquire(writer).await.unwrap();
        assert_eq!(synchronous(unsynced.conn().unwrap()).await, 1);
        drop(unsynced);
        assert_eq!(full().await, 2, "dropped");

        let fix = Fix::at(LonLat::new(120.65, 28.0).unwrap(), 1_000);
        let points = [TrackPoint {
            staff_id: "S000001",
            fix,
        }];
        store.append_fixes(&points).await.unwrap();
        store.compact_tracks().await.unwrap();
        assert_eq!(full().await, 2, "after a pass");
        assert_eq!(
            store.track("S000001", 0, 2_000, 10).await.unwrap(),
            vec![fix]
        );
    }
}
