//! 研判 analysis views over the incident book: the heat map, trends, top
//! grids and categories and repeat hot spots of the user's area (分级授权)
//! over a period (the rules are `incident/analysis.rs`).

use h3o::Resolution;
use riskmap_engine::model::EpochMs;
use riskmap_engine::{AreaIdx, AreaTree};
use rustc_hash::FxHashMap;

use super::App;
use super::risk::RiskError;
use crate::identity::{Scope, User};
use crate::incident::analysis::{Analysis, Count, Question, Sample, analyse, sample};

/// The longest period one analysis covers.
pub const MAX_DAYS: i64 = 366;
const DAY_MS: i64 = 86_400_000;

/// What a client asks.
#[derive(Debug, Clone, Default)]
pub struct AnalysisIn<'a> {
    /// Only under this area (default: the user's whole area).
    pub area: Option<&'a str>,
    /// From (default: 30 days before `to`).
    pub from: Option<EpochMs>,
    /// To (default: now).
    pub to: Option<EpochMs>,
    /// Only this minor category.
    pub category: Option<&'a str>,
    /// H3 resolution, 5 to 11 (default 9, cells of about 0.1 km²).
    pub resolution: Option<u8>,
    /// Days that make a hot spot (default 3).
    pub repeat_days: Option<usize>,
}

impl App {
    /// The analysis of the incidents the user may see.
    pub fn analyse_incidents(
        &self,
        user: &User,
        q: &AnalysisIn<'_>,
    ) -> Result<Analysis, RiskError> {
        let bad = |m: String| Err(RiskError::Invalid(m));
        let to = q.to.unwrap_or_else(crate::clock::now_ms);
        let from = q.from.unwrap_or(to - 30 * DAY_MS);
        if from >= to || to - from > MAX_DAYS * DAY_MS {
            return bad(format!(
                "the period must be from before to, and at most {MAX_DAYS} days"
            ));
        }
        let resolution = match q.resolution.unwrap_or(9) {
            r @ 5..=11 => Resolution::try_from(r).map_err(|e| RiskError::Invalid(e.to_string()))?,
            other => return bad(format!("resolution must be 5 to 11, got {other}")),
        };
        let repeat_days = q.repeat_days.unwrap_or(3);
        if !(1..=366).contains(&repeat_days) {
            return bad(format!("repeat_days must be 1 to 366, got {repeat_days}"));
        }
        let dict = self.incidents.dictionary();
        if let Some(c) = q.category
            && dict.category(c).is_none()
        {
            return Err(RiskError::NotFound(format!("no category {c:?}")));
        }
        // The tree is shared, so the engine's read is let go at once: the
        // scan takes a year's incidents (0.4 s at 200,000), and every fix
        // waits for the engine's write.
        let tree = self.engine.read().areas_shared();
        let tree = &*tree;
        let mut scope = Scope::of(user, tree);
        if let Some(code) = q.area {
            let a = tree
                .idx(code)
                .filter(|&a| scope.contains(Some(a), tree))
                .ok_or_else(|| RiskError::NotFound(format!("no area {code:?} in your area")))?;
            scope = scope.narrow(a, tree);
        }
        let question = Question {
            from,
            to,
            category: q.category,
            resolution,
            repeat_days,
        };
        // Copied out a slice of the book at a time (a year is tens of
        // milliseconds of copying, which a report would wait for), counted
        // after.
        let mut samples = Vec::new();
        self.incidents.each_reported(Some(from), Some(to), |e| {
            if scope.contains(tree.idx(&e.incident.grid), tree)
                && let Some(s) = sample(e, &question)
            {
                samples.push(s);
            }
        });
        let mut a = analyse(&samples, &question, |t| dict.calendar().date_of(t));
        a.by_area = by_child_area(&samples, scope, tree);
        for g in &mut a.top_grids {
            g.name = tree.idx(&g.key).map(|i| tree.get(i).name.clone());
        }
        for c in &mut a.top_categories {
            c.name = dict.category(&c.key).map(|c| c.name.clone());
        }
        Ok(a)
    }
}

/// The incidents of the question per child area of the scope's top (one
/// top: its children; the whole system: its roots), most first.
fn by_child_area(samples: &[Sample], scope: Scope, tree: &AreaTree) -> Vec<Count> {
    let tops = scope.tops(tree);
    let children: Vec<AreaIdx> = match tops.as_slice() {
        [one] => tree.children(*one).to_vec(),
        many => many.to_vec(),
    };
    let mut counts: FxHashMap<AreaIdx, u32> = children.iter().map(|&c| (c, 0)).collect();
    for s in samples {
        let Some(grid) = tree.idx(&s.grid) else {
            continue;
        };
        if let Some(&child) = children.iter().find(|&&c| tree.is_within(grid, c)) {
            *counts.entry(child).or_default() += 1;
        }
    }
    let mut out: Vec<Count> = counts
        .into_iter()
        .map(|(c, count)| Count {
            key: tree.get(c).code.clone(),
            count,
            name: Some(tree.get(c).name.clone()),
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    out
}
