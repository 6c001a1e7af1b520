//! Patrol rules (巡查规则): how often each grid is to be visited in a day,
//! how much of it walked, and by what time the first visit is due (定时入格);
//! and the judgement of a grid's day against its rule. Pure: the figures
//! come from the engine's [`riskmap_engine::patrol::DayBook`].
//!
//! The rules are a JSON document (`--patrol-config`); every field has a
//! default, and a grid not named follows the default rule:
//!
//! ```json
//! { "resolution": 10,
//!   "default": { "visits_per_day": 1, "coverage": 0.5, "visit_by": "10:00" },
//!   "grids": { "330302001001001": { "visits_per_day": 2 } },
//!   "places": { "学校": 7, "出租房": 30 } }
//! ```
//!
//! `places`: key places of a category are to be inspected every so many
//! days (逢五进格-like rhythms for 重点场所); a category not named has no
//! rule. The shipped defaults name the demo city's categories.

use std::collections::HashMap;

use h3o::Resolution;
use riskmap_engine::patrol::DEFAULT_RESOLUTION;
use serde::{Deserialize, Serialize};

/// Coarsest and finest coverage resolutions accepted (8: 0.7 km² cells,
/// too coarse to tell a street from the next; 12: 300 m², finer than a
/// phone's fix).
const RESOLUTIONS: std::ops::RangeInclusive<u8> = 8..=12;

/// One grid's rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GridRule {
    /// Visits (入格) a day.
    pub visits_per_day: u32,
    /// Share of the grid's cells walked in a day, 0 to 1.
    pub coverage: f64,
    /// Minutes after local midnight by which the first visit is due.
    #[serde(serialize_with = "clock_time")]
    pub visit_by: Option<u32>,
}

impl Default for GridRule {
    fn default() -> Self {
        GridRule {
            visits_per_day: 1,
            coverage: 0.5,
            visit_by: Some(10 * 60),
        }
    }
}

/// Where a grid's day stands against its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GridStatus {
    /// Visited often enough and walked enough (已覆盖).
    Covered,
    /// Visited, but not yet enough (部分覆盖).
    Partly,
    /// Not visited yet; not due yet.
    None,
    /// Not visited by the time the first visit was due (逾期未巡).
    Overdue,
}

/// The rules of every grid.
#[derive(Debug, Clone, PartialEq)]
pub struct PatrolRules {
    /// Resolution of the coverage cells.
    pub resolution: Resolution,
    default: GridRule,
    grids: HashMap<String, GridRule>,
    places: HashMap<String, u32>,
}

/// Days between inspections of key places by category, when no rules
/// document says otherwise.
const DEFAULT_PLACES: [(&str, u32); 9] = [
    ("学校", 7),
    ("幼儿园", 7),
    ("医院", 7),
    ("养老院", 7),
    ("农贸市场", 7),
    ("商场", 14),
    ("车站", 14),
    ("宗教场所", 30),
    ("出租房", 30),
];

impl Default for PatrolRules {
    fn default() -> Self {
        PatrolRules {
            resolution: DEFAULT_RESOLUTION,
            default: GridRule::default(),
            places: DEFAULT_PLACES
                .iter()
                .map(|&(k, d)| (k.to_owned(), d))
                .collect(),
            grids: HashMap::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesIn {
    resolution: Option<u8>,
    #[serde(default)]
    default: RuleIn,
    #[serde(default)]
    grids: HashMap<String, RuleIn>,
    places: Option<HashMap<String, u32>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleIn {
    visits_per_day: Option<u32>,
    coverage: Option<f64>,
    /// "HH:MM", or null for no time; left out: the default's.
    #[serde(default, deserialize_with = "present")]
    visit_by: Option<serde_json::Value>,
}

/// A field given, even as null (serde's default would read null as absent).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

// serde's `serialize_with` hands the field by reference.
#[allow(clippy::ref_option, clippy::trivially_copy_pass_by_ref)]
fn clock_time<S: serde::Serializer>(m: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    match m {
        Some(m) => s.serialize_str(&format!("{:02}:{:02}", m / 60, m % 60)),
        None => s.serialize_none(),
    }
}

impl RuleIn {
    fn over(self, base: GridRule, at: &str) -> Result<GridRule, String> {
        let coverage = self.coverage.unwrap_or(base.coverage);
        if !(0.0..=1.0).contains(&coverage) {
            return Err(format!(
                "{at}: coverage must be within 0 to 1, got {coverage}"
            ));
        }
        let visit_by = match self.visit_by {
            None => base.visit_by,
            Some(serde_json::Value::Null) => None,
            Some(v) => Some(v.as_str().and_then(parse_clock).ok_or_else(|| {
                format!("{at}: visit_by must be a time of day as HH:MM or null, got {v}")
            })?),
        };
        Ok(GridRule {
            visits_per_day: self.visits_per_day.unwrap_or(base.visits_per_day),
            coverage,
            visit_by,
        })
    }
}

/// "HH:MM" as minutes after midnight.
fn parse_clock(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && s.len() == 5).then_some(h * 60 + m)
}

impl PatrolRules {
    /// Reads a rules document.
    ///
    /// # Errors
    /// A message naming the field for a malformed document or a value out
    /// of range.
    pub fn parse(text: &str) -> Result<PatrolRules, String> {
        let doc: RulesIn = serde_json::from_str(text).map_err(|e| format!("patrol rules: {e}"))?;
        let resolution = match doc.resolution {
            None => DEFAULT_RESOLUTION,
            Some(r) if RESOLUTIONS.contains(&r) => {
                Resolution::try_from(r).map_err(|e| format!("patrol rules: {e}"))?
            }
            Some(r) => {
                return Err(format!(
                    "patrol rules: resolution must be within {}–{}, got {r}",
                    RESOLUTIONS.start(),
                    RESOLUTIONS.end()
                ));
            }
        };
        let default = doc.default.over(GridRule::default(), "default")?;
        let grids = doc
            .grids
            .into_iter()
            .map(|(code, r)| {
                let rule = r.over(default, &format!("grids.{code}"))?;
                Ok((code, rule))
            })
            .collect::<Result<_, String>>()?;
        let places = match doc.places {
            None => PatrolRules::default().places,
            Some(p) => {
                if let Some((kind, _)) = p.iter().find(|(_, d)| !(1..=366).contains(*d)) {
                    return Err(format!("patrol rules: places.{kind} must be 1 to 366 days"));
                }
                p
            }
        };
        Ok(PatrolRules {
            resolution,
            default,
            grids,
            places,
        })
    }

    /// Days between inspections of a key place of `category`, if it has a
    /// rule.
    #[must_use]
    pub fn place_every_days(&self, category: &str) -> Option<u32> {
        self.places.get(category).copied()
    }

    /// A grid's rule.
    #[must_use]
    pub fn rule(&self, grid: &str) -> &GridRule {
        self.grids.get(grid).unwrap_or(&self.default)
    }
}

/// A grid's day against its rule; `minutes` is the local time of day now,
/// or `None` for a day that is over.
#[must_use]
pub fn judge(rule: &GridRule, visits: u32, coverage: f64, minutes: Option<u32>) -> GridStatus {
    if visits == 0 {
        let due = rule
            .visit_by
            .is_some_and(|by| minutes.is_none_or(|m| m >= by));
        return if due || (minutes.is_none() && rule.visits_per_day > 0) {
            GridStatus::Overdue
        } else {
            GridStatus::None
        };
    }
    if visits >= rule.visits_per_day && coverage >= rule.coverage {
        GridStatus::Covered
    } else {
        GridStatus::Partly
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_follows_its_own_rule_over_the_default() {
        let r = PatrolRules::parse(
            r#"{"default": {"coverage": 0.3}, "grids": {"g1": {"visits_per_day": 3, "visit_by": null}}}"#,
        )
        .unwrap();
        assert_eq!(r.resolution, Resolution::Ten);
        let rule = |visits_per_day, visit_by| GridRule {
            visits_per_day,
            coverage: 0.3,
            visit_by,
        };
        assert_eq!(*r.rule("g2"), rule(1, Some(600)));
        assert_eq!(*r.rule("g1"), rule(3, None));
        assert_eq!(r.place_every_days("学校"), Some(7), "the default rhythm");
        let r = PatrolRules::parse(r#"{"places": {"网吧": 3}}"#).unwrap();
        assert_eq!(
            (r.place_every_days("网吧"), r.place_every_days("学校")),
            (Some(3), None)
        );
    }

    #[test]
    fn bad_rules_name_their_field() {
        for (doc, says) in [
            (r#"{"resolution": 4}"#, "resolution must be within 8–12"),
            (r#"{"default": {"coverage": 1.5}}"#, "default: coverage"),
            (
                r#"{"grids": {"g": {"visit_by": "9:00"}}}"#,
                "grids.g: visit_by",
            ),
            (
                r#"{"grids": {"g": {"visit_by": "24:00"}}}"#,
                "grids.g: visit_by",
            ),
            (r#"{"defaults": {}}"#, "unknown field"),
            (r#"{"places": {"学校": 0}}"#, "places.学校 must be 1 to 366"),
        ] {
            let e = PatrolRules::parse(doc).unwrap_err();
            assert!(e.contains(says), "{doc}: {e}");
        }
    }

    #[test]
    fn a_grid_is_judged_by_visits_coverage_and_the_time() {
        let rule = GridRule::default();
        assert_eq!(judge(&rule, 0, 0.0, Some(9 * 60)), GridStatus::None);
        assert_eq!(judge(&rule, 0, 0.0, Some(10 * 60)), GridStatus::Overdue);
        assert_eq!(judge(&rule, 0, 0.0, None), GridStatus::Overdue);
        assert_eq!(judge(&rule, 1, 0.2, Some(9 * 60)), GridStatus::Partly);
        assert_eq!(judge(&rule, 1, 0.5, Some(9 * 60)), GridStatus::Covered);
        let untimed = GridRule {
            visit_by: None,
            ..rule
        };
        assert_eq!(judge(&untimed, 0, 0.0, Some(23 * 60)), GridStatus::None);
        assert_eq!(judge(&untimed, 0, 0.0, None), GridStatus::Overdue);
    }
}
