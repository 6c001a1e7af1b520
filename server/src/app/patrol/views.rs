//! What the patrol questions answer: each grid's coverage against its rule
//! (the big screen's coverage layer), a worker's day (the day card), and
//! the patrol log (巡查台账) per worker and grid, as rows for JSON or CSV.

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::NaiveDate;
use compact_str::CompactString;
use riskmap_engine::model::EpochMs;
use riskmap_engine::patrol::{DayBook, GridDay, GridShare, coverage};
use riskmap_engine::{AreaIdx, AreaTree, Engine};
use serde::Serialize;

use super::{MAX_TRACK, PatrolError};
use crate::app::App;
use crate::clock::now_ms;
use crate::identity::User;
use crate::patrol::{GridRule, GridStatus, judge};

/// Most points of a day card's track (a longer one is thinned evenly).
const CARD_TRACK_POINTS: usize = 2_000;

/// One grid's day, borrowing its names from the area tree.
#[derive(Debug, Clone, Serialize)]
pub struct GridDayView<'a> {
    /// Grid code.
    pub code: &'a str,
    /// Grid name.
    pub name: &'a str,
    /// Against its rule.
    pub status: GridStatus,
    /// Visits (入格) begun.
    pub visits: u32,
    /// Its cells walked.
    pub cells_walked: usize,
    /// Its cells.
    pub cells: u32,
    /// `cells_walked / cells`, 0 to 1.
    pub coverage: f64,
    /// Time spent in it, summed over workers, seconds.
    pub time_s: i64,
    /// Distance walked in it, metres.
    pub distance_m: f64,
    /// Workers who were in it.
    pub workers: usize,
    /// The first fix in it.
    pub first_visit_ms: Option<EpochMs>,
    /// Its rule.
    pub rule: GridRule,
}

/// `GET /api/patrol/coverage`.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageView<'a> {
    /// The local date.
    pub day: NaiveDate,
    /// H3 resolution of the cells.
    pub resolution: u8,
    /// False while today is still being read back after a restart (or if
    /// that failed): figures may be low.
    pub complete: bool,
    /// Grids per status.
    pub counts: Counts,
    /// Every grid of the area.
    pub grids: Vec<GridDayView<'a>>,
}

/// A day's coverage of an area as read: each grid's figures, copied out
/// from under the engine's and the days' locks, with its rule. Made into
/// its answer by [`CoverageDay::view`], which a caller runs off the async
/// workers: at 50,000 grids the answer is tens of milliseconds of work and
/// 12 MB of JSON, and every fix queued behind it on a worker would wait.
#[derive(Debug)]
pub struct CoverageDay {
    /// The tree the grids index, kept after the engine's lock is let go.
    tree: Arc<AreaTree>,
    /// Each grid with its cells, its rule and its figures of the day.
    grids: Vec<(AreaIdx, u32, GridRule, GridFigures)>,
    day: NaiveDate,
    resolution: u8,
    complete: bool,
    /// Minutes into the day, for today (a rule's `visit_by`).
    minutes: Option<u32>,
}

impl CoverageDay {
    /// Each grid judged against its rule, and the counts per status.
    #[must_use]
    pub fn view(&self) -> CoverageView<'_> {
        let mut counts = Counts::default();
        let grids = self
            .grids
            .iter()
            .map(|&(g, cells, rule, day)| {
                let area = self.tree.get(g);
                let share = coverage(day.walked, cells, day.visits > 0);
                let status = judge(&rule, day.visits, share, self.minutes);
                match status {
                    GridStatus::Covered => counts.covered += 1,
                    GridStatus::Partly => counts.partly += 1,
                    GridStatus::None => counts.none += 1,
                    GridStatus::Overdue => counts.overdue += 1,
                }
                GridDayView {
                    code: &area.code,
                    name: &area.name,
                    status,
                    visits: day.visits,
                    cells_walked: day.walked,
                    cells,
                    coverage: (share * 1000.0).round() / 1000.0,
                    time_s: day.time_ms / 1000,
                    distance_m: round_m(day.distance_m),
                    workers: day.workers,
                    first_visit_ms: day.first_ms,
                    rule,
                }
            })
            .collect();
        CoverageView {
            day: self.day,
            resolution: self.resolution,
            complete: self.complete,
            counts,
            grids,
        }
    }
}

/// Grids per status.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    /// Covered.
    pub covered: usize,
    /// Partly covered.
    pub partly: usize,
    /// Not visited, not yet due.
    pub none: usize,
    /// Not visited though due.
    pub overdue: usize,
}

/// A worker's share of one grid.
#[derive(Debug, Clone, Serialize)]
pub struct ShareView {
    /// Grid code.
    pub code: String,
    /// Grid name.
    pub name: Option<String>,
    /// Visits begun.
    pub visits: u32,
    /// Time in it, seconds.
    pub time_s: i64,
    /// Distance walked in it, metres.
    pub distance_m: f64,
    /// Its cells this worker walked.
    pub cells: u32,
    /// First fix in it.
    pub first_ms: EpochMs,
    /// Last fix in it.
    pub last_ms: EpochMs,
}

/// `GET /api/patrol/staff/{id}`: a worker's day card.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerDayView {
    /// Staff id.
    pub staff_id: String,
    /// Name.
    pub name: String,
    /// Home grid code.
    pub home_grid: String,
    /// The local date.
    pub day: NaiveDate,
    /// Fixes shared.
    pub fixes: u32,
    /// First fix.
    pub first_ms: Option<EpochMs>,
    /// Last fix.
    pub last_ms: Option<EpochMs>,
    /// Time on patrol (joined intervals), seconds.
    pub time_s: i64,
    /// Distance walked, metres.
    pub distance_m: f64,
    /// Cells walked.
    pub cells: usize,
    /// The home grid's coverage, 0 to 1.
    pub home_coverage: Option<f64>,
    /// Each grid they were in, longest first.
    pub grids: Vec<ShareView>,
    /// Incidents they reported that day (发现上报).
    pub incidents_found: usize,
    /// The day's track, `[lon, lat, epoch ms]`, thinned to at most 2,000.
    pub track: Vec<[f64; 3]>,
}

/// A row of the patrol log: one worker in one grid on one day.
#[derive(Debug, Clone, Serialize)]
pub struct LogRow {
    /// Staff id.
    pub staff_id: String,
    /// Name.
    pub staff_name: String,
    /// The worker's day and grid.
    #[serde(flatten)]
    pub share: ShareView,
}

/// A grid's figures of the day, copied out from under the locks.
#[derive(Debug, Clone, Copy, Default)]
struct GridFigures {
    visits: u32,
    walked: usize,
    time_ms: EpochMs,
    distance_m: f64,
    workers: usize,
    first_ms: Option<EpochMs>,
}

impl GridFigures {
    fn of(day: &GridDay) -> GridFigures {
        GridFigures {
            visits: day.visits,
            walked: day.cells.len(),
            time_ms: day.time_ms,
            distance_m: day.distance_m,
            workers: day.workers.len(),
            first_ms: day.first_ms,
        }
    }
}

fn round_m(m: f64) -> f64 {
    (m * 10.0).round() / 10.0
}

impl App {
    /// Each grid of the caller's area (or `area`) on `day` (default today),
    /// as read: [`CoverageDay::view`] makes the answer.
    ///
    /// # Errors
    /// [`PatrolError`] for an area outside the caller's, a day not begun, a
    /// past day over too many staff, or the store failing.
    pub async fn patrol_coverage(
        &self,
        user: &User,
        area: Option<&str>,
        day: Option<NaiveDate>,
    ) -> Result<CoverageDay, PatrolError> {
        let scope = self.patrol_scope(user, area)?;
        // Before the locks the rows are read under (only the first moments
        // after start have grids not yet counted).
        self.count_patrol_cells_in(scope).await;
        // The grids, their names and rules are read from a tree of our own:
        // only the day's figures are read under the engine's and the days'
        // locks.
        let tree = self.engine.read().areas_shared();
        let grids = self.patrol_grids(scope, &tree);
        let (start, complete, figures) = self
            .with_patrol_day(scope, day, |book, start, complete, _| {
                let figures: Vec<GridFigures> = grids
                    .iter()
                    .map(|&(g, _)| {
                        book.grid(&tree.get(g).code)
                            .map(GridFigures::of)
                            .unwrap_or_default()
                    })
                    .collect();
                (start, complete, figures)
            })
            .await?;
        let calendar = self.incidents.dictionary().calendar();
        let now = now_ms();
        let rules = &self.patrol.rules;
        let grids = grids
            .into_iter()
            .zip(figures)
            .map(|((g, cells), day)| (g, cells, *rules.rule(&tree.get(g).code), day))
            .collect();
        Ok(CoverageDay {
            tree,
            grids,
            day: calendar.date_of(start),
            resolution: u8::from(rules.resolution),
            complete,
            minutes: (calendar.day_start(now) == start)
                .then(|| u32::try_from((now - start) / 60_000).unwrap_or(u32::MAX)),
        })
    }

    /// A worker's day in the caller's area.
    ///
    /// # Errors
    /// [`PatrolError::NotFound`] for a member outside the caller's area;
    /// as [`App::patrol_coverage`].
    pub async fn patrol_worker(
        &self,
        user: &User,
        staff_id: &str,
        day: Option<NaiveDate>,
    ) -> Result<WorkerDayView, PatrolError> {
        let scope = self.patrol_scope(user, None)?;
        let (name, home_grid, narrow, home_cells) = {
            let engine = self.engine.read();
            let tree = engine.areas();
            let m = engine
                .staff()
                .find(staff_id)
                .and_then(|i| engine.staff().get(i))
                .filter(|m| scope.contains(m.home, tree))
                .ok_or_else(|| PatrolError::NotFound(format!("no staff member {staff_id}")))?;
            let narrow = m.home.map_or(scope, |h| scope.narrow(h, tree));
            // The home grid's cells only (the scope narrowed to it).
            let home_cells = m.home.and_then(|h| {
                self.patrol_grids(narrow, tree)
                    .into_iter()
                    .find(|(g, _)| *g == h)
                    .map(|(_, n)| n)
            });
            (
                m.name.to_string(),
                m.home_grid.to_string(),
                narrow,
                home_cells,
            )
        };
        let card = |book: &DayBook, start: EpochMs, _complete: bool, engine: &Engine| {
            let tree = engine.areas();
            let worker = book.worker(staff_id);
            let mut grids: Vec<ShareView> = worker
                .map(|w| {
                    w.grids
                        .iter()
                        .map(|(code, s)| share_view(code, s, tree))
                        .collect()
                })
                .unwrap_or_default();
            grids.sort_by_key(|s| std::cmp::Reverse(s.time_s));
            let home_coverage = home_cells.map(|n| {
                let day = book.grid(&home_grid);
                let walked = day.map_or(0, |d| d.cells.len());
                coverage(walked, n, day.is_some_and(|d| d.visits > 0))
            });
            (start, worker.cloned(), grids, home_coverage)
        };
        let (start, worker, grids, home_coverage) = self.with_patrol_day(narrow, day, card).await?;
        let end = start + super::DAY_MS;
        let incidents_found = self
            .incidents
            .book()
            .iter()
            .filter(|e| {
                let i = &e.incident;
                i.reporter_staff.as_deref() == Some(staff_id)
                    && (start..end).contains(&i.created_ms)
            })
            .count();
        let track = self
            .store
            .track(staff_id, start, end - 1, MAX_TRACK)
            .await?;
        let stride = track.len().div_ceil(CARD_TRACK_POINTS).max(1);
        #[allow(clippy::cast_precision_loss)] // epoch ms: exact in f64 until 2255
        let track = track
            .iter()
            .step_by(stride)
            .map(|f| [f.position.lon, f.position.lat, f.fix_time_ms as f64])
            .collect();
        Ok(WorkerDayView {
            staff_id: staff_id.to_owned(),
            name,
            home_grid,
            day: self.incidents.dictionary().calendar().date_of(start),
            fixes: worker.as_ref().map_or(0, |w| w.fixes),
            first_ms: worker.as_ref().map(|w| w.first_ms),
            last_ms: worker.as_ref().map(|w| w.last_ms),
            time_s: worker.as_ref().map_or(0, |w| w.time_ms / 1000),
            distance_m: round_m(worker.as_ref().map_or(0.0, |w| w.distance_m)),
            cells: worker.as_ref().map_or(0, |w| w.cells.len()),
            home_coverage,
            grids,
            incidents_found,
            track,
        })
    }

    /// The patrol log of the caller's area (or `area`) on `day`: one row per
    /// worker (of the area) and grid they were in, as read ([`LogDay::rows`]
    /// makes the rows).
    ///
    /// # Errors
    /// As [`App::patrol_coverage`].
    pub async fn patrol_log(
        &self,
        user: &User,
        area: Option<&str>,
        day: Option<NaiveDate>,
    ) -> Result<LogDay, PatrolError> {
        let scope = self.patrol_scope(user, area)?;
        // Only who was where, and the names the engine holds, are read
        // under the locks; the grids' names and the order come after.
        let gather = |book: &DayBook, start: EpochMs, _complete: bool, engine: &Engine| {
            let tree = engine.areas();
            let staff = engine.staff();
            let mut shares = Vec::new();
            for (id, w) in book.workers() {
                let Some(m) = staff.find(id).and_then(|i| staff.get(i)) else {
                    continue;
                };
                let mine = scope.contains(m.home, tree);
                for (code, s) in &w.grids {
                    if mine || scope.contains(tree.idx(code), tree) {
                        shares.push(LogShare {
                            staff_id: id.into(),
                            staff_name: m.name.clone(),
                            code: code.clone(),
                            figures: s.clone(),
                        });
                    }
                }
            }
            LogDay {
                day: self.incidents.dictionary().calendar().date_of(start),
                tree: engine.areas_shared(),
                shares,
            }
        };
        self.with_patrol_day(scope, day, gather).await
    }
}

/// A worker's share of a grid as read for the log.
#[derive(Debug)]
struct LogShare {
    staff_id: CompactString,
    staff_name: CompactString,
    code: CompactString,
    figures: GridShare,
}

/// A day's patrol log of an area as read, copied out from under the locks.
/// Made into its rows by [`LogDay::rows`], which a caller runs off the
/// async workers: a whole city's log is a row per worker and grid.
#[derive(Debug)]
pub struct LogDay {
    /// The local date.
    pub day: NaiveDate,
    tree: Arc<AreaTree>,
    shares: Vec<LogShare>,
}

impl LogDay {
    /// The rows by worker, each worker's grids in the order they came.
    #[must_use]
    pub fn rows(self) -> Vec<LogRow> {
        let tree = self.tree;
        let mut rows: Vec<LogRow> = self
            .shares
            .into_iter()
            .map(|s| LogRow {
                staff_id: s.staff_id.into(),
                staff_name: s.staff_name.into(),
                share: share_view(&s.code, &s.figures, &tree),
            })
            .collect();
        rows.sort_by(|a, b| (&a.staff_id, a.share.first_ms).cmp(&(&b.staff_id, b.share.first_ms)));
        rows
    }
}

fn share_view(code: &str, s: &GridShare, tree: &AreaTree) -> ShareView {
    ShareView {
        code: code.to_owned(),
        name: tree.idx(code).map(|g| tree.get(g).name.clone()),
        visits: s.visits,
        time_s: s.time_ms / 1000,
        distance_m: round_m(s.distance_m),
        cells: s.cells,
        first_ms: s.first_ms,
        last_ms: s.last_ms,
    }
}

/// The patrol log as CSV; `field` makes a text field safe for a spreadsheet.
#[must_use]
pub fn log_csv(day: NaiveDate, rows: &[LogRow], field: impl Fn(&str) -> String) -> String {
    let mut out = String::from(
        "day,staff_id,staff_name,grid,grid_name,visits,first,last,time_min,distance_m,cells\r\n",
    );
    let time = |ms: EpochMs| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    for r in rows {
        let s = &r.share;
        let _ = write!(
            out,
            "{day},{},{},{},{},{},{},{},{},{},{}\r\n",
            field(&r.staff_id),
            field(&r.staff_name),
            field(&s.code),
            field(s.name.as_deref().unwrap_or_default()),
            s.visits,
            time(s.first_ms),
            time(s.last_ms),
            s.time_s / 60,
            s.distance_m,
            s.cells,
        );
    }
    out
}
