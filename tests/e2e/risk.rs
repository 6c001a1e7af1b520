//! 风险研判 end to end: the server's model scores the test city's grids
//! (a 较大 point source and a school in grid 11-1), a new incident changes
//! its grid's risk on a subscribed `/ws` at once, a line source imported
//! across two grids counts in each by its share, every answer keeps to the
//! user's area, the trend reads the daily snapshots back from the store, and
//! bad input is refused with a reason; cameras follow their streams' health.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::time::Duration;

use riskmap::store::RiskDay;
use riskmap_tests as common;

use common::incidents::{add_user, report};
use common::{TestServer, grid, swap_districts};
use riskmap::identity::UserRole;
use serde_json::{Value, json};

fn row<'a>(list: &'a Value, code: &str) -> &'a Value {
    list["grids"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {list}"))
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() < 0.02
}

#[tokio::test]
async fn grids_are_scored_pushed_scoped_and_explained() {
    let s = TestServer::start().await;
    let screen = s.login("screen").await;
    let g111 = grid(11, 1);
    let g112 = grid(11, 2);

    // The 较大 source (20) and the school (4): 24, orange; the others blue.
    let (status, list) = s.get(&screen, "/api/risk/grids").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 4, "{list}");
    assert_eq!(
        list["grids"][0]["code"],
        g111.as_str(),
        "riskiest first: {list}"
    );
    let top = row(&list, &g111);
    assert!(close(&top["score"], 24.0), "{top}");
    assert_eq!(
        (top["level"].as_u64(), top["colour"].as_str()),
        (Some(2), Some("orange"))
    );
    assert!(
        close(&top["parts"]["risk_sources"], 20.0) && close(&top["parts"]["key_places"], 4.0),
        "{top}"
    );
    assert_eq!(
        list["counts"],
        json!({ "red": 0, "orange": 1, "yellow": 0, "blue": 3 })
    );
    assert_eq!(
        list["thresholds"],
        json!({ "yellow": 8.0, "orange": 20.0, "red": 40.0 })
    );
    let (_, only) = s.get(&screen, "/api/risk/grids?level=orange").await;
    assert_eq!(only["total"], 1, "{only}");

    // Why: each factor with its name, largest first; today's point of the trend.
    let (status, detail) = s.get(&screen, &format!("/api/risk/grids/{g111}")).await;
    assert_eq!(status, 200, "{detail}");
    let f = detail["factors"].as_array().unwrap();
    assert_eq!(
        f.iter()
            .map(|f| (f["kind"].as_str().unwrap(), f["id"].as_str().unwrap()))
            .collect::<Vec<_>>(),
        [("risk_source", "R1"), ("key_place", "K1")],
        "{detail}"
    );
    assert_eq!(
        (f[0]["name"].as_str(), f[0]["level"].as_u64()),
        (Some("加油站"), Some(2))
    );
    assert_eq!(f[1]["category"], "学校");
    assert_eq!(detail["trend"].as_array().unwrap().len(), 1, "{detail}");

    // A viewer subscribed to the risk layer gets the grids with risk in the
    // snapshot, then a new incident's change within a tick.
    let mut ws = s.ws(&screen).await;
    ws.send(
        &json!({ "type": "subscribe", "bbox": [119.9, 27.9, 120.3, 28.2], "layers": ["risk"] }),
    )
    .await;
    let snap = ws.next_of("snapshot").await;
    let codes: Vec<&str> = snap["grid_risk"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, [g111.as_str()], "{snap}");
    let dispatcher = s.login("dispatcher").await;
    let in_112 = (120.07, 28.05);
    let (status, inc) = report(&s, &dispatcher, "0101", in_112).await;
    assert_eq!(status, 201, "{inc}");
    let pushed = ws.next_of_within("grid_risk", Duration::from_secs(2)).await;
    let g = &pushed["grids"][0];
    // An urgent (6) open (×2) incident: 12, yellow.
    assert_eq!(g["code"], g112.as_str(), "{pushed}");
    assert!(close(&g["score"], 12.0), "{pushed}");
    assert_eq!(g["colour"], "yellow");
    let (_, detail) = s.get(&screen, &format!("/api/risk/grids/{g112}")).await;
    assert_eq!(detail["factors"][0]["id"], inc["id"], "{detail}");
    assert_eq!(detail["factors"][0]["repeats"], 0);

    // A pipeline (一般, 8 points) across grids 12-1 and 12-2: 98 m of its
    // 294 m in 12-1 (a third), the rest in 12-2; neither reaches a
    // kilometre, so each counts its share of the line.
    let admin = s.login("admin").await;
    let pipe = json!({ "type": "FeatureCollection", "features": [{
        "type": "Feature", "id": "R9",
        "geometry": { "type": "LineString", "coordinates": [[120.149, 28.05], [120.152, 28.05]] },
        "properties": { "name": "燃气管道", "category": "燃气管道", "level": 3 },
    }]});
    let (status, r) = s
        .post(
            &admin,
            "/ogc/collections/risk_sources/items?mode=merge",
            &pipe,
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let (_, list) = s.get(&screen, "/api/risk/grids").await;
    let (a, b) = (row(&list, &grid(12, 1)), row(&list, &grid(12, 2)));
    assert!(close(&a["score"], 8.0 / 3.0), "{a}");
    assert!(close(&b["score"], 16.0 / 3.0), "{b}");
    let (_, fc) = s
        .get(&admin, "/ogc/collections/risk_sources/items/R9")
        .await;
    assert_eq!(fc["geometry"]["type"], "MultiLineString", "{fc}");

    // 分级授权: a district's commander sees its own grids only.
    let district = s.login("district").await;
    let (_, mine) = s.get(&district, "/api/risk/grids").await;
    assert_eq!(mine["total"], 2, "{mine}");
    let (status, _) = s
        .get(&district, &format!("/api/risk/grids/{}", grid(12, 1)))
        .await;
    assert_eq!(status, 404);
    let (status, _) = s.get(&district, "/api/risk/areas/12").await;
    assert_eq!(status, 404);

    // The roll-up: the city's grids and each district's.
    let (status, city) = s.get(&screen, "/api/risk/areas/1").await;
    assert_eq!(status, 200, "{city}");
    assert_eq!(city["area"]["grids"], 4);
    assert_eq!(city["area"]["counts"], json!([0, 1, 1, 2]), "{city}");
    assert_eq!(city["area"]["worst"], "orange");
    let kids: Vec<(&str, &str)> = city["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["code"].as_str().unwrap(), c["worst"].as_str().unwrap()))
        .collect();
    assert_eq!(kids, [("11", "orange"), ("12", "blue")]);

    // The analysis: the two reports (one here before, none elsewhere).
    let (_, inc2) = report(&s, &dispatcher, "0101", (120.0705, 28.0502)).await;
    let (status, an) = s.get(&screen, "/api/risk/analysis").await;
    assert_eq!(status, 200, "{an}");
    assert_eq!(an["total"], 2, "{an}");
    assert_eq!(
        an["by_day"].as_array().unwrap().len(),
        31,
        "30 days and today: {an}"
    );
    assert_eq!(an["top_grids"][0]["key"], g112.as_str());
    assert_eq!(an["top_grids"][0]["name"], "第2网格");
    assert_eq!(an["top_grids"][0]["count"], 2);
    assert_eq!(
        an["heat"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["count"].as_u64().unwrap())
            .sum::<u64>(),
        2
    );
    let (_, one_day) = s
        .get(&screen, "/api/risk/analysis?repeat_days=1&resolution=7")
        .await;
    assert_eq!(one_day["hot_spots"][0]["count"], 2, "{one_day}");
    assert_eq!(
        an["by_area"],
        json!([{ "key": "11", "name": "11区", "count": 2 }, { "key": "12", "name": "12区", "count": 0 }]),
        "districts compared: {an}"
    );
    let (_, theirs) = s.get(&district, "/api/risk/analysis?area=11").await;
    assert_eq!(theirs["total"], 2, "{theirs}");
    assert_eq!(
        theirs["by_area"][0]["key"], "11001",
        "the district's streets: {theirs}"
    );
    let (_, none) = s.get(&district, "/api/risk/analysis?category=0102").await;
    assert_eq!(none["total"], 0, "{none}");
    assert!(inc2["id"].is_string(), "{inc2}");

    // Bad input: a reason, never a 500.
    for (path, want) in [
        ("/api/risk/grids?level=purple", 400),
        ("/api/risk/grids?limit=0", 400),
        ("/api/risk/grids?area=999", 404),
        ("/api/risk/grids/11", 400),
        ("/api/risk/grids/nope", 404),
        ("/api/risk/grids?colour=red", 400),
        ("/api/risk/analysis?resolution=3", 400),
        (
            "/api/risk/analysis?from=2026-12-02T00:00:00Z&to=2026-01-01T00:00:00Z",
            400,
        ),
        ("/api/risk/analysis?repeat_days=0", 400),
        ("/api/risk/analysis?category=9999", 404),
        ("/api/risk/analysis?area=12&from=yesterday", 400),
    ] {
        let (status, body) = s.get(&screen, path).await;
        assert_eq!(status, want, "{path}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{path}: {body}"
        );
    }
}

/// An areas import puts its tree in and rebuilds the risk board from it
/// after. In between, the board's grid indexes are the old tree's: an east
/// grid holding a west grid's old index must not be shown the west's
/// gas station (分级授权), nor the day's snapshot record it.
#[tokio::test]
async fn a_grid_renumbered_by_an_areas_import_never_shows_another_districts_risk() {
    let s = TestServer::start().await;
    add_user(&s, "east", UserRole::Dispatcher, "12", None).await;
    let (east, screen) = (s.login("east").await, s.login("screen").await);
    let (g111, g121) = (grid(11, 1), grid(12, 1));
    let app = &s.server().app;
    swap_districts(&s);
    let (status, detail) = s.get(&east, &format!("/api/risk/grids/{g121}")).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["factors"], json!([]), "the west's source: {detail}");
    assert!(close(&detail["score"], 0.0), "{detail}");
    let (_, list) = s.get(&east, "/api/risk/grids").await;
    assert!(close(&row(&list, &g121)["score"], 0.0), "{list}");
    let (_, area) = s.get(&east, "/api/risk/areas/12").await;
    assert_eq!(area["area"]["max_score"], 0.0, "{area}");
    assert_eq!(
        app.record_risk_day(riskmap::clock::now_ms()).await.unwrap(),
        0
    );

    // Rebuilt, each grid has its own again.
    app.rebuild_risk(riskmap::clock::now_ms());
    let (_, detail) = s.get(&screen, &format!("/api/risk/grids/{g111}")).await;
    assert_eq!(detail["factors"][0]["id"], "R1", "{detail}");
    let (_, detail) = s.get(&east, &format!("/api/risk/grids/{g121}")).await;
    assert_eq!(detail["factors"], json!([]), "{detail}");
    assert_eq!(
        app.record_risk_day(riskmap::clock::now_ms()).await.unwrap(),
        4
    );
}

/// The trend: the daily snapshots are written to the store and read back
/// (both stores run this test), today's point being the live score.
#[tokio::test]
async fn the_trend_reads_the_daily_snapshots() {
    let s = TestServer::start().await;
    let app = &s.server().app;
    let now = riskmap::clock::now_ms();
    assert_eq!(app.record_risk_day(now).await.unwrap(), 4);
    let g = grid(11, 1);
    let day = |d: &str, score: f64, level: u8| RiskDay {
        day: d.into(),
        grid: g.clone(),
        score,
        level,
    };
    // Yesterday, written twice (the day's last write stands), and a day
    // older than the trend shows.
    let yesterday = app.local_day(now - 86_400_000);
    let today = app.local_day(now);
    app.store
        .put_risk_days(&[day("2000-01-01", 99.0, 1), day(&yesterday, 30.0, 2)])
        .await
        .unwrap();
    app.store
        .put_risk_days(&[day(&yesterday, 41.5, 1)])
        .await
        .unwrap();
    let screen = s.login("screen").await;
    let (status, detail) = s.get(&screen, &format!("/api/risk/grids/{g}")).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(
        detail["trend"],
        json!([
            { "day": yesterday, "score": 41.5, "level": 1 },
            { "day": today, "score": 24.0, "level": 2 },
        ]),
        "{detail}"
    );
    let rows = app.store.risk_days(&g, "2000-01-01").await.unwrap();
    assert_eq!(
        rows,
        [
            day("2000-01-01", 99.0, 1),
            day(&yesterday, 41.5, 1),
            day(&today, 24.0, 2)
        ]
    );
}

/// A tiny HLS gateway on loopback: every request gets a playlist.
async fn gateway() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await;
            let body = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n";
            let _ = s
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.apple.mpegurl\r\n\
                         Content-Length: {}\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                )
                .await;
        }
    });
    (addr, task)
}

/// Camera health: a camera whose playlist answers turns online, and offline
/// when its gateway dies — committed (it survives a restart) and pushed.
#[tokio::test]
async fn cameras_follow_their_streams() {
    let (mut args, tmp) = common::test_args().await;
    args.camera_probe_s = 1;
    args.camera_probe_timeout_ms = 500;
    let mut s = TestServer::start_in(args, tmp).await;
    let (addr, gw) = gateway().await;
    let admin = s.login("admin").await;
    let cam = |id: &str, url: String, online: bool| {
        json!({
            "type": "Feature", "id": id,
            "geometry": { "type": "Point", "coordinates": [120.03, 28.05] },
            "properties": { "name": "河道球机", "range_m": 100.0, "owner": "城管",
                            "stream_url": url, "online": online },
        })
    };
    let screen = s.login("screen").await;
    let mut ws = s.ws(&screen).await;
    ws.send(
        &json!({ "type": "subscribe", "bbox": [119.9, 27.9, 120.3, 28.2], "layers": ["cameras"] }),
    )
    .await;
    ws.next_of("snapshot").await;
    // A screen that loaded the cameras from /ogc follows their health only.
    let box_ = json!([119.9, 27.9, 120.3, 28.2]);
    let mut health = s.ws(&screen).await;
    health
        .send(&json!({ "type": "subscribe", "bbox": box_, "layers": ["camera_health"] }))
        .await;
    let snap = health.next_of("snapshot").await;
    assert!(
        snap.get("cameras").is_none(),
        "no cameras in its snapshot: {snap}"
    );
    let fc = json!({ "type": "FeatureCollection", "features": [
        cam("C7", format!("http://{addr}/live/c7.m3u8"), false),
        // A placeholder host is left alone, whatever it says.
        cam("C8", "rtsp://video.invalid/C8".into(), true),
    ]});
    let (status, r) = s
        .post(&admin, "/ogc/collections/cameras/items?mode=merge", &fc)
        .await;
    assert_eq!(status, 200, "{r}");
    let up = loop {
        let m = ws
            .next_of_within("camera_update", Duration::from_secs(5))
            .await;
        if m["camera"]["id"] == "C7" {
            break m;
        }
    };
    assert_eq!(up["camera"]["online"], true, "{up}");
    // The gateway dies: offline after two failed probes in a row.
    gw.abort();
    let down = ws
        .next_of_within("camera_update", Duration::from_secs(8))
        .await;
    assert_eq!(
        (
            down["camera"]["id"].as_str(),
            down["camera"]["online"].as_bool()
        ),
        (Some("C7"), Some(false)),
        "{down}"
    );
    // The health subscriber saw the same pushes; a new subscribe lists the
    // cameras that are down (C8 is up whatever its host).
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let m = health
            .next_of_within("camera_update", Duration::from_secs(8))
            .await;
        if m["camera"]["id"] == "C7" {
            seen.push(m["camera"]["online"].as_bool());
        }
    }
    assert_eq!(seen, [Some(true), Some(false)]);
    health
        .send(&json!({ "type": "subscribe", "bbox": box_, "layers": ["camera_health"] }))
        .await;
    let snap = health.next_of("snapshot").await;
    assert_eq!(snap["cameras_offline"], json!(["C7"]), "{snap}");
    let (_, c8) = s.get(&screen, "/ogc/collections/cameras/items/C8").await;
    assert_eq!(c8["properties"]["online"], true, "{c8}");
    // Committed: a restart reads it back (and probes again: still dead).
    s.restart().await;
    let screen = s.login("screen").await;
    let (_, c7) = s.get(&screen, "/ogc/collections/cameras/items/C7").await;
    assert_eq!(c7["properties"]["online"], false, "{c7}");
}

/// A camera outage (a gateway down: more cameras at once than
/// `MASS_CHANGE`) resyncs the cameras' viewers, whose fresh snapshots carry
/// the new states, instead of weighing a `camera_update` per camera against
/// every viewer; a viewer of other layers is left alone.
#[tokio::test]
async fn an_outage_resyncs_the_cameras_viewers() {
    const CAMERAS: usize = riskmap::app::cameras::MASS_CHANGE + 1;
    let (mut args, tmp) = common::test_args().await;
    args.camera_probe_s = 1;
    args.camera_probe_timeout_ms = 500;
    let s = TestServer::start_in(args, tmp).await;
    // A gateway that is gone: nothing listens on its port.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let admin = s.login("admin").await;
    let screen = s.login("screen").await;
    let box_ = json!([119.9, 27.9, 120.3, 28.2]);
    let mut viewers = Vec::new();
    for layer in ["cameras", "camera_health", "staff"] {
        let mut ws = s.ws(&screen).await;
        ws.send(&json!({ "type": "subscribe", "bbox": box_, "layers": [layer] }))
            .await;
        ws.next_of("snapshot").await;
        viewers.push(ws);
    }
    let features: Vec<Value> = (0..CAMERAS)
        .map(|i| {
            json!({
                "type": "Feature", "id": format!("OUT{i:04}"),
                "geometry": { "type": "Point",
                              "coordinates": [120.0 + (i % 40) as f64 * 0.002, 28.0 + (i / 40) as f64 * 0.002] },
                "properties": { "name": "路口枪机", "range_m": 60.0, "owner": "公安",
                                "stream_url": format!("http://{dead}/live/{i}.m3u8"), "online": true },
            })
        })
        .collect();
    let (status, r) = s
        .post(
            &admin,
            "/ogc/collections/cameras/items?mode=merge",
            &json!({ "type": "FeatureCollection", "features": features }),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    // The import's own snapshot, to every viewer.
    for ws in &mut viewers {
        ws.next_of("snapshot").await;
    }
    // Two failed probes in a row, a second apart: every camera goes offline
    // in one round, and each camera viewer's next snapshot says so, with no
    // camera_update before it.
    let mut staff = viewers.pop().unwrap();
    for (ws, offline) in viewers.iter_mut().zip([
        (|snap: &Value| {
            snap["cameras"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["online"] == false)
                .count()
        }) as fn(&Value) -> usize,
        |snap: &Value| snap["cameras_offline"].as_array().unwrap().len(),
    ]) {
        let snap = loop {
            let m = ws.next_json_within(Duration::from_secs(10)).await;
            assert_ne!(m["type"], "camera_update", "a push per camera: {m}");
            if m["type"] == "snapshot" {
                break m;
            }
        };
        assert_eq!(offline(&snap), CAMERAS, "{}", snap["type"]);
    }
    // Resynced together: the staff viewer's would have come with theirs.
    let heard = staff.collect_for(Duration::from_secs(1)).await;
    assert!(heard.iter().all(|m| m["type"] != "snapshot"), "{heard:?}");
}

#[tokio::test]
async fn the_grid_list_the_analysis_and_the_statistics_wait_for_a_turn_while_fixes_go_on() {
    // A city's list is tens of thousands of rows, the analysis and a year's
    // statistics scans of the incident book: made on a blocking thread in a
    // heavy answer's turn, not on an async worker the fixes need.
    let s = TestServer::start().await;
    let screen = s.login("screen").await;
    let field = s.login("field").await;
    let dispatcher = s.login("dispatcher").await;
    // An urgent report in grid 11-2: the analysis's one, and 11-2 yellow (12).
    let (_, inc) = report(&s, &dispatcher, "0101", (120.0705, 28.0502)).await;
    assert_eq!(inc["grid"], grid(11, 2).as_str(), "{inc}");
    let turns = common::locks::every_turn(&s.server().app.heavy_queries).await;
    let list = s.get_later(&screen, "/api/risk/grids?level=yellow");
    let analysis = s.get_later(&screen, "/api/risk/analysis");
    let stats = s.get_later(&screen, "/api/incidents/stats?area=11");
    // A day's figures (a big screen's, after every report) do not wait.
    let since = chrono::Utc::now().timestamp_millis() - 3_600_000;
    let today = s.get_later(
        &screen,
        &format!("/api/incidents/stats?area=11&from={since}"),
    );
    s.others_go_on(&field, &screen).await;
    assert!(
        today.is_finished(),
        "a day's figures did not wait for a turn"
    );
    let today = TestServer::json_later(today).await;
    assert_eq!(today["total"], 1, "{today}");
    assert!(!list.is_finished(), "the list waited for a turn");
    assert!(!analysis.is_finished(), "the analysis waited for a turn");
    assert!(!stats.is_finished(), "the statistics waited for a turn");
    drop(turns);
    let st = TestServer::json_later(stats).await;
    assert_eq!(
        (&st["area"], &st["total"], &st["by_grid"][grid(11, 2)]),
        (&json!("11"), &json!(1), &json!(1)),
        "{st}"
    );
    assert_eq!((&st["from_ms"], &st["to_ms"]), (&Value::Null, &Value::Null));
    let an = TestServer::json_later(analysis).await;
    assert_eq!(an["total"], 1, "the one report: {an}");
    assert_eq!(an["top_grids"][0]["key"], grid(11, 2).as_str(), "{an}");
    let list = TestServer::json_later(list).await;
    // Yellow or worse: grid 11-1 (orange, 24), then 11-2 (yellow, the report's 12).
    let codes: Vec<&str> = list["grids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, [grid(11, 1), grid(11, 2)], "{list}");
    assert_eq!(list["total"], 2, "{list}");
    assert_eq!(
        list["counts"],
        json!({ "red": 0, "orange": 1, "yellow": 1, "blue": 0 }),
        "{list}"
    );
    assert!(list["thresholds"]["red"].is_number(), "{list}");
}
