//! 排班: who is due on duty in each grid, and when. Pure: a shift (a grid,
//! its staff, the weekdays, the local start and end — past midnight when
//! the end comes first), its checks, and whether it runs at a moment of
//! the city's own calendar. The app layer keeps the roster and compares it
//! with who has checked in (上岗).

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// Most shifts a city keeps.
pub const MAX_SHIFTS: usize = 20_000;
/// Most staff on one shift.
pub const MAX_STAFF_PER_SHIFT: usize = 50;

/// Why a roster was refused.
#[derive(Debug, Error, PartialEq)]
pub enum RosterError {
    /// A shift is malformed; says which and why.
    #[error("{0}")]
    Invalid(String),
}

/// A time of day, minutes after local midnight, read and written `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Clock(pub u16);

impl Serialize for Clock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:02}:{:02}", self.0 / 60, self.0 % 60))
    }
}

impl<'de> Deserialize<'de> for Clock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Clock, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || serde::de::Error::custom(format!("{s:?} is no time of day: HH:MM"));
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h > 23 || m > 59 || s.len() != 5 {
            return Err(bad());
        }
        Ok(Clock(h * 60 + m))
    }
}

/// A shift (班次): the staff due on duty in a grid on these weekdays from
/// `start` to `end` (local time; an `end` at or before `start` runs past
/// midnight into the next day).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    /// The grid's area code.
    pub grid: String,
    /// Who is due (staff ids).
    pub staff: Vec<String>,
    /// The weekdays it starts on: `mon` … `sun`.
    #[serde(with = "weekdays")]
    pub days: Vec<Weekday>,
    /// When it starts.
    pub start: Clock,
    /// When it ends.
    pub end: Clock,
    /// What it is, as people read it (早班, 夜班 …).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

impl Shift {
    /// Checks the fields (the grid and the staff are checked against the
    /// city by the caller).
    pub fn check(&self) -> Result<(), RosterError> {
        let bad = |m: &str| {
            Err(RosterError::Invalid(format!(
                "shift of grid {:?}: {m}",
                self.grid
            )))
        };
        if self.staff.is_empty() || self.staff.len() > MAX_STAFF_PER_SHIFT {
            return bad(&format!("1 to {MAX_STAFF_PER_SHIFT} staff"));
        }
        if self.days.is_empty() {
            return bad("no days: give some of mon, tue, wed, thu, fri, sat, sun");
        }
        if self.start == self.end {
            return bad("start and end are the same time");
        }
        if self.name.chars().count() > 50 {
            return bad("a name holds at most 50 characters");
        }
        Ok(())
    }

    /// Whether it runs at `minute` (after local midnight) of `date`: it
    /// started today, or (past midnight) yesterday.
    #[must_use]
    pub fn runs(&self, date: NaiveDate, minute: u16) -> bool {
        let on = |d: NaiveDate| self.days.contains(&d.weekday());
        if self.start < self.end {
            on(date) && (self.start.0..self.end.0).contains(&minute)
        } else {
            (on(date) && minute >= self.start.0)
                || (minute < self.end.0 && date.pred_opt().is_some_and(on))
        }
    }
}

/// Serde for weekdays as `mon` … `sun`.
mod weekdays {
    use chrono::Weekday;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    const NAMES: [(&str, Weekday); 7] = [
        ("mon", Weekday::Mon),
        ("tue", Weekday::Tue),
        ("wed", Weekday::Wed),
        ("thu", Weekday::Thu),
        ("fri", Weekday::Fri),
        ("sat", Weekday::Sat),
        ("sun", Weekday::Sun),
    ];

    pub fn serialize<S: Serializer>(days: &[Weekday], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            days.iter()
                .filter_map(|d| NAMES.iter().find(|(_, w)| w == d).map(|(n, _)| *n)),
        )
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Weekday>, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        let mut days = Vec::with_capacity(names.len());
        for n in names {
            let day = NAMES
                .iter()
                .find(|(name, _)| *name == n)
                .map(|(_, w)| *w)
                .ok_or_else(|| D::Error::custom(format!("{n:?} is no weekday: mon, tue, … sun")))?;
            if !days.contains(&day) {
                days.push(day);
            }
        }
        Ok(days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shift(json: &str) -> Result<Shift, String> {
        let s: Shift = serde_json::from_str(json).map_err(|e| e.to_string())?;
        s.check().map_err(|e| e.to_string())?;
        Ok(s)
    }

    #[test]
    fn a_day_shift_runs_on_its_days_between_its_times() {
        let s = shift(
            r#"{"grid":"g","staff":["S1"],"days":["mon","fri"],"start":"08:00","end":"17:30"}"#,
        )
        .expect("valid");
        // 2026-12-04 is a Friday.
        let fri = NaiveDate::from_ymd_opt(2026, 12, 4).expect("a date");
        assert!(s.runs(fri, 8 * 60));
        assert!(s.runs(fri, 17 * 60 + 29));
        assert!(!s.runs(fri, 17 * 60 + 30));
        assert!(!s.runs(fri, 7 * 60 + 59));
        assert!(!s.runs(fri.succ_opt().expect("sat"), 9 * 60));
        assert_eq!(
            serde_json::to_value(&s).expect("serialises")["start"],
            "08:00"
        );
    }

    #[test]
    fn a_night_shift_runs_past_midnight_into_the_next_day() {
        let s = shift(r#"{"grid":"g","staff":["S1"],"days":["fri"],"start":"22:00","end":"06:00","name":"夜班"}"#)
            .expect("valid");
        let fri = NaiveDate::from_ymd_opt(2026, 12, 4).expect("a date");
        let sat = fri.succ_opt().expect("sat");
        assert!(s.runs(fri, 23 * 60));
        assert!(!s.runs(fri, 5 * 60), "Thursday night is not on the roster");
        assert!(s.runs(sat, 5 * 60 + 59));
        assert!(!s.runs(sat, 6 * 60));
        assert!(!s.runs(sat, 23 * 60));
    }

    #[test]
    fn each_bad_field_is_named() {
        for (json, says) in [
            (
                r#"{"grid":"g","staff":[],"days":["mon"],"start":"08:00","end":"09:00"}"#,
                "1 to 50 staff",
            ),
            (
                r#"{"grid":"g","staff":["S1"],"days":[],"start":"08:00","end":"09:00"}"#,
                "no days",
            ),
            (
                r#"{"grid":"g","staff":["S1"],"days":["monday"],"start":"08:00","end":"09:00"}"#,
                "no weekday",
            ),
            (
                r#"{"grid":"g","staff":["S1"],"days":["mon"],"start":"8:00","end":"09:00"}"#,
                "no time of day",
            ),
            (
                r#"{"grid":"g","staff":["S1"],"days":["mon"],"start":"24:00","end":"09:00"}"#,
                "no time of day",
            ),
            (
                r#"{"grid":"g","staff":["S1"],"days":["mon"],"start":"09:00","end":"09:00"}"#,
                "the same time",
            ),
            (
                r#"{"grid":"g","staff":["S1"],"days":["mon"],"start":"08:00","end":"09:00","who":1}"#,
                "unknown field",
            ),
        ] {
            let err = shift(json).expect_err(json);
            assert!(err.contains(says), "{json}: {err}");
        }
    }
}
