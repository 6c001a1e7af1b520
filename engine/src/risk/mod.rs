//! 风险等级研判 — each grid's risk score and four-colour level (红橙黄蓝),
//! with the breakdown a commander reads: the risk sources of every geometry
//! (points where they stand, lines and areas by their [share](share) of the
//! grid), key places by kind, and the incidents of the last weeks decaying
//! with age (open, overdue and repeated ones weighing more; camera alarms
//! apart).
//!
//! The [`RiskBoard`] keeps what each grid is made of. The static part is
//! rebuilt from the engine's layers when a layer is imported; incidents are
//! put in one at a time as they change (the grid's score is then current at
//! once) or all at once. A score is read at a time `now`, since incidents
//! decay.

mod share;
mod weights;

#[cfg(test)]
#[allow(clippy::float_cmp)] // scores of exact weights
mod tests;

use rustc_hash::FxHashMap;
use serde::Serialize;

pub use share::{area_share, line_share};
pub use weights::{RiskWeights, Thresholds};

use crate::Engine;
use crate::areas::{AreaIdx, AreaTree};
use crate::layer::{Layer, LayerItem, Shape, shape_bounds};
use crate::model::{AreaLevel, EpochMs, RiskLevel};

/// An incident as the model sees it (the server's incident, reduced).
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentSignal {
    /// Its id.
    pub id: String,
    /// Code of the grid it lies in.
    pub grid: String,
    /// Its category code.
    pub category: String,
    /// Its priority (`normal`, `urgent`, `emergency`).
    pub priority: String,
    /// When it was reported.
    pub reported_ms: EpochMs,
    /// Still in the loop (not closed, cancelled or merged).
    pub open: bool,
    /// Past its time limit.
    pub overdue: bool,
    /// Raised by a camera alarm.
    pub camera: bool,
    /// The incident it was merged into: it counts there, as a repeat.
    pub merged_into: Option<String>,
}

/// What a factor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    /// 风险源.
    RiskSource,
    /// 重点场所.
    KeyPlace,
    /// 事件.
    Incident,
    /// 视频告警 — an incident a camera raised.
    CameraAlarm,
}

/// One contribution to a grid's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Factor {
    /// What it is.
    pub kind: FactorKind,
    /// Its id in its layer, or the incident's id.
    pub id: String,
    /// Its full points (by level and category, or priority and category).
    pub base: f64,
    /// How much of it counts here: the share of a line or area in the grid,
    /// 1 for a point; for an incident, what its age leaves.
    pub share: f64,
    /// For an incident: reports merged into it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeats: Option<u32>,
    /// The points it adds.
    pub points: f64,
}

/// A grid's score by part.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Parts {
    /// From risk sources.
    pub risk_sources: f64,
    /// From key places.
    pub key_places: f64,
    /// From incidents (not camera alarms).
    pub incidents: f64,
    /// From camera alarms.
    pub camera_alarms: f64,
}

/// A grid's risk now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridRisk {
    /// The sum of the parts.
    pub score: f64,
    /// Its colour.
    pub level: RiskLevel,
    /// The parts.
    pub parts: Parts,
}

/// An area's grids, summed up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rollup {
    /// Grids in the area.
    pub grids: u32,
    /// The sum of their scores.
    pub score: f64,
    /// The highest grid score.
    pub max_score: f64,
    /// Grids per level: red, orange, yellow, blue.
    pub counts: [u32; 4],
}

impl Rollup {
    /// Both summed up (an area of the two's grids).
    #[must_use]
    pub fn merged(self, other: &Rollup) -> Rollup {
        let mut counts = self.counts;
        for (c, o) in counts.iter_mut().zip(other.counts) {
            *c += o;
        }
        Rollup {
            grids: self.grids + other.grids,
            score: self.score + other.score,
            max_score: self.max_score.max(other.max_score),
            counts,
        }
    }

    /// The worst level among the grids (blue for none).
    #[must_use]
    pub fn worst(&self) -> RiskLevel {
        let levels = [RiskLevel::Major, RiskLevel::Significant, RiskLevel::General];
        levels
            .into_iter()
            .zip(self.counts)
            .find(|&(_, n)| n > 0)
            .map_or(RiskLevel::Low, |(l, _)| l)
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Fixed {
    kind: FactorKind,
    id: String,
    base: f64,
    share: f64,
}

impl Fixed {
    fn points(&self) -> f64 {
        self.base * self.share
    }
}

/// An incident's [`Factor`] but its id.
struct IncidentPoints {
    kind: FactorKind,
    base: f64,
    share: f64,
    repeats: u32,
    points: f64,
}

#[derive(Debug, Default)]
struct GridBook {
    fixed: Vec<Fixed>,
    /// Ids of the incidents placed here.
    incidents: Vec<String>,
}

/// Every grid's inputs, kept current.
#[derive(Debug)]
pub struct RiskBoard {
    weights: RiskWeights,
    /// The area tree generation the grid indexes belong to.
    tree: u64,
    grids: FxHashMap<AreaIdx, GridBook>,
    /// Every incident, with the grid it is placed in.
    incidents: FxHashMap<String, (IncidentSignal, Option<AreaIdx>)>,
    /// Reports merged into each incident.
    repeats: FxHashMap<String, u32>,
}

impl RiskBoard {
    /// An empty board.
    #[must_use]
    pub fn new(weights: RiskWeights) -> Self {
        RiskBoard {
            weights,
            tree: u64::MAX,
            grids: FxHashMap::default(),
            incidents: FxHashMap::default(),
            repeats: FxHashMap::default(),
        }
    }

    /// The weights in force.
    #[must_use]
    pub fn weights(&self) -> &RiskWeights {
        &self.weights
    }

    /// The area tree generation the board was built for.
    #[must_use]
    pub fn tree_generation(&self) -> u64 {
        self.tree
    }

    /// Rebuilds the static part from the engine's layers (after an import)
    /// and places every incident in the engine's grids again.
    pub fn rebuild(&mut self, engine: &Engine) {
        let tree = engine.areas();
        self.tree = tree.generation();
        self.grids.clear();
        let w = &self.weights;
        let mut fixed: Vec<(AreaIdx, Fixed)> = Vec::new();
        place(
            engine.risk_sources(),
            tree,
            FactorKind::RiskSource,
            |r| w.source_points(r.level, &r.category),
            w.line_full_km,
            &mut fixed,
        );
        place(
            engine.key_places(),
            tree,
            FactorKind::KeyPlace,
            |k| w.place_points(&k.category),
            w.line_full_km,
            &mut fixed,
        );
        for (grid, f) in fixed {
            self.grids.entry(grid).or_default().fixed.push(f);
        }
        for (signal, placed) in self.incidents.values_mut() {
            *placed = tree.idx(&signal.grid);
            if let Some(g) = *placed {
                self.grids
                    .entry(g)
                    .or_default()
                    .incidents
                    .push(signal.id.clone());
            }
        }
    }

    /// Replaces every incident.
    pub fn set_incidents(
        &mut self,
        tree: &AreaTree,
        signals: impl IntoIterator<Item = IncidentSignal>,
    ) {
        self.incidents.clear();
        self.repeats.clear();
        for book in self.grids.values_mut() {
            book.incidents.clear();
        }
        for s in signals {
            self.upsert_incident(tree, s);
        }
    }

    /// Puts in one incident as it is now; answers the grids whose score it
    /// may have changed (where it was, where it is, and the grids of the
    /// incidents it was or is merged into).
    pub fn upsert_incident(&mut self, tree: &AreaTree, signal: IncidentSignal) -> Vec<AreaIdx> {
        let mut touched = Vec::with_capacity(2);
        if let Some((old, at)) = self.incidents.remove(&signal.id) {
            if let Some(g) = at {
                touched.push(g);
                if let Some(book) = self.grids.get_mut(&g) {
                    book.incidents.retain(|id| *id != old.id);
                }
            }
            if let Some(target) = &old.merged_into {
                if let Some(n) = self.repeats.get_mut(target) {
                    *n = n.saturating_sub(1);
                }
                touched.extend(self.grid_of_incident(target));
            }
        }
        let at = tree.idx(&signal.grid);
        if let Some(g) = at {
            touched.push(g);
            self.grids
                .entry(g)
                .or_default()
                .incidents
                .push(signal.id.clone());
        }
        if let Some(target) = &signal.merged_into {
            *self.repeats.entry(target.clone()).or_default() += 1;
            touched.extend(self.grid_of_incident(target));
        }
        self.incidents.insert(signal.id.clone(), (signal, at));
        touched.sort_unstable();
        touched.dedup();
        touched
    }

    fn grid_of_incident(&self, id: &str) -> Option<AreaIdx> {
        self.incidents.get(id).and_then(|(_, at)| *at)
    }

    /// A grid's risk at `now` (blue and zero for a grid with nothing).
    ///
    /// Read for every grid of a rollup, a snapshot and the ageing pass, so
    /// only the factors' points are made (not the factors, whose ids are
    /// copies), and summed in the order [`Self::factors`] gives them: the
    /// score is its breakdown's sum to the last bit, on every node.
    #[must_use]
    pub fn grid(&self, grid: AreaIdx, now: EpochMs) -> GridRisk {
        let mut points: Vec<(FactorKind, f64)> = Vec::new();
        if let Some(book) = self.grids.get(&grid) {
            points.reserve_exact(book.fixed.len() + book.incidents.len());
            points.extend(book.fixed.iter().map(|f| (f.kind, f.points())));
            points.extend(book.incidents.iter().filter_map(|id| {
                let (s, _) = self.incidents.get(id)?;
                self.incident_points(s, now).map(|p| (p.kind, p.points))
            }));
        }
        // Equal points may stand in either order: the sums are the same.
        points.sort_unstable_by(|a, b| b.1.total_cmp(&a.1));
        let mut parts = Parts::default();
        for (kind, p) in points {
            let part = match kind {
                FactorKind::RiskSource => &mut parts.risk_sources,
                FactorKind::KeyPlace => &mut parts.key_places,
                FactorKind::Incident => &mut parts.incidents,
                FactorKind::CameraAlarm => &mut parts.camera_alarms,
            };
            *part += p;
        }
        let score = parts.risk_sources + parts.key_places + parts.incidents + parts.camera_alarms;
        GridRisk {
            score,
            level: self.weights.level(score),
            parts,
        }
    }

    /// What makes up a grid's score at `now`, largest first (incidents that
    /// count nothing any more are left out).
    #[must_use]
    pub fn factors(&self, grid: AreaIdx, now: EpochMs) -> Vec<Factor> {
        let Some(book) = self.grids.get(&grid) else {
            return Vec::new();
        };
        let mut out: Vec<Factor> = book
            .fixed
            .iter()
            .map(|f| Factor {
                kind: f.kind,
                id: f.id.clone(),
                base: f.base,
                share: f.share,
                repeats: None,
                points: f.points(),
            })
            .collect();
        out.extend(book.incidents.iter().filter_map(|id| {
            let (s, _) = self.incidents.get(id)?;
            let p = self.incident_points(s, now)?;
            Some(Factor {
                kind: p.kind,
                id: s.id.clone(),
                base: p.base,
                share: p.share,
                repeats: Some(p.repeats),
                points: p.points,
            })
        }));
        out.sort_by(|a, b| b.points.total_cmp(&a.points).then_with(|| a.id.cmp(&b.id)));
        out
    }

    /// What an incident adds now, `None` once it counts nothing (merged, or
    /// aged out).
    fn incident_points(&self, s: &IncidentSignal, now: EpochMs) -> Option<IncidentPoints> {
        if s.merged_into.is_some() {
            return None;
        }
        let w = &self.weights;
        let decay = w.decay(now - s.reported_ms);
        if decay <= 0.0 {
            return None;
        }
        let base = w.incident_priority.get(&s.priority).copied().unwrap_or(0.0)
            * w.incident_category.get(&s.category).copied().unwrap_or(1.0);
        let repeats = self.repeats.get(&s.id).copied().unwrap_or(0);
        let factor = |on: bool, f: f64| if on { f } else { 1.0 };
        let points = base
            * decay
            * factor(s.open, w.open_factor)
            * factor(s.overdue, w.overdue_factor)
            * factor(s.camera, w.camera_factor)
            * (1.0 + w.repeat_factor * f64::from(repeats));
        Some(IncidentPoints {
            kind: if s.camera {
                FactorKind::CameraAlarm
            } else {
                FactorKind::Incident
            },
            base,
            share: decay,
            repeats,
            points,
        })
    }

    /// Every grid of `tree` with anything in it, and its risk at `now`.
    pub fn scores(&self, now: EpochMs) -> impl Iterator<Item = (AreaIdx, GridRisk)> + '_ {
        self.grids.keys().map(move |&g| (g, self.grid(g, now)))
    }

    /// The grids under `area` (itself, if a grid) summed up at `now`.
    #[must_use]
    pub fn rollup(&self, tree: &AreaTree, area: AreaIdx, now: EpochMs) -> Rollup {
        let mut r = Rollup::default();
        let mut stack = vec![area];
        while let Some(a) = stack.pop() {
            if tree.get(a).level == AreaLevel::Grid {
                let g = self.grid(a, now);
                r.grids += 1;
                r.score += g.score;
                r.max_score = r.max_score.max(g.score);
                r.counts[usize::from(u8::from(g.level)) - 1] += 1;
            }
            stack.extend_from_slice(tree.children(a));
        }
        r
    }

    /// `area` summed up, and each of its children (the drill-down's
    /// legend) in the order of the tree, walking the grids once: an area's
    /// grids are its children's.
    #[must_use]
    pub fn rollup_with_children(
        &self,
        tree: &AreaTree,
        area: AreaIdx,
        now: EpochMs,
    ) -> (Rollup, Vec<Rollup>) {
        let children: Vec<Rollup> = tree
            .children(area)
            .iter()
            .map(|&c| self.rollup(tree, c, now))
            .collect();
        let whole = if tree.get(area).level == AreaLevel::Grid {
            self.rollup(tree, area, now)
        } else {
            children.iter().fold(Rollup::default(), Rollup::merged)
        };
        (whole, children)
    }
}

/// Places every feature of a layer: a point in the grid the engine placed
/// it in, a line or an area in every grid it meets, by its share.
fn place<T: LayerItem>(
    layer: &Layer<T>,
    tree: &AreaTree,
    kind: FactorKind,
    base: impl Fn(&T) -> f64,
    line_full_km: f64,
    out: &mut Vec<(AreaIdx, Fixed)>,
) {
    for (idx, item) in layer.iter() {
        let base = base(item);
        let fixed = |share: f64| Fixed {
            kind,
            id: item.id().to_owned(),
            base,
            share,
        };
        let shape = item.shape();
        if let Shape::Point(_) = shape {
            if let Some(g) = layer.grid(idx) {
                out.push((g, fixed(1.0)));
            }
            continue;
        }
        let Some(bounds) = shape_bounds(shape) else {
            continue;
        };
        for g in tree.in_bbox(bounds, Some(AreaLevel::Grid)) {
            let grid = &tree.get(g).geometry;
            let share = match shape {
                Shape::Line(ml) => line_share(ml, grid, line_full_km),
                Shape::Area(mp) => area_share(mp, grid, geo::Area::unsigned_area(grid)),
                Shape::Point(_) => 0.0,
            };
            if share > 0.0 {
                out.push((g, fixed(share)));
            }
        }
    }
}
