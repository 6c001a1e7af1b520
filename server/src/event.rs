//! Domain events (领域事件): every committed change of the city's live
//! state, as one typed, serialisable value.
//!
//! The app layer makes one after each commit and hands it to `App::apply`,
//! the one place where a change reaches the engine, the incident book and
//! the live hub. The same values are what a cluster of nodes would carry
//! between them: applying an event needs nothing but the event and the
//! state it lands on.

mod layer;

use riskmap_engine::model::{DutyStatus, Fix};
use serde::{Deserialize, Serialize};

use crate::alert::Alert;
use crate::fence::Fence;
use crate::incident::model::{Incident, LogEntry};
use crate::org::Department;
use crate::roster::Shift;
use crate::store::{LayerData, WriteMode};
use crate::venue::Inspection;
pub use layer::PrebuiltTree;

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
    /// 上岗/离岗 — staff members checked in or out (duty changed on its
    /// own, not by an incident action).
    DutyChanged {
        /// Who, and their status now.
        changes: Vec<DutyChange>,
    },
    /// 告警 — an alert raised or changed (an SOS, acknowledged, closed),
    /// with the duty change it causes (the worker turns `sos`, then back).
    AlertChanged {
        /// The alert as committed.
        alert: Alert,
        /// Duty changes committed with it.
        duty: Vec<DutyChange>,
    },
    /// 场所码 — a worker scanned a key place's code: an inspection (检查)
    /// or a check-in (打卡) recorded.
    InspectionRecorded {
        /// The record as committed.
        inspection: Inspection,
    },
    /// 设备在线 — cameras whose stream the probe found answering or not,
    /// where that changed.
    CamerasProbed {
        /// Which, and whether their stream answers now.
        changes: Vec<CameraHealth>,
    },
    /// 电子围栏 — geofences saved (drawn, edited, imported) or deleted by
    /// an administrator.
    FencesChanged {
        /// The fences added or replaced, as committed.
        put: Vec<Fence>,
        /// The ids of the fences deleted.
        removed: Vec<String>,
    },
    /// 排班 — an administrator's roster: the shifts of the cleared grids
    /// (their area's) replaced by these.
    RosterSaved {
        /// The grids whose shifts were replaced.
        cleared: Vec<String>,
        /// The new shifts.
        shifts: Vec<Shift>,
    },
    /// 部门 — departments added or changed (an admin's form, an import).
    DepartmentsSaved {
        /// The departments as committed.
        departments: Vec<Department>,
    },
    /// 图层导入 — a layer (areas, staff, cameras, risk sources, key places)
    /// imported and committed.
    LayerImported {
        /// How it met what was there.
        #[serde(with = "layer::mode")]
        mode: WriteMode,
        /// The committed features, as GeoJSON on the wire.
        #[serde(flatten, with = "layer::features")]
        data: LayerData,
        /// An areas import's tree, built while it was validated (never on
        /// the wire).
        #[serde(skip)]
        prebuilt: PrebuiltTree,
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

/// A camera found online or offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CameraHealth {
    /// Which.
    pub camera_id: String,
    /// Whether its stream answers.
    pub online: bool,
}

/// A staff member's new duty status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyChange {
    /// Who.
    pub staff_id: String,
    /// Their status now.
    pub duty: DutyStatus,
}

#[cfg(test)]
mod tests {
    use geo::polygon;
    use riskmap_engine::sphere::LonLat;

    use super::*;
    use crate::incident::model::{Action, Detail, State};

    fn fix(lon: f64, t: i64) -> Fix {
        Fix {
            position: LonLat { lon, lat: 28.0 },
            accuracy_m: Some(4.5),
            speed_mps: None,
            heading_deg: Some(90.0),
            altitude_m: None,
            battery_pct: Some(77.0),
            fix_time_ms: t,
            server_time_ms: t + 5,
        }
    }

    fn entry(action: Action, to: State, detail: Detail) -> LogEntry {
        LogEntry {
            incident: "SJ20261202000001".into(),
            seq: 2,
            at_ms: 1_000,
            action,
            from: Some(State::Accepted),
            to,
            actor: "dispatcher".into(),
            actor_role: "dispatcher".into(),
            actor_area: "330300".into(),
            comment: "快".into(),
            photos: vec!["p".into()],
            detail,
        }
    }

    /// Every event survives the trip through its wire form unchanged (a
    /// cluster carries exactly this), and says what it is in `type`.
    #[test]
    fn every_event_reads_back_as_written() {
        let mut changed = Incident::sample("SJ20261202000001", 1_000);
        changed.state = State::Dispatched;
        changed.assignee_staff = Some("S1".into());
        changed.pending_extension = None;
        let events = [
            DomainEvent::FixesRecorded {
                fixes: vec![
                    StaffFix {
                        staff_id: "S1".into(),
                        fix: fix(120.1, 1_700_000_000_000),
                    },
                    StaffFix {
                        staff_id: "S2".into(),
                        fix: fix(120.2, 1_700_000_000_001),
                    },
                ],
            },
            DomainEvent::IncidentReported {
                incident: Incident::sample("SJ20261202000001", 1_000),
                entry: entry(
                    Action::Report,
                    State::Reported,
                    Detail::Report {
                        possible_duplicate_of: None,
                    },
                ),
            },
            DomainEvent::IncidentChanged {
                incident: changed,
                entry: entry(
                    Action::Dispatch,
                    State::Dispatched,
                    Detail::Assignment {
                        staff_id: Some("S1".into()),
                        department: None,
                    },
                ),
                duty: vec![DutyChange {
                    staff_id: "S1".into(),
                    duty: DutyStatus::Busy,
                }],
            },
            DomainEvent::AlertChanged {
                alert: Alert::sample(1_000),
                duty: vec![DutyChange {
                    staff_id: "S1".into(),
                    duty: DutyStatus::Sos,
                }],
            },
        ];
        let square = geo::MultiPolygon(vec![polygon![
            (x: 120.0, y: 28.0),
            (x: 120.1, y: 28.0),
            (x: 120.1, y: 28.1),
            (x: 120.0, y: 28.0),
        ]]);
        let events = events.into_iter().chain([DomainEvent::LayerImported {
            mode: WriteMode::Replace,
            data: LayerData::Areas(vec![riskmap_engine::model::Area {
                code: "330302".into(),
                name: "鹿城区".into(),
                level: riskmap_engine::model::AreaLevel::District,
                parent: Some("330300".into()),
                geometry: square,
            }]),
            prebuilt: PrebuiltTree::default(),
        }]);
        let kinds = [
            "fixes_recorded",
            "incident_reported",
            "incident_changed",
            "alert_changed",
            "layer_imported",
        ];
        for (event, kind) in events.zip(kinds) {
            let text = serde_json::to_string(&event).unwrap();
            let back: DomainEvent = serde_json::from_str(&text).unwrap();
            assert_eq!(back, event, "{text}");
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["type"], kind);
        }
    }
}
