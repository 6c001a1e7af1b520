//! The clock on an incident: the current step's deadline, the overall
//! deadline, and the warning level (green under 80 % of a limit used,
//! yellow 80–100 %, red overdue). The overall limit runs from the report to
//! 办结 (handled); verification and closing have only their step limits.
//! Deadlines are instants, so checking a warning level is two comparisons.

use serde::Serialize;

use super::dictionary::Dictionary;
use super::model::{Incident, Step};
use riskmap_engine::model::EpochMs;

const HOUR_MS: f64 = 3_600_000.0;

/// How urgent the clock says an incident is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Warning {
    /// Terminal: no clock runs.
    None,
    /// Under 80 % of a limit used.
    Green,
    /// 80–100 %.
    Yellow,
    /// Overdue.
    Red,
}

impl Warning {
    /// The API name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Warning::None => "none",
            Warning::Green => "green",
            Warning::Yellow => "yellow",
            Warning::Red => "red",
        }
    }
}

/// Everything the clock says about an incident in its current state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// The step running, if any.
    pub step: Option<Step>,
    /// Its limit, hours (with approved extensions).
    pub step_limit_hours: f64,
    /// Its deadline.
    pub step_deadline_ms: Option<EpochMs>,
    /// The overall limit, hours (with approved extensions).
    pub limit_hours: f64,
    /// The overall deadline (report → handled).
    pub deadline_ms: EpochMs,
    /// From this instant the warning is yellow.
    pub yellow_at: EpochMs,
    /// From this instant it is red.
    pub red_at: EpochMs,
}

impl Timing {
    /// The clock of an incident now.
    #[must_use]
    pub fn of(inc: &Incident, dict: &Dictionary) -> Timing {
        let (mut limits, clock) = dict.limits(&inc.category, inc.priority);
        // A department's own terms replace the category's for its steps.
        if let Some(own) = inc.assignee_limits {
            let factor = dict.priorities().rule(inc.priority).factor;
            limits.sign = own.sign * factor;
            limits.handle = own.handle * factor;
        }
        let cal = dict.calendar();
        let ms = |hours: f64| (hours * HOUR_MS).round() as i64;
        let limit_hours = limits.overall + inc.extension_hours;
        let deadline_ms = cal.add(clock, inc.created_ms, ms(limit_hours));
        let step = inc.state.step();
        let mut t = Timing {
            step,
            step_limit_hours: 0.0,
            step_deadline_ms: None,
            limit_hours,
            deadline_ms,
            yellow_at: EpochMs::MAX,
            red_at: EpochMs::MAX,
        };
        let Some(step) = step else {
            return t;
        };
        let step_hours = limits.step(step) + inc.step_extension_hours;
        let step_deadline = cal.add(clock, inc.step_started_ms, ms(step_hours));
        t.step_limit_hours = step_hours;
        t.step_deadline_ms = Some(step_deadline);
        t.red_at = step_deadline;
        t.yellow_at = cal.add(clock, inc.step_started_ms, ms(step_hours * 0.8));
        if matches!(
            step,
            Step::Accept | Step::Dispatch | Step::Sign | Step::Handle
        ) {
            t.red_at = t.red_at.min(deadline_ms);
            t.yellow_at = t
                .yellow_at
                .min(cal.add(clock, inc.created_ms, ms(limit_hours * 0.8)));
        }
        t
    }

    /// The warning level at `now`.
    #[must_use]
    pub fn warning(&self, now: EpochMs) -> Warning {
        if self.step.is_none() {
            Warning::None
        } else if now > self.red_at {
            Warning::Red
        } else if now >= self.yellow_at {
            Warning::Yellow
        } else {
            Warning::Green
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::model::{Priority, State};

    const H: i64 = 3_600_000;

    fn at(s: &str) -> EpochMs {
        chrono::DateTime::parse_from_rfc3339(&format!("{s}+08:00"))
            .unwrap()
            .timestamp_millis()
    }

    fn incident(created: EpochMs, priority: Priority) -> Incident {
        Incident {
            priority,
            ..Incident::sample("SJ1", created)
        }
    }

    #[test]
    fn a_friday_evening_report_is_due_after_the_weekend() {
        let d = Dictionary::default_config();
        // 0101: accept within 2 working hours, overall 48.
        let inc = incident(at("2026-11-20T17:00:00"), Priority::Normal);
        let t = Timing::of(&inc, &d);
        // 17:00–17:30 Friday, then 1.5 h from Monday 08:30.
        assert_eq!(t.step_deadline_ms, Some(at("2026-11-23T10:00:00")));
        // 80 % of 2 h = 1.6 h: 0.5 h Friday + 1.1 h → Monday 09:36.
        assert_eq!(t.yellow_at, at("2026-11-23T09:36:00"));
        assert_eq!(t.warning(at("2026-11-22T12:00:00")), Warning::Green);
        assert_eq!(t.warning(at("2026-11-23T09:40:00")), Warning::Yellow);
        assert_eq!(t.warning(at("2026-11-23T10:00:01")), Warning::Red);
        // 48 working hours = 6.4 working days.
        assert_eq!(
            d.calendar()
                .working_ms_between(inc.created_ms, t.deadline_ms),
            48 * H
        );
    }

    #[test]
    fn emergencies_run_on_the_natural_clock() {
        let d = Dictionary::default_config();
        // Saturday night.
        let inc = incident(at("2026-11-21T23:00:00"), Priority::Emergency);
        let t = Timing::of(&inc, &d);
        // 2 h × 0.1 = 12 minutes, at night, at the weekend.
        assert_eq!(t.step_deadline_ms, Some(at("2026-11-21T23:12:00")));
    }

    #[test]
    fn the_overall_limit_can_be_the_nearer_one() {
        let d = Dictionary::default_config();
        let created = at("2026-11-23T08:30:00");
        let mut inc = incident(created, Priority::Normal);
        inc.state = State::Signed;
        // The handle step started late: its own limit would end after the
        // overall deadline, so the overall one is what turns it red.
        inc.step_started_ms = d.calendar().add_working_ms(created, 40 * H);
        let t = Timing::of(&inc, &d);
        assert_eq!(t.red_at, t.deadline_ms);
        assert!(t.step_deadline_ms.unwrap() > t.deadline_ms);
        // Extensions move it.
        inc.extension_hours = 30.0;
        inc.step_extension_hours = 30.0;
        let t2 = Timing::of(&inc, &d);
        assert!(t2.red_at > t.red_at);
        // Terminal incidents have no warning.
        inc.state = State::Closed;
        assert_eq!(Timing::of(&inc, &d).warning(created), Warning::None);
    }

    #[test]
    fn a_department_s_own_limits_replace_the_category_s_scaled_by_priority() {
        let d = Dictionary::default_config();
        let created = at("2026-11-23T08:30:00");
        let mut inc = incident(created, Priority::Urgent);
        inc.state = State::Dispatched;
        let category = Timing::of(&inc, &d).step_limit_hours;
        inc.assignee_limits = Some(crate::incident::model::StepLimits {
            sign: 3.0,
            handle: 10.0,
        });
        // Urgent halves every limit, the department's too.
        let t = Timing::of(&inc, &d);
        assert!((t.step_limit_hours - 1.5).abs() < 1e-9, "{t:?}");
        assert!((category - 1.5).abs() > 1e-9, "the category's differs");
        inc.state = State::Signed;
        assert!((Timing::of(&inc, &d).step_limit_hours - 5.0).abs() < 1e-9);
    }
}
