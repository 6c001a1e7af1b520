//! 一网反馈 outward: each state change of an incident a source's ticket
//! follows — and, to the sources of kind `alerts` (告警订阅), each step of
//! every alert — is sent (`POST`) to the source's callback URL, signed as its pushes
//! are, and retried with backoff until it is answered 2xx. The store wrote
//! the call-back with the change, so a restart, or a node's death, loses
//! none: whichever node comes next takes it (each attempt is claimed in the
//! store first, so that two nodes never send the same one at once).

use serde::Serialize;

use super::super::App;
use super::ChannelError;
use super::connectors::system_admin_only;
use crate::alert::{Alert, AlertAction};
use crate::clock::now_ms;
use crate::connector::{self, Callback, CallbackState, SourceKind};
use crate::identity::User;
use crate::incident::channel::public_status;
use crate::store::StoreError;
use riskmap_engine::model::EpochMs;

/// Call-backs taken in one pass.
pub const PASS: u32 = 50;
/// How long a claimed attempt keeps others off it.
const CLAIM_MS: EpochMs = 60_000;

/// What a source's callback URL receives.
#[derive(Debug, Clone, Serialize)]
pub struct CallbackBody<'a> {
    /// The source.
    pub source: &'a str,
    /// Its ticket.
    pub ticket: &'a str,
    /// The incident that changed (the ticket's own, or the one it was
    /// merged into).
    pub incident: &'a str,
    /// The flow-log entry's number.
    pub seq: i64,
    /// What was done (`accept`, `dispatch`, `close` …).
    pub action: &'static str,
    /// The incident's state after it.
    pub state: &'static str,
    /// The state in public words (`received`, `handling`, `closed` …).
    pub status: &'static str,
    /// When.
    pub at_ms: EpochMs,
    /// The public answer, once given.
    pub reply: Option<&'a str>,
    /// The incident the ticket's own was merged into.
    pub merged_into: Option<&'a str>,
}

/// What an alert subscriber receives: one step of an alert's life.
#[derive(Debug, Clone, Serialize)]
pub struct AlertBody<'a> {
    /// The subscriber.
    pub source: &'a str,
    /// The alert's version this call-back is about (1: raised).
    pub version: i64,
    /// What that version's step did (`raised`, `acknowledged`,
    /// `cancelled`, `closed`).
    pub action: Option<AlertAction>,
    /// When.
    pub at_ms: EpochMs,
    /// The alert as it stands now (a later version may have come since).
    pub alert: &'a Alert,
}

impl App {
    /// Sends the call-backs due now, at once (a source that does not answer
    /// holds up only its own tickets, for the client's timeout); how many
    /// were attempted (a full pass: more may be due).
    pub async fn deliver_callbacks(&self) -> Result<usize, StoreError> {
        let now = now_ms();
        let mut claimed = Vec::new();
        for cb in self.store.due_callbacks(now, PASS).await? {
            if self.store.claim_callback(&cb, now + CLAIM_MS).await? {
                claimed.push(cb);
            }
        }
        let attempted = claimed.len();
        let settled =
            futures_util::future::join_all(claimed.into_iter().map(|cb| self.attempt(cb))).await;
        for cb in settled {
            self.store.settle_callback(&cb?).await?;
        }
        Ok(attempted)
    }

    /// One attempt: the call-back as it then stands.
    async fn attempt(&self, mut cb: Callback) -> Result<Callback, StoreError> {
        let now = now_ms();
        let url = self
            .store
            .source(&cb.source)
            .await?
            .and_then(|s| s.callback_url.clone().map(|u| (u, s.secret, s.kind)));
        let Some((url, secret, kind)) = url else {
            cb.state = CallbackState::Skipped;
            return Ok(cb);
        };
        let body = if kind == SourceKind::Alerts {
            self.alert_body(&cb).await?
        } else {
            self.callback_body(&cb).await?
        };
        let ts = now / 1000;
        let sent = self
            .channels
            .client
            .post(&url)
            .header("content-type", "application/json")
            .header(connector::TIMESTAMP_HEADER, ts.to_string())
            .header(
                connector::SIGNATURE_HEADER,
                connector::sign(&secret, ts, body.as_bytes()),
            )
            .body(body)
            .send()
            .await;
        cb.attempts += 1;
        let failure = match sent {
            Ok(r) if r.status().is_success() => None,
            Ok(r) => Some(format!("answered {}", r.status())),
            Err(e) => Some(format!("not reached: {e}")),
        };
        match failure {
            None => {
                cb.state = CallbackState::Delivered;
                cb.delivered_ms = Some(now);
                cb.last_error = None;
            }
            Some(e) => {
                tracing::info!(source = %cb.source, ticket = %cb.ticket, attempts = cb.attempts, error = %e, "call-back failed");
                cb.last_error = Some(e);
                cb.next_ms = connector::next_attempt(now, cb.attempts - 1);
                if cb.attempts >= connector::MAX_ATTEMPTS {
                    cb.state = CallbackState::Failed;
                }
            }
        }
        Ok(cb)
    }

    /// The JSON a call-back carries.
    async fn callback_body(&self, cb: &Callback) -> Result<String, StoreError> {
        let log = self.store.incident_log(&cb.incident).await?;
        let entry = log.iter().find(|e| e.seq == cb.seq);
        let reply = self
            .incidents
            .book()
            .get(&cb.incident)
            .and_then(|e| e.incident.intake.as_ref()?.reply.clone());
        // The ticket's own incident went into this one.
        let merged = self
            .store
            .ticket_incident(&cb.source, &cb.ticket)
            .await?
            .is_some_and(|own| own != cb.incident);
        let body = CallbackBody {
            source: &cb.source,
            ticket: &cb.ticket,
            incident: &cb.incident,
            seq: cb.seq,
            action: entry.map_or("unknown", |e| e.action.as_str()),
            state: entry.map_or("unknown", |e| e.to.as_str()),
            status: entry.map_or("received", |e| public_status(e.to)),
            at_ms: entry.map_or(cb.created_ms, |e| e.at_ms),
            reply: reply.as_deref(),
            merged_into: merged.then_some(cb.incident.as_str()),
        };
        serde_json::to_string(&body).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// The JSON an alert subscriber's call-back carries: the alert as it
    /// stands and the step of the version owed (its ticket is the alert,
    /// its seq the version).
    async fn alert_body(&self, cb: &Callback) -> Result<String, StoreError> {
        let alert = match self.alerts.held(&cb.ticket) {
            Some(a) => a,
            None => self.store.alert(&cb.ticket).await?.ok_or_else(|| {
                StoreError::Corrupt(format!("call-back {} owes a missing alert", cb.id))
            })?,
        };
        let step = usize::try_from(cb.seq - 1)
            .ok()
            .and_then(|i| alert.steps.get(i));
        let body = AlertBody {
            source: &cb.source,
            version: cb.seq,
            action: step.map(|s| s.action),
            at_ms: step.map_or(cb.created_ms, |s| s.at_ms),
            alert: &alert,
        };
        serde_json::to_string(&body).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Call-backs for an administrator, newest first.
    pub async fn callbacks_for(
        &self,
        user: &User,
        state: Option<CallbackState>,
    ) -> Result<Vec<Callback>, ChannelError> {
        system_admin_only(user)?;
        Ok(self.store.callbacks(state, 500).await?)
    }

    /// Sends a call-back again (an administrator's retry of a failed one).
    pub async fn retry_callback(&self, user: &User, id: i64) -> Result<Callback, ChannelError> {
        system_admin_only(user)?;
        let mut cb = self
            .store
            .callback(id)
            .await?
            .ok_or_else(|| ChannelError::NotFound(format!("no call-back {id}")))?;
        if cb.state == CallbackState::Delivered {
            return Err(ChannelError::Invalid(format!(
                "call-back {id} was delivered already"
            )));
        }
        cb.state = CallbackState::Pending;
        cb.attempts = 0;
        cb.next_ms = now_ms();
        self.store.settle_callback(&cb).await?;
        self.channels.owed.notify_one();
        Ok(cb)
    }
}
