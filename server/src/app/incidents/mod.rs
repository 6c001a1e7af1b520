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
use crate::incident::machine;
use crate::incident::model::{Action, Incident};
use crate::incident::stats::{self, Stats};
use crate::incident::{Actor, Dictionary, IncidentError, IncidentView, Names};
use crate::live::{Event, Layers, Reach};

pub use write::DeskError;

/// The desk's state, held by the [`App`].
#[derive(Debug)]
pub struct Desk {
    /// Categories, limits, the work calendar.
    dict: Dictionary,
    /// Every incident, as committed.
    book: RwLock<Book>,
    /// Held from a change's check to its apply, so that changes commit and
    /// apply in one order.
    writer: tokio::sync::Mutex<()>,
    /// Set when an incident changed since statistics were last pushed.
    changed: AtomicBool,
}

impl Desk {
    /// A desk over a loaded book.
    #[must_use]
    pub fn new(dict: Dictionary, book: Book) -> Desk {
        Desk {
            dict,
            book: RwLock::new(book),
            writer: tokio::sync::Mutex::new(()),
            changed: AtomicBool::new(true),
        }
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
        stats::compute(
            book.iter()
                .filter(|e| scope.contains(tree.idx(&e.incident.grid), tree)),
            from,
            to,
        )
    }

    /// The view of a book entry now, with the names of its grid, area and
    /// assignee in `engine`.
    #[must_use]
    pub fn view(&self, engine: &Engine, e: &Entry, now: EpochMs) -> IncidentView {
        IncidentView::of(&self.dict, e, now, names(engine, &e.incident))
    }
}

/// What an incident's codes stand for in the live city.
fn names(engine: &Engine, i: &Incident) -> Names {
    let tree = engine.areas();
    let area = |code: &str| tree.idx(code).map(|a| tree.get(a).name.clone());
    let staff = engine.staff();
    Names {
        grid: area(&i.grid),
        area: area(&i.area),
        assignee: i
            .assignee_staff
            .as_deref()
            .and_then(|s| staff.find(s))
            .and_then(|idx| staff.get(idx))
            .map(|m| m.name.to_string()),
    }
}

impl App {
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
        let has_parent = tree
            .idx(&e.incident.area)
            .and_then(|a| tree.parent(a))
            .is_some();
        machine::allowed(&e.incident, actor, has_parent)
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
