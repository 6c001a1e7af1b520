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
use riskmap_engine::staff::Member;
use riskmap_engine::{AreaIdx, Engine};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::alert::AlertKind;
use crate::app::App;
use crate::identity::Scope;
use crate::patrol::{GridStatus, judge};

/// Who is where, read in one pass over the staff: the grids someone
/// stands in now, and each grid's worker at work. Asked grid by grid
/// instead, the staff were walked once for every overdue grid and every
/// key place past its rhythm (grids × staff, under the engine's lock and
/// the patrol days': every fix batch waited for it).
struct Roll<'e> {
    occupied: FxHashSet<AreaIdx>,
    workers: FxHashMap<AreaIdx, &'e Member>,
}

impl<'e> Roll<'e> {
    /// A grid's worker is on duty with their phone heard from since `fresh`
    /// (a worker whose phone is silent is offline, not late): a grid worker
    /// (网格员) first, then anyone whose home grid it is, the lowest id first.
    fn read(engine: &'e Engine, fresh: EpochMs) -> Roll<'e> {
        let tree = engine.areas();
        let mut roll = Roll {
            occupied: FxHashSet::default(),
            workers: FxHashMap::default(),
        };
        for (_, m) in engine.staff().iter() {
            if let Some(g) = m.grid(|p| tree.grid_at(p)) {
                roll.occupied.insert(g);
            }
            let at_work = matches!(m.duty, DutyStatus::Available | DutyStatus::Busy)
                && m.fix.is_some_and(|f| f.fix_time_ms >= fresh);
            let Some(home) = m.home.filter(|_| at_work) else {
                continue;
            };
            roll.workers
                .entry(home)
                .and_modify(|w| {
                    if Self::rank(m) < Self::rank(w) {
                        *w = m;
                    }
                })
                .or_insert(m);
        }
        roll
    }

    /// A grid's worker: the lowest rank.
    fn rank(m: &Member) -> (bool, &str) {
        (m.role != Role::GridWorker, &m.id)
    }

    fn worker_of(&self, grid: AreaIdx) -> Option<String> {
        self.workers.get(&grid).map(|m| m.id.to_string())
    }
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
            let roll = Roll::read(&engine, fresh);
            let days = self.patrol.days.lock();
            let today = days.today.as_ref().filter(|d| d.start == start);
            // Still reading today back after a start: no judgement yet.
            let grids = if days.held.is_some() {
                &[][..]
            } else {
                &grids[..]
            };
            for &(g, _) in grids {
                if roll.occupied.contains(&g) {
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
                if let Some(worker) = roll.worker_of(g) {
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
                if let Some(worker) = grid.and_then(|g| roll.worker_of(g)) {
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
