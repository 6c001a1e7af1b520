//! A user's visible part of the area tree (分级授权), resolved against the
//! current engine: everything for a system admin, one subtree for everyone
//! else, nothing if their area no longer exists.
//!
//! A subtree is an index into one area tree, and an areas import builds a
//! new tree whose indexes name other areas. A request reads its scope under
//! one read of the engine and may use it under a later one (a patrol view
//! reads stored tracks in between); so a subtree remembers its tree's
//! generation and, asked about another tree, sees nothing — a moment's empty
//! answer, never another district's.

use super::user::User;
use riskmap_engine::{AreaIdx, AreaTree};

/// What a user may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The whole system (an admin bound to no area).
    All,
    /// One area and everything below it.
    Subtree {
        /// The area.
        root: AreaIdx,
        /// The generation of the area tree `root` indexes.
        tree: u64,
    },
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
        Scope::of_area(&user.area, tree)
    }

    /// The subtree of `root`, an area of `tree`.
    #[must_use]
    pub fn subtree(root: AreaIdx, tree: &AreaTree) -> Scope {
        Scope::Subtree {
            root,
            tree: tree.generation(),
        }
    }

    /// The scope of an area code: its subtree, everything for no code (a
    /// city-wide login), nothing for an unknown one.
    #[must_use]
    pub fn of_area(code: &str, tree: &AreaTree) -> Scope {
        if code.is_empty() {
            return Scope::All;
        }
        tree.idx(code)
            .map_or(Scope::Nothing, |root| Scope::subtree(root, tree))
    }

    /// Narrows to an area (which must lie inside the scope).
    #[must_use]
    pub fn narrow(self, area: AreaIdx, tree: &AreaTree) -> Scope {
        if self.contains(Some(area), tree) {
            Scope::subtree(area, tree)
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
            (_, Some(g)) => self
                .root_in(tree)
                .is_some_and(|root| tree.is_within(g, root)),
            _ => false,
        }
    }

    /// The codes of every area in the scope (none for [`Scope::All`]: no
    /// filter at all), for a store query to filter by: things tied to an
    /// area code (an incident's grid, a principal's area) are in the scope
    /// exactly when their code is in this list.
    #[must_use]
    pub fn area_codes(self, tree: &AreaTree) -> Option<Vec<String>> {
        match (self, self.root_in(tree)) {
            (Scope::All, _) => None,
            (_, Some(root)) => Some(
                tree.iter()
                    .filter(|(i, _)| tree.is_within(*i, root))
                    .map(|(_, a)| a.code.clone())
                    .collect(),
            ),
            (_, None) => Some(Vec::new()),
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
            _ => self.root_in(tree).into_iter().collect(),
        }
    }

    /// The root area of the scope in `tree`: none for the whole system or
    /// nothing, nor for a subtree of another area tree.
    #[must_use]
    pub fn root_in(self, tree: &AreaTree) -> Option<AreaIdx> {
        match self {
            Scope::Subtree { root, tree: g } if g == tree.generation() => Some(root),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::test_city::{branches_swapped, two_district_city};

    fn tree(areas: Vec<riskmap_engine::model::Area>) -> AreaTree {
        AreaTree::build(areas, h3o::Resolution::Seven).expect("a test tree")
    }

    #[test]
    fn a_subtree_read_before_an_areas_import_sees_nothing_of_the_new_tree() {
        let before = tree(two_district_city());
        let d = Scope::of_area("d", &before);
        assert!(d.contains(before.idx("g"), &before));
        assert!(!d.contains(before.idx("g2"), &before));
        // The import renumbers: d's index is d2's now, g's is g2's.
        let after = tree(branches_swapped(two_district_city()));
        assert_eq!(after.idx("g2"), before.idx("g"));
        // Used with the new tree, the scope read before sees nothing — not
        // the other district (分级授权).
        assert!(!d.contains(after.idx("g2"), &after));
        assert!(!d.contains(after.idx("g"), &after));
        assert_eq!(d.area_codes(&after), Some(Vec::new()));
        assert!(d.tops(&after).is_empty());
        assert_eq!(d.root_in(&after), None);
        assert_eq!(d.narrowed_to(Some("g2"), &after).ok(), None);
        // Read again, it is d's own.
        let d = Scope::of_area("d", &after);
        assert!(d.contains(after.idx("g"), &after));
        assert!(!d.contains(after.idx("g2"), &after));
        assert_eq!(d.root_in(&after), after.idx("d"));
    }
}
