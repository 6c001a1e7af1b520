//! 风险研判 in the running server: the engine's [`RiskBoard`] kept current
//! (rebuilt when a layer that feeds it is imported, an incident put in as it
//! changes, every grid re-read as incidents age), the changes pushed as
//! `grid_risk` on the `risk` layer, the questions the API asks, and the
//! daily snapshots kept for trends.
//!
//! The board is derived state: every node of a cluster computes the same
//! from the same events, so nothing here travels between nodes.

use parking_lot::{Mutex, RwLock, RwLockReadGuard};
use riskmap_engine::model::{AreaLevel, EpochMs, RiskLevel};
use riskmap_engine::risk::{
    Factor, GridRisk, IncidentSignal, Parts, RiskBoard, RiskWeights, Rollup,
};
use riskmap_engine::{AreaIdx, AreaTree, Engine};
use rustc_hash::FxHashMap;
use serde::Serialize;
use serde_json::json;
use thiserror::Error;

use super::App;
use crate::identity::{Scope, User};
use crate::incident::book::Entry;
use crate::incident::model::Source;
use crate::incident::timing::Warning;
use crate::live::{Event, Reach};
use crate::store::{RiskDay, StoreError};
use riskmap_wire::Layers;

/// How often every grid is re-read as its incidents age.
pub const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(600);
/// How often today's snapshot is written.
pub const SNAPSHOT_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
/// Days of trend a grid's detail shows.
pub const TREND_DAYS: i64 = 30;

/// Why a risk question was refused.
#[derive(Debug, Error)]
pub enum RiskError {
    /// No such area in the user's scope.
    #[error("{0}")]
    NotFound(String),
    /// A parameter is malformed.
    #[error("{0}")]
    Invalid(String),
    /// The store failed (the trend).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The board and what viewers were last told.
#[derive(Debug)]
pub struct RiskDesk {
    board: RwLock<RiskBoard>,
    /// Per grid: the score (tenths) and level last pushed.
    told: Mutex<FxHashMap<AreaIdx, (i64, RiskLevel)>>,
    /// What a grid reads as while the board is of another area tree.
    empty: RiskBoard,
}

impl RiskDesk {
    /// An empty desk; [`App::rebuild_risk`] fills it.
    #[must_use]
    pub fn new(weights: RiskWeights) -> Self {
        RiskDesk {
            board: RwLock::new(RiskBoard::new(weights.clone())),
            told: Mutex::new(FxHashMap::default()),
            empty: RiskBoard::new(weights),
        }
    }

    /// The board as read with `tree`. An areas import puts its tree in the
    /// engine first and rebuilds the board from it after: meanwhile the
    /// board's grid indexes are the old tree's, and read with the new one
    /// they would give a grid another grid's score and factors — risk
    /// sources and incidents of another district (分级授权). Until the
    /// rebuild every grid reads as having none.
    fn read(&self, tree: &AreaTree) -> BoardRead<'_> {
        let board = self.board.read();
        if board.tree_generation() == tree.generation() {
            BoardRead::Current(board)
        } else {
            BoardRead::Rebuilding(&self.empty)
        }
    }
}

/// The risk board as one area tree reads it (see [`RiskDesk::read`]).
enum BoardRead<'a> {
    /// The board, built for that tree.
    Current(RwLockReadGuard<'a, RiskBoard>),
    /// An empty board: the real one is of another tree until rebuilt.
    Rebuilding(&'a RiskBoard),
}

impl std::ops::Deref for BoardRead<'_> {
    type Target = RiskBoard;
    fn deref(&self) -> &RiskBoard {
        match self {
            BoardRead::Current(board) => board,
            BoardRead::Rebuilding(empty) => empty,
        }
    }
}

/// A grid's risk as lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct GridRow {
    /// The grid's code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its community's code.
    pub parent: Option<String>,
    /// The score.
    pub score: f64,
    /// 1 (red) to 4 (blue).
    pub level: RiskLevel,
    /// `red`, `orange`, `yellow` or `blue`.
    pub colour: &'static str,
    /// The score by part.
    pub parts: Parts,
}

/// A grid's breakdown: the row, every factor, and the trend.
#[derive(Debug, Clone, Serialize)]
pub struct GridDetail {
    /// The grid's risk now.
    #[serde(flatten)]
    pub row: GridRow,
    /// What makes it up, largest first, each with a readable name.
    pub factors: Vec<FactorView>,
    /// One point per day (the day's last snapshot; today: now).
    pub trend: Vec<TrendPoint>,
    /// When it was computed.
    pub computed_ms: EpochMs,
}

/// One factor with what a commander reads.
#[derive(Debug, Clone, Serialize)]
pub struct FactorView {
    /// The factor.
    #[serde(flatten)]
    pub factor: Factor,
    /// The source's, place's or incident category's name.
    pub name: String,
    /// A risk source's category, a key place's kind, an incident's category code.
    pub category: String,
    /// A risk source's level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<RiskLevel>,
}

/// One day of a trend.
#[derive(Debug, Clone, Serialize)]
pub struct TrendPoint {
    /// `YYYY-MM-DD` (China).
    pub day: String,
    /// The score.
    pub score: f64,
    /// 1 (red) to 4 (blue).
    pub level: u8,
}

/// An area's grids summed up.
#[derive(Debug, Clone, Serialize)]
pub struct AreaRisk {
    /// The area's code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its level in the tree.
    pub area_level: AreaLevel,
    /// The summary.
    #[serde(flatten)]
    pub rollup: Rollup,
    /// The worst grid's colour.
    pub worst: &'static str,
}

impl App {
    /// Rebuilds the board from the engine and every incident (at start,
    /// and after an import of areas, risk sources or key places); every
    /// viewer is resynced by the import, so nothing is pushed.
    pub fn rebuild_risk(&self, now: EpochMs) {
        let engine = self.engine.read();
        let signals = self.risk_signals(now);
        let mut board = self.risk.board.write();
        board.rebuild(&engine);
        board.set_incidents(engine.areas(), signals);
        let told = board
            .scores(now)
            .map(|(g, r)| (g, (tenths(r.score), r.level)))
            .collect();
        *self.risk.told.lock() = told;
    }

    /// Every incident as the model sees it now.
    fn risk_signals(&self, now: EpochMs) -> Vec<IncidentSignal> {
        self.incidents
            .book()
            .iter()
            .map(|e| signal(e, now))
            .collect()
    }

    /// Puts a changed incident on the board and pushes the grids it
    /// changed. Called with no lock held: the incident book's guard must
    /// not be held while the engine's is taken (the other order is the
    /// rule).
    pub(super) fn risk_incident(&self, id: &str, now: EpochMs) {
        let Some(signal) = self.incidents.book().get(id).map(|e| signal(e, now)) else {
            return;
        };
        let engine = self.engine.read();
        let tree = engine.areas();
        let touched = {
            let mut board = self.risk.board.write();
            if board.tree_generation() != tree.generation() {
                // The import that replaced the tree rebuilds the board.
                return;
            }
            board.upsert_incident(tree, signal)
        };
        self.push_risk(tree, touched, now, true);
    }

    /// Re-reads every grid (incidents age, warnings turn red) and pushes
    /// those whose level changed or whose score moved by a point or more.
    pub fn refresh_risk(&self, now: EpochMs) {
        let engine = self.engine.read();
        let tree = engine.areas();
        let signals = self.risk_signals(now);
        let grids: Vec<AreaIdx> = {
            let mut board = self.risk.board.write();
            if board.tree_generation() != tree.generation() {
                return;
            }
            board.set_incidents(tree, signals);
            let mut grids: Vec<AreaIdx> = board.scores(now).map(|(g, _)| g).collect();
            grids.extend(self.risk.told.lock().keys().copied());
            grids
        };
        self.push_risk(tree, grids, now, false);
    }

    /// Pushes `grid_risk` for the grids whose risk differs from what was
    /// told (`exact`: any change of a tenth; else a level or a whole point).
    fn push_risk(&self, tree: &AreaTree, grids: Vec<AreaIdx>, now: EpochMs, exact: bool) {
        let board = self.risk.board.read();
        let mut told = self.risk.told.lock();
        for g in grids {
            let r = board.grid(g, now);
            let now_told = (tenths(r.score), r.level);
            let before = told.get(&g).copied().unwrap_or((0, RiskLevel::Low));
            let moved = if exact {
                now_told != before
            } else {
                now_told.1 != before.1 || (now_told.0 - before.0).abs() >= 10
            };
            if !moved {
                continue;
            }
            if now_told.0 == 0 {
                told.remove(&g);
            } else {
                told.insert(g, now_told);
            }
            let text = json!({ "type": "grid_risk", "grids": [row(tree, g, r)] }).to_string();
            self.hub.publish(Event {
                text: text.into(),
                layer: Layers::RISK,
                reach: Reach::of(Some(g), tree),
                at: None,
            });
        }
    }

    /// The scores at which grids turn yellow, orange and red.
    #[must_use]
    pub fn risk_thresholds(&self) -> riskmap_engine::risk::Thresholds {
        self.risk.board.read().weights().thresholds
    }

    /// The grids of a snapshot: those in scope meeting the box with any
    /// risk (the rest are blue, score 0).
    #[must_use]
    pub fn risk_for_snapshot(&self, engine: &Engine, scope: Scope, bbox: [f64; 4]) -> Vec<GridRow> {
        let tree = engine.areas();
        let board = self.risk.read(tree);
        let now = crate::clock::now_ms();
        let mut rows: Vec<GridRow> = riskmap_engine::layer::split_bbox(bbox)
            .into_iter()
            .flat_map(|r| tree.in_bbox(r, Some(AreaLevel::Grid)).collect::<Vec<_>>())
            .filter(|&g| scope.contains(Some(g), tree))
            .map(|g| row(tree, g, board.grid(g, now)))
            .filter(|r| r.score > 0.0)
            .collect();
        rows.sort_unstable_by(|a, b| a.code.cmp(&b.code));
        rows.dedup_by(|a, b| a.code == b.code);
        rows
    }

    /// The grids under `area` (default: the user's whole area) the user may
    /// see, at `level` or worse if given, riskiest first.
    pub fn risk_grids(
        &self,
        user: &User,
        area: Option<&str>,
        level: Option<RiskLevel>,
    ) -> Result<Vec<GridRow>, RiskError> {
        let mut rows = Vec::new();
        {
            let engine = self.engine.read();
            let tree = engine.areas();
            let roots = roots(user, area, tree)?;
            let board = self.risk.read(tree);
            let now = crate::clock::now_ms();
            let mut stack = roots;
            while let Some(a) = stack.pop() {
                if tree.get(a).level == AreaLevel::Grid {
                    let r = board.grid(a, now);
                    if level.is_none_or(|l| r.level <= l) {
                        rows.push(row(tree, a, r));
                    }
                }
                stack.extend_from_slice(tree.children(a));
            }
        }
        // Ordered once the engine's and the board's reads are let go.
        rows.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.code.cmp(&b.code))
        });
        Ok(rows)
    }

    /// An area's summary and its children's (the drill-down).
    pub fn risk_area(
        &self,
        user: &User,
        code: &str,
    ) -> Result<(AreaRisk, Vec<AreaRisk>), RiskError> {
        let engine = self.engine.read();
        let tree = engine.areas();
        let a = visible_area(user, code, tree)?;
        let board = self.risk.read(tree);
        let (whole, children) = board.rollup_with_children(tree, a, crate::clock::now_ms());
        let sum = |a: AreaIdx, rollup: Rollup| {
            let area = tree.get(a);
            AreaRisk {
                code: area.code.clone(),
                name: area.name.clone(),
                area_level: area.level,
                worst: rollup.worst().colour(),
                rollup,
            }
        };
        let children = tree.children(a).iter().zip(children);
        Ok((sum(a, whole), children.map(|(&c, r)| sum(c, r)).collect()))
    }

    /// A grid's breakdown and its trend over the last [`TREND_DAYS`].
    pub async fn risk_grid(&self, user: &User, code: &str) -> Result<GridDetail, RiskError> {
        let now = crate::clock::now_ms();
        let (row, factors) = {
            let engine = self.engine.read();
            let tree = engine.areas();
            let g = visible_area(user, code, tree)?;
            if tree.get(g).level != AreaLevel::Grid {
                return Err(RiskError::Invalid(format!("{code} is not a grid")));
            }
            let board = self.risk.read(tree);
            let factors = board
                .factors(g, now)
                .into_iter()
                .map(|f| self.factor_view(&engine, f))
                .collect();
            (row(tree, g, board.grid(g, now)), factors)
        };
        let from = self.local_day(now - (TREND_DAYS - 1) * 86_400_000);
        let today = self.local_day(now);
        let mut trend: Vec<TrendPoint> = self
            .store
            .risk_days(code, &from)
            .await?
            .into_iter()
            .filter(|d| d.day != today)
            .map(|d| TrendPoint {
                day: d.day,
                score: d.score,
                level: d.level,
            })
            .collect();
        trend.push(TrendPoint {
            day: today,
            score: row.score,
            level: u8::from(row.level),
        });
        Ok(GridDetail {
            row,
            factors,
            trend,
            computed_ms: now,
        })
    }

    fn factor_view(&self, engine: &Engine, factor: Factor) -> FactorView {
        use riskmap_engine::risk::FactorKind as K;
        let (name, category, level) = match factor.kind {
            K::RiskSource => engine
                .risk_sources()
                .find(&factor.id)
                .and_then(|i| engine.risk_sources().get(i))
                .map(|r| (r.name.clone(), r.category.clone(), Some(r.level)))
                .unwrap_or_default(),
            K::KeyPlace => engine
                .key_places()
                .find(&factor.id)
                .and_then(|i| engine.key_places().get(i))
                .map(|k| (k.name.clone(), k.category.clone(), None))
                .unwrap_or_default(),
            K::Incident | K::CameraAlarm => {
                let book = self.incidents.book();
                let category = book
                    .get(&factor.id)
                    .map(|e| e.incident.category.clone())
                    .unwrap_or_default();
                let name = self
                    .incidents
                    .dictionary()
                    .category(&category)
                    .map(|c| c.name.clone())
                    .unwrap_or_default();
                (name, category, None)
            }
        };
        FactorView {
            factor,
            name,
            category,
            level,
        }
    }

    /// The city's calendar day of an instant (the work calendar's offset,
    /// UTC+8 by default), `YYYY-MM-DD`.
    #[must_use]
    pub fn local_day(&self, t: EpochMs) -> String {
        self.incidents
            .dictionary()
            .calendar()
            .date_of(t)
            .format("%Y-%m-%d")
            .to_string()
    }

    /// Writes today's snapshot of every grid (rewritten through the day);
    /// the number of grids written, none while an areas import has the
    /// board to rebuild.
    pub async fn record_risk_day(&self, now: EpochMs) -> Result<usize, StoreError> {
        let day = self.local_day(now);
        let days: Vec<RiskDay> = {
            let engine = self.engine.read();
            let tree = engine.areas();
            // Mid-import, today's snapshot waits for the next pass rather
            // than record every grid as blue.
            let BoardRead::Current(board) = self.risk.read(tree) else {
                return Ok(0);
            };
            tree.iter()
                .filter(|(_, a)| a.level == AreaLevel::Grid)
                .map(|(g, a)| {
                    let r = board.grid(g, now);
                    RiskDay {
                        day: day.clone(),
                        grid: a.code.clone(),
                        score: round2(r.score),
                        level: u8::from(r.level),
                    }
                })
                .collect()
        };
        self.store.put_risk_days(&days).await?;
        Ok(days.len())
    }
}

/// An incident as the model sees it: open (in the loop), overdue (red now,
/// or closed late), a camera's, merged.
fn signal(e: &Entry, now: EpochMs) -> IncidentSignal {
    let i = &e.incident;
    IncidentSignal {
        id: i.id.clone(),
        grid: i.grid.clone(),
        category: i.category.clone(),
        priority: i.priority.as_str().to_owned(),
        reported_ms: i.created_ms,
        open: i.is_open(),
        overdue: (i.is_open() && e.timing.warning(now) == Warning::Red) || i.on_time == Some(false),
        camera: i.source == Source::Camera,
        merged_into: i.merged_into.clone(),
    }
}

fn row(tree: &AreaTree, g: AreaIdx, r: GridRisk) -> GridRow {
    let a = tree.get(g);
    GridRow {
        code: a.code.clone(),
        name: a.name.clone(),
        parent: a.parent.clone(),
        score: round2(r.score),
        level: r.level,
        colour: r.level.colour(),
        parts: Parts {
            risk_sources: round2(r.parts.risk_sources),
            key_places: round2(r.parts.key_places),
            incidents: round2(r.parts.incidents),
            camera_alarms: round2(r.parts.camera_alarms),
        },
    }
}

/// The areas to list from: `area` if the user may see it, else the user's
/// whole area.
fn roots(user: &User, area: Option<&str>, tree: &AreaTree) -> Result<Vec<AreaIdx>, RiskError> {
    if let Some(code) = area {
        return Ok(vec![visible_area(user, code, tree)?]);
    }
    Ok(Scope::of(user, tree).tops(tree))
}

fn visible_area(user: &User, code: &str, tree: &AreaTree) -> Result<AreaIdx, RiskError> {
    tree.idx(code)
        .filter(|&a| Scope::of(user, tree).contains(Some(a), tree))
        .ok_or_else(|| RiskError::NotFound(format!("no area {code:?} in your area")))
}

fn tenths(score: f64) -> i64 {
    (score * 10.0).round() as i64
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
