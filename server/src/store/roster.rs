//! What both stores keep of the roster (排班): one row per shift, the shift
//! as JSON text beside its grid. Written once, over any [`Backend`].

use async_trait::async_trait;

use super::backend::{Backend, Cell, json_list, with_areas};
use super::codec::corrupt;
use super::driver::{Cols, Driver, Param, Stmt, rows};
use super::outbox::{Outgoing, keep_opt};
use super::rows::insert_rows;
use super::{Result, StoreError};
use crate::roster::Shift;

/// Roster persistence.
#[async_trait]
pub trait RosterStore: Send + Sync {
    /// Deletes the shifts of the `cleared` grids and adds `shifts`, keeping
    /// `outbox` (a cluster node's record of the change) in the same
    /// transaction; its outbox id.
    async fn put_roster(
        &self,
        cleared: &[String],
        shifts: &[Shift],
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>>;

    /// Every shift, in the order saved.
    async fn roster(&self) -> Result<Vec<Shift>>;
}

const CELLS: [Cell; 2] = [Cell::Plain; 2];

#[async_trait]
impl<B: Backend> RosterStore for B {
    async fn put_roster(
        &self,
        cleared: &[String],
        shifts: &[Shift],
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>> {
        let now = crate::clock::now_ms();
        let texts: Vec<String> = shifts
            .iter()
            .map(serde_json::to_string)
            .collect::<serde_json::Result<_>>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let rows: Vec<(&Shift, &String)> = shifts.iter().zip(&texts).collect();
        let mut tx = self.begin_write().await?;
        if !cleared.is_empty() {
            let grids = json_list(cleared)?;
            let sql = with_areas::<B>("DELETE FROM roster_shifts WHERE grid IN ({areas})", "$1");
            B::Db::run(&mut tx, Stmt::new(&sql).bind(grids.as_str())).await?;
        }
        insert_rows::<B, (&Shift, &String)>(
            &mut tx,
            ("INSERT INTO roster_shifts (grid, body)", ""),
            &CELLS,
            &rows,
            |(s, body), out| out.extend([Param::Text(&s.grid), Param::Text(body)]),
        )
        .await?;
        let kept = keep_opt::<B>(&mut tx, outbox, now).await?;
        tx.commit().await?;
        Ok(kept)
    }

    async fn roster(&self) -> Result<Vec<Shift>> {
        let mut c = self.reader().acquire().await?;
        rows::<B::Db, _>(
            &mut c,
            Stmt::new("SELECT id, body FROM roster_shifts ORDER BY id"),
            read,
        )
        .await
    }
}

fn read<DB: Driver>(r: &Cols<'_, DB>) -> Result<Shift> {
    let id: i64 = r.get("id")?;
    let text: String = r.get("body")?;
    serde_json::from_str(&text)
        .map_err(|e| corrupt("roster_shifts", &id.to_string(), &format!("body: {e}")))
}
