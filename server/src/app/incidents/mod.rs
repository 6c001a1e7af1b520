//! The incident desk on the running server: the book of every incident,
//! the one writer that commits reports and actions (incidents change at
//! human speed, and one writer makes versions and serial numbers simple),
//! and the reads that answer clients (what a user may see of an incident
//! and do to it).
//!
//! - [`write`]: reports and actions — check, commit, then apply.
//! - [`clock`]: the incident clock (warning alerts) and today's statistics.

pub mod clock;
pub mod write;

use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::{RwLock, RwLockReadGuard};
use riskmap_engine::model::EpochMs;
use riskmap_engine::{AreaTree, Engine};

use super::App;
use crate::identity::{Scope, User};
use crate::incident::book::{Book, Entry};
use crate::incident::machine::{self, Resolved};
use crate::incident::model::{Action, Incident, Source, State};
use crate::incident::stats::{self, Stats};
use crate::incident::view::DepartmentRef;
use crate::incident::{Actor, Dictionary, IncidentError, IncidentView, Names};
use crate::live::{Event, Reach};
use crate::org::{Department, Departments, command_centre};
use riskmap_wire::Layers;

pub use write::DeskError;

/// Incidents read under one hold of the book's read by a long walk
/// ([`Desk::each_reported`]): about a millisecond of reading.
const WALK_SLICE: usize = 8_192;

/// The desk's state, held by the [`App`].
#[derive(Debug)]
pub struct Desk {
    /// Categories, limits, the work calendar.
    dict: Dictionary,
    /// Every incident, as committed.
    book: RwLock<Book>,
    /// Held from a change's check to its apply, so that changes commit and
    /// apply in one order.
    pub(in crate::app) writer: tokio::sync::Mutex<()>,
    /// Set when an incident changed since statistics were last pushed.
    changed: AtomicBool,
    /// The departments incidents are routed to (网格+).
    departments: RwLock<Departments>,
}

impl Desk {
    /// A desk over a loaded book.
    #[must_use]
    pub fn new(dict: Dictionary, book: Book, departments: Departments) -> Desk {
        Desk {
            dict,
            book: RwLock::new(book),
            writer: tokio::sync::Mutex::new(()),
            changed: AtomicBool::new(true),
            departments: RwLock::new(departments),
        }
    }

    /// The departments, for reading.
    pub fn departments(&self) -> RwLockReadGuard<'_, Departments> {
        self.departments.read()
    }

    /// Takes in committed departments.
    pub(in crate::app) fn put_departments(&self, list: Vec<Department>) {
        self.departments.write().put_all(list);
    }

    /// The configuration in force.
    #[must_use]
    pub fn dictionary(&self) -> &Dictionary {
        &self.dict
    }

    /// The book, for reading.
    pub fn book(&self) -> RwLockReadGuard<'_, Book> {
        self.book.read()
    }

    /// Hands `visit` every incident reported in `[from, to)`, newest first,
    /// reading the book [`WALK_SLICE`] incidents at a time and letting it go
    /// between slices: a city's year is tens of milliseconds of reading, and
    /// a report meanwhile waits for the book's write (the lock is fair, so a
    /// waiting write goes before the next slice). Each slice is as the book
    /// stands then: an incident changed between two slices is seen as it
    /// then stands (its report time, which orders the walk, is set once);
    /// one reported meanwhile is seen if it was reported before the walk's
    /// place (a late report of long ago), not if after.
    pub fn each_reported(
        &self,
        from: Option<EpochMs>,
        to: Option<EpochMs>,
        mut visit: impl FnMut(&Entry),
    ) {
        let mut before = None;
        loop {
            let book = self.book.read();
            let (slice, next) = book.reported_slice(from, to, before, WALK_SLICE);
            for &(_, i) in slice.iter().rev() {
                if let Some(e) = book.at(i) {
                    visit(e);
                }
            }
            before = next;
            if before.is_none() {
                return;
            }
        }
    }

    /// Whether anything changed since the last call (and clears it).
    pub fn take_changed(&self) -> bool {
        self.changed.swap(false, Ordering::AcqRel)
    }

    /// Stores a committed incident in the book.
    pub(in crate::app) fn put(&self, incident: Incident, log_len: i64, now: EpochMs) {
        self.book.write().put(incident, &self.dict, now, log_len);
        self.changed.store(true, Ordering::Release);
    }

    /// Statistics over the incidents `scope` covers, reported in `[from, to)`.
    #[must_use]
    pub fn stats(
        &self,
        scope: Scope,
        tree: &AreaTree,
        from: Option<EpochMs>,
        to: Option<EpochMs>,
    ) -> Stats {
        let book = self.book.read();
        let mine = |e: &&Entry| scope.contains(tree.idx(&e.incident.grid), tree);
        let mut s = stats::compute(
            book.open().filter(mine),
            book.reported_in(from, to).filter(mine),
        );
        let today = self.dict.calendar().day_start(crate::clock::now_ms());
        s.citizen_today = book
            .reported_in(Some(today), None)
            .filter(|e| e.incident.source == Source::Citizen && mine(e))
            .count() as u64;
        s
    }

    /// The view of a book entry now, with the names of its grid, area and
    /// assignee in `engine`.
    #[must_use]
    pub fn view(&self, engine: &Engine, e: &Entry, now: EpochMs) -> IncidentView {
        let names = names(engine, &e.incident, &self.dict, &self.departments.read());
        IncidentView::of(&self.dict, e, now, names)
    }
}

/// 上报上级: the centre above the one that owns the incident, if any.
#[must_use]
pub fn escalation_target(tree: &AreaTree, inc: &Incident) -> Option<String> {
    tree.idx(&inc.area)
        .and_then(|o| tree.parent(command_centre(tree, o)))
        .map(|p| tree.get(p).code.clone())
}

/// Where the incident's owner stands in the chain of command, as the
/// machine needs it: the area above the owning centre (to escalate to),
/// and whether `user` sits above that centre (a level that may supervise).
#[must_use]
pub fn standing(user: &User, tree: &AreaTree, inc: &Incident) -> Resolved {
    // Escalation goes to the centre above the owning one, and supervision
    // comes from a level above it (a street does not supervise its own
    // grid's incident).
    let centre = tree.idx(&inc.area).map(|o| command_centre(tree, o));
    let parent_area = escalation_target(tree, inc);
    let above_owner = match (Scope::of(user, tree), centre) {
        (Scope::All, Some(_)) => true,
        (scope, Some(o)) => scope
            .root_in(tree)
            .is_some_and(|root| o != root && tree.is_within(o, root)),
        _ => false,
    };
    Resolved {
        parent_area,
        above_owner,
        department_limits: None,
    }
}

/// What an incident's codes stand for in the live city.
fn names(engine: &Engine, i: &Incident, dict: &Dictionary, depts: &Departments) -> Names {
    let tree = engine.areas();
    let area = |code: &str| tree.idx(code).map(|a| tree.get(a).name.clone());
    let staff = engine.staff();
    let owner = tree.idx(&i.area);
    // Routing is proposed while the incident waits for a dispatch.
    let proposed = match (owner, dict.category(&i.category)) {
        (Some(o), Some(c)) if matches!(i.state, State::Reported | State::Accepted) => {
            depts.route(&c.department, o, tree).map(|d| DepartmentRef {
                code: d.code.clone(),
                name: d.name.clone(),
            })
        }
        _ => None,
    };
    Names {
        grid: area(&i.grid),
        area: area(&i.area),
        owner_centre: owner.map(|o| {
            let c = tree.get(command_centre(tree, o));
            (c.code.clone(), c.name.clone(), c.level)
        }),
        assignee_department: i
            .assignee_department
            .as_deref()
            .and_then(|d| depts.get(d))
            .map(|d| d.name.clone()),
        proposed_department: proposed,
        supervisor_area: i.chain.supervision.as_ref().and_then(|s| area(&s.by_area)),
        assignee: i
            .assignee_staff
            .as_deref()
            .and_then(|s| staff.find(s))
            .and_then(|idx| staff.get(idx))
            .map(|m| m.name.to_string()),
    }
}

/// When an incident's next answer is due: the sooner of its running step's
/// deadline and an open 督办 order's (我的待办's order).
#[must_use]
pub fn due_by(e: &Entry) -> EpochMs {
    let step = e.timing.step_deadline_ms.unwrap_or(e.timing.deadline_ms);
    e.incident
        .chain
        .open_order()
        .map_or(step, |o| o.due_ms.min(step))
}

/// The actions that move an incident on (the others — escalate, transfer,
/// merge, supervise, ask for more time — are a choice, not a duty).
const STEPS: [Action; 10] = [
    Action::Accept,
    Action::Dispatch,
    Action::Sign,
    Action::Start,
    Action::Handle,
    Action::Verify,
    Action::Close,
    Action::ApproveExtension,
    Action::AnswerSupervision,
    Action::Reject,
];

impl App {
    /// 我的待办: whether incident `e` waits for a step of `user`'s — as its
    /// assignee, as a login of its department, or as a manager of the level
    /// that owns it (their own area, not one below it).
    #[must_use]
    pub fn awaits(&self, user: &User, tree: &AreaTree, e: &Entry) -> bool {
        let inc = &e.incident;
        let Some(actor) = Actor::facing(user, Scope::of(user, tree), tree, inc) else {
            return false;
        };
        // The centre that owns it: a grid's incident waits for its street.
        let centre = tree.idx(&inc.area).map(|a| command_centre(tree, a));
        let own_level = if user.area.is_empty() {
            centre.is_some_and(|c| tree.parent(c).is_none())
        } else {
            centre.is_some_and(|c| tree.get(c).code == user.area)
        };
        let mine = actor.is_assignee(inc)
            || (inc.assignee_staff.is_none()
                && user.department.is_some()
                && user.department == inc.assignee_department)
            || (actor.is_manager() && own_level);
        mine && machine::allowed(inc, actor, &standing(user, tree, inc))
            .iter()
            .any(|a| STEPS.contains(a))
    }

    /// The actions `user` may take on incident `id` now.
    #[must_use]
    pub fn allowed_actions(&self, user: &User, id: &str) -> Vec<Action> {
        let engine = self.engine.read();
        let tree = engine.areas();
        let book = self.incidents.book.read();
        let Some(e) = book.get(id) else {
            return Vec::new();
        };
        let Some(actor) = Actor::facing(user, Scope::of(user, tree), tree, &e.incident) else {
            return Vec::new();
        };
        machine::allowed(&e.incident, actor, &standing(user, tree, &e.incident))
    }

    /// An incident the user may see, with the actions they may take.
    pub fn incident_for(&self, user: &User, id: &str) -> Result<IncidentView, IncidentError> {
        let now = crate::clock::now_ms();
        let mut v = {
            let engine = self.engine.read();
            let tree = engine.areas();
            let book = self.incidents.book.read();
            let e = book
                .get(id)
                .filter(|e| Actor::facing(user, Scope::of(user, tree), tree, &e.incident).is_some())
                .ok_or_else(|| IncidentError::not_found(id))?;
            self.incidents.view(&engine, e, now)
        };
        v.allowed = Some(self.allowed_actions(user, id));
        Ok(v)
    }

    /// Whether `user` may see incident `id` (for its log).
    #[must_use]
    pub fn may_see_incident(&self, user: &User, id: &str) -> bool {
        let engine = self.engine.read();
        let tree = engine.areas();
        let book = self.incidents.book.read();
        book.get(id).is_some_and(|e| {
            Actor::facing(user, Scope::of(user, tree), tree, &e.incident).is_some()
        })
    }

    /// Pushes an incident's current view to the viewers of its area; returns
    /// the view.
    pub(in crate::app) fn publish_incident(&self, id: &str, now: EpochMs) -> Option<IncidentView> {
        let engine = self.engine.read();
        let view = {
            let book = self.incidents.book.read();
            self.incidents.view(&engine, book.get(id)?, now)
        };
        // An incident whose grid is gone from the tree is shown to no one
        // live: an event without a grid would go to every viewer.
        if let Some(g) = engine.areas().idx(&view.grid) {
            let text = serde_json::json!({ "type": "incident", "incident": view }).to_string();
            self.hub.publish(Event {
                text: text.into(),
                layer: Layers::INCIDENTS,
                reach: Reach::of(Some(g), engine.areas()),
                at: None,
            });
        }
        Some(view)
    }
}
