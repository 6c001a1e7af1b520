//! 电子围栏 end to end: an administrator draws fences (GeoJSON); a worker
//! on duty walking through one raises `fence_enter` and `fence_exit` alerts
//! as the fence asks, live on `/ws`; coming within the buffer of a
//! high-level risk source raises `risk_zone`; a worker off duty raises
//! nothing; fences survive a restart; bad fences and logins that are no
//! administrator's are refused with a reason.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use riskmap_tests::{TestServer, test_args};
use serde_json::{Value, json};

/// A square fence in grid 11-1, far (over a kilometre) from the risk
/// source R1 (加油站, level 2, at 120.021, 28.05).
fn fence(id: &str, name: &str, detect: &[&str], (x0, y0): (f64, f64)) -> Value {
    let (x1, y1) = (x0 + 0.005, y0 + 0.005);
    json!({
        "type": "Feature",
        "id": id,
        "geometry": { "type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] },
        "properties": { "name": name, "detect": detect },
    })
}

async fn active(s: &TestServer, token: &str) -> Vec<(String, String)> {
    let (status, list) = s.get(token, "/api/alerts?state=active").await;
    assert_eq!(status, 200, "{list}");
    let mut v: Vec<(String, String)> = list["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_owned(),
                a["steps"][0]["note"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

async fn walk(s: &TestServer, token: &str, fixes: Value) {
    let (status, b) = s
        .post(token, "/api/fixes", &json!({ "fixes": fixes }))
        .await;
    assert_eq!(status, 200, "{b}");
}

#[tokio::test]
async fn fences_raise_the_crossings_they_report_and_risk_buffers_their_entries() {
    // The test city's risk source is 较大 (level 2): buffered when asked.
    let (mut args, tmp) = test_args().await;
    args.risk_buffer_m = 100.0;
    args.risk_buffer_level = 2;
    let mut s = TestServer::start_in(args, tmp).await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await; // S1, on duty, grid 11-1
    let (status, b) = s
        .post(
            &admin,
            "/api/fences",
            &json!({ "type": "FeatureCollection", "features": [
                fence("reservoir", "水库警戒区", &["enter", "exit"], (120.030, 28.060)),
                fence("depot", "物资仓库", &["exit"], (120.040, 28.060)),
            ] }),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b, json!({ "saved": 2, "removed": 0 }));
    let (status, list) = s.get(&disp, "/api/fences").await;
    assert_eq!(status, 200, "{list}");
    let ids: Vec<&str> = list["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["depot", "reservoir"], "{list}");
    assert_eq!(list["features"][1]["properties"]["updated_by"], "admin");

    let mut watch = s.watch(&disp, "1", &["alerts"]).await;
    let t = riskmap::clock::now_ms() - 600_000;
    // Outside, then into the reservoir fence: entered.
    walk(
        &s,
        &field,
        json!([
            { "lon": 120.025, "lat": 28.062, "t": t },
            { "lon": 120.032, "lat": 28.062, "t": t + 10_000 },
            { "lon": 120.033, "lat": 28.063, "t": t + 20_000 },
        ]),
    )
    .await;
    let m = watch.next_of("alert").await;
    assert_eq!(
        (
            m["kind"].as_str(),
            m["alert"]["staff_id"].as_str(),
            m["alert"]["since_ms"].as_i64(),
            m["alert"]["steps"][0]["note"].as_str()
        ),
        (
            Some("fence_enter"),
            Some("S1"),
            Some(t + 10_000),
            Some("进入围栏：水库警戒区")
        ),
        "{m}"
    );
    // Out of it, into the depot (which reports leaving only), and out.
    walk(
        &s,
        &field,
        json!([
            { "lon": 120.038, "lat": 28.062, "t": t + 30_000 },
            { "lon": 120.042, "lat": 28.062, "t": t + 40_000 },
        ]),
    )
    .await;
    assert_eq!(
        active(&s, &disp).await,
        [
            ("fence_enter".to_owned(), "进入围栏：水库警戒区".to_owned()),
            ("fence_exit".to_owned(), "离开围栏：水库警戒区".to_owned()),
        ]
    );
    walk(
        &s,
        &field,
        json!([{ "lon": 120.050_5, "lat": 28.062, "t": t + 50_000 }]),
    )
    .await;
    let kinds = active(&s, &disp).await;
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert!(kinds.contains(&("fence_exit".to_owned(), "离开围栏：物资仓库".to_owned())));

    // Within 100 m of the level-2 risk source R1: a risk_zone alert.
    walk(
        &s,
        &field,
        json!([{ "lon": 120.0215, "lat": 28.0505, "t": t + 60_000 }]),
    )
    .await;
    let kinds = active(&s, &disp).await;
    assert!(
        kinds
            .iter()
            .any(|(k, n)| k == "risk_zone" && n.contains("加油站")),
        "{kinds:?}"
    );

    // Off duty, the worker walks into the reservoir again: nothing.
    let (status, b) = s
        .post(&field, "/api/staff/S1/duty", &json!({ "duty": "off" }))
        .await;
    assert_eq!(status, 200, "{b}");
    walk(
        &s,
        &field,
        json!([
            { "lon": 120.025, "lat": 28.062, "t": t + 70_000 },
            { "lon": 120.032, "lat": 28.062, "t": t + 80_000 },
        ]),
    )
    .await;
    assert_eq!(active(&s, &disp).await.len(), 4);

    // Deleted, and gone from the list; the other survives a restart.
    assert_eq!(s.delete(&admin, "/api/fences/reservoir").await, 204);
    s.restart().await;
    let disp = s.login("dispatcher").await;
    let (_, list) = s.get(&disp, "/api/fences").await;
    assert_eq!(list["features"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["features"][0]["id"], "depot");
    assert_eq!(list["features"][0]["properties"]["detect"], json!(["exit"]));
}

#[tokio::test]
async fn bad_fences_and_other_logins_are_refused_with_a_reason() {
    let (mut args, tmp) = test_args().await;
    args.risk_buffer_m = 100.0;
    let s = TestServer::start_in(args, tmp).await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await;
    let good = fence("a", "甲", &["enter"], (120.03, 28.06));
    let (status, b) = s.post(&disp, "/api/fences", &good).await;
    assert_eq!(status, 403, "{b}");
    let (status, b) = s.get(&field, "/api/fences").await;
    assert_eq!(status, 403, "{b}");
    for (body, says) in [
        (
            json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [120.03, 28.06] }, "properties": { "name": "点" } }),
            "Polygon",
        ),
        (
            json!({ "type": "Point", "coordinates": [120.03, 28.06] }),
            "bare geometry",
        ),
        (json!({ "features": 1 }), "not GeoJSON"),
        (fence("b", "乙", &["around"], (120.03, 28.06)), "detect"),
        (
            json!({ "type": "FeatureCollection", "features": [good.clone(), good.clone()] }),
            "given twice",
        ),
        (
            fence("c", "域外", &["enter"], (121.5, 29.5)),
            "outside your area",
        ),
    ] {
        let (status, b) = s.post(&admin, "/api/fences", &body).await;
        assert!(status == 400 || status == 403, "{status} {b}");
        assert!(
            b["message"].as_str().unwrap_or("").contains(says),
            "{says}: {b}"
        );
    }
    let r = s
        .http
        .delete(format!("{}/api/fences/nowhere", s.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // Nothing was saved by any of them.
    let (_, list) = s.get(&admin, "/api/fences").await;
    assert_eq!(list["features"], json!([]), "{list}");
    // Buffers on, at the default level: only 重大 sources are buffered,
    // so passing the 较大 R1 is nothing.
    let t = riskmap::clock::now_ms() - 60_000;
    walk(
        &s,
        &field,
        json!([
            { "lon": 120.025, "lat": 28.062, "t": t },
            { "lon": 120.0215, "lat": 28.0505, "t": t + 10_000 },
        ]),
    )
    .await;
    assert_eq!(active(&s, &disp).await, []);
}

/// A big screen draws the fences from `GET /api/fences`: each saved or
/// deleted fence tells the live viewers to read them again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_or_deleted_fence_is_announced_to_the_live_viewers() {
    let s = TestServer::start().await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;
    let mut watch = s.watch(&disp, "1", &["alerts"]).await;
    let body = json!({ "type": "FeatureCollection", "features": [
        fence("reservoir", "水库警戒区", &["enter"], (120.030, 28.060)),
    ] });
    let (status, b) = s.post(&admin, "/api/fences", &body).await;
    assert_eq!(status, 200, "{b}");
    let m = watch.next_of("layer_changed").await;
    assert_eq!(m, json!({ "type": "layer_changed", "layer": "fences" }));
    assert_eq!(s.delete(&admin, "/api/fences/reservoir").await, 204);
    let m = watch.next_of("layer_changed").await;
    assert_eq!(m["layer"], "fences", "{m}");
    let (status, list) = s.get(&disp, "/api/fences").await;
    assert_eq!(
        (status, list["features"].as_array().map(Vec::len)),
        (200, Some(0)),
        "{list}"
    );
}
