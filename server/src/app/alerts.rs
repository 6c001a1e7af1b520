//! Alerts on the desk: a worker's SOS (一键求助) raised from the phone, the
//! API or `/ws`; acknowledged (认领) and closed by a dispatcher of the area;
//! cancelled by the worker. Each step is committed with the duty change it
//! causes (the worker turns `sos`, then back), applied in one place, and
//! pushed on the `alerts` layer; an open alert repeats every
//! [`REPEAT_EVERY`] until someone takes it.

use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use riskmap_engine::model::DutyStatus;
use riskmap_engine::watch::{Finding, Seen, Watch, WatchRules};
use riskmap_engine::{NearestQuery, StaffFilter};
use rustc_hash::FxHashMap;
use serde::Deserialize;
use serde_json::{Value, json};
use thiserror::Error;

use super::App;
use super::cluster::{Change, Shipment};
use super::duty::MemberRefusal;
use super::fixes::FixRejection;
use crate::alert::{
    Alert, AlertAction, AlertBook, AlertKind, AlertState, Helper, StepRefused, Subject,
};
use crate::clock::now_ms;
use crate::event::{DomainEvent, DutyChange};
use crate::identity::{Scope, User, UserRole};
use crate::live::{Event, Reach};
use crate::store::StoreError;
use riskmap_wire::{FixIn, Layers};

/// How often an open alert is pushed again to the dispatchers of its area.
pub const REPEAT_EVERY: Duration = Duration::from_secs(5);
/// How often a worker in an SOS should share their position (the field
/// page's usual rhythm is slower).
pub const SOS_SHARE_EVERY_S: u32 = 5;
/// Helpers proposed with an SOS.
const HELPERS: usize = 3;
/// Longest note on a step, characters.
const MAX_NOTE_CHARS: usize = 500;
/// How long closed alerts stay in memory (and in snapshots).
const KEEP_CLOSED_MS: i64 = 24 * 3_600_000;

/// Why an alert step was refused.
#[derive(Debug, Error)]
pub enum AlertError {
    /// The user may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such alert or staff member in the user's area.
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed.
    #[error("{0}")]
    Invalid(String),
    /// The alert's state does not allow the step.
    #[error(transparent)]
    Refused(#[from] StepRefused),
    /// The SOS's position was refused; nothing changed.
    #[error("the position was refused")]
    Position(FixRejection),
    /// The store failed (or another node changed the alert first); nothing
    /// changed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `POST /api/staff/{id}/sos` and the `/ws` `sos` message.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SosIn {
    /// Where the worker is: a fix of their own, recorded first.
    #[serde(default)]
    pub position: Option<FixIn>,
    /// What is wrong, if they can say.
    #[serde(default)]
    pub note: Option<String>,
}

/// A step's note (acknowledge, close, cancel).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepIn {
    /// Why, or what was done.
    #[serde(default)]
    pub note: Option<String>,
}

/// What the rules found on an applied fix, for the node that committed it
/// to raise.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// A track rule broken (脱岗, 静止).
    Track(Finding),
    /// A zone crossed (电子围栏, 风险源缓冲区): the alert's kind, what it is
    /// about (`{zone}.{staff}`), the fix's time and the alert's note.
    Zone {
        /// The alert's kind.
        kind: AlertKind,
        /// `{zone id}.{staff id}`.
        key: String,
        /// The crossing fix's time.
        since: i64,
        /// What was crossed, in words.
        note: String,
    },
}

/// The alerts this node holds, the lock that orders their changes, and
/// the rules judged on the tracks.
pub struct Alerts {
    book: RwLock<AlertBook>,
    writer: tokio::sync::Mutex<()>,
    rules: WatchRules,
    /// Each member's state under the rules, fed by every applied fix (on
    /// every node alike: each applies every fix).
    watches: Mutex<FxHashMap<String, Watch>>,
}

impl Alerts {
    /// Over the alerts loaded from the store, judging tracks by `rules`.
    #[must_use]
    pub fn new(alerts: Vec<Alert>, rules: WatchRules) -> Alerts {
        Alerts {
            book: RwLock::new(AlertBook::new(alerts)),
            writer: tokio::sync::Mutex::new(()),
            rules,
            watches: Mutex::new(FxHashMap::default()),
        }
    }

    /// Feeds applied fixes to the members' watches; what they found.
    pub fn watch<'a>(
        &self,
        fixes: impl IntoIterator<Item = (&'a str, Seen)>,
    ) -> Vec<(String, Found)> {
        if !self.rules.any() {
            return Vec::new();
        }
        let mut found = Vec::new();
        let mut watches = self.watches.lock();
        for (staff, seen) in fixes {
            if !watches.contains_key(staff) {
                watches.insert(staff.to_owned(), Watch::default());
            }
            let Some(w) = watches.get_mut(staff) else {
                continue;
            };
            for f in w.observe(&self.rules, seen).into_iter().flatten() {
                found.push((staff.to_owned(), Found::Track(f)));
            }
        }
        found
    }

    /// One alert as this node holds it (active ones, and those closed
    /// lately).
    #[must_use]
    pub fn held(&self, id: &str) -> Option<Alert> {
        self.book.read().get(id).cloned()
    }

    /// Whether any rule is judged (the fixes' path skips the work if not).
    #[must_use]
    pub fn watching(&self) -> bool {
        self.rules.any()
    }

    /// What the start-up load asks the store for: closed alerts younger
    /// than this stay in memory.
    #[must_use]
    pub fn closed_since(now: i64) -> i64 {
        now - KEEP_CLOSED_MS
    }
}

fn note(n: Option<String>) -> Result<String, AlertError> {
    let n = n.unwrap_or_default().trim().to_owned();
    if n.chars().count() > MAX_NOTE_CHARS {
        return Err(AlertError::Invalid(format!(
            "a note holds at most {MAX_NOTE_CHARS} characters"
        )));
    }
    Ok(n)
}

impl App {
    /// Raises an SOS for `staff_id`; the alert and whether it is new (an
    /// active one is answered as it is: a second press changes nothing).
    pub async fn raise_sos(
        &self,
        user: &User,
        staff_id: &str,
        sos: SosIn,
    ) -> Result<(Alert, bool), AlertError> {
        let own = user.staff_id.as_deref() == Some(staff_id);
        self.may_touch_member(user, staff_id, own)?;
        let note = note(sos.note)?;
        if let Some(position) = sos.position {
            if !own {
                return Err(AlertError::Forbidden(
                    "a position is the member's own: only their login sends it".into(),
                ));
            }
            self.post_fixes(Some(user), Some(staff_id), vec![position])
                .await
                .map_err(AlertError::Position)?;
        }
        // Only now: the position's fixes may raise rule alerts (a fence
        // entered), which take this order themselves; it is not reentrant
        // (e2e sos.rs `an_sos_from_inside_a_fence_raises_both_alerts`).
        let _order = self.alerts.writer.lock().await;
        if let Some(active) = self.alerts.book.read().active_of(staff_id, AlertKind::Sos) {
            return Ok((active.clone(), false));
        }
        let now = now_ms();
        let subject = self.subject_of(staff_id, now)?;
        let duty = (subject.duty_before != DutyStatus::Sos)
            .then(|| DutyChange {
                staff_id: staff_id.to_owned(),
                duty: DutyStatus::Sos,
            })
            .into_iter()
            .collect();
        let alert = Alert::sos(subject, &user.username, note, now).signed(&user.display_name);
        self.commit_alert(alert.clone(), duty).await?;
        Ok((alert, true))
    }

    /// Raises the alerts the rules found on the tracks (脱岗, 静止) and the
    /// zones crossed (围栏, 风险源缓冲区), each unless the member has an
    /// active one of its kind (about the same zone). Called by the node
    /// that committed the fixes; a store failure is logged (the fixes are
    /// committed; the rule tells again on the member's next run).
    pub async fn raise_rule_alerts(&self, found: Vec<(String, Found)>) {
        for (staff_id, finding) in found {
            let (kind, since, at) = match finding {
                Found::Track(Finding::LeftGrid { since }) => (AlertKind::LeftGrid, since, None),
                Found::Track(Finding::Motionless { since, at }) => {
                    (AlertKind::Motionless, since, Some(at))
                }
                Found::Zone {
                    kind,
                    key,
                    since,
                    note,
                } => {
                    if !self.alerts.book.read().active_about(kind, &key) {
                        self.raise_about(kind, &staff_id, (&key, since), note).await;
                    }
                    continue;
                }
            };
            let _order = self.alerts.writer.lock().await;
            if self.alerts.book.read().active_of(&staff_id, kind).is_some() {
                continue;
            }
            let now = now_ms();
            let Ok(mut subject) = self.subject_of(&staff_id, now) else {
                continue;
            };
            if at.is_some() {
                subject.position = at;
            }
            let alert = Alert::rule(kind, subject, since, now);
            if let Err(e) = self.commit_alert(alert, Vec::new()).await {
                tracing::warn!(staff = %staff_id, kind = kind.as_str(), error = %e, "raising a rule's alert");
            }
        }
    }

    /// Raises a patrol rule's or a zone's alert (未按时入格, 逾期未检, 围栏)
    /// about `key` to the worker `staff_id`, once: false if it was raised before (here or by
    /// another node: the id is the same) or the worker is gone.
    pub(super) async fn raise_about(
        &self,
        kind: AlertKind,
        staff_id: &str,
        about: (&str, i64),
        note: String,
    ) -> bool {
        let _order = self.alerts.writer.lock().await;
        let id = format!("{}-{}-{}", kind.as_str(), about.0, about.1);
        if self.alerts.book.read().get(&id).is_some() {
            return false;
        }
        let now = now_ms();
        let Ok(subject) = self.subject_of(staff_id, now) else {
            return false;
        };
        let alert = Alert::about(kind, subject, about, note, now);
        match self.commit_alert(alert, Vec::new()).await {
            Ok(()) => true,
            Err(AlertError::Store(StoreError::Conflict(_))) => false,
            Err(e) => {
                tracing::warn!(staff = %staff_id, kind = kind.as_str(), error = %e, "raising a patrol alert");
                false
            }
        }
    }

    /// Cancels `staff_id`'s active SOS (撤销): the worker themselves, or a
    /// dispatcher of their area for them.
    pub async fn cancel_sos(
        &self,
        user: &User,
        staff_id: &str,
        step: StepIn,
    ) -> Result<Alert, AlertError> {
        let own = user.staff_id.as_deref() == Some(staff_id);
        self.may_touch_member(user, staff_id, own)?;
        let id = self
            .alerts
            .book
            .read()
            .active_of(staff_id, AlertKind::Sos)
            .map(|a| a.id.clone())
            .ok_or_else(|| AlertError::NotFound(format!("{staff_id} has no active SOS")))?;
        self.step_alert(user, &id, AlertAction::Cancelled, step)
            .await
    }

    /// Acknowledges (认领), closes or cancels an alert for `user`.
    pub async fn step_alert(
        &self,
        user: &User,
        id: &str,
        action: AlertAction,
        step: StepIn,
    ) -> Result<Alert, AlertError> {
        let note = note(step.note)?;
        let _order = self.alerts.writer.lock().await;
        let alert = self.alert_for(user, id)?;
        let own = user.staff_id.as_deref() == Some(alert.subject.staff_id.as_str());
        match (action, user.role) {
            (AlertAction::Cancelled, _) if own => {}
            (_, UserRole::Dispatcher | UserRole::Commander | UserRole::Admin) => {}
            (AlertAction::Cancelled, UserRole::Field) => {
                return Err(AlertError::Forbidden(
                    "a field login cancels only its own SOS".into(),
                ));
            }
            _ => {
                return Err(AlertError::Forbidden(
                    "dispatchers, commanders and administrators take and close alerts".into(),
                ));
            }
        }
        let next = alert
            .step(action, &user.username, note, now_ms())?
            .signed(&user.display_name);
        // Only an SOS holds the member's duty.
        let duty = if next.is_active() || next.kind != AlertKind::Sos {
            Vec::new()
        } else {
            self.duty_after(&next)
        };
        self.commit_alert(next.clone(), duty).await?;
        Ok(next)
    }

    /// One alert the user may see.
    pub fn alert_for(&self, user: &User, id: &str) -> Result<Alert, AlertError> {
        let engine = self.engine.read();
        let tree = engine.areas();
        let scope = Scope::of(user, tree);
        self.alerts
            .book
            .read()
            .get(id)
            .filter(|a| visible(a, user, scope, tree))
            .cloned()
            .ok_or_else(|| AlertError::NotFound(format!("no alert {id:?} in your area")))
    }

    /// The alerts the user may see that are active or closed in the last
    /// day, newest first (the store holds the history:
    /// [`App::alert_history`]); within `scope`, or the user's whole area
    /// (read under the same lock as the alerts' grids) for none.
    #[must_use]
    pub fn recent_alerts(&self, user: &User, scope: Option<Scope>) -> Vec<Alert> {
        let engine = self.engine.read();
        let tree = engine.areas();
        let scope = scope.unwrap_or_else(|| Scope::of(user, tree));
        self.alerts
            .book
            .read()
            .newest_first()
            .into_iter()
            .filter(|a| visible(a, user, scope, tree))
            .cloned()
            .collect()
    }

    /// The alerts raised in `[from, to)` in the user's area, newest first,
    /// at most `limit`, from the store.
    pub async fn alert_history(
        &self,
        user: &User,
        from: i64,
        to: i64,
        limit: u32,
    ) -> Result<Vec<Alert>, AlertError> {
        let codes = {
            let engine = self.engine.read();
            match Scope::of(user, engine.areas()) {
                Scope::Nothing => return Ok(Vec::new()),
                s => s.area_codes(engine.areas()),
            }
        };
        Ok(self
            .store
            .alerts_between(from, to, codes.as_deref(), limit)
            .await?)
    }

    /// Applies a committed alert: the book, the member's duty, and the push
    /// to the dispatchers of the area and to the worker.
    pub(super) fn change_alert(&self, alert: &Alert, duty: &[DutyChange]) {
        if !self.alerts.book.write().put(alert.clone()) {
            return;
        }
        self.set_duties(duty);
        self.publish_alert(alert, false);
        // The change may owe the alert subscribers a call-back (written
        // with it).
        self.channels.owed.notify_one();
    }

    /// Pushes every open alert again (until someone takes it), and forgets
    /// closed alerts older than a day.
    pub fn repeat_open_alerts(&self) {
        let open: Vec<Alert> = {
            let mut book = self.alerts.book.write();
            book.forget_closed_before(now_ms() - KEEP_CLOSED_MS);
            book.newest_first()
                .into_iter()
                .filter(|a| a.state == AlertState::Open)
                .cloned()
                .collect()
        };
        for a in &open {
            self.publish_alert(a, true);
        }
    }

    /// The active alerts a snapshot of `scope` carries.
    #[must_use]
    pub fn alerts_for_snapshot(&self, user: &User, scope: Scope) -> Vec<Value> {
        self.recent_alerts(user, Some(scope))
            .iter()
            .filter(|a| a.is_active())
            .map(|a| alert_message(a, false))
            .collect()
    }

    fn publish_alert(&self, alert: &Alert, repeat: bool) {
        let text: std::sync::Arc<str> = alert_message(alert, repeat).to_string().into();
        let engine = self.engine.read();
        let tree = engine.areas();
        let grid = alert.subject.grid.as_deref().and_then(|g| tree.idx(g));
        self.hub.publish(Event {
            text: text.clone(),
            layer: Layers::ALERTS,
            reach: Reach::of(grid, tree),
            at: None,
        });
        drop(engine);
        // The worker hears that help is on its way (or that it ended).
        if !repeat {
            self.hub.send_to_staff(&alert.subject.staff_id, &text);
        }
    }

    /// Commits an alert with its duty changes and applies it.
    async fn commit_alert(&self, alert: Alert, duty: Vec<DutyChange>) -> Result<(), AlertError> {
        let pairs: Vec<(String, DutyStatus)> =
            duty.iter().map(|d| (d.staff_id.clone(), d.duty)).collect();
        let shipment = self.shipment(|| {
            Change::Event(Box::new(DomainEvent::AlertChanged {
                alert: alert.clone(),
                duty: duty.clone(),
            }))
        });
        let id = self
            .store
            .put_alert_kept(&alert, &pairs, shipment.as_ref().map(Shipment::outgoing))
            .await?;
        self.shipped(id, shipment);
        self.apply(&DomainEvent::AlertChanged { alert, duty });
        Ok(())
    }

    /// What the member is given back when their SOS ends: busy while they
    /// hold a task, else what they were before it (off duty stays off).
    fn duty_after(&self, alert: &Alert) -> Vec<DutyChange> {
        let now = {
            let engine = self.engine.read();
            engine
                .staff()
                .find(&alert.subject.staff_id)
                .and_then(|i| engine.staff().get(i))
                .map(|m| m.duty)
        };
        // Someone else already changed it (an import): leave it.
        if now != Some(DutyStatus::Sos) {
            return Vec::new();
        }
        let duty = if self.incidents.book().active_tasks(&alert.subject.staff_id) > 0 {
            DutyStatus::Busy
        } else if alert.subject.duty_before == DutyStatus::Off {
            DutyStatus::Off
        } else {
            DutyStatus::Available
        };
        vec![DutyChange {
            staff_id: alert.subject.staff_id.clone(),
            duty,
        }]
    }

    /// Where the member is, who they are, and the nearest helpers.
    fn subject_of(&self, staff_id: &str, now: i64) -> Result<Subject, AlertError> {
        let engine = self.engine.read();
        let staff = engine.staff();
        let (idx, m) = staff
            .find(staff_id)
            .and_then(|i| Some((i, staff.get(i)?)))
            .ok_or_else(|| AlertError::NotFound(format!("no staff member {staff_id:?}")))?;
        let position = m.fix.map(|f| f.position);
        let helpers = position
            .map(|point| {
                let query = NearestQuery {
                    point,
                    k: HELPERS + 1,
                    filter: StaffFilter {
                        available_only: true,
                        ..StaffFilter::default()
                    },
                    max_m: None,
                    same_grid_first: false,
                    fixed_since: Some(now.saturating_sub(self.limits.stale_after_ms)),
                };
                engine.nearest_staff(&query).unwrap_or_default()
            })
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.idx != idx)
            .take(HELPERS)
            .filter_map(|c| {
                let h = staff.get(c.idx)?;
                Some(Helper {
                    staff_id: h.id.to_string(),
                    name: h.name.to_string(),
                    distance_m: (c.distance_m * 10.0).round() / 10.0,
                })
            })
            .collect();
        Ok(Subject {
            staff_id: staff_id.to_owned(),
            staff_name: m.name.to_string(),
            grid: m.home.map(|g| engine.areas().get(g).code.clone()),
            position,
            duty_before: m.duty,
            helpers,
        })
    }

    /// Whether `user` may raise or cancel `staff_id`'s SOS: their own, or a
    /// member of their area for a dispatcher, commander or administrator
    /// (the worker phoned in).
    fn may_touch_member(&self, user: &User, staff_id: &str, own: bool) -> Result<(), AlertError> {
        self.member_for(user, staff_id, own)
            .map(drop)
            .map_err(|r| match r {
                MemberRefusal::NotFound => {
                    AlertError::NotFound(format!("no staff member {staff_id:?} in your area"))
                }
                MemberRefusal::NotTheirs => AlertError::Forbidden(
                    "a field login raises and cancels only its own SOS".into(),
                ),
                MemberRefusal::ReadOnly => {
                    AlertError::Forbidden("a big screen changes nothing".into())
                }
            })
    }
}

/// Whether `user` sees `a`: their own, or in their scope.
fn visible(a: &Alert, user: &User, scope: Scope, tree: &riskmap_engine::AreaTree) -> bool {
    user.staff_id.as_deref() == Some(a.subject.staff_id.as_str())
        || scope.contains(a.subject.grid.as_deref().and_then(|g| tree.idx(g)), tree)
}

/// The `alert` message of an alert (`repeat`: pushed again while open).
#[must_use]
pub fn alert_message(a: &Alert, repeat: bool) -> Value {
    json!({ "type": "alert", "kind": a.kind, "alert": a, "repeat": repeat })
}
