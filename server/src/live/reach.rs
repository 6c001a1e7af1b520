//! Whose scope (分级授权) an event reaches: every viewer, those whose scope
//! holds a grid of one area tree, or the system administrators for what is
//! placed in no grid.

use crate::identity::Scope;
use riskmap_engine::{AreaIdx, AreaTree};

/// Whose scope (分级授权) an event reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Every viewer (a layer was imported: everyone reloads).
    Everyone,
    /// The viewers whose scope holds this grid (an index into the tree of
    /// that generation).
    Grid {
        /// The grid.
        grid: AreaIdx,
        /// The [generation](AreaTree::generation) of the tree it indexes.
        tree: u64,
    },
    /// Something placed in no grid (a staff member whose home grid is
    /// gone): system administrators only, as everywhere else.
    Unplaced,
}

impl Reach {
    /// The reach of something placed in `grid` of `tree`, or in none.
    #[must_use]
    pub fn of(grid: Option<AreaIdx>, tree: &AreaTree) -> Reach {
        grid.map_or(Reach::Unplaced, |grid| Reach::Grid {
            grid,
            tree: tree.generation(),
        })
    }

    /// Whether a scope read from `tree` holds this. An event placed in an
    /// older tree reaches no one: the import that replaced the tree resyncs
    /// every viewer, and its index may name another grid now.
    pub(super) fn within(self, scope: Scope, tree: &AreaTree) -> bool {
        match self {
            Reach::Everyone => true,
            Reach::Grid { grid, tree: built } => {
                built == tree.generation() && scope.contains(Some(grid), tree)
            }
            Reach::Unplaced => scope.contains(None, tree),
        }
    }
}
