//! A `/ws` client of a test server: JSON messages sent and read, with
//! timeouts.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

/// A `/ws` connection to a server at `base` (`http://…`), past its hello.
pub async fn ws_at(base: &str, token: &str) -> Ws {
    let url = format!("{}/ws?token={token}", base.replacen("http", "ws", 1));
    let (stream, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut ws = Ws { stream };
    assert_eq!(ws.next_json().await["type"], "hello");
    ws
}

pub struct Ws {
    pub stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Ws {
    pub async fn send(&mut self, v: &Value) {
        self.stream
            .send(Message::Text(v.to_string().into()))
            .await
            .unwrap();
    }

    /// The next text message as JSON (5 s at most).
    pub async fn next_json(&mut self) -> Value {
        self.next_json_within(Duration::from_secs(5)).await
    }

    /// The next text message as JSON, waiting at most `within`.
    pub async fn next_json_within(&mut self, within: Duration) -> Value {
        loop {
            let msg = tokio::time::timeout(within, self.stream.next())
                .await
                .expect("a message in time")
                .expect("the connection is open")
                .unwrap();
            match msg {
                Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                Message::Close(c) => panic!("closed: {c:?}"),
                _ => {}
            }
        }
    }

    /// The close frame that ends the connection, skipping other messages
    /// (5 s at most).
    pub async fn next_close(&mut self) -> tokio_tungstenite::tungstenite::protocol::CloseFrame {
        loop {
            match tokio::time::timeout(Duration::from_secs(5), self.stream.next())
                .await
                .expect("a message within 5 s")
            {
                Some(Ok(Message::Close(c))) => return c.expect("a close frame with a code"),
                Some(Ok(_)) => {}
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }

    /// The next message of a type, skipping others (5 s at most).
    pub async fn next_of(&mut self, kind: &str) -> Value {
        self.next_of_within(kind, Duration::from_secs(5)).await
    }

    /// Every text message that arrives within `d`, as JSON (for what must
    /// not arrive).
    pub async fn collect_for(&mut self, d: Duration) -> Vec<Value> {
        let until = tokio::time::Instant::now() + d;
        let mut out = Vec::new();
        while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(until, self.stream.next()).await {
            if let Message::Text(t) = msg {
                out.push(serde_json::from_str(t.as_str()).unwrap());
            }
        }
        out
    }

    /// The next message of a type, each message within `within`.
    pub async fn next_of_within(&mut self, kind: &str, within: Duration) -> Value {
        loop {
            let v = self.next_json_within(within).await;
            if v["type"] == kind {
                return v;
            }
        }
    }
}
