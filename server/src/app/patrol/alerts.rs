//! The patrol rules' exceptions raised as alerts, by a pass on one node
//! (the lease holder): a grid not visited by its rule's time while its grid
//! worker is on duty (未按时入格), and a key place whose inspection rhythm
//! has passed since its last inspection (逾期未检). Each alert goes to the
//! grid's worker and the area's dispatchers like the track rules' alerts,
//! and is raised once (its id names the grid or place and the time).
//!
//! Only workers at work are told (on duty, their phone heard from lately).
//! Places never inspected are listed by `GET /api/venues/due` but raise no
//! alert: a newly imported city would raise one for every place at once.

use riskmap_engine::model::{AreaLevel, DutyStatus, EpochMs, Role};
use riskmap_engine::{AreaIdx, Engine};
use rustc_hash::FxHashSet;

use crate::alert::AlertKind;
use crate::app::App;
use crate::identity::Scope;
use crate::patrol::{GridStatus, judge};

/// A grid's worker at work — on duty, their phone heard from since `fresh`
/// (a worker whose phone is silent is offline, not late) —: a grid worker
/// (网格员) first, then anyone whose home grid it is, the lowest id first.
/// Only the grid's own members are read (the index by home grid): walking
/// every member for every overdue grid and key place was grids × staff,
/// under the engine's lock and the patrol days'.
fn worker_of(engine: &Engine, grid: AreaIdx, fresh: EpochMs) -> Option<String> {
    let staff = engine.staff();
    staff
        .homed_in(grid)
        .iter()
        .filter_map(|&i| staff.get(i))
        .filter(|m| {
            matches!(m.duty, DutyStatus::Available | DutyStatus::Busy)
                && m.fix.is_some_and(|f| f.fix_time_ms >= fresh)
        })
        .min_by(|a, b| {
            (a.role != Role::GridWorker, &a.id).cmp(&(b.role != Role::GridWorker, &b.id))
        })
        .map(|m| m.id.to_string())
}

/// The grids someone stands in now.
fn occupied(engine: &Engine) -> FxHashSet<AreaIdx> {
    let tree = engine.areas();
    engine
        .staff()
        .iter()
        .filter_map(|(_, m)| m.grid(|p| tree.grid_at(p)))
        .collect()
}

impl App {
    /// One pass of the patrol rules' alerts at `now`; how many were raised.
    pub async fn raise_patrol_alerts(&self, now: EpochMs) -> usize {
        let calendar = self.incidents.dictionary().calendar();
        let start = calendar.day_start(now);
        let minutes = u32::try_from((now - start) / 60_000).unwrap_or(u32::MAX);
        let fresh = now.saturating_sub(self.limits.stale_after_ms);
        let mut due: Vec<(AlertKind, String, (String, EpochMs), String)> = Vec::new();
        // Off the locks below (a pass in the first moments after start).
        self.count_patrol_cells_in(Scope::All).await;
        {
            // The engine's lock before the days': the order a fix's patrol
            // feed takes them in (App::patrol_observe). The other order
            // deadlocks once a writer queues for the engine between the two.
            let engine = self.engine.read();
            let tree = engine.areas();
            let grids = self.patrol_grids(Scope::All, tree);
            // Someone standing in a grid now is there, whatever the book
            // has seen (a position loaded at start, not a track). Read
            // before the days' lock, which every fix batch takes.
            let occupied = occupied(&engine);
            let days = self.patrol.days.lock();
            let today = days.today.as_ref().filter(|d| d.start == start);
            // Still reading today back after a start: no judgement yet.
            let grids = if days.held.is_some() {
                &[][..]
            } else {
                &grids[..]
            };
            for &(g, _) in grids {
                if occupied.contains(&g) {
                    continue;
                }
                let area = tree.get(g);
                let rule = self.patrol.rules().rule(&area.code);
                let visits = today
                    .and_then(|d| d.book.grid(&area.code))
                    .map_or(0, |d| d.visits);
                let Some(by) = rule.visit_by else { continue };
                if judge(rule, visits, 0.0, Some(minutes)) != GridStatus::Overdue {
                    continue;
                }
                if let Some(worker) = worker_of(&engine, g, fresh) {
                    let since = start + i64::from(by) * 60_000;
                    let note = format!(
                        "{} 未按时入格：{:02}:{:02} 前无人到访",
                        area.name,
                        by / 60,
                        by % 60
                    );
                    due.push((
                        AlertKind::NotVisited,
                        worker,
                        (area.code.clone(), since),
                        note,
                    ));
                }
            }
            let places = engine.key_places();
            for (i, p) in places.iter() {
                let (Some(every), Some(last)) = (
                    self.patrol.rules().place_every_days(&p.category),
                    self.venues.last_inspected(&p.id),
                ) else {
                    continue;
                };
                let due_ms = last + i64::from(every) * 86_400_000;
                let grid = places
                    .grid(i)
                    .filter(|&g| tree.get(g).level == AreaLevel::Grid);
                if due_ms > now {
                    continue;
                }
                if let Some(worker) = grid.and_then(|g| worker_of(&engine, g, fresh)) {
                    let note = format!(
                        "{}（{}）逾期未检：每 {every} 天一次，上次 {}",
                        p.name,
                        p.category,
                        calendar.date_of(last)
                    );
                    due.push((
                        AlertKind::PlaceOverdue,
                        worker,
                        (p.id.clone(), due_ms),
                        note,
                    ));
                }
            }
        }
        let mut raised = 0;
        for (kind, worker, (key, since), note) in due {
            if self.raise_about(kind, &worker, (&key, since), note).await {
                raised += 1;
            }
        }
        raised
    }
}
