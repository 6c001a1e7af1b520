//! 一网归集, 一网反馈: every channel a report comes in by besides the staff's
//! own hands, and the answers owed back.
//!
//! - [`attachments`]: photos uploaded, checked by content, kept in the
//!   store, served under 分级授权.
//! - [`citizen`]: the public report page (随手拍): a report without a login,
//!   its tracking code, its public status, the rating, 积分.
//! - [`connectors`]: other systems' signed pushes (12345, 数字城管, camera
//!   alarms) and their sources.
//! - [`callbacks`]: the state changes `POST`ed back to them, retried until
//!   answered.

pub mod attachments;
pub mod callbacks;
pub mod citizen;
pub mod connectors;

use std::time::Duration;

use thiserror::Error;

use super::incidents::DeskError;
use crate::connector::ConnectorError;
use crate::identity::proof::{ProofError, ProofOfWork};
use crate::identity::rates::Rates;
use crate::identity::{User, UserRole};
use crate::incident::IncidentError;
use crate::store::StoreError;

/// Why a channel's request was refused.
#[derive(Debug, Error)]
pub enum ChannelError {
    /// Malformed input.
    #[error("{0}")]
    Invalid(String),
    /// Not signed, or badly.
    #[error("{0}")]
    Unauthorized(String),
    /// Not for this user.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing by that name (or nothing this caller may see).
    #[error("{0}")]
    NotFound(String),
    /// Too large.
    #[error("{0}")]
    TooLarge(String),
    /// Not an image of an accepted type.
    #[error("{0}")]
    Unsupported(String),
    /// Too many, too fast: wait this long.
    #[error("too many requests; try again in {} s", .0.as_secs().max(1))]
    RateLimited(Duration),
    /// The proof that a person is there failed.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// The incident desk refused or failed it.
    #[error(transparent)]
    Desk(#[from] DeskError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<IncidentError> for ChannelError {
    fn from(e: IncidentError) -> Self {
        ChannelError::Desk(DeskError::Refused(e))
    }
}

impl From<ConnectorError> for ChannelError {
    fn from(e: ConnectorError) -> Self {
        match e {
            ConnectorError::Invalid(m) => ChannelError::Invalid(m),
            ConnectorError::Unauthorized(m) => ChannelError::Unauthorized(m),
            e @ ConnectorError::UnknownSource(_) => ChannelError::NotFound(e.to_string()),
        }
    }
}

impl From<riskmap_media::MediaError> for ChannelError {
    fn from(e: riskmap_media::MediaError) -> Self {
        use riskmap_media::MediaError as M;
        match e {
            M::TooLarge { .. } => ChannelError::TooLarge(e.to_string()),
            M::NotAnImage => ChannelError::Unsupported(e.to_string()),
            _ => ChannelError::Invalid(e.to_string()),
        }
    }
}

/// The channels' settings (from the command line).
#[derive(Debug, Clone)]
pub struct ChannelConfig {
    /// Leading zero bits the citizen page's proof of work asks.
    pub proof_difficulty: u8,
    /// Citizen reports per client address an hour.
    pub reports_per_address_hour: u32,
    /// Citizen reports per phone number an hour.
    pub reports_per_phone_hour: u32,
    /// Public uploads per client address an hour.
    pub uploads_per_address_hour: u32,
    /// Repeated camera alarms within this window merge, ms.
    pub alarm_merge_ms: i64,
    /// How long a call-back may take.
    pub callback_timeout: Duration,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            proof_difficulty: 16,
            reports_per_address_hour: 20,
            reports_per_phone_hour: 5,
            uploads_per_address_hour: 60,
            alarm_merge_ms: 30 * 60 * 1000,
            callback_timeout: Duration::from_secs(10),
        }
    }
}

/// The channels' state: the proof of work, the public rates, the client
/// call-backs go out on.
#[derive(Debug)]
pub struct Channels {
    /// The settings.
    pub config: ChannelConfig,
    /// The citizen page's proof that a person is there.
    pub proof: ProofOfWork,
    reports_per_address: Rates,
    reports_per_phone: Rates,
    uploads_per_address: Rates,
    client: reqwest::Client,
    /// Photos decoded at once at most (one per core): a 12-megapixel JPEG
    /// costs about 0.3 s of a core, and a burst of uploads must not take
    /// every core from the map (docs/PERFORMANCE.md, "Photos").
    pub(super) decoders: tokio::sync::Semaphore,
    /// Woken when a change may owe a call-back.
    pub owed: tokio::sync::Notify,
}

impl Channels {
    /// Channels with `config`, their challenges signed with `key` (the same
    /// on every node of a cluster).
    #[must_use]
    pub fn new(config: ChannelConfig, key: &[u8]) -> Self {
        Channels {
            proof: ProofOfWork::new(key, config.proof_difficulty),
            reports_per_address: Rates::per_hour(config.reports_per_address_hour),
            reports_per_phone: Rates::per_hour(config.reports_per_phone_hour),
            uploads_per_address: Rates::per_hour(config.uploads_per_address_hour),
            client: reqwest::Client::builder()
                .timeout(config.callback_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            owed: tokio::sync::Notify::new(),
            decoders: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            ),
            config,
        }
    }
}

/// Takes one request from `rates`' bucket for `key`.
fn take(rates: &Rates, key: &str) -> Result<(), ChannelError> {
    rates.allow(key).map_err(ChannelError::RateLimited)
}

/// The user a channel's reports are filed by: not a login, but named in
/// the flow log as the reporter (`citizen`, `intake:12345`).
fn channel_user(username: String, display_name: String, root: &str) -> User {
    User {
        id: 0,
        username,
        display_name,
        // Reports from outside land anywhere in the city, as a field
        // worker's do.
        role: UserRole::Field,
        area: root.to_owned(),
        staff_id: None,
        department: None,
        must_change_password: false,
    }
}
