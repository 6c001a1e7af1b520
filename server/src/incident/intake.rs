//! Reports coming in (上报): what a report carries, the checks on its text,
//! and the new incident and first flow-log entry it becomes. Pure: the app
//! layer places the report in its grid, picks the serial number and the
//! possible duplicate, and commits.

use riskmap_engine::model::EpochMs;
use riskmap_engine::sphere::LonLat;

use super::channel::Intake;
use super::error::IncidentError;
use super::model::{Action, Chain, Detail, Incident, LogEntry, Priority, Source, State};
use crate::identity::{User, UserRole};
use riskmap_wire::ReportIn;

/// Longest description or comment, characters.
const MAX_TEXT: usize = 4_000;
/// Most photo references on one report or action.
const MAX_PHOTOS: usize = 20;
/// Longest photo reference.
const MAX_PHOTO_REF: usize = 1_000;

/// Checks a description or comment and its photo references against the
/// limits.
pub fn check_text(what: &str, text: &str, photos: &[String]) -> Result<(), IncidentError> {
    if text.chars().count() > MAX_TEXT {
        return Err(IncidentError::Invalid(format!(
            "{what} is longer than {MAX_TEXT} characters"
        )));
    }
    if photos.len() > MAX_PHOTOS {
        return Err(IncidentError::Invalid(format!(
            "at most {MAX_PHOTOS} photos, got {}",
            photos.len()
        )));
    }
    if let Some(p) = photos
        .iter()
        .find(|p| p.is_empty() || p.len() > MAX_PHOTO_REF)
    {
        return Err(IncidentError::Invalid(format!(
            "a photo reference must be 1 to {MAX_PHOTO_REF} bytes, got {}",
            p.len()
        )));
    }
    Ok(())
}

/// Who may report at all: everyone but a big screen.
pub fn check_reporter(user: &User) -> Result<(), IncidentError> {
    if user.role == UserRole::Viewer {
        return Err(IncidentError::Forbidden(
            "a viewer (big screen) cannot report incidents".into(),
        ));
    }
    Ok(())
}

/// Where and as what a report is filed, as the app layer resolved it.
#[derive(Debug, Clone)]
pub struct Filing {
    /// The serial number it gets.
    pub id: String,
    /// Its WGS84 position.
    pub position: LonLat,
    /// The code of the grid the position lies in.
    pub grid: String,
    /// An open incident it may repeat.
    pub possible_duplicate_of: Option<String>,
    /// When.
    pub now: EpochMs,
    /// Where it came from outside (none for a user's own report).
    pub intake: Option<Intake>,
}

/// The incident a report opens (or, for 事件报备, records closed) and its
/// first flow-log entry.
#[must_use]
pub fn open(user: &User, r: ReportIn, filing: Filing) -> (Incident, LogEntry) {
    let Filing {
        id,
        position,
        grid,
        possible_duplicate_of,
        now,
        intake,
    } = filing;
    let state = if r.report_only {
        State::Closed
    } else {
        State::Reported
    };
    let source = r.source.unwrap_or(if user.role == UserRole::Field {
        Source::Patrol
    } else {
        Source::Citizen
    });
    let entry = LogEntry {
        incident: id.clone(),
        seq: 1,
        at_ms: now,
        action: if r.report_only {
            Action::File
        } else {
            Action::Report
        },
        from: None,
        to: state,
        actor: user.username.clone(),
        // A report from outside is the channel's, not a staff role's.
        actor_role: if intake.is_some() {
            "channel".to_owned()
        } else {
            user.role.as_str().to_owned()
        },
        actor_area: user.area.clone(),
        comment: String::new(),
        photos: r.photos.clone(),
        detail: Detail::Report {
            possible_duplicate_of: possible_duplicate_of.clone(),
        },
    };
    let incident = Incident {
        id,
        category: r.category,
        source,
        priority: r.priority.unwrap_or(Priority::Normal),
        position,
        area: grid.clone(),
        grid,
        description: r.description.trim().to_owned(),
        photos: r.photos,
        reporter: user.username.clone(),
        reporter_staff: user.staff_id.clone(),
        state,
        report_only: r.report_only,
        assignee_staff: None,
        assignee_department: None,
        assignee_limits: None,
        merged_into: None,
        possible_duplicate_of,
        rework_count: 0,
        extension_hours: 0.0,
        step_extension_hours: 0.0,
        pending_extension: None,
        created_ms: now,
        updated_ms: now,
        step_started_ms: now,
        handled_ms: None,
        closed_ms: r.report_only.then_some(now),
        on_time: None,
        step_times: [(0, 0); 6],
        chain: Chain::default(),
        intake,
        version: 1,
    };
    (incident, entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_user() -> User {
        User {
            id: 3,
            username: "field".into(),
            display_name: "网格员".into(),
            role: UserRole::Field,
            area: "11001001001".into(),
            staff_id: Some("S1".into()),
            department: None,
            must_change_password: false,
        }
    }

    fn report(report_only: bool) -> ReportIn {
        serde_json::from_value(serde_json::json!({
            "category": "0101", "lon": 120.05, "lat": 28.05,
            "description": "  楼道堆物  ", "photos": ["p1"], "report_only": report_only,
        }))
        .unwrap()
    }

    fn filing() -> Filing {
        Filing {
            id: "SJ20261202000001".into(),
            position: LonLat {
                lon: 120.05,
                lat: 28.05,
            },
            grid: "11001001001".into(),
            possible_duplicate_of: Some("SJ20261201000009".into()),
            now: 1_000,
            intake: None,
        }
    }

    #[test]
    fn a_field_report_opens_a_patrol_incident_in_its_grid() {
        let (i, e) = open(&field_user(), report(false), filing());
        assert_eq!(
            (i.state, i.source, i.version),
            (State::Reported, Source::Patrol, 1)
        );
        assert_eq!(
            (i.grid.as_str(), i.area.as_str()),
            ("11001001001", "11001001001")
        );
        assert_eq!(i.description, "楼道堆物");
        assert_eq!(i.reporter_staff.as_deref(), Some("S1"));
        assert_eq!(
            (e.seq, e.action, e.from, e.to),
            (1, Action::Report, None, State::Reported)
        );
        assert_eq!(
            e.detail,
            Detail::Report {
                possible_duplicate_of: Some("SJ20261201000009".into())
            }
        );
    }

    #[test]
    fn a_filing_is_closed_at_once() {
        let (i, e) = open(&field_user(), report(true), filing());
        assert_eq!(
            (i.state, i.closed_ms, e.action),
            (State::Closed, Some(1_000), Action::File)
        );
    }

    #[test]
    fn text_and_photos_are_bounded_and_screens_do_not_report() {
        assert!(check_text("description", &"字".repeat(MAX_TEXT), &[]).is_ok());
        assert!(check_text("description", &"字".repeat(MAX_TEXT + 1), &[]).is_err());
        assert!(check_text("c", "", &vec!["p".into(); MAX_PHOTOS + 1]).is_err());
        assert!(check_text("c", "", &[String::new()]).is_err());
        let screen = User {
            role: UserRole::Viewer,
            ..field_user()
        };
        assert!(matches!(
            check_reporter(&screen),
            Err(IncidentError::Forbidden(_))
        ));
        assert!(check_reporter(&field_user()).is_ok());
    }
}
