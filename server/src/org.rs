//! The organisation behind the grids (网格+): departments (部门) — the
//! offices a category of problem is routed to (一网分流), each serving one
//! area of the tree at its level (a street's 综治中心, a district's
//! 综合行政执法局 …).
//!
//! Pure: the record, its checks, and the book a node holds. A department's
//! `kind` is the department type the incident dictionary names for a
//! category ("派出所", "综合行政执法队" …), so that routing is a walk up the
//! area tree from the incident's owner to the first area that has a
//! department of that kind: the lowest level that can handle it.

use std::collections::HashMap;

use riskmap_engine::model::AreaLevel;
use riskmap_engine::{AreaIdx, AreaTree};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::incident::model::StepLimits;
use thiserror::Error;

/// Longest code, name or kind, in characters.
const MAX_TEXT: usize = 100;

/// Most staff members listed on one department.
const MAX_STAFF: usize = 10_000;

/// Why a department was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum OrgError {
    /// A field is missing or malformed.
    #[error("{0}")]
    Invalid(String),
    /// The department serves an area outside the caller's subtree.
    #[error("{0}")]
    Forbidden(String),
    /// No such department (or none the caller may see).
    #[error("no department {0}")]
    NotFound(String),
}

/// 部门 — one office, serving one area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// Unique code, e.g. `330302001-zhzx`: letters, digits, `-`, `_`, `.`.
    pub code: String,
    /// The name people use, e.g. 五马街道综治中心.
    pub name: String,
    /// Its type: a department name of the incident dictionary (综治中心,
    /// 派出所 …), the key routing matches.
    pub kind: String,
    /// Code of the area it serves; its level is that area's.
    pub area: String,
    /// Staff ids of its field members (the accounts bound to it name it
    /// themselves).
    #[serde(default)]
    pub staff: Vec<String>,
    /// Its own time limits for signing and handling (hours, `normal`
    /// priority), instead of the category's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<StepLimits>,
}

impl Department {
    /// Checks the fields that need no city: code, name, kind, staff list.
    ///
    /// # Errors
    /// [`OrgError::Invalid`], naming the field.
    pub fn check(&self) -> Result<(), OrgError> {
        let code_ok = !self.code.is_empty()
            && self.code.chars().count() <= MAX_TEXT
            && self
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !code_ok {
            return Err(OrgError::Invalid(format!(
                "department code {:?}: 1–{MAX_TEXT} letters, digits, '-', '_' or '.'",
                self.code
            )));
        }
        for (field, value) in [("name", &self.name), ("kind", &self.kind)] {
            let n = value.trim().chars().count();
            if n == 0 || n > MAX_TEXT || value.chars().any(char::is_control) {
                return Err(OrgError::Invalid(format!(
                    "department {}: `{field}` must be 1–{MAX_TEXT} printable characters",
                    self.code
                )));
            }
        }
        if self.limits.is_some_and(|l| !l.is_valid()) {
            return Err(OrgError::Invalid(format!(
                "department {}: `limits` are `sign` and `handle`, positive hours below 100000",
                self.code
            )));
        }
        if self.staff.len() > MAX_STAFF || self.staff.iter().any(|s| s.trim().is_empty()) {
            return Err(OrgError::Invalid(format!(
                "department {}: `staff` holds at most {MAX_STAFF} non-empty staff ids",
                self.code
            )));
        }
        Ok(())
    }
}

/// 三级联动: the command centre that owns what is owned by `area` — the
/// area itself at street level or above (街镇, 区县, 城市 each have one),
/// else its street (a grid or a community has no centre of its own).
#[must_use]
pub fn command_centre(tree: &AreaTree, area: AreaIdx) -> AreaIdx {
    tree.chain(area)
        .into_iter()
        .find(|&a| {
            matches!(
                tree.get(a).level,
                AreaLevel::Street | AreaLevel::District | AreaLevel::City
            )
        })
        .unwrap_or(area)
}

/// Every department a node knows, by code.
#[derive(Debug, Clone, Default)]
pub struct Departments {
    by_code: HashMap<String, Department>,
    /// Codes by (area code, kind), for routing's walk up the tree.
    by_place: HashMap<(String, String), Vec<String>>,
}

impl Departments {
    /// A book of `list` (a later department of the same code wins).
    #[must_use]
    pub fn new(list: Vec<Department>) -> Departments {
        let mut book = Departments::default();
        book.put_all(list);
        book
    }

    /// Adds or replaces departments.
    pub fn put_all(&mut self, list: Vec<Department>) {
        for d in list {
            if let Some(old) = self.by_code.remove(&d.code) {
                let key = (old.area, old.kind);
                if let Some(codes) = self.by_place.get_mut(&key) {
                    codes.retain(|c| *c != d.code);
                }
            }
            let codes = self
                .by_place
                .entry((d.area.clone(), d.kind.clone()))
                .or_default();
            codes.push(d.code.clone());
            codes.sort();
            self.by_code.insert(d.code.clone(), d);
        }
    }

    /// A department by code.
    #[must_use]
    pub fn get(&self, code: &str) -> Option<&Department> {
        self.by_code.get(code)
    }

    /// How many.
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// Every department, in no order.
    pub fn iter(&self) -> impl Iterator<Item = &Department> {
        self.by_code.values()
    }

    /// 一网分流: the department of `kind` serving `owner` (the area that owns
    /// an incident) or, failing that, the nearest area above it; the first
    /// by code where one area has several.
    #[must_use]
    pub fn route(&self, kind: &str, owner: AreaIdx, tree: &AreaTree) -> Option<&Department> {
        tree.chain(owner).into_iter().find_map(|a| {
            let key = (tree.get(a).code.clone(), kind.to_owned());
            self.by_place
                .get(&key)
                .and_then(|codes| codes.first())
                .and_then(|c| self.by_code.get(c))
        })
    }

    /// Whether `dept` serves the place `grid`: its area is the grid or one of
    /// the grid's ancestors.
    #[must_use]
    pub fn serves(dept: &Department, grid: AreaIdx, tree: &AreaTree) -> bool {
        tree.idx(&dept.area)
            .is_some_and(|a| tree.is_within(grid, a))
    }
}

/// What a departments document may look like.
const SHAPES: &str = "give {\"departments\": [...]} or a GeoJSON FeatureCollection";

/// Departments from either accepted shape: `{"departments": [...]}`, or a
/// GeoJSON FeatureCollection whose features' `properties` are departments
/// (as a city's GIS exports its offices; the geometry is not kept).
///
/// # Errors
/// [`OrgError::Invalid`]: what is wrong, naming the department's position.
pub fn read_departments(body: Value) -> Result<Vec<Department>, OrgError> {
    let items: Vec<Value> = match body {
        Value::Object(mut o)
            if o.get("type").and_then(Value::as_str) == Some("FeatureCollection") =>
        {
            let Some(Value::Array(features)) = o.remove("features") else {
                return Err(OrgError::Invalid(
                    "a FeatureCollection needs `features`".into(),
                ));
            };
            features
                .into_iter()
                .enumerate()
                .map(|(i, mut f)| {
                    f.get_mut("properties")
                        .map(Value::take)
                        .filter(Value::is_object)
                        .ok_or_else(|| {
                            OrgError::Invalid(format!("feature {i}: no `properties` object"))
                        })
                })
                .collect::<Result<_, _>>()?
        }
        Value::Object(mut o) => match o.remove("departments") {
            Some(Value::Array(list)) if o.is_empty() => list,
            _ => {
                return Err(OrgError::Invalid(SHAPES.into()));
            }
        },
        _ => return Err(OrgError::Invalid(SHAPES.into())),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::from_value(v).map_err(|e| OrgError::Invalid(format!("department {i}: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, polygon};
    use riskmap_engine::model::Area;

    fn area(code: &str, level: AreaLevel, parent: Option<&str>, x: f64) -> Area {
        let p =
            polygon![(x: x, y: 0.0), (x: x + 1.0, y: 0.0), (x: x + 1.0, y: 1.0), (x: x, y: 1.0)];
        Area {
            code: code.into(),
            name: code.into(),
            level,
            parent: parent.map(Into::into),
            geometry: MultiPolygon(vec![p]),
        }
    }

    /// City c, district d, streets s1 and s2, one community and one grid in
    /// each street.
    fn tree() -> AreaTree {
        let mut areas = vec![
            area("c", AreaLevel::City, None, 0.0),
            area("d", AreaLevel::District, Some("c"), 0.0),
        ];
        for (i, s) in ["s1", "s2"].into_iter().enumerate() {
            let x = f64::from(u8::try_from(i).unwrap_or(0)) * 0.5;
            areas.push(area(s, AreaLevel::Street, Some("d"), x));
            areas.push(area(&format!("{s}m"), AreaLevel::Community, Some(s), x));
            areas.push(area(
                &format!("{s}g"),
                AreaLevel::Grid,
                Some(&format!("{s}m")),
                x,
            ));
        }
        AreaTree::build(areas, h3o::Resolution::Nine).unwrap()
    }

    fn dept(code: &str, kind: &str, area: &str) -> Department {
        Department {
            code: code.into(),
            name: code.into(),
            kind: kind.into(),
            area: area.into(),
            staff: vec![],
            limits: None,
        }
    }

    #[test]
    fn routes_to_the_lowest_level_that_has_the_kind() {
        let t = tree();
        let book = Departments::new(vec![
            dept("d-police", "派出所", "d"),
            dept("s1-police", "派出所", "s1"),
            dept("c-fire", "消防", "c"),
        ]);
        let g1 = t.idx("s1g").unwrap();
        let g2 = t.idx("s2g").unwrap();
        let s2 = t.idx("s2").unwrap();
        let code = |d: Option<&Department>| d.map(|d| d.code.clone());
        assert_eq!(code(book.route("派出所", g1, &t)), Some("s1-police".into()));
        // s2 has none: the district's.
        assert_eq!(code(book.route("派出所", g2, &t)), Some("d-police".into()));
        assert_eq!(code(book.route("派出所", s2, &t)), Some("d-police".into()));
        assert_eq!(code(book.route("消防", g1, &t)), Some("c-fire".into()));
        assert_eq!(code(book.route("环卫", g1, &t)), None);
    }

    #[test]
    fn grids_and_communities_are_owned_by_their_street() {
        let t = tree();
        let centre = |code: &str| t.get(command_centre(&t, t.idx(code).unwrap())).code.clone();
        assert_eq!(centre("s1g"), "s1");
        assert_eq!(centre("s1m"), "s1");
        assert_eq!(centre("s2"), "s2");
        assert_eq!(centre("d"), "d");
        assert_eq!(centre("c"), "c");
    }

    #[test]
    fn a_replaced_department_moves_in_the_routing() {
        let t = tree();
        let mut book = Departments::new(vec![dept("x", "派出所", "s1")]);
        book.put_all(vec![dept("x", "派出所", "s2")]);
        assert_eq!(book.len(), 1);
        let g1 = t.idx("s1g").unwrap();
        let g2 = t.idx("s2g").unwrap();
        assert!(book.route("派出所", g1, &t).is_none());
        assert_eq!(
            book.route("派出所", g2, &t).map(|d| d.area.as_str()),
            Some("s2")
        );
        assert!(Departments::serves(book.get("x").unwrap(), g2, &t));
        assert!(!Departments::serves(book.get("x").unwrap(), g1, &t));
    }

    #[test]
    fn checks_name_each_bad_field() {
        assert!(dept("a-1_b.c", "k", "s1").check().is_ok());
        for (d, word) in [
            (dept("", "k", "s1"), "code"),
            (dept("a b", "k", "s1"), "code"),
            (dept("a", "", "s1"), "kind"),
            (
                Department {
                    name: " ".into(),
                    ..dept("a", "k", "s1")
                },
                "name",
            ),
            (
                Department {
                    staff: vec![String::new()],
                    ..dept("a", "k", "s1")
                },
                "staff",
            ),
        ] {
            let e = d.check().unwrap_err().to_string();
            assert!(e.contains(word), "{e} should name {word}");
        }
    }

    #[test]
    fn both_shapes_read_the_same_departments() {
        let d = serde_json::json!({"code": "a", "name": "甲", "kind": "派出所", "area": "1"});
        let plain = read_departments(serde_json::json!({ "departments": [d.clone()] })).unwrap();
        let geo = read_departments(serde_json::json!({
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": null, "properties": d}]
        }))
        .unwrap();
        assert_eq!(plain, geo);
        assert_eq!(plain[0].staff, Vec::<String>::new());
        for bad in [
            serde_json::json!([]),
            serde_json::json!({"departments": [{"code": "a"}]}),
            serde_json::json!({"departments": [], "x": 1}),
            serde_json::json!({"type": "FeatureCollection", "features": [{"type": "Feature"}]}),
            serde_json::json!({"departments": [{"code": "a", "name": "n", "kind": "k", "area": "1", "boss": 1}]}),
        ] {
            assert!(read_departments(bad.clone()).is_err(), "{bad}");
        }
    }
}
