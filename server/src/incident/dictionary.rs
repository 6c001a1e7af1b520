//! The incident configuration: the two-level category dictionary (大类/小类)
//! with each category's responsible department, needed skill and time
//! limits; how priorities scale the limits and which clock they run on; the
//! work calendar; and what counts as a possible duplicate. A sensible default
//! ships with the server; `--incident-config FILE` replaces it.

use std::collections::HashMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::calendar::{CalendarConfig, Clock, WorkCalendar};
use super::model::{Priority, Step};
use riskmap_engine::model::Skill;

/// The shipped configuration.
pub const DEFAULT_CONFIG: &str = include_str!("default_config.json");

/// Hours allowed per step and overall, for a `normal` incident.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// reported → accepted.
    pub accept: f64,
    /// accepted → dispatched.
    pub dispatch: f64,
    /// dispatched → signed.
    pub sign: f64,
    /// signed → handled.
    pub handle: f64,
    /// handled → verified.
    pub verify: f64,
    /// verified → closed.
    pub close: f64,
    /// report → handled, overall.
    pub overall: f64,
}

impl Limits {
    /// The limit of one step, hours.
    #[must_use]
    pub fn step(&self, step: Step) -> f64 {
        match step {
            Step::Accept => self.accept,
            Step::Dispatch => self.dispatch,
            Step::Sign => self.sign,
            Step::Handle => self.handle,
            Step::Verify => self.verify,
            Step::Close => self.close,
        }
    }

    fn check(&self, code: &str) -> Result<(), String> {
        let all = [
            self.accept,
            self.dispatch,
            self.sign,
            self.handle,
            self.verify,
            self.close,
            self.overall,
        ];
        if all
            .iter()
            .all(|h| h.is_finite() && *h > 0.0 && *h < 100_000.0)
        {
            Ok(())
        } else {
            Err(format!(
                "category {code}: every limit must be a positive number of hours"
            ))
        }
    }
}

/// A minor category (小类) as configured; unset fields come from its major.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinorConfig {
    /// Unique code, e.g. "0102".
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Responsible department.
    #[serde(default)]
    pub department: Option<String>,
    /// Skill the handler needs; `null` for none, absent to inherit.
    #[allow(clippy::option_option)] // the three cases are the point
    #[serde(default, deserialize_with = "present")]
    pub skill: Option<Option<Skill>>,
    /// Time limits.
    #[serde(default)]
    pub limits: Option<Limits>,
    /// Hours overdue before the clock escalates it (0: never); absent to
    /// inherit.
    #[serde(default)]
    pub escalate_after_hours: Option<f64>,
}

/// A major category (大类) as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MajorConfig {
    /// Unique code, e.g. "01".
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Default department of its minors.
    pub department: String,
    /// Default skill of its minors.
    #[serde(default)]
    pub skill: Option<Skill>,
    /// Default limits of its minors.
    pub limits: Limits,
    /// Default hours overdue before the clock escalates (0: never).
    #[serde(default)]
    pub escalate_after_hours: Option<f64>,
    /// Its minor categories.
    pub children: Vec<MinorConfig>,
}

/// How a priority changes the limits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PriorityRule {
    /// Limits are multiplied by this.
    pub factor: f64,
    /// Which clock they run on.
    pub clock: Clock,
}

/// Every priority's rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Priorities {
    /// 一般.
    pub normal: PriorityRule,
    /// 紧急.
    pub urgent: PriorityRule,
    /// 特急.
    pub emergency: PriorityRule,
}

impl Priorities {
    /// One priority's rule.
    #[must_use]
    pub fn rule(&self, p: Priority) -> PriorityRule {
        match p {
            Priority::Normal => self.normal,
            Priority::Urgent => self.urgent,
            Priority::Emergency => self.emergency,
        }
    }
}

/// What counts as a possible duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DuplicateRule {
    /// Within this many metres…
    pub radius_m: f64,
    /// …of an open incident of the same category reported within this many
    /// hours before.
    pub window_hours: f64,
}

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentConfig {
    /// The dictionary.
    pub categories: Vec<MajorConfig>,
    /// Priorities.
    pub priorities: Priorities,
    /// The work calendar.
    pub calendar: CalendarConfig,
    /// Duplicates.
    pub duplicates: DuplicateRule,
    /// 超时自动上报: the city-wide default.
    #[serde(default)]
    pub escalation: EscalationRule,
    /// 随手拍: what citizens may report and what it earns them.
    #[serde(default)]
    pub citizen: CitizenRule,
}

/// The citizen page's rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitizenRule {
    /// The short list of minor categories a citizen picks from.
    pub categories: Vec<String>,
    /// 积分 a report earns once accepted (受理), and on through its
    /// handling; a rejected or merged report earns nothing.
    pub points_per_accepted: u32,
}

impl Default for CitizenRule {
    fn default() -> Self {
        CitizenRule {
            categories: [
                "0102", "0201", "0202", "0203", "0204", "0205", "0301", "0302", "0304", "0305",
                "0402", "0501", "0503", "0504",
            ]
            .map(String::from)
            .to_vec(),
            points_per_accepted: 10,
        }
    }
}

/// When the clock moves an overdue incident up one level (三级联动).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationRule {
    /// Hours (on the incident's clock: working hours unless its priority
    /// runs on natural time) an incident stays red before it moves up one
    /// level, and again after each move; 0: never. Categories may set their
    /// own (`escalate_after_hours`).
    pub after_hours: f64,
}

impl Default for EscalationRule {
    fn default() -> Self {
        EscalationRule {
            after_hours: DEFAULT_ESCALATE_AFTER_HOURS,
        }
    }
}

/// Hours red before the clock escalates, unless configured: one working
/// day.
pub const DEFAULT_ESCALATE_AFTER_HOURS: f64 = 8.0;

/// A minor category with everything inherited filled in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Category {
    /// Code.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Its major category's code.
    pub major: String,
    /// Responsible department.
    pub department: String,
    /// Needed skill.
    pub skill: Option<Skill>,
    /// Limits for a normal incident, hours.
    pub limits: Limits,
    /// Hours red before the clock escalates it (`None`: never).
    pub escalate_after_hours: Option<f64>,
}

/// The checked configuration, ready to use.
#[derive(Debug, Clone)]
pub struct Dictionary {
    config: IncidentConfig,
    categories: Vec<Category>,
    by_code: HashMap<String, usize>,
    calendar: WorkCalendar,
}

impl Dictionary {
    /// The shipped default.
    ///
    /// # Panics
    /// Never: the shipped file is checked by a test.
    #[must_use]
    pub fn default_config() -> Dictionary {
        #[allow(clippy::expect_used)]
        Dictionary::from_json(DEFAULT_CONFIG).expect("the shipped incident config is valid")
    }

    /// Reads and checks a configuration.
    pub fn from_json(text: &str) -> Result<Dictionary, String> {
        let config: IncidentConfig =
            serde_json::from_str(text).map_err(|e| format!("incident config: {e}"))?;
        Dictionary::new(config)
    }

    /// Checks a configuration.
    pub fn new(config: IncidentConfig) -> Result<Dictionary, String> {
        let calendar = WorkCalendar::new(config.calendar.clone())?;
        for (name, rule) in [
            ("normal", config.priorities.normal),
            ("urgent", config.priorities.urgent),
            ("emergency", config.priorities.emergency),
        ] {
            if !(rule.factor.is_finite() && rule.factor > 0.0 && rule.factor <= 100.0) {
                return Err(format!("priority {name}: factor must be within 0..100"));
            }
        }
        let d = config.duplicates;
        if !(d.radius_m.is_finite() && d.radius_m >= 0.0 && d.window_hours.is_finite())
            || d.window_hours < 0.0
        {
            return Err("duplicates: radius_m and window_hours must be non-negative".into());
        }
        let escalation = |h: Option<f64>, code: &str| -> Result<Option<f64>, String> {
            let h = h.unwrap_or(config.escalation.after_hours);
            if h == 0.0 {
                Ok(None)
            } else if h.is_finite() && h > 0.0 && h < 100_000.0 {
                Ok(Some(h))
            } else {
                Err(format!(
                    "category {code}: escalate_after_hours must be 0 (never) or a positive number of hours"
                ))
            }
        };
        let mut categories = Vec::new();
        let mut by_code = HashMap::new();
        for major in &config.categories {
            major.limits.check(&major.code)?;
            if major.children.is_empty() {
                return Err(format!("category {} has no minor categories", major.code));
            }
            if by_code.contains_key(&major.code) {
                return Err(format!("category code {} is used twice", major.code));
            }
            for minor in &major.children {
                let limits = minor.limits.unwrap_or(major.limits);
                limits.check(&minor.code)?;
                if minor.code.is_empty() || by_code.contains_key(&minor.code) {
                    return Err(format!(
                        "category code {:?} is empty or used twice",
                        minor.code
                    ));
                }
                by_code.insert(minor.code.clone(), categories.len());
                categories.push(Category {
                    code: minor.code.clone(),
                    name: minor.name.clone(),
                    name_en: minor.name_en.clone(),
                    major: major.code.clone(),
                    department: minor
                        .department
                        .clone()
                        .unwrap_or_else(|| major.department.clone()),
                    skill: minor.skill.unwrap_or(major.skill),
                    limits,
                    escalate_after_hours: escalation(
                        minor.escalate_after_hours.or(major.escalate_after_hours),
                        &minor.code,
                    )?,
                });
            }
        }
        if categories.is_empty() {
            return Err("incident config: there must be categories".into());
        }
        if let Some(c) = config
            .citizen
            .categories
            .iter()
            .find(|c| !by_code.contains_key(*c))
        {
            return Err(format!("citizen.categories: {c:?} is no minor category"));
        }
        // Majors are matched by their code too (filters), but never chosen
        // for an incident: keep them apart from the minors' index.
        for major in &config.categories {
            if by_code.contains_key(&major.code) {
                return Err(format!("category code {} is used twice", major.code));
            }
        }
        Ok(Dictionary {
            config,
            categories,
            by_code,
            calendar,
        })
    }

    /// The citizen page's rules.
    #[must_use]
    pub fn citizen(&self) -> &CitizenRule {
        &self.config.citizen
    }

    /// A minor category by code.
    #[must_use]
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.by_code.get(code).map(|&i| &self.categories[i])
    }

    /// Every minor category.
    #[must_use]
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// Whether `code` names a major category.
    #[must_use]
    pub fn is_major(&self, code: &str) -> bool {
        self.config.categories.iter().any(|m| m.code == code)
    }

    /// The work calendar.
    #[must_use]
    pub fn calendar(&self) -> &WorkCalendar {
        &self.calendar
    }

    /// The priorities.
    #[must_use]
    pub fn priorities(&self) -> &Priorities {
        &self.config.priorities
    }

    /// The duplicate rule.
    #[must_use]
    pub fn duplicates(&self) -> DuplicateRule {
        self.config.duplicates
    }

    /// Limits of a category at a priority, in milliseconds, with their clock.
    /// A category no longer in the dictionary (after a configuration change)
    /// keeps the loosest limits of the dictionary, so it is never overdue by
    /// accident.
    #[must_use]
    pub fn limits(&self, category: &str, priority: Priority) -> (Limits, Clock) {
        let rule = self.config.priorities.rule(priority);
        let base = self
            .category(category)
            .map_or_else(|| self.loosest(), |c| c.limits);
        let f = rule.factor;
        (
            Limits {
                accept: base.accept * f,
                dispatch: base.dispatch * f,
                sign: base.sign * f,
                handle: base.handle * f,
                verify: base.verify * f,
                close: base.close * f,
                overall: base.overall * f,
            },
            rule.clock,
        )
    }

    fn loosest(&self) -> Limits {
        let mut out = self.categories[0].limits;
        for c in &self.categories {
            let l = c.limits;
            out.accept = out.accept.max(l.accept);
            out.dispatch = out.dispatch.max(l.dispatch);
            out.sign = out.sign.max(l.sign);
            out.handle = out.handle.max(l.handle);
            out.verify = out.verify.max(l.verify);
            out.close = out.close.max(l.close);
            out.overall = out.overall.max(l.overall);
        }
        out
    }

    /// The dictionary as the API shows it: majors with their resolved minors.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let majors: Vec<_> = self
            .config
            .categories
            .iter()
            .map(|m| {
                let children: Vec<_> = self
                    .categories
                    .iter()
                    .filter(|c| c.major == m.code)
                    .collect();
                serde_json::json!({
                    "code": m.code, "name": m.name, "name_en": m.name_en,
                    "children": children,
                })
            })
            .collect();
        serde_json::json!({
            "categories": majors,
            "priorities": self.config.priorities,
            "calendar": self.config.calendar,
            "duplicates": self.config.duplicates,
        })
    }
}

/// Tells a field set to `null` (Some(None)) from one left out (None).
#[allow(clippy::option_option)] // the three cases are the point
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // limits are exact literals
mod tests {
    use super::*;

    #[test]
    fn the_shipped_dictionary_is_valid_and_complete() {
        let d = Dictionary::default_config();
        // Disputes by kind, urban management, safety, health, environment.
        for code in [
            "0101", "0102", "0103", "0104", "0105", "0106", "0107", "0201", "0301", "0401", "0501",
        ] {
            assert!(d.category(code).is_some(), "{code}");
        }
        for major in ["01", "02", "03", "04", "05"] {
            assert!(d.is_major(major));
        }
        let family = d.category("0101").unwrap();
        assert_eq!(family.department, "司法所");
        assert_eq!(family.skill, Some(Skill::Mediation), "inherited from 01");
        assert_eq!(family.limits.overall, 48.0);
        // `"skill": null` clears the inherited skill.
        assert_eq!(d.category("0402").unwrap().skill, None);
        assert!(d.calendar().is_working_day("2026-10-10".parse().unwrap()));
    }

    #[test]
    fn priorities_scale_limits_and_pick_the_clock() {
        let d = Dictionary::default_config();
        let (normal, c1) = d.limits("0101", Priority::Normal);
        let (urgent, c2) = d.limits("0101", Priority::Urgent);
        let (emergency, c3) = d.limits("0101", Priority::Emergency);
        assert_eq!((normal.overall, urgent.overall), (48.0, 24.0));
        assert!((emergency.overall - 4.8).abs() < 1e-9);
        assert_eq!(
            (c1, c2, c3),
            (Clock::Working, Clock::Working, Clock::Natural)
        );
        // Unknown categories get the loosest limits.
        assert!(d.limits("9999", Priority::Normal).0.overall >= 160.0);
    }

    #[test]
    fn bad_configs_are_refused_with_a_reason() {
        let mut cfg: IncidentConfig = serde_json::from_str(DEFAULT_CONFIG).unwrap();
        cfg.categories[1].children[0].code = "0101".into();
        assert!(Dictionary::new(cfg).unwrap_err().contains("used twice"));
        let mut cfg: IncidentConfig = serde_json::from_str(DEFAULT_CONFIG).unwrap();
        cfg.categories[0].limits.handle = -1.0;
        assert!(Dictionary::new(cfg).unwrap_err().contains("positive"));
        let mut cfg: IncidentConfig = serde_json::from_str(DEFAULT_CONFIG).unwrap();
        cfg.priorities.urgent.factor = 0.0;
        assert!(Dictionary::new(cfg).unwrap_err().contains("urgent"));
        assert!(
            Dictionary::from_json("{}")
                .unwrap_err()
                .contains("incident config")
        );
    }
}
