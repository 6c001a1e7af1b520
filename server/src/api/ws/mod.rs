//! `/ws`: one connection per browser map or field phone.
//!
//! The token is checked before the upgrade (`Authorization: Bearer` or
//! `?token=`), so a bad one is a plain 401. After `hello`, a viewer sends
//! `subscribe` and gets a `snapshot`, then deltas from the hub; a new
//! `subscribe` replaces the old one on the same connection. Field clients
//! send `fix`/`fixes` and get an `ack` once the fixes are committed. Any
//! client may send `query` (the REST queries) and `ping`. Bad messages get an
//! `error` message; oversized messages and floods close the connection with a
//! reason. The server pings; a peer that says nothing (not even a pong),
//! or reads nothing while a message waits, for `--slow-viewer-close-s` is
//! closed; logout, expiry and shutdown close connections with a reason. See
//! docs/protocol.md.
//!
//! - [`conn`]: what one connection does with each message.
//! - [`snapshot`]: everything a subscription can see, at once.
//! - [`socket`]: the upgrade, and long messages sent in fragments.

mod conn;
mod snapshot;
mod socket;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::Response;
use futures_util::stream::FuturesOrdered;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};

use super::auth::Principal;
use super::error::ApiError;
use crate::app::App;
use crate::metrics::Metrics;
use conn::Conn;
use riskmap_wire::ClientMessage;
use socket::{CloseFrame, Message, Sink, Socket, Stream, Upgrade, close_code};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Upgrades an authenticated request to a WebSocket.
pub async fn upgrade(
    State(app): State<Arc<App>>,
    p: Principal,
    ws: Upgrade,
) -> Result<Response, ApiError> {
    let open = usize::try_from(app.metrics.ws_connections.load(Ordering::Relaxed)).unwrap_or(0);
    if open >= app.limits.max_ws_connections {
        return Err(ApiError::Unavailable(format!(
            "too many WebSocket connections ({open}, the limit is {}); try again later",
            app.limits.max_ws_connections
        )));
    }
    // One user (one leaked token) cannot take the whole server's share.
    let mine = app.hub.connections_of(&p.user.username);
    if mine >= app.limits.max_ws_per_user {
        return Err(ApiError::TooMany(format!(
            "{} has {mine} WebSocket connections open, the limit per user; close one first",
            p.user.username
        )));
    }
    // The hard cap is above the limit so that a message just over it gets a
    // clean close with a reason instead of a dropped connection.
    let hard_cap = app.limits.max_frame_bytes.saturating_mul(4);
    // Small buffers: most connections are idle phones and screens, and
    // tungstenite's defaults (128 KiB each way) would cost a quarter of a
    // megabyte per connection. Messages are flushed as they are sent anyway.
    // Long messages go out in fragments (`socket`), so the write buffer,
    // which keeps its largest size, stays one fragment long.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(hard_cap))
        .max_frame_size(Some(hard_cap));
    Ok(ws.on_upgrade(config, move |socket| session(app, p, socket)))
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

async fn session(app: Arc<App>, p: Principal, socket: Socket) {
    app.metrics.ws_connections.fetch_add(1, Ordering::Relaxed);
    let (mut sink, mut stream) = socket.split();
    let (viewer, mut rx, handle) = app.hub.register();
    let expiry = tokio::time::sleep(until_expiry(&app, viewer, &p));
    tokio::pin!(expiry);
    let mut conn = Conn {
        app: app.clone(),
        p,
        viewer,
        watching: None,
    };
    let mut limit = RateLimit::new(app.limits.ws_messages_per_second);
    let hello = hello(&app, &conn.p);
    let mut close: Option<(u16, String)> = None;
    // Replies waiting for their fixes to be committed, in message order. A
    // fix's message is checked the moment it is read, and committed and
    // applied in its own task; only its ack waits, so a client may send its
    // next batch at once (a gateway forwarding thousands of devices would
    // otherwise see each batch wait for the previous one's commit before it
    // is even read).
    let mut pending: Pending = FuturesOrdered::new();
    // A message that is not a fix, read while acks are pending: it is served
    // once they are sent, so every reply still comes in the order of the
    // messages, and a snapshot never overtakes what came before it.
    let mut deferred: Option<ClientMessage> = None;
    // Pings find peers that went away without a word (a phone out of
    // coverage): anything heard from the peer, a pong included, counts.
    let mut ping = tokio::time::interval(app.limits.ws_ping);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await;
    let mut heard = Instant::now();
    if send_text(&app, &mut sink, hello).await.is_ok() {
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
                    heard = Instant::now();
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
                    let texts = conn.outbound(out).await;
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
                _ = ping.tick() => match keep_alive(&app, &mut sink, heard).await {
                    Ok(()) => {}
                    Err(reason) => { close = reason; break; }
                },
            }
        }
    }
    wind_down(&app, &mut sink, &mut stream, close, pending).await;
    app.hub.unregister(viewer);
    app.metrics.ws_connections.fetch_sub(1, Ordering::Relaxed);
}

/// A ping, or, for a peer silent beyond the allowance, the close to send
/// (`Err(None)`: the connection is gone).
async fn keep_alive(
    app: &App,
    sink: &mut Sink,
    heard: Instant,
) -> Result<(), Option<(u16, String)>> {
    let silent = heard.elapsed();
    if silent > app.limits.ws_patience {
        return Err(Some((
            close_code::AWAY,
            format!("no answer to pings for {} s", silent.as_secs()),
        )));
    }
    send_message(app, sink, Message::Ping(Vec::new().into()))
        .await
        .map_err(|_| None)
}

/// Binds a new connection to its user's staff member (tasks reach it) and
/// session (a logout or a disabled user closes it through the hub); how
/// long until the session expires (a year at most: far enough, and no
/// `Instant` overflow).
fn until_expiry(app: &App, viewer: crate::live::ViewerId, p: &Principal) -> Duration {
    if let Some(staff) = &p.user.staff_id {
        app.hub.bind_staff(viewer, staff);
    }
    app.hub
        .bind_session(viewer, &p.session.token_hash, &p.user.username);
    let left = u64::try_from(p.session.expires_ms - crate::clock::now_ms()).unwrap_or(0);
    Duration::from_millis(left.min(365 * 86_400_000))
}

/// The first message: who the server thinks you are, and its limits.
fn hello(app: &App, p: &Principal) -> String {
    json!({
        "type": "hello",
        "user": p.user,
        "tick_ms": app.hub.tick_interval().as_millis(),
        "server_time": crate::clock::now_ms(),
        // A staff member whose last fix (`t`) is older than this is
        // offline: shown so, and left out of dispatch.
        "stale_after_s": app.limits.stale_after_ms / 1000,
        "limits": {
            "max_message_bytes": app.limits.max_frame_bytes,
            "messages_per_second": app.limits.ws_messages_per_second,
        },
    })
    .to_string()
}

/// Ends a session: sends the acks still pending (if the connection was not
/// closed for a reason), then the close frame with its reason, if any.
async fn wind_down(
    app: &App,
    sink: &mut Sink,
    stream: &mut Stream,
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
            code: code.into(),
            reason: truncate(&reason, 120).into(),
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

async fn send_text(app: &App, sink: &mut Sink, text: String) -> Result<(), SendError> {
    within_patience(app, socket::send_text(sink, text)).await?;
    Metrics::add(&app.metrics.ws_messages_out, 1);
    Ok(())
}

/// Why a message could not be sent: the connection is gone or stuck.
#[derive(Debug)]
enum SendError {
    /// The peer read nothing within the send timeout: it is not reading.
    Stuck,
    /// The connection failed.
    Failed,
}

/// Sends one message whole.
async fn send_message(app: &App, sink: &mut Sink, message: Message) -> Result<(), SendError> {
    within_patience(app, sink.send(message)).await
}

/// Gives a send up after the send timeout: a peer that never reads would
/// otherwise hold this task (and its hub queue) forever.
async fn within_patience(
    app: &App,
    send: impl Future<Output = Result<(), tokio_tungstenite::tungstenite::Error>>,
) -> Result<(), SendError> {
    match tokio::time::timeout(app.limits.ws_patience, send).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(SendError::Failed),
        Err(_) => {
            Metrics::add(&app.metrics.slow_closes, 1);
            Err(SendError::Stuck)
        }
    }
}

async fn send_all(app: &App, sink: &mut Sink, texts: Vec<String>) -> Result<(), SendError> {
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
