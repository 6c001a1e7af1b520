//! Domain events (领域事件): every committed change of the city's live
//! state, as one typed, serialisable value.
//!
//! The app layer makes one after each commit and hands it to `App::apply`,
//! the one place where a change reaches the engine, the incident book and
//! the live hub. The same values are what a cluster of nodes would carry
//! between them: applying an event needs nothing but the event and the
//! state it lands on.

use riskmap_engine::model::{DutyStatus, Fix};
use serde::{Deserialize, Serialize};

use crate::incident::model::{Incident, LogEntry};

/// A committed change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DomainEvent {
    /// 定位 — position fixes committed to the tracks (one batch as it was
    /// sent: a request, a `/ws` message, an OsmAnd fix).
    FixesRecorded {
        /// The fixes, in the order sent.
        fixes: Vec<StaffFix>,
    },
    /// 上报 — a new incident (or a 事件报备, closed at once) and its first
    /// flow-log entry.
    IncidentReported {
        /// The incident as committed.
        incident: Incident,
        /// Its first flow-log entry.
        entry: LogEntry,
    },
    /// An action taken on an incident: its new state, the flow-log entry it
    /// left, and the duty changes it caused (its new assignee turns busy,
    /// the one it leaves available again).
    IncidentChanged {
        /// The incident as committed.
        incident: Incident,
        /// The flow-log entry.
        entry: LogEntry,
        /// Duty changes committed with it.
        duty: Vec<DutyChange>,
    },
}

/// One staff member's position fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffFix {
    /// Whose.
    pub staff_id: String,
    /// The fix (WGS84).
    pub fix: Fix,
}

/// A staff member's new duty status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyChange {
    /// Who.
    pub staff_id: String,
    /// Their status now.
    pub duty: DutyStatus,
}
