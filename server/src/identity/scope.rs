//! A user's visible part of the area tree (分级授权), resolved against the
//! current engine: everything for a system admin, one subtree for everyone
//! else, nothing if their area no longer exists.

use super::user::User;
use riskmap_engine::{AreaIdx, AreaTree};

/// What a user may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The whole system (an admin bound to no area).
    All,
    /// One area and everything below it.
    Subtree(AreaIdx),
    /// Nothing: the user's area is not in the tree.
    Nothing,
}

impl Scope {
    /// The scope of a user in a tree.
    #[must_use]
    pub fn of(user: &User, tree: &AreaTree) -> Scope {
        if user.is_system_admin() {
            return Scope::All;
        }
        if user.area.is_empty() {
            return Scope::Nothing;
        }
        tree.idx(&user.area).map_or(Scope::Nothing, Scope::Subtree)
    }

    /// The scope of an area code: its subtree, everything for no code (a
    /// city-wide login), nothing for an unknown one.
    #[must_use]
    pub fn of_area(code: &str, tree: &AreaTree) -> Scope {
        if code.is_empty() {
            return Scope::All;
        }
        tree.idx(code).map_or(Scope::Nothing, Scope::Subtree)
    }

    /// Narrows to an area (which must lie inside the scope).
    #[must_use]
    pub fn narrow(self, area: AreaIdx, tree: &AreaTree) -> Scope {
        if self.contains(Some(area), tree) {
            Scope::Subtree(area)
        } else {
            Scope::Nothing
        }
    }

    /// Narrowed to the area `code` if given; `Err` with the answer to give
    /// when that area is not in the scope (not found, as anything unseen).
    pub fn narrowed_to(self, code: Option<&str>, tree: &AreaTree) -> Result<Scope, String> {
        let Some(code) = code else {
            return Ok(self);
        };
        tree.idx(code)
            .filter(|&a| self.contains(Some(a), tree))
            .map(|a| self.narrow(a, tree))
            .ok_or_else(|| format!("no area {code} in your area"))
    }

    /// Whether something placed in `grid` (or placed nowhere) is visible.
    /// Things outside every grid are visible to system admins only.
    #[must_use]
    pub fn contains(self, grid: Option<AreaIdx>, tree: &AreaTree) -> bool {
        match (self, grid) {
            (Scope::All, _) => true,
            (Scope::Subtree(root), Some(g)) => tree.is_within(g, root),
            _ => false,
        }
    }

    /// The codes of every area in the scope (none for [`Scope::All`]: no
    /// filter at all), for a store query to filter by: things tied to an
    /// area code (an incident's grid, a principal's area) are in the scope
    /// exactly when their code is in this list.
    #[must_use]
    pub fn area_codes(self, tree: &AreaTree) -> Option<Vec<String>> {
        match self {
            Scope::All => None,
            Scope::Subtree(root) => Some(
                tree.iter()
                    .filter(|(i, _)| tree.is_within(*i, root))
                    .map(|(_, a)| a.code.clone())
                    .collect(),
            ),
            Scope::Nothing => Some(Vec::new()),
        }
    }

    /// The top areas of the scope: the tree's roots for the whole system,
    /// the bound area, or none.
    #[must_use]
    pub fn tops(self, tree: &AreaTree) -> Vec<AreaIdx> {
        match self {
            Scope::All => tree
                .iter()
                .filter(|(_, a)| a.parent.is_none())
                .map(|(i, _)| i)
                .collect(),
            Scope::Subtree(root) => vec![root],
            Scope::Nothing => Vec::new(),
        }
    }

    /// The root area of the scope, if any.
    #[must_use]
    pub fn root(self) -> Option<AreaIdx> {
        match self {
            Scope::Subtree(a) => Some(a),
            _ => None,
        }
    }
}
