//! The audit log: who logged in, and who wrote what, when, from where, with
//! what outcome. Append-only like the incident flow log (triggers refuse
//! edits and deletes); readable by system administrators.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::Result;
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
    /// one user.
    async fn audit_between(
        &self,
        from: EpochMs,
        to: EpochMs,
        username: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>>;
}

/// `INSERT INTO audit_log …` (SQLite placeholders).
pub const INSERT_AUDIT: &str = "INSERT INTO audit_log (at_ms, username, role, area, action, status, ip) \
     VALUES (?, ?, ?, ?, ?, ?, ?)";

/// The log in a range, newest first; the `?`s are from, to, user (or
/// NULL), user again, limit.
pub const SELECT_AUDIT: &str = "SELECT seq, at_ms, username, role, area, action, status, ip \
     FROM audit_log WHERE at_ms >= ? AND at_ms < ? AND (? IS NULL OR username = ?) \
     ORDER BY seq DESC LIMIT ?";

/// Implements [`AuditStore`] for a backend (as `impl_incident_store!`).
macro_rules! impl_audit_store {
    ($store:ty, reader: $reader:ident, writer: $writer:ident, sql: $sql:expr) => {
        #[async_trait::async_trait]
        impl $crate::store::audit::AuditStore for $store {
            async fn append_audit(
                &self,
                e: &$crate::store::audit::AuditEntry,
            ) -> $crate::store::Result<()> {
                sqlx::query(&$sql($crate::store::audit::INSERT_AUDIT))
                    .bind(e.at_ms)
                    .bind(&e.username)
                    .bind(&e.role)
                    .bind(&e.area)
                    .bind(&e.action)
                    .bind(e.status)
                    .bind(&e.ip)
                    .execute(&self.$writer)
                    .await?;
                Ok(())
            }

            async fn audit_between(
                &self,
                from: i64,
                to: i64,
                username: Option<&str>,
                limit: u32,
            ) -> $crate::store::Result<Vec<$crate::store::audit::AuditEntry>> {
                use sqlx::Row as _;
                let rows = sqlx::query(&$sql($crate::store::audit::SELECT_AUDIT))
                    .bind(from)
                    .bind(to)
                    .bind(username)
                    .bind(username)
                    .bind(i64::from(limit))
                    .fetch_all(&self.$reader)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::store::audit::AuditEntry {
                            seq: r.try_get("seq")?,
                            at_ms: r.try_get("at_ms")?,
                            username: r.try_get("username")?,
                            role: r.try_get("role")?,
                            area: r.try_get("area")?,
                            action: r.try_get("action")?,
                            status: r.try_get("status")?,
                            ip: r.try_get("ip")?,
                        })
                    })
                    .collect()
            }
        }
    };
}

pub(crate) use impl_audit_store;
