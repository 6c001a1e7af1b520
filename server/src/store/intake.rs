//! What both stores keep of the intake (一网归集) and the feedback (一网反馈):
//! uploaded photos, content-addressed, with the incidents that carry them;
//! the external systems' sources and tickets; the call-backs owed to them.
//! Written once, over any [`Backend`].
//!
//! The rows an incident's change implies (its photos' links, its ticket,
//! the call-backs it owes) are written by [`write_side_rows`] inside the
//! change's own transaction: a ticket can never name a lost incident, and a
//! committed change can never lose its call-back.

use async_trait::async_trait;

use super::backend::{Backend, Conn};
use super::driver::{Cols, Driver, Stmt, first, rows};
use super::{Result, StoreError};
use crate::connector::{Callback, CallbackState, IntakeSource, SourceKind};
use crate::incident::channel::Intake;
use crate::incident::model::{Detail, Incident, LogEntry};
use riskmap_engine::model::EpochMs;

/// A photo as stored: the cleaned image and its thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRow {
    /// Hex SHA-256 of `bytes`.
    pub id: String,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub mime: String,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// The image.
    pub bytes: Vec<u8>,
    /// A JPEG thumbnail.
    pub thumb: Vec<u8>,
    /// Who uploaded it (a username, or `citizen`).
    pub uploaded_by: String,
}

/// Intake and feedback persistence.
#[async_trait]
pub trait IntakeStore: Send + Sync {
    /// Keeps a photo (the same content twice is one row).
    async fn put_attachment(&self, a: &AttachmentRow) -> Result<()>;
    /// A photo's type and bytes (or its thumbnail's), and who uploaded it.
    async fn attachment(&self, id: &str, thumb: bool) -> Result<Option<(String, Vec<u8>, String)>>;
    /// Which of `ids` are not stored.
    async fn missing_attachments(&self, ids: &[String]) -> Result<Vec<String>>;
    /// The incidents that carry a photo.
    async fn attachment_incidents(&self, id: &str) -> Result<Vec<String>>;

    /// Adds or replaces a source (by name).
    async fn put_source(&self, s: &IntakeSource) -> Result<()>;
    /// Every source, by name.
    async fn sources(&self) -> Result<Vec<IntakeSource>>;
    /// One source.
    async fn source(&self, name: &str) -> Result<Option<IntakeSource>>;
    /// The incident a source's ticket opened, if any.
    async fn ticket_incident(&self, source: &str, ticket: &str) -> Result<Option<String>>;

    /// Pending call-backs due by `now`, oldest first, at most `limit`, each
    /// the oldest pending one of its ticket (a ticket hears its changes in
    /// order).
    async fn due_callbacks(&self, now: EpochMs, limit: u32) -> Result<Vec<Callback>>;
    /// Takes a due call-back for an attempt (moving its next attempt to
    /// `until`, so that no other node takes it meanwhile); false if
    /// another took it first.
    async fn claim_callback(&self, c: &Callback, until: EpochMs) -> Result<bool>;
    /// Records an attempt's outcome.
    async fn settle_callback(&self, c: &Callback) -> Result<()>;
    /// Call-backs in a state (all if none), newest first.
    async fn callbacks(&self, state: Option<CallbackState>, limit: u32) -> Result<Vec<Callback>>;
    /// One call-back.
    async fn callback(&self, id: i64) -> Result<Option<Callback>>;
}

/// Writes the rows an incident's change implies, in its transaction: links
/// from the photos it and its entry carry, its ticket (refused as a
/// conflict if the ticket opened another incident), and a call-back for
/// every ticket answered by it (its own, and those of the incidents merged
/// into it).
pub async fn write_side_rows<B: Backend>(
    tx: &mut Conn<B>,
    incident: &Incident,
    entry: &LogEntry,
) -> Result<()> {
    for photo in incident.photos.iter().chain(&entry.photos) {
        if riskmap_media::is_id(photo) {
            let q = Stmt::new(
                "INSERT INTO attachment_links (attachment, incident) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(photo.as_str())
            .bind(incident.id.as_str());
            B::Db::run(tx, q).await?;
        }
    }
    // A report's own ticket, or a repeated alarm's.
    let ticket = match (&entry.detail, &incident.intake) {
        (Detail::Ticket { source, ticket }, _) => Some((source, ticket)),
        (
            _,
            Some(Intake {
                external: Some(x), ..
            }),
        ) if entry.seq == 1 => Some((&x.source, &x.ticket)),
        _ => None,
    };
    if let Some((source, ticket)) = ticket {
        let q =
            Stmt::new("INSERT INTO intake_tickets (source, ticket, incident) VALUES ($1, $2, $3)")
                .bind(source.as_str())
                .bind(ticket.as_str())
                .bind(incident.id.as_str());
        B::Db::run(tx, q).await.map_err(|e| match e {
            StoreError::Database(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                StoreError::Conflict(format!("ticket {ticket} of {source} is known already"))
            }
            e => e,
        })?;
    }
    let q = Stmt::new(
        "INSERT INTO callbacks (source, ticket, incident, seq, state, attempts, next_ms, created_ms) \
         SELECT t.source, t.ticket, $1, $2, 'pending', 0, $3, $3 FROM intake_tickets t \
         WHERE t.incident = $1 OR t.incident IN (SELECT id FROM incidents WHERE merged_into = $1)",
    )
    .bind(incident.id.as_str())
    .bind(entry.seq)
    .bind(entry.at_ms);
    B::Db::run(tx, q).await?;
    Ok(())
}

const CALLBACK_COLUMNS: &str = "id, source, ticket, incident, seq, state, attempts, next_ms, \
                                last_error, created_ms, delivered_ms";

#[async_trait]
impl<B: Backend> IntakeStore for B {
    async fn put_attachment(&self, a: &AttachmentRow) -> Result<()> {
        let mut c = self.writer().acquire().await?;
        let q = Stmt::new(
            "INSERT INTO attachments (id, mime, width, height, bytes, thumb, uploaded_by, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
        )
        .bind(a.id.as_str())
        .bind(a.mime.as_str())
        .bind(i64::from(a.width))
        .bind(i64::from(a.height))
        .bind(a.bytes.as_slice())
        .bind(a.thumb.as_slice())
        .bind(a.uploaded_by.as_str())
        .bind(crate::clock::now_ms());
        B::Db::run(&mut c, q).await?;
        Ok(())
    }

    async fn attachment(&self, id: &str, thumb: bool) -> Result<Option<(String, Vec<u8>, String)>> {
        let mut c = self.reader().acquire().await?;
        let sql = if thumb {
            "SELECT 'image/jpeg' AS mime, thumb AS data, uploaded_by FROM attachments WHERE id = $1"
        } else {
            "SELECT mime, bytes AS data, uploaded_by FROM attachments WHERE id = $1"
        };
        first::<B::Db, _>(&mut c, Stmt::new(sql).bind(id), |r| {
            Ok((r.get("mime")?, r.get("data")?, r.get("uploaded_by")?))
        })
        .await
    }

    async fn missing_attachments(&self, ids: &[String]) -> Result<Vec<String>> {
        let mut c = self.reader().acquire().await?;
        let mut missing = Vec::new();
        for id in ids {
            let q = Stmt::new("SELECT id FROM attachments WHERE id = $1").bind(id.as_str());
            if first::<B::Db, _>(&mut c, q, |r| r.get::<String>("id"))
                .await?
                .is_none()
            {
                missing.push(id.clone());
            }
        }
        Ok(missing)
    }

    async fn attachment_incidents(&self, id: &str) -> Result<Vec<String>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new("SELECT incident FROM attachment_links WHERE attachment = $1").bind(id);
        rows::<B::Db, _>(&mut c, q, |r| r.get("incident")).await
    }

    async fn put_source(&self, s: &IntakeSource) -> Result<()> {
        let categories =
            serde_json::to_string(&s.categories).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut c = self.writer().acquire().await?;
        let q = Stmt::new(
            "INSERT INTO intake_sources (name, title, kind, secret, categories, default_category, \
             callback_url, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (name) DO UPDATE SET title = excluded.title, kind = excluded.kind, \
             secret = excluded.secret, categories = excluded.categories, \
             default_category = excluded.default_category, callback_url = excluded.callback_url, \
             updated_ms = excluded.updated_ms",
        )
        .bind(s.name.as_str())
        .bind(s.title.as_str())
        .bind(s.kind.as_str())
        .bind(s.secret.as_str())
        .bind(categories.as_str())
        .bind(s.default_category.as_deref())
        .bind(s.callback_url.as_deref())
        .bind(s.updated_ms);
        B::Db::run(&mut c, q).await?;
        Ok(())
    }

    async fn sources(&self) -> Result<Vec<IntakeSource>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new("SELECT * FROM intake_sources ORDER BY name");
        rows::<B::Db, _>(&mut c, q, read_source).await
    }

    async fn source(&self, name: &str) -> Result<Option<IntakeSource>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new("SELECT * FROM intake_sources WHERE name = $1").bind(name);
        first::<B::Db, _>(&mut c, q, read_source).await
    }

    async fn ticket_incident(&self, source: &str, ticket: &str) -> Result<Option<String>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new("SELECT incident FROM intake_tickets WHERE source = $1 AND ticket = $2")
            .bind(source)
            .bind(ticket);
        first::<B::Db, _>(&mut c, q, |r| r.get("incident")).await
    }

    async fn due_callbacks(&self, now: EpochMs, limit: u32) -> Result<Vec<Callback>> {
        let mut c = self.reader().acquire().await?;
        let sql = format!(
            "SELECT {CALLBACK_COLUMNS} FROM callbacks c WHERE state = 'pending' AND next_ms <= $1 \
             AND NOT EXISTS (SELECT 1 FROM callbacks o WHERE o.state = 'pending' \
             AND o.source = c.source AND o.ticket = c.ticket AND o.id < c.id) \
             ORDER BY id LIMIT $2"
        );
        let q = Stmt::once(&sql, Vec::new())
            .bind(now)
            .bind(i64::from(limit));
        rows::<B::Db, _>(&mut c, q, read_callback).await
    }

    async fn claim_callback(&self, cb: &Callback, until: EpochMs) -> Result<bool> {
        let mut c = self.writer().acquire().await?;
        let q = Stmt::new(
            "UPDATE callbacks SET next_ms = $1 WHERE id = $2 AND state = 'pending' AND next_ms = $3",
        )
        .bind(until)
        .bind(cb.id)
        .bind(cb.next_ms);
        Ok(B::Db::run(&mut c, q).await? == 1)
    }

    async fn settle_callback(&self, cb: &Callback) -> Result<()> {
        let mut c = self.writer().acquire().await?;
        let q = Stmt::new(
            "UPDATE callbacks SET state = $1, attempts = $2, next_ms = $3, last_error = $4, \
             delivered_ms = $5 WHERE id = $6",
        )
        .bind(cb.state.as_str())
        .bind(cb.attempts)
        .bind(cb.next_ms)
        .bind(cb.last_error.as_deref())
        .bind(cb.delivered_ms)
        .bind(cb.id);
        B::Db::run(&mut c, q).await?;
        Ok(())
    }

    async fn callbacks(&self, state: Option<CallbackState>, limit: u32) -> Result<Vec<Callback>> {
        let mut c = self.reader().acquire().await?;
        let sql = format!(
            "SELECT {CALLBACK_COLUMNS} FROM callbacks WHERE ($1 = '' OR state = $1) \
             ORDER BY id DESC LIMIT $2"
        );
        let q = Stmt::once(&sql, Vec::new())
            .bind(state.map_or("", CallbackState::as_str))
            .bind(i64::from(limit));
        rows::<B::Db, _>(&mut c, q, read_callback).await
    }

    async fn callback(&self, id: i64) -> Result<Option<Callback>> {
        let mut c = self.reader().acquire().await?;
        let sql = format!("SELECT {CALLBACK_COLUMNS} FROM callbacks WHERE id = $1");
        first::<B::Db, _>(&mut c, Stmt::once(&sql, Vec::new()).bind(id), read_callback).await
    }
}

fn read_source<DB: Driver>(r: &Cols<'_, DB>) -> Result<IntakeSource> {
    let name: String = r.get("name")?;
    let bad = |col: &str, e: &dyn std::fmt::Display| {
        super::codec::corrupt("intake_sources", &name, &format!("{col}: {e}"))
    };
    let kind: String = r.get("kind")?;
    let categories: String = r.get("categories")?;
    Ok(IntakeSource {
        kind: SourceKind::parse(&kind).ok_or_else(|| bad("kind", &kind))?,
        categories: serde_json::from_str(&categories).map_err(|e| bad("categories", &e))?,
        title: r.get("title")?,
        secret: r.get("secret")?,
        default_category: r.get("default_category")?,
        callback_url: r.get("callback_url")?,
        updated_ms: r.get("updated_ms")?,
        name,
    })
}

fn read_callback<DB: Driver>(r: &Cols<'_, DB>) -> Result<Callback> {
    let id: i64 = r.get("id")?;
    let state: String = r.get("state")?;
    Ok(Callback {
        state: CallbackState::parse(&state).ok_or_else(|| {
            super::codec::corrupt("callbacks", &id.to_string(), &format!("state: {state}"))
        })?,
        source: r.get("source")?,
        ticket: r.get("ticket")?,
        incident: r.get("incident")?,
        seq: r.get("seq")?,
        attempts: r.get("attempts")?,
        next_ms: r.get("next_ms")?,
        last_error: r.get("last_error")?,
        created_ms: r.get("created_ms")?,
        delivered_ms: r.get("delivered_ms")?,
        id,
    })
}
