//! `/ws` on the wire, read frame by frame from a plain TCP socket: the
//! handshake, and a long message (a snapshot) sent in fragments so that the
//! server's per-connection write buffer, which keeps its largest size,
//! stays one fragment long instead of the largest snapshot.

#![allow(clippy::unwrap_used)]

use riskmap_tests as common;

use std::time::Duration;

use common::TestServer;
use riskmap_engine::geojson::{staff_feature, write_collection};
use riskmap_engine::model::{Role, Skill};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The largest frame the server sends (`FRAGMENT_BYTES` in `api/ws/socket.rs`).
const FRAGMENT_BYTES: usize = 64 * 1024;

/// One frame as it came: FIN, opcode, payload.
struct Frame {
    fin: bool,
    opcode: u8,
    payload: Vec<u8>,
}

async fn read_frame(tcp: &mut TcpStream) -> Frame {
    let mut head = [0u8; 2];
    tcp.read_exact(&mut head).await.unwrap();
    assert_eq!(head[1] & 0x80, 0, "a server's frames are not masked");
    let len = match head[1] & 0x7f {
        126 => u64::from(tcp.read_u16().await.unwrap()),
        127 => tcp.read_u64().await.unwrap(),
        n => u64::from(n),
    };
    let mut payload = vec![0; usize::try_from(len).unwrap()];
    tcp.read_exact(&mut payload).await.unwrap();
    Frame {
        fin: head[0] & 0x80 != 0,
        opcode: head[0] & 0x0f,
        payload,
    }
}

/// A client's text frame: masked, as RFC 6455 requires of clients.
async fn send_text(tcp: &mut TcpStream, text: &str) {
    let mask = [0x12u8, 0x34, 0x56, 0x78];
    let mut frame = vec![0x81];
    let len = text.len();
    if len < 126 {
        frame.push(0x80 | u8::try_from(len).unwrap());
    } else {
        frame.push(0x80 | 0x7e); // a 16-bit length follows
        frame.extend(u16::try_from(len).unwrap().to_be_bytes());
    }
    frame.extend(mask);
    frame.extend(text.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    tcp.write_all(&frame).await.unwrap();
}

/// The handshake's answer: status line and headers, lower-cased.
async fn handshake(tcp: &mut TcpStream, token: &str, version: &str) -> String {
    let request = format!(
        "GET /ws?token={token} HTTP/1.1\r\nHost: riskmap\r\nConnection: keep-alive, Upgrade\r\n\
         Upgrade: websocket\r\nSec-WebSocket-Version: {version}\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(tcp.read_u8().await.unwrap());
    }
    String::from_utf8(head).unwrap().to_lowercase()
}

/// A test city with 2,000 more staff in grid 11-1, so that a snapshot of it
/// is several fragments long.
async fn crowded_server() -> TestServer {
    let (args, tmp) = common::test_args().await;
    let mut staff = common::city_staff();
    staff.extend((0..2_000u32).map(|i| {
        let p = (
            120.001 + f64::from(i % 40) * 0.001,
            28.001 + f64::from(i / 40) * 0.0009,
        );
        common::staff(
            &format!("C{i:04}"),
            11,
            1,
            Role::GridWorker,
            &[Skill::Mediation],
            p,
        )
    }));
    write_collection(
        &tmp.path().join("city/staff.geojson"),
        staff.iter().map(staff_feature),
    )
    .unwrap();
    TestServer::start_in(args, tmp).await
}

#[tokio::test]
async fn a_long_message_arrives_in_fragments_that_make_it_whole() {
    let s = crowded_server().await;
    let token = s.login("screen").await;
    let mut tcp = TcpStream::connect(s.server().addr).await.unwrap();
    let head = handshake(&mut tcp, &token, "13").await;
    assert!(head.starts_with("http/1.1 101"), "{head}");
    // RFC 6455's own example key and its answer.
    assert!(
        head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{head}"
    );
    let hello = read_frame(&mut tcp).await;
    assert!(hello.fin && hello.opcode == 1, "hello is one text frame");

    let subscribe =
        json!({ "type": "subscribe", "bbox": [119.9, 27.9, 120.3, 28.2], "layers": ["staff"] });
    send_text(&mut tcp, &subscribe.to_string()).await;
    let mut frames = Vec::new();
    loop {
        let f = tokio::time::timeout(Duration::from_secs(10), read_frame(&mut tcp))
            .await
            .expect("the snapshot in time");
        if f.opcode >= 8 {
            continue; // a ping between messages
        }
        let fin = f.fin;
        frames.push(f);
        if fin {
            break;
        }
    }
    assert!(
        frames.len() > 1,
        "a {} byte snapshot in one frame",
        frames[0].payload.len()
    );
    assert_eq!(frames[0].opcode, 1, "the first fragment says text");
    assert!(
        frames[1..].iter().all(|f| f.opcode == 0),
        "then continuations"
    );
    assert!(
        frames.iter().all(|f| f.payload.len() <= FRAGMENT_BYTES),
        "{:?}",
        frames.iter().map(|f| f.payload.len()).collect::<Vec<_>>()
    );
    let whole: Vec<u8> = frames.into_iter().flat_map(|f| f.payload).collect();
    let snapshot: Value = serde_json::from_slice(&whole).unwrap();
    assert_eq!(snapshot["type"], "snapshot");
    assert!(
        snapshot["staff"].as_array().unwrap().len() > 2_000,
        "{}",
        snapshot["staff"].as_array().unwrap().len()
    );

    // The same snapshot, whole, to a WebSocket library.
    let mut ws = s.ws(&token).await;
    ws.send(&subscribe).await;
    let again = ws.next_json().await;
    assert_eq!(again["type"], "snapshot");
    assert_eq!(again["staff"], snapshot["staff"]);
}

#[tokio::test]
async fn a_request_that_is_no_websocket_upgrade_is_told_why() {
    let s = TestServer::start().await;
    let token = s.login("screen").await;
    let r = s
        .http
        .get(format!("{}/ws?token={token}", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("not a WebSocket upgrade request"),
        "{body}"
    );

    let mut tcp = TcpStream::connect(s.server().addr).await.unwrap();
    let head = handshake(&mut tcp, &token, "8").await;
    assert!(head.starts_with("http/1.1 400"), "{head}");
    let mut rest = vec![0; 4096];
    let n = tcp.read(&mut rest).await.unwrap();
    let rest = String::from_utf8_lossy(&rest[..n]);
    assert!(rest.contains("Sec-WebSocket-Version must be 13"), "{rest}");
}
