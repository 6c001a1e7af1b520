//! 上岗/离岗: a staff member checks in (on duty, free for tasks) or out (off
//! duty), from their phone with where they stand, or a dispatcher or
//! commander of their area does it for them. A member handling a task
//! (busy) or in an emergency (SOS) keeps that status: the incident flow
//! and the emergency own it.

use riskmap_engine::model::DutyStatus;
use serde::Deserialize;
use thiserror::Error;

use super::App;
use super::cluster::{Change, Shipment};
use super::fixes::FixRejection;
use crate::event::{DomainEvent, DutyChange};
use crate::identity::{Scope, User, UserRole};
use crate::store::StoreError;
use riskmap_wire::FixIn;

/// Why a duty change was refused.
#[derive(Debug, Error)]
pub enum DutyError {
    /// The user may not change this member's duty.
    #[error("{0}")]
    Forbidden(String),
    /// No such staff member in the user's area.
    #[error("no staff member {0:?} in your area")]
    NotFound(String),
    /// The request asks for something that is not a check-in or out.
    #[error("{0}")]
    Invalid(String),
    /// The member's status is owned by something else now.
    #[error("{message}")]
    Held {
        /// Why.
        message: String,
        /// The member's status.
        duty: DutyStatus,
    },
    /// The check-in's position was refused; nothing changed.
    #[error("the position was refused")]
    Position(FixRejection),
    /// The store failed; nothing changed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a user may not change a staff member's own state.
pub(super) enum MemberRefusal {
    /// No such member in the user's area.
    NotFound,
    /// A field login acting for someone else.
    NotTheirs,
    /// A big screen.
    ReadOnly,
}

/// `POST /api/staff/{id}/duty`: on or off duty, and optionally where.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DutyIn {
    /// `available` (上岗, on duty) or `off` (离岗).
    pub duty: DutyStatus,
    /// Where the member stands as they check in or out: a fix of their
    /// own, recorded first (only the member's own login sends it).
    pub position: Option<FixIn>,
}

impl App {
    /// Checks a staff member in or out for `user`; the member's status
    /// after it.
    pub async fn change_duty(
        &self,
        user: &User,
        staff_id: &str,
        change: DutyIn,
    ) -> Result<DutyStatus, DutyError> {
        if !matches!(change.duty, DutyStatus::Available | DutyStatus::Off) {
            return Err(DutyError::Invalid(
                "duty is `available` (on duty) or `off`: a task makes a member busy, an \
                 emergency makes them sos"
                    .into(),
            ));
        }
        let own = user.staff_id.as_deref() == Some(staff_id);
        let now = self.member_for(user, staff_id, own).map_err(|r| match r {
            MemberRefusal::NotFound => DutyError::NotFound(staff_id.to_owned()),
            MemberRefusal::NotTheirs => DutyError::Forbidden(
                "a field login checks in and out only its own staff member".into(),
            ),
            MemberRefusal::ReadOnly => DutyError::Forbidden("a big screen changes nothing".into()),
        })?;
        // Refused before anything is recorded: a refusal changes nothing.
        if matches!(now, DutyStatus::Busy | DutyStatus::Sos) {
            let what = if now == DutyStatus::Busy {
                "busy"
            } else {
                "in an SOS"
            };
            return Err(DutyError::Held {
                message: format!(
                    "{staff_id} is {what}: that ends with their task or emergency, not here"
                ),
                duty: now,
            });
        }
        if let Some(position) = change.position {
            if !own {
                return Err(DutyError::Forbidden(
                    "a position is the member's own: only their login sends it".into(),
                ));
            }
            self.post_fixes(Some(user), Some(staff_id), vec![position])
                .await
                .map_err(DutyError::Position)?;
        }
        if now == change.duty {
            return Ok(now);
        }
        let changes = vec![DutyChange {
            staff_id: staff_id.to_owned(),
            duty: change.duty,
        }];
        let event = DomainEvent::DutyChanged { changes };
        let shipment = self.shipment(|| Change::Event(Box::new(event.clone())));
        let id = self
            .store
            .set_duty_kept(
                &[(staff_id.to_owned(), change.duty)],
                shipment.as_ref().map(Shipment::outgoing),
            )
            .await?;
        self.shipped(id, shipment);
        self.apply(&event);
        Ok(change.duty)
    }

    /// Whether `user` may change `staff_id`'s own state (duty, SOS): their
    /// own, or a member of their area for a dispatcher, commander or
    /// administrator. The member's status now.
    pub(super) fn member_for(
        &self,
        user: &User,
        staff_id: &str,
        own: bool,
    ) -> Result<DutyStatus, MemberRefusal> {
        let engine = self.engine.read();
        let member = engine
            .staff()
            .find(staff_id)
            .and_then(|i| engine.staff().get(i))
            .ok_or(MemberRefusal::NotFound)?;
        match user.role {
            _ if own => Ok(member.duty),
            UserRole::Field => Err(MemberRefusal::NotTheirs),
            UserRole::Viewer => Err(MemberRefusal::ReadOnly),
            UserRole::Admin | UserRole::Commander | UserRole::Dispatcher => {
                // The scope from the guard held: a second read of the engine's
                // lock here would wait behind any writer queued meanwhile,
                // which waits for this one (a deadlock).
                if Scope::of(user, engine.areas()).contains(member.home, engine.areas()) {
                    Ok(member.duty)
                } else {
                    Err(MemberRefusal::NotFound)
                }
            }
        }
    }
}
