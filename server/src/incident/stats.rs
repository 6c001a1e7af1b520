//! Incident statistics for an area subtree: counts by state, the on-time
//! completion rate (按时办结率, report-only excluded), mean time per step,
//! rework rate, and counts per grid, category and source. Counts and rates
//! are over incidents reported in the period; `overdue` and `warnings` are
//! over what is open now, whenever it was reported (the overdue list of a
//! big screen must not forget yesterday's).

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::book::Entry;
use super::model::{Source, State, Step};
use super::timing::Warning;

/// The figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// Incidents reported in the period (report-only included).
    pub total: u64,
    /// By state (every state present, zero or not).
    pub by_state: BTreeMap<&'static str, u64>,
    /// 事件报备 records among them.
    pub report_only: u64,
    /// Handled (办结, and not sent back since), report-only excluded.
    pub handled: u64,
    /// Of which within the overall limit.
    pub handled_on_time: u64,
    /// `handled_on_time / handled`; `None` when nothing was handled.
    pub on_time_rate: Option<f64>,
    /// Handled incidents that verification had sent back at least once.
    pub rework: u64,
    /// `rework / handled`.
    pub rework_rate: Option<f64>,
    /// Open and overdue now.
    pub overdue: u64,
    /// Open incidents by warning level now.
    pub warnings: BTreeMap<&'static str, u64>,
    /// Mean hours per step (natural hours), over the steps finished.
    pub mean_step_hours: BTreeMap<&'static str, Option<f64>>,
    /// Reported in the period, per grid code.
    pub by_grid: BTreeMap<String, u64>,
    /// Per minor category.
    pub by_category: BTreeMap<String, u64>,
    /// Per source (channel mix), every source present.
    pub by_source: BTreeMap<String, u64>,
    /// 群众满意度 of the incidents rated by their reporters.
    pub satisfaction: Satisfaction,
    /// Citizens' reports (随手拍) since the start of today (filled in by
    /// the caller, who knows the calendar).
    pub citizen_today: u64,
}

/// How the reporters rated the handling.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Satisfaction {
    /// Incidents rated.
    pub rated: u64,
    /// Mean score (1–5).
    pub average: Option<f64>,
    /// Share rated 4 or 5.
    pub satisfied_rate: Option<f64>,
}

/// Computes the figures from the incidents open now and those reported in
/// the period (both already scoped to the area).
pub fn compute<'a>(
    open: impl Iterator<Item = &'a Entry>,
    reported: impl Iterator<Item = &'a Entry>,
) -> Stats {
    let mut s = Stats {
        total: 0,
        by_state: State::ALL.iter().map(|st| (st.as_str(), 0)).collect(),
        report_only: 0,
        handled: 0,
        handled_on_time: 0,
        on_time_rate: None,
        rework: 0,
        rework_rate: None,
        overdue: 0,
        warnings: [Warning::Green, Warning::Yellow, Warning::Red]
            .iter()
            .map(|w| (w.as_str(), 0))
            .collect(),
        mean_step_hours: BTreeMap::new(),
        by_grid: BTreeMap::new(),
        by_category: BTreeMap::new(),
        by_source: BTreeMap::new(),
        satisfaction: Satisfaction::default(),
        citizen_today: 0,
    };
    for e in open {
        if let Some(n) = s.warnings.get_mut(e.warning.as_str()) {
            *n += 1;
        }
        if e.warning == Warning::Red {
            s.overdue += 1;
        }
    }
    // Counted under borrowed keys and named once at the end: a year of a
    // city is 200,000 incidents, and a key copied for each was most of the
    // time.
    let mut grids: FxHashMap<&str, u64> = FxHashMap::default();
    let mut categories: FxHashMap<&str, u64> = FxHashMap::default();
    let mut sources = [0_u64; Source::ALL.len()];
    let (mut satisfied, mut score_sum) = (0_u64, 0_u64);
    let mut step_sum = [(0i64, 0u64); 6];
    for e in reported {
        let i = &e.incident;
        s.total += 1;
        *s.by_state.entry(i.state.as_str()).or_default() += 1;
        *grids.entry(&i.grid).or_default() += 1;
        *categories.entry(&i.category).or_default() += 1;
        sources[i.source as usize] += 1;
        if let Some(r) = i.intake.as_ref().and_then(|x| x.rating.as_ref()) {
            s.satisfaction.rated += 1;
            score_sum += u64::from(r.score);
            satisfied += u64::from(r.satisfied());
        }
        if i.report_only {
            s.report_only += 1;
            continue;
        }
        // `on_time` is set at 办结 and cleared when verification sends the
        // incident back: it is exactly "handled now".
        if let Some(on_time) = i.on_time {
            s.handled += 1;
            if on_time {
                s.handled_on_time += 1;
            }
            if i.rework_count > 0 {
                s.rework += 1;
            }
        }
        for (sum, (ms, n)) in step_sum.iter_mut().zip(i.step_times) {
            sum.0 += ms;
            sum.1 += u64::from(n);
        }
    }
    let named = |m: FxHashMap<&str, u64>| m.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
    s.by_grid = named(grids);
    s.by_category = named(categories);
    s.by_source = Source::ALL
        .iter()
        .map(|&x| (source_name(x), sources[x as usize]))
        .collect();
    let ratio = |a: u64, b: u64| (b > 0).then(|| round4(a as f64 / b as f64));
    s.on_time_rate = ratio(s.handled_on_time, s.handled);
    s.rework_rate = ratio(s.rework, s.handled);
    s.satisfaction.satisfied_rate = ratio(satisfied, s.satisfaction.rated);
    s.satisfaction.average = ratio(score_sum, s.satisfaction.rated);
    s.mean_step_hours = Step::ALL
        .iter()
        .zip(step_sum)
        .map(|(st, (ms, n))| {
            (
                st.as_str(),
                (n > 0).then(|| round4(ms as f64 / n as f64 / 3_600_000.0)),
            )
        })
        .collect();
    s
}

/// A source's API name.
fn source_name(s: Source) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(ToOwned::to_owned))
        .unwrap_or_default()
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::book::Book;
    use crate::incident::dictionary::Dictionary;
    use crate::incident::model::{Incident, Source};
    use riskmap_engine::model::EpochMs;

    const H: i64 = 3_600_000;

    fn incident(id: &str, state: State, created: EpochMs) -> Incident {
        Incident {
            state,
            grid: "g1".into(),
            ..Incident::sample(id, created)
        }
    }

    /// Four incidents counted by hand.
    #[test]
    fn figures_match_a_hand_count() {
        let d = Dictionary::default_config();
        let t0 = 1_795_399_200_000; // Monday 10:00 in Beijing
        let mut a = incident("A", State::Closed, t0);
        a.on_time = Some(true);
        a.handled_ms = Some(t0 + 2 * H);
        a.step_times = [(H, 1), (H, 1), (0, 0), (4 * H, 2), (H, 1), (0, 0)];
        a.rework_count = 1;
        let mut b = incident("B", State::Handled, t0);
        b.on_time = Some(false);
        b.handled_ms = Some(t0 + 90 * H);
        b.step_times = [(3 * H, 1), (H, 1), (2 * H, 1), (0, 0), (0, 0), (0, 0)];
        let mut c = incident("C", State::Closed, t0);
        c.report_only = true;
        c.source = Source::Hotline;
        // Reported long ago and still open: overdue, outside the period.
        let mut old = incident("D", State::Reported, t0 - 400 * H);
        old.grid = "g2".into();
        let now = t0 + 3 * H;
        let book = Book::load(
            [a, b, c, old].into_iter().map(|i| (i, 1)).collect(),
            &d,
            now,
        );
        let s = compute(book.open(), book.reported_in(Some(t0 - H), None));
        assert_eq!(s.total, 3);
        assert_eq!(s.report_only, 1);
        assert_eq!((s.handled, s.handled_on_time), (2, 1));
        assert_eq!(s.on_time_rate, Some(0.5));
        assert_eq!((s.rework, s.rework_rate), (1, Some(0.5)));
        assert_eq!(s.by_state["closed"], 2);
        assert_eq!(s.by_state["handled"], 1);
        // Overdue counts what is open now, whenever it was reported: D.
        assert_eq!(s.overdue, 1);
        assert_eq!(s.warnings["red"], 1);
        // B is open too (its verify step has 8 working hours).
        assert_eq!(s.warnings["green"], 1);
        // accept: (1 + 3) / 2 = 2 h; handle: 4 h over 2 runs = 2 h; sign: 2 h.
        assert_eq!(s.mean_step_hours["accept"], Some(2.0));
        assert_eq!(s.mean_step_hours["handle"], Some(2.0));
        assert_eq!(s.mean_step_hours["sign"], Some(2.0));
        assert_eq!(s.mean_step_hours["close"], None);
        assert_eq!(s.by_source["hotline"], 1);
        assert_eq!(s.by_source["patrol"], 2);
        assert_eq!(s.by_grid.get("g2"), None, "D is outside the period");
    }
}
