//! The closed loop as a pure state machine: which actions a user may take
//! on an incident now, and what a command does to it. Nothing here touches
//! the store or the clock's calendar; the app layer resolves references
//! (staff, areas, other incidents) before it asks, and commits after.

use super::actor::Actor;
use super::channel::{Intake, check_reply};
use super::command::{ActionRequest, Command};
use super::error::IncidentError;
use super::model::{
    Action, Detail, Incident, LogEntry, PendingExtension, State, StepLimits, Supervision,
};
use crate::identity::UserRole;
use riskmap_engine::model::EpochMs;

/// Who acts as the clock's escalations' actor in the flow log.
pub const CLOCK_ACTOR: &str = "riskmap";

/// Longest 督办 deadline, hours.
const MAX_ORDER_HOURS: f64 = 10_000.0;

/// What the caller resolved for the machine.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// The parent of the responsible area (for escalate).
    pub parent_area: Option<String>,
    /// Whether the actor sits above the responsible area (their area is a
    /// strict ancestor of it): a level that may supervise (督办).
    pub above_owner: bool,
    /// For a dispatch to a department: its own time limits, if any.
    pub department_limits: Option<StepLimits>,
}

/// The actions `actor` may take on `inc` now, in a stable order.
#[must_use]
pub fn allowed(inc: &Incident, actor: Actor<'_>, resolved: &Resolved) -> Vec<Action> {
    Action::ACTS
        .into_iter()
        .filter(|&a| may(inc, actor, a, resolved))
        .collect()
}

fn may(inc: &Incident, actor: Actor<'_>, action: Action, resolved: &Resolved) -> bool {
    use State as S;
    let s = inc.state;
    let manager = actor.is_manager();
    let handler = actor.is_handler(inc);
    let has_parent = resolved.parent_area.is_some();
    let order_open = inc.chain.open_order().is_some();
    match action {
        Action::Accept | Action::Reject => s == S::Reported && manager,
        Action::Merge => matches!(s, S::Reported | S::Accepted) && manager,
        Action::Dispatch => s == S::Accepted && manager,
        Action::Sign => s == S::Dispatched && handler,
        Action::Start => s == S::Signed && handler,
        Action::Handle => matches!(s, S::Signed | S::InProgress) && handler,
        Action::Verify | Action::VerifyFail => s == S::Handled && manager,
        Action::Close => s == S::Verified && manager,
        Action::Return => matches!(s, S::Dispatched | S::Signed) && (handler || manager),
        Action::Escalate => matches!(s, S::Reported | S::Accepted) && manager && has_parent,
        Action::RequestExtension => {
            s.holds_assignee()
                && inc.pending_extension.is_none()
                && (handler || (manager && actor.user.role == UserRole::Dispatcher))
        }
        Action::ApproveExtension | Action::DenyExtension => {
            inc.is_open() && inc.pending_extension.is_some() && actor.is_approver()
        }
        Action::Transfer => matches!(s, S::Reported | S::Accepted) && manager,
        Action::Supervise => inc.is_open() && !order_open && manager && resolved.above_owner,
        Action::AnswerSupervision => {
            inc.is_open() && order_open && (handler || (manager && !resolved.above_owner))
        }
        Action::Report | Action::File | Action::Repeat | Action::Rate => false,
    }
}

/// Applies a command: the changed incident and its flow-log entry (whose
/// `seq` the caller sets). Timing fields the calendar decides (`on_time`)
/// are the caller's too.
pub fn apply(
    inc: &Incident,
    req: &ActionRequest,
    actor: Actor<'_>,
    resolved: &Resolved,
    now: EpochMs,
) -> Result<(Incident, LogEntry), IncidentError> {
    let action = req.command.action();
    if let Some(v) = req.version
        && v != inc.version
    {
        return Err(IncidentError::NotAllowed {
            message: format!(
                "the incident changed (version {} now, {v} seen); reload it",
                inc.version
            ),
            state: inc.state,
            allowed: allowed(inc, actor, resolved),
        });
    }
    if !may(inc, actor, action, resolved) {
        let who = if actor.manages || actor.user.role == UserRole::Field {
            ""
        } else {
            " outside your area"
        };
        return Err(IncidentError::NotAllowed {
            message: format!(
                "{} ({}) cannot {} an incident that is {}{who}",
                actor.user.username,
                actor.user.role.as_str(),
                action.as_str(),
                inc.state.as_str()
            ),
            state: inc.state,
            allowed: allowed(inc, actor, resolved),
        });
    }
    let comment = req.comment.trim();
    let needs_comment = matches!(
        action,
        Action::Reject
            | Action::VerifyFail
            | Action::Return
            | Action::RequestExtension
            | Action::DenyExtension
            | Action::Supervise
            | Action::AnswerSupervision
    );
    if needs_comment && comment.is_empty() {
        return Err(IncidentError::Invalid(format!(
            "{} needs a comment giving the reason",
            action.as_str()
        )));
    }
    let mut next = inc.clone();
    if let Some(reply) = req.reply.as_deref().map(str::trim) {
        if !matches!(action, Action::Close | Action::Reject | Action::Merge) {
            return Err(IncidentError::Invalid(format!(
                "reply (the public answer) goes with close, reject or merge, not {}",
                action.as_str()
            )));
        }
        check_reply(reply)?;
        if !reply.is_empty() {
            next.intake.get_or_insert_with(Intake::default).reply = Some(reply.to_owned());
        }
    }
    let (to, detail) = effect(inc, &mut next, &req.command, actor, resolved, comment, now)?;
    enter(&mut next, to, now);
    let entry = LogEntry {
        incident: inc.id.clone(),
        seq: 0,
        at_ms: now,
        action,
        from: Some(inc.state),
        to,
        actor: actor.user.username.clone(),
        actor_role: actor.user.role.as_str().to_owned(),
        actor_area: actor.user.area.clone(),
        comment: comment.to_owned(),
        photos: req.photos.clone(),
        detail,
    };
    Ok((next, entry))
}

/// What an allowed command does to the incident (`next`, a copy of `inc`):
/// the state it leads to and the flow log's detail.
fn effect(
    inc: &Incident,
    next: &mut Incident,
    command: &Command,
    actor: Actor<'_>,
    resolved: &Resolved,
    comment: &str,
    now: EpochMs,
) -> Result<(State, Detail), IncidentError> {
    let plain = Detail::Plain {};
    Ok(match command {
        Command::Accept {} => (State::Accepted, plain),
        Command::Reject {} => (State::Rejected, plain),
        Command::Merge { into } => {
            if into.is_empty() {
                return Err(IncidentError::Invalid(
                    "merge needs `into`, an incident id".into(),
                ));
            }
            next.merged_into = Some(into.clone());
            (State::Merged, Detail::Merge { into: into.clone() })
        }
        Command::Dispatch {
            staff_id,
            department,
        } => {
            let to = dispatch_to(next, staff_id.as_ref(), department.as_ref())?;
            // A staff member works to the category's limits; a department
            // (with no one named) to its own, if it has them.
            next.assignee_limits = resolved
                .department_limits
                .filter(|_| next.assignee_staff.is_none() && next.assignee_department.is_some());
            to
        }
        Command::Sign {} => (State::Signed, plain),
        Command::Start {} => (State::InProgress, plain),
        Command::Handle {} => {
            next.handled_ms = Some(now);
            (State::Handled, plain)
        }
        Command::Verify {} => (State::Verified, plain),
        Command::VerifyFail {} => {
            next.rework_count += 1;
            next.on_time = None;
            (
                State::Dispatched,
                Detail::Rework {
                    rework: next.rework_count,
                },
            )
        }
        Command::Close {} => (State::Closed, plain),
        Command::Return {} => {
            next.assignee_staff = None;
            next.assignee_department = None;
            next.assignee_limits = None;
            (
                State::Accepted,
                Detail::Assignment {
                    staff_id: inc.assignee_staff.clone(),
                    department: inc.assignee_department.clone(),
                },
            )
        }
        Command::Escalate {} => {
            // `may` checked that there is a parent.
            let parent = resolved.parent_area.clone().unwrap_or_default();
            (inc.state, move_up(next, parent, now))
        }
        Command::Transfer { area } => (inc.state, transfer(next, area)?),
        Command::Supervise { hours } => (inc.state, supervise(next, *hours, actor, comment, now)?),
        Command::AnswerSupervision {} => {
            if let Some(order) = next.chain.supervision.as_mut() {
                order.answered_ms = Some(now);
                order.answered_by = Some(actor.user.username.clone());
                order.answer = Some(comment.to_owned());
            }
            (inc.state, plain)
        }
        Command::RequestExtension { hours } => {
            if !(hours.is_finite() && *hours > 0.0 && *hours <= 10_000.0) {
                return Err(IncidentError::Invalid(
                    "request_extension needs `hours`, within 0..10000".into(),
                ));
            }
            next.pending_extension = Some(PendingExtension {
                hours: *hours,
                reason: comment.to_owned(),
                by: actor.user.username.clone(),
                at_ms: now,
            });
            (inc.state, Detail::Extension { hours: *hours })
        }
        Command::ApproveExtension {} => {
            let hours = inc.pending_extension.as_ref().map_or(0.0, |p| p.hours);
            next.extension_hours += hours;
            next.step_extension_hours += hours;
            next.pending_extension = None;
            (inc.state, Detail::Extension { hours })
        }
        Command::DenyExtension {} => {
            let hours = inc.pending_extension.as_ref().map_or(0.0, |p| p.hours);
            next.pending_extension = None;
            (inc.state, Detail::Extension { hours })
        }
    })
}

/// 分转/下派: `area` (which the caller checked lies in the actor's subtree)
/// takes over; the flow log's detail.
fn transfer(next: &mut Incident, area: &str) -> Result<Detail, IncidentError> {
    if area.is_empty() || area == next.area {
        return Err(IncidentError::Invalid(
            "transfer needs `area`, the code of another area in your subtree".into(),
        ));
    }
    let from_area = std::mem::replace(&mut next.area, area.to_owned());
    Ok(Detail::Handover {
        from_area,
        to_area: area.to_owned(),
    })
}

/// 督办: a new order on the incident, due in `hours`; the flow log's detail.
fn supervise(
    next: &mut Incident,
    hours: f64,
    actor: Actor<'_>,
    order: &str,
    now: EpochMs,
) -> Result<Detail, IncidentError> {
    if !(hours.is_finite() && hours > 0.0 && hours <= MAX_ORDER_HOURS) {
        return Err(IncidentError::Invalid(format!(
            "supervise needs `hours`, within 0..{MAX_ORDER_HOURS}"
        )));
    }
    // Whole milliseconds of a bounded positive number of hours.
    #[allow(clippy::cast_possible_truncation)]
    let due_ms = now + (hours * 3_600_000.0).round() as i64;
    next.chain.supervisions += 1;
    next.chain.supervision = Some(Supervision {
        by: actor.user.username.clone(),
        by_area: actor.user.area.clone(),
        order: order.to_owned(),
        at_ms: now,
        due_ms,
        answered_ms: None,
        answered_by: None,
        answer: None,
    });
    Ok(Detail::Order { due_ms })
}

/// 上报上级 (by a user or the clock): the parent area takes over; the flow
/// log's detail.
fn move_up(next: &mut Incident, parent: String, now: EpochMs) -> Detail {
    let from_area = std::mem::replace(&mut next.area, parent.clone());
    next.chain.escalations += 1;
    next.chain.escalated_ms = Some(now);
    Detail::Handover {
        from_area,
        to_area: parent,
    }
}

/// 超时自动上报: the clock moves an incident that stayed overdue too long up
/// to `parent`, marked as the clock's doing. The changed incident and its
/// flow-log entry (whose `seq` the caller sets).
#[must_use]
pub fn escalate_by_clock(inc: &Incident, parent: String, now: EpochMs) -> (Incident, LogEntry) {
    let mut next = inc.clone();
    let detail = move_up(&mut next, parent, now);
    next.chain.clock_escalations += 1;
    enter(&mut next, inc.state, now);
    let entry = LogEntry {
        incident: inc.id.clone(),
        seq: 0,
        at_ms: now,
        action: Action::Escalate,
        from: Some(inc.state),
        to: inc.state,
        actor: CLOCK_ACTOR.to_owned(),
        actor_role: "system".to_owned(),
        actor_area: String::new(),
        comment: "超时自动上报 overdue: escalated by the clock".to_owned(),
        photos: Vec::new(),
        detail,
    };
    (next, entry)
}

/// 派遣: the incident goes to a staff member or a department (one at least).
fn dispatch_to(
    next: &mut Incident,
    staff_id: Option<&String>,
    department: Option<&String>,
) -> Result<(State, Detail), IncidentError> {
    let staff = staff_id.filter(|s| !s.is_empty()).cloned();
    let department = department.filter(|s| !s.is_empty()).cloned();
    if staff.is_none() && department.is_none() {
        return Err(IncidentError::Invalid(
            "dispatch needs `staff_id` or `department`".into(),
        ));
    }
    next.assignee_staff.clone_from(&staff);
    next.assignee_department.clone_from(&department);
    Ok((
        State::Dispatched,
        Detail::Assignment {
            staff_id: staff,
            department,
        },
    ))
}

/// Moves an incident into a state: the step clock and the times it keeps.
pub fn enter(inc: &mut Incident, to: State, now: EpochMs) {
    let (old, new) = (inc.state.step(), to.step());
    if old != new {
        if let Some(step) = old {
            let slot = &mut inc.step_times[step.index()];
            slot.0 += (now - inc.step_started_ms).max(0);
            slot.1 += 1;
        }
        inc.step_started_ms = now;
        inc.step_extension_hours = 0.0;
    }
    if to.is_terminal() && !inc.state.is_terminal() {
        inc.closed_ms = Some(now);
        inc.pending_extension = None;
    }
    inc.state = to;
    inc.updated_ms = now;
    inc.version += 1;
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // hours are exact literals
mod tests {
    use super::*;
    use crate::identity::User;

    fn user(role: UserRole, staff: Option<&str>) -> User {
        User {
            id: 1,
            username: role.as_str().into(),
            display_name: String::new(),
            role,
            area: "11".into(),
            staff_id: staff.map(Into::into),
            department: None,
            must_change_password: false,
        }
    }

    fn incident(state: State) -> Incident {
        Incident {
            state,
            grid: "11001001001".into(),
            area: "11001001001".into(),
            assignee_staff: Some("S1".into()),
            ..Incident::sample("SJ1", 0)
        }
    }

    /// The owner's own level: the responsible area has a parent, the actor
    /// is not above it.
    fn below() -> Resolved {
        Resolved {
            parent_area: Some("11001001".into()),
            above_owner: false,
            department_limits: None,
        }
    }

    fn req(action: &str) -> ActionRequest {
        with(action, &serde_json::json!({}))
    }

    /// An action with more fields (a comment "because" unless given).
    fn with(action: &str, more: &serde_json::Value) -> ActionRequest {
        let mut v = serde_json::json!({ "action": action, "comment": "because" });
        if let (Some(v), Some(more)) = (v.as_object_mut(), more.as_object()) {
            v.extend(more.clone());
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn every_state_allows_exactly_its_actions_for_a_manager() {
        let d = user(UserRole::Dispatcher, None);
        let a = Actor {
            user: &d,
            manages: true,
        };
        let names = |s: State| -> Vec<&str> {
            allowed(&incident(s), a, &below())
                .into_iter()
                .map(Action::as_str)
                .collect()
        };
        assert_eq!(
            names(State::Reported),
            ["accept", "reject", "merge", "escalate", "transfer"]
        );
        assert_eq!(
            names(State::Accepted),
            ["merge", "dispatch", "escalate", "transfer"]
        );
        assert_eq!(names(State::Dispatched), ["return", "request_extension"]);
        assert_eq!(names(State::Handled), ["verify", "verify_fail"]);
        assert_eq!(names(State::Verified), ["close"]);
        assert!(names(State::Closed).is_empty());
        assert!(names(State::Rejected).is_empty());
    }

    #[test]
    fn only_the_assignee_signs_starts_and_handles() {
        let me = user(UserRole::Field, Some("S1"));
        let other = user(UserRole::Field, Some("S2"));
        let inc = incident(State::Dispatched);
        let mine = Actor {
            user: &me,
            manages: false,
        };
        assert_eq!(
            allowed(&inc, mine, &below()),
            [Action::Sign, Action::Return, Action::RequestExtension]
        );
        let not_mine = Actor {
            user: &other,
            manages: false,
        };
        let err = apply(&inc, &req("sign"), not_mine, &Resolved::default(), 5).unwrap_err();
        assert!(matches!(err, IncidentError::NotAllowed { ref allowed, .. } if allowed.is_empty()));
        let (signed, entry) = apply(&inc, &req("sign"), mine, &Resolved::default(), 5).unwrap();
        assert_eq!(
            (signed.state, entry.from, entry.to),
            (State::Signed, Some(State::Dispatched), State::Signed)
        );
        assert_eq!(signed.step_times[2], (5, 1), "the sign step took 5 ms");
    }

    #[test]
    fn viewers_and_outsiders_act_on_nothing() {
        let v = user(UserRole::Viewer, None);
        let d = user(UserRole::Dispatcher, None);
        for s in State::ALL {
            let inc = incident(s);
            assert!(
                allowed(
                    &inc,
                    Actor {
                        user: &v,
                        manages: true
                    },
                    &below()
                )
                .is_empty()
            );
            assert!(
                allowed(
                    &inc,
                    Actor {
                        user: &d,
                        manages: false
                    },
                    &below()
                )
                .is_empty()
            );
        }
        let err = apply(
            &incident(State::Reported),
            &req("accept"),
            Actor {
                user: &d,
                manages: false,
            },
            &Resolved::default(),
            1,
        )
        .unwrap_err();
        let IncidentError::NotAllowed { message, .. } = err else {
            panic!("expected a refusal")
        };
        assert!(message.contains("outside your area"), "{message}");
    }

    #[test]
    fn rework_goes_back_to_dispatched_and_counts() {
        let d = user(UserRole::Dispatcher, None);
        let a = Actor {
            user: &d,
            manages: true,
        };
        let mut inc = incident(State::Handled);
        inc.on_time = Some(true);
        let (back, _) = apply(&inc, &req("verify_fail"), a, &Resolved::default(), 9).unwrap();
        assert_eq!(
            (back.state, back.rework_count, back.on_time),
            (State::Dispatched, 1, None)
        );
        assert_eq!(back.assignee_staff.as_deref(), Some("S1"));
        assert_eq!(back.version, 2);
    }

    #[test]
    fn reasons_and_targets_are_required() {
        let d = user(UserRole::Commander, None);
        let a = Actor {
            user: &d,
            manages: true,
        };
        let r = with("reject", &serde_json::json!({ "comment": "  " }));
        assert!(matches!(
            apply(&incident(State::Reported), &r, a, &Resolved::default(), 1),
            Err(IncidentError::Invalid(m)) if m.contains("reason")
        ));
        assert!(matches!(
            apply(&incident(State::Accepted), &req("dispatch"), a, &Resolved::default(), 1),
            Err(IncidentError::Invalid(m)) if m.contains("staff_id")
        ));
        // Escalation needs a parent area.
        assert!(
            !allowed(&incident(State::Reported), a, &Resolved::default())
                .contains(&Action::Escalate)
        );
        let up = below();
        let (esc, e) = apply(&incident(State::Reported), &req("escalate"), a, &up, 1).unwrap();
        assert_eq!(
            (esc.area.as_str(), esc.state, e.to),
            ("11001001", State::Reported, State::Reported)
        );
    }

    #[test]
    fn extensions_are_asked_for_then_decided() {
        let field = user(UserRole::Field, Some("S1"));
        let boss = user(UserRole::Commander, None);
        let r = with("request_extension", &serde_json::json!({ "hours": 8.0 }));
        let inc = incident(State::InProgress);
        let (asked, _) = apply(
            &inc,
            &r,
            Actor {
                user: &field,
                manages: false,
            },
            &Resolved::default(),
            1,
        )
        .unwrap();
        assert!(asked.pending_extension.is_some());
        // A second request waits for the first to be decided.
        assert!(
            apply(
                &asked,
                &r,
                Actor {
                    user: &field,
                    manages: false
                },
                &Resolved::default(),
                2
            )
            .is_err()
        );
        let (ok, _) = apply(
            &asked,
            &req("approve_extension"),
            Actor {
                user: &boss,
                manages: true,
            },
            &Resolved::default(),
            3,
        )
        .unwrap();
        assert_eq!((ok.extension_hours, ok.step_extension_hours), (8.0, 8.0));
        assert!(ok.pending_extension.is_none());
    }

    #[test]
    fn a_stale_version_is_refused() {
        let d = user(UserRole::Admin, None);
        let r = with("accept", &serde_json::json!({ "version": 7 }));
        assert!(matches!(
            apply(&incident(State::Reported), &r, Actor { user: &d, manages: true }, &Resolved::default(), 1),
            Err(IncidentError::NotAllowed { message, .. }) if message.contains("version")
        ));
    }

    #[test]
    fn a_higher_level_supervises_and_the_owner_answers() {
        let district = User {
            area: "11".into(),
            ..user(UserRole::Commander, None)
        };
        let street = User {
            area: "11001001001".into(),
            ..user(UserRole::Dispatcher, None)
        };
        let boss = Actor {
            user: &district,
            manages: true,
        };
        let owner = Actor {
            user: &street,
            manages: true,
        };
        let above = Resolved {
            above_owner: true,
            ..below()
        };
        let inc = incident(State::Dispatched);
        // The owner's own level cannot supervise itself.
        assert!(!allowed(&inc, owner, &below()).contains(&Action::Supervise));
        assert!(allowed(&inc, boss, &above).contains(&Action::Supervise));
        let bad = with("supervise", &serde_json::json!({ "hours": -1 }));
        assert!(matches!(
            apply(&inc, &bad, boss, &above, 10),
            Err(IncidentError::Invalid(m)) if m.contains("hours")
        ));
        let order = with("supervise", &serde_json::json!({ "hours": 2 }));
        let (sup, entry) = apply(&inc, &order, boss, &above, 10).unwrap();
        let open = sup.chain.open_order().unwrap();
        assert_eq!((open.due_ms, open.order.as_str()), (7_200_010, "because"));
        assert_eq!(entry.detail, Detail::Order { due_ms: 7_200_010 });
        assert_eq!((sup.chain.supervisions, sup.state), (1, State::Dispatched));
        // One open order at a time; the boss cannot answer their own.
        let boss_may = allowed(&sup, boss, &above);
        assert!(!boss_may.contains(&Action::Supervise));
        assert!(!boss_may.contains(&Action::AnswerSupervision));
        let (answered, _) = apply(&sup, &req("answer_supervision"), owner, &below(), 20).unwrap();
        let done = answered.chain.supervision.as_ref().unwrap();
        assert_eq!(
            (done.answered_ms, done.answered_by.as_deref()),
            (Some(20), Some("dispatcher"))
        );
        assert!(answered.chain.open_order().is_none());
        assert!(allowed(&answered, boss, &above).contains(&Action::Supervise));
    }

    #[test]
    fn transfer_and_the_clock_move_the_owner() {
        let d = user(UserRole::Dispatcher, None);
        let a = Actor {
            user: &d,
            manages: true,
        };
        let inc = incident(State::Accepted);
        let to = |area: &str| with("transfer", &serde_json::json!({ "area": area }));
        assert!(apply(&inc, &to(&inc.area), a, &below(), 1).is_err());
        let (moved, entry) = apply(&inc, &to("11001002"), a, &below(), 1).unwrap();
        assert_eq!(
            (moved.area.as_str(), moved.state),
            ("11001002", State::Accepted)
        );
        assert_eq!(
            entry.detail,
            Detail::Handover {
                from_area: inc.area.clone(),
                to_area: "11001002".into()
            }
        );
        assert_eq!(moved.chain.escalations, 0, "a transfer is no escalation");
        let late = incident(State::Signed);
        let (up, entry) = escalate_by_clock(&late, "11001001".into(), 50);
        assert_eq!(
            (up.area.as_str(), up.state, up.version),
            ("11001001", State::Signed, late.version + 1)
        );
        assert_eq!(
            (
                up.chain.escalations,
                up.chain.clock_escalations,
                up.chain.escalated_ms
            ),
            (1, 1, Some(50))
        );
        assert_eq!(
            (entry.action, entry.actor.as_str()),
            (Action::Escalate, CLOCK_ACTOR)
        );
        assert_eq!(
            up.step_started_ms, late.step_started_ms,
            "the step clock runs on"
        );
    }

    #[test]
    fn a_department_works_to_its_own_limits_while_it_holds_the_incident() {
        let d = user(UserRole::Dispatcher, None);
        let a = Actor {
            user: &d,
            manages: true,
        };
        let own = StepLimits {
            sign: 0.5,
            handle: 4.0,
        };
        let with_limits = Resolved {
            department_limits: Some(own),
            ..below()
        };
        let inc = Incident {
            assignee_staff: None,
            ..incident(State::Accepted)
        };
        let to_dept = with("dispatch", &serde_json::json!({ "department": "11001-zf" }));
        let (held, _) = apply(&inc, &to_dept, a, &with_limits, 1).unwrap();
        assert_eq!(held.assignee_limits, Some(own));
        // A person named as well works to the category's.
        let both = with(
            "dispatch",
            &serde_json::json!({ "department": "11001-zf", "staff_id": "S1" }),
        );
        let (person, _) = apply(&inc, &both, a, &with_limits, 1).unwrap();
        assert_eq!(person.assignee_limits, None);
        // Returned: the terms go with the department.
        let (back, _) = apply(&held, &req("return"), a, &below(), 2).unwrap();
        assert_eq!((back.assignee_limits, back.state), (None, State::Accepted));
    }
}
