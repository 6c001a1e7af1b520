//! 排班 on the desk: the shifts of every grid (kept in the store, replaced
//! an area at a time by one [`DomainEvent::RosterSaved`]), and who of those
//! due on duty now has checked in (上岗) — the big screen's 应到未到.
//!
//! Checked in means on duty (available, busy, or in an SOS); a member on
//! duty whose phone has gone silent past the staleness threshold is
//! unreachable (失联), not absent.

use parking_lot::RwLock;
use riskmap_engine::model::{AreaLevel, DutyStatus, EpochMs};
use serde::Serialize;
use thiserror::Error;

use super::App;
use super::cluster::{Change, Shipment};
use crate::clock::now_ms;
use crate::event::DomainEvent;
use crate::identity::{Scope, User, UserRole};
use crate::roster::{MAX_SHIFTS, RosterError, Shift};
use crate::store::StoreError;

/// Why a roster request was refused.
#[derive(Debug, Error)]
pub enum RosterDeskError {
    /// Only administrators set the roster, of their own area; field logins
    /// read none.
    #[error("{0}")]
    Forbidden(String),
    /// A shift is malformed or names what the city does not hold.
    #[error(transparent)]
    Invalid(#[from] RosterError),
    /// The store failed; nothing changed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The shifts, in the order saved.
pub struct Rosters {
    shifts: RwLock<Vec<Shift>>,
    /// Orders saves.
    writer: tokio::sync::Mutex<()>,
}

impl Rosters {
    /// Over the shifts loaded from the store.
    #[must_use]
    pub fn new(shifts: Vec<Shift>) -> Rosters {
        Rosters {
            shifts: RwLock::new(shifts),
            writer: tokio::sync::Mutex::new(()),
        }
    }
}

/// Where someone due on duty stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// 在岗: checked in, heard from lately.
    Present,
    /// 失联: checked in, their phone silent past the threshold.
    Unreachable,
    /// 未到岗: not checked in.
    Absent,
}

/// One member due on duty now.
#[derive(Debug, Clone, Serialize)]
pub struct Due {
    /// Who.
    pub staff_id: String,
    /// Their name.
    pub name: String,
    /// The grid of the shift.
    pub grid: String,
    /// Its name.
    pub grid_name: String,
    /// The shift's name, if it has one.
    pub shift: String,
    /// When it started and ends, `HH:MM`.
    pub start: crate::roster::Clock,
    /// (past midnight when before `start`).
    pub end: crate::roster::Clock,
    /// Where they stand.
    pub presence: Presence,
    /// Their duty status.
    pub duty: DutyStatus,
    /// How old their last fix is, seconds (none: never heard from).
    pub fix_age_s: Option<i64>,
}

/// `GET /api/roster/due`: who is due now and who of them is missing.
#[derive(Debug, Clone, Serialize)]
pub struct DueView {
    /// The moment judged.
    pub at_ms: EpochMs,
    /// Staff due (each once, at their first shift running).
    pub due: usize,
    /// Of them present, unreachable, absent.
    pub present: usize,
    /// 失联.
    pub unreachable: usize,
    /// 未到岗.
    pub absent: usize,
    /// Each, absent first, then unreachable, then present; by grid and id.
    pub staff: Vec<Due>,
}

impl App {
    /// The shifts of the grids in `user`'s area (under `area` if given).
    pub fn roster_of(
        &self,
        user: &User,
        area: Option<&str>,
    ) -> Result<Vec<Shift>, RosterDeskError> {
        let scope = self.roster_scope(user, area)?;
        let engine = self.engine.read();
        let tree = engine.areas();
        Ok(self
            .roster
            .shifts
            .read()
            .iter()
            .filter(|s| scope.contains(tree.idx(&s.grid), tree))
            .cloned()
            .collect())
    }

    fn roster_scope(&self, user: &User, area: Option<&str>) -> Result<Scope, RosterDeskError> {
        if user.role == UserRole::Field {
            return Err(RosterDeskError::Forbidden(
                "the roster is for the command centre".into(),
            ));
        }
        let engine = self.engine.read();
        Scope::of(user, engine.areas())
            .narrowed_to(area, engine.areas())
            .map_err(|m| RosterError::Invalid(m).into())
    }

    /// Replaces the shifts of every grid in the administrator's area with
    /// `shifts` (each of a grid there, naming staff the city holds); how
    /// many were saved and how many replaced.
    pub async fn save_roster(
        &self,
        admin: &User,
        shifts: Vec<Shift>,
    ) -> Result<(usize, usize), RosterDeskError> {
        if admin.role != UserRole::Admin {
            return Err(RosterDeskError::Forbidden(
                "setting the roster is for administrators".into(),
            ));
        }
        if shifts.len() > MAX_SHIFTS {
            return Err(RosterError::Invalid(format!("at most {MAX_SHIFTS} shifts")).into());
        }
        let _order = self.roster.writer.lock().await;
        let cleared: Vec<String> = {
            let engine = self.engine.read();
            let tree = engine.areas();
            let scope = Scope::of(admin, tree);
            for s in &shifts {
                s.check()?;
                let grid = tree
                    .idx(&s.grid)
                    .filter(|&g| tree.get(g).level == AreaLevel::Grid);
                if grid.is_none() || !scope.contains(grid, tree) {
                    return Err(
                        RosterError::Invalid(format!("no grid {} in your area", s.grid)).into(),
                    );
                }
                if let Some(who) = s.staff.iter().find(|id| engine.staff().find(id).is_none()) {
                    return Err(RosterError::Invalid(format!(
                        "shift of grid {}: no staff member {who}",
                        s.grid
                    ))
                    .into());
                }
            }
            tree.iter()
                .filter(|(g, a)| a.level == AreaLevel::Grid && scope.contains(Some(*g), tree))
                .map(|(_, a)| a.code.clone())
                .collect()
        };
        let replaced = {
            // A set: a city administrator clears every grid (50,000), and a
            // list searched per held shift made that seconds.
            let grids: rustc_hash::FxHashSet<&str> = cleared.iter().map(String::as_str).collect();
            let held = self.roster.shifts.read();
            held.iter()
                .filter(|s| grids.contains(s.grid.as_str()))
                .count()
        };
        let saved = shifts.len();
        let shipment = self.shipment(|| {
            Change::Event(Box::new(DomainEvent::RosterSaved {
                cleared: cleared.clone(),
                shifts: shifts.clone(),
            }))
        });
        let outgoing = shipment.as_ref().map(Shipment::outgoing);
        let id = self.store.put_roster(&cleared, &shifts, outgoing).await?;
        self.shipped(id, shipment);
        self.apply(&DomainEvent::RosterSaved { cleared, shifts });
        Ok((saved, replaced))
    }

    /// Applies a committed roster: the cleared grids' shifts give way to
    /// the new ones.
    pub(super) fn change_roster(&self, cleared: &[String], shifts: &[Shift]) {
        let cleared: rustc_hash::FxHashSet<&str> = cleared.iter().map(String::as_str).collect();
        let mut held = self.roster.shifts.write();
        held.retain(|s| !cleared.contains(s.grid.as_str()));
        held.extend(shifts.iter().cloned());
    }

    /// Who of `user`'s area (under `area` if given) is due on duty at
    /// `now`, and where each stands.
    pub fn roster_due(
        &self,
        user: &User,
        area: Option<&str>,
        now: EpochMs,
    ) -> Result<DueView, RosterDeskError> {
        let scope = self.roster_scope(user, area)?;
        let calendar = self.incidents.dictionary().calendar();
        let date = calendar.date_of(now);
        let minute = u16::try_from((now - calendar.day_start(now)) / 60_000).unwrap_or(0);
        let fresh = now.saturating_sub(self.limits.stale_after_ms);
        let engine = self.engine.read();
        let tree = engine.areas();
        let mut seen = rustc_hash::FxHashSet::default();
        let mut staff = Vec::new();
        for s in self.roster.shifts.read().iter() {
            let grid = tree.idx(&s.grid);
            if !s.runs(date, minute) || !scope.contains(grid, tree) {
                continue;
            }
            for id in &s.staff {
                let Some(m) = engine.staff().find(id).and_then(|i| engine.staff().get(i)) else {
                    continue;
                };
                if !seen.insert(id.as_str()) {
                    continue;
                }
                let on = matches!(
                    m.duty,
                    DutyStatus::Available | DutyStatus::Busy | DutyStatus::Sos
                );
                let heard = m.fix.is_some_and(|f| f.fix_time_ms >= fresh);
                staff.push(Due {
                    staff_id: id.clone(),
                    name: m.name.to_string(),
                    grid: s.grid.clone(),
                    grid_name: grid.map(|g| tree.get(g).name.clone()).unwrap_or_default(),
                    shift: s.name.clone(),
                    start: s.start,
                    end: s.end,
                    presence: match (on, heard) {
                        (false, _) => Presence::Absent,
                        (true, false) => Presence::Unreachable,
                        (true, true) => Presence::Present,
                    },
                    duty: m.duty,
                    fix_age_s: m.fix.map(|f| (now - f.fix_time_ms).max(0) / 1000),
                });
            }
        }
        let rank = |p: Presence| match p {
            Presence::Absent => 0,
            Presence::Unreachable => 1,
            Presence::Present => 2,
        };
        staff.sort_by(|a, b| {
            (rank(a.presence), &a.grid, &a.staff_id).cmp(&(rank(b.presence), &b.grid, &b.staff_id))
        });
        let count = |p: Presence| staff.iter().filter(|d| d.presence == p).count();
        Ok(DueView {
            at_ms: now,
            due: staff.len(),
            present: count(Presence::Present),
            unreachable: count(Presence::Unreachable),
            absent: count(Presence::Absent),
            staff,
        })
    }

    /// [`App::roster_due`] now.
    pub fn roster_due_now(
        &self,
        user: &User,
        area: Option<&str>,
    ) -> Result<DueView, RosterDeskError> {
        self.roster_due(user, area, now_ms())
    }
}
