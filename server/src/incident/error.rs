//! Why the closed loop refused a report or an action.

use thiserror::Error;

use super::model::{Action, State};

/// A refusal of the incident closed loop. Each variant says what the client
/// can do about it; the API maps them to 400, 404, 403 and 409.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum IncidentError {
    /// The report or action is malformed or out of range.
    #[error("{0}")]
    Invalid(String),
    /// No such incident (or area) in the user's area: outsiders are not
    /// told whether it exists.
    #[error("{0}")]
    NotFound(String),
    /// The user may never do this (e.g. a big screen reporting).
    #[error("{0}")]
    Forbidden(String),
    /// Not allowed now, for this user: the state it is in and what the
    /// user may do instead.
    #[error("{message}")]
    NotAllowed {
        /// Why.
        message: String,
        /// The incident's state.
        state: State,
        /// What this user may do now.
        allowed: Vec<Action>,
    },
}

impl IncidentError {
    /// "no incident {id} in your area".
    #[must_use]
    pub fn not_found(id: &str) -> Self {
        IncidentError::NotFound(format!("no incident {id} in your area"))
    }
}
