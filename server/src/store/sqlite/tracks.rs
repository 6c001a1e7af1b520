//! Tracks in the SQLite store: a log that takes fix batches as fast as
//! SQLite can append, and compacted chunks that keep them for replay.
//!
//! Why two tables. A fix batch of 10,000 staff appended to a table indexed
//! by `(staff_id, fix_time_ms)` dirties one index page per staff member,
//! about 40 MB of WAL per commit, and the last-fix update of each member's
//! `staff` row as much again: that, not the rows themselves, capped ingest
//! at 30,000 to 60,000 fixes a second (docs/PERFORMANCE.md). So:
//!
//! - `track_batches` is the log: a row per fix batch, its fixes packed
//!   ([`super::batch`]), appended and committed; that commit is the
//!   acknowledgement.
//! - A compactor task moves the log into `track_chunks` in the background,
//!   a pass at a time: the oldest batches of the log (taken from the copy
//!   the writer keeps of them, `recent.rs`, where the log agrees with it),
//!   grouped by staff member, each member's fixes packed into one BLOB
//!   ([`super::chunk`]) and stored under `(seq, staff_id)` in *segments* of
//!   a few hundred members, so a pass appends to the end of its tables
//!   instead of touching pages all over them. Each segment is written in a
//!   transaction of its own (so fix batches queue behind short writes, not
//!   the whole pass), which also moves its members' `staff` last fix
//!   forward; a batch's fixes are spread over all of a pass's segments, so
//!   the segments are marked not `done` until the pass's last transaction
//!   deletes the batches it took and marks them done. A fix is in the log or
//!   in a done chunk, never both, never neither; the segments of a pass
//!   that stopped half-way are dropped before the next one. A batch that
//!   cannot be read (SQLite keeps no checksum of a row) is set aside in
//!   `track_batches_damaged` by that last transaction, not retried forever.
//! - Replay ([`super::replay`]) reads the done chunks of the segments that
//!   overlap the window (one index probe each) and the log, which a pass
//!   keeps short.
//!
//! Because the `staff` last fix trails the log, [`TrackLog::drain`] runs
//! before the city is loaded.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::TryStreamExt;
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use sqlx::{Connection, Row};

use super::batch::{self, Batch};
use super::recent::{Logged, Recent};
use super::replay::by_time;
use super::unsynced::Unsynced;
use super::{SqliteStore, chunk, retention};
use crate::store::backend::Cell;
use crate::store::driver::Param;
use crate::store::rows::{insert_rows, move_last_fixes};
use crate::store::{Result, StoreError, TrackPoint};
use riskmap_engine::model::{EpochMs, Fix};

/// When the compactor runs.
#[derive(Debug, Clone, Copy)]
pub struct Compaction {
    /// A pass starts once this many fixes were logged since the last one,
    /// and takes whole batches of at most this many fixes in all (but at
    /// least one batch), so that a pass holds the writer for a bounded
    /// time, and a replay reads at most about this many fixes of the log.
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

/// What a pass leaves for the next.
#[derive(Debug)]
struct Head {
    /// A pass may have written segments and stopped before its last
    /// transaction (an error, a cancelled pass, a restart): they are
    /// dropped before the next pass writes its own.
    unfinished: bool,
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
    head: tokio::sync::Mutex<Head>,
    /// The batches committed and not yet taken by a pass.
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
            // The last process may have stopped in the middle of a pass.
            head: tokio::sync::Mutex::new(Head { unfinished: true }),
            // Four passes' worth: room for the batches logged while passes
            // catch up.
            recent: parking_lot::Mutex::new(Recent::new(policy.rows.saturating_mul(4))),
        });
        tokio::spawn(compactor(Arc::downgrade(&log)));
        log
    }

    /// Keeps the batch just committed to the log as row `id`; wakes the
    /// compactor when a pass is due.
    pub fn logged(&self, id: i64, batch: Batch) {
        let n = batch.fixes;
        self.recent.lock().committed(id, batch);
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

    /// Deletes the fixes taken before `before_ms` from the log and the
    /// chunks; returns how many.
    pub async fn prune(&self, before_ms: EpochMs, per_tx: i64) -> Result<u64> {
        let _head = self.head.lock().await;
        let logged = retention::cut_log(&self.writer, before_ms).await?;
        // The log's batches were rewritten: the copy no longer matches.
        self.recent.lock().clear();
        Ok(logged + retention::cut_chunks(&self.writer, before_ms, per_tx).await?)
    }
}

/// The compactor: a pass whenever one is due, until the store is gone. A
/// failed pass leaves every fix in the log and is tried again later.
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
            // A pass takes whole batches, so it may move a little less than
            // a pass's worth with more waiting: what is left decides.
            let behind = match log.compact().await {
                Ok(0) => Ok(false),
                Ok(_) => log.backlog().await.map(|left| left >= log.policy.rows),
                Err(e) => Err(e),
            };
            match behind {
                // The log still holds a pass or more: go on at once.
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "compacting the track log failed; retrying later");
                    break;
                }
            }
        }
    }
}

/// Appends a packed batch to the log, in the caller's transaction; returns
/// its row id (see [`TrackLog::logged`]).
pub async fn append(conn: &mut SqliteConnection, batch: &Batch) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO track_batches (min_fix_ms, max_fix_ms, fixes, data) VALUES (?, ?, ?, ?) \
         RETURNING id",
    )
    .bind(batch.min_ms)
    .bind(batch.max_ms)
    .bind(i64::try_from(batch.fixes).unwrap_or(i64::MAX))
    .bind(&batch.data)
    .fetch_one(conn)
    .await?)
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
/// chunks and each member's newest fix.
struct Segment {
    min: EpochMs,
    max: EpochMs,
    fixes: usize,
    chunks: Vec<Chunk>,
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

/// A batch of the log that cannot be read (a bad sector, a hand edit:
/// SQLite keeps no checksum of a row). The pass sets it aside, bytes and
/// reason, in `track_batches_damaged` rather than failing every pass behind
/// it while the log grows; none of its fixes is used (past damage, bytes can
/// still decode as a wrong but plausible fix).
struct Damaged {
    id: i64,
    fixes: usize,
    reason: String,
}

/// A pass packed: its segments, and the batches it could not read.
struct Packed {
    segments: Vec<Segment>,
    damaged: Vec<Damaged>,
}

/// Groups a pass's batches by member, puts each member's fixes in time
/// order and packs them into segments of `per_write` members. CPU only
/// (tens of milliseconds for 100,000 fixes): run off the async workers,
/// where it would hold up the sockets and the fix batches' commits.
fn pack(batches: &[Logged], per_write: usize) -> Packed {
    let mut members: BTreeMap<&str, Vec<Fix>> = BTreeMap::new();
    let mut damaged = Vec::new();
    for logged in batches {
        match batch::fixes(logged.id, &logged.batch.data, None).collect::<Result<Vec<_>>>() {
            Ok(fixes) => {
                for (staff_id, fix) in fixes {
                    members.entry(staff_id).or_default().push(fix);
                }
            }
            Err(e) => damaged.push(Damaged {
                id: logged.id,
                fixes: logged.batch.fixes,
                reason: e.to_string(),
            }),
        }
    }
    let mut segments = Vec::new();
    let mut members = members.into_iter().peekable();
    while members.peek().is_some() {
        let mut segment = Segment {
            min: EpochMs::MAX,
            max: EpochMs::MIN,
            fixes: 0,
            chunks: Vec::with_capacity(per_write),
        };
        for (staff_id, mut fixes) in members.by_ref().take(per_write) {
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
                staff_id: staff_id.into(),
                first_ms,
                last_ms,
                fixes: fixes.len(),
                data,
                newest,
            });
        }
        segments.push(segment);
    }
    Packed { segments, damaged }
}

/// One compaction pass over the oldest batches of the log, of at most a
/// pass's fixes (but at least one batch); returns how many fixes it moved.
///
/// The batches come from the writer's copy when the log's head is exactly
/// that copy's head, and are read from the log, on a reader connection,
/// otherwise; either way outside the write transactions, so that fix
/// batches keep committing meanwhile. Batches at the head of the log change
/// only by a pass or a prune, and both hold [`TrackLog::head`]. The pass
/// then writes a segment per [`MEMBERS_PER_WRITE`] members (or
/// [`MEMBERS_PER_WRITE_BEHIND`] while it catches up), each in its own
/// transaction, not yet done; its last transaction deletes the batches it
/// took and marks its segments done.
impl TrackLog {
    pub async fn compact(&self) -> Result<usize> {
        let mut head = self.head.lock().await;
        if head.unfinished {
            self.drop_unfinished().await?;
            head.unfinished = false;
        }
        let started = std::time::Instant::now();
        let (batches, copied) = match self.take_copied().await? {
            Some(batches) => (batches, true),
            None => (self.read_head().await?, false),
        };
        let (Some(first), Some(last)) = (batches.first(), batches.last()) else {
            return Ok(0);
        };
        let (first, last) = (first.id, last.id);
        let count: usize = batches.iter().map(|b| b.batch.fixes).sum();
        let behind = self.recent.lock().fixes() >= self.policy.rows;
        let per_write = if behind {
            MEMBERS_PER_WRITE_BEHIND
        } else {
            MEMBERS_PER_WRITE
        };
        let Packed { segments, damaged } =
            tokio::task::spawn_blocking(move || pack(&batches, per_write))
                .await
                .map_err(|e| StoreError::Corrupt(format!("packing the track log: {e}")))?;
        let packed = started.elapsed();
        head.unfinished = true;
        for segment in &segments {
            self.write_segment(segment).await?;
        }
        self.finish(first, last, &damaged).await?;
        head.unfinished = false;
        for d in &damaged {
            tracing::error!(
                batch = d.id,
                fixes = d.fixes,
                reason = %d.reason,
                "a damaged batch of the track log was set aside in track_batches_damaged"
            );
        }
        let count = count - damaged.iter().map(|d| d.fixes).sum::<usize>();
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

    /// Fixes in the log.
    async fn backlog(&self) -> Result<usize> {
        let n: i64 = sqlx::query_scalar("SELECT coalesce(sum(fixes), 0) FROM track_batches")
            .fetch_one(&self.reader)
            .await?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Takes the copy's head if the log's head is exactly it (as many
    /// batches, from the same first id to the same last), or `None` when
    /// the log must be read instead.
    async fn take_copied(&self) -> Result<Option<Vec<Logged>>> {
        let Some(span) = self.recent.lock().head(self.policy.rows) else {
            return Ok(None);
        };
        let (n, first): (i64, Option<i64>) =
            sqlx::query_as("SELECT count(*), min(id) FROM track_batches WHERE id <= ?")
                .bind(span.last)
                .fetch_one(&self.reader)
                .await?;
        // The copy's batches are all committed, and only a pass or a prune
        // (which keep the copy in step) deletes or changes log rows: the
        // same count over the same range means the same batches.
        if usize::try_from(n).ok() != Some(span.n) || first != Some(span.first) {
            return Ok(None);
        }
        Ok(self.recent.lock().take(span))
    }

    /// Reads the oldest batches of the log, at most a pass's worth: those
    /// before the copy's first batch if there are any (the copy then lines
    /// up with the log for the next pass), any otherwise. The copy forgets
    /// them.
    async fn read_head(&self) -> Result<Vec<Logged>> {
        let copy_starts = self.recent.lock().first_id();
        if let Some(first) = copy_starts {
            let read = self.read_log(first).await?;
            if !read.is_empty() {
                return Ok(read);
            }
        }
        self.read_log(i64::MAX).await
    }

    /// The oldest batches of the log before id `below`, of at most a pass's
    /// fixes (but at least one batch).
    async fn read_log(&self, below: i64) -> Result<Vec<Logged>> {
        let mut rows = sqlx::query(
            "SELECT id, min_fix_ms, max_fix_ms, fixes, data FROM track_batches \
             WHERE id < ? ORDER BY id",
        )
        .bind(below)
        .fetch(&self.reader);
        let (mut read, mut fixes) = (Vec::new(), 0);
        while let Some(r) = rows.try_next().await? {
            let n = usize::try_from(r.try_get::<i64, _>(3)?).unwrap_or(0);
            if !read.is_empty() && fixes + n > self.policy.rows {
                break;
            }
            fixes += n;
            read.push(Logged {
                id: r.try_get(0)?,
                batch: Batch {
                    min_ms: r.try_get(1)?,
                    max_ms: r.try_get(2)?,
                    fixes: n,
                    data: r.try_get(4)?,
                },
            });
        }
        if let Some(last) = read.last() {
            self.recent.lock().forget_through(last.id);
        }
        Ok(read)
    }

    /// One transaction of a pass: a segment of these members' chunks, not
    /// yet done, and their last fixes moved forward.
    async fn write_segment(&self, segment: &Segment) -> Result<()> {
        let mut unsynced = Unsynced::acquire(&self.writer).await?;
        let mut tx = unsynced.conn()?.begin_with("BEGIN IMMEDIATE").await?;
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO track_segments (min_fix_ms, max_fix_ms, fixes, done) VALUES (?, ?, ?, 0) \
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
        tx.commit().await?;
        unsynced.restore().await
    }

    /// A pass's last transaction: the batches `first..=last` it took leave
    /// the log as its segments become done, the damaged ones set aside.
    async fn finish(&self, first: i64, last: i64, damaged: &[Damaged]) -> Result<()> {
        let mut unsynced = Unsynced::acquire(&self.writer).await?;
        let mut tx = unsynced.conn()?.begin_with("BEGIN IMMEDIATE").await?;
        for d in damaged {
            sqlx::query(
                "INSERT INTO track_batches_damaged \
                 (id, min_fix_ms, max_fix_ms, fixes, data, reason, found_ms) \
                 SELECT id, min_fix_ms, max_fix_ms, fixes, data, ?, ? FROM track_batches \
                 WHERE id = ?",
            )
            .bind(&d.reason)
            .bind(crate::clock::now_ms())
            .bind(d.id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM track_batches WHERE id BETWEEN ? AND ?")
            .bind(first)
            .bind(last)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE track_segments SET done = 1 WHERE done = 0")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        unsynced.restore().await
    }

    /// Drops the segments of a pass that stopped before its last
    /// transaction: their fixes are still in the log.
    async fn drop_unfinished(&self) -> Result<()> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "DELETE FROM track_chunks WHERE seq IN (SELECT seq FROM track_segments WHERE done = 0)",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM track_segments WHERE done = 0")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
