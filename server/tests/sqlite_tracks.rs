//! The SQLite store's two forms of a track (server/src/store/sqlite/tracks.rs):
//! fixes in the log, fixes packed in chunks by a compaction pass, and both
//! at once, read as one track; retention across segments; the compactor
//! running by itself; a database of the old layout migrated; a damaged chunk
//! refused and a damaged batch set aside; a pass that stopped half-way. `store_suite.rs` runs the
//! behaviours common to both stores.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::borrow::Cow;
use std::path::Path;
use std::time::{Duration, Instant};

use riskmap::store::sqlite::tracks::Compaction;
use riskmap::store::sqlite::{DB_FILE, SqliteStore};
use riskmap::store::{CommonStore, LayerData, Store, TrackPoint, WriteMode};
use riskmap_engine::model::{DutyStatus, Fix, Role, Staff};
use riskmap_engine::sphere::LonLat;
use sqlx::{Connection, SqliteConnection};

/// No pass unless asked for: the test decides what is compacted.
const BY_HAND: Compaction = Compaction {
    rows: usize::MAX,
    every: Duration::from_secs(3600),
};

const MEMBERS: [&str; 3] = ["S000001", "S000002", "S000003"];

fn fix(i: i64) -> Fix {
    #[allow(clippy::cast_precision_loss)]
    let x = i as f64;
    Fix {
        position: LonLat::new(120.65 + x * 1e-6, 28.0 + (x * 0.37).sin() * 1e-3).unwrap(),
        accuracy_m: (i % 2 == 0).then_some(5.5),
        speed_mps: (i % 3 == 0).then_some(1.2),
        heading_deg: None,
        altitude_m: (i % 5 == 0).then_some(12.0),
        battery_pct: Some(80.0),
        // Times wander back now and then: late fixes are history too.
        fix_time_ms: 1_000_000 + i * 1000 - if i % 7 == 0 { 50_000 } else { 0 },
        server_time_ms: 2_000_000 + i,
    }
}

/// Fixes `from..to`, dealt round the members.
fn batch(from: i64, to: i64) -> Vec<(&'static str, Fix)> {
    (from..to)
        .map(|i| (MEMBERS[usize::try_from(i).unwrap() % MEMBERS.len()], fix(i)))
        .collect()
}

async fn append(store: &SqliteStore, fixes: &[(&'static str, Fix)]) {
    let points: Vec<TrackPoint<'_>> = fixes
        .iter()
        .map(|(staff_id, fix)| TrackPoint {
            staff_id,
            fix: *fix,
        })
        .collect();
    store.append_fixes(&points).await.unwrap();
}

/// What a track must be: every fix of `all` for `id` in `[from, to]`, in
/// time order, at most `limit`.
fn want(all: &[(&str, Fix)], id: &str, from: i64, to: i64, limit: usize) -> Vec<Fix> {
    let mut w: Vec<Fix> = all
        .iter()
        .filter(|(s, f)| *s == id && (from..=to).contains(&f.fix_time_ms))
        .map(|(_, f)| *f)
        .collect();
    w.sort_by_key(|f| (f.fix_time_ms, f.server_time_ms));
    w.truncate(limit);
    w
}

async fn check_tracks(store: &SqliteStore, all: &[(&str, Fix)]) {
    for id in MEMBERS {
        for (from, to, limit) in [
            (i64::MIN, i64::MAX, 100_000),
            (1_040_000, 1_090_000, 1000),
            (1_040_000, 1_090_000, 7),
            (0, 999_999, 10),
            // Limits that end inside the first, the second chunk and the
            // log: replay stops reading chunks early, and must not cut
            // off a late fix that sorts before the limit.
            (i64::MIN, i64::MAX, 1),
            (i64::MIN, i64::MAX, 25),
            (i64::MIN, i64::MAX, 45),
            (i64::MIN, i64::MAX, 60),
        ] {
            assert_eq!(
                store.track(id, from, to, limit).await.unwrap(),
                want(all, id, from, to, limit.try_into().unwrap()),
                "{id} {from}..={to} limit {limit}"
            );
        }
    }
}

async fn raw(dir: &Path) -> SqliteConnection {
    SqliteConnection::connect(&format!("sqlite://{}", dir.join(DB_FILE).display()))
        .await
        .unwrap()
}

/// Fixes in the log, not yet compacted.
async fn logged(conn: &mut SqliteConnection) -> i64 {
    sqlx::query_scalar("SELECT coalesce(sum(fixes), 0) FROM track_batches")
        .fetch_one(conn)
        .await
        .unwrap()
}

async fn count(conn: &mut SqliteConnection, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(conn)
        .await
        .unwrap()
}

fn member(id: &str) -> Staff {
    Staff {
        id: id.to_owned(),
        name: "张三".to_owned(),
        role: Role::GridWorker,
        skills: Vec::new(),
        home_grid: "330302001001001".to_owned(),
        duty: DutyStatus::Available,
        devices: Vec::new(),
        last_fix: None,
    }
}

#[tokio::test]
async fn log_and_chunks_read_as_one_track() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_with(dir.path(), BY_HAND).await.unwrap();
    let roster: Vec<Staff> = MEMBERS.iter().map(|id| member(id)).collect();
    store
        .write_layer(&LayerData::Staff(roster), WriteMode::Replace)
        .await
        .unwrap();
    let mut conn = raw(dir.path()).await;

    // Two passes' worth in chunks, then more in the log only.
    let mut all = batch(0, 90);
    append(&store, &all).await;
    store.compact_tracks().await.unwrap();
    let second = batch(90, 150);
    append(&store, &second).await;
    all.extend(&second);
    store.compact_tracks().await.unwrap();
    let third = batch(150, 200);
    append(&store, &third).await;
    all.extend(&third);
    assert_eq!(count(&mut conn, "track_segments").await, 2);
    assert_eq!(count(&mut conn, "track_chunks").await, 6);
    assert_eq!(logged(&mut conn).await, 50);
    check_tracks(&store, &all).await;

    // The staff rows' last fixes follow the passes; loading the city drains
    // the log first, so it sees the newest fix of each member.
    let stored: Option<i64> =
        sqlx::query_scalar("SELECT fix_time_ms FROM staff WHERE id = 'S000001'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        stored,
        want(&all[..150], "S000001", i64::MIN, i64::MAX, 1000)
            .last()
            .map(|f| f.fix_time_ms)
    );
    let city = store.load_city().await.unwrap();
    assert_eq!(logged(&mut conn).await, 0);
    for s in &city.staff {
        let newest = want(&all, &s.id, i64::MIN, i64::MAX, 1000).last().copied();
        assert_eq!(s.last_fix, newest, "{}", s.id);
    }
    check_tracks(&store, &all).await;

    // After a restart, the same.
    drop(store);
    let again = SqliteStore::open_with(dir.path(), BY_HAND).await.unwrap();
    check_tracks(&again, &all).await;
}

/// A pass over more members than one write takes is written as several
/// segments: every fix ends in one chunk, every member's last fix moves,
/// the log empties.
#[tokio::test]
async fn a_pass_over_many_members_writes_several_segments() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_with(dir.path(), BY_HAND).await.unwrap();
    let ids: Vec<String> = (0..2_500).map(|i| format!("M{i:05}")).collect();
    let roster: Vec<Staff> = ids.iter().map(|id| member(id)).collect();
    store
        .write_layer(&LayerData::Staff(roster), WriteMode::Replace)
        .await
        .unwrap();
    // Three fixes each, interleaved in the log.
    let all: Vec<(&str, Fix)> = (0..7_500_i64)
        .map(|i| {
            (
                ids[usize::try_from(i).unwrap() % ids.len()].as_str(),
                fix(i),
            )
        })
        .collect();
    let points: Vec<TrackPoint<'_>> = all
        .iter()
        .map(|(staff_id, fix)| TrackPoint {
            staff_id,
            fix: *fix,
        })
        .collect();
    store.append_fixes(&points).await.unwrap();
    store.compact_tracks().await.unwrap();
    let mut conn = raw(dir.path()).await;
    assert_eq!(logged(&mut conn).await, 0);
    assert_eq!(
        count(&mut conn, "track_segments").await,
        10,
        "250 members a write"
    );
    assert_eq!(count(&mut conn, "track_chunks").await, 2_500);
    let fixes: i64 = sqlx::query_scalar("SELECT sum(fixes) FROM track_segments")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(fixes, 7_500);
    for id in [&ids[0], &ids[249], &ids[250], &ids[2_499]] {
        let want = want(&all, id, i64::MIN, i64::MAX, 100);
        assert_eq!(want.len(), 3);
        assert_eq!(
            store.track(id, i64::MIN, i64::MAX, 100).await.unwrap(),
            want,
            "{id}"
        );
        let stored: Option<i64> = sqlx::query_scalar("SELECT fix_time_ms FROM staff WHERE id = ?")
            .bind(id)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(stored, want.last().map(|f| f.fix_time_ms), "{id}");
    }
}

#[tokio::test]
async fn retention_cuts_through_segments_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_with(dir.path(), BY_HAND).await.unwrap();
    let mut conn = raw(dir.path()).await;
    let mut all = Vec::new();
    for (from, to) in [(0, 60), (60, 120), (120, 180)] {
        let b = batch(from, to);
        append(&store, &b).await;
        all.extend(b);
        store.compact_tracks().await.unwrap();
    }
    let log = batch(180, 240);
    append(&store, &log).await;
    all.extend(log);

    for cut in [1_000_000, 1_030_500, 1_061_000, 1_150_000, 1_300_000] {
        let before = all.len();
        all.retain(|(_, f)| f.fix_time_ms >= cut);
        let removed = u64::try_from(before - all.len()).unwrap();
        assert_eq!(store.prune_tracks(cut).await.unwrap(), removed, "{cut}");
        check_tracks(&store, &all).await;
        // What the segments say they hold is what their chunks hold.
        let (summary, chunks): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT sum(fixes) FROM track_segments), (SELECT sum(fixes) FROM track_chunks)",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(summary, chunks, "{cut}");
    }
    assert!(all.is_empty());
    assert_eq!(count(&mut conn, "track_segments").await, 0);
    assert_eq!(count(&mut conn, "track_chunks").await, 0);
    assert_eq!(logged(&mut conn).await, 0);
    assert_eq!(store.prune_tracks(i64::MAX).await.unwrap(), 0);
}

#[tokio::test]
async fn the_compactor_keeps_the_log_short_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let policy = Compaction {
        rows: 100,
        every: Duration::from_millis(50),
    };
    let store = SqliteStore::open_with(dir.path(), policy).await.unwrap();
    let mut conn = raw(dir.path()).await;
    let all = batch(0, 1000);
    for part in all.chunks(70) {
        append(&store, part).await;
    }
    let started = Instant::now();
    while logged(&mut conn).await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the log was not compacted"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Passes take at most `rows` fixes each.
    let biggest: i64 = sqlx::query_scalar("SELECT max(fixes) FROM track_segments")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(biggest <= 100, "{biggest}");
    check_tracks(&store, &all).await;
}

/// A pass takes whole batches, so it moves a little less than a pass's
/// worth when the next batch would not fit: a log several passes long
/// (here left by an earlier process) is still compacted pass after pass,
/// not one pass a wake-up.
#[tokio::test]
async fn a_log_several_passes_long_is_caught_up_with_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut all = batch(0, 700);
    {
        let store = SqliteStore::open_with(dir.path(), BY_HAND).await.unwrap();
        for part in all.chunks(70) {
            append(&store, part).await;
        }
    }
    // Passes of at most 100 fixes: one batch of 70 each. No timer: only
    // the batch below wakes the compactor, once.
    let policy = Compaction {
        rows: 100,
        every: Duration::from_secs(3600),
    };
    let store = SqliteStore::open_with(dir.path(), policy).await.unwrap();
    let more = batch(700, 800);
    append(&store, &more).await;
    all.extend(&more);
    let mut conn = raw(dir.path()).await;
    let started = Instant::now();
    while logged(&mut conn).await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the compactor stopped with {} fixes in the log",
            logged(&mut conn).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check_tracks(&store, &all).await;
}

#[tokio::test]
async fn a_database_of_the_old_layout_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::File::create(dir.path().join(DB_FILE)).unwrap();
    let mut conn = raw(dir.path()).await;
    // The schema as it was before the log: migrations 1 to 3.
    let mut old = sqlx::migrate!("../migrations/sqlite");
    old.migrations = Cow::Owned(old.migrations[..3].to_vec());
    old.run(&mut conn).await.unwrap();
    let all = batch(0, 30);
    for (id, f) in &all {
        sqlx::query(
            "INSERT INTO tracks (staff_id, fix_time_ms, server_time_ms, lon, lat, accuracy_m, \
             speed_mps, heading_deg, altitude_m, battery_pct) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(f.fix_time_ms)
        .bind(f.server_time_ms)
        .bind(f.position.lon)
        .bind(f.position.lat)
        .bind(f.accuracy_m)
        .bind(f.speed_mps)
        .bind(f.heading_deg)
        .bind(f.altitude_m)
        .bind(f.battery_pct)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    conn.close().await.unwrap();

    let store = SqliteStore::open_with(dir.path(), BY_HAND).await.unwrap();
    // The rows of the log of a row per fix are a batch now, and that log
    // is gone.
    let mut conn = raw(dir.path()).await;
    assert_eq!(logged(&mut conn).await, 30);
    let old_log: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'track_log'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(old_log, 0);
    check_tracks(&store, &all).await;
    store.compact_tracks().await.unwrap();
    check_tracks(&store, &all).await;
}

#[tokio::test]
async fn a_damaged_chunk_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_with(dir.path(), BY_HAND).await.unwrap();
    append(&store, &batch(0, 30)).await;
    store.compact_tracks().await.unwrap();
    let mut conn = raw(dir.path()).await;
    sqlx::query("UPDATE track_chunks SET data = substr(data, 1, 20) WHERE staff_id = 'S000002'")
        .execute(&mut conn)
        .await
        .unwrap();
    let err = store
        .track("S000002", i64::MIN, i64::MAX, 10)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cut short"), "{err}");
    // The others' tracks are untouched.
    assert_eq!(
        store
            .track("S000001", i64::MIN, i64::MAX, 100)
            .await
            .unwrap(),
        want(&batch(0, 30), "S000001", i64::MIN, i64::MAX, 100)
    );
}

/// A batch of the log that cannot be read (a bad sector, a hand edit) must
/// not fail every pass behind it while the log grows until the disk is
/// full: the pass sets it aside in `track_batches_damaged`, its bytes and
/// the reason kept, and compacts the batches on either side.
#[tokio::test]
async fn a_damaged_batch_is_set_aside_and_the_log_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_with(dir.path(), BY_HAND).await.unwrap();
    let (before, damaged, after) = (batch(0, 30), batch(30, 60), batch(60, 90));
    for part in [&before, &damaged, &after] {
        append(&store, part).await;
    }
    // Reopened, so that the pass reads the log rather than the writer's copy.
    drop(store);
    let mut conn = raw(dir.path()).await;
    sqlx::query(
        "UPDATE track_batches SET data = substr(data, 1, 20) \
         WHERE id = (SELECT min(id) + 1 FROM track_batches)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let store = SqliteStore::open_with(dir.path(), BY_HAND).await.unwrap();
    store.compact_tracks().await.unwrap();
    assert_eq!(logged(&mut conn).await, 0);
    let (fixes, bytes, reason): (i64, i64, String) =
        sqlx::query_as("SELECT fixes, length(data), reason FROM track_batches_damaged")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!((fixes, bytes), (30, 20));
    assert!(reason.contains("cut short"), "{reason}");
    let all: Vec<_> = before.iter().chain(&after).copied().collect();
    check_tracks(&store, &all).await;
    // The log goes on.
    let more = batch(90, 120);
    append(&store, &more).await;
    store.compact_tracks().await.unwrap();
    assert_eq!(logged(&mut conn).await, 0);
    check_tracks(&store, &[all, more].concat()).await;
}

/// A pass takes the fixes from the writer's copy of the log only where the
/// log's head is exactly that copy; otherwise it reads the log. Either way
/// every fix ends in exactly one chunk: after a restart (the copy is empty,
/// the log is not), after a row the copy never saw, and after retention.
#[tokio::test]
async fn every_fix_is_compacted_once_whether_the_copy_holds_it_or_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut all = batch(0, 40);
    {
        let store = SqliteStore::open_with(dir.path(), BY_HAND).await.unwrap();
        append(&store, &all).await;
    }
    let store = SqliteStore::open_with(dir.path(), BY_HAND).await.unwrap();
    let mut conn = raw(dir.path()).await;
    let more = batch(40, 80);
    append(&store, &more).await;
    all.extend(&more);
    store.compact_tracks().await.unwrap();
    assert_eq!(logged(&mut conn).await, 0);
    check_tracks(&store, &all).await;

    // A batch the copy never saw (written by another process on the same
    // file), between two batches.
    let before = batch(80, 100);
    append(&store, &before).await;
    all.extend(&before);
    let stray = vec![("S000002", fix(100))];
    let other = SqliteStore::open_with(dir.path(), BY_HAND).await.unwrap();
    append(&other, &stray).await;
    drop(other);
    all.extend(&stray);
    let after = batch(101, 120);
    append(&store, &after).await;
    all.extend(&after);
    store.compact_tracks().await.unwrap();
    assert_eq!(logged(&mut conn).await, 0);
    check_tracks(&store, &all).await;

    // Retention between a batch and its pass: the copy forgets what the
    // log lost, and the pass takes the rest.
    let last = batch(120, 180);
    append(&store, &last).await;
    all.extend(&last);
    let cut = 1_140_000;
    all.retain(|(_, f)| f.fix_time_ms >= cut);
    store.prune_tracks(cut).await.unwrap();
    store.compact_tracks().await.unwrap();
    assert_eq!(logged(&mut conn).await, 0);
    check_tracks(&store, &all).await;
    let segments: i64 = sqlx::query_scalar("SELECT sum(fixes) FROM track_segments")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(segments, i64::try_from(all.len()).unwrap());
}

/// A copy that let its oldest rows go (the compactor fell more than its
/// bound behind) is caught up with by reading only the rows before it:
/// every fix still ends in exactly one chunk.
#[tokio::test]
async fn a_copy_that_let_its_oldest_rows_go_is_caught_up_with() {
    let dir = tempfile::tempdir().unwrap();
    // The copy holds four passes' worth: 40 of the 100 fixes appended.
    let policy = Compaction {
        rows: 10,
        every: Duration::from_secs(3600),
    };
    let store = SqliteStore::open_with(dir.path(), policy).await.unwrap();
    let all = batch(0, 100);
    for part in all.chunks(5) {
        append(&store, part).await;
    }
    store.compact_tracks().await.unwrap();
    let mut conn = raw(dir.path()).await;
    assert_eq!(logged(&mut conn).await, 0);
    let biggest: i64 = sqlx::query_scalar("SELECT max(fixes) FROM track_segments")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(biggest <= 10, "{biggest}");
    check_tracks(&store, &all).await;
}

/// A pass that stopped after writing its segments and before its last
/// transaction (a crash, an error) leaves its batches in the log and its
/// segments not done: a replay reads each fix once, and the next pass drops
/// those segments before it writes its own, so every fix ends in exactly
/// one chunk.
#[tokio::test]
async fn a_pass_that_stopped_half_way_is_done_again_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut all = batch(0, 60);
    let mut conn = {
        let store = SqliteStore::open_with(dir.path(), BY_HAND).await.unwrap();
        let mut conn = raw(dir.path()).await;
        append(&store, &all).await;
        store.compact_tracks().await.unwrap();
        let more = batch(60, 120);
        append(&store, &more).await;
        all.extend(&more);
        // The state a pass over `more` leaves when it stops just before
        // its last transaction: its segments written, its batch still in
        // the log.
        sqlx::query("CREATE TABLE kept AS SELECT * FROM track_batches")
            .execute(&mut conn)
            .await
            .unwrap();
        let done: i64 = sqlx::query_scalar("SELECT max(seq) FROM track_segments")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        store.compact_tracks().await.unwrap();
        for sql in [
            "INSERT INTO track_batches SELECT * FROM kept",
            "DROP TABLE kept",
        ] {
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        sqlx::query("UPDATE track_segments SET done = 0 WHERE seq > ?")
            .bind(done)
            .execute(&mut conn)
            .await
            .unwrap();
        conn
    };
    let store = SqliteStore::open_with(dir.path(), BY_HAND).await.unwrap();
    assert_eq!(logged(&mut conn).await, 60);
    check_tracks(&store, &all).await;
    store.compact_tracks().await.unwrap();
    assert_eq!(logged(&mut conn).await, 0);
    check_tracks(&store, &all).await;
    let (fixes, unfinished): (i64, i64) =
        sqlx::query_as("SELECT sum(fixes), count(*) FILTER (WHERE done = 0) FROM track_segments")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!((fixes, unfinished), (120, 0));
    let chunked: i64 = sqlx::query_scalar("SELECT sum(fixes) FROM track_chunks")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(chunked, 120);
}
