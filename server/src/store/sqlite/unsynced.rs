//! The writer connection without an fsync per commit, for the writes of a
//! compaction pass (`tracks.rs`), which only move fixes already durable.

use sqlx::Sqlite;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnection, SqlitePool};

use crate::store::Result;

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
pub(super) struct Unsynced(Option<PoolConnection<Sqlite>>);

impl Unsynced {
    pub async fn acquire(writer: &SqlitePool) -> Result<Unsynced> {
        let mut unsynced = Unsynced(Some(writer.acquire().await?));
        sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(unsynced.conn()?)
            .await?;
        Ok(unsynced)
    }

    pub fn conn(&mut self) -> Result<&mut SqliteConnection> {
        match &mut self.0 {
            Some(conn) => Ok(conn),
            None => Err(sqlx::Error::PoolClosed.into()),
        }
    }

    /// Puts the connection back as it came.
    pub async fn restore(mut self) -> Result<()> {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::Store;
    use crate::store::TrackPoint;
    use crate::store::sqlite::SqliteStore;
    use crate::store::sqlite::tracks::Compaction;
    use riskmap_engine::model::Fix;
    use riskmap_engine::sphere::LonLat;
    use std::time::Duration;

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
