//! The cluster's outbox (发件箱) and the runs of once-only jobs.
//!
//! A node of a cluster commits each change together with its record for the
//! log between nodes, in the same transaction ([`keep`]); once JetStream has
//! taken the record, the row is deleted ([`OutboxStore::outbox_sent`]). A
//! node that dies between its commit and its publish leaves the row behind,
//! and the sweeper (one node, under the lease) publishes it: a committed
//! change always reaches the log, and the log never holds an uncommitted one.
//! A single server keeps no outbox (its writers pass no record).

use async_trait::async_trait;

use super::Result;
use super::backend::{Backend, Conn, json_list};
use super::driver::{Driver, Stmt, first, rows};
use riskmap_engine::model::EpochMs;

/// What the log gets of a change: its subject and its record (JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outgoing<'a> {
    /// The JetStream subject.
    pub subject: &'a str,
    /// The record.
    pub payload: &'a str,
}

/// A record kept in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// Its id: the message id JetStream deduplicates by.
    pub id: i64,
    /// The JetStream subject.
    pub subject: String,
    /// The record.
    pub payload: String,
}

/// Keeps `outgoing` in the outbox inside the change's transaction; its id.
pub async fn keep<B: Backend>(
    conn: &mut Conn<B>,
    outgoing: Outgoing<'_>,
    now: EpochMs,
) -> Result<i64> {
    let q = Stmt::new(
        "INSERT INTO outbox (subject, payload, created_ms) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(outgoing.subject)
    .bind(outgoing.payload)
    .bind(now);
    let id = first::<B::Db, _>(conn, q, |r| r.get::<i64>("id")).await?;
    id.ok_or_else(|| super::StoreError::Corrupt("the outbox gave no id".into()))
}

/// [`keep`] when there is a record to keep (a cluster node's write).
pub async fn keep_opt<B: Backend>(
    conn: &mut Conn<B>,
    outgoing: Option<Outgoing<'_>>,
    now: EpochMs,
) -> Result<Option<i64>> {
    match outgoing {
        Some(o) => keep::<B>(conn, o, now).await.map(Some),
        None => Ok(None),
    }
}

/// [`keep`] for each record; their ids, in order.
pub async fn keep_all<B: Backend>(
    conn: &mut Conn<B>,
    outgoing: &[Outgoing<'_>],
    now: EpochMs,
) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(outgoing.len());
    for o in outgoing {
        ids.push(keep::<B>(conn, *o, now).await?);
    }
    Ok(ids)
}

/// The outbox, and the fence of once-only jobs.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Records kept before `before_ms` and not yet sent, oldest first, at
    /// most `limit`: those a dead node left behind (or a live one has not
    /// sent for long).
    async fn outbox_waiting(&self, before_ms: EpochMs, limit: u32) -> Result<Vec<Kept>>;

    /// Deletes records JetStream has taken.
    async fn outbox_sent(&self, ids: &[i64]) -> Result<()>;

    /// Claims the run of `job` for time slot `slot` for `node`: false if
    /// some node already ran it (then this node must not).
    async fn claim_run(&self, job: &str, slot: i64, node: &str, now: EpochMs) -> Result<bool>;
}

#[async_trait]
impl<B: Backend> OutboxStore for B {
    async fn outbox_waiting(&self, before_ms: EpochMs, limit: u32) -> Result<Vec<Kept>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new(
            "SELECT id, subject, payload FROM outbox WHERE created_ms < $1 ORDER BY id LIMIT $2",
        )
        .bind(before_ms)
        .bind(i64::from(limit));
        rows::<B::Db, _>(&mut c, q, |r| {
            Ok(Kept {
                id: r.get("id")?,
                subject: r.get("subject")?,
                payload: r.get("payload")?,
            })
        })
        .await
    }

    async fn outbox_sent(&self, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let list = json_list(&keys)?;
        let sql = format!(
            "DELETE FROM outbox WHERE CAST(id AS TEXT) IN ({})",
            super::backend::json_strings::<B>("$1")
        );
        let mut c = self.writer().acquire().await?;
        B::Db::run(&mut c, Stmt::new(&sql).bind(list.as_str())).await?;
        Ok(())
    }

    async fn claim_run(&self, job: &str, slot: i64, node: &str, now: EpochMs) -> Result<bool> {
        let mut c = self.writer().acquire().await?;
        let q = Stmt::new(
            "INSERT INTO job_runs (job, slot, node, at_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (job, slot) DO NOTHING",
        )
        .bind(job)
        .bind(slot)
        .bind(node)
        .bind(now);
        Ok(B::Db::run(&mut c, q).await? == 1)
    }
}
