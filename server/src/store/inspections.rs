//! What both stores keep of 场所码 scans: one row per inspection or
//! check-in, the whole record as JSON text beside the columns that lists
//! select by. Written once, over any [`Backend`].

use async_trait::async_trait;

use super::backend::{Backend, json_list, with_areas};
use super::codec::corrupt;
use super::driver::{Cols, Driver, Stmt, rows};
use super::outbox::{Outgoing, keep_opt};
use super::{Result, StoreError};
use crate::venue::Inspection;
use riskmap_engine::model::EpochMs;

/// Which inspections a list wants.
#[derive(Debug, Clone, Copy, Default)]
pub struct InspectionFilter<'a> {
    /// At or after.
    pub from: EpochMs,
    /// Before.
    pub to: EpochMs,
    /// Of one place.
    pub place: Option<&'a str>,
    /// By one worker.
    pub staff: Option<&'a str>,
    /// In these grids (area codes) only.
    pub grids: Option<&'a [String]>,
    /// At most this many, newest first.
    pub limit: u32,
}

/// Inspection persistence.
#[async_trait]
pub trait InspectionStore: Send + Sync {
    /// A new inspection with `outbox` (a cluster node's record of it), in
    /// one transaction; its outbox id.
    async fn put_inspection_kept(
        &self,
        inspection: &Inspection,
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>>;

    /// The inspections a filter selects, newest first.
    async fn inspections(&self, filter: InspectionFilter<'_>) -> Result<Vec<Inspection>>;

    /// Each place's latest inspection or check-in time.
    async fn last_inspections(&self) -> Result<Vec<(String, EpochMs)>>;
}

fn read<DB: Driver>(r: &Cols<'_, DB>) -> Result<Inspection> {
    let id: String = r.get("id")?;
    let text: String = r.get("body")?;
    serde_json::from_str(&text).map_err(|e| corrupt("inspections", &id, &format!("body: {e}")))
}

#[async_trait]
impl<B: Backend> InspectionStore for B {
    async fn put_inspection_kept(
        &self,
        inspection: &Inspection,
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>> {
        let text =
            serde_json::to_string(inspection).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.begin_write().await?;
        let q = Stmt::new(
            "INSERT INTO inspections (id, place_id, staff_id, grid, at_ms, body) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(inspection.id.as_str())
        .bind(inspection.place_id.as_str())
        .bind(inspection.staff_id.as_str())
        .bind(inspection.grid.as_deref())
        .bind(inspection.at_ms)
        .bind(text.as_str());
        B::Db::run(&mut tx, q).await?;
        let kept = keep_opt::<B>(&mut tx, outbox, inspection.at_ms).await?;
        tx.commit().await?;
        Ok(kept)
    }

    async fn inspections(&self, f: InspectionFilter<'_>) -> Result<Vec<Inspection>> {
        let grids = f.grids.map(json_list).transpose()?;
        let sql = with_areas::<B>(
            "SELECT id, body FROM inspections WHERE at_ms >= $1 AND at_ms < $2 \
             AND ($3 IS NULL OR place_id = $3) AND ($4 IS NULL OR staff_id = $4) \
             AND ($5 IS NULL OR grid IN ({areas})) ORDER BY at_ms DESC, id LIMIT $6",
            "$5",
        );
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new(&sql)
            .bind(f.from)
            .bind(f.to)
            .bind(f.place)
            .bind(f.staff)
            .bind(grids.as_deref())
            .bind(i64::from(f.limit));
        rows::<B::Db, _>(&mut c, q, read).await
    }

    async fn last_inspections(&self) -> Result<Vec<(String, EpochMs)>> {
        let mut c = self.reader().acquire().await?;
        let q =
            Stmt::new("SELECT place_id, MAX(at_ms) AS at_ms FROM inspections GROUP BY place_id");
        rows::<B::Db, _>(&mut c, q, |r| Ok((r.get("place_id")?, r.get("at_ms")?))).await
    }
}
