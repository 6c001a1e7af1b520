//! WebSocket helpers shared by the ingest loops: connect with a token and
//! read the `hello`, log in over HTTP.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A client WebSocket.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Logs in; the bearer token.
pub async fn login(base: &str, username: &str, password: &str) -> Result<String, String> {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/auth/login"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .map_err(|e| format!("logging in as {username} at {base}: {e}"))?;
    let status = r.status();
    let body: Value = r
        .json()
        .await
        .map_err(|e| format!("logging in as {username}: unreadable answer: {e}"))?;
    body["token"]
        .as_str()
        .map(ToOwned::to_owned)
        .ok_or_else(|| format!("logging in as {username}: {status} {body}"))
}

/// Opens `/ws` with a token and waits for `hello`.
pub async fn connect(base: &str, token: &str) -> Result<Socket, String> {
    let url = format!("{}/ws?token={token}", base.replacen("http://", "ws://", 1));
    // No message limit: a city-wide viewer's snapshot of a million staff is
    // far larger than tungstenite's default.
    let config = WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .map_err(|e| format!("connecting to {base}/ws: {e}"))?;
    match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
        Ok(Some(Ok(Message::Text(t)))) if t.as_str().contains("\"hello\"") => Ok(ws),
        Ok(other) => Err(format!("expected hello from {base}/ws, got {other:?}")),
        Err(_) => Err(format!("no hello from {base}/ws within 30 s")),
    }
}

/// The server's Prometheus text ("" if unreachable: the figures that come
/// from it are then zero, and the rest of the report still stands).
pub async fn metrics(base: &str) -> String {
    match reqwest::get(format!("{base}/metrics")).await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}
