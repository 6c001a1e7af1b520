//! What both stores keep of incidents: the current row of each incident and
//! its append-only flow log. Written once, over any [`Backend`]; the SQL is
//! in `sql/*.sql`.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::backend::{Backend, json_list, with_areas, write_duty};
use super::codec::{corrupt, name, parse_name};
use super::driver::{Cols, Driver, Param, Stmt, rows};
use super::intake::write_side_rows;
use super::outbox::{Outgoing, keep_opt};
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
    async fn create_incident(&self, incident: &Incident, entry: &LogEntry) -> Result<()> {
        self.create_incident_kept(incident, entry, None)
            .await
            .map(drop)
    }

    /// [`IncidentStore::create_incident`], keeping `outbox` (a cluster
    /// node's record of the change) in the same transaction; its outbox id.
    async fn create_incident_kept(
        &self,
        incident: &Incident,
        entry: &LogEntry,
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>>;

    /// A changed incident (whose `version` is one more than the stored
    /// one), its log entry and the duty changes it causes, in one
    /// transaction. A stored version that is not the one before is a
    /// [`StoreError::Conflict`]: someone else changed it.
    async fn record_transition(
        &self,
        incident: &Incident,
        entry: &LogEntry,
        duty: &[(String, DutyStatus)],
    ) -> Result<()> {
        self.record_transition_kept(incident, entry, duty, None)
            .await
            .map(drop)
    }

    /// [`IncidentStore::record_transition`], keeping `outbox` in the same
    /// transaction; its outbox id.
    async fn record_transition_kept(
        &self,
        incident: &Incident,
        entry: &LogEntry,
        duty: &[(String, DutyStatus)],
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>>;

    /// One incident's flow log, in order.
    async fn incident_log(&self, id: &str) -> Result<Vec<LogEntry>>;

    /// The flow-log entries of `range`, oldest first (by time, then
    /// incident and sequence), at most `limit`.
    async fn log_between(&self, range: &LogRange<'_>, limit: u32) -> Result<Vec<LogEntry>>;
}

/// The incident columns, in bind order ([`IncidentRow::params`]).
const INCIDENT_COLUMNS: &str = include_str!("sql/incident_columns.sql");

/// The flow-log columns, in bind order ([`LogRow::params`]).
const LOG_COLUMNS: &str = include_str!("sql/log_columns.sql");

/// `$from, …` for `n` values.
fn marks(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn count(columns: &str) -> usize {
    columns.split(',').count()
}

/// `INSERT INTO incidents …`.
static INSERT_INCIDENT: LazyLock<String> = LazyLock::new(|| {
    let n = count(INCIDENT_COLUMNS);
    format!(
        "INSERT INTO incidents ({INCIDENT_COLUMNS}) VALUES ({})",
        marks(1, n)
    )
});

/// `UPDATE incidents …` of every column, where the id and the version
/// before match (the two values after the columns').
static UPDATE_INCIDENT: LazyLock<String> = LazyLock::new(|| {
    let n = count(INCIDENT_COLUMNS);
    format!(
        "UPDATE incidents SET ({INCIDENT_COLUMNS}) = ({}) WHERE id = ${} AND version = ${}",
        marks(1, n),
        n + 1,
        n + 2
    )
});

/// `INSERT INTO incident_log …`.
static INSERT_LOG: LazyLock<String> = LazyLock::new(|| {
    let n = count(LOG_COLUMNS);
    format!(
        "INSERT INTO incident_log ({LOG_COLUMNS}) VALUES ({})",
        marks(1, n)
    )
});

/// Which flow-log entries to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogRange<'a> {
    /// From (inclusive).
    pub from: EpochMs,
    /// To (exclusive).
    pub to: EpochMs,
    /// Only of incidents in these grids (area codes), if given: a district's
    /// export is filtered here, so that a limit counts its entries only.
    pub grids: Option<&'a [String]>,
    /// Only after this entry (its time, incident and sequence): the next
    /// page of an export.
    pub after: Option<(EpochMs, &'a str, i64)>,
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
    pub chain: String,
    pub assignee_limits: Option<String>,
    pub intake: Option<String>,
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
            chain: json_text(&i.chain)?,
            assignee_limits: i.assignee_limits.as_ref().map(json_text).transpose()?,
            intake: i.intake.as_ref().map(json_text).transpose()?,
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
        let chain = serde_json::from_str(&self.chain).map_err(|e| bad("chain", &e))?;
        let assignee_limits = self
            .assignee_limits
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| bad("assignee_limits", &e))?;
        let intake = self
            .intake
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| bad("intake", &e))?;
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
            assignee_limits,
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
            chain,
            intake,
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

impl IncidentRow {
    /// The values, in column order.
    fn params(&self) -> Vec<Param<'_>> {
        vec![
            Param::Text(&self.id),
            Param::Text(&self.category),
            Param::Text(&self.source),
            Param::Text(&self.priority),
            Param::Real(self.lon),
            Param::Real(self.lat),
            Param::Text(&self.grid),
            Param::Text(&self.area),
            Param::Text(&self.description),
            Param::Text(&self.photos),
            Param::Text(&self.reporter),
            (&self.reporter_staff).into(),
            Param::Text(&self.state),
            Param::Flag(self.report_only),
            (&self.assignee_staff).into(),
            (&self.assignee_department).into(),
            (&self.merged_into).into(),
            (&self.possible_duplicate_of).into(),
            Param::Int(self.rework_count),
            Param::Real(self.extension_hours),
            Param::Real(self.step_extension_hours),
            (&self.pending_extension).into(),
            Param::Int(self.created_ms),
            Param::Int(self.updated_ms),
            Param::Int(self.step_started_ms),
            Param::OptInt(self.handled_ms),
            Param::OptInt(self.closed_ms),
            Param::OptFlag(self.on_time),
            Param::Text(&self.step_times),
            Param::Int(self.version),
            Param::Text(&self.chain),
            (&self.assignee_limits).into(),
            (&self.intake).into(),
        ]
    }

    /// The values of a result row.
    fn read<DB: Driver>(r: &Cols<'_, DB>) -> Result<IncidentRow> {
        Ok(IncidentRow {
            id: r.get("id")?,
            category: r.get("category")?,
            source: r.get("source")?,
            priority: r.get("priority")?,
            lon: r.get("lon")?,
            lat: r.get("lat")?,
            grid: r.get("grid")?,
            area: r.get("area")?,
            description: r.get("description")?,
            photos: r.get("photos")?,
            reporter: r.get("reporter")?,
            reporter_staff: r.get("reporter_staff")?,
            state: r.get("state")?,
            report_only: r.get("report_only")?,
            assignee_staff: r.get("assignee_staff")?,
            assignee_department: r.get("assignee_department")?,
            merged_into: r.get("merged_into")?,
            possible_duplicate_of: r.get("possible_duplicate_of")?,
            rework_count: r.get("rework_count")?,
            extension_hours: r.get("extension_hours")?,
            step_extension_hours: r.get("step_extension_hours")?,
            pending_extension: r.get("pending_extension")?,
            created_ms: r.get("created_ms")?,
            updated_ms: r.get("updated_ms")?,
            step_started_ms: r.get("step_started_ms")?,
            handled_ms: r.get("handled_ms")?,
            closed_ms: r.get("closed_ms")?,
            on_time: r.get("on_time")?,
            step_times: r.get("step_times")?,
            version: r.get("version")?,
            chain: r.get("chain")?,
            assignee_limits: r.get("assignee_limits")?,
            intake: r.get("intake")?,
        })
    }
}

impl LogRow {
    /// The values, in column order.
    fn params(&self) -> Vec<Param<'_>> {
        vec![
            Param::Text(&self.incident),
            Param::Int(self.seq),
            Param::Int(self.at_ms),
            Param::Text(&self.action),
            (&self.from_state).into(),
            Param::Text(&self.to_state),
            Param::Text(&self.actor),
            Param::Text(&self.actor_role),
            Param::Text(&self.actor_area),
            Param::Text(&self.comment),
            Param::Text(&self.photos),
            Param::Text(&self.detail),
        ]
    }

    /// The entry of a result row.
    fn entry<DB: Driver>(r: &Cols<'_, DB>) -> Result<LogEntry> {
        LogRow {
            incident: r.get("incident")?,
            seq: r.get("seq")?,
            at_ms: r.get("at_ms")?,
            action: r.get("action")?,
            from_state: r.get("from_state")?,
            to_state: r.get("to_state")?,
            actor: r.get("actor")?,
            actor_role: r.get("actor_role")?,
            actor_area: r.get("actor_area")?,
            comment: r.get("comment")?,
            photos: r.get("photos")?,
            detail: r.get("detail")?,
        }
        .into_entry()
    }
}

#[async_trait]
impl<B: Backend> IncidentStore for B {
    async fn load_incidents(&self) -> Result<Vec<(Incident, i64)>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new(include_str!("sql/load_incidents.sql"));
        rows::<B::Db, _>(&mut c, q, |r| {
            Ok((IncidentRow::read(r)?.into_incident()?, r.get("log_len")?))
        })
        .await
    }

    async fn create_incident_kept(
        &self,
        incident: &Incident,
        entry: &LogEntry,
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>> {
        let row = IncidentRow::of(incident)?;
        let log = LogRow::of(entry)?;
        let mut tx = self.begin_write().await?;
        let q = Stmt::new(&INSERT_INCIDENT).bind_all(row.params());
        B::Db::run(&mut tx, q)
            .await
            .map_err(conflict_on_duplicate)?;
        let q = Stmt::new(&INSERT_LOG).bind_all(log.params());
        B::Db::run(&mut tx, q).await?;
        write_side_rows::<B>(&mut tx, incident, entry).await?;
        let kept = keep_opt::<B>(&mut tx, outbox, entry.at_ms).await?;
        tx.commit().await?;
        Ok(kept)
    }

    async fn record_transition_kept(
        &self,
        incident: &Incident,
        entry: &LogEntry,
        duty: &[(String, DutyStatus)],
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>> {
        let row = IncidentRow::of(incident)?;
        let log = LogRow::of(entry)?;
        let mut tx = self.begin_write().await?;
        let mut params = row.params();
        params.extend([Param::Text(&incident.id), Param::Int(incident.version - 1)]);
        let q = Stmt::new(&UPDATE_INCIDENT).bind_all(params);
        if B::Db::run(&mut tx, q).await? != 1 {
            return Err(StoreError::Conflict(format!(
                "incident {} is not at version {}",
                incident.id,
                incident.version - 1
            )));
        }
        let q = Stmt::new(&INSERT_LOG).bind_all(log.params());
        B::Db::run(&mut tx, q).await?;
        write_side_rows::<B>(&mut tx, incident, entry).await?;
        write_duty::<B>(&mut tx, duty).await?;
        let kept = keep_opt::<B>(&mut tx, outbox, entry.at_ms).await?;
        tx.commit().await?;
        Ok(kept)
    }

    async fn incident_log(&self, id: &str) -> Result<Vec<LogEntry>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new(include_str!("sql/incident_log.sql")).bind(id);
        rows::<B::Db, _>(&mut c, q, LogRow::entry).await
    }

    async fn log_between(&self, range: &LogRange<'_>, limit: u32) -> Result<Vec<LogEntry>> {
        let grids = range.grids.map(json_list).transpose()?;
        let sql = with_areas::<B>(include_str!("sql/log_between.sql"), "$3");
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new(&sql)
            .bind(range.from)
            .bind(range.to)
            .bind(grids.as_deref())
            .bind(range.after.map(|a| a.0))
            .bind(range.after.map(|a| a.1))
            .bind(range.after.map(|a| a.2))
            .bind(i64::from(limit));
        rows::<B::Db, _>(&mut c, q, LogRow::entry).await
    }
}

/// A duplicate incident id is a conflict, not a database failure.
#[must_use]
fn conflict_on_duplicate(e: StoreError) -> StoreError {
    match e {
        StoreError::Database(sqlx::Error::Database(d)) if d.is_unique_violation() => {
            StoreError::Conflict(format!("incident exists: {}", d.message()))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_bind_every_column() {
        assert_eq!(count(INCIDENT_COLUMNS), 33);
        assert_eq!(count(LOG_COLUMNS), 12);
        assert!(UPDATE_INCIDENT.ends_with("WHERE id = $34 AND version = $35"));
        assert!(INSERT_LOG.ends_with("$11, $12)"));
    }
}
