//! The risk model's weights: how many points each input is worth, and the
//! score at which a grid turns yellow, orange or red. Read from a JSON file
//! (`riskmap serve --risk-config`); every field has a documented default, so
//! a file names only what it changes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::RiskLevel;

/// Every weight of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskWeights {
    /// Points of a risk source by its level, 重大 … 低 (`[1, 2, 3, 4]`).
    pub source_level: [f64; 4],
    /// Multipliers by risk-source category (e.g. 危化品企业: 1.5); others 1.
    pub source_category: BTreeMap<String, f64>,
    /// A line source counts in full along this many kilometres inside a
    /// grid (a pipeline crossing a grid for 300 m counts 0.3 of its points
    /// when this is 1), unless the whole line lies in the grid.
    pub line_full_km: f64,
    /// Points of a key place by category (学校, 医院 …).
    pub key_place_category: BTreeMap<String, f64>,
    /// Points of a key place whose category is not listed.
    pub key_place_default: f64,
    /// Points of an incident by priority (`normal`, `urgent`, `emergency`).
    pub incident_priority: BTreeMap<String, f64>,
    /// Multipliers by incident category code (e.g. a fire hazard); others 1.
    pub incident_category: BTreeMap<String, f64>,
    /// An incident's weight halves every this many days after it was
    /// reported.
    pub half_life_days: f64,
    /// Incidents reported longer ago than this count no more.
    pub window_days: f64,
    /// Multiplier of an incident still open (closed ones still say the
    /// place has trouble, less loudly).
    pub open_factor: f64,
    /// Multiplier of an incident past its time limit (red warning).
    pub overdue_factor: f64,
    /// Each report merged into an incident (the same problem reported
    /// again) adds this share of its weight.
    pub repeat_factor: f64,
    /// Multiplier of an incident raised by a camera alarm (雪亮工程).
    pub camera_factor: f64,
    /// The scores at which a grid turns yellow, orange and red; below the
    /// first it is blue.
    pub thresholds: Thresholds,
}

/// Where the four colours begin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// 一般风险 from this score.
    pub yellow: f64,
    /// 较大风险 from this score.
    pub orange: f64,
    /// 重大风险 from this score.
    pub red: f64,
}

impl Default for RiskWeights {
    fn default() -> Self {
        let map = |pairs: &[(&str, f64)]| -> BTreeMap<String, f64> {
            pairs.iter().map(|&(k, v)| (k.to_owned(), v)).collect()
        };
        RiskWeights {
            // One 重大 source makes its grid red, one 较大 orange, one 一般
            // yellow; a 低 source alone keeps it blue.
            source_level: [40.0, 20.0, 8.0, 2.0],
            source_category: map(&[("危化品企业", 1.5), ("燃气场站", 1.25)]),
            line_full_km: 1.0,
            key_place_category: map(&[
                ("学校", 4.0),
                ("幼儿园", 4.0),
                ("医院", 4.0),
                ("养老院", 4.0),
                ("农贸市场", 3.0),
                ("商场", 3.0),
                ("出租房", 1.5),
            ]),
            key_place_default: 2.0,
            incident_priority: map(&[("normal", 3.0), ("urgent", 6.0), ("emergency", 12.0)]),
            incident_category: BTreeMap::new(),
            half_life_days: 7.0,
            window_days: 28.0,
            open_factor: 2.0,
            overdue_factor: 2.0,
            repeat_factor: 0.5,
            camera_factor: 1.0,
            thresholds: Thresholds {
                yellow: 8.0,
                orange: 20.0,
                red: 40.0,
            },
        }
    }
}

impl RiskWeights {
    /// Refuses weights that would make nonsense: negative or non-finite
    /// numbers, thresholds out of order, a decay that never decays.
    pub fn validate(&self) -> Result<(), String> {
        let fine = |name: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(format!("{name} must be a finite number ≥ 0, got {v}"))
            }
        };
        for (i, v) in self.source_level.iter().enumerate() {
            fine(&format!("source_level[{i}]"), *v)?;
        }
        for (name, map) in [
            ("source_category", &self.source_category),
            ("key_place_category", &self.key_place_category),
            ("incident_priority", &self.incident_priority),
            ("incident_category", &self.incident_category),
        ] {
            for (k, v) in map {
                fine(&format!("{name}.{k}"), *v)?;
            }
        }
        for (name, v) in [
            ("key_place_default", self.key_place_default),
            ("open_factor", self.open_factor),
            ("overdue_factor", self.overdue_factor),
            ("repeat_factor", self.repeat_factor),
            ("camera_factor", self.camera_factor),
        ] {
            fine(name, v)?;
        }
        for (name, v) in [
            ("line_full_km", self.line_full_km),
            ("half_life_days", self.half_life_days),
            ("window_days", self.window_days),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("{name} must be a finite number > 0, got {v}"));
            }
        }
        let t = self.thresholds;
        let rising = 0.0 < t.yellow && t.yellow <= t.orange && t.orange <= t.red;
        if !(rising && t.red.is_finite()) {
            return Err(format!(
                "thresholds must rise: 0 < yellow ≤ orange ≤ red, got {} / {} / {}",
                t.yellow, t.orange, t.red
            ));
        }
        Ok(())
    }

    /// The level a score falls in.
    #[must_use]
    pub fn level(&self, score: f64) -> RiskLevel {
        let t = self.thresholds;
        if score >= t.red {
            RiskLevel::Major
        } else if score >= t.orange {
            RiskLevel::Significant
        } else if score >= t.yellow {
            RiskLevel::General
        } else {
            RiskLevel::Low
        }
    }

    /// A risk source's full points.
    #[must_use]
    pub fn source_points(&self, level: RiskLevel, category: &str) -> f64 {
        self.source_level[usize::from(u8::from(level)) - 1]
            * self.source_category.get(category).copied().unwrap_or(1.0)
    }

    /// A key place's full points.
    #[must_use]
    pub fn place_points(&self, category: &str) -> f64 {
        self.key_place_category
            .get(category)
            .copied()
            .unwrap_or(self.key_place_default)
    }

    /// How much of an incident's weight is left `age_ms` after it was
    /// reported: halving every half-life, nothing past the window (and
    /// full for a report time in the future: a clock's drift).
    #[must_use]
    pub fn decay(&self, age_ms: i64) -> f64 {
        let days = age_ms.max(0) as f64 / 86_400_000.0;
        if days > self.window_days {
            0.0
        } else {
            0.5f64.powf(days / self.half_life_days)
        }
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // weights and halvings are exact
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_a_file_names_only_what_it_changes() {
        RiskWeights::default().validate().unwrap();
        let w: RiskWeights = serde_json::from_str(
            r#"{"half_life_days": 3, "thresholds": {"yellow": 1, "orange": 2, "red": 3}}"#,
        )
        .unwrap();
        assert_eq!(w.half_life_days, 3.0);
        assert_eq!(w.source_level, RiskWeights::default().source_level);
        assert_eq!(w.level(2.5), RiskLevel::Significant);
        let e = serde_json::from_str::<RiskWeights>(r#"{"half_life": 3}"#).unwrap_err();
        assert!(e.to_string().contains("half_life"), "{e}");
    }

    #[test]
    fn bad_weights_are_refused_with_the_field_named() {
        let mut w = RiskWeights::default();
        w.thresholds.orange = 100.0;
        assert!(w.validate().unwrap_err().contains("thresholds"));
        let mut w = RiskWeights::default();
        w.source_level[2] = -1.0;
        assert!(w.validate().unwrap_err().contains("source_level[2]"));
        let w = RiskWeights {
            half_life_days: 0.0,
            ..RiskWeights::default()
        };
        assert!(w.validate().unwrap_err().contains("half_life_days"));
    }

    #[test]
    fn decay_halves_per_half_life_and_stops_at_the_window() {
        let w = RiskWeights::default();
        let day = 86_400_000;
        assert_eq!(w.decay(0), 1.0);
        assert!((w.decay(7 * day) - 0.5).abs() < 1e-12);
        assert!((w.decay(14 * day) - 0.25).abs() < 1e-12);
        assert_eq!(w.decay(29 * day), 0.0);
        assert_eq!(w.decay(-day), 1.0);
    }
}
