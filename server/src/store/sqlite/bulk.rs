//! The city read at start on plain synchronous SQLite connections.
//!
//! Why not sqlx, as everywhere else: sqlx's SQLite driver steps rows on a
//! worker thread, copies every column value (an allocation each) and sends
//! each row through a channel to the task reading it. For a city of a
//! million features that was most of the cold start (3.1 s of 4.6 s to read
//! 735,000 staff rows); stepping the same rows in place on a thread of our
//! own and decoding them as they stand takes a third of it. The statements
//! and the decoders are the shared ones ([`layers`]); only the stepping is
//! here.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Row};

use super::super::driver::{Col, Columns};
use super::super::layers::LayerRead;
use super::super::{Result, StoreError};

/// A read transaction on a connection of its own, its snapshot taken when
/// it was begun (see [`Snapshot::begin`]).
pub struct Snapshot {
    conn: Connection,
}

impl Snapshot {
    /// Opens the database read-only and begins a read transaction, taking
    /// its snapshot now (SQLite takes it at the first read, so this reads).
    pub fn begin(path: &Path, busy: Duration) -> Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(error)?;
        conn.busy_timeout(busy).map_err(error)?;
        conn.execute_batch("BEGIN; SELECT 1 FROM areas LIMIT 1;")
            .map_err(error)?;
        Ok(Snapshot { conn })
    }

    /// How many rows `table` holds.
    pub fn count(&self, table: &str) -> Result<usize> {
        let n: i64 = self
            .conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .map_err(error)?;
        usize::try_from(n).map_err(|e| StoreError::Corrupt(format!("{table}: {n} rows: {e}")))
    }

    /// Every row of `read`, each made into the model.
    pub fn rows<T>(&self, read: &LayerRead<T>) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare(&read.sql).map_err(error)?;
        let mut rows = stmt.query([]).map_err(error)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(error)? {
            out.push((read.from)(&Cells(row))?);
        }
        Ok(out)
    }

    /// Every row of `read`, each made into the model and handed to `out` in
    /// batches of `size` (the last one shorter).
    pub fn batches<T>(
        &self,
        read: &LayerRead<T>,
        size: usize,
        mut out: impl FnMut(Vec<T>),
    ) -> Result<()> {
        let mut stmt = self.conn.prepare(&read.sql).map_err(error)?;
        let mut rows = stmt.query([]).map_err(error)?;
        let mut batch = Vec::with_capacity(size);
        while let Some(row) = rows.next().map_err(error)? {
            batch.push((read.from)(&Cells(row))?);
            if batch.len() == size {
                out(std::mem::replace(&mut batch, Vec::with_capacity(size)));
            }
        }
        if !batch.is_empty() {
            out(batch);
        }
        Ok(())
    }

    /// Ends the read transaction.
    pub fn end(self) -> Result<()> {
        self.conn.execute_batch("COMMIT").map_err(error)
    }
}

/// A SQLite error as the store's (the driver is not sqlx's, but the error
/// means the same: the database said no).
fn error(e: rusqlite::Error) -> StoreError {
    StoreError::Database(sqlx::Error::AnyDriverError(Box::new(e)))
}

/// A row being stepped, read by the shared decoders.
struct Cells<'r, 's>(&'r Row<'s>);

impl Cells<'_, '_> {
    /// The value of column `col`, by position or name.
    fn value(&self, col: Col<'_>) -> sqlx::Result<ValueRef<'_>> {
        match col {
            Col::At(i) => self.0.get_ref(i),
            Col::Name(n) => self.0.get_ref(n),
        }
        .map_err(|e| decode(col, e))
    }

    /// Column `col` as `T`, NULL as `None`.
    fn get<T: rusqlite::types::FromSql>(&self, col: Col<'_>) -> sqlx::Result<Option<T>> {
        match self.value(col)? {
            ValueRef::Null => Ok(None),
            v => T::column_result(v).map(Some).map_err(|e| decode(col, e)),
        }
    }
}

fn decode(col: Col<'_>, e: impl std::error::Error + Send + Sync + 'static) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: col.to_string(),
        source: Box::new(e),
    }
}

impl Columns for Cells<'_, '_> {
    fn int(&self, col: Col<'_>) -> sqlx::Result<Option<i64>> {
        self.get(col)
    }
    fn real(&self, col: Col<'_>) -> sqlx::Result<Option<f64>> {
        self.get(col)
    }
    fn real32(&self, col: Col<'_>) -> sqlx::Result<Option<f32>> {
        self.get(col)
    }
    fn flag(&self, col: Col<'_>) -> sqlx::Result<Option<bool>> {
        self.get(col)
    }
    fn str(&self, col: Col<'_>) -> sqlx::Result<Option<&str>> {
        match self.value(col)? {
            ValueRef::Null => Ok(None),
            v => v.as_str().map(Some).map_err(|e| decode(col, e)),
        }
    }
    fn bytes(&self, col: Col<'_>) -> sqlx::Result<Option<Vec<u8>>> {
        self.get(col)
    }
}
