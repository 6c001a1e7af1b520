//! The incident desk: where reports come in and actions are taken, on the
//! running server. Each change is checked (role, area subtree, state),
//! committed to the store together with its flow-log entry and the duty
//! changes it causes, and only then applied to the book and the engine and
//! pushed live. Changes are serialised by one async lock: incidents change
//! at human speed, and one writer makes versions and serial numbers simple.

use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::{RwLock, RwLockReadGuard};
use serde::Deserialize;
use serde_json::{Value, json};

use super::book::{Book, Entry};
use super::dictionary::Dictionary;
use super::machine::{self, ActionRequest, Actor, Refusal, Resolved};
use super::model::{Action, Incident, LogEntry, Priority, Source, State};
use super::stats::{self, Stats};
use super::timing::{Timing, Warning};
use crate::api::error::{ApiError, ApiResult};
use crate::app::App;
use crate::clock::now_ms;
use crate::identity::Scope;
use crate::identity::{User, UserRole};
use crate::live::{Datum, Event, Layers};
use crate::store::StoreError;
use riskmap_engine::model::{DutyStatus, EpochMs};
use riskmap_engine::sphere::LonLat;
use riskmap_engine::{AreaTree, gcj02};

/// Longest description or comment, characters.
const MAX_TEXT: usize = 4_000;
/// Most photo references on one report or action.
const MAX_PHOTOS: usize = 20;
/// Longest photo reference.
const MAX_PHOTO_REF: usize = 1_000;

/// The desk's state, held by the [`App`].
#[derive(Debug)]
pub struct Desk {
    dict: Dictionary,
    book: RwLock<Book>,
    writer: tokio::sync::Mutex<()>,
    /// Set when an incident changed since statistics were last pushed.
    changed: AtomicBool,
}

/// A report as clients send it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportIn {
    /// Minor category code.
    pub category: String,
    /// Where it came from (default: `patrol` for field staff, else `citizen`).
    #[serde(default)]
    pub source: Option<Source>,
    /// Default `normal`.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// What happened.
    #[serde(default)]
    pub description: String,
    /// Photo references.
    #[serde(default)]
    pub photos: Vec<String>,
    /// 事件报备: record and close at once.
    #[serde(default)]
    pub report_only: bool,
    /// Datum of lon/lat.
    #[serde(default)]
    pub coords: Datum,
}

impl Desk {
    /// A desk over a loaded book.
    #[must_use]
    pub fn new(dict: Dictionary, book: Book) -> Desk {
        Desk {
            dict,
            book: RwLock::new(book),
            writer: tokio::sync::Mutex::new(()),
            changed: AtomicBool::new(true),
        }
    }

    /// The configuration in force.
    #[must_use]
    pub fn dictionary(&self) -> &Dictionary {
        &self.dict
    }

    /// The book, for reading.
    pub fn book(&self) -> RwLockReadGuard<'_, Book> {
        self.book.read()
    }

    /// Whether anything changed since the last call (and clears it).
    pub fn take_changed(&self) -> bool {
        self.changed.swap(false, Ordering::AcqRel)
    }

    /// The JSON view of an incident now.
    #[must_use]
    pub fn view(&self, e: &Entry, now: EpochMs) -> Value {
        view(&self.dict, e, now)
    }

    /// Statistics over the incidents `scope` covers, reported in `[from, to)`.
    #[must_use]
    pub fn stats(
        &self,
        scope: Scope,
        tree: &AreaTree,
        from: Option<EpochMs>,
        to: Option<EpochMs>,
    ) -> Stats {
        let book = self.book.read();
        stats::compute(
            book.iter()
                .filter(|e| scope.contains(tree.idx(&e.incident.grid), tree)),
            from,
            to,
        )
    }
}

/// The JSON view of an incident (docs/protocol.md, "The incident").
#[must_use]
pub fn view(dict: &Dictionary, e: &Entry, now: EpochMs) -> Value {
    let i = &e.incident;
    let t: &Timing = &e.timing;
    let cat = dict.category(&i.category);
    json!({
        "id": i.id,
        "category": i.category,
        "category_name": cat.map(|c| c.name.as_str()),
        "category_name_en": cat.map(|c| c.name_en.as_str()),
        "category_major": cat.map(|c| c.major.as_str()),
        "department": cat.map(|c| c.department.as_str()),
        "source": i.source,
        "priority": i.priority,
        "lon": i.position.lon,
        "lat": i.position.lat,
        "grid": i.grid,
        "area": i.area,
        "description": i.description,
        "photos": i.photos,
        "reporter": i.reporter,
        "reporter_staff": i.reporter_staff,
        "state": i.state.as_str(),
        "state_label": i.state.label_zh(),
        "report_only": i.report_only,
        "assignee_staff": i.assignee_staff,
        "assignee_department": i.assignee_department,
        "merged_into": i.merged_into,
        "possible_duplicate_of": i.possible_duplicate_of,
        "rework_count": i.rework_count,
        "extension_hours": i.extension_hours,
        "pending_extension": i.pending_extension,
        "created_ms": i.created_ms,
        "updated_ms": i.updated_ms,
        "step_started_ms": i.step_started_ms,
        "handled_ms": i.handled_ms,
        "closed_ms": i.closed_ms,
        "on_time": i.on_time,
        "step": t.step.map(super::model::Step::as_str),
        "step_limit_hours": t.step.map(|_| round2(t.step_limit_hours)),
        "step_deadline_ms": t.step_deadline_ms,
        "limit_hours": round2(t.limit_hours),
        "deadline_ms": t.deadline_ms,
        "warning": t.warning(now).as_str(),
        "version": i.version,
    })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// What a user is to an incident: may they see it, and do they manage its
/// responsible area.
fn relation(user: &User, scope: Scope, tree: &AreaTree, inc: &Incident) -> (bool, bool) {
    let mine = user.role == UserRole::Field
        && user.staff_id.is_some()
        && user.staff_id == inc.assignee_staff;
    let visible = mine || scope.contains(tree.idx(&inc.grid), tree);
    let manages = match scope {
        Scope::All => true,
        Scope::Subtree(root) => tree.idx(&inc.area).is_some_and(|a| tree.is_within(a, root)),
        Scope::Nothing => false,
    };
    (visible, visible && manages)
}

fn refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::Invalid(m) => ApiError::BadRequest(m),
        Refusal::NotAllowed {
            message,
            state,
            allowed,
        } => ApiError::Conflict {
            message,
            state: Some(state.as_str()),
            allowed: allowed.into_iter().map(|a| a.as_str().to_owned()).collect(),
        },
    }
}

fn check_text(what: &str, text: &str, photos: &[String]) -> ApiResult<()> {
    if text.chars().count() > MAX_TEXT {
        return Err(ApiError::BadRequest(format!(
            "{what} is longer than {MAX_TEXT} characters"
        )));
    }
    if photos.len() > MAX_PHOTOS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_PHOTOS} photos, got {}",
            photos.len()
        )));
    }
    if let Some(p) = photos
        .iter()
        .find(|p| p.is_empty() || p.len() > MAX_PHOTO_REF)
    {
        return Err(ApiError::BadRequest(format!(
            "a photo reference must be 1 to {MAX_PHOTO_REF} bytes, got {}",
            p.len()
        )));
    }
    Ok(())
}

impl App {
    /// Records a report: 201's body once committed.
    pub async fn report_incident(&self, user: &User, r: ReportIn) -> ApiResult<Value> {
        if user.role == UserRole::Viewer {
            return Err(ApiError::Forbidden(
                "a viewer (big screen) cannot report incidents".into(),
            ));
        }
        let desk = &self.incidents;
        if desk.dict.category(&r.category).is_none() {
            return Err(ApiError::BadRequest(format!(
                "unknown category {:?}; see GET /api/incidents/categories for the minor category codes",
                r.category
            )));
        }
        check_text("description", &r.description, &r.photos)?;
        let (position, grid) = self.place_report(user, &r)?;
        let _one_writer = desk.writer.lock().await;
        let now = now_ms();
        let (id, duplicate) = {
            let book = desk.book.read();
            let dup = (!r.report_only)
                .then(|| book.possible_duplicate(&desk.dict, &r.category, position, now))
                .flatten();
            (book.next_id(&desk.dict, now), dup)
        };
        let state = if r.report_only {
            State::Closed
        } else {
            State::Reported
        };
        let source = r.source.unwrap_or(if user.role == UserRole::Field {
            Source::Patrol
        } else {
            Source::Citizen
        });
        let inc = Incident {
            id: id.clone(),
            category: r.category,
            source,
            priority: r.priority.unwrap_or(Priority::Normal),
            position,
            area: grid.clone(),
            grid,
            description: r.description.trim().to_owned(),
            photos: r.photos.clone(),
            reporter: user.username.clone(),
            reporter_staff: user.staff_id.clone(),
            state,
            report_only: r.report_only,
            assignee_staff: None,
            assignee_department: None,
            merged_into: None,
            possible_duplicate_of: duplicate.clone(),
            rework_count: 0,
            extension_hours: 0.0,
            step_extension_hours: 0.0,
            pending_extension: None,
            created_ms: now,
            updated_ms: now,
            step_started_ms: now,
            handled_ms: None,
            closed_ms: r.report_only.then_some(now),
            on_time: None,
            step_times: [(0, 0); 6],
            version: 1,
        };
        let entry = LogEntry {
            incident: id.clone(),
            seq: 1,
            at_ms: now,
            action: if r.report_only {
                Action::File
            } else {
                Action::Report
            },
            from: None,
            to: state,
            actor: user.username.clone(),
            actor_role: user.role.as_str().to_owned(),
            actor_area: user.area.clone(),
            comment: String::new(),
            photos: r.photos,
            detail: json!({ "possible_duplicate_of": duplicate }),
        };
        let store = &self.store;
        commit_patiently(
            || store.create_incident(&inc, &entry),
            // Committed, but the answer was lost with the connection.
            |e| matches!(e, StoreError::Conflict(_)),
        )
        .await?;
        desk.book.write().put(inc, &desk.dict, now, 1);
        desk.changed.store(true, Ordering::Release);
        Ok(self.publish_incident(&id, now))
    }

    /// Where a report is: the WGS84 position and the code of its grid, which
    /// must lie in the reporter's area.
    fn place_report(&self, user: &User, r: &ReportIn) -> ApiResult<(LonLat, String)> {
        let given = LonLat::new(r.lon, r.lat)?;
        let position = match r.coords {
            Datum::Wgs84 => given,
            Datum::Gcj02 => gcj02::to_wgs84(given)?,
        };
        let engine = self.engine.read();
        let tree = engine.areas();
        let g = tree.grid_at(position).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "{:.6},{:.6} lies in no grid of the city",
                position.lon, position.lat
            ))
        })?;
        if !Scope::of(user, tree).contains(Some(g), tree) {
            return Err(ApiError::Forbidden(format!(
                "{:.6},{:.6} is outside your area",
                position.lon, position.lat
            )));
        }
        Ok((position, tree.get(g).code.clone()))
    }

    /// Takes an action on an incident: its new view once committed.
    pub async fn act_on_incident(
        &self,
        user: &User,
        id: &str,
        req: ActionRequest,
    ) -> ApiResult<Value> {
        check_text("comment", &req.comment, &req.photos)?;
        let desk = &self.incidents;
        let _one_writer = desk.writer.lock().await;
        let now = now_ms();
        let (inc, log_len) = {
            let book = desk.book.read();
            let e = book.get(id).ok_or_else(|| not_found(id))?;
            (e.incident.clone(), e.log_len)
        };
        let (manages, resolved) = {
            let engine = self.engine.read();
            let tree = engine.areas();
            let scope = Scope::of(user, tree);
            let (visible, manages) = relation(user, scope, tree, &inc);
            if !visible {
                return Err(not_found(id));
            }
            let parent_area = tree
                .idx(&inc.area)
                .and_then(|a| tree.parent(a))
                .map(|p| tree.get(p).code.clone());
            if req.action == Action::Dispatch.as_str()
                && let Some(staff) = req.staff_id.as_deref().filter(|s| !s.is_empty())
            {
                let idx = engine
                    .staff()
                    .find(staff)
                    .ok_or_else(|| ApiError::BadRequest(format!("no staff member {staff}")))?;
                let home = engine.staff().get(idx).and_then(|m| m.home);
                if !scope.contains(home, tree) {
                    return Err(ApiError::Forbidden(format!(
                        "staff member {staff} is outside your area"
                    )));
                }
            }
            if req.action == Action::Merge.as_str()
                && let Some(into) = req.into.as_deref()
            {
                let book = desk.book.read();
                let target = book
                    .get(into)
                    .filter(|t| relation(user, scope, tree, &t.incident).0)
                    .ok_or_else(|| not_found(into))?;
                if into == id || !target.incident.is_open() {
                    return Err(ApiError::BadRequest(format!(
                        "cannot merge into {into}: it must be another open incident"
                    )));
                }
            }
            (manages, Resolved { parent_area })
        };
        let actor = Actor { user, manages };
        let (mut next, mut entry) =
            machine::apply(&inc, &req, actor, &resolved, now).map_err(refusal)?;
        entry.seq = log_len + 1;
        if entry.action == Action::Handle {
            next.on_time = Some(now <= Timing::of(&inc, &desk.dict).deadline_ms);
        }
        let duty = self.duty_changes(&inc, &next);
        let store = &self.store;
        commit_patiently(
            || store.record_transition(&next, &entry, &duty),
            // The stored version moved on under our one writer: it was ours.
            |e| matches!(e, StoreError::Conflict(_)),
        )
        .await?;
        desk.book
            .write()
            .put(next.clone(), &desk.dict, now, entry.seq);
        desk.changed.store(true, Ordering::Release);
        for (staff, status) in &duty {
            {
                let mut engine = self.engine.write();
                if let Some(idx) = engine.staff().find(staff) {
                    let _ = engine.set_duty(idx, *status);
                }
            }
            self.publish_staff(staff);
        }
        let mut out = self.publish_incident(id, now);
        let took_on = next.state.holds_assignee() && !inc.state.holds_assignee();
        if took_on && let Some(staff) = &next.assignee_staff {
            let task = json!({ "type": "task", "incident": out }).to_string();
            self.hub.send_to_staff(staff, &task.into());
        }
        out["allowed"] = json!(self.allowed_actions(user, id));
        Ok(out)
    }

    /// Duty changes an incident's change causes: its new assignee turns
    /// busy; the one it leaves turns available again if this was their last
    /// open task and they are still marked busy (never overriding off duty
    /// or an SOS).
    fn duty_changes(&self, before: &Incident, after: &Incident) -> Vec<(String, DutyStatus)> {
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
            out.push((s, DutyStatus::Available));
        }
        if let Some(s) = new
            && duty_of(&s).is_some_and(|d| d != DutyStatus::Sos)
        {
            out.push((s, DutyStatus::Busy));
        }
        out
    }

    /// The actions `user` may take on incident `id` now.
    #[must_use]
    pub fn allowed_actions(&self, user: &User, id: &str) -> Vec<&'static str> {
        let engine = self.engine.read();
        let tree = engine.areas();
        let book = self.incidents.book.read();
        let Some(e) = book.get(id) else {
            return Vec::new();
        };
        let (_, manages) = relation(user, Scope::of(user, tree), tree, &e.incident);
        let has_parent = tree
            .idx(&e.incident.area)
            .and_then(|a| tree.parent(a))
            .is_some();
        machine::allowed(&e.incident, Actor { user, manages }, has_parent)
            .into_iter()
            .map(Action::as_str)
            .collect()
    }

    /// An incident the user may see, as JSON with the actions they may take.
    pub fn incident_for(&self, user: &User, id: &str) -> ApiResult<Value> {
        let now = now_ms();
        let mut v = {
            let engine = self.engine.read();
            let tree = engine.areas();
            let book = self.incidents.book.read();
            let e = book.get(id).ok_or_else(|| not_found(id))?;
            if !relation(user, Scope::of(user, tree), tree, &e.incident).0 {
                return Err(not_found(id));
            }
            self.incidents.view(e, now)
        };
        v["allowed"] = json!(self.allowed_actions(user, id));
        Ok(v)
    }

    /// Whether `user` may see incident `id` (for its log).
    #[must_use]
    pub fn may_see_incident(&self, user: &User, id: &str) -> bool {
        let engine = self.engine.read();
        let tree = engine.areas();
        let book = self.incidents.book.read();
        book.get(id)
            .is_some_and(|e| relation(user, Scope::of(user, tree), tree, &e.incident).0)
    }

    /// Pushes an incident's current view to the viewers of its area; returns
    /// the view.
    fn publish_incident(&self, id: &str, now: EpochMs) -> Value {
        let (view, grid) = {
            let book = self.incidents.book.read();
            let Some(e) = book.get(id) else {
                return Value::Null;
            };
            (self.incidents.view(e, now), e.incident.grid.clone())
        };
        let text = json!({ "type": "incident", "incident": view }).to_string();
        // An incident whose grid is gone from the tree is shown to no one
        // live: an event without a grid would go to every viewer.
        if let Some(g) = self.engine.read().areas().idx(&grid) {
            self.hub.publish(Event {
                text: text.into(),
                layer: Layers::INCIDENTS,
                grid: Some(g),
                at: None,
            });
        }
        view
    }

    /// One turn of the incident clock (every second): re-reads every open
    /// incident's warning level and pushes the changes as alerts.
    pub fn incident_clock(&self, now: EpochMs) {
        let changed = self.incidents.book.write().rewarn(now);
        if changed.is_empty() {
            return;
        }
        self.incidents.changed.store(true, Ordering::Release);
        for (id, before, after) in changed {
            let view = self.publish_incident(&id, now);
            if after == Warning::None {
                continue;
            }
            let grid = view["grid"].as_str().unwrap_or_default().to_owned();
            let title = format!(
                "{} {} {}",
                view["id"].as_str().unwrap_or_default(),
                view["category_name"].as_str().unwrap_or_default(),
                match after {
                    Warning::Red => "已超时 overdue",
                    Warning::Yellow => "即将超时 due soon",
                    _ => "正常 on time",
                }
            );
            let text = json!({
                "type": "alert", "kind": "warning", "incident": id,
                "level": after.as_str(), "previous": before.as_str(),
                "at_ms": now, "title": title, "grid": grid,
            })
            .to_string();
            if let Some(g) = self.engine.read().areas().idx(&grid) {
                self.hub.publish(Event {
                    text: text.into(),
                    layer: Layers::ALERTS,
                    grid: Some(g),
                    at: None,
                });
            }
        }
    }

    /// Pushes today's statistics to every `stats` subscriber, if anything
    /// changed since the last push.
    pub fn push_incident_stats(&self, now: EpochMs) {
        if !self.incidents.take_changed() {
            return;
        }
        let subs = self.hub.subscribers(Layers::STATS);
        if subs.is_empty() {
            return;
        }
        let engine = self.engine.read();
        let tree = engine.areas();
        let from = self.incidents.dict.calendar().day_start(now);
        let mut cache: Vec<(Scope, std::sync::Arc<str>)> = Vec::new();
        for (viewer, sub) in subs {
            let text = if let Some((_, t)) = cache.iter().find(|(s, _)| *s == sub.scope) {
                t.clone()
            } else {
                let t: std::sync::Arc<str> = stats_message(self, sub.scope, tree, from).into();
                cache.push((sub.scope, t.clone()));
                t
            };
            self.hub.send_to(viewer, text);
        }
    }
}

/// The `stats` message for a scope: today's figures.
#[must_use]
pub fn stats_message(app: &App, scope: Scope, tree: &AreaTree, from: EpochMs) -> String {
    let s = app.incidents.stats(scope, tree, Some(from), None);
    let area = scope.root().map(|r| tree.get(r).code.clone());
    json!({ "type": "stats", "area": area, "from_ms": from, "stats": s }).to_string()
}

/// How long an incident write waits for an unreachable store.
const STORE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs a store write, retrying while the store is unreachable (backing off,
/// up to [`STORE_PATIENCE`]): a restarting database delays an
/// acknowledgement instead of failing it. After a transient failure the
/// write may have committed with its answer lost; `landed` recognises the
/// refusal a repeat then gets.
async fn commit_patiently<F, Fut>(
    write: F,
    landed: impl Fn(&StoreError) -> bool,
) -> Result<(), StoreError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), StoreError>>,
{
    let started = std::time::Instant::now();
    let mut backoff = std::time::Duration::from_millis(50);
    let mut retried = false;
    loop {
        match write().await {
            Ok(()) => return Ok(()),
            Err(e) if retried && landed(&e) => return Ok(()),
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

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no incident {id} in your area"))
}
