//! Slow and idle clients against the real `riskmap` binary, measured by the
//! server process's own resident memory:
//!
//! - 5,000 idle WebSocket connections are held (and answer), at a reported
//!   cost per connection;
//! - a viewer that stops reading for 60 s while thousands of staff move
//!   keeps the server's memory within its bound (its queue, not the backlog)
//!   and, reading again, is brought up to date with a fresh snapshot.
//!
//! The figures go to docs/RELIABILITY.md.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use riskmap_tests as common;

use std::time::{Duration, Instant};

use common::{DEMO_PASSWORD, ServerProcess};
use futures_util::{SinkExt, StreamExt};
use riskmap_engine::geojson::{staff_feature, write_collection};
use riskmap_engine::model::{Role, Skill};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(base: &str, token: &str) -> Socket {
    let url = format!("{}/ws?token={token}", base.replace("http://", "ws://"));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    // hello
    let first = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .unwrap();
    assert!(matches!(first, Some(Ok(Message::Text(_)))));
    ws
}

async fn next_text(ws: &mut Socket, within: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                return Some(serde_json::from_str(t.as_str()).unwrap());
            }
            Ok(Some(Ok(_))) => {}
            _ => return None,
        }
    }
}

#[tokio::test]
async fn five_thousand_idle_connections_are_held() {
    let tmp = tempfile::tempdir().unwrap();
    common::write_city(&tmp.path().join("city"));
    let mut args = common::process_args(tmp.path(), None);
    // One login holds them all: above the per-user cap's default.
    args.extend([
        "--requests-per-second".into(),
        "0".into(),
        "--max-ws-per-user".into(),
        "10000".into(),
    ]);
    let server = ServerProcess::spawn(&args, &tmp.path().join("server.log"));
    let token = common::login_at(&server.base, "screen", DEMO_PASSWORD).await;
    let _warm = connect(&server.base, &token).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = server.rss_kib();
    let n = 5_000;
    let mut conns = Vec::with_capacity(n);
    for chunk in 0..n / 250 {
        let batch =
            futures_util::future::join_all((0..250).map(|_| connect(&server.base, &token))).await;
        conns.extend(batch);
        assert_eq!(conns.len(), (chunk + 1) * 250);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server.rss_kib();
    let per = (after.saturating_sub(before)) as f64 * 1024.0 / n as f64;
    // Every one of them still answers.
    for ws in conns.iter_mut().step_by(97) {
        ws.send(Message::Text(r#"{"type":"ping","id":7}"#.into()))
            .await
            .unwrap();
        let pong = next_text(ws, Duration::from_secs(10)).await.unwrap();
        assert_eq!(pong["type"], "pong");
    }
    let metrics = common::metrics_at(&server.base).await;
    assert!(
        metrics.contains(&format!("riskmap_ws_connections {}", n + 1)),
        "{metrics}"
    );
    eprintln!(
        "idle WebSocket connections: {n} held; server RSS {before} KiB → {after} KiB, {per:.0} bytes per connection"
    );
    assert!(per < 64.0 * 1024.0, "{per} bytes per idle connection");
}

#[tokio::test]
async fn a_viewer_that_stops_reading_recovers_with_a_snapshot() {
    let pause = Duration::from_secs(
        std::env::var("RISKMAP_SLOW_VIEWER_PAUSE_S")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60),
    );
    let tmp = tempfile::tempdir().unwrap();
    let city = tmp.path().join("city");
    common::write_city(&city);
    // 4,000 staff over the four grids of the test city.
    let staff: Vec<_> = (0..4_000u32)
        .map(|i| {
            let (d, n) = ([11u8, 12][(i % 2) as usize], 1 + (i / 2 % 2) as u8);
            let x0 = if d == 11 { 120.0 } else { 120.1 } + f64::from(n - 1) * 0.05;
            let p = (
                x0 + 0.001 + f64::from(i % 40) * 0.001,
                28.001 + f64::from(i / 40) * 0.0009,
            );
            common::staff(
                &format!("T{i:04}"),
                d,
                n,
                Role::GridWorker,
                &[Skill::Mediation],
                p,
            )
        })
        .collect();
    write_collection(&city.join("staff.geojson"), staff.iter().map(staff_feature)).unwrap();
    let mut args = common::process_args(tmp.path(), None);
    args.extend([
        "--requests-per-second".into(),
        "0".into(),
        "--viewer-queue".into(),
        "16".into(),
    ]);
    let server = ServerProcess::spawn(&args, &tmp.path().join("server.log"));
    let admin_base = server.base.clone();
    let disp = common::login_at(&server.base, "dispatcher", DEMO_PASSWORD).await;
    let screen = common::login_at(&server.base, "screen", DEMO_PASSWORD).await;

    // A phone on a poor link: a small receive window, as its TCP stack
    // would advertise.
    let mut viewer = {
        let addr: std::net::SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(16 * 1024).unwrap();
        let tcp = socket.connect(addr).await.unwrap();
        let url = format!("ws://{addr}/ws?token={screen}");
        let (mut ws, _) =
            tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(tcp))
                .await
                .unwrap();
        next_text(&mut ws, Duration::from_secs(10)).await.unwrap(); // hello
        ws
    };
    viewer
        .send(Message::Text(
            json!({ "type": "subscribe", "bbox": [119.9, 27.9, 120.3, 28.2], "layers": ["staff"] })
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let snap = next_text(&mut viewer, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(snap["type"], "snapshot");
    assert_eq!(snap["staff"].as_array().unwrap().len(), 4_000);

    // Everyone moves, four times a second, for the whole pause.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mover = {
        let (stop, base, token) = (stop.clone(), admin_base.clone(), disp.clone());
        let staff: Vec<(String, f64, f64)> = staff
            .iter()
            .map(|s| {
                let p = s.last_fix.unwrap().position;
                (s.id.clone(), p.lon, p.lat)
            })
            .collect();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut t = common::fixes_from_ms();
            let mut round = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                t += 250;
                round += 1;
                let wiggle = f64::from(round % 10) * 0.00001;
                let fixes: Vec<Value> = staff
                    .iter()
                    .map(|(id, lon, lat)| json!({ "staff_id": id, "lon": lon + wiggle, "lat": lat, "t": t }))
                    .collect();
                let _ = http
                    .post(format!("{base}/api/fixes"))
                    .bearer_auth(&token)
                    .json(&json!({ "fixes": fixes }))
                    .send()
                    .await;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    // The viewer reads nothing for the pause; the server's memory is sampled.
    let before = server.rss_kib();
    let mut peak = before;
    let started = Instant::now();
    while started.elapsed() < pause {
        tokio::time::sleep(Duration::from_secs(1)).await;
        peak = peak.max(server.rss_kib());
    }
    let metrics = common::metrics_at(&server.base).await;
    let counter = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    let drops = counter("riskmap_queue_drops_total");
    assert!(drops > 0, "the viewer fell behind: {metrics}");
    // Reading again: the backlog in the socket drains, then a snapshot
    // brings the viewer up to date.
    let resumed = Instant::now();
    let mut got_snapshot = None;
    while resumed.elapsed() < Duration::from_secs(30) {
        let Some(m) = next_text(&mut viewer, Duration::from_secs(10)).await else {
            break;
        };
        if m["type"] == "snapshot" {
            got_snapshot = Some(m);
            break;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    mover.await.unwrap();
    let snap = got_snapshot.expect("a resync snapshot after reading again");
    assert_eq!(snap["staff"].as_array().unwrap().len(), 4_000);
    let growth = peak.saturating_sub(before);
    eprintln!(
        "slow viewer: paused {pause:?} while 4,000 staff moved four times a second; server RSS {before} KiB, \
         peak {peak} KiB (+{growth} KiB); {drops} queue drops; resync snapshot {:?} after reading again",
        resumed.elapsed()
    );
    assert!(
        growth < 200 * 1024,
        "memory grew by {growth} KiB while a viewer was not reading"
    );
}
