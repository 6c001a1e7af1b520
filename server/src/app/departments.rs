//! Departments (部门, 网格+) on the running server: an administrator saves
//! the departments of their own subtree (one from a form, or many from an
//! import); everyone reads those that serve their area — the ones inside it
//! and the ones above it that an incident of theirs can be routed to.

use riskmap_engine::AreaTree;
use serde::Serialize;
use thiserror::Error;

use super::App;
use super::cluster::{Change, Shipment};
use crate::event::DomainEvent;
use crate::identity::{Scope, User, UserRole};
use crate::org::{Department, OrgError};
use crate::store::StoreError;

/// Most departments in one save.
pub const MAX_DEPARTMENTS_PER_SAVE: usize = 10_000;

/// Why departments could not be saved or read.
#[derive(Debug, Error)]
pub enum DepartmentError {
    /// Refused: invalid, outside the caller's area, unknown.
    #[error(transparent)]
    Refused(#[from] OrgError),
    /// The store failed (nothing changed).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A department as clients read it: the record, its area's name and level,
/// and the logins bound to it.
#[derive(Debug, Clone, Serialize)]
pub struct DepartmentView {
    /// The record.
    #[serde(flatten)]
    pub department: Department,
    /// Its area's name.
    pub area_name: Option<String>,
    /// Its area's level (city, district, street …).
    pub level: Option<riskmap_engine::model::AreaLevel>,
    /// Usernames of the logins bound to it.
    pub members: Vec<String>,
}

impl App {
    /// Saves departments (added, or replaced by code) inside `admin`'s
    /// subtree, all or none; how many.
    ///
    /// # Errors
    /// [`OrgError::Forbidden`] for a non-administrator or an area outside
    /// their subtree (also for replacing a department that serves one),
    /// [`OrgError::Invalid`] naming the first bad department.
    pub async fn save_departments(
        &self,
        admin: &User,
        list: Vec<Department>,
    ) -> Result<usize, DepartmentError> {
        if admin.role != UserRole::Admin {
            return Err(
                OrgError::Forbidden("managing departments is for administrators".into()).into(),
            );
        }
        if list.is_empty() || list.len() > MAX_DEPARTMENTS_PER_SAVE {
            return Err(OrgError::Invalid(format!(
                "give 1 to {MAX_DEPARTMENTS_PER_SAVE} departments"
            ))
            .into());
        }
        self.check_departments(admin, &list)?;
        let shipment = self.shipment(|| {
            Change::Event(Box::new(DomainEvent::DepartmentsSaved {
                departments: list.clone(),
            }))
        });
        let outgoing = shipment.as_ref().map(Shipment::outgoing);
        let id = self.store.put_departments(&list, outgoing).await?;
        self.shipped(id, shipment);
        let n = list.len();
        self.apply(&DomainEvent::DepartmentsSaved { departments: list });
        Ok(n)
    }

    /// Checks a save against the live city: every area known and inside
    /// the admin's subtree, every staff member known, codes unique, no
    /// department of another area's administrator taken over.
    fn check_departments(&self, admin: &User, list: &[Department]) -> Result<(), OrgError> {
        let engine = self.engine.read();
        let tree = engine.areas();
        let scope = Scope::of(admin, tree);
        let book = self.incidents.departments();
        let mut seen = std::collections::HashSet::new();
        for d in list {
            d.check()?;
            if !seen.insert(d.code.as_str()) {
                return Err(OrgError::Invalid(format!(
                    "department {} is given twice",
                    d.code
                )));
            }
            let area = tree.idx(&d.area).ok_or_else(|| {
                OrgError::Invalid(format!("department {}: no area {:?}", d.code, d.area))
            })?;
            let outside = |code: &str| {
                !tree
                    .idx(code)
                    .is_some_and(|a| scope.contains(Some(a), tree))
            };
            if !scope.contains(Some(area), tree) {
                return Err(OrgError::Forbidden(format!(
                    "department {}: area {} is outside your area",
                    d.code, d.area
                )));
            }
            if let Some(old) = book.get(&d.code)
                && outside(&old.area)
            {
                return Err(OrgError::Forbidden(format!(
                    "department {} serves {}, outside your area",
                    d.code, old.area
                )));
            }
            if let Some(s) = d.staff.iter().find(|s| engine.staff().find(s).is_none()) {
                return Err(OrgError::Invalid(format!(
                    "department {}: no staff member {s:?}",
                    d.code
                )));
            }
        }
        Ok(())
    }

    /// The departments `user` may route to or manage: those serving an
    /// area of their subtree, and those serving the areas above it; by area
    /// then code. `area` narrows to one area's own and those above it;
    /// `kind` to one department type.
    pub async fn departments_for(
        &self,
        user: &User,
        area: Option<&str>,
        kind: Option<&str>,
    ) -> Result<Vec<DepartmentView>, DepartmentError> {
        let members = self.store.users().await?;
        let engine = self.engine.read();
        let tree = engine.areas();
        let scope = Scope::of(user, tree);
        let at = match area {
            Some(code) => Some(
                tree.idx(code)
                    .filter(|&a| scope.contains(Some(a), tree))
                    .ok_or_else(|| OrgError::NotFound(format!("in area {code}")))?,
            ),
            None => None,
        };
        let book = self.incidents.departments();
        let mut out: Vec<DepartmentView> = book
            .iter()
            .filter(|d| kind.is_none_or(|k| d.kind == k))
            .filter(|d| {
                let Some(a) = tree.idx(&d.area) else {
                    return scope == Scope::All;
                };
                match at {
                    Some(place) => tree.is_within(place, a),
                    None => serves_scope(scope, a, tree),
                }
            })
            .map(|d| {
                let idx = tree.idx(&d.area);
                DepartmentView {
                    department: d.clone(),
                    area_name: idx.map(|a| tree.get(a).name.clone()),
                    level: idx.map(|a| tree.get(a).level),
                    members: members
                        .iter()
                        .filter(|m| m.user.department.as_deref() == Some(d.code.as_str()))
                        .map(|m| m.user.username.clone())
                        .collect(),
                }
            })
            .collect();
        out.sort_by(|a, b| {
            (&a.department.area, &a.department.code).cmp(&(&b.department.area, &b.department.code))
        });
        Ok(out)
    }
}

/// Whether a department serving area `a` matters to a user of `scope`: it
/// lies inside the scope, or above it (the district's office serves the
/// district's streets).
fn serves_scope(scope: Scope, a: riskmap_engine::AreaIdx, tree: &AreaTree) -> bool {
    match scope {
        Scope::All => true,
        _ => scope
            .root_in(tree)
            .is_some_and(|root| tree.is_within(a, root) || tree.is_within(root, a)),
    }
}
