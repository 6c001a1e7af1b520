//! The WebSocket under `/ws`: the upgrade, and sending a message in
//! fragments.
//!
//! The upgrade is done here rather than by axum's extractor because axum's
//! socket can only send a message whole. tungstenite copies each outgoing
//! frame into a per-connection buffer that grows to the largest frame and
//! never shrinks (snapview/tungstenite-rs#500), so every viewer kept its
//! largest snapshot (2 to 3 MB over a dense core) for the life of its
//! connection: 200 viewers held half a gigabyte. Sent as frames of at most
//! [`FRAGMENT_BYTES`], a message costs that buffer no more than one frame.
//! Fragmentation is the protocol's own (RFC 6455 §5.4): every client
//! receives the same whole message as before.

use std::future::Future;

use axum::body::{Body, Bytes};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Version, header};
use axum::response::Response;
use futures_util::SinkExt;
use futures_util::stream::{SplitSink, SplitStream};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

pub(super) use tokio_tungstenite::tungstenite::Message;
pub(super) use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use super::super::error::ApiError;

/// An upgraded `/ws` connection.
pub(super) type Socket = WebSocketStream<TokioIo<Upgraded>>;
/// Its sending half.
pub(super) type Sink = SplitSink<Socket, Message>;
/// Its receiving half.
pub(super) type Stream = SplitStream<Socket>;

/// The largest frame the server sends: a message longer than this goes out
/// in fragments. Big enough that a fragment's header and system call are
/// noise, small enough that a thousand connections' buffers stay small.
pub(super) const FRAGMENT_BYTES: usize = 64 * 1024;

/// The close codes the server sends (RFC 6455 §7.4.1).
pub(super) mod close_code {
    /// The server or the peer is going away (1001).
    pub(in super::super) const AWAY: u16 = 1001;
    /// The peer broke a rule (1008).
    pub(in super::super) const POLICY: u16 = 1008;
    /// A message too large to take (1009).
    pub(in super::super) const SIZE: u16 = 1009;
}

/// A request to upgrade to a WebSocket, checked: over HTTP/1.1 a `GET` with
/// `Connection: upgrade`, `Upgrade: websocket`, version 13 and a key; over
/// HTTP/2 a `CONNECT` with the `websocket` protocol (RFC 8441).
pub struct Upgrade {
    on_upgrade: OnUpgrade,
    /// `Sec-WebSocket-Accept` for an HTTP/1.1 upgrade; `None` over HTTP/2.
    accept: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let accept = if parts.version <= Version::HTTP_11 {
            Some(http1_accept(&parts.method, &parts.headers)?)
        } else {
            let websocket = parts
                .extensions
                .get::<hyper::ext::Protocol>()
                .is_some_and(|p| p.as_str().eq_ignore_ascii_case("websocket"));
            if parts.method != Method::CONNECT || !websocket {
                return Err(not_an_upgrade(
                    "over HTTP/2, a WebSocket is a CONNECT with the websocket protocol",
                ));
            }
            check_version(&parts.headers)?;
            None
        };
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or_else(|| not_an_upgrade("this connection cannot be upgraded"))?;
        Ok(Upgrade { on_upgrade, accept })
    }
}

impl Upgrade {
    /// The response that completes the handshake; `session` runs on the
    /// socket once the client has it.
    pub fn on_upgrade<F, Fut>(self, config: WebSocketConfig, session: F) -> Response
    where
        F: FnOnce(Socket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let on_upgrade = self.on_upgrade;
        tokio::spawn(async move {
            match on_upgrade.await {
                Ok(upgraded) => {
                    let io = TokioIo::new(upgraded);
                    let socket =
                        WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
                    session(socket).await;
                }
                Err(e) => tracing::debug!(error = %e, "WebSocket upgrade failed"),
            }
        });
        let mut response = Response::new(Body::empty());
        if let Some(accept) = self.accept {
            *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
            let headers = response.headers_mut();
            headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
            // The key was a header value, and its digest is base64.
            if let Ok(v) = HeaderValue::from_str(&accept) {
                headers.insert(header::SEC_WEBSOCKET_ACCEPT, v);
            }
        }
        response
    }
}

/// `Sec-WebSocket-Accept` for a well-formed HTTP/1.1 upgrade request.
fn http1_accept(method: &Method, headers: &HeaderMap) -> Result<String, ApiError> {
    if method != Method::GET {
        return Err(not_an_upgrade("a WebSocket upgrade is a GET"));
    }
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    if !has_token(header::CONNECTION, "upgrade") {
        return Err(not_an_upgrade("the Connection header does not say upgrade"));
    }
    if !has_token(header::UPGRADE, "websocket") {
        return Err(not_an_upgrade("the Upgrade header does not say websocket"));
    }
    check_version(headers)?;
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .ok_or_else(|| not_an_upgrade("Sec-WebSocket-Key is missing"))?;
    Ok(derive_accept_key(key.as_bytes()))
}

fn check_version(headers: &HeaderMap) -> Result<(), ApiError> {
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v.as_bytes() == b"13")
    {
        Ok(())
    } else {
        Err(not_an_upgrade("Sec-WebSocket-Version must be 13"))
    }
}

fn not_an_upgrade(why: &str) -> ApiError {
    ApiError::BadRequest(format!("not a WebSocket upgrade request: {why}"))
}

/// Sends one text message, in fragments of at most [`FRAGMENT_BYTES`]
/// when it is longer (each fragment flushed before the next is buffered).
pub(super) async fn send_text(
    sink: &mut Sink,
    text: String,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    if text.len() <= FRAGMENT_BYTES {
        return sink.send(Message::text(text)).await;
    }
    let mut frames = fragments(text).peekable();
    let mut opcode = OpCode::Data(Data::Text);
    while let Some(payload) = frames.next() {
        let last = frames.peek().is_none();
        sink.send(Message::Frame(Frame::message(payload, opcode, last)))
            .await?;
        opcode = OpCode::Data(Data::Continue);
    }
    Ok(())
}

/// A text's bytes in slices of at most [`FRAGMENT_BYTES`], cut between
/// characters (a fragment may legally split one, but a client that decodes
/// fragments as they come is better served whole characters), sharing the
/// text's one allocation.
fn fragments(text: String) -> impl Iterator<Item = Bytes> {
    let cuts = cuts(&text);
    let bytes = Bytes::from(text);
    cuts.into_iter().map(move |(a, b)| bytes.slice(a..b))
}

/// Where [`fragments`] cuts a text: consecutive ranges covering it.
fn cuts(text: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::with_capacity(text.len() / FRAGMENT_BYTES + 1);
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + FRAGMENT_BYTES).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        ranges.push((start, end));
        start = end;
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_cover_the_text_between_characters() {
        // 3-byte characters, so that a plain cut every FRAGMENT_BYTES
        // would fall inside one.
        let text: String = "网格".repeat(FRAGMENT_BYTES / 3);
        let parts: Vec<_> = fragments(text.clone()).collect();
        assert!(parts.len() > 1, "{} parts", parts.len());
        assert!(
            parts
                .iter()
                .all(|p| p.len() <= FRAGMENT_BYTES && !p.is_empty())
        );
        assert!(parts.iter().all(|p| std::str::from_utf8(p).is_ok()));
        assert_eq!(parts.concat(), text.as_bytes());
    }

    #[test]
    fn a_short_text_is_one_fragment() {
        assert_eq!(cuts("hello"), vec![(0, 5)]);
        assert!(cuts("").is_empty());
    }
}
