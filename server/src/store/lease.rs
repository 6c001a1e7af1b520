//! The lease of the once-only jobs (租约): a PostgreSQL advisory lock held
//! on a connection of its own. Whoever holds the lock holds the lease; when
//! its process dies its connection closes, PostgreSQL releases the lock, and
//! another node takes it at its next try (within a second or two).

use std::time::Duration;

use sqlx::{Connection, PgConnection};

use super::Result;

/// How long connecting for the lease may take.
const CONNECT_PATIENCE: Duration = Duration::from_secs(5);

/// One node's hold on (or bid for) a lease.
pub struct Lease {
    url: String,
    key: i64,
    conn: Option<PgConnection>,
    held: bool,
}

impl Lease {
    /// A bid for the lease named by `key`, on the database at `url`.
    #[must_use]
    pub fn new(url: &str, key: i64) -> Lease {
        Lease {
            url: url.to_owned(),
            key,
            conn: None,
            held: false,
        }
    }

    /// Whether this node holds the lease now: confirms a held lease (its
    /// connection still answers), or tries to take a free one. A failure
    /// (the database unreachable) loses it: the lock went with the
    /// connection.
    pub async fn poll(&mut self) -> bool {
        match self.try_poll().await {
            Ok(held) => self.held = held,
            Err(e) => {
                if self.held {
                    tracing::warn!(error = %e, "the lease's connection failed; lease lost");
                }
                self.conn = None;
                self.held = false;
            }
        }
        self.held
    }

    async fn try_poll(&mut self) -> Result<bool> {
        if self.conn.is_none() {
            let c = tokio::time::timeout(CONNECT_PATIENCE, PgConnection::connect(&self.url))
                .await
                .map_err(|_| sqlx::Error::PoolTimedOut)??;
            self.conn = Some(c);
        }
        let Some(conn) = &mut self.conn else {
            return Ok(false);
        };
        if self.held {
            sqlx::query("SELECT 1").execute(&mut *conn).await?;
            return Ok(true);
        }
        let (taken,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
            .bind(self.key)
            .fetch_one(&mut *conn)
            .await?;
        Ok(taken)
    }
}
