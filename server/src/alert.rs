//! Alerts (告警) as first-class records: raised, pushed to every dispatcher
//! of the area until one acknowledges, closed with a note, every step kept.
//! The first kind is a field worker's SOS (一键求助); the rules that judge a
//! worker's track (leaving the grid, motionless) raise the same record.
//!
//! Pure: the record, its steps and the rules between them, and the book of
//! alerts a node holds. The app layer commits and applies them.

use std::collections::HashMap;

use riskmap_engine::model::{DutyStatus, EpochMs};
use riskmap_engine::sphere::LonLat;
use serde::{Deserialize, Serialize};

/// Who raises the rules' alerts, in their steps.
pub const RULES_ACTOR: &str = "riskmap";

/// What raised an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// 一键求助: a worker in danger asked for help.
    Sos,
    /// 脱岗: out of their own grid too long while on duty.
    LeftGrid,
    /// 静止: not moving too long while on duty (a possible fall).
    Motionless,
    /// 未按时入格: the worker's grid not visited by the rule's time.
    NotVisited,
    /// 逾期未检: a key place of the worker's grid not inspected again
    /// within its rhythm.
    PlaceOverdue,
    /// 进入围栏: a worker on duty came into an administrator's fence that
    /// reports entering.
    FenceEnter,
    /// 离开围栏: a worker on duty went out of a fence that reports leaving.
    FenceExit,
    /// 进入风险源缓冲区: a worker on duty came within the buffer of a
    /// high-level risk source.
    RiskZone,
}

impl AlertKind {
    /// The kind's API name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Sos => "sos",
            AlertKind::LeftGrid => "left_grid",
            AlertKind::Motionless => "motionless",
            AlertKind::NotVisited => "not_visited",
            AlertKind::PlaceOverdue => "place_overdue",
            AlertKind::FenceEnter => "fence_enter",
            AlertKind::FenceExit => "fence_exit",
            AlertKind::RiskZone => "risk_zone",
        }
    }
}

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Raised; nobody has taken it yet: it repeats to every dispatcher of
    /// the area.
    Open,
    /// A dispatcher has taken it (认领): it stops repeating.
    Acknowledged,
    /// Over: resolved by a dispatcher, or cancelled by the worker.
    Closed,
}

impl AlertState {
    /// The state's API name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Open => "open",
            AlertState::Acknowledged => "acknowledged",
            AlertState::Closed => "closed",
        }
    }

    /// The state of an API name.
    #[must_use]
    pub fn parse(s: &str) -> Option<AlertState> {
        [
            AlertState::Open,
            AlertState::Acknowledged,
            AlertState::Closed,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// A step of an alert's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertAction {
    /// 发起.
    Raised,
    /// 认领: a dispatcher took it.
    Acknowledged,
    /// 撤销: the worker (or a dispatcher for them) called it off.
    Cancelled,
    /// 处置完毕: a dispatcher closed it.
    Closed,
}

/// One step, as kept in the alert (事后可查).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertStep {
    /// What happened.
    pub action: AlertAction,
    /// When.
    pub at_ms: EpochMs,
    /// Who (username).
    pub by: String,
    /// Their name as people read it (the login's display name).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub by_name: String,
    /// Their note, if any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A helper proposed when the alert was raised: the nearest available
/// staff member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Helper {
    /// Who.
    pub staff_id: String,
    /// Their name.
    pub name: String,
    /// How far from the alert, metres (great circle).
    pub distance_m: f64,
}

/// An alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// `sos-{staff}-{raised_ms}`: unique without a counter shared between
    /// cluster nodes (one member raises one alert a millisecond at most).
    pub id: String,
    /// What raised it.
    pub kind: AlertKind,
    /// Where it stands.
    pub state: AlertState,
    /// Whom it is about, as it was raised.
    #[serde(flatten)]
    pub subject: Subject,
    /// For a rule's alert: since when the rule has been broken (the first
    /// fix outside the grid, or at the spot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_ms: Option<EpochMs>,
    /// When raised.
    pub raised_ms: EpochMs,
    /// When it last changed.
    pub updated_ms: EpochMs,
    /// Every step, oldest first.
    pub steps: Vec<AlertStep>,
    /// One more for each committed change (a cluster node keeps the newest).
    pub version: i64,
}

/// Why a step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("alert {id} is {}: it cannot be {wanted}", state.as_str())]
pub struct StepRefused {
    /// Which alert.
    pub id: String,
    /// Where it stands.
    pub state: AlertState,
    /// What was asked, in words.
    pub wanted: &'static str,
}

impl Alert {
    /// A new SOS of `staff_id`, raised by `by` at `now`.
    #[must_use]
    pub fn sos(subject: Subject, by: &str, note: String, now: EpochMs) -> Alert {
        Alert {
            id: format!("sos-{}-{now}", subject.staff_id),
            kind: AlertKind::Sos,
            state: AlertState::Open,
            subject,
            since_ms: None,
            raised_ms: now,
            updated_ms: now,
            steps: vec![AlertStep {
                action: AlertAction::Raised,
                at_ms: now,
                by: by.to_owned(),
                by_name: String::new(),
                note,
            }],
            version: 1,
        }
    }

    /// A rule's alert (脱岗, 静止), raised by the server: `{kind}-{staff}-{since}`,
    /// so that two cluster nodes judging the same track name it alike (the
    /// second insert is a conflict, not a second alert).
    #[must_use]
    pub fn rule(kind: AlertKind, subject: Subject, since: EpochMs, now: EpochMs) -> Alert {
        Alert {
            id: format!("{}-{}-{since}", kind.as_str(), subject.staff_id),
            kind,
            state: AlertState::Open,
            subject,
            since_ms: Some(since),
            raised_ms: now,
            updated_ms: now,
            steps: vec![AlertStep {
                action: AlertAction::Raised,
                at_ms: now,
                by: RULES_ACTOR.to_owned(),
                by_name: String::new(),
                note: String::new(),
            }],
            version: 1,
        }
    }

    /// A patrol rule's alert (未按时入格, 逾期未检) about `key` (a grid, a
    /// place) since a time, raised by the server: `{kind}-{key}-{since}`, so
    /// that it is raised once however often and on whichever node the
    /// check runs; `note` says what it is about.
    #[must_use]
    pub fn about(
        kind: AlertKind,
        subject: Subject,
        (key, since): (&str, EpochMs),
        note: String,
        now: EpochMs,
    ) -> Alert {
        let mut a = Alert::rule(kind, subject, since, now);
        a.id = format!("{}-{key}-{since}", kind.as_str());
        a.steps[0].note = note;
        a
    }

    /// Whether it is still running (open or acknowledged).
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.state != AlertState::Closed
    }

    /// The alert after `action` by `by`, or why not: an open alert may be
    /// acknowledged; an active one cancelled or closed.
    pub fn step(
        &self,
        action: AlertAction,
        by: &str,
        note: String,
        now: EpochMs,
    ) -> Result<Alert, StepRefused> {
        let (allowed, to, wanted) = match action {
            AlertAction::Raised => (false, self.state, "raised again"),
            AlertAction::Acknowledged => (
                self.state == AlertState::Open,
                AlertState::Acknowledged,
                "acknowledged",
            ),
            AlertAction::Cancelled => (self.is_active(), AlertState::Closed, "cancelled"),
            AlertAction::Closed => (self.is_active(), AlertState::Closed, "closed"),
        };
        if !allowed {
            return Err(StepRefused {
                id: self.id.clone(),
                state: self.state,
                wanted,
            });
        }
        let mut next = self.clone();
        next.state = to;
        // A clock stepping back must not make the record go back in time.
        next.updated_ms = now.max(self.updated_ms);
        next.version += 1;
        next.steps.push(AlertStep {
            action,
            at_ms: next.updated_ms,
            by: by.to_owned(),
            by_name: String::new(),
            note,
        });
        Ok(next)
    }

    /// An open SOS of S1 in grid G1, raised by `w1` at `now`, for tests.
    #[cfg(test)]
    #[must_use]
    pub fn sample(now: EpochMs) -> Alert {
        Alert::sos(
            Subject {
                staff_id: "S1".into(),
                staff_name: "王".into(),
                grid: Some("G1".into()),
                position: Some(LonLat {
                    lon: 120.6,
                    lat: 28.0,
                }),
                duty_before: DutyStatus::Available,
                helpers: vec![Helper {
                    staff_id: "S2".into(),
                    name: "李".into(),
                    distance_m: 12.5,
                }],
            },
            "w1",
            "摔倒".into(),
            now,
        )
    }

    /// The alert with its last step signed with the actor's display name.
    #[must_use]
    pub fn signed(mut self, name: &str) -> Alert {
        if let Some(step) = self.steps.last_mut() {
            name.clone_into(&mut step.by_name);
        }
        self
    }

    /// Who acknowledged it, if anyone.
    #[must_use]
    pub fn acknowledged_by(&self) -> Option<&AlertStep> {
        self.steps
            .iter()
            .find(|s| s.action == AlertAction::Acknowledged)
    }
}

/// Whom an alert is about, as it was raised (read from the engine by the
/// app layer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    /// The staff member.
    pub staff_id: String,
    /// Their name then.
    pub staff_name: String,
    /// Their home grid's code (whose dispatchers the alert reaches).
    pub grid: Option<String>,
    /// Where, if known: their last fix (their marker keeps moving on the
    /// map).
    pub position: Option<LonLat>,
    /// Their status before the alert, given back when it ends.
    pub duty_before: DutyStatus,
    /// The nearest available staff then.
    pub helpers: Vec<Helper>,
}

/// The alerts a node holds: every active one, and those closed lately
/// (the store has the rest), with the active ones indexed by whom and what
/// they are about (a storm of zone crossings asks for each once).
#[derive(Debug, Default)]
pub struct AlertBook {
    alerts: HashMap<String, Alert>,
    /// The ids of the active alerts of each member and kind.
    active_of: HashMap<(String, AlertKind), Vec<String>>,
    /// `{kind}-{key}` of each active alert (its id without the time).
    active_about: HashMap<String, usize>,
}

/// An alert id without its trailing `-{time}`: `{kind}-{key}`.
fn about_key(id: &str) -> &str {
    id.rsplit_once('-').map_or(id, |(k, _)| k)
}

impl AlertBook {
    /// A book holding `alerts`.
    #[must_use]
    pub fn new(alerts: Vec<Alert>) -> AlertBook {
        let mut book = AlertBook::default();
        for a in alerts {
            book.put(a);
        }
        book
    }

    /// Keeps `alert` unless the book holds it at this version or newer (a
    /// cluster node may receive a change twice, or after a newer one);
    /// whether it was kept.
    pub fn put(&mut self, alert: Alert) -> bool {
        match self.alerts.get(&alert.id) {
            Some(old) if old.version >= alert.version => return false,
            Some(old) if old.is_active() => {
                let (id, kind, staff) = (old.id.clone(), old.kind, old.subject.staff_id.clone());
                self.unindex(&id, kind, &staff);
            }
            _ => {}
        }
        if alert.is_active() {
            self.active_of
                .entry((alert.subject.staff_id.clone(), alert.kind))
                .or_default()
                .push(alert.id.clone());
            *self
                .active_about
                .entry(about_key(&alert.id).to_owned())
                .or_default() += 1;
        }
        self.alerts.insert(alert.id.clone(), alert);
        true
    }

    fn unindex(&mut self, id: &str, kind: AlertKind, staff: &str) {
        let key = (staff.to_owned(), kind);
        if let Some(ids) = self.active_of.get_mut(&key) {
            ids.retain(|x| x != id);
            if ids.is_empty() {
                self.active_of.remove(&key);
            }
        }
        let about = about_key(id);
        if let Some(n) = self.active_about.get_mut(about) {
            *n -= 1;
            if *n == 0 {
                self.active_about.remove(about);
            }
        }
    }

    /// One alert.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&Alert> {
        self.alerts.get(id)
    }

    /// The active alert of a kind of a staff member, if any (the first
    /// raised, if there are several).
    #[must_use]
    pub fn active_of(&self, staff_id: &str, kind: AlertKind) -> Option<&Alert> {
        self.active_of
            .get(&(staff_id.to_owned(), kind))?
            .iter()
            .filter_map(|id| self.alerts.get(id))
            .min_by_key(|a| a.raised_ms)
    }

    /// Whether an alert of `kind` about `key` (see [`Alert::about`]) is
    /// active.
    #[must_use]
    pub fn active_about(&self, kind: AlertKind, key: &str) -> bool {
        self.active_about
            .contains_key(&format!("{}-{key}", kind.as_str()))
    }

    /// Every alert held, newest first.
    #[must_use]
    pub fn newest_first(&self) -> Vec<&Alert> {
        let mut v: Vec<&Alert> = self.alerts.values().collect();
        v.sort_unstable_by(|a, b| b.raised_ms.cmp(&a.raised_ms).then(a.id.cmp(&b.id)));
        v
    }

    /// Forgets the closed alerts last changed before `before` (the store
    /// keeps them).
    pub fn forget_closed_before(&mut self, before: EpochMs) {
        self.alerts
            .retain(|_, a| a.is_active() || a.updated_ms >= before);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raised(now: EpochMs) -> Alert {
        Alert::sample(now)
    }

    #[test]
    fn an_alert_is_acknowledged_once_and_closed_once() {
        let a = raised(1_000);
        assert_eq!((a.state, a.version), (AlertState::Open, 1));
        let acked = a
            .step(AlertAction::Acknowledged, "d1", String::new(), 2_000)
            .unwrap();
        assert_eq!(acked.state, AlertState::Acknowledged);
        assert_eq!(acked.acknowledged_by().unwrap().by, "d1");
        let again = acked
            .step(AlertAction::Acknowledged, "d2", String::new(), 3_000)
            .unwrap_err();
        assert_eq!(again.state, AlertState::Acknowledged);
        assert_eq!(
            again.to_string(),
            format!("alert {} is acknowledged: it cannot be acknowledged", a.id)
        );
        let closed = acked
            .step(AlertAction::Closed, "d1", "接回".into(), 1_500)
            .unwrap();
        assert_eq!((closed.state, closed.version), (AlertState::Closed, 3));
        // The clock went back: the record did not.
        assert_eq!(closed.updated_ms, 2_000);
        assert!(
            closed
                .step(AlertAction::Cancelled, "w1", String::new(), 4_000)
                .is_err()
        );
        assert_eq!(
            closed.steps.iter().map(|s| s.action).collect::<Vec<_>>(),
            [
                AlertAction::Raised,
                AlertAction::Acknowledged,
                AlertAction::Closed
            ]
        );
    }

    #[test]
    fn an_open_alert_may_be_cancelled_without_acknowledgement() {
        let a = raised(1_000);
        let c = a
            .step(AlertAction::Cancelled, "w1", "误触".into(), 1_200)
            .unwrap();
        assert!(!c.is_active());
        assert!(c.acknowledged_by().is_none());
    }

    #[test]
    fn the_book_indexes_active_alerts_by_member_and_by_what_they_are_about() {
        let subject = Alert::sample(0).subject;
        let fence = |key: &str, since: EpochMs| {
            Alert::about(
                AlertKind::FenceEnter,
                subject.clone(),
                (key, since),
                String::new(),
                since,
            )
        };
        let (a, b) = (fence("f-1.S1", 1_000), fence("f-2.S1", 2_000));
        let mut book = AlertBook::new(vec![a.clone(), b.clone()]);
        assert!(book.active_about(AlertKind::FenceEnter, "f-1.S1"));
        assert!(!book.active_about(AlertKind::FenceExit, "f-1.S1"));
        assert!(!book.active_about(AlertKind::FenceEnter, "f-1"));
        assert_eq!(
            book.active_of("S1", AlertKind::FenceEnter).map(|x| &x.id),
            Some(&a.id),
            "the first raised"
        );
        let closed = a
            .step(AlertAction::Closed, "d1", String::new(), 3_000)
            .unwrap();
        assert!(book.put(closed.clone()));
        assert!(!book.put(closed), "the same version again changes nothing");
        assert!(!book.active_about(AlertKind::FenceEnter, "f-1.S1"));
        assert_eq!(
            book.active_of("S1", AlertKind::FenceEnter).map(|x| &x.id),
            Some(&b.id)
        );
        let closed = b
            .step(AlertAction::Closed, "d1", String::new(), 3_000)
            .unwrap();
        book.put(closed);
        assert!(book.active_of("S1", AlertKind::FenceEnter).is_none());
        assert!(book.active_of.is_empty() && book.active_about.is_empty());
    }

    #[test]
    fn the_book_never_goes_back_and_forgets_only_old_closed_alerts() {
        let a = raised(1_000);
        let acked = a
            .step(AlertAction::Acknowledged, "d1", String::new(), 2_000)
            .unwrap();
        let mut book = AlertBook::new(vec![acked.clone()]);
        assert!(!book.put(a.clone()), "an older version is ignored");
        assert_eq!(book.get(&a.id).unwrap().state, AlertState::Acknowledged);
        assert_eq!(book.active_of("S1", AlertKind::Sos).unwrap().id, a.id);
        let closed = acked
            .step(AlertAction::Closed, "d1", String::new(), 3_000)
            .unwrap();
        assert!(book.put(closed));
        assert!(book.active_of("S1", AlertKind::Sos).is_none());
        book.forget_closed_before(2_999);
        assert!(book.get(&a.id).is_some());
        book.forget_closed_before(3_001);
        assert!(book.get(&a.id).is_none());
    }
}
