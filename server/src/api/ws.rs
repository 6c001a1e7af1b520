//! `/ws`: one connection per browser map or field phone.
//!
//! The token is checked before the upgrade (`Authorization: Bearer` or
//! `?token=`), so a bad one is a plain 401. After `hello`, a viewer sends
//! `subscribe` and gets a `snapshot`, then deltas from the hub; a new
//! `subscribe` replaces the old one on the same connection. Field clients
//! send `fix`/`fixes` and get an `ack` once the fixes are committed. Any
//! client may send `query` (the REST queries) and `ping`. Bad messages get an
//! `error` message; oversized messages and floods close the connection with a
//! reason. See docs/protocol.md.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::response::Response;
use futures_util::stream::FuturesOrdered;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};

use super::auth::Principal;
use super::error::ApiError;
use super::fixes::rejection;
use super::queries;
use crate::app::ingest::IngestError;
use crate::app::{App, FixRejection};
use crate::identity::Scope;
use crate::live::protocol::{camera_json, key_place_json, risk_source_json, staff_json};
use crate::live::{ClientMessage, Layers, Outbound, Subscription};
use crate::metrics::{Metrics, Query as Q};
use riskmap_engine::{AreaTree, Engine, Layer, LayerItem};

/// Upgrades an authenticated request to a WebSocket.
pub async fn upgrade(
    State(app): State<Arc<App>>,
    p: Principal,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let open = usize::try_from(app.metrics.ws_connections.load(Ordering::Relaxed)).unwrap_or(0);
    if open >= app.limits.max_ws_connections {
        return Err(ApiError::Unavailable(format!(
            "too many WebSocket connections ({open}, the limit is {}); try again later",
            app.limits.max_ws_connections
        )));
    }
    // The hard cap is above the limit so that a message just over it gets a
    // clean close with a reason instead of a dropped connection.
    let hard_cap = app.limits.max_frame_bytes.saturating_mul(4);
    // Small buffers: most connections are idle phones and screens, and
    // tungstenite's defaults (128 KiB each way) would cost a quarter of a
    // megabyte per connection. Messages are flushed as they are sent anyway.
    Ok(ws
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(hard_cap)
        .max_frame_size(hard_cap)
        .on_upgrade(move |socket| session(app, p, socket)))
}

/// A token bucket for a connection's incoming messages.
struct RateLimit {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimit {
    fn new(per_second: u32) -> Self {
        let per_second = f64::from(per_second.max(1));
        RateLimit {
            capacity: per_second * 2.0,
            per_second,
            tokens: per_second * 2.0,
            last: Instant::now(),
        }
    }

    fn allow(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * self.per_second)
            .min(self.capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What a connection is doing.
struct Conn {
    app: Arc<App>,
    p: Principal,
    viewer: crate::live::ViewerId,
    /// What the client asked to watch, kept as asked (an area by its code):
    /// a resync resolves it again against the current area tree, so a
    /// re-imported tree can never leave a stale scope behind.
    watching: Option<Watch>,
}

/// A subscription as the client asked for it.
#[derive(Debug, Clone)]
struct Watch {
    bbox: Option<[f64; 4]>,
    area: Option<String>,
    layers: Layers,
}

/// A reply that is ready once the fixes it acknowledges are committed.
type PendingReply = Pin<Box<dyn Future<Output = Vec<String>> + Send>>;
/// A connection's replies waiting for commits, in message order.
type Pending = FuturesOrdered<PendingReply>;
/// Messages with fixes a connection may have waiting for their commit;
/// beyond this, it is not read until the oldest is acknowledged (memory per
/// connection stays bounded: at most this many messages' fixes).
const MAX_PENDING: usize = 16;

/// How a message handler wants the connection to continue.
enum Next {
    Reply(Vec<String>),
    Close(u16, String),
}

async fn session(app: Arc<App>, p: Principal, socket: WebSocket) {
    app.metrics.ws_connections.fetch_add(1, Ordering::Relaxed);
    let (mut sink, mut stream) = socket.split();
    let (viewer, mut rx, handle) = app.hub.register();
    if let Some(staff) = &p.user.staff_id {
        // Tasks dispatched to this staff member reach this connection.
        app.hub.bind_staff(viewer, staff);
    }
    // A logout or a disabled user closes the connection through the hub;
    // the session's end closes it here.
    app.hub
        .bind_session(viewer, &p.session.token_hash, &p.user.username);
    // (A year at most: far enough, and no Instant overflow.)
    let left = u64::try_from(p.session.expires_ms - crate::clock::now_ms())
        .unwrap_or(0)
        .min(365 * 86_400_000);
    let expiry = tokio::time::sleep(Duration::from_millis(left));
    tokio::pin!(expiry);
    let mut conn = Conn {
        app: app.clone(),
        p,
        viewer,
        watching: None,
    };
    let mut limit = RateLimit::new(app.limits.ws_messages_per_second);
    let hello = json!({
        "type": "hello",
        "user": conn.p.user,
        "tick_ms": app.hub.tick_interval().as_millis(),
        "server_time": crate::clock::now_ms(),
        "limits": { "max_message_bytes": app.limits.max_frame_bytes, "messages_per_second": app.limits.ws_messages_per_second },
    });
    let mut close: Option<(u16, String)> = None;
    // Replies waiting for their fixes to be committed, in message order. A
    // fix is applied to the live map the moment its message is read; only its
    // ack waits for the commit, so a client may send its next batch at once
    // (a gateway forwarding thousands of devices would otherwise see each
    // batch wait for the previous one's commit before it is even read).
    let mut pending: Pending = FuturesOrdered::new();
    // A message that is not a fix, read while acks are pending: it is served
    // once they are sent, so every reply still comes in the order of the
    // messages, and a snapshot never overtakes what came before it.
    let mut deferred: Option<ClientMessage> = None;
    if send_text(&app, &mut sink, hello.to_string()).await.is_ok() {
        'session: loop {
            if pending.is_empty()
                && let Some(msg) = deferred.take()
            {
                match conn.handle(msg).await {
                    Next::Reply(texts) => {
                        if send_all(&app, &mut sink, texts).await.is_err() {
                            break 'session;
                        }
                    }
                    Next::Close(code, reason) => {
                        close = Some((code, reason));
                        break 'session;
                    }
                }
            }
            tokio::select! {
                incoming = stream.next(), if deferred.is_none() && pending.len() < MAX_PENDING => {
                    let Some(Ok(msg)) = incoming else {
                        if let Some(Err(e)) = incoming {
                            close = Some((close_code::SIZE, format!("unreadable message: {e}")));
                        }
                        break;
                    };
                    Metrics::add(&app.metrics.ws_messages_in, 1);
                    if !limit.allow() {
                        close = Some((close_code::POLICY, format!(
                            "rate limit: more than {} messages per second", app.limits.ws_messages_per_second)));
                        break;
                    }
                    let Some(next) = conn.on_message(msg, &mut pending, &mut deferred).await else {
                        break;
                    };
                    match next {
                        Next::Reply(texts) if texts.is_empty() => {}
                        // Behind pending acks: keep the order.
                        Next::Reply(texts) if !pending.is_empty() => {
                            pending.push_back(Box::pin(async move { texts }));
                        }
                        Next::Reply(texts) => {
                            if send_all(&app, &mut sink, texts).await.is_err() { break; }
                        }
                        Next::Close(code, reason) => { close = Some((code, reason)); break; }
                    }
                }
                Some(texts) = pending.next(), if !pending.is_empty() => {
                    if send_all(&app, &mut sink, texts).await.is_err() { break; }
                }
                out = rx.recv() => {
                    let Some(out) = out else { break };
                    let texts = conn.outbound(out);
                    if send_all(&app, &mut sink, texts).await.is_err() { break; }
                }
                closing = handle.closed() => {
                    close = Some((closing.code, closing.reason));
                    break;
                }
                () = &mut expiry => {
                    close = Some((close_code::POLICY, "the session expired: log in again".into()));
                    break;
                }
            }
        }
    }
    wind_down(&app, &mut sink, &mut stream, close, pending).await;
    app.hub.unregister(viewer);
    app.metrics.ws_connections.fetch_sub(1, Ordering::Relaxed);
}

/// Ends a session: sends the acks still pending (if the connection was not
/// closed for a reason), then the close frame with its reason, if any.
async fn wind_down(
    app: &App,
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    stream: &mut futures_util::stream::SplitStream<WebSocket>,
    close: Option<(u16, String)>,
    mut pending: Pending,
) {
    // Fixes already applied are being committed by their own tasks (see
    // `begin_fixes`): whatever happens to the connection, they reach the
    // store. Their acks can only be sent while the peer still listens.
    if close.is_none() && !pending.is_empty() {
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(texts) = pending.next().await {
                if send_all(app, sink, texts).await.is_err() {
                    break;
                }
            }
        })
        .await;
    }
    if let Some((code, reason)) = close {
        // The peer may be gone or not reading: do not wait on it for long.
        let frame = Message::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from(truncate(&reason, 120)),
        }));
        let _ = tokio::time::timeout(Duration::from_secs(2), sink.send(frame)).await;
        // Finish the closing handshake: read (and drop) what the client still
        // sends until its Close arrives. Closing the socket with unread input
        // would make TCP reset it, and the client would never see the reason.
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(Ok(m)) = stream.next().await {
                if matches!(m, Message::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
}

async fn send_text(
    app: &App,
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    text: String,
) -> Result<(), axum::Error> {
    sink.send(Message::Text(text.into())).await?;
    Metrics::add(&app.metrics.ws_messages_out, 1);
    Ok(())
}

async fn send_all(
    app: &App,
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    texts: Vec<String>,
) -> Result<(), axum::Error> {
    for t in texts {
        send_text(app, sink, t).await?;
    }
    Ok(())
}

fn truncate(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

fn error_json(id: Option<&Value>, e: &ApiError) -> String {
    let mut body = e.body();
    body["type"] = json!("error");
    if let Some(id) = id {
        body["id"] = id.clone();
    }
    body.to_string()
}

impl Conn {
    /// What to send for a message the hub queued: the text, or for a
    /// resync a fresh snapshot of what the connection watches.
    fn outbound(&mut self, out: Outbound) -> Vec<String> {
        match out {
            Outbound::Text(t) => vec![t.to_string()],
            Outbound::Resync => match self.watching.clone() {
                Some(w) => self.subscribe(w).unwrap_or_else(|e| {
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
    async fn on_message(
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
            Message::Ping(_) | Message::Pong(_) => Next::Reply(Vec::new()),
        })
    }

    /// Reads a client message, or says how to answer one that cannot be read.
    fn parse(&self, text: &str) -> Result<ClientMessage, Next> {
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
                    "cannot read the message: {e}; types are subscribe, unsubscribe, fix, fixes, query, report, ping"
                )),
            )])
        })
    }

    /// Serves a message (fixes, too, waiting for their commit: the session
    /// loop sends those through [`Conn::begin_fixes`] instead).
    async fn handle(&mut self, msg: ClientMessage) -> Next {
        match msg {
            ClientMessage::Subscribe { bbox, area, layers } => {
                let watch = match layers {
                    Some(names) => Layers::parse(&names).map_err(ApiError::BadRequest),
                    None => Ok(Layers::DEFAULT),
                }
                .map(|layers| Watch { bbox, area, layers });
                match watch.and_then(|w| self.subscribe(w)) {
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
                let result = self.query(&query, params);
                Next::Reply(vec![match result {
                    Ok(data) => json!({ "type": "result", "id": id, "query": query, "data": data })
                        .to_string(),
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
            ClientMessage::Ping { id } => Next::Reply(vec![
                json!({ "type": "pong", "id": id, "server_time": crate::clock::now_ms() })
                    .to_string(),
            ]),
        }
    }

    /// Resolves a watch against the current area tree and the user's scope,
    /// registers it with the hub, and returns the snapshot (and, for the
    /// `stats` layer, today's statistics).
    fn subscribe(&mut self, w: Watch) -> Result<Vec<String>, ApiError> {
        let (bbox, scope) = {
            let engine = self.app.engine.read();
            let tree = engine.areas();
            let scope = Scope::of(&self.p.user, tree);
            match (w.bbox, &w.area) {
                (Some(b), None) => {
                    riskmap_engine::check_bbox(b)?;
                    (b, scope)
                }
                (None, Some(code)) => {
                    let idx = tree
                        .idx(code)
                        .filter(|&i| scope.contains(Some(i), tree))
                        .ok_or_else(|| {
                            ApiError::NotFound(format!("no area {code} in your area"))
                        })?;
                    let r = geo::BoundingRect::bounding_rect(&tree.get(idx).geometry).ok_or_else(
                        || ApiError::BadRequest(format!("area {code} has no extent")),
                    )?;
                    (
                        [r.min().x, r.min().y, r.max().x, r.max().y],
                        scope.narrow(idx, tree),
                    )
                }
                _ => {
                    return Err(ApiError::BadRequest(
                        "subscribe needs either bbox [west, south, east, north] or area".into(),
                    ));
                }
            }
        };
        let sub = Subscription {
            bbox,
            layers: w.layers,
            scope,
        };
        self.watching = Some(w);
        let seq = self.app.hub.subscribe(self.viewer, sub);
        let mut out = vec![snapshot(&self.app, &self.p.user, sub, seq)];
        if sub.layers.contains(Layers::STATS) {
            let engine = self.app.engine.read();
            let now = crate::clock::now_ms();
            let from = self.app.incidents.dictionary().calendar().day_start(now);
            out.push(self.app.stats_message(sub.scope, engine.areas(), from));
        }
        Ok(out)
    }

    /// Checks fixes now; the returned reply (the ack, or an error naming
    /// the fix) is ready once they are committed and applied. The commit
    /// runs in its own task, so it completes even if the connection goes
    /// away before the ack is sent.
    fn begin_fixes(&self, id: Option<Value>, fixes: Vec<crate::live::FixIn>) -> PendingReply {
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

    fn query(
        &self,
        query: &str,
        params: serde_json::Map<String, Value>,
    ) -> Result<Value, ApiError> {
        fn read<T: serde::de::DeserializeOwned>(
            params: serde_json::Map<String, Value>,
        ) -> Result<T, ApiError> {
            serde_json::from_value(Value::Object(params))
                .map_err(|e| ApiError::BadRequest(format!("bad params: {e}")))
        }
        let (app, user) = (&self.app, &self.p.user);
        match query {
            "nearest" => queries::nearest_query(app, user, &read(params)?),
            "cameras" => queries::cameras_query(app, user, &read(params)?),
            "nearby" => queries::nearby_query(app, user, &read(params)?),
            "locate" => queries::locate_query(app, user, &read(params)?),
            "heatmap" => queries::heatmap_query(app, user, &read(params)?),
            other => Err(ApiError::BadRequest(format!(
                "unknown query {other:?}; queries are nearest, cameras, nearby, locate, heatmap"
            ))),
        }
    }
}

/// A snapshot of everything a subscription can see now.
fn snapshot(app: &App, user: &crate::identity::User, sub: Subscription, seq: u64) -> String {
    let engine = app.engine.read();
    let tree = engine.areas();
    let t = Instant::now();
    let mut out = json!({ "type": "snapshot", "seq": seq, "bbox": sub.bbox });
    if sub.layers.contains(Layers::STAFF) {
        let staff = engine.staff();
        let mut members: Vec<_> = staff
            .in_bbox(sub.bbox)
            .into_iter()
            .filter_map(|i| staff.get(i))
            .filter(|m| sub.scope.contains(m.home, tree))
            .collect();
        members.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        out["staff"] = Value::Array(members.into_iter().map(|m| staff_json(m, tree)).collect());
    }
    if sub.layers.contains(Layers::CAMERAS) {
        out["cameras"] = visible_in_box(engine.cameras(), sub, tree, camera_json);
    }
    if sub.layers.contains(Layers::RISK_SOURCES) {
        out["risk_sources"] = visible_in_box(engine.risk_sources(), sub, tree, risk_source_json);
    }
    if sub.layers.contains(Layers::KEY_PLACES) {
        out["key_places"] = visible_in_box(engine.key_places(), sub, tree, key_place_json);
    }
    if sub.layers.contains(Layers::INCIDENTS) {
        out["incidents"] = incidents_in_view(app, user, sub, &engine);
    }
    app.metrics.observe(Q::Viewport, t.elapsed());
    out.to_string()
}

/// A static layer's features in a subscription's box and scope, as JSON.
fn visible_in_box<T: LayerItem>(
    layer: &Layer<T>,
    sub: Subscription,
    tree: &AreaTree,
    to_json: fn(&T) -> Value,
) -> Value {
    Value::Array(
        layer
            .in_bbox(sub.bbox)
            .into_iter()
            .filter(|&i| sub.scope.contains(layer.grid(i), tree))
            .filter_map(|i| Some(to_json(layer.get(i)?)))
            .collect(),
    )
}

/// The incidents a snapshot carries: the open ones of the subscription's
/// area (whatever the box: the overdue list covers the whole area), those
/// finished today, and a field user's own tasks.
fn incidents_in_view(
    app: &App,
    user: &crate::identity::User,
    sub: Subscription,
    engine: &Engine,
) -> Value {
    let tree = engine.areas();
    let now = crate::clock::now_ms();
    let desk = &app.incidents;
    let today = desk.dictionary().calendar().day_start(now);
    let book = desk.book();
    Value::Array(
        book.iter()
            .filter(|e| {
                let i = &e.incident;
                let recent = i.is_open() || i.closed_ms.is_some_and(|c| c >= today);
                let mine = user.staff_id.is_some()
                    && i.assignee_staff == user.staff_id
                    && i.state.holds_assignee();
                mine || (recent && sub.scope.contains(tree.idx(&i.grid), tree))
            })
            .map(|e| serde_json::to_value(desk.view(engine, e, now)).unwrap_or_default())
            .collect(),
    )
}
