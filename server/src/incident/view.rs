//! The incident as clients see it (docs/protocol.md, "The incident"): the
//! stored fields, what the dictionary says of its category, what the clock
//! says now, and the names of the places and people its codes stand for.

use serde::Serialize;

use riskmap_engine::model::EpochMs;

use super::book::Entry;
use super::channel::{Intake, mask_phone};
use super::dictionary::Dictionary;
use super::model::{Action, PendingExtension, Priority, Source, State, Supervision};
use super::timing::Warning;
use riskmap_engine::model::AreaLevel;

/// What an incident's codes stand for, resolved by the caller against the
/// live city (a code whose area or staff member is gone has no name).
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// The grid's name (所属网格).
    pub grid: Option<String>,
    /// The responsible area's name.
    pub area: Option<String>,
    /// The assigned staff member's name (处置人).
    pub assignee: Option<String>,
    /// The command centre that owns it (the responsible area, or for a
    /// grid or community its street): code, name, level.
    pub owner_centre: Option<(String, String, AreaLevel)>,
    /// The assigned department's name.
    pub assignee_department: Option<String>,
    /// 一网分流: the department its category routes to from its owner.
    pub proposed_department: Option<DepartmentRef>,
    /// The name of the area that issued its 督办 order.
    pub supervisor_area: Option<String>,
}

/// A 督办 order as clients read it: the order and its issuer's area name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupervisionView {
    /// The order.
    #[serde(flatten)]
    pub order: Supervision,
    /// The issuing area's name.
    pub by_area_name: Option<String>,
}

/// A department named in a view: code and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepartmentRef {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
}

/// One incident as the API and `/ws` send it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentView {
    /// The serial number.
    pub id: String,
    /// Minor category code.
    pub category: String,
    /// Its Chinese name.
    pub category_name: Option<String>,
    /// Its English name.
    pub category_name_en: Option<String>,
    /// Its major category's code.
    pub category_major: Option<String>,
    /// The responsible department the dictionary names.
    pub department: Option<String>,
    /// Where the report came from.
    pub source: Source,
    /// How fast.
    pub priority: Priority,
    /// Longitude (WGS84).
    pub lon: f64,
    /// Latitude (WGS84).
    pub lat: f64,
    /// The grid's code.
    pub grid: String,
    /// The grid's name.
    pub grid_name: Option<String>,
    /// The responsible area's code.
    pub area: String,
    /// The responsible area's name.
    pub area_name: Option<String>,
    /// The command centre that owns it (三级联动: the responsible area, or
    /// for a grid or a community its street).
    pub owner_centre: Option<String>,
    /// Its name.
    pub owner_centre_name: Option<String>,
    /// Its level: street, district or city.
    pub owner_level: Option<AreaLevel>,
    /// What happened.
    pub description: String,
    /// Photo references.
    pub photos: Vec<String>,
    /// Username of the reporter.
    pub reporter: String,
    /// Staff id of the reporter.
    pub reporter_staff: Option<String>,
    /// Where it is in the loop.
    pub state: State,
    /// The state's Chinese label.
    pub state_label: &'static str,
    /// 事件报备.
    pub report_only: bool,
    /// The staff member dispatched to.
    pub assignee_staff: Option<String>,
    /// Their name.
    pub assignee_name: Option<String>,
    /// The department dispatched to.
    pub assignee_department: Option<String>,
    /// Its name.
    pub assignee_department_name: Option<String>,
    /// 一网分流: the department of the category's type at the owner's level
    /// or the nearest above it.
    pub proposed_department: Option<DepartmentRef>,
    /// 督办: the newest supervision order, answered or not.
    pub supervision: Option<SupervisionView>,
    /// Times it moved up a level.
    pub escalations: u32,
    /// Of those, by the clock.
    pub clock_escalations: u32,
    /// The incident this one was merged into.
    pub merged_into: Option<String>,
    /// An open incident this one may repeat.
    pub possible_duplicate_of: Option<String>,
    /// Reworks.
    pub rework_count: u32,
    /// Approved extensions, hours.
    pub extension_hours: f64,
    /// An extension waiting for a decision.
    pub pending_extension: Option<PendingExtension>,
    /// Reported at.
    pub created_ms: EpochMs,
    /// Last changed at.
    pub updated_ms: EpochMs,
    /// When the current step's clock started.
    pub step_started_ms: EpochMs,
    /// When it was handled.
    pub handled_ms: Option<EpochMs>,
    /// When it reached a terminal state.
    pub closed_ms: Option<EpochMs>,
    /// Whether it was handled within its limit.
    pub on_time: Option<bool>,
    /// The step running, if any.
    pub step: Option<&'static str>,
    /// Its limit, hours.
    pub step_limit_hours: Option<f64>,
    /// Its deadline.
    pub step_deadline_ms: Option<EpochMs>,
    /// The overall limit, hours.
    pub limit_hours: f64,
    /// The overall deadline.
    pub deadline_ms: EpochMs,
    /// The warning level now.
    pub warning: Warning,
    /// Where it came from outside and what it owes back (the phone
    /// masked); absent for the staff's own reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intake: Option<Intake>,
    /// Rises with every change.
    pub version: i64,
    /// The actions the asking user may take now (only in answers to one
    /// user about one incident).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<Action>>,
}

impl IncidentView {
    /// The view of a book entry now.
    #[must_use]
    pub fn of(dict: &Dictionary, e: &Entry, now: EpochMs, names: Names) -> IncidentView {
        let i = &e.incident;
        let t = &e.timing;
        let cat = dict.category(&i.category);
        IncidentView {
            id: i.id.clone(),
            category: i.category.clone(),
            category_name: cat.map(|c| c.name.clone()),
            category_name_en: cat.map(|c| c.name_en.clone()),
            category_major: cat.map(|c| c.major.clone()),
            department: cat.map(|c| c.department.clone()),
            source: i.source,
            priority: i.priority,
            lon: i.position.lon,
            lat: i.position.lat,
            grid: i.grid.clone(),
            grid_name: names.grid,
            area: i.area.clone(),
            area_name: names.area,
            owner_centre: names.owner_centre.as_ref().map(|c| c.0.clone()),
            owner_centre_name: names.owner_centre.as_ref().map(|c| c.1.clone()),
            owner_level: names.owner_centre.as_ref().map(|c| c.2),
            description: i.description.clone(),
            photos: i.photos.clone(),
            reporter: i.reporter.clone(),
            reporter_staff: i.reporter_staff.clone(),
            state: i.state,
            state_label: i.state.label_zh(),
            report_only: i.report_only,
            assignee_staff: i.assignee_staff.clone(),
            assignee_name: names.assignee,
            assignee_department: i.assignee_department.clone(),
            assignee_department_name: names.assignee_department,
            proposed_department: names.proposed_department,
            supervision: i.chain.supervision.clone().map(|order| SupervisionView {
                order,
                by_area_name: names.supervisor_area,
            }),
            escalations: i.chain.escalations,
            clock_escalations: i.chain.clock_escalations,
            merged_into: i.merged_into.clone(),
            possible_duplicate_of: i.possible_duplicate_of.clone(),
            rework_count: i.rework_count,
            extension_hours: i.extension_hours,
            pending_extension: i.pending_extension.clone(),
            created_ms: i.created_ms,
            updated_ms: i.updated_ms,
            step_started_ms: i.step_started_ms,
            handled_ms: i.handled_ms,
            closed_ms: i.closed_ms,
            on_time: i.on_time,
            step: t.step.map(super::model::Step::as_str),
            step_limit_hours: t.step.map(|_| round2(t.step_limit_hours)),
            step_deadline_ms: t.step_deadline_ms,
            limit_hours: round2(t.limit_hours),
            deadline_ms: t.deadline_ms,
            warning: t.warning(now),
            intake: i.intake.clone().map(|mut x| {
                x.phone = x.phone.as_deref().map(mask_phone);
                x
            }),
            version: i.version,
            allowed: None,
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
