//! The one HTTP error type: every refusal is a JSON body with a machine
//! code and a human reason; internals are logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::app::DeskError;
use crate::app::accounts::AccountError;
use crate::app::alerts::AlertError;
use crate::app::channels::ChannelError;
use crate::app::departments::DepartmentError;
use crate::app::duty::DutyError;
use crate::app::fences::FencesError;
use crate::app::layers::LayerError;
use crate::app::patrol::PatrolError;
use crate::app::risk::RiskError;
use crate::app::roster::RosterDeskError;
use crate::app::tiles::TileError;
use crate::app::venues::VenuesError;
use crate::identity::AuthError;
use crate::incident::IncidentError;
use crate::org::OrgError;
use crate::store::StoreError;
use crate::venue::VenueError;
use riskmap_engine::EngineError;
use riskmap_engine::model::DutyStatus;
use riskmap_wire::time::TimeError;

/// An error answer.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the request is malformed or out of range.
    BadRequest(String),
    /// 401: no valid token.
    Unauthorized(String),
    /// 403: valid token, not allowed.
    Forbidden(String),
    /// 403: the login must choose a new password before anything else.
    PasswordChangeRequired(String),
    /// 400: a new password breaks a rule.
    WeakPassword(String),
    /// 400: the current password given to change it is wrong.
    WrongPassword(String),
    /// 404: no such thing (or not visible to this user).
    NotFound(String),
    /// 409: conflicts with the current state; `allowed` lists what would
    /// have been accepted.
    Conflict {
        /// Why.
        message: String,
        /// The state the thing is in, if that helps the client.
        state: Option<&'static str>,
        /// What is allowed instead, if that helps the client.
        allowed: Vec<String>,
    },
    /// 413: the body is larger than the limit.
    TooLarge(String),
    /// 415: not a type the route takes (an upload that is no image).
    Unsupported(String),
    /// 429: too many requests.
    TooMany(String),
    /// 429 with `Retry-After`: too many requests, and when to try again.
    RetryAfter {
        /// Why.
        message: String,
        /// Seconds to wait.
        seconds: u64,
    },
    /// 503: a dependency is down; retry later.
    Unavailable(String),
    /// 500: a bug or an unexpected failure; the detail is logged only.
    Internal(String),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::PasswordChangeRequired(_) => {
                (StatusCode::FORBIDDEN, "password_change_required")
            }
            ApiError::WeakPassword(_) => (StatusCode::BAD_REQUEST, "weak_password"),
            ApiError::WrongPassword(_) => (StatusCode::BAD_REQUEST, "wrong_password"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::Unsupported(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::TooMany(_) | ApiError::RetryAfter { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
            }
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// 429 with `Retry-After`: `what`, and the whole seconds to wait.
    #[must_use]
    pub fn retry_after(wait: std::time::Duration, what: &str) -> ApiError {
        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
        ApiError::RetryAfter {
            message: format!("{what}; retry in {seconds} s"),
            seconds,
        }
    }

    /// The message a client sees.
    #[must_use]
    pub fn message(&self) -> &str {
        match self {
            ApiError::BadRequest(m)
            | ApiError::Unauthorized(m)
            | ApiError::Forbidden(m)
            | ApiError::PasswordChangeRequired(m)
            | ApiError::WeakPassword(m)
            | ApiError::WrongPassword(m)
            | ApiError::NotFound(m)
            | ApiError::TooLarge(m)
            | ApiError::TooMany(m)
            | ApiError::Unsupported(m)
            | ApiError::Unavailable(m) => m,
            ApiError::Conflict { message, .. } | ApiError::RetryAfter { message, .. } => message,
            ApiError::Internal(_) => "internal error",
        }
    }

    /// The machine code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.parts().1
    }

    /// The JSON body.
    #[must_use]
    pub fn body(&self) -> serde_json::Value {
        let mut body = json!({ "error": self.code(), "message": self.message() });
        if let ApiError::Conflict { allowed, state, .. } = self {
            body["allowed"] = json!(allowed);
            if let Some(s) = state {
                body["state"] = json!(s);
            }
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, _) = self.parts();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let mut response = (status, Json(self.body())).into_response();
        if let ApiError::RetryAfter { seconds, .. } = &self {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, (*seconds).into());
        }
        response
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::UnknownArea(_) | EngineError::UnknownStaff(_) => {
                ApiError::NotFound(e.to_string())
            }
            _ => ApiError::BadRequest(e.to_string()),
        }
    }
}

impl From<TimeError> for ApiError {
    fn from(e: TimeError) -> Self {
        ApiError::BadRequest(e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => ApiError::Conflict {
                message: m,
                state: None,
                allowed: Vec::new(),
            },
            StoreError::NotFound(m) => ApiError::NotFound(m),
            e if e.is_transient() => {
                ApiError::Unavailable(format!("the store is unavailable: {e}"))
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<IncidentError> for ApiError {
    fn from(e: IncidentError) -> Self {
        match e {
            IncidentError::Invalid(m) => ApiError::BadRequest(m),
            IncidentError::NotFound(m) => ApiError::NotFound(m),
            IncidentError::Forbidden(m) => ApiError::Forbidden(m),
            IncidentError::NotAllowed {
                message,
                state,
                allowed,
            } => ApiError::Conflict {
                message,
                state: Some(state.as_str()),
                allowed: allowed.into_iter().map(|a| a.as_str().to_owned()).collect(),
            },
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::BadCredentials | AuthError::BadToken => {
                ApiError::Unauthorized(e.to_string())
            }
            AuthError::Busy => ApiError::Unavailable(e.to_string()),
            AuthError::WeakPassword(m) => ApiError::WeakPassword(m),
            AuthError::WrongPassword => ApiError::WrongPassword(e.to_string()),
            AuthError::NoSuchUser(_) => ApiError::NotFound(e.to_string()),
            AuthError::Store(e) => e.into(),
            AuthError::Hash(_) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<DepartmentError> for ApiError {
    fn from(e: DepartmentError) -> Self {
        match e {
            DepartmentError::Refused(OrgError::Forbidden(m)) => ApiError::Forbidden(m),
            DepartmentError::Refused(OrgError::Invalid(m)) => ApiError::BadRequest(m),
            DepartmentError::Refused(e @ OrgError::NotFound(_)) => {
                ApiError::NotFound(e.to_string())
            }
            DepartmentError::Store(e) => e.into(),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Forbidden(m) => ApiError::Forbidden(m),
            AccountError::Invalid(m) => ApiError::BadRequest(m),
            AccountError::NotFound(_) => ApiError::NotFound(e.to_string()),
            AccountError::Auth(e) => e.into(),
            AccountError::Store(e) => e.into(),
        }
    }
}

impl From<DutyError> for ApiError {
    fn from(e: DutyError) -> Self {
        match e {
            DutyError::Forbidden(m) => ApiError::Forbidden(m),
            DutyError::NotFound(_) => ApiError::NotFound(e.to_string()),
            DutyError::Invalid(m) => ApiError::BadRequest(m),
            DutyError::Held { message, duty } => ApiError::Conflict {
                message,
                state: Some(match duty {
                    DutyStatus::Sos => "sos",
                    _ => "busy",
                }),
                allowed: Vec::new(),
            },
            DutyError::Position(r) => super::fixes::rejection(r),
            DutyError::Store(e) => e.into(),
        }
    }
}

impl From<AlertError> for ApiError {
    fn from(e: AlertError) -> Self {
        match e {
            AlertError::Forbidden(m) => ApiError::Forbidden(m),
            AlertError::NotFound(m) => ApiError::NotFound(m),
            AlertError::Invalid(m) => ApiError::BadRequest(m),
            AlertError::Refused(r) => ApiError::Conflict {
                message: r.to_string(),
                state: Some(r.state.as_str()),
                allowed: Vec::new(),
            },
            AlertError::Position(r) => super::fixes::rejection(r),
            AlertError::Store(e) => e.into(),
        }
    }
}

impl From<RiskError> for ApiError {
    fn from(e: RiskError) -> Self {
        match e {
            RiskError::NotFound(m) => ApiError::NotFound(m),
            RiskError::Invalid(m) => ApiError::BadRequest(m),
            RiskError::Store(e) => e.into(),
        }
    }
}

impl From<VenuesError> for ApiError {
    fn from(e: VenuesError) -> Self {
        match e {
            VenuesError::Forbidden(m) => ApiError::Forbidden(m),
            VenuesError::NotFound(m) => ApiError::NotFound(m),
            VenuesError::Invalid(m) => ApiError::BadRequest(m),
            VenuesError::Code(VenueError::Forged) => ApiError::Forbidden(e.to_string()),
            VenuesError::Code(_) => ApiError::BadRequest(e.to_string()),
            VenuesError::TooFar { .. } => ApiError::Conflict {
                message: e.to_string(),
                state: Some("too_far"),
                allowed: Vec::new(),
            },
            VenuesError::Store(e) => e.into(),
        }
    }
}

impl From<FencesError> for ApiError {
    fn from(e: FencesError) -> Self {
        match e {
            FencesError::Forbidden(m) => ApiError::Forbidden(m),
            FencesError::NotFound(_) => ApiError::NotFound(e.to_string()),
            FencesError::Invalid(e) => ApiError::BadRequest(e.to_string()),
            FencesError::Store(e) => e.into(),
        }
    }
}

impl From<RosterDeskError> for ApiError {
    fn from(e: RosterDeskError) -> Self {
        match e {
            RosterDeskError::Forbidden(m) => ApiError::Forbidden(m),
            RosterDeskError::Invalid(e) => ApiError::BadRequest(e.to_string()),
            RosterDeskError::Store(e) => e.into(),
        }
    }
}

impl From<PatrolError> for ApiError {
    fn from(e: PatrolError) -> Self {
        match e {
            PatrolError::NotFound(m) => ApiError::NotFound(m),
            PatrolError::Invalid(m) | PatrolError::TooLarge(m) => ApiError::BadRequest(m),
            PatrolError::Store(e) => e.into(),
        }
    }
}

impl From<DeskError> for ApiError {
    fn from(e: DeskError) -> Self {
        match e {
            DeskError::Refused(e) => e.into(),
            DeskError::Store(e) => e.into(),
        }
    }
}

impl From<ChannelError> for ApiError {
    fn from(e: ChannelError) -> Self {
        match e {
            ChannelError::Invalid(m) => ApiError::BadRequest(m),
            ChannelError::Unauthorized(m) => ApiError::Unauthorized(m),
            ChannelError::Forbidden(m) => ApiError::Forbidden(m),
            ChannelError::NotFound(m) => ApiError::NotFound(m),
            ChannelError::TooLarge(m) => ApiError::TooLarge(m),
            ChannelError::Unsupported(m) => ApiError::Unsupported(m),
            ChannelError::RateLimited(wait) => {
                ApiError::retry_after(wait, "too many reports or photos from here")
            }
            ChannelError::Proof(p) => ApiError::BadRequest(p.to_string()),
            ChannelError::Desk(d) => d.into(),
            ChannelError::Store(s) => s.into(),
        }
    }
}

impl From<TileError> for ApiError {
    fn from(e: TileError) -> Self {
        match e {
            TileError::Cut(_) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<LayerError> for ApiError {
    fn from(e: LayerError) -> Self {
        match e {
            LayerError::NotSystemAdmin => ApiError::Forbidden(e.to_string()),
            LayerError::MalformedJson(_)
            | LayerError::NotAFeatureCollection
            | LayerError::NoFeatures
            | LayerError::BadFeature { .. }
            | LayerError::OrphanedHomeGrids { .. }
            | LayerError::TreeDoesNotBuild(_) => ApiError::BadRequest(e.to_string()),
            LayerError::TooManyFeatures { .. } => ApiError::TooLarge(e.to_string()),
            LayerError::Store(store) => store.into(),
            LayerError::EngineRefused(_) | LayerError::TaskFailed(_) => {
                ApiError::Internal(e.to_string())
            }
        }
    }
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;
