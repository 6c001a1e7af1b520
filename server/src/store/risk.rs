//! What both stores keep of the risk model: each grid's score and level per
//! day (风险研判 trends), rewritten through the day. Written once, over any
//! [`Backend`].

use async_trait::async_trait;

use super::Result;
use super::backend::{Backend, Cell};
use super::driver::{Cols, Driver, Param, Stmt, rows};
use super::rows::insert_rows;

/// One grid's risk on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskDay {
    /// The city's calendar day (the work calendar's offset), `YYYY-MM-DD`.
    pub day: String,
    /// The grid's code.
    pub grid: String,
    /// Its score.
    pub score: f64,
    /// Its level, 1 (red) to 4 (blue).
    pub level: u8,
}

/// Risk persistence.
#[async_trait]
pub trait RiskStore: Send + Sync {
    /// Writes (or rewrites) these grids' rows, in one transaction.
    async fn put_risk_days(&self, days: &[RiskDay]) -> Result<()>;

    /// A grid's rows from `from_day` on, oldest first.
    async fn risk_days(&self, grid: &str, from_day: &str) -> Result<Vec<RiskDay>>;
}

const CELLS: [Cell; 4] = [Cell::Plain; 4];

#[async_trait]
impl<B: Backend> RiskStore for B {
    async fn put_risk_days(&self, days: &[RiskDay]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_rows::<B, RiskDay>(
            &mut tx,
            (
                "INSERT INTO risk_daily (day, grid, score, level)",
                " ON CONFLICT (grid, day) DO UPDATE SET score = excluded.score, \
                 level = excluded.level",
            ),
            &CELLS,
            days,
            |d, out| {
                out.extend([
                    Param::Text(&d.day),
                    Param::Text(&d.grid),
                    Param::Real(d.score),
                    Param::Int(i64::from(d.level)),
                ]);
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn risk_days(&self, grid: &str, from_day: &str) -> Result<Vec<RiskDay>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new(
            // PostgreSQL keeps the level as SMALLINT; both read a BIGINT.
            "SELECT day, grid, score, CAST(level AS BIGINT) AS level FROM risk_daily \
             WHERE grid = $1 AND day >= $2 ORDER BY day",
        )
        .bind(grid)
        .bind(from_day);
        rows::<B::Db, _>(&mut c, q, read).await
    }
}

fn read<DB: Driver>(r: &Cols<'_, DB>) -> Result<RiskDay> {
    let level: i64 = r.get("level")?;
    Ok(RiskDay {
        day: r.get("day")?,
        grid: r.get("grid")?,
        score: r.get("score")?,
        level: u8::try_from(level).unwrap_or(4),
    })
}
