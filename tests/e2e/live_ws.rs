//! The live map's WebSocket end to end: a snapshot then deltas, resubscribing,
//! scoped and area subscriptions (分级授权, also across an areas import),
//! fixes from field logins, and what the socket refuses (bad tokens, big
//! messages, floods). SQLite, or PostGIS with `RISKMAP_TEST_DATABASE_URL`.
#![allow(clippy::unwrap_used)]

use riskmap_tests as common;

use std::time::Duration;

use common::TestServer;
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn websocket_snapshot_then_deltas_and_resubscribe() {
    let s = TestServer::start().await;
    let t = s.login("screen").await;
    let mut ws = s.ws(&t).await;
    ws.send(&json!({ "type": "subscribe", "bbox": [120.0, 28.0, 120.1, 28.1], "layers": ["staff", "cameras"] })).await;
    let snap = ws.next_of("snapshot").await;
    let ids: Vec<&str> = snap["staff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(ids.contains(&"S1") && !ids.contains(&"S4"));
    assert_eq!(snap["cameras"].as_array().unwrap().len(), 1);

    // A fix from a phone reaches the viewer as a delta.
    let sent = std::time::Instant::now();
    let r = s
        .http
        .get(format!(
            "{}/osmand?id=dev-S1&lat=28.055&lon=120.025&timestamp=1767225800",
            s.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let moves = ws.next_of("staff_moves").await;
    assert!(sent.elapsed() < Duration::from_secs(1));
    assert_eq!(moves["moves"][0]["id"], "S1");
    assert_eq!(moves["moves"][0]["lat"], 28.055);

    // Pan east without reconnecting: a new snapshot, and moves in the old
    // view no longer arrive.
    ws.send(
        &json!({ "type": "subscribe", "bbox": [120.1, 28.0, 120.2, 28.1], "layers": ["staff"] }),
    )
    .await;
    let snap = ws.next_of("snapshot").await;
    let ids: Vec<&str> = snap["staff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["S4", "S5"]);
    s.http
        .get(format!(
            "{}/osmand?id=dev-S4&lat=28.051&lon=120.111&timestamp=1767225800",
            s.base
        ))
        .send()
        .await
        .unwrap();
    let moves = ws.next_of("staff_moves").await;
    assert_eq!(moves["moves"].as_array().unwrap().len(), 1);
    assert_eq!(moves["moves"][0]["id"], "S4");

    // Queries over the socket.
    ws.send(&json!({ "type": "query", "id": 9, "query": "nearest", "params": { "lon": 120.11, "lat": 28.05, "k": 1 } })).await;
    let r = ws.next_of("result").await;
    assert_eq!(r["id"], 9);
    assert_eq!(r["data"]["candidates"][0]["id"], "S4");
    // A heat map (answered on a blocking thread), and a bad one's error.
    ws.send(&json!({ "type": "query", "id": 10, "query": "heatmap", "params": { "bbox": "120,28,120.2,28.1", "res": 7 } })).await;
    let r = ws.next_of("result").await;
    assert_eq!(r["id"], 10);
    assert!(!r["data"]["cells"].as_array().unwrap().is_empty(), "{r}");
    ws.send(
        &json!({ "type": "query", "id": 11, "query": "heatmap", "params": { "bbox": "1,2,3" } }),
    )
    .await;
    let e = ws.next_of("error").await;
    assert_eq!(
        (e["id"].as_i64(), e["error"].as_str()),
        (Some(11), Some("bad_request")),
        "{e}"
    );

    // Bad messages get an error, and the connection lives on.
    ws.send(&json!({ "type": "launch_missiles" })).await;
    assert_eq!(ws.next_of("error").await["error"], "bad_request");
    ws.stream.send(Message::Text("{".into())).await.unwrap();
    assert_eq!(ws.next_of("error").await["error"], "bad_request");
    ws.send(&json!({ "type": "subscribe", "bbox": [120.0, 95.0, 120.1, 28.1] }))
        .await;
    assert_eq!(ws.next_of("error").await["error"], "bad_request");
    ws.send(
        &json!({ "type": "subscribe", "bbox": [120.0, 28.0, 120.1, 28.1], "layers": ["nope"] }),
    )
    .await;
    assert!(
        ws.next_of("error").await["message"]
            .as_str()
            .unwrap()
            .contains("nope")
    );
    ws.send(&json!({ "type": "ping", "id": 1 })).await;
    assert_eq!(ws.next_of("pong").await["id"], 1);
}

#[tokio::test]
async fn websocket_scope_area_subscriptions_and_field_fixes() {
    let s = TestServer::start().await;
    // A district commander subscribing city-wide sees their district only.
    let d = s.login("district").await;
    let mut ws = s.ws(&d).await;
    ws.send(&json!({ "type": "subscribe", "bbox": [120.0, 28.0, 120.2, 28.1] }))
        .await;
    let snap = ws.next_of("snapshot").await;
    assert_eq!(snap["staff"].as_array().unwrap().len(), 3);
    ws.send(&json!({ "type": "subscribe", "area": "12" })).await;
    assert_eq!(
        ws.next_of("error").await["error"],
        "not_found",
        "another district is not theirs"
    );

    // A viewer subscribed by area gets that area's snapshot.
    let screen = s.login("screen").await;
    let mut v = s.ws(&screen).await;
    v.send(&json!({ "type": "subscribe", "area": "12" })).await;
    let snap = v.next_of("snapshot").await;
    assert_eq!(snap["staff"].as_array().unwrap().len(), 2);

    // A field client shares its position over /ws; the ack comes after the commit.
    let field = s.login("field").await;
    let mut f = s.ws(&field).await;
    f.send(&json!({ "type": "fix", "id": "a1", "lon": 120.022, "lat": 28.052, "t": 1_767_225_900_000_i64, "accuracy": 4 })).await;
    let ack = f.next_of("ack").await;
    assert_eq!(ack["id"], "a1");
    assert_eq!(ack["applied"], 1);
    let moves = ws.next_of("staff_moves").await;
    assert_eq!(moves["moves"][0]["id"], "S1");
    f.send(&json!({ "type": "fix", "staff_id": "S4", "lon": 120.11, "lat": 28.05 }))
        .await;
    assert_eq!(f.next_of("error").await["error"], "forbidden");
}

#[tokio::test]
async fn websocket_refuses_bad_tokens_big_messages_and_floods() {
    let s = TestServer::start().await;
    let err = tokio_tungstenite::connect_async(format!("{}/ws?token=nope", s.ws_base))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");

    let t = s.login("screen").await;
    let mut ws = s.ws(&t).await;
    let big = format!(
        "{{\"type\":\"ping\",\"pad\":\"{}\"}}",
        "x".repeat(1024 * 1024 + 10)
    );
    ws.stream.send(Message::Text(big.into())).await.unwrap();
    let close = ws.next_close().await;
    assert_eq!(u16::from(close.code), 1009);
    assert!(close.reason.contains("too big"), "{}", close.reason);

    let mut ws = s.ws(&t).await;
    for i in 0..2_000 {
        if ws
            .stream
            .send(Message::Text(
                json!({ "type": "ping", "id": i }).to_string().into(),
            ))
            .await
            .is_err()
        {
            break;
        }
    }
    let reason = ws.next_close().await.reason.to_string();
    assert!(reason.contains("rate limit"), "{reason}");
}

/// A snapshot may wait for its turn (one per core at a time) after its
/// scope was read. An areas import in between renumbers the areas: built
/// with the scope as read, the east district's snapshot would hold the
/// members of the district its index names now (分级授权).
#[tokio::test]
async fn a_snapshot_waiting_for_its_turn_across_an_areas_import_holds_only_its_own_area() {
    let s = TestServer::start().await;
    common::incidents::add_user(
        &s,
        "east",
        riskmap::identity::UserRole::Dispatcher,
        "12",
        None,
    )
    .await;
    let east = s.login("east").await;
    let app = &s.server().app;
    let mut ws = s.ws(&east).await;
    // Every turn taken: the subscription is resolved, then waits.
    let turns = common::locks::every_turn(&app.snapshots).await;
    ws.send(
        &json!({ "type": "subscribe", "bbox": [120.0, 28.0, 120.2, 28.1], "layers": ["staff"] }),
    )
    .await;
    common::channels::until(
        "the subscription resolved",
        Duration::from_secs(5),
        || async { !app.hub.subscribers(riskmap_wire::Layers::STAFF).is_empty() },
    )
    .await;
    common::swap_districts(&s);
    drop(turns);
    let snap = ws.next_of("snapshot").await;
    let mut ids: Vec<&str> = snap["staff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["S4", "S5"], "the east district's own: {snap}");
}
