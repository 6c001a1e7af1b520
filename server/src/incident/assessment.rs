//! 考核: how each unit — a worker, a department, a grid, a street, a
//! district — did over a period, from the incidents reported in it.
//!
//! An incident counts for whoever found it (its reporter, or the area it
//! lies in) in `found` and `accepted`, and for whoever handled it (its
//! assignee, department or area) in everything else. Report-only records
//! (事件报备) are left out, as in the statistics. Pure: the caller says
//! which units an incident belongs to and names them.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::calendar::WorkCalendar;
use super::model::{Incident, State};
use riskmap_engine::model::EpochMs;

/// Which units are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 网格员 and other field staff.
    Worker,
    /// 部门.
    Department,
    /// 网格.
    Grid,
    /// 街镇.
    Street,
    /// 区县.
    District,
}

impl Level {
    /// Every level, as the API names them.
    pub const ALL: [Level; 5] = [
        Level::Worker,
        Level::Department,
        Level::Grid,
        Level::Street,
        Level::District,
    ];

    /// The API name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Worker => "worker",
            Level::Department => "department",
            Level::Grid => "grid",
            Level::Street => "street",
            Level::District => "district",
        }
    }

    /// Parses the API name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// The units an incident counts for.
#[derive(Debug, Clone, Default)]
pub struct Units {
    /// Who found it (`found`, `accepted`).
    pub finder: Option<String>,
    /// Who handled it (everything else).
    pub handler: Option<String>,
}

/// One unit's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Position in the ranking, from 1.
    pub rank: usize,
    /// The unit's code (staff id, department code, area code).
    pub key: String,
    /// Its name, where known.
    pub name: Option<String>,
    /// Incidents it found (reported).
    pub found: u32,
    /// Of those, accepted (not rejected, merged, or still waiting).
    pub accepted: u32,
    /// Incidents it handled that are closed (结案).
    pub closed: u32,
    /// Of its handled incidents with a verdict, the share on time.
    pub on_time_rate: Option<f64>,
    /// Of its handled incidents, the share sent back at verification.
    pub rework_rate: Option<f64>,
    /// Mean working hours from report to 办结.
    pub avg_handling_hours: Option<f64>,
    /// Times its incidents moved up a level.
    pub escalations: u32,
    /// 督办 orders issued on its incidents.
    pub supervisions: u32,
    /// 群众满意率: of its incidents its reporters rated, the share rated
    /// satisfied (4 or 5 of 5); `null` with no rating.
    pub satisfaction: Option<f64>,
}

#[derive(Debug, Default)]
struct Tally {
    found: u32,
    accepted: u32,
    closed: u32,
    judged: u32,
    on_time: u32,
    handled: u32,
    reworked: u32,
    handling_ms: i64,
    escalations: u32,
    supervisions: u32,
    rated: u32,
    satisfied: u32,
}

/// The ranking of the units `units` assigns to the incidents reported in
/// `[from, to)`: best on-time rate first (units without a verdict last),
/// then most closed, then by key. `name` names a unit.
pub fn rank<'a>(
    incidents: impl Iterator<Item = &'a Incident>,
    units: impl Fn(&Incident) -> Units,
    name: impl Fn(&str) -> Option<String>,
    calendar: &WorkCalendar,
    (from, to): (EpochMs, EpochMs),
) -> Vec<Row> {
    let mut tallies: HashMap<String, Tally> = HashMap::new();
    for inc in incidents.filter(|i| !i.report_only && i.created_ms >= from && i.created_ms < to) {
        let u = units(inc);
        if let Some(f) = u.finder {
            let t = tallies.entry(f).or_default();
            t.found += 1;
            if !matches!(inc.state, State::Reported | State::Rejected | State::Merged) {
                t.accepted += 1;
            }
        }
        let Some(h) = u.handler else { continue };
        let t = tallies.entry(h).or_default();
        t.closed += u32::from(inc.state == State::Closed);
        if let Some(on_time) = inc.on_time {
            t.judged += 1;
            t.on_time += u32::from(on_time);
        }
        if let Some(handled) = inc.handled_ms {
            t.handled += 1;
            t.reworked += u32::from(inc.rework_count > 0);
            t.handling_ms += calendar.working_ms_between(inc.created_ms, handled);
        }
        t.escalations += inc.chain.escalations;
        t.supervisions += inc.chain.supervisions;
        if let Some(r) = inc.intake.as_ref().and_then(|i| i.rating.as_ref()) {
            t.rated += 1;
            t.satisfied += u32::from(r.satisfied());
        }
    }
    let share = |n: u32, of: u32| (of > 0).then(|| round3(f64::from(n) / f64::from(of)));
    let mut rows: Vec<Row> = tallies
        .into_iter()
        .map(|(key, t)| Row {
            rank: 0,
            name: name(&key),
            found: t.found,
            accepted: t.accepted,
            closed: t.closed,
            on_time_rate: share(t.on_time, t.judged),
            rework_rate: share(t.reworked, t.handled),
            #[allow(clippy::cast_precision_loss)] // hours of a period
            avg_handling_hours: (t.handled > 0)
                .then(|| round3(t.handling_ms as f64 / 3_600_000.0 / f64::from(t.handled))),
            escalations: t.escalations,
            supervisions: t.supervisions,
            satisfaction: share(t.satisfied, t.rated),
            key,
        })
        .collect();
    rows.sort_by(|a, b| {
        let rate = |r: &Row| r.on_time_rate.unwrap_or(-1.0);
        rate(b)
            .total_cmp(&rate(a))
            .then(b.closed.cmp(&a.closed))
            .then_with(|| a.key.cmp(&b.key))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    rows
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The rows as CSV (a header, then one line a row; text fields quoted and
/// defused by `field`).
#[must_use]
pub fn csv(rows: &[Row], field: impl Fn(&str) -> String) -> String {
    let mut out = String::from(
        "rank,key,name,found,accepted,closed,on_time_rate,rework_rate,avg_handling_hours,\
         escalations,supervisions,satisfaction\r\n",
    );
    let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    for r in rows {
        let _ = write!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
            r.rank,
            field(&r.key),
            field(r.name.as_deref().unwrap_or_default()),
            r.found,
            r.accepted,
            r.closed,
            opt(r.on_time_rate),
            opt(r.rework_rate),
            opt(r.avg_handling_hours),
            r.escalations,
            r.supervisions,
            opt(r.satisfaction),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::calendar::CalendarConfig;
    use crate::incident::model::Chain;

    fn natural() -> WorkCalendar {
        // Every day a working day, all day: working time is natural time.
        WorkCalendar::new(CalendarConfig {
            utc_offset_minutes: 480,
            workdays: (1..=7).collect(),
            hours: vec![["00:00".into(), "24:00".into()]],
            holidays: vec![],
            extra_workdays: vec![],
        })
        .unwrap()
    }

    fn inc(id: &str, reporter: &str, handler: &str, state: State) -> Incident {
        Incident {
            state,
            reporter_staff: Some(reporter.into()),
            assignee_staff: Some(handler.into()),
            ..Incident::sample(id, 1_000)
        }
    }

    #[test]
    fn finders_and_handlers_are_counted_apart_and_ranked() {
        let mut a = inc("1", "S1", "S2", State::Closed);
        a.on_time = Some(true);
        a.handled_ms = Some(1_000 + 2 * 3_600_000);
        a.chain = Chain {
            escalations: 1,
            supervisions: 1,
            ..Chain::default()
        };
        let mut b = inc("2", "S1", "S3", State::Closed);
        b.on_time = Some(false);
        b.rework_count = 1;
        b.handled_ms = Some(1_000 + 4 * 3_600_000);
        let c = inc("3", "S2", "S3", State::Rejected);
        let filed = Incident {
            report_only: true,
            ..inc("4", "S1", "S2", State::Closed)
        };
        let late = Incident {
            created_ms: 10_000_000,
            ..inc("5", "S1", "S2", State::Closed)
        };
        let all = [a, b, c, filed, late];
        let rows = rank(
            all.iter(),
            |i| Units {
                finder: i.reporter_staff.clone(),
                handler: i.assignee_staff.clone(),
            },
            |k| Some(format!("name of {k}")),
            &natural(),
            (0, 5_000_000),
        );
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        // S2: on time 1/1; S3: 0/1; S1 handled nothing (no verdict) → last.
        assert_eq!(keys, ["S2", "S3", "S1"]);
        let s1 = &rows[2];
        assert_eq!((s1.found, s1.accepted, s1.on_time_rate), (2, 2, None));
        let s2 = &rows[0];
        assert_eq!(
            (
                s2.found,
                s2.accepted,
                s2.closed,
                s2.on_time_rate,
                s2.rework_rate
            ),
            (1, 0, 1, Some(1.0), Some(0.0))
        );
        assert_eq!((s2.escalations, s2.supervisions), (1, 1));
        assert_eq!(s2.avg_handling_hours, Some(2.0));
        let s3 = &rows[1];
        assert_eq!(
            (s3.rework_rate, s3.avg_handling_hours),
            (Some(1.0), Some(4.0))
        );
        assert_eq!(s3.name.as_deref(), Some("name of S3"));
        let text = csv(&rows, |f| format!("\"{f}\""));
        assert!(text.starts_with("rank,key,name,found"));
        assert_eq!(text.lines().count(), 4);
        assert!(text.contains("1,\"S2\",\"name of S2\",1,0,1,1,0,2,1,1,"));
    }
}
