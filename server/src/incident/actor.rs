//! Who is acting on an incident, as far as the closed loop needs to know:
//! the user, and whether the incident's responsible area lies in their
//! subtree (分级授权).

use riskmap_engine::AreaTree;

use super::model::Incident;
use crate::identity::{Scope, User, UserRole};

/// A user facing one incident.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// The user.
    pub user: &'a User,
    /// Whether the incident's responsible area lies in the user's subtree.
    pub manages: bool,
}

impl<'a> Actor<'a> {
    /// The user facing `inc`, with `manages` read from their scope, if they
    /// may see it at all (else `None`: to them it does not exist).
    #[must_use]
    pub fn facing(user: &'a User, scope: Scope, tree: &AreaTree, inc: &Incident) -> Option<Self> {
        let visible = Actor::sees(user, scope, tree, inc);
        let manages = match scope {
            Scope::All => true,
            _ => scope
                .root_in(tree)
                .is_some_and(|root| tree.idx(&inc.area).is_some_and(|a| tree.is_within(a, root))),
        };
        visible.then_some(Actor {
            user,
            manages: visible && manages,
        })
    }

    /// Whether `user` may see `inc` at all: its grid is in their (narrowed)
    /// `scope`, or it is their own task or their department's. A list asks
    /// this of every incident it reads, and needs no more of [`Actor::facing`].
    #[must_use]
    pub fn sees(user: &User, scope: Scope, tree: &AreaTree, inc: &Incident) -> bool {
        (user.role == UserRole::Field
            && user.staff_id.is_some()
            && user.staff_id == inc.assignee_staff)
            || Actor::in_department(user, inc)
            || scope.contains(tree.idx(&inc.grid), tree)
    }

    /// A dispatcher, commander or admin of the responsible area.
    #[must_use]
    pub fn is_manager(&self) -> bool {
        self.manages
            && matches!(
                self.user.role,
                UserRole::Admin | UserRole::Commander | UserRole::Dispatcher
            )
    }

    /// A commander or admin of the responsible area.
    #[must_use]
    pub fn is_approver(&self) -> bool {
        self.manages && matches!(self.user.role, UserRole::Admin | UserRole::Commander)
    }

    /// The field user the incident is assigned to.
    #[must_use]
    pub fn is_assignee(&self, inc: &Incident) -> bool {
        self.user.role == UserRole::Field
            && inc.assignee_staff.is_some()
            && self.user.staff_id == inc.assignee_staff
    }

    /// Whoever does the work: the assigned staff member, or for a
    /// department its own logins and the managers who speak for it.
    #[must_use]
    pub fn is_handler(&self, inc: &Incident) -> bool {
        self.is_assignee(inc)
            || (inc.assignee_staff.is_none()
                && (self.is_manager()
                    || (Actor::in_department(self.user, inc)
                        && self.user.role != UserRole::Viewer)))
    }

    /// Whether the user belongs to the department the incident is assigned
    /// to.
    fn in_department(user: &User, inc: &Incident) -> bool {
        user.department.is_some() && user.department == inc.assignee_department
    }
}
