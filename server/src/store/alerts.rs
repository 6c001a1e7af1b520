//! What both stores keep of alerts: one row per alert, the whole record as
//! JSON text beside the columns that lists select by. Written once, over
//! any [`Backend`].

use async_trait::async_trait;

use super::backend::{Backend, json_list, with_areas, write_duty};
use super::codec::corrupt;
use super::driver::{Cols, Driver, Stmt, first, rows};
use super::outbox::{Outgoing, keep_opt};
use super::{Result, StoreError};
use crate::alert::Alert;
use riskmap_engine::model::{DutyStatus, EpochMs};

/// Alert persistence.
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// The active alerts, and those closed at `closed_since` or later.
    async fn load_alerts(&self, closed_since: EpochMs) -> Result<Vec<Alert>>;

    /// A new alert (version 1) or its next version, with the duty changes
    /// it causes and `outbox` (a cluster node's record of the change), in
    /// one transaction; its outbox id. Each alert subscriber (an intake
    /// source of kind `alerts`) is owed a call-back of the change, written
    /// in the same transaction. A stored version that is not the one
    /// before is a [`StoreError::Conflict`]: someone else changed it.
    async fn put_alert_kept(
        &self,
        alert: &Alert,
        duty: &[(String, DutyStatus)],
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>>;

    /// One alert as it stands.
    async fn alert(&self, id: &str) -> Result<Option<Alert>>;

    /// The alerts raised in `[from, to)`, newest first, at most `limit`;
    /// only of these grids (area codes) if given.
    async fn alerts_between(
        &self,
        from: EpochMs,
        to: EpochMs,
        grids: Option<&[String]>,
        limit: u32,
    ) -> Result<Vec<Alert>>;
}

fn body(alert: &Alert) -> Result<String> {
    serde_json::to_string(alert).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn read<DB: Driver>(r: &Cols<'_, DB>) -> Result<Alert> {
    let id: String = r.get("id")?;
    let text: String = r.get("body")?;
    serde_json::from_str(&text).map_err(|e| corrupt("alerts", &id, &format!("body: {e}")))
}

#[async_trait]
impl<B: Backend> AlertStore for B {
    async fn load_alerts(&self, closed_since: EpochMs) -> Result<Vec<Alert>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new(
            "SELECT id, body FROM alerts WHERE state <> 'closed' OR updated_ms >= $1 \
             ORDER BY raised_ms",
        )
        .bind(closed_since);
        rows::<B::Db, _>(&mut c, q, read).await
    }

    async fn put_alert_kept(
        &self,
        alert: &Alert,
        duty: &[(String, DutyStatus)],
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>> {
        let text = body(alert)?;
        let kind = super::codec::name(alert.kind)?;
        let mut tx = self.begin_write().await?;
        let changed = if alert.version == 1 {
            let q = Stmt::new(
                "INSERT INTO alerts (id, kind, state, staff_id, grid, raised_ms, updated_ms, \
                 version, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(alert.id.as_str())
            .bind(kind.as_str())
            .bind(alert.state.as_str())
            .bind(alert.subject.staff_id.as_str())
            .bind(alert.subject.grid.as_deref())
            .bind(alert.raised_ms)
            .bind(alert.updated_ms)
            .bind(alert.version)
            .bind(text.as_str());
            B::Db::run(&mut tx, q)
                .await
                .map_err(|e| conflict_on_duplicate(e, &alert.id))?
        } else {
            let q = Stmt::new(
                "UPDATE alerts SET state = $1, updated_ms = $2, version = $3, body = $4 \
                 WHERE id = $5 AND version = $6",
            )
            .bind(alert.state.as_str())
            .bind(alert.updated_ms)
            .bind(alert.version)
            .bind(text.as_str())
            .bind(alert.id.as_str())
            .bind(alert.version - 1);
            B::Db::run(&mut tx, q).await?
        };
        if changed != 1 {
            return Err(StoreError::Conflict(format!(
                "alert {} is not at version {}",
                alert.id,
                alert.version - 1
            )));
        }
        write_duty::<B>(&mut tx, duty).await?;
        // 告警订阅: the change owed to every subscriber (its ticket is the
        // alert, its seq the version).
        let q = Stmt::new(
            "INSERT INTO callbacks (source, ticket, incident, seq, state, attempts, next_ms, \
             created_ms) SELECT name, $1, $1, $2, 'pending', 0, $3, $3 FROM intake_sources \
             WHERE kind = 'alerts' AND callback_url IS NOT NULL",
        )
        .bind(alert.id.as_str())
        .bind(alert.version)
        .bind(alert.updated_ms);
        B::Db::run(&mut tx, q).await?;
        let kept = keep_opt::<B>(&mut tx, outbox, alert.updated_ms).await?;
        tx.commit().await?;
        Ok(kept)
    }

    async fn alert(&self, id: &str) -> Result<Option<Alert>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new("SELECT id, body FROM alerts WHERE id = $1").bind(id);
        first::<B::Db, _>(&mut c, q, read).await
    }

    async fn alerts_between(
        &self,
        from: EpochMs,
        to: EpochMs,
        grids: Option<&[String]>,
        limit: u32,
    ) -> Result<Vec<Alert>> {
        let grids = grids.map(json_list).transpose()?;
        let sql = with_areas::<B>(
            "SELECT id, body FROM alerts WHERE raised_ms >= $1 AND raised_ms < $2 \
             AND ($3 IS NULL OR grid IN ({areas})) ORDER BY raised_ms DESC, id LIMIT $4",
            "$3",
        );
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new(&sql)
            .bind(from)
            .bind(to)
            .bind(grids.as_deref())
            .bind(i64::from(limit));
        rows::<B::Db, _>(&mut c, q, read).await
    }
}

/// A second alert with the same id is a conflict, not a database failure.
fn conflict_on_duplicate(e: StoreError, id: &str) -> StoreError {
    match e {
        StoreError::Database(sqlx::Error::Database(d)) if d.is_unique_violation() => {
            StoreError::Conflict(format!("alert {id} exists"))
        }
        other => other,
    }
}
