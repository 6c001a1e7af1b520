//! What one `/ws` connection does with each message: subscriptions and
//! their snapshots, fixes (acknowledged once committed), queries, reports.

use std::sync::Arc;

use super::socket::{Message, close_code};
use serde_json::{Value, json};

use super::snapshot::snapshot;
use super::{Next, Pending, PendingReply, error_json};
use crate::api::auth::Principal;
use crate::api::error::ApiError;
use crate::api::fixes::rejection;
use crate::api::queries;
use crate::app::alerts::{SOS_SHARE_EVERY_S, SosIn, StepIn};
use crate::app::ingest::IngestError;
use crate::app::{App, FixRejection};
use crate::identity::Scope;
use crate::live::{Outbound, Subscription};
use riskmap_wire::{ClientMessage, Layers};

/// What a connection is doing.
pub(super) struct Conn {
    /// The shared state.
    pub(super) app: Arc<App>,
    /// Who is connected.
    pub(super) p: Principal,
    /// The connection's place in the hub.
    pub(super) viewer: crate::live::ViewerId,
    /// What the client asked to watch, kept as asked (an area by its code):
    /// a resync resolves it again against the current area tree, so a
    /// re-imported tree can never leave a stale scope behind.
    pub(super) watching: Option<Watch>,
}

/// Times a subscription is resolved and its snapshot built before giving
/// up, each try undone by another areas import (imports are rare: one try
/// almost always, a second after an import, a third hardly ever).
const RESOLVE_TRIES: usize = 3;

/// A subscription as the client asked for it.
#[derive(Debug, Clone)]
pub(super) struct Watch {
    bbox: Option<[f64; 4]>,
    area: Option<String>,
    layers: Layers,
}

impl Conn {
    /// What to send for a message the hub queued: the text, or for a
    /// resync a fresh snapshot of what the connection watches.
    pub(super) async fn outbound(&mut self, out: Outbound) -> Vec<String> {
        match out {
            Outbound::Text(t) => vec![t.to_string()],
            Outbound::Resync => match self.watching.clone() {
                Some(w) => self.subscribe(w).await.unwrap_or_else(|e| {
                    self.watching = None;
                    self.app.hub.unsubscribe(self.viewer);
                    vec![error_json(None, &e)]
                }),
                None => Vec::new(),
            },
        }
    }

    /// Serves a message read from the client; `None` when it closed.
    /// Fixes are applied at once and their ack joins `pending`; any other
    /// message read while acks are pending waits in `deferred`.
    pub(super) async fn on_message(
        &mut self,
        msg: Message,
        pending: &mut Pending,
        deferred: &mut Option<ClientMessage>,
    ) -> Option<Next> {
        Some(match msg {
            Message::Text(t) => match self.parse(t.as_str()) {
                Err(next) => next,
                Ok(ClientMessage::Fix { id, fix }) => {
                    pending.push_back(self.begin_fixes(id, vec![fix]));
                    Next::Reply(Vec::new())
                }
                Ok(ClientMessage::Fixes { id, fixes }) => {
                    pending.push_back(self.begin_fixes(id, fixes));
                    Next::Reply(Vec::new())
                }
                Ok(other) if !pending.is_empty() => {
                    *deferred = Some(other);
                    Next::Reply(Vec::new())
                }
                Ok(other) => self.handle(other).await,
            },
            Message::Binary(_) => Next::Reply(vec![error_json(
                None,
                &ApiError::BadRequest("binary messages are not supported; send JSON text".into()),
            )]),
            Message::Close(_) => return None,
            // Pongs are answered by the library; whole frames never arrive.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => Next::Reply(Vec::new()),
        })
    }

    /// Reads a client message, or says how to answer one that cannot be read.
    pub(super) fn parse(&self, text: &str) -> Result<ClientMessage, Next> {
        let max = self.app.limits.max_frame_bytes;
        if text.len() > max {
            return Err(Next::Close(
                close_code::SIZE,
                format!("message too big: {} bytes, the limit is {max}", text.len()),
            ));
        }
        serde_json::from_str(text).map_err(|e| {
            Next::Reply(vec![error_json(
                None,
                &ApiError::BadRequest(format!(
                    "cannot read the message: {e}; types are subscribe, unsubscribe, fix, fixes, query, report, sos, sos_cancel, ping"
                )),
            )])
        })
    }

    /// Serves a message (fixes, too, waiting for their commit: the session
    /// loop sends those through [`Conn::begin_fixes`] instead).
    pub(super) async fn handle(&mut self, msg: ClientMessage) -> Next {
        match msg {
            ClientMessage::Subscribe { bbox, area, layers } => {
                let watch = match layers {
                    Some(names) => Layers::parse(&names).map_err(ApiError::BadRequest),
                    None => Ok(Layers::DEFAULT),
                }
                .map(|layers| Watch { bbox, area, layers });
                let texts = match watch {
                    Ok(w) => self.subscribe(w).await,
                    Err(e) => Err(e),
                };
                match texts {
                    Ok(texts) => Next::Reply(texts),
                    Err(e) => Next::Reply(vec![error_json(None, &e)]),
                }
            }
            ClientMessage::Unsubscribe => {
                self.watching = None;
                self.app.hub.unsubscribe(self.viewer);
                Next::Reply(vec![json!({ "type": "unsubscribed" }).to_string()])
            }
            ClientMessage::Fix { id, fix } => Next::Reply(self.begin_fixes(id, vec![fix]).await),
            ClientMessage::Fixes { id, fixes } => Next::Reply(self.begin_fixes(id, fixes).await),
            ClientMessage::Query { id, query, params } => {
                let result = self.query(&query, params).await;
                Next::Reply(vec![match result {
                    Ok(data) => result_json(id.as_ref(), &query, &data),
                    Err(e) => error_json(id.as_ref(), &e),
                }])
            }
            ClientMessage::Report { id, incident } => {
                Next::Reply(vec![
                    match self.app.report_incident(&self.p.user, incident).await {
                        Ok(v) => json!({ "type": "reported", "id": id, "incident": v }).to_string(),
                        Err(e) => error_json(id.as_ref(), &e.into()),
                    },
                ])
            }
            ClientMessage::Sos { id, note } => Next::Reply(vec![self.sos(id, note, true).await]),
            ClientMessage::SosCancel { id, note } => {
                Next::Reply(vec![self.sos(id, note, false).await])
            }
            ClientMessage::Ping { id } => Next::Reply(vec![
                json!({ "type": "pong", "id": id, "server_time": crate::clock::now_ms() })
                    .to_string(),
            ]),
        }
    }

    /// Raises (`raise`) or cancels the SOS of the connection's own staff
    /// member; the `sos` answer or an error.
    async fn sos(&self, id: Option<Value>, note: Option<String>, raise: bool) -> String {
        let user = &self.p.user;
        let Some(staff) = user.staff_id.as_deref() else {
            let e =
                ApiError::Forbidden("only a field login bound to a staff member sends sos".into());
            return error_json(id.as_ref(), &e);
        };
        let done = if raise {
            let sos = SosIn {
                position: None,
                note,
            };
            self.app.raise_sos(user, staff, sos).await.map(|(a, _)| a)
        } else {
            self.app.cancel_sos(user, staff, StepIn { note }).await
        };
        match done {
            Ok(alert) => json!({ "type": "sos", "id": id, "alert": alert,
                                 "share_every_s": SOS_SHARE_EVERY_S })
            .to_string(),
            Err(e) => error_json(id.as_ref(), &e.into()),
        }
    }

    /// Resolves a watch against the current area tree and the user's scope,
    /// registers it with the hub, and returns the snapshot (and, for the
    /// `stats` layer, today's statistics). The snapshot may wait for its
    /// turn (see [`snapshot`]); nothing is sent meanwhile, so it still comes
    /// after everything before it and before every delta after `seq`. An
    /// areas import in the meantime leaves the scope's indexes naming other
    /// areas (分级授权): the watch is resolved again and the snapshot built
    /// anew.
    pub(super) async fn subscribe(&mut self, w: Watch) -> Result<Vec<String>, ApiError> {
        for _ in 0..RESOLVE_TRIES {
            let sub = self.resolve(&w)?;
            self.watching = Some(w.clone());
            let seq = self.app.hub.subscribe(self.viewer, sub);
            let Some(snapshot) = snapshot(&self.app, &self.p.user, sub, seq).await? else {
                continue;
            };
            let mut out = vec![snapshot];
            if sub.layers.contains(Layers::STATS) {
                let engine = self.app.engine.read();
                if engine.areas().generation() != sub.tree {
                    continue;
                }
                let now = crate::clock::now_ms();
                let from = self.app.incidents.dictionary().calendar().day_start(now);
                out.push(self.app.stats_message(sub.scope, engine.areas(), from));
            }
            return Ok(out);
        }
        Err(ApiError::Unavailable(
            "the areas were replaced while the snapshot was made, again and again; subscribe again"
                .into(),
        ))
    }

    /// A watch as a subscription: its scope, narrowed to its area, and its
    /// box, read from the current area tree.
    fn resolve(&self, w: &Watch) -> Result<Subscription, ApiError> {
        let (bbox, scope, home, generation) = {
            let engine = self.app.engine.read();
            let tree = engine.areas();
            let scope = Scope::of(&self.p.user, tree);
            let home = scope;
            // An area narrows the scope (分级授权's drill-down) and gives the
            // box its extent; a box given too narrows the box: a screen
            // zoomed into part of the district it is drilled into.
            let area = match &w.area {
                Some(code) => {
                    let idx = tree
                        .idx(code)
                        .filter(|&i| scope.contains(Some(i), tree))
                        .ok_or_else(|| {
                            ApiError::NotFound(format!("no area {code} in your area"))
                        })?;
                    Some((code, idx))
                }
                None => None,
            };
            let bbox = match (w.bbox, area) {
                (Some(b), _) => {
                    riskmap_engine::check_bbox(b)?;
                    b
                }
                (None, Some((code, idx))) => {
                    let r = geo::BoundingRect::bounding_rect(&tree.get(idx).geometry).ok_or_else(
                        || ApiError::BadRequest(format!("area {code} has no extent")),
                    )?;
                    [r.min().x, r.min().y, r.max().x, r.max().y]
                }
                (None, None) => {
                    return Err(ApiError::BadRequest(
                        "subscribe needs a bbox [west, south, east, north], an area, or both"
                            .into(),
                    ));
                }
            };
            let scope = area.map_or(scope, |(_, idx)| scope.narrow(idx, tree));
            (bbox, scope, home, tree.generation())
        };
        Ok(Subscription {
            bbox,
            layers: w.layers,
            scope,
            home,
            tree: generation,
        })
    }

    /// Checks fixes now; the returned reply (the ack, or an error naming
    /// the fix) is ready once they are committed and applied. The commit
    /// runs in its own task, so it completes even if the connection goes
    /// away before the ack is sent.
    pub(super) fn begin_fixes(
        &self,
        id: Option<Value>,
        fixes: Vec<riskmap_wire::FixIn>,
    ) -> PendingReply {
        let own = self.p.user.staff_id.clone();
        match self
            .app
            .submit_fixes(Some(&self.p.user), own.as_deref(), fixes)
        {
            Ok(record) => {
                let record = tokio::spawn(record);
                Box::pin(async move {
                    let recorded = record
                        .await
                        .unwrap_or(Err(FixRejection::NotPersisted(IngestError::ShuttingDown)));
                    vec![match recorded {
                        Ok(report) => json!({ "type": "ack", "id": id, "applied": report.applied, "stale": report.stale })
                            .to_string(),
                        Err(r) => error_json(id.as_ref(), &rejection(r)),
                    }]
                })
            }
            Err(r) => {
                let text = error_json(id.as_ref(), &rejection(r));
                Box::pin(async move { vec![text] })
            }
        }
    }

    pub(super) async fn query(
        &self,
        query: &str,
        params: serde_json::Map<String, Value>,
    ) -> Result<queries::Answer, ApiError> {
        queries::answer_query(&self.app, &self.p.user, query, params).await
    }
}

/// A `result` message, written straight from the answer.
fn result_json(id: Option<&Value>, query: &str, data: &queries::Answer) -> String {
    #[derive(serde::Serialize)]
    struct Result<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        id: Option<&'a Value>,
        query: &'a str,
        data: &'a queries::Answer,
    }
    let r = Result {
        kind: "result",
        id,
        query,
        data,
    };
    serde_json::to_string(&r).unwrap_or_else(|e| {
        error_json(
            id,
            &ApiError::Internal(format!("serialising the answer: {e}")),
        )
    })
}
