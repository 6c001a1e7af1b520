//! 考核 on the running server: the incidents of the caller's area (or a
//! part of it) reported in a period, ranked per worker, department, grid,
//! street or district (分级授权 as everywhere: only what the caller sees).

use riskmap_engine::model::{AreaLevel, EpochMs};
use riskmap_engine::{AreaIdx, AreaTree};

use super::App;
use crate::identity::{Scope, User};
use crate::incident::IncidentError;
use crate::incident::assessment::{self, Level, Row, Units};

impl App {
    /// The ranking of `level`'s units over the incidents of `area` (default:
    /// the user's whole area) reported in `[from, to)`.
    ///
    /// # Errors
    /// [`IncidentError::NotFound`] for an area outside the user's.
    pub fn assessment(
        &self,
        user: &User,
        level: Level,
        area: Option<&str>,
        period: (EpochMs, EpochMs),
    ) -> Result<Vec<Row>, IncidentError> {
        let engine = self.engine.read();
        let tree = engine.areas();
        let scope = Scope::of(user, tree)
            .narrowed_to(area, tree)
            .map_err(IncidentError::NotFound)?;
        let book = self.incidents.book();
        let departments = self.incidents.departments();
        let staff = engine.staff();
        let at_level = |want: AreaLevel| {
            move |grid: &str| -> Option<String> {
                let g = tree.idx(grid)?;
                ancestor_at(tree, g, want).map(|a| tree.get(a).code.clone())
            }
        };
        let units = |inc: &crate::incident::model::Incident| -> Units {
            let area_unit = |want| {
                let unit = at_level(want)(&inc.grid);
                Units {
                    finder: unit.clone(),
                    handler: unit,
                }
            };
            match level {
                Level::Worker => Units {
                    finder: inc.reporter_staff.clone(),
                    handler: inc.assignee_staff.clone(),
                },
                Level::Department => Units {
                    finder: None,
                    handler: inc.assignee_department.clone(),
                },
                Level::Grid => area_unit(AreaLevel::Grid),
                Level::Street => area_unit(AreaLevel::Street),
                Level::District => area_unit(AreaLevel::District),
            }
        };
        let name = |key: &str| -> Option<String> {
            match level {
                Level::Worker => staff
                    .find(key)
                    .and_then(|i| staff.get(i))
                    .map(|m| m.name.to_string()),
                Level::Department => departments.get(key).map(|d| d.name.clone()),
                _ => tree.idx(key).map(|a| tree.get(a).name.clone()),
            }
        };
        let incidents = book
            .iter()
            .map(|e| &e.incident)
            .filter(|i| scope.contains(tree.idx(&i.grid), tree));
        Ok(assessment::rank(
            incidents,
            units,
            name,
            self.incidents.dictionary().calendar(),
            period,
        ))
    }
}

/// The ancestor-or-self of `idx` at `level`, if the chain has one.
fn ancestor_at(tree: &AreaTree, idx: AreaIdx, level: AreaLevel) -> Option<AreaIdx> {
    tree.chain(idx)
        .into_iter()
        .find(|&a| tree.get(a).level == level)
}
