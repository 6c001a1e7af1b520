//! What both stores keep of the geofences (电子围栏): one row each, the
//! whole fence as JSON text. Written once, over any [`Backend`].

use async_trait::async_trait;

use super::backend::{Backend, Cell, json_list, with_areas};
use super::codec::corrupt;
use super::driver::{Cols, Driver, Param, Stmt, rows};
use super::outbox::{Outgoing, keep_opt};
use super::rows::insert_rows;
use super::{Result, StoreError};
use crate::fence::Fence;

/// Fence persistence.
#[async_trait]
pub trait FenceStore: Send + Sync {
    /// Adds or replaces `put` (by id) and deletes `removed`, keeping
    /// `outbox` (a cluster node's record of the change) in the same
    /// transaction; its outbox id.
    async fn put_fences(
        &self,
        put: &[Fence],
        removed: &[String],
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>>;

    /// Every fence, by id.
    async fn fences(&self) -> Result<Vec<Fence>>;
}

const CELLS: [Cell; 3] = [Cell::Plain; 3];

#[async_trait]
impl<B: Backend> FenceStore for B {
    async fn put_fences(
        &self,
        put: &[Fence],
        removed: &[String],
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>> {
        let now = crate::clock::now_ms();
        let texts: Vec<String> = put
            .iter()
            .map(serde_json::to_string)
            .collect::<serde_json::Result<_>>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let rows: Vec<(&Fence, &String)> = put.iter().zip(&texts).collect();
        let mut tx = self.begin_write().await?;
        if !removed.is_empty() {
            let ids = json_list(removed)?;
            let sql = with_areas::<B>("DELETE FROM fences WHERE id IN ({areas})", "$1");
            B::Db::run(&mut tx, Stmt::new(&sql).bind(ids.as_str())).await?;
        }
        insert_rows::<B, (&Fence, &String)>(
            &mut tx,
            (
                "INSERT INTO fences (id, updated_ms, body)",
                " ON CONFLICT (id) DO UPDATE SET updated_ms = excluded.updated_ms, \
                 body = excluded.body",
            ),
            &CELLS,
            &rows,
            |(f, body), out| {
                out.extend([
                    Param::Text(&f.id),
                    Param::Int(f.updated_ms),
                    Param::Text(body),
                ]);
            },
        )
        .await?;
        let kept = keep_opt::<B>(&mut tx, outbox, now).await?;
        tx.commit().await?;
        Ok(kept)
    }

    async fn fences(&self) -> Result<Vec<Fence>> {
        let mut c = self.reader().acquire().await?;
        rows::<B::Db, _>(
            &mut c,
            Stmt::new("SELECT id, body FROM fences ORDER BY id"),
            read,
        )
        .await
    }
}

fn read<DB: Driver>(r: &Cols<'_, DB>) -> Result<Fence> {
    let id: String = r.get("id")?;
    let text: String = r.get("body")?;
    serde_json::from_str(&text).map_err(|e| corrupt("fences", &id, &format!("body: {e}")))
}
