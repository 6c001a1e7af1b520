//! The one place a committed change takes effect: [`App::apply`] brings a
//! domain event to the engine, the incident book, the alerts and the live
//! hub. Every
//! write of the app layer commits first and then calls it; nothing else
//! changes live state.

use riskmap_engine::model::DutyStatus;
use riskmap_engine::watch::Seen;
use riskmap_engine::{Engine, EngineError, MoveOutcome, StaffIdx};
use serde_json::json;

use super::App;
use super::alerts::Found;
use super::fixes::FixReport;
use crate::clock::now_ms;
use crate::event::{DomainEvent, DutyChange, StaffFix};
use crate::incident::model::{Incident, LogEntry};
use crate::live::{Event, Reach};
use crate::metrics::Metrics;

/// What applying an event did, for the answer to whoever made it.
#[derive(Debug, Default)]
pub struct Applied {
    /// For fixes: how many moved a position, how many were older.
    pub fixes: FixReport,
    /// For fixes: what the track rules found (脱岗, 静止) and the zones
    /// crossed (围栏); the node that committed the fixes raises the alerts.
    pub found: Vec<(String, Found)>,
    /// For a layer: the engine's refusal of what the store took (a bug:
    /// the import was checked against everything the engine checks).
    pub refused: Option<EngineError>,
}

impl App {
    /// Applies a committed change to the live state and announces it.
    pub fn apply(&self, event: &DomainEvent) -> Applied {
        match event {
            DomainEvent::FixesRecorded { fixes } => {
                let (fixes, found) = self.move_staff(fixes);
                Applied {
                    fixes,
                    found,
                    refused: None,
                }
            }
            DomainEvent::IncidentReported { incident, entry } => {
                self.change_incident(incident, entry, &[]);
                Applied::default()
            }
            DomainEvent::IncidentChanged {
                incident,
                entry,
                duty,
            } => {
                self.change_incident(incident, entry, duty);
                Applied::default()
            }
            DomainEvent::DutyChanged { changes } => {
                self.set_duties(changes);
                Applied::default()
            }
            DomainEvent::AlertChanged { alert, duty } => {
                self.change_alert(alert, duty);
                Applied::default()
            }
            DomainEvent::InspectionRecorded { inspection } => {
                self.record_inspection(inspection);
                Applied::default()
            }
            DomainEvent::FencesChanged { put, removed } => {
                self.change_fences(put, removed);
                Applied::default()
            }
            DomainEvent::RosterSaved { cleared, shifts } => {
                self.change_roster(cleared, shifts);
                Applied::default()
            }
            DomainEvent::DepartmentsSaved { departments } => {
                self.incidents.put_departments(departments.clone());
                Applied::default()
            }
            DomainEvent::CamerasProbed { changes } => {
                self.set_cameras_online(changes);
                self.tiles
                    .changed(riskmap_engine::tile::layers::TileLayer::Cameras);
                Applied::default()
            }
            DomainEvent::LayerImported {
                mode,
                data,
                prebuilt,
            } => {
                let refused = self.apply_layer(data.clone(), *mode, prebuilt.take()).err();
                Applied {
                    refused,
                    ..Applied::default()
                }
            }
        }
    }

    /// Moves staff to their committed fixes (an older fix than the live
    /// position stays in the track only); the moves go out at the next tick.
    /// The moves are judged by the track rules.
    fn move_staff(&self, fixes: &[StaffFix]) -> (FixReport, Vec<(String, Found)>) {
        let mut report = FixReport::default();
        let mut moved = Vec::with_capacity(fixes.len());
        {
            let mut engine = self.engine.write();
            for f in fixes {
                // A member removed by an import since the check is no one's.
                let outcome = engine
                    .staff()
                    .find(&f.staff_id)
                    .map(|idx| (idx, engine.apply_fix(idx, f.fix)));
                match outcome {
                    Some((idx, Ok(MoveOutcome::Applied))) => {
                        report.applied += 1;
                        moved.push((idx, f));
                    }
                    _ => report.stale += 1,
                }
            }
        }
        Metrics::add(&self.metrics.fixes_applied, report.applied as u64);
        Metrics::add(&self.metrics.fixes_stale, report.stale as u64);
        let fencing = self.fences.judging();
        let found = if self.alerts.watching() || fencing {
            let seen = seen(&self.engine.read(), &moved);
            let mut found = self.alerts.watch(seen.iter().copied());
            if fencing {
                found.extend(self.fences.observe(&seen));
            }
            found
        } else {
            Vec::new()
        };
        self.patrol_observe(&moved);
        self.hub.note_moves(moved.into_iter().map(|(idx, _)| idx));
        (report, found)
    }

    /// Puts a committed incident in the book, applies the duty changes it
    /// caused, and pushes the incident, the staff changes, and to a newly
    /// assigned staff member their task.
    ///
    /// An incident the book already holds at this version or a newer one is
    /// left alone: a cluster node can receive another node's change after a
    /// newer one (or twice), and the book must not go back.
    fn change_incident(&self, incident: &Incident, entry: &LogEntry, duty: &[DutyChange]) {
        let log_len = entry.seq;
        let now = now_ms();
        let held_before = {
            let book = self.incidents.book();
            match book.get(&incident.id) {
                Some(e) if e.incident.version >= incident.version => return,
                Some(e) => e.incident.state.holds_assignee(),
                None => false,
            }
        };
        self.incidents.put(incident.clone(), log_len, now);
        // The change may owe a source a call-back (written with it).
        self.channels.owed.notify_one();
        self.risk_incident(&incident.id, now);
        self.set_duties(duty);
        let view = self.publish_incident(&incident.id, now);
        if let Some(v) = &view {
            self.push_chain_alert(v, entry);
        }
        let took_on = incident.state.holds_assignee() && !held_before;
        if took_on && let (Some(staff), Some(view)) = (&incident.assignee_staff, view) {
            let task = json!({ "type": "task", "incident": view }).to_string();
            self.hub.send_to_staff(staff, &task.into());
        }
    }

    /// Sets committed duty statuses and pushes the members' new state.
    pub(super) fn set_duties(&self, duty: &[DutyChange]) {
        for d in duty {
            {
                let mut engine = self.engine.write();
                if let Some(idx) = engine.staff().find(&d.staff_id) {
                    let _ = engine.set_duty(idx, d.duty);
                }
            }
            self.publish_staff(&d.staff_id);
        }
    }

    /// Tells viewers about a staff member's changed record (duty, profile).
    pub fn publish_staff(&self, staff_id: &str) {
        let engine = self.engine.read();
        let Some(m) = engine
            .staff()
            .find(staff_id)
            .and_then(|i| engine.staff().get(i))
        else {
            return;
        };
        let text = json!({
            "type": "staff_update",
            "staff": crate::live::protocol::staff_json(m, engine.areas()),
        })
        .to_string();
        self.hub.publish(Event {
            text: text.into(),
            layer: riskmap_wire::Layers::STAFF,
            reach: Reach::of(m.home, engine.areas()),
            at: m.fix.map(|f| f.position),
        });
    }
}

/// The applied fixes as the track rules see them, read after the write lock
/// is let go (the grid of a fix is a locator lookup; its answer stays cached
/// in the member for dispatch). A fix's index was found under that write: a
/// staff import since may have given its slot to another member, whose home
/// and duty would judge this one's fix, so a slot holding someone else is
/// looked up again by id.
fn seen<'a>(engine: &Engine, moved: &[(StaffIdx, &'a StaffFix)]) -> Vec<(&'a str, Seen)> {
    let tree = engine.areas();
    let staff = engine.staff();
    moved
        .iter()
        .filter_map(|&(idx, f)| {
            let m = staff
                .get(idx)
                .filter(|m| m.id == f.staff_id.as_str())
                .or_else(|| staff.find(&f.staff_id).and_then(|i| staff.get(i)))?;
            Some((
                f.staff_id.as_str(),
                Seen {
                    t: f.fix.fix_time_ms,
                    at: f.fix.position,
                    // Staff with no home grid have no grid to leave.
                    in_home_grid: m.home.is_none()
                        || m.grid_of(&f.fix, |p| tree.grid_at(p)) == m.home,
                    on_duty: matches!(m.duty, DutyStatus::Available | DutyStatus::Busy),
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::test_city::{fix_at, one_grid_city};
    use riskmap_engine::EngineConfig;
    use riskmap_engine::model::{Role, Staff};

    #[test]
    fn a_fix_is_judged_by_its_own_member_when_its_slot_went_to_another() {
        let mut e = Engine::new(EngineConfig::default()).unwrap();
        e.replace_areas(one_grid_city("g")).unwrap();
        let mut member = |id: &str, duty| {
            e.upsert_staff(&Staff {
                id: id.into(),
                name: id.into(),
                role: Role::GridWorker,
                skills: vec![],
                home_grid: "g".into(),
                duty,
                devices: vec![],
                last_fix: None,
            })
            .unwrap()
        };
        let on = member("S1", DutyStatus::Available);
        let off = member("S2", DutyStatus::Off);
        let fix = StaffFix {
            staff_id: "S1".into(),
            fix: fix_at(120.05, 28.05, 1_000_000),
        };
        // S1's fix applied at S1's slot: on duty.
        assert!(seen(&e, &[(on, &fix)])[0].1.on_duty);
        // The same fix, its slot given to S2 (off duty) by an import since:
        // still judged as S1's.
        let judged = seen(&e, &[(off, &fix)]);
        assert_eq!(judged[0].0, "S1");
        assert!(judged[0].1.on_duty, "judged by S2's duty");
    }
}
