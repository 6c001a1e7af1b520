//! The audit log: who logged in, and who wrote what, when, from where, with
//! what outcome. Append-only like the incident flow log (triggers refuse
//! edits and deletes); readable by administrators (one bound to a district
//! reads the entries of principals whose area lies in it).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::Result;
use super::backend::{Backend, json_list, with_areas};
use super::driver::{Driver, Stmt, rows};
use riskmap_engine::model::EpochMs;

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log (assigned by the store; 0 before).
    pub seq: i64,
    /// When.
    pub at_ms: EpochMs,
    /// Who (the username; `-` for a request without a valid token).
    pub username: String,
    /// Their role (empty without a valid token).
    pub role: String,
    /// Their area code.
    pub area: String,
    /// What: `login`, `login_failed`, or `METHOD /path` of a write.
    pub action: String,
    /// The HTTP status answered.
    pub status: i64,
    /// The client's address.
    pub ip: String,
}

/// Audit persistence.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an entry (committed before it returns).
    async fn append_audit(&self, entry: &AuditEntry) -> Result<()>;

    /// Entries in `[from, to)`, newest first, at most `limit`, optionally of
    /// one user, optionally only of principals whose area is one of `areas`
    /// (an administrator bound to a district reads its subtree's).
    async fn audit_between(
        &self,
        from: EpochMs,
        to: EpochMs,
        username: Option<&str>,
        areas: Option<&[String]>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>>;
}

#[async_trait]
impl<B: Backend> AuditStore for B {
    async fn append_audit(&self, e: &AuditEntry) -> Result<()> {
        let mut c = self.writer().acquire().await?;
        let q = Stmt::new(include_str!("sql/insert_audit.sql"))
            .bind(e.at_ms)
            .bind(&e.username)
            .bind(&e.role)
            .bind(&e.area)
            .bind(&e.action)
            .bind(e.status)
            .bind(&e.ip);
        B::Db::run(&mut c, q).await?;
        Ok(())
    }

    async fn audit_between(
        &self,
        from: EpochMs,
        to: EpochMs,
        username: Option<&str>,
        areas: Option<&[String]>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let areas = areas.map(json_list).transpose()?;
        let sql = with_areas::<B>(include_str!("sql/audit_between.sql"), "$4");
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new(&sql)
            .bind(from)
            .bind(to)
            .bind(username)
            .bind(areas.as_deref())
            .bind(i64::from(limit));
        rows::<B::Db, _>(&mut c, q, |r| {
            Ok(AuditEntry {
                seq: r.get("seq")?,
                at_ms: r.get("at_ms")?,
                username: r.get("username")?,
                role: r.get("role")?,
                area: r.get("area")?,
                action: r.get("action")?,
                status: r.get("status")?,
                ip: r.get("ip")?,
            })
        })
        .await
    }
}
