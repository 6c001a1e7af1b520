//! What both stores keep of incidents: the current row of each incident and
//! its append-only flow log. The SQL, the column order and the conversions
//! live here once; each backend only runs them (its placeholders are made
//! from the same text by [`numbered`]).

use async_trait::async_trait;

use super::codec::{corrupt, name, parse_name};
use super::{Result, StoreError};
use crate::incident::model::{Incident, LogEntry, PendingExtension, StepTimes};
use riskmap_engine::model::{DutyStatus, EpochMs};
use riskmap_engine::sphere::LonLat;

/// Incident persistence.
#[async_trait]
pub trait IncidentStore: Send + Sync {
    /// Every incident, with the length of its flow log.
    async fn load_incidents(&self) -> Result<Vec<(Incident, i64)>>;

    /// A new incident and its first log entry, in one transaction.
    async fn create_incident(&self, incident: &Incident, entry: &LogEntry) -> Result<()>;

    /// A changed incident (whose `version` is one more than the stored
    /// one), its log entry and the duty changes it causes, in one
    /// transaction. A stored version that is not the one before is a
    /// [`StoreError::Conflict`]: someone else changed it.
    async fn record_transition(
        &self,
        incident: &Incident,
        entry: &LogEntry,
        duty: &[(String, DutyStatus)],
    ) -> Result<()>;

    /// One incident's flow log, in order.
    async fn incident_log(&self, id: &str) -> Result<Vec<LogEntry>>;

    /// Every flow-log entry in `[from, to)`, oldest first, at most `limit`.
    async fn log_between(&self, from: EpochMs, to: EpochMs, limit: u32) -> Result<Vec<LogEntry>>;
}

/// The incident columns, in bind order.
pub const INCIDENT_COLUMNS: &str = "id, category, source, priority, lon, lat, grid, area, \
    description, photos, reporter, reporter_staff, state, report_only, assignee_staff, \
    assignee_department, merged_into, possible_duplicate_of, rework_count, extension_hours, \
    step_extension_hours, pending_extension, created_ms, updated_ms, step_started_ms, \
    handled_ms, closed_ms, on_time, step_times, version";

/// The log columns, in bind order.
pub const LOG_COLUMNS: &str = "incident, seq, at_ms, action, from_state, to_state, actor, \
    actor_role, actor_area, comment, photos, detail";

/// `n` placeholders.
fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

fn count(columns: &str) -> usize {
    columns.split(',').count()
}

/// `INSERT INTO incidents …`.
#[must_use]
pub fn insert_incident_sql() -> String {
    format!(
        "INSERT INTO incidents ({INCIDENT_COLUMNS}) VALUES ({})",
        marks(count(INCIDENT_COLUMNS))
    )
}

/// `UPDATE incidents …` of every column, where the id and the previous
/// version match.
#[must_use]
pub fn update_incident_sql() -> String {
    format!(
        "UPDATE incidents SET ({INCIDENT_COLUMNS}) = ({}) WHERE id = ? AND version = ?",
        marks(count(INCIDENT_COLUMNS))
    )
}

/// `INSERT INTO incident_log …`.
#[must_use]
pub fn insert_log_sql() -> String {
    format!(
        "INSERT INTO incident_log ({LOG_COLUMNS}) VALUES ({})",
        marks(count(LOG_COLUMNS))
    )
}

/// Every incident with its log length.
#[must_use]
pub fn load_incidents_sql() -> String {
    format!(
        "SELECT {INCIDENT_COLUMNS}, (SELECT COUNT(*) FROM incident_log l WHERE l.incident = i.id) AS log_len \
         FROM incidents i ORDER BY created_ms, id"
    )
}

/// One incident's log.
#[must_use]
pub fn incident_log_sql() -> String {
    format!("SELECT {LOG_COLUMNS} FROM incident_log WHERE incident = ? ORDER BY seq")
}

/// The log in a time range.
#[must_use]
pub fn log_between_sql() -> String {
    format!(
        "SELECT {LOG_COLUMNS} FROM incident_log WHERE at_ms >= ? AND at_ms < ? \
         ORDER BY at_ms, incident, seq LIMIT ?"
    )
}

/// `?` placeholders to PostgreSQL's `$1, $2, …`.
#[must_use]
pub fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 32);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// An incident as column values, in [`INCIDENT_COLUMNS`] order.
#[derive(Debug, Clone)]
pub struct IncidentRow {
    pub id: String,
    pub category: String,
    pub source: String,
    pub priority: String,
    pub lon: f64,
    pub lat: f64,
    pub grid: String,
    pub area: String,
    pub description: String,
    pub photos: String,
    pub reporter: String,
    pub reporter_staff: Option<String>,
    pub state: String,
    pub report_only: bool,
    pub assignee_staff: Option<String>,
    pub assignee_department: Option<String>,
    pub merged_into: Option<String>,
    pub possible_duplicate_of: Option<String>,
    pub rework_count: i64,
    pub extension_hours: f64,
    pub step_extension_hours: f64,
    pub pending_extension: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub step_started_ms: i64,
    pub handled_ms: Option<i64>,
    pub closed_ms: Option<i64>,
    pub on_time: Option<bool>,
    pub step_times: String,
    pub version: i64,
}

fn json_text<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl IncidentRow {
    /// Column values of an incident.
    pub fn of(i: &Incident) -> Result<IncidentRow> {
        Ok(IncidentRow {
            id: i.id.clone(),
            category: i.category.clone(),
            source: name(i.source)?,
            priority: name(i.priority)?,
            lon: i.position.lon,
            lat: i.position.lat,
            grid: i.grid.clone(),
            area: i.area.clone(),
            description: i.description.clone(),
            photos: json_text(&i.photos)?,
            reporter: i.reporter.clone(),
            reporter_staff: i.reporter_staff.clone(),
            state: i.state.as_str().to_owned(),
            report_only: i.report_only,
            assignee_staff: i.assignee_staff.clone(),
            assignee_department: i.assignee_department.clone(),
            merged_into: i.merged_into.clone(),
            possible_duplicate_of: i.possible_duplicate_of.clone(),
            rework_count: i64::from(i.rework_count),
            extension_hours: i.extension_hours,
            step_extension_hours: i.step_extension_hours,
            pending_extension: i.pending_extension.as_ref().map(json_text).transpose()?,
            created_ms: i.created_ms,
            updated_ms: i.updated_ms,
            step_started_ms: i.step_started_ms,
            handled_ms: i.handled_ms,
            closed_ms: i.closed_ms,
            on_time: i.on_time,
            step_times: json_text(&i.step_times)?,
            version: i.version,
        })
    }

    /// The incident back from its columns; unreadable values are
    /// [`StoreError::Corrupt`], naming the incident and the column.
    pub fn into_incident(self) -> Result<Incident> {
        let id = self.id;
        let bad = |col: &str, e: &dyn std::fmt::Display| {
            corrupt("incidents", &id, &format!("{col}: {e}"))
        };
        let state = crate::incident::model::State::parse(&self.state)
            .ok_or_else(|| bad("state", &self.state))?;
        let photos: Vec<String> =
            serde_json::from_str(&self.photos).map_err(|e| bad("photos", &e))?;
        let step_times: StepTimes =
            serde_json::from_str(&self.step_times).map_err(|e| bad("step_times", &e))?;
        let pending_extension: Option<PendingExtension> = self
            .pending_extension
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| bad("pending_extension", &e))?;
        let position = LonLat::new(self.lon, self.lat).map_err(|e| bad("lon/lat", &e))?;
        Ok(Incident {
            category: self.category,
            source: parse_name("incidents", &id, "source", &self.source)?,
            priority: parse_name("incidents", &id, "priority", &self.priority)?,
            position,
            grid: self.grid,
            area: self.area,
            description: self.description,
            photos,
            reporter: self.reporter,
            reporter_staff: self.reporter_staff,
            state,
            report_only: self.report_only,
            assignee_staff: self.assignee_staff,
            assignee_department: self.assignee_department,
            merged_into: self.merged_into,
            possible_duplicate_of: self.possible_duplicate_of,
            rework_count: u32::try_from(self.rework_count).map_err(|e| bad("rework_count", &e))?,
            extension_hours: self.extension_hours,
            step_extension_hours: self.step_extension_hours,
            pending_extension,
            created_ms: self.created_ms,
            updated_ms: self.updated_ms,
            step_started_ms: self.step_started_ms,
            handled_ms: self.handled_ms,
            closed_ms: self.closed_ms,
            on_time: self.on_time,
            step_times,
            version: self.version,
            id,
        })
    }
}

/// A log entry as column values, in [`LOG_COLUMNS`] order.
#[derive(Debug, Clone)]
pub struct LogRow {
    pub incident: String,
    pub seq: i64,
    pub at_ms: i64,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub actor: String,
    pub actor_role: String,
    pub actor_area: String,
    pub comment: String,
    pub photos: String,
    pub detail: String,
}

impl LogRow {
    /// Column values of a log entry.
    pub fn of(e: &LogEntry) -> Result<LogRow> {
        Ok(LogRow {
            incident: e.incident.clone(),
            seq: e.seq,
            at_ms: e.at_ms,
            action: e.action.as_str().to_owned(),
            from_state: e.from.map(|s| s.as_str().to_owned()),
            to_state: e.to.as_str().to_owned(),
            actor: e.actor.clone(),
            actor_role: e.actor_role.clone(),
            actor_area: e.actor_area.clone(),
            comment: e.comment.clone(),
            photos: json_text(&e.photos)?,
            detail: json_text(&e.detail)?,
        })
    }

    /// The entry back from its columns.
    pub fn into_entry(self) -> Result<LogEntry> {
        use crate::incident::model::{Action, State};
        let key = format!("{}#{}", self.incident, self.seq);
        let bad = |col: &str, e: &dyn std::fmt::Display| {
            corrupt("incident_log", &key, &format!("{col}: {e}"))
        };
        let state = |s: &str| State::parse(s).ok_or_else(|| bad("state", &s));
        Ok(LogEntry {
            action: Action::parse(&self.action).ok_or_else(|| bad("action", &self.action))?,
            from: self.from_state.as_deref().map(state).transpose()?,
            to: state(&self.to_state)?,
            photos: serde_json::from_str(&self.photos).map_err(|e| bad("photos", &e))?,
            detail: serde_json::from_str(&self.detail).map_err(|e| bad("detail", &e))?,
            incident: self.incident,
            seq: self.seq,
            at_ms: self.at_ms,
            actor: self.actor,
            actor_role: self.actor_role,
            actor_area: self.actor_area,
            comment: self.comment,
        })
    }
}

/// Binds an [`IncidentRow`]'s values in column order (any sqlx backend).
macro_rules! bind_incident_row {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.id)
            .bind(r.category)
            .bind(r.source)
            .bind(r.priority)
            .bind(r.lon)
            .bind(r.lat)
            .bind(r.grid)
            .bind(r.area)
            .bind(r.description)
            .bind(r.photos)
            .bind(r.reporter)
            .bind(r.reporter_staff)
            .bind(r.state)
            .bind(r.report_only)
            .bind(r.assignee_staff)
            .bind(r.assignee_department)
            .bind(r.merged_into)
            .bind(r.possible_duplicate_of)
            .bind(r.rework_count)
            .bind(r.extension_hours)
            .bind(r.step_extension_hours)
            .bind(r.pending_extension)
            .bind(r.created_ms)
            .bind(r.updated_ms)
            .bind(r.step_started_ms)
            .bind(r.handled_ms)
            .bind(r.closed_ms)
            .bind(r.on_time)
            .bind(r.step_times)
            .bind(r.version)
    }};
}

/// Binds a [`LogRow`]'s values in column order (any sqlx backend).
macro_rules! bind_log_row {
    ($q:expr, $r:expr) => {{
        let r = $r;
        $q.bind(r.incident)
            .bind(r.seq)
            .bind(r.at_ms)
            .bind(r.action)
            .bind(r.from_state)
            .bind(r.to_state)
            .bind(r.actor)
            .bind(r.actor_role)
            .bind(r.actor_area)
            .bind(r.comment)
            .bind(r.photos)
            .bind(r.detail)
    }};
}

/// Reads an [`IncidentRow`] from a result row (any sqlx backend).
macro_rules! read_incident_row {
    ($row:expr) => {{
        use sqlx::Row as _;
        let r = $row;
        Ok::<_, sqlx::Error>($crate::store::incidents::IncidentRow {
            id: r.try_get("id")?,
            category: r.try_get("category")?,
            source: r.try_get("source")?,
            priority: r.try_get("priority")?,
            lon: r.try_get("lon")?,
            lat: r.try_get("lat")?,
            grid: r.try_get("grid")?,
            area: r.try_get("area")?,
            description: r.try_get("description")?,
            photos: r.try_get("photos")?,
            reporter: r.try_get("reporter")?,
            reporter_staff: r.try_get("reporter_staff")?,
            state: r.try_get("state")?,
            report_only: r.try_get("report_only")?,
            assignee_staff: r.try_get("assignee_staff")?,
            assignee_department: r.try_get("assignee_department")?,
            merged_into: r.try_get("merged_into")?,
            possible_duplicate_of: r.try_get("possible_duplicate_of")?,
            rework_count: r.try_get("rework_count")?,
            extension_hours: r.try_get("extension_hours")?,
            step_extension_hours: r.try_get("step_extension_hours")?,
            pending_extension: r.try_get("pending_extension")?,
            created_ms: r.try_get("created_ms")?,
            updated_ms: r.try_get("updated_ms")?,
            step_started_ms: r.try_get("step_started_ms")?,
            handled_ms: r.try_get("handled_ms")?,
            closed_ms: r.try_get("closed_ms")?,
            on_time: r.try_get("on_time")?,
            step_times: r.try_get("step_times")?,
            version: r.try_get("version")?,
        })
    }};
}

/// Reads a [`LogRow`] from a result row (any sqlx backend).
macro_rules! read_log_row {
    ($row:expr) => {{
        use sqlx::Row as _;
        let r = $row;
        Ok::<_, sqlx::Error>($crate::store::incidents::LogRow {
            incident: r.try_get("incident")?,
            seq: r.try_get("seq")?,
            at_ms: r.try_get("at_ms")?,
            action: r.try_get("action")?,
            from_state: r.try_get("from_state")?,
            to_state: r.try_get("to_state")?,
            actor: r.try_get("actor")?,
            actor_role: r.try_get("actor_role")?,
            actor_area: r.try_get("actor_area")?,
            comment: r.try_get("comment")?,
            photos: r.try_get("photos")?,
            detail: r.try_get("detail")?,
        })
    }};
}

/// Implements [`IncidentStore`] for a backend: `$store` has a field
/// `$pool` to read with, a method `$begin` that starts a write transaction,
/// and `$sql` turns this module's `?` SQL into the backend's.
macro_rules! impl_incident_store {
    ($store:ty, reader: $reader:ident, begin: $begin:ident, sql: $sql:expr) => {
        #[async_trait::async_trait]
        impl $crate::store::incidents::IncidentStore for $store {
            async fn load_incidents(
                &self,
            ) -> $crate::store::Result<Vec<($crate::incident::model::Incident, i64)>> {
                let sql = $sql(&$crate::store::incidents::load_incidents_sql());
                let rows = sqlx::query(&sql).fetch_all(&self.$reader).await?;
                let mut out = Vec::with_capacity(rows.len());
                for row in &rows {
                    let log_len: i64 = sqlx::Row::try_get(row, "log_len")?;
                    out.push((
                        $crate::store::incidents::read_incident_row!(row)?.into_incident()?,
                        log_len,
                    ));
                }
                Ok(out)
            }

            async fn create_incident(
                &self,
                incident: &$crate::incident::model::Incident,
                entry: &$crate::incident::model::LogEntry,
            ) -> $crate::store::Result<()> {
                let row = $crate::store::incidents::IncidentRow::of(incident)?;
                let log = $crate::store::incidents::LogRow::of(entry)?;
                let mut tx = self.$begin().await?;
                let sql = $sql(&$crate::store::incidents::insert_incident_sql());
                $crate::store::incidents::bind_incident_row!(sqlx::query(&sql), row)
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::store::incidents::conflict_on_duplicate)?;
                let sql = $sql(&$crate::store::incidents::insert_log_sql());
                $crate::store::incidents::bind_log_row!(sqlx::query(&sql), log)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn record_transition(
                &self,
                incident: &$crate::incident::model::Incident,
                entry: &$crate::incident::model::LogEntry,
                duty: &[(String, riskmap_engine::model::DutyStatus)],
            ) -> $crate::store::Result<()> {
                let row = $crate::store::incidents::IncidentRow::of(incident)?;
                let log = $crate::store::incidents::LogRow::of(entry)?;
                let mut tx = self.$begin().await?;
                let sql = $sql(&$crate::store::incidents::update_incident_sql());
                let done = $crate::store::incidents::bind_incident_row!(sqlx::query(&sql), row)
                    .bind(&incident.id)
                    .bind(incident.version - 1)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() != 1 {
                    return Err($crate::store::StoreError::Conflict(format!(
                        "incident {} is not at version {}",
                        incident.id,
                        incident.version - 1
                    )));
                }
                let sql = $sql(&$crate::store::incidents::insert_log_sql());
                $crate::store::incidents::bind_log_row!(sqlx::query(&sql), log)
                    .execute(&mut *tx)
                    .await?;
                let sql = $sql("UPDATE staff SET duty = ? WHERE id = ?");
                for (staff, status) in duty {
                    sqlx::query(&sql)
                        .bind($crate::store::codec::name(*status)?)
                        .bind(staff)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn incident_log(
                &self,
                id: &str,
            ) -> $crate::store::Result<Vec<$crate::incident::model::LogEntry>> {
                let sql = $sql(&$crate::store::incidents::incident_log_sql());
                let rows = sqlx::query(&sql).bind(id).fetch_all(&self.$reader).await?;
                rows.iter()
                    .map(|r| $crate::store::incidents::read_log_row!(r)?.into_entry())
                    .collect()
            }

            async fn log_between(
                &self,
                from: i64,
                to: i64,
                limit: u32,
            ) -> $crate::store::Result<Vec<$crate::incident::model::LogEntry>> {
                let sql = $sql(&$crate::store::incidents::log_between_sql());
                let rows = sqlx::query(&sql)
                    .bind(from)
                    .bind(to)
                    .bind(i64::from(limit))
                    .fetch_all(&self.$reader)
                    .await?;
                rows.iter()
                    .map(|r| $crate::store::incidents::read_log_row!(r)?.into_entry())
                    .collect()
            }
        }
    };
}

pub(crate) use {
    bind_incident_row, bind_log_row, impl_incident_store, read_incident_row, read_log_row,
};

/// The SQL as written here (SQLite's placeholders).
#[must_use]
pub fn same(sql: &str) -> String {
    sql.to_owned()
}

/// A duplicate incident id is a conflict, not a database failure.
#[must_use]
pub fn conflict_on_duplicate(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(format!("incident exists: {}", d.message()))
        }
        _ => StoreError::Database(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(numbered("a = ? AND b = ?"), "a = $1 AND b = $2");
        assert_eq!(
            numbered(&update_incident_sql()).matches('$').count(),
            count(INCIDENT_COLUMNS) + 2
        );
        assert_eq!(count(INCIDENT_COLUMNS), 30);
        assert_eq!(count(LOG_COLUMNS), 12);
    }
}
