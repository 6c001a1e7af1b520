//! riskmap nodes over PostGIS and NATS JetStream, on loopback: the real
//! `riskmap` binary three times (and a fourth that joins late), Debian's
//! nats-server with JetStream on file storage, one PostGIS database. Run
//! when `RISKMAP_TEST_DATABASE_URL` is set (scripts/test.sh runs them
//! beside a throwaway PostGIS).

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use riskmap_tests as common;
use serde_json::json;
use sqlx::{Connection, Row};

use common::cluster::{eventually, get, metric};
use common::load::{Acked, assert_nothing_lost, start_load};
use common::nodes::{Cluster, assert_converged, fix, login, post};
use riskmap_engine::tile::TileId;
use riskmap_engine::tile::mvt::{DecodedValue, decode};

/// The cameras' ids in a node's tile.
async fn camera_ids(base: &str, token: &str, path: &str) -> Vec<String> {
    let r = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    decode(&r.bytes().await.unwrap())
        .unwrap()
        .iter()
        .flat_map(|l| &l.features)
        .filter_map(|f| match f.get("id") {
            Some(DecodedValue::Str(id)) => Some(id.clone()),
            _ => None,
        })
        .collect()
}

/// A fix sent to node A reaches a viewer of node C; an incident reported
/// on B and acted on at C is seen on every node; a layer imported on A is
/// served by C, in its tiles too; a token from one node works on another
/// (sessions live in the shared store); and every node ends equal to
/// PostGIS.
#[tokio::test]
async fn three_nodes_share_every_change() {
    let Some(c) = Cluster::start(3).await else {
        return;
    };
    let (a, b, cc) = (c.base(0), c.base(1), c.base(2));
    let token = login(&a).await;
    // One login, every node: the session is in the shared store.
    let me = get(&cc, &token, "/api/me").await;
    assert_eq!(me["user"]["username"], "dispatcher", "{me}");

    let mut viewer = common::ws_at(&cc, &token).await;
    viewer
        .send(&json!({ "type": "subscribe", "bbox": [119.9, 27.9, 120.3, 28.2], "layers": ["staff", "incidents", "alerts"] }))
        .await;
    viewer.next_of("snapshot").await;
    let t = common::fixes_from_ms();
    let sent = Instant::now();
    let ack = post(
        &a,
        &token,
        "/api/fixes",
        &json!({ "fixes": [fix("S1", 120.025, t)] }),
    )
    .await;
    assert!(ack.is_some(), "node A took the fix");
    loop {
        let m = viewer
            .next_of_within("staff_moves", Duration::from_secs(10))
            .await;
        let moved = m["moves"]
            .as_array()
            .unwrap()
            .iter()
            .any(|mv| mv["id"] == "S1" && mv["t"] == t);
        if moved {
            break;
        }
    }
    eprintln!("fix on A → viewer of C: {:?}", sent.elapsed());

    // An incident reported on B, accepted on C, seen everywhere.
    let inc = post(
        &b,
        &token,
        "/api/incidents",
        &json!({ "category": "0201", "lon": 120.02, "lat": 28.05, "description": "cluster" }),
    )
    .await
    .expect("node B took the report");
    let id = inc["id"].as_str().unwrap().to_owned();
    let seen = viewer
        .next_of_within("incident", Duration::from_secs(10))
        .await;
    assert_eq!(
        seen["incident"]["id"],
        id.as_str(),
        "C's viewer is told of B's report"
    );
    let path = format!("/api/incidents/{id}");
    for base in [&a, &cc] {
        let v = eventually(
            Duration::from_secs(10),
            || get(base, &token, &path),
            |v| v["version"] == 1,
        )
        .await;
        assert_eq!(v["version"], 1, "{base}: {v}");
    }
    let accepted = post(
        &cc,
        &token,
        &format!("/api/incidents/{id}/actions"),
        &json!({ "action": "accept" }),
    )
    .await;
    assert_eq!(accepted.expect("C accepts")["version"], 2);
    for base in [&a, &b] {
        let v = eventually(
            Duration::from_secs(10),
            || get(base, &token, &path),
            |v| v["version"] == 2,
        )
        .await;
        assert_eq!(v["state"], "accepted", "{base}: {v}");
    }

    // A check-out on B (a DutyChanged event) reaches A and C.
    let out = post(&b, &token, "/api/staff/S3/duty", &json!({ "duty": "off" })).await;
    assert_eq!(out.expect("B checks S3 out")["duty"], "off");
    for base in [&a, &cc] {
        let v = eventually(
            Duration::from_secs(10),
            || get(base, &token, "/api/staff/S3"),
            |v| v["duty"] == "off",
        )
        .await;
        assert_eq!(v["duty"], "off", "{base}: {v}");
    }

    // An SOS raised on B (an AlertChanged event) reaches C's viewer; A
    // acknowledges it, C closes it, and S2 is available again everywhere.
    let raised = post(&b, &token, "/api/staff/S2/sos", &json!({ "note": "集群" }))
        .await
        .expect("B raises S2's SOS");
    let sos = raised["alert"]["id"].as_str().unwrap().to_owned();
    loop {
        let m = viewer
            .next_of_within("alert", Duration::from_secs(10))
            .await;
        if m["kind"] == "sos" && m["alert"]["id"] == sos.as_str() {
            break;
        }
    }
    let path = format!("/api/alerts/{sos}");
    let on_a = eventually(
        Duration::from_secs(10),
        || get(&a, &token, &path),
        |v| v["alert"]["state"] == "open",
    )
    .await;
    assert_eq!(on_a["alert"]["staff_id"], "S2", "{on_a}");
    let acked = post(&a, &token, &format!("{path}/ack"), &json!({})).await;
    assert_eq!(acked.expect("A takes it")["alert"]["state"], "acknowledged");
    eventually(
        Duration::from_secs(10),
        || get(&cc, &token, &path),
        |v| v["alert"]["state"] == "acknowledged",
    )
    .await;
    let closed = post(&cc, &token, &format!("{path}/close"), &json!({})).await;
    assert_eq!(closed.expect("C closes it")["alert"]["state"], "closed");
    for base in [&a, &b, &cc] {
        let v = eventually(
            Duration::from_secs(10),
            || get(base, &token, "/api/staff/S2"),
            |v| v["duty"] == "available",
        )
        .await;
        assert_eq!(v["duty"], "available", "{base}: {v}");
    }

    // A layer imported on A is read by the others from the store, and
    // their tiles follow: C cuts (and keeps) its camera tile there first.
    let tile = TileId::containing(120.05, 28.05, 16);
    let tile = format!("/tiles/cameras/{}/{}/{}.mvt", tile.z, tile.x, tile.y);
    assert!(
        !camera_ids(&cc, &token, &tile)
            .await
            .contains(&"CAM-CLUSTER".to_owned())
    );
    let admin = common::login_at(&a, "admin", common::PROCESS_ADMIN_PASSWORD).await;
    let camera = json!({ "type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": { "type": "Point", "coordinates": [120.05, 28.05] },
        "properties": { "id": "CAM-CLUSTER", "name": "集群测试", "fov_deg": 90, "range_m": 80, "bearing_deg": 0 } }] });
    let r = reqwest::Client::new()
        .post(format!("{a}/ogc/collections/cameras/items?mode=merge"))
        .bearer_auth(&admin)
        .header("content-type", "application/geo+json")
        .body(camera.to_string())
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "import on A: {}",
        r.text().await.unwrap()
    );
    let got = eventually(
        Duration::from_secs(10),
        || get(&cc, &token, "/ogc/collections/cameras/items/CAM-CLUSTER"),
        |v| v["id"] == "CAM-CLUSTER",
    )
    .await;
    assert_eq!(got["id"], "CAM-CLUSTER", "C serves A's import: {got}");
    let ids = camera_ids(&cc, &token, &tile).await;
    assert!(ids.contains(&"CAM-CLUSTER".to_owned()), "C's tile: {ids:?}");

    // Sessions end on every node: a logout on A closes the session's
    // socket on C; a login disabled on B has its socket on C closed.
    let other = login(&a).await;
    let mut on_c = common::ws_at(&cc, &other).await;
    assert!(
        post(&a, &other, "/api/auth/logout", &json!({}))
            .await
            .is_some()
    );
    let close = on_c.next_close().await;
    assert_eq!(close.reason.as_str(), "logged out: the session ended");
    let admin_b = common::login_at(&b, "admin", common::PROCESS_ADMIN_PASSWORD).await;
    let made = post(&b, &admin_b, "/api/users", &json!({ "username": "temp7", "role": "dispatcher", "area": "11", "password": "A-long-password-1" })).await;
    assert!(made.is_some(), "B creates a login");
    // Its owner chooses a password on A; the session it gets works on C.
    let first = common::login_at(&a, "temp7", "A-long-password-1").await;
    let changed = post(
        &a,
        &first,
        "/api/auth/password",
        &json!({ "current_password": "A-long-password-1", "new_password": "Own-Choice-2026" }),
    )
    .await
    .expect("the owner changes the password on A");
    let temp = changed["token"].as_str().unwrap().to_owned();
    assert_eq!(get(&cc, &first, "/api/me").await["error"], "unauthorized");
    let mut on_c = common::ws_at(&cc, &temp).await;
    let r = reqwest::Client::new()
        .patch(format!("{b}/api/users/temp7"))
        .bearer_auth(&admin_b)
        .json(&json!({ "disabled": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let close = on_c.next_close().await;
    assert_eq!(close.reason.as_str(), "the login was disabled");
    assert_eq!(get(&cc, &temp, "/api/me").await["error"], "unauthorized");

    let tokens = vec![token.clone(), token.clone(), token.clone()];
    assert_converged(&c, &[a.clone(), b, cc], &tokens).await;
    let applied = metric(&a, "riskmap_cluster_applied_total").await.unwrap();
    assert!(applied >= 2.0, "A applied B's and C's records: {applied}");
}

/// `kill -9` of a node under load loses no acknowledged write; its clients
/// carry on at another node; the survivors, and a fourth node started
/// afterwards (which loads from PostGIS and replays the log), converge
/// with the store.
#[tokio::test]
async fn a_killed_node_loses_nothing_and_a_new_node_catches_up() {
    let Some(mut c) = Cluster::start(3).await else {
        return;
    };
    let token = login(&c.base(0)).await;
    let acked = Arc::new(Mutex::new(Acked::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers = start_load(
        vec![c.base(1), c.base(0), c.base(2)],
        token.clone(),
        &acked,
        &stop,
    );
    let start = Instant::now();
    while acked.lock().incidents.len() < 30 && start.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before_kill = acked.lock().incidents.len();
    c.kill(1); // SIGKILL, requests in flight
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after_kill = acked.lock().incidents.len();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    assert!(before_kill >= 30, "the load never built up: {before_kill}");
    assert!(
        after_kill > before_kill,
        "the clients carried on at the other nodes"
    );
    let acked = std::mem::take(&mut *acked.lock());
    eprintln!(
        "kill -9 under load: {} incidents ({} before the kill), {} fixes acknowledged",
        acked.incidents.len(),
        before_kill,
        acked.fixes.len()
    );
    assert_nothing_lost(&c.database_url, &acked).await;

    let late = c.add_node().await;
    let bases = vec![c.base(0), c.base(2), late];
    assert_converged(&c, &bases, &vec![token; 3]).await;
    let _ = c.log_of("n2");
}

/// Restarting nats-server under load loses nothing: writes keep being
/// acknowledged (they are in the store and the outbox), and once NATS is
/// back every record reaches the other node (published by its node, or by
/// the sweeper), so both converge with the store.
#[tokio::test]
async fn restarting_nats_under_load_loses_nothing() {
    let Some(mut c) = Cluster::start(2).await else {
        return;
    };
    let token = login(&c.base(0)).await;
    let acked = Arc::new(Mutex::new(Acked::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers = start_load(vec![c.base(0)], token.clone(), &acked, &stop);
    tokio::time::sleep(Duration::from_secs(2)).await;
    c.nats.restart(Duration::from_secs(2));
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock());
    assert!(acked.incidents.len() >= 5, "the load never built up");
    eprintln!(
        "nats-server restarted under load: {} incidents, {} fixes acknowledged; swept {:?}",
        acked.incidents.len(),
        acked.fixes.len(),
        (
            metric(&c.base(0), "riskmap_cluster_swept_total").await,
            metric(&c.base(1), "riskmap_cluster_swept_total").await
        )
    );
    assert_nothing_lost(&c.database_url, &acked).await;
    let bases = vec![c.base(0), c.base(1)];
    assert_converged(&c, &bases, &vec![token; 2]).await;
}

/// The lease of the once-only jobs is held by one node; when its holder
/// dies (SIGKILL) another takes it within seconds; and no job slot ever
/// ran on two nodes (every run is claimed per job and slot first).
#[tokio::test]
async fn the_lease_moves_when_its_holder_dies() {
    let Some(mut c) = Cluster::start(3).await else {
        return;
    };
    let holders = |c: &Cluster| {
        let bases: Vec<(usize, String)> = (0..c.nodes.len())
            .filter(|i| c.nodes[*i].is_some())
            .map(|i| (i, c.base(i)))
            .collect();
        async move {
            let mut held = Vec::new();
            for (i, b) in bases {
                if metric(&b, "riskmap_cluster_lease_holder").await == Some(1.0) {
                    held.push(i);
                }
            }
            held
        }
    };
    let start = Instant::now();
    let mut held = holders(&c).await;
    while held.len() != 1 && start.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        held = holders(&c).await;
    }
    assert_eq!(held.len(), 1, "exactly one holder: {held:?}");
    let first = held[0];
    c.kill(first);
    let killed_at = Instant::now();
    let mut next = Vec::new();
    while killed_at.elapsed() < Duration::from_secs(15) {
        next = holders(&c).await;
        if next.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(next.len(), 1, "one new holder within seconds: {next:?}");
    assert_ne!(next[0], first);
    eprintln!("lease moved in {:?}", killed_at.elapsed());
    tokio::time::sleep(Duration::from_secs(2)).await;

    let mut db = sqlx::PgConnection::connect(&c.database_url).await.unwrap();
    let runs =
        sqlx::query("SELECT slot, node FROM job_runs WHERE job = 'outbox sweep' ORDER BY slot")
            .fetch_all(&mut db)
            .await
            .unwrap();
    let nodes: Vec<String> = runs.iter().map(|r| r.get("node")).collect();
    let first_name = format!("n{}", first + 1);
    let second_name = format!("n{}", next[0] + 1);
    assert!(
        nodes.contains(&first_name) && nodes.contains(&second_name),
        "runs by both holders: {nodes:?}"
    );
    // After the first run of the new holder, the dead one ran nothing.
    let took_over = nodes.iter().position(|n| *n == second_name).unwrap();
    assert!(
        nodes[took_over..].iter().all(|n| *n == second_name),
        "{nodes:?}"
    );
}

/// 一网归集 on a cluster: the same ticket pushed to both nodes at once is
/// one incident; a photo uploaded through one node is served by the other
/// (photos live in the store, not a node's folder); a citizen's rating
/// given on one node is read on the other; and every change is called back
/// exactly once although both nodes send call-backs.
#[tokio::test]
async fn intake_is_one_across_nodes() {
    use common::channels::{Receiver, bytes_at, png, push_signed, until, upload_at};

    let Some(c) = Cluster::start(2).await else {
        return;
    };
    let (a, b) = (c.base(0), c.base(1));
    let admin = common::login_at(&a, "admin", common::PROCESS_ADMIN_PASSWORD).await;
    let disp_b = login(&b).await;
    let secret = Arc::new(Mutex::new(String::new()));
    let rx = Receiver::start(secret.clone()).await;
    let saved = post(
        &a,
        &admin,
        "/api/intake/sources",
        &json!({ "name": "hotline", "title": "12345", "kind": "hotline",
                 "categories": { "A": "0201" }, "callback_url": rx.url }),
    )
    .await
    .unwrap();
    let key = saved["secret"].as_str().unwrap().to_owned();
    secret.lock().clone_from(&key);

    // The same ticket to both nodes at once.
    let ticket = json!({ "ticket": "T-C1", "category": "A", "lon": 120.021, "lat": 28.051 });
    let ts = riskmap::clock::now_ms() / 1000;
    let (ra, rb) = tokio::join!(
        push_signed(&a, "hotline", &key, ts, &ticket),
        push_signed(&b, "hotline", &key, ts, &ticket)
    );
    assert!(ra.0 < 300 && rb.0 < 300, "{ra:?} {rb:?}");
    assert_eq!(
        ra.1["incident"], rb.1["incident"],
        "one incident: {ra:?} {rb:?}"
    );
    assert_eq!(
        [ra.1["duplicate"].as_bool(), rb.1["duplicate"].as_bool()]
            .iter()
            .filter(|d| **d == Some(true))
            .count(),
        1,
        "one made it, the other was told it was known: {ra:?} {rb:?}"
    );
    let id = ra.1["incident"].as_str().unwrap().to_owned();

    // A photo through node a, served by node b once the incident carries it.
    let disp_a = login(&a).await;
    let (status, photo) = upload_at(&a, Some(&disp_a), "/api/attachments", png(64, 48)).await;
    assert_eq!(status, 201, "{photo}");
    let photo = photo["id"].as_str().unwrap().to_owned();
    post(
        &a,
        &disp_a,
        &format!("/api/incidents/{id}/actions"),
        &json!({ "action": "accept", "photos": [photo] }),
    )
    .await
    .unwrap();
    let (status, thumb) = bytes_at(
        &b,
        Some(&disp_b),
        &format!("/api/attachments/{photo}/thumb"),
    )
    .await;
    assert_eq!((status, &thumb[..2]), (200, &[0xFF, 0xD8][..]));

    // Node b moves it on once the accept has reached it through the log
    // (acting on an older copy is refused, as it should be); node a's view
    // follows through the log.
    let path = format!("/api/incidents/{id}");
    let on_b = eventually(
        Duration::from_secs(10),
        || get(&b, &disp_b, &path),
        |v| v["state"] == "accepted",
    )
    .await;
    assert_eq!(on_b["state"], "accepted", "{on_b}");
    post(
        &b,
        &disp_b,
        &format!("/api/incidents/{id}/actions"),
        &json!({ "action": "dispatch", "staff_id": "S1" }),
    )
    .await
    .unwrap();
    let seen = eventually(
        Duration::from_secs(10),
        || get(&a, &disp_a, &path),
        |v| v["state"] == "dispatched",
    )
    .await;
    assert_eq!(seen["assignee_staff"], "S1", "{seen}");

    // Three changes (report, accept, dispatch), each called back once.
    until("three call-backs", Duration::from_secs(20), || async {
        rx.got().len() >= 3
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got = rx.got();
    let seqs: Vec<i64> = got
        .iter()
        .map(|r| r.body["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [1, 2, 3], "each once, in order: {got:?}");
    assert!(got.iter().all(|r| r.signed));
}
