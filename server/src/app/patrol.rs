//! 巡查覆盖 on the running server: today's and yesterday's patrols kept
//! from every applied fix (on every node alike: each applies every fix),
//! today's read back from the stored tracks after a restart, and older days
//! computed from the stored tracks when asked. The questions: each grid's
//! coverage against its rule, a worker's day, the patrol log (巡查台账).

use chrono::NaiveDate;
use compact_str::CompactString;
use geo::MultiPolygon;
use parking_lot::Mutex;
use riskmap_engine::model::{AreaLevel, EpochMs, Fix};
use riskmap_engine::patrol::{DayBook, PatrolFix, grid_cells};
use riskmap_engine::sphere::LonLat;
use riskmap_engine::{AreaIdx, AreaTree, Engine, StaffIdx};
use rustc_hash::FxHashMap;
use thiserror::Error;

use super::App;
use crate::clock::now_ms;
use crate::event::StaffFix;
use crate::identity::{Scope, User};
use crate::incident::calendar::WorkCalendar;
use crate::patrol::PatrolRules;
use crate::store::StoreError;

mod alerts;
mod views;

pub use views::{CoverageDay, CoverageView, GridDayView, LogDay, LogRow, WorkerDayView, log_csv};

/// Live fixes held while today is read back from the store, at most; past
/// it today's figures are marked incomplete.
const MAX_PENDING: usize = 2_000_000;
/// Fixes of one worker's day read back, at most (one every 5 s for 24 h).
const MAX_TRACK: u32 = 17_280;
/// Staff whose tracks a past day's figures may read, at most.
const MAX_PAST_STAFF: usize = 5_000;
const DAY_MS: EpochMs = 86_400_000;

/// Why a patrol question was refused.
#[derive(Debug, Error)]
pub enum PatrolError {
    /// No such area, staff member or day in the caller's view.
    #[error("{0}")]
    NotFound(String),
    /// The question is malformed.
    #[error("{0}")]
    Invalid(String),
    /// A past day over too many staff.
    #[error("{0}")]
    TooLarge(String),
    /// The store failed reading the tracks.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A fix held for the book while today is read back.
struct Held {
    staff: CompactString,
    t: EpochMs,
    at: LonLat,
    grid: Option<CompactString>,
}

/// A day in memory.
struct Day {
    start: EpochMs,
    book: DayBook,
}

#[derive(Default)]
struct Days {
    today: Option<Day>,
    yesterday: Option<Day>,
    /// While today is read back: the live fixes, fed after it.
    held: Option<Vec<Held>>,
    /// Whether today's figures lack fixes (the read-back failed or the
    /// held fixes overflowed).
    partial: bool,
}

/// The patrol books and the rules they are judged by.
pub struct PatrolDesk {
    rules: PatrolRules,
    days: Mutex<Days>,
    /// Each grid's number of cells, for the area tree of a generation.
    cells: Mutex<CellCounts>,
}

/// Each grid's number of cells (the coverage figures' denominator), for
/// the area tree of one generation.
#[derive(Default)]
struct CellCounts {
    generation: u64,
    of: FxHashMap<AreaIdx, u32>,
    /// Every grid of the tree counted.
    whole: bool,
}

impl PatrolDesk {
    /// An empty desk judging by `rules`.
    #[must_use]
    pub fn new(rules: PatrolRules) -> PatrolDesk {
        PatrolDesk {
            rules,
            days: Mutex::default(),
            cells: Mutex::default(),
        }
    }

    /// The rules.
    #[must_use]
    pub fn rules(&self) -> &PatrolRules {
        &self.rules
    }

    /// From now until [`App::replay_patrol`] ends, live fixes wait for
    /// today's stored ones.
    pub fn hold(&self) {
        self.days.lock().held = Some(Vec::new());
    }

    /// The book of the day starting at `start`, made (and the days rolled)
    /// for a fix of a new day; none for a day older than yesterday.
    fn book<'a>(
        days: &'a mut Days,
        start: EpochMs,
        rules: &PatrolRules,
    ) -> Option<&'a mut DayBook> {
        let today = days.today.as_ref().map(|d| d.start);
        if today.is_none_or(|t| start > t) {
            let old = days.today.take();
            days.yesterday = old.filter(|d| d.start == start - DAY_MS);
            days.today = Some(Day {
                start,
                book: DayBook::new(rules.resolution),
            });
            days.partial = false;
        }
        [days.today.as_mut(), days.yesterday.as_mut()]
            .into_iter()
            .flatten()
            .find(|d| d.start == start)
            .map(|d| &mut d.book)
    }
}

/// The grid whose area holds a cell's centre.
fn cell_owner(tree: &AreaTree, cell: h3o::CellIndex) -> Option<CompactString> {
    let c = h3o::LatLng::from(cell);
    let g = tree.grid_at(LonLat {
        lon: c.lng(),
        lat: c.lat(),
    })?;
    Some(tree.get(g).code.as_str().into())
}

impl App {
    /// Feeds applied fixes to the patrol books (from [`App::apply`]).
    pub(super) fn patrol_observe(&self, moved: &[(StaffIdx, &StaffFix)]) {
        if moved.is_empty() {
            return;
        }
        let calendar = self.incidents.dictionary().calendar();
        let engine = self.engine.read();
        let tree = engine.areas();
        let mut days = self.patrol.days.lock();
        for &(idx, f) in moved {
            let grid = engine
                .staff()
                .get(idx)
                .and_then(|m| m.grid_of(&f.fix, |p| tree.grid_at(p)))
                .map(|g| tree.get(g).code.as_str());
            if let Some(held) = &mut days.held {
                if held.len() < MAX_PENDING {
                    held.push(Held {
                        staff: f.staff_id.as_str().into(),
                        t: f.fix.fix_time_ms,
                        at: f.fix.position,
                        grid: grid.map(Into::into),
                    });
                } else {
                    days.partial = true;
                }
                continue;
            }
            let start = calendar.day_start(f.fix.fix_time_ms);
            if let Some(book) = PatrolDesk::book(&mut days, start, &self.patrol.rules) {
                let fix = PatrolFix {
                    t: f.fix.fix_time_ms,
                    at: f.fix.position,
                    grid,
                };
                book.observe(&f.staff_id, fix, |c| cell_owner(tree, c));
            }
        }
    }

    /// Reads today's stored tracks into the book (after a start), then
    /// feeds the fixes held meanwhile; what was read twice counts once.
    pub async fn replay_patrol(&self) {
        let now = now_ms();
        let start = self.incidents.dictionary().calendar().day_start(now);
        let staff: Vec<String> = {
            let engine = self.engine.read();
            engine
                .staff()
                .iter()
                .filter(|(_, m)| m.fix.is_some_and(|f| f.fix_time_ms >= start))
                .map(|(_, m)| m.id.to_string())
                .collect()
        };
        let mut book = DayBook::new(self.patrol.rules.resolution);
        let read = self.read_tracks(&staff, start, now, &mut book).await;
        if let Err(e) = &read {
            tracing::warn!(error = %e, "today's patrols could not be read back; they are incomplete");
        }
        let engine = self.engine.read();
        let tree = engine.areas();
        let mut days = self.patrol.days.lock();
        let held = days.held.take().unwrap_or_default();
        let partial = days.partial || read.is_err();
        days.today = Some(Day { start, book });
        days.partial = partial;
        let calendar = self.incidents.dictionary().calendar();
        for h in held {
            let day = calendar.day_start(h.t);
            if let Some(book) = PatrolDesk::book(&mut days, day, &self.patrol.rules) {
                let fix = PatrolFix {
                    t: h.t,
                    at: h.at,
                    grid: h.grid.as_deref(),
                };
                book.observe(&h.staff, fix, |c| cell_owner(tree, c));
            }
        }
        tracing::info!(staff = staff.len(), "today's patrols read back");
    }

    /// Feeds the stored tracks of `staff` between two times to `book`.
    async fn read_tracks(
        &self,
        staff: &[String],
        from: EpochMs,
        to: EpochMs,
        book: &mut DayBook,
    ) -> Result<(), StoreError> {
        for id in staff {
            let track: Vec<Fix> = self.store.track(id, from, to, MAX_TRACK).await?;
            let engine = self.engine.read();
            let tree = engine.areas();
            for f in &track {
                let grid = tree.grid_at(f.position).map(|g| tree.get(g).code.as_str());
                let fix = PatrolFix {
                    t: f.fix_time_ms,
                    at: f.position,
                    grid,
                };
                book.observe(id, fix, |c| cell_owner(tree, c));
            }
        }
        Ok(())
    }

    /// Runs `f` over the book of `day` (default today) as the caller sees
    /// it: from memory for today and yesterday, else read from the stored
    /// tracks of the staff of `scope`. Also says whether the book is whole,
    /// and hands `f` the engine, read before the days are locked: the order
    /// a fix's patrol feed takes the two in ([`App::patrol_observe`]).
    async fn with_patrol_day<R>(
        &self,
        scope: Scope,
        day: Option<NaiveDate>,
        f: impl FnOnce(&DayBook, EpochMs, bool, &Engine) -> R,
    ) -> Result<R, PatrolError> {
        let now = now_ms();
        let calendar = self.incidents.dictionary().calendar();
        let start = match day {
            None => calendar.day_start(now),
            Some(d) => local_midnight(calendar, d),
        };
        if start > now {
            return Err(PatrolError::NotFound(format!(
                "{} has not begun",
                calendar.date_of(start)
            )));
        }
        {
            let engine = self.engine.read();
            let days = self.patrol.days.lock();
            let kept = [days.today.as_ref(), days.yesterday.as_ref()]
                .into_iter()
                .flatten()
                .find(|d| d.start == start);
            let replaying = days.held.is_some();
            if let Some(d) = kept {
                return Ok(f(&d.book, start, !(replaying || days.partial), &engine));
            }
            if replaying && start == calendar.day_start(now) {
                let empty = DayBook::new(self.patrol.rules.resolution);
                return Ok(f(&empty, start, false, &engine));
            }
        }
        let staff: Vec<String> = {
            let engine = self.engine.read();
            let tree = engine.areas();
            engine
                .staff()
                .iter()
                .filter(|(_, m)| scope.contains(m.home, tree))
                .map(|(_, m)| m.id.to_string())
                .collect()
        };
        if staff.len() > MAX_PAST_STAFF {
            return Err(PatrolError::TooLarge(format!(
                "a past day is read from the stored tracks of at most {MAX_PAST_STAFF} staff; \
                 {} are in this area: ask for a smaller one with `area`",
                staff.len()
            )));
        }
        let mut book = DayBook::new(self.patrol.rules.resolution);
        self.read_tracks(&staff, start, start + DAY_MS - 1, &mut book)
            .await?;
        Ok(f(&book, start, true, &self.engine.read()))
    }

    /// The scope of `user`, narrowed to `area` if given.
    fn patrol_scope(&self, user: &User, area: Option<&str>) -> Result<Scope, PatrolError> {
        let engine = self.engine.read();
        let tree = engine.areas();
        Scope::of(user, tree)
            .narrowed_to(area, tree)
            .map_err(PatrolError::NotFound)
    }

    /// Counts the cells of every grid of the current area tree, off the
    /// engine's lock (after start, on a blocking thread, and in an areas
    /// import). Counted at the first question instead, they held the
    /// engine's read lock — and, with a fix batch queued behind it, every
    /// reader — for 0.56 s over the demo city's 4,000 grids (seconds at a
    /// city's 50,000).
    pub fn count_patrol_cells(&self) {
        if let Some((generation, outlines)) = self.uncounted_grids(Scope::All) {
            let counted = count_cells(&outlines, self.patrol.rules.resolution);
            self.put_cell_counts(generation, counted, true);
        }
    }

    /// Counts the cells of the grids of `scope` not yet counted for the
    /// current tree on a blocking thread, before a question takes the locks
    /// it answers under: only a question in the first moments after start
    /// (before [`App::count_patrol_cells`] is done) finds any. Counted on
    /// the question's own worker, they held up what was queued behind it.
    pub(super) async fn count_patrol_cells_in(&self, scope: Scope) {
        let Some((generation, outlines)) = self.uncounted_grids(scope) else {
            return;
        };
        let resolution = self.patrol.rules.resolution;
        match tokio::task::spawn_blocking(move || count_cells(&outlines, resolution)).await {
            Ok(counted) => self.put_cell_counts(generation, counted, scope == Scope::All),
            // The question counts what it needs under its lock, as before.
            Err(e) => tracing::warn!(error = %e, "counting the grids' cells failed"),
        }
    }

    /// The outlines of the grids of `scope` whose cells are not counted for
    /// the current tree, with its generation; `None` when all are.
    fn uncounted_grids(&self, scope: Scope) -> Option<(u64, Vec<Outline>)> {
        let engine = self.engine.read();
        let tree = engine.areas();
        let cells = self.patrol.cells.lock();
        let known = (cells.generation == tree.generation()).then_some(&*cells);
        if known.is_some_and(|c| c.whole) {
            return None;
        }
        let outlines: Vec<_> = tree
            .iter()
            .filter(|(g, a)| {
                a.level == AreaLevel::Grid
                    && scope.contains(Some(*g), tree)
                    && !known.is_some_and(|c| c.of.contains_key(g))
            })
            .map(|(g, a)| (g, a.geometry.clone()))
            .collect();
        (scope == Scope::All || !outlines.is_empty()).then_some((tree.generation(), outlines))
    }

    /// Keeps counts made for the tree of `generation` (`whole`: of all its
    /// grids); generations only grow, so a newer tree's counts stay.
    fn put_cell_counts(&self, generation: u64, counted: Vec<(AreaIdx, u32)>, whole: bool) {
        let mut cells = self.patrol.cells.lock();
        if cells.generation < generation {
            *cells = CellCounts {
                generation,
                ..CellCounts::default()
            };
        }
        if cells.generation == generation {
            cells.of.extend(counted);
            cells.whole |= whole;
        }
    }

    /// The grids of a scope with their numbers of cells (computed once per
    /// area tree). Indexes into `tree`: used under the guard it was read
    /// with, never a later one (an areas import in between renumbers them).
    fn patrol_grids(&self, scope: Scope, tree: &AreaTree) -> Vec<(AreaIdx, u32)> {
        let grids: Vec<AreaIdx> = tree
            .iter()
            .filter(|(idx, a)| a.level == AreaLevel::Grid && scope.contains(Some(*idx), tree))
            .map(|(idx, _)| idx)
            .collect();
        let mut cells = self.patrol.cells.lock();
        if cells.generation != tree.generation() {
            *cells = CellCounts {
                generation: tree.generation(),
                ..CellCounts::default()
            };
        }
        let resolution = self.patrol.rules.resolution;
        grids
            .into_iter()
            .map(|g| {
                let n = *cells
                    .of
                    .entry(g)
                    .or_insert_with(|| grid_cells(&tree.get(g).geometry, resolution));
                (g, n)
            })
            .collect()
    }
}

/// A grid's outline, copied to count its cells off the engine's lock.
type Outline = (AreaIdx, MultiPolygon<f64>);

/// Each grid's number of cells at `resolution`.
fn count_cells(outlines: &[Outline], resolution: h3o::Resolution) -> Vec<(AreaIdx, u32)> {
    outlines
        .iter()
        .map(|(g, outline)| (*g, grid_cells(outline, resolution)))
        .collect()
}

/// Local midnight of a date, by the calendar's offset.
fn local_midnight(calendar: &WorkCalendar, date: NaiveDate) -> EpochMs {
    let utc = date
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp_millis();
    utc - i64::from(calendar.config().utc_offset_minutes) * 60_000
}
