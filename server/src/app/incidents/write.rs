//! Reports and actions: each is checked (role, area subtree, state), built
//! by the pure closed loop, committed to the store together with its
//! flow-log entry and the duty changes it causes, and only then applied
//! (as one domain event) to the book, the engine and the live hub.

use riskmap_engine::model::{DutyStatus, EpochMs};
use riskmap_engine::sphere::LonLat;
use thiserror::Error;

use super::super::App;
use super::super::cluster::{Change, Shipment};
use crate::clock::now_ms;
use crate::event::{DomainEvent, DutyChange};
use crate::identity::{Scope, User, UserRole};
use crate::incident::channel::Intake;
use crate::incident::intake::{self, Filing};
use crate::incident::machine::{self, Resolved};
use crate::incident::model::{Incident, LogEntry};
use crate::incident::timing::Timing;
use crate::incident::{ActionRequest, Actor, Command, IncidentError, IncidentView, ReportIn};
use crate::org::Departments;
use crate::store::StoreError;

/// Why a report or an action did not happen.
#[derive(Debug, Error)]
pub enum DeskError {
    /// The closed loop refused it.
    #[error(transparent)]
    Refused(#[from] IncidentError),
    /// The store could not commit it (nothing changed).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many taken serials a cluster node skips before it gives up a report.
const MAX_ID_SKIPS: u32 = 16;

/// How long an incident write waits for an unreachable store.
const STORE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

impl App {
    /// Records a report: its view once committed.
    pub async fn report_incident(
        &self,
        user: &User,
        r: ReportIn,
    ) -> Result<IncidentView, DeskError> {
        intake::check_reporter(user)?;
        self.file_report(user, r, None).await
    }

    /// Records a report, from a user or (with `channel`, `user` then naming
    /// the channel) from outside: a citizen, another system.
    pub(in crate::app) async fn file_report(
        &self,
        user: &User,
        r: ReportIn,
        channel: Option<Intake>,
    ) -> Result<IncidentView, DeskError> {
        let desk = &self.incidents;
        if desk.dictionary().category(&r.category).is_none() {
            return Err(IncidentError::Invalid(format!(
                "unknown category {:?}; see GET /api/incidents/categories for the minor category codes",
                r.category
            ))
            .into());
        }
        intake::check_text("description", &r.description, &r.photos)?;
        self.check_attachments(&r.photos).await?;
        let (position, grid) = self.place_report(user, &r)?;
        let _one_writer = desk.writer.lock().await;
        let store = &self.store;
        // A cluster node's next serial can be taken by another node that
        // reported meanwhile (its report reaches this book only through the
        // log): then the next one is tried.
        let mut skip = 0;
        let (incident, entry, outbox_id, shipment) = loop {
            let now = now_ms();
            let filing = {
                let book = desk.book.read();
                Filing {
                    id: book.next_id_skipping(desk.dictionary(), now, skip),
                    possible_duplicate_of: (!r.report_only)
                        .then(|| {
                            book.possible_duplicate(desk.dictionary(), &r.category, position, now)
                        })
                        .flatten(),
                    position,
                    grid: grid.clone(),
                    now,
                    intake: channel.clone(),
                }
            };
            let (incident, entry) = intake::open(user, r.clone(), filing);
            let shipment = self.shipment(|| {
                Change::Event(Box::new(DomainEvent::IncidentReported {
                    incident: incident.clone(),
                    entry: entry.clone(),
                }))
            });
            let outgoing = shipment.as_ref().map(Shipment::outgoing);
            match commit_patiently(
                || store.create_incident_kept(&incident, &entry, outgoing),
                // Committed, but the answer was lost with the connection.
                |e| matches!(e, StoreError::Conflict(_)),
            )
            .await
            {
                Ok(id) => break (incident, entry, id, shipment),
                Err(StoreError::Conflict(_)) if self.cluster.is_some() && skip < MAX_ID_SKIPS => {
                    skip += 1;
                }
                Err(e) => return Err(e.into()),
            }
        };
        self.shipped(outbox_id, shipment);
        let id = incident.id.clone();
        self.apply(&DomainEvent::IncidentReported { incident, entry });
        self.view_now(&id)
    }

    /// Refuses photos that name an attachment never uploaded (other
    /// references are kept as the text they are).
    async fn check_attachments(&self, photos: &[String]) -> Result<(), DeskError> {
        let ids: Vec<String> = photos
            .iter()
            .filter(|p| riskmap_media::is_id(p))
            .cloned()
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        if let Some(id) = self.store.missing_attachments(&ids).await?.first() {
            return Err(IncidentError::Invalid(format!(
                "photo {id} was never uploaded (POST /api/attachments first)"
            ))
            .into());
        }
        Ok(())
    }

    /// Where a report is: the WGS84 position and the code of the grid it
    /// falls in. An office user reports inside their own area; a field
    /// worker reports where they stand, anywhere inside the city's grids (the
    /// incident then belongs to that grid, and its area's managers handle it).
    fn place_report(&self, user: &User, r: &ReportIn) -> Result<(LonLat, String), IncidentError> {
        let invalid = |e: riskmap_engine::EngineError| IncidentError::Invalid(e.to_string());
        let given = LonLat::new(r.lon, r.lat).map_err(invalid)?;
        let position = r.coords.to_wgs84(given).map_err(invalid)?;
        let engine = self.engine.read();
        let tree = engine.areas();
        let g = tree.grid_at(position).ok_or_else(|| {
            IncidentError::Invalid(format!(
                "{:.6},{:.6} lies in no grid of the city",
                position.lon, position.lat
            ))
        })?;
        if user.role != UserRole::Field && !Scope::of(user, tree).contains(Some(g), tree) {
            return Err(IncidentError::Forbidden(format!(
                "{:.6},{:.6} is outside your area",
                position.lon, position.lat
            )));
        }
        Ok((position, tree.get(g).code.clone()))
    }

    /// Takes an action on an incident: its new view (with the actions the
    /// user may take next) once committed.
    pub async fn act_on_incident(
        &self,
        user: &User,
        id: &str,
        req: ActionRequest,
    ) -> Result<IncidentView, DeskError> {
        intake::check_text("comment", &req.comment, &req.photos)?;
        self.check_attachments(&req.photos).await?;
        let desk = &self.incidents;
        let _one_writer = desk.writer.lock().await;
        let now = now_ms();
        let (inc, log_len) = {
            let book = desk.book.read();
            let e = book.get(id).ok_or_else(|| IncidentError::not_found(id))?;
            (e.incident.clone(), e.log_len)
        };
        let (manages, resolved) = self.resolve(user, &inc, &req.command)?;
        let actor = Actor { user, manages };
        let (mut next, mut entry) = machine::apply(&inc, &req, actor, &resolved, now)?;
        entry.seq = log_len + 1;
        if matches!(req.command, Command::Handle {}) {
            next.on_time = Some(now <= Timing::of(&inc, desk.dictionary()).deadline_ms);
        }
        let duty = self.duty_changes(&inc, &next);
        self.commit_change(next, entry, duty).await?;
        let mut view = self.view_now(id)?;
        view.allowed = Some(self.allowed_actions(user, id));
        Ok(view)
    }

    /// 超时自动上报: moves every open incident that has been red longer than
    /// its category allows up one level (again after as long at the new
    /// level), as the clock's doing; how many moved. Runs on one node of a
    /// cluster (the lease's); a conflict with a user's change is skipped and
    /// judged again next time.
    pub async fn escalate_overdue(&self, now: EpochMs) -> Result<usize, DeskError> {
        let due: Vec<String> = {
            let engine = self.engine.read();
            let tree = engine.areas();
            let book = self.incidents.book.read();
            let dict = self.incidents.dictionary();
            book.open()
                .filter(|e| {
                    let inc = &e.incident;
                    let Some(after) = dict
                        .category(&inc.category)
                        .and_then(|c| c.escalate_after_hours)
                    else {
                        return false;
                    };
                    let red_at = e.timing.red_at;
                    let since = inc.chain.escalated_ms.map_or(red_at, |t| t.max(red_at));
                    let clock = dict.limits(&inc.category, inc.priority).1;
                    let has_parent = super::escalation_target(tree, inc).is_some();
                    // Whole milliseconds of a bounded number of hours.
                    #[allow(clippy::cast_possible_truncation)]
                    let after_ms = (after * 3_600_000.0) as i64;
                    has_parent
                        && !inc.report_only
                        && now >= red_at
                        && dict.calendar().elapsed(clock, since, now) >= after_ms
                })
                .map(|e| e.incident.id.clone())
                .collect()
        };
        let mut moved = 0;
        for id in due {
            let desk = &self.incidents;
            let _one_writer = desk.writer.lock().await;
            let (inc, log_len) = {
                let book = desk.book.read();
                let Some(e) = book.get(&id) else { continue };
                (e.incident.clone(), e.log_len)
            };
            let parent = {
                let engine = self.engine.read();
                let tree = engine.areas();
                super::escalation_target(tree, &inc)
            };
            let Some(parent) = parent else { continue };
            let (next, mut entry) = machine::escalate_by_clock(&inc, parent, now);
            entry.seq = log_len + 1;
            match self.commit_change(next, entry, Vec::new()).await {
                Ok(()) => moved += 1,
                Err(DeskError::Store(StoreError::Conflict(e))) => {
                    tracing::info!(incident = %id, error = %e, "escalation by the clock skipped: the incident changed");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(moved)
    }

    /// Commits a changed incident, its flow-log entry and the duty changes
    /// it causes (with the cluster's record), then applies it. The caller
    /// holds the desk's writer.
    pub(in crate::app) async fn commit_change(
        &self,
        next: Incident,
        entry: LogEntry,
        duty: Vec<DutyChange>,
    ) -> Result<(), DeskError> {
        let pairs: Vec<(String, DutyStatus)> =
            duty.iter().map(|d| (d.staff_id.clone(), d.duty)).collect();
        let store = &self.store;
        let shipment = self.shipment(|| {
            Change::Event(Box::new(DomainEvent::IncidentChanged {
                incident: next.clone(),
                entry: entry.clone(),
                duty: duty.clone(),
            }))
        });
        let outgoing = shipment.as_ref().map(Shipment::outgoing);
        // A conflict on the first attempt: another node changed the
        // incident first (this book learns it from the log); the client is
        // told, and acts again on what it then sees.
        let outbox_id = commit_patiently(
            || store.record_transition_kept(&next, &entry, &pairs, outgoing),
            // The stored version moved on under our one writer: it was ours.
            |e| matches!(e, StoreError::Conflict(_)),
        )
        .await?;
        self.shipped(outbox_id, shipment);
        self.apply(&DomainEvent::IncidentChanged {
            incident: next,
            entry,
            duty,
        });
        Ok(())
    }

    /// What the machine needs resolved against the live city before it can
    /// decide: whether the user manages the incident's area (404 if they
    /// may not see it at all), its parent area, and the references the
    /// command names (a staff member in the user's area, an open incident
    /// to merge into).
    fn resolve(
        &self,
        user: &User,
        inc: &Incident,
        command: &Command,
    ) -> Result<(bool, Resolved), IncidentError> {
        let engine = self.engine.read();
        let tree = engine.areas();
        let scope = Scope::of(user, tree);
        let actor = Actor::facing(user, scope, tree, inc)
            .ok_or_else(|| IncidentError::not_found(&inc.id))?;
        let given = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        let mut resolved = super::standing(user, tree, inc);
        match command {
            Command::Dispatch {
                staff_id,
                department,
            } => {
                if let Some(staff) = given(staff_id) {
                    let idx = engine.staff().find(&staff).ok_or_else(|| {
                        IncidentError::Invalid(format!("no staff member {staff}"))
                    })?;
                    let home = engine.staff().get(idx).and_then(|m| m.home);
                    if !scope.contains(home, tree) {
                        return Err(IncidentError::Forbidden(format!(
                            "staff member {staff} is outside your area"
                        )));
                    }
                }
                if let Some(code) = given(department) {
                    let book = self.incidents.departments();
                    let dept = book.get(&code).ok_or_else(|| {
                        IncidentError::Invalid(format!(
                            "no department {code}; see GET /api/departments"
                        ))
                    })?;
                    let serves = tree
                        .idx(&inc.grid)
                        .is_some_and(|g| Departments::serves(dept, g, tree));
                    if !serves {
                        return Err(IncidentError::Invalid(format!(
                            "department {code} ({}) does not serve grid {}",
                            dept.name, inc.grid
                        )));
                    }
                    resolved.department_limits = dept.limits;
                }
            }
            Command::Transfer { area } => {
                let inside = tree
                    .idx(area)
                    .is_some_and(|a| scope.contains(Some(a), tree));
                if !inside {
                    return Err(IncidentError::Invalid(format!(
                        "transfer: no area {area:?} in your area"
                    )));
                }
            }
            Command::Merge { into } => {
                let book = self.incidents.book.read();
                let target = book
                    .get(into)
                    .filter(|t| Actor::facing(user, scope, tree, &t.incident).is_some())
                    .ok_or_else(|| IncidentError::not_found(into))?;
                if *into == inc.id || !target.incident.is_open() {
                    return Err(IncidentError::Invalid(format!(
                        "cannot merge into {into}: it must be another open incident"
                    )));
                }
            }
            _ => {}
        }
        Ok((actor.manages, resolved))
    }

    /// Duty changes an incident's change causes: its new assignee turns
    /// busy; the one it leaves turns available again if this was their last
    /// open task and they are still marked busy (never overriding off duty
    /// or an SOS).
    fn duty_changes(&self, before: &Incident, after: &Incident) -> Vec<DutyChange> {
        let held = |i: &Incident| {
            i.state
                .holds_assignee()
                .then(|| i.assignee_staff.clone())
                .flatten()
        };
        let (old, new) = (held(before), held(after));
        if old == new {
            return Vec::new();
        }
        let engine = self.engine.read();
        let duty_of = |s: &str| {
            engine
                .staff()
                .find(s)
                .and_then(|i| engine.staff().get(i))
                .map(|m| m.duty)
        };
        let book = self.incidents.book.read();
        let mut out = Vec::new();
        if let Some(s) = old
            && book.active_tasks(&s) <= 1
            && duty_of(&s) == Some(DutyStatus::Busy)
        {
            out.push(DutyChange {
                staff_id: s,
                duty: DutyStatus::Available,
            });
        }
        if let Some(s) = new
            && duty_of(&s).is_some_and(|d| d != DutyStatus::Sos)
        {
            out.push(DutyChange {
                staff_id: s,
                duty: DutyStatus::Busy,
            });
        }
        out
    }

    /// The view of a committed incident now.
    fn view_now(&self, id: &str) -> Result<IncidentView, DeskError> {
        let engine = self.engine.read();
        let book = self.incidents.book.read();
        let e = book.get(id).ok_or_else(|| IncidentError::not_found(id))?;
        Ok(self.incidents.view(&engine, e, now_ms()))
    }
}

/// Runs a store write, retrying while the store is unreachable (backing off,
/// up to [`STORE_PATIENCE`]): a restarting database delays an
/// acknowledgement instead of failing it. After a transient failure the
/// write may have committed with its answer lost; `landed` recognises the
/// refusal a repeat then gets.
async fn commit_patiently<F, Fut>(
    write: F,
    landed: impl Fn(&StoreError) -> bool,
) -> Result<Option<i64>, StoreError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Option<i64>, StoreError>>,
{
    let started = std::time::Instant::now();
    let mut backoff = std::time::Duration::from_millis(50);
    let mut retried = false;
    loop {
        match write().await {
            Ok(id) => return Ok(id),
            // (Its outbox id was lost with the answer: the sweeper sends the
            // record.)
            Err(e) if retried && landed(&e) => return Ok(None),
            Err(e) if e.is_transient() && started.elapsed() < STORE_PATIENCE => {
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis(), "an incident write failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(std::time::Duration::from_secs(2));
                retried = true;
            }
            Err(e) => return Err(e),
        }
    }
}
