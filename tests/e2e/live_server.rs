//! The live map server end to end over REST: the real server on 127.0.0.1:0,
//! real HTTP clients, SQLite (or PostGIS with `RISKMAP_TEST_DATABASE_URL`);
//! the WebSocket is in `live_ws.rs`.
#![allow(clippy::unwrap_used)]

use riskmap_tests as common;

use std::time::Duration;

use common::{TestServer, grid};
use serde_json::{Value, json};

#[tokio::test]
async fn probes_need_no_token_and_everything_else_does() {
    let s = TestServer::start().await;
    for path in ["/health", "/ready", "/metrics"] {
        let r = s
            .http
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    let metrics = s
        .http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("riskmap_ws_connections"));
    assert!(metrics.contains("riskmap_query_seconds_bucket"));
    for path in [
        "/api/me",
        "/api/dispatch/nearest?lon=120.02&lat=28.05",
        "/api/staff/S1",
    ] {
        let r = s
            .http
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized");
    }
    let r = s
        .http
        .get(format!("{}/api/me", s.base))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn login_logout_and_me() {
    let s = TestServer::start().await;
    let r = s
        .http
        .post(format!("{}/api/auth/login", s.base))
        .json(&json!({ "username": "dispatcher", "password": "wrong" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let token = s.login("dispatcher").await;
    let (status, me) = s.get(&token, "/api/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["role"], "dispatcher");
    assert_eq!(me["area"]["code"], "1");
    let admin = s.login("admin").await;
    assert_eq!(s.get(&admin, "/api/me").await.1["user"]["role"], "admin");
    let (status, _) = s.post(&token, "/api/auth/logout", &json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(
        s.get(&token, "/api/me").await.0,
        401,
        "a revoked token stops working"
    );
    let r = s
        .http
        .post(format!("{}/api/auth/login", s.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
}

#[tokio::test]
async fn nearest_staff_ranked_with_filters_and_scope() {
    let s = TestServer::start().await;
    let t = s.login("dispatcher").await;
    let (status, body) = s
        .get(&t, "/api/dispatch/nearest?lon=120.021&lat=28.05&k=3")
        .await;
    assert_eq!(status, 200, "{body}");
    let c = body["candidates"].as_array().unwrap();
    let ids: Vec<&str> = c.iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["S1", "S2", "S3"]);
    assert_eq!(c[0]["name"], "员工S1");
    assert_eq!(c[0]["role"], "grid_worker");
    assert_eq!(c[0]["grid"], grid(11, 1));
    let d0 = c[0]["distance_m"].as_f64().unwrap();
    assert!(
        (90.0..100.0).contains(&d0),
        "0.001° of longitude at 28° is ~98 m: {d0}"
    );
    assert!(c[1]["distance_m"].as_f64().unwrap() > d0);
    assert_eq!(body["grid"]["code"], grid(11, 1));

    // Filters: role, skill, max distance.
    let (_, b) = s
        .get(
            &t,
            "/api/dispatch/nearest?lon=120.021&lat=28.05&role=police",
        )
        .await;
    assert_eq!(b["candidates"][0]["id"], "S2");
    assert_eq!(b["candidates"].as_array().unwrap().len(), 1);
    let (_, b) = s
        .get(
            &t,
            "/api/dispatch/nearest?lon=120.021&lat=28.05&skill=mediation&k=5",
        )
        .await;
    let ids: Vec<&str> = b["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["S1", "S4"]);
    let (_, b) = s
        .get(
            &t,
            "/api/dispatch/nearest?lon=120.021&lat=28.05&max_m=1000&k=5",
        )
        .await;
    assert_eq!(b["candidates"].as_array().unwrap().len(), 2);
    // Same grid first: at S3's grid, S3 leads even if others are nearer.
    let (_, b) = s
        .get(
            &t,
            "/api/dispatch/nearest?lon=120.051&lat=28.05&k=2&same_grid_first=true",
        )
        .await;
    assert_eq!(b["candidates"][0]["id"], "S3");
    assert_eq!(b["candidates"][0]["same_grid"], true);

    // A district commander sees their district's staff only.
    let d = s.login("district").await;
    let (_, b) = s
        .get(&d, "/api/dispatch/nearest?lon=120.11&lat=28.05&k=5")
        .await;
    let ids: Vec<&str> = b["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["S3", "S2", "S1"], "district 11 only, nearest first");
    assert_eq!(s.get(&d, "/api/staff/S4").await.0, 404);
    assert_eq!(s.get(&d, "/api/staff/S1").await.0, 200);

    // Bad input: clear 400s.
    for q in [
        "lon=120&lat=95",
        "lon=NaN&lat=28",
        "lon=120&lat=28&k=0",
        "lon=120&lat=28&k=100000",
        "lon=120&lat=28&role=pilot",
        "lon=120&lat=28&max_m=-5",
        "lat=28",
    ] {
        let (status, b) = s.get(&t, &format!("/api/dispatch/nearest?{q}")).await;
        assert_eq!(status, 400, "{q}: {b}");
    }
}

/// What a heat map counted in all its cells.
fn heat_total(heat: &Value) -> u64 {
    heat["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["count"].as_u64().unwrap())
        .sum()
}

#[tokio::test]
async fn cameras_nearby_locate_and_heatmap() {
    let s = TestServer::start().await;
    let t = s.login("commander").await;
    let (_, b) = s
        .get(&t, "/api/dispatch/cameras?lon=120.02&lat=28.0495")
        .await;
    assert_eq!(
        b["cameras"][0]["id"], "C1",
        "in front of the north-facing camera"
    );
    let (_, b) = s
        .get(&t, "/api/dispatch/cameras?lon=120.02&lat=28.0485")
        .await;
    assert!(b["cameras"].as_array().unwrap().is_empty(), "behind it");
    let (_, b) = s
        .get(&t, "/api/dispatch/nearby?lon=120.02&lat=28.05&radius_m=300")
        .await;
    assert_eq!(b["risk_sources"][0]["id"], "R1");
    assert_eq!(b["key_places"][0]["id"], "K1");
    let (_, b) = s.get(&t, "/api/dispatch/locate?lon=120.16&lat=28.05").await;
    let chain: Vec<&str> = b["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        chain,
        [grid(12, 2).as_str(), "12001001", "12001", "12", "1"]
    );
    let (_, b) = s.get(&t, "/api/dispatch/locate?lon=121.5&lat=28.05").await;
    assert!(b["grid"].is_null());
    let (status, b) = s.get(&t, "/api/heatmap?bbox=120,28,120.2,28.1&res=7").await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(heat_total(&b), 5);
    assert_eq!(s.get(&t, "/api/heatmap?bbox=1,2,3&res=7").await.0, 400);
    assert_eq!(
        s.get(&t, "/api/heatmap?bbox=120,28,120.2,28.1&res=16")
            .await
            .0,
        400
    );
}

/// Heat maps take turns, one per core, on blocking threads: with every
/// turn taken one waits, while the server answers other queries; it is
/// answered once a turn is free.
#[tokio::test]
async fn a_heat_map_waits_for_a_turn_while_dispatch_goes_on() {
    let s = TestServer::start().await;
    let t = s.login("commander").await;
    let field = s.login("field").await;
    let app = &s.server().app;
    let turns = common::locks::every_turn(&app.heavy_queries).await;
    let heat = s.get_later(&t, "/api/heatmap?bbox=120,28,120.2,28.1&res=7");
    s.others_go_on(&field, &t).await;
    assert!(!heat.is_finished(), "the heat map waited for a turn");
    drop(turns);
    let (status, _, b) = heat.await.unwrap();
    assert_eq!(status, 200, "{b}");
    let b: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(heat_total(&b), 5, "the five staff: {b}");
}

#[tokio::test]
async fn osmand_moves_known_devices_and_rejects_unknown_ones() {
    let s = TestServer::start().await;
    let t = s.login("dispatcher").await;
    let url = format!(
        "{}/osmand?id=dev-S1&lat=28.06&lon=120.03&timestamp=1767225700&speed=10&bearing=45&batt=77",
        s.base
    );
    let r = s.http.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let (_, m) = s.get(&t, "/api/staff/S1").await;
    assert_eq!(
        (m["lon"].as_f64().unwrap(), m["lat"].as_f64().unwrap()),
        (120.03, 28.06)
    );
    assert!((m["speed"].as_f64().unwrap() - 5.144).abs() < 0.01);
    assert_eq!(m["battery"], 77.0);

    let r = s
        .http
        .get(format!("{}/osmand?id=nobody&lat=28&lon=120", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        400,
        "unknown devices are rejected as Traccar does"
    );
    let r = s
        .http
        .get(format!("{}/osmand?id=dev-S1&lat=abc&lon=120", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // POST form, ISO time.
    let r = s
        .http
        .post(format!("{}/osmand", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("id=dev-S2&lat=28.07&lon=120.04&timestamp=2026-01-01T00:10:00Z")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(s.get(&t, "/api/staff/S2").await.1["lat"], 28.07);
    // JSON, on the second listener's root path.
    let osmand = s.server().osmand_addr.unwrap();
    let r = s
        .http
        .post(format!("http://{osmand}/"))
        .json(&json!({"device_id": "dev-S3", "location": {"timestamp": "2026-01-01T00:10:00Z",
            "coords": {"latitude": 28.08, "longitude": 120.06, "speed": 1.5, "heading": 90, "accuracy": 5},
            "battery": {"level": 0.5}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, m) = s.get(&t, "/api/staff/S3").await;
    assert_eq!(m["lat"], 28.08);
    assert_eq!(m["battery"], 50.0);
}

#[tokio::test]
async fn fix_batches_keep_the_newest_position_and_every_track_point() {
    let s = TestServer::start().await;
    let admin = s.login("admin").await;
    // Recent times: tracks older than the retention period are pruned.
    let base_t = riskmap::clock::now_ms() - 600_000;
    let batch = json!({ "fixes": [
        { "staff_id": "S4", "lon": 120.12, "lat": 28.06, "t": base_t + 20_000 },
        { "staff_id": "S4", "lon": 120.13, "lat": 28.07, "t": base_t + 10_000 },
        { "staff_id": "S4", "lon": 120.14, "lat": 28.08, "t": base_t + 20_000 },
    ]});
    let (status, b) = s.post(&admin, "/api/fixes", &batch).await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b, json!({ "applied": 1, "stale": 2 }));
    let (_, m) = s.get(&admin, "/api/staff/S4").await;
    assert_eq!(
        m["lon"], 120.12,
        "an older or duplicate fix never moves the position back"
    );
    let (_, tr) = s
        .get(
            &admin,
            &format!("/api/staff/S4/track?from={}&to={}", base_t, base_t + 60_000),
        )
        .await;
    assert_eq!(
        tr["fixes"].as_array().unwrap().len(),
        3,
        "but it is in the track: {tr}"
    );

    // GCJ-02 declared: stored as WGS84, a few hundred metres away.
    let (status, _) = s
        .post(&admin, "/api/fixes", &json!([{ "staff_id": "S5", "lon": 120.17, "lat": 28.05, "t": base_t + 30_000, "coords": "gcj02" }]))
        .await;
    assert_eq!(status, 200);
    let (_, m) = s.get(&admin, "/api/staff/S5").await;
    let lon = m["lon"].as_f64().unwrap();
    assert!(
        (120.164..120.1699).contains(&lon),
        "converted to WGS84: {lon}"
    );

    // One bad fix rejects the batch, naming it; nothing is applied.
    let (status, b) = s
        .post(
            &admin,
            "/api/fixes",
            &json!([
                { "staff_id": "S1", "lon": 120.05, "lat": 28.05, "t": base_t + 40_000 },
                { "staff_id": "S1", "lon": 120.05, "lat": 99.0 },
            ]),
        )
        .await;
    assert_eq!(status, 400);
    assert!(b["message"].as_str().unwrap().starts_with("fix 1:"), "{b}");
    assert_eq!(s.get(&admin, "/api/staff/S1").await.1["lon"], 120.02);
    let (status, _) = s
        .post(
            &admin,
            "/api/fixes",
            &json!([{ "staff_id": "S99", "lon": 120.0, "lat": 28.0 }]),
        )
        .await;
    assert_eq!(status, 400);

    // Field staff post their own position only.
    let field = s.login("field").await;
    let (status, b) = s
        .post(
            &field,
            "/api/fixes",
            &json!([{ "lon": 120.021, "lat": 28.051, "t": base_t + 50_000 }]),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    let (status, _) = s
        .post(
            &field,
            "/api/fixes",
            &json!([{ "staff_id": "S2", "lon": 120.0, "lat": 28.0 }]),
        )
        .await;
    assert_eq!(status, 403);
    let screen = s.login("screen").await;
    let (status, _) = s
        .post(
            &screen,
            "/api/fixes",
            &json!([{ "staff_id": "S2", "lon": 120.0, "lat": 28.0 }]),
        )
        .await;
    assert_eq!(status, 403, "a big screen changes nothing");
}

#[tokio::test]
async fn positions_and_tracks_survive_a_restart() {
    let mut s = TestServer::start().await;
    let admin = s.login("admin").await;
    let t = riskmap::clock::now_ms() - 60_000;
    let (status, _) = s
        .post(
            &admin,
            "/api/fixes",
            &json!([{ "staff_id": "S2", "lon": 120.031, "lat": 28.061, "t": t }]),
        )
        .await;
    assert_eq!(status, 200);
    s.restart().await;
    let admin = s.login("admin").await;
    let (_, m) = s.get(&admin, "/api/staff/S2").await;
    assert_eq!(
        (m["lon"].as_f64().unwrap(), m["lat"].as_f64().unwrap()),
        (120.031, 28.061)
    );
    let (_, tr) = s
        .get(
            &admin,
            &format!("/api/staff/S2/track?from={}&to={}", t - 1000, t + 1000),
        )
        .await;
    assert_eq!(tr["fixes"].as_array().unwrap().len(), 1);
    assert_eq!(
        s.http
            .get(format!("{}/ready", s.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn demo_mode_simulator_moves_staff_on_duty() {
    let (mut args, _tmp) = common::test_args().await;
    args.no_simulator = false;
    args.sim_interval_s = 1;
    let s = TestServer::start_with(args).await;
    let t = s.login("screen").await;
    // S2 is simulated; S1 is the demo `field` login, a person with a phone,
    // whom the simulator leaves where their phone puts them.
    let person = s.get(&t, "/api/staff/S1").await.1;
    let before = s.get(&t, "/api/staff/S2").await.1;
    let mut moved = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = s.get(&t, "/api/staff/S2").await.1;
        if now["t"] != before["t"] {
            // It walks inside its home grid (120.00–120.05 × 28.00–28.10).
            let (lon, lat) = (now["lon"].as_f64().unwrap(), now["lat"].as_f64().unwrap());
            assert!(
                (120.0..=120.05).contains(&lon) && (28.0..=28.1).contains(&lat),
                "{now}"
            );
            moved = true;
            break;
        }
    }
    assert!(moved, "the simulator moved S2 within 4 s");
    // Two more simulator intervals: the person has not been moved.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let still = s.get(&t, "/api/staff/S1").await.1;
    assert_eq!(
        still["t"], person["t"],
        "S1 moved by the simulator: {still}"
    );
    let metrics = s
        .http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !metrics.contains("riskmap_fixes_applied_total 0\n"),
        "fixes were applied"
    );
}

/// `POST /api/dispatch/batch`: every query answered in order, each exactly
/// as its REST twin answers it, a bad one with its own error while the
/// others are answered; scope applies to each; over 1,000 queries is 413.
#[tokio::test]
async fn batch_dispatch_answers_each_query_in_order() {
    let s = TestServer::start().await;
    let t = s.login("dispatcher").await;
    let body = json!({ "queries": [
        { "query": "nearest", "params": { "lon": 120.021, "lat": 28.05, "k": 3 } },
        { "query": "nearest", "params": { "lon": 120.021, "lat": 28.05, "skill": "mediation", "k": 5 } },
        { "query": "teleport", "params": {} },
        { "query": "nearest", "params": { "lon": 999, "lat": 28.05 } },
        { "query": "locate", "params": { "lon": 120.051, "lat": 28.05 } },
        // A heat map: the batch is answered on a blocking thread, the same.
        { "query": "heatmap", "params": { "bbox": "120,28,120.2,28.1", "res": 7 } },
        { "query": "heatmap", "params": { "bbox": "120,28,120.2,28.1", "res": 16 } },
    ]});
    let (status, b) = s.post(&t, "/api/dispatch/batch", &body).await;
    assert_eq!(status, 200, "{b}");
    let r = b["results"].as_array().unwrap();
    assert_eq!(r.len(), 7);
    let (_, rest) = s.get(&t, "/api/heatmap?bbox=120,28,120.2,28.1&res=7").await;
    assert_eq!(r[5]["data"], rest);
    assert!(!rest["cells"].as_array().unwrap().is_empty(), "{rest}");
    assert_eq!(r[6]["error"], "bad_request", "{}", r[6]);
    let (_, rest) = s
        .get(&t, "/api/dispatch/nearest?lon=120.021&lat=28.05&k=3")
        .await;
    assert_eq!(r[0]["data"], rest, "the same answer as GET");
    let (_, rest) = s
        .get(
            &t,
            "/api/dispatch/nearest?lon=120.021&lat=28.05&skill=mediation&k=5",
        )
        .await;
    assert_eq!(r[1]["data"], rest);
    assert_eq!(rest["candidates"].as_array().unwrap().len(), 2);
    assert_eq!(r[2]["error"], "bad_request");
    assert!(
        r[2]["message"].as_str().unwrap().contains("unknown query"),
        "{}",
        r[2]
    );
    assert_eq!(r[3]["error"], "bad_request", "{}", r[3]);
    assert!(r[3].get("data").is_none());
    assert_eq!(r[4]["data"]["grid"]["code"], grid(11, 2));

    // Each query is scoped: the other district's staff are not the
    // district commander's to see.
    let d = s.login("district").await;
    let (_, b) = s
        .post(
            &d,
            "/api/dispatch/batch",
            &json!({ "queries": [
            { "query": "nearest", "params": { "lon": 120.171, "lat": 28.05, "k": 5 } } ] }),
        )
        .await;
    let (_, rest) = s
        .get(&d, "/api/dispatch/nearest?lon=120.171&lat=28.05&k=5")
        .await;
    assert_eq!(b["results"][0]["data"], rest);

    let many: Vec<_> = (0..1_001)
        .map(|_| json!({ "query": "locate", "params": { "lon": 120.02, "lat": 28.05 } }))
        .collect();
    let (status, b) = s
        .post(&t, "/api/dispatch/batch", &json!({ "queries": many }))
        .await;
    assert_eq!(status, 413, "{b}");
    assert!(b["message"].as_str().unwrap().contains("1000"), "{b}");
    let (status, _) = s
        .post(&t, "/api/dispatch/batch", &json!({ "nope": [] }))
        .await;
    assert_eq!(status, 400);
}
