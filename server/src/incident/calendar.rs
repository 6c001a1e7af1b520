//! The work calendar: time limits count working hours (working days minus
//! holidays, plus make-up days 调休, within the daily office hours), in the
//! calendar's own UTC offset, because a limit of "8 hours" reported on a
//! Friday evening is due on Monday, not on Saturday morning.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use riskmap_engine::model::EpochMs;

const DAY_MS: i64 = 86_400_000;
/// How far a deadline is searched for: ten years of days.
const MAX_DAYS: i64 = 3_660;

/// The calendar as configured (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarConfig {
    /// The calendar's offset from UTC, minutes (China: 480).
    pub utc_offset_minutes: i32,
    /// ISO weekdays that are working days (1 = Monday … 7 = Sunday).
    pub workdays: Vec<u8>,
    /// Office hours of a working day, `["08:30", "12:00"]`, in order.
    pub hours: Vec<[String; 2]>,
    /// Days off that would be working days (法定节假日), `YYYY-MM-DD`.
    pub holidays: Vec<NaiveDate>,
    /// Days that are worked although they fall on a weekend (调休上班).
    pub extra_workdays: Vec<NaiveDate>,
}

/// Which clock a limit runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// Working hours of the calendar.
    Working,
    /// Every hour (emergencies do not wait for Monday).
    Natural,
}

/// A checked, ready calendar.
#[derive(Debug, Clone)]
pub struct WorkCalendar {
    config: CalendarConfig,
    offset_ms: i64,
    workdays: [bool; 7],
    /// Office hours as milliseconds since local midnight.
    intervals: Vec<(i64, i64)>,
    holidays: HashSet<NaiveDate>,
    extra: HashSet<NaiveDate>,
}

impl WorkCalendar {
    /// Checks a configuration.
    pub fn new(config: CalendarConfig) -> Result<Self, String> {
        if !(-14 * 60..=14 * 60).contains(&config.utc_offset_minutes) {
            return Err(format!(
                "calendar: utc_offset_minutes must be within ±840, got {}",
                config.utc_offset_minutes
            ));
        }
        let mut workdays = [false; 7];
        for &d in &config.workdays {
            if !(1..=7).contains(&d) {
                return Err(format!("calendar: workdays are 1 (Monday) to 7, got {d}"));
            }
            workdays[usize::from(d - 1)] = true;
        }
        if !workdays.contains(&true) {
            return Err("calendar: there must be at least one working day".into());
        }
        let mut intervals = Vec::with_capacity(config.hours.len());
        for [from, to] in &config.hours {
            let (a, b) = (clock_ms(from)?, clock_ms(to)?);
            if a >= b {
                return Err(format!("calendar: office hours {from}–{to} are empty"));
            }
            if intervals.last().is_some_and(|&(_, end)| a < end) {
                return Err(format!(
                    "calendar: office hours must be in order and apart, {from} is not"
                ));
            }
            intervals.push((a, b));
        }
        if intervals.is_empty() {
            return Err("calendar: there must be office hours".into());
        }
        Ok(WorkCalendar {
            offset_ms: i64::from(config.utc_offset_minutes) * 60_000,
            workdays,
            intervals,
            holidays: config.holidays.iter().copied().collect(),
            extra: config.extra_workdays.iter().copied().collect(),
            config,
        })
    }

    /// The configuration it was built from.
    #[must_use]
    pub fn config(&self) -> &CalendarConfig {
        &self.config
    }

    /// Whether a local date is worked.
    #[must_use]
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.extra.contains(&date) {
            return true;
        }
        if self.holidays.contains(&date) {
            return false;
        }
        self.workdays[date.weekday().number_from_monday() as usize - 1]
    }

    /// Local midnight (as epoch ms) of the day containing `t`.
    #[must_use]
    pub fn day_start(&self, t: EpochMs) -> EpochMs {
        (t + self.offset_ms).div_euclid(DAY_MS) * DAY_MS - self.offset_ms
    }

    /// The local date of `t`.
    #[must_use]
    pub fn date_of(&self, t: EpochMs) -> NaiveDate {
        let days = (t + self.offset_ms).div_euclid(DAY_MS);
        NaiveDate::from_ymd_opt(1970, 1, 1)
            .and_then(|epoch| epoch.checked_add_signed(chrono::TimeDelta::days(days)))
            .unwrap_or(NaiveDate::MIN)
    }

    /// Office hours of the day starting at local midnight `day`, as epoch ms.
    fn office(&self, day: EpochMs) -> impl Iterator<Item = (EpochMs, EpochMs)> + '_ {
        let worked = self.is_working_day(self.date_of(day));
        self.intervals
            .iter()
            .filter(move |_| worked)
            .map(move |&(a, b)| (day + a, day + b))
    }

    /// Working milliseconds between two instants (0 if `to` is not later).
    #[must_use]
    pub fn working_ms_between(&self, from: EpochMs, to: EpochMs) -> i64 {
        if to <= from {
            return 0;
        }
        let mut total = 0;
        let mut day = self.day_start(from);
        while day < to {
            for (a, b) in self.office(day) {
                let (s, e) = (a.max(from), b.min(to));
                if e > s {
                    total += e - s;
                }
            }
            day += DAY_MS;
        }
        total
    }

    /// The instant when `ms` working milliseconds have passed after `start`.
    /// Beyond ten years (a calendar with no working time left) it saturates.
    #[must_use]
    pub fn add_working_ms(&self, start: EpochMs, ms: i64) -> EpochMs {
        if ms <= 0 {
            return start;
        }
        let mut left = ms;
        let mut day = self.day_start(start);
        for _ in 0..MAX_DAYS {
            for (a, b) in self.office(day) {
                let s = a.max(start);
                if b <= s {
                    continue;
                }
                if b - s >= left {
                    return s + left;
                }
                left -= b - s;
            }
            day += DAY_MS;
        }
        EpochMs::MAX / 2
    }

    /// `start` plus `ms` on a clock.
    #[must_use]
    pub fn add(&self, clock: Clock, start: EpochMs, ms: i64) -> EpochMs {
        match clock {
            Clock::Working => self.add_working_ms(start, ms),
            Clock::Natural => start.saturating_add(ms.max(0)),
        }
    }

    /// Time elapsed between two instants on a clock.
    #[must_use]
    pub fn elapsed(&self, clock: Clock, from: EpochMs, to: EpochMs) -> i64 {
        match clock {
            Clock::Working => self.working_ms_between(from, to),
            Clock::Natural => (to - from).max(0),
        }
    }
}

/// "HH:MM" to milliseconds since midnight ("24:00" allowed).
fn clock_ms(s: &str) -> Result<i64, String> {
    let bad = || format!("calendar: {s:?} is not a time of day HH:MM");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(0..=24).contains(&h) || !(0..60).contains(&m) || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok((h * 60 + m) * 60_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Beijing time to epoch ms.
    fn at(s: &str) -> EpochMs {
        chrono::DateTime::parse_from_rfc3339(&format!("{s}+08:00"))
            .unwrap()
            .timestamp_millis()
    }

    fn calendar() -> WorkCalendar {
        WorkCalendar::new(CalendarConfig {
            utc_offset_minutes: 480,
            workdays: vec![1, 2, 3, 4, 5],
            hours: vec![
                ["08:30".into(), "12:00".into()],
                ["13:30".into(), "17:30".into()],
            ],
            // National Day 2026: 1–7 October off, Saturday 10 October worked.
            holidays: (1..=7).map(|d| date(&format!("2026-10-0{d}"))).collect(),
            extra_workdays: vec![date("2026-10-10")],
        })
        .unwrap()
    }

    #[test]
    fn a_working_day_has_seven_and_a_half_hours() {
        let c = calendar();
        // Monday 2026-11-23.
        assert_eq!(
            c.working_ms_between(at("2026-11-23T00:00:00"), at("2026-11-24T00:00:00")),
            7 * H + H / 2
        );
        // Lunch does not count.
        assert_eq!(
            c.working_ms_between(at("2026-11-23T11:00:00"), at("2026-11-23T14:00:00")),
            H + H / 2
        );
    }

    #[test]
    fn weekends_and_holidays_do_not_count_but_make_up_days_do() {
        let c = calendar();
        // Friday 17:00 + 2 working hours → Monday 10:00.
        assert_eq!(
            c.add_working_ms(at("2026-11-20T17:00:00"), 2 * H),
            at("2026-11-23T10:00:00")
        );
        // Wednesday 30 September 16:30 + 4 h: one hour that day, then the
        // holiday week and the weekend 3–4 Oct, then Thursday 8 October.
        assert_eq!(
            c.add_working_ms(at("2026-09-30T16:30:00"), 4 * H),
            at("2026-10-08T11:30:00")
        );
        // Saturday 10 October is a make-up working day.
        assert!(c.is_working_day(date("2026-10-10")));
        assert!(!c.is_working_day(date("2026-10-11")));
        assert!(!c.is_working_day(date("2026-10-05")));
        assert_eq!(
            c.working_ms_between(at("2026-10-10T00:00:00"), at("2026-10-11T00:00:00")),
            7 * H + H / 2
        );
        // The whole holiday week and its weekend: nothing.
        assert_eq!(
            c.working_ms_between(at("2026-10-01T00:00:00"), at("2026-10-05T00:00:00")),
            0
        );
    }

    #[test]
    fn adding_then_measuring_round_trips() {
        let c = calendar();
        let starts = [
            at("2026-11-20T17:00:00"),
            at("2026-11-21T03:00:00"),
            at("2026-09-30T12:15:00"),
            at("2026-11-23T08:30:00"),
        ];
        for s in starts {
            for ms in [1, H / 3, H, 8 * H, 40 * H, 200 * H] {
                let end = c.add_working_ms(s, ms);
                assert_eq!(c.working_ms_between(s, end), ms, "from {s} plus {ms}");
            }
        }
    }

    #[test]
    fn natural_clock_counts_every_hour() {
        let c = calendar();
        let s = at("2026-10-01T00:00:00");
        assert_eq!(c.add(Clock::Natural, s, 5 * H), s + 5 * H);
        assert_eq!(c.elapsed(Clock::Natural, s, s + 5 * H), 5 * H);
    }

    #[test]
    fn local_days_follow_the_offset() {
        let c = calendar();
        // 2026-11-22T20:00Z is already Monday 04:00 in Beijing.
        let t = at("2026-11-23T04:00:00");
        assert_eq!(c.date_of(t), date("2026-11-23"));
        assert_eq!(c.day_start(t), at("2026-11-23T00:00:00"));
    }

    #[test]
    fn bad_calendars_are_refused_with_a_reason() {
        let mut cfg = calendar().config().clone();
        cfg.workdays = vec![];
        assert!(
            WorkCalendar::new(cfg.clone())
                .unwrap_err()
                .contains("working day")
        );
        cfg.workdays = vec![8];
        assert!(
            WorkCalendar::new(cfg.clone())
                .unwrap_err()
                .contains("1 (Monday)")
        );
        cfg.workdays = vec![1];
        cfg.hours = vec![["12:00".into(), "08:00".into()]];
        assert!(
            WorkCalendar::new(cfg.clone())
                .unwrap_err()
                .contains("empty")
        );
        cfg.hours = vec![["8h".into(), "12:00".into()]];
        assert!(WorkCalendar::new(cfg).unwrap_err().contains("HH:MM"));
    }
}
