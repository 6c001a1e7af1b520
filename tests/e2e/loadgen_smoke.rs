//! Every loadgen mode, briefly, against a real riskmap server: a small city
//! built with `loadgen dataset`, the server started with the same
//! `riskmap::serve::start` the `riskmap` binary runs (listening on a real
//! port, SQLite store in a temporary directory), then `loadgen ingest`,
//! `osmand` and `dispatch` run as processes for about a second each. Each
//! must report acknowledged work, recorded latencies and no errors.
//! (PostGIS and Redis are left to scripts/peers.sh; the RESP reader has its
//! own unit test.)

// One scenario, step by step: splitting it would only scatter the setup.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::path::Path;
use std::time::Duration;

use geo::{LineString, MultiPolygon, Polygon};
use riskmap::config::ServeArgs;
use riskmap_engine::geojson::{area_feature, write_collection};
use riskmap_engine::model::{Area, AreaLevel};
use serde_json::Value;

const BBOX: [f64; 4] = [120.60, 28.00, 120.64, 28.03];

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    )])
}

/// A city → district → street → community tree over BBOX with 4 × 3 grids.
fn write_base_city(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let [w, s, e, n] = BBOX;
    let whole = rect(w, s, e, n);
    let mut areas = Vec::new();
    let levels = [
        ("330300", AreaLevel::City, None),
        ("330302", AreaLevel::District, Some("330300")),
        ("330302001", AreaLevel::Street, Some("330302")),
        ("330302001001", AreaLevel::Community, Some("330302001")),
    ];
    for (code, level, parent) in levels {
        areas.push(Area {
            code: code.into(),
            name: format!("测试{code}"),
            level,
            parent: parent.map(Into::into),
            geometry: whole.clone(),
        });
    }
    for i in 0..4 {
        for j in 0..3 {
            let x = w + f64::from(i) * 0.01;
            let y = s + f64::from(j) * 0.01;
            areas.push(Area {
                code: format!("330302001001{:03}", i * 3 + j + 1),
                name: format!("第{}网格", i * 3 + j + 1),
                level: AreaLevel::Grid,
                parent: Some("330302001001".into()),
                geometry: rect(x, y, x + 0.01, y + 0.01),
            });
        }
    }
    write_collection(&dir.join("areas.geojson"), areas.iter().map(area_feature)).unwrap();
}

async fn loadgen(args: &[String]) -> Value {
    let out = tokio::process::Command::new(riskmap_tests::binary("loadgen"))
        .args(args)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "loadgen {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let Some(pos) = args.iter().position(|a| a == "--json") else {
        return Value::Null;
    };
    serde_json::from_str(&std::fs::read_to_string(&args[pos + 1]).unwrap()).unwrap()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mode_runs_against_a_real_server() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    let city = tmp.path().join("city");
    write_base_city(&base);
    let bbox = BBOX.map(|x| x.to_string()).join(",");
    let city_s = city.display().to_string();
    loadgen(&strings(&[
        "dataset",
        "--base",
        &base.display().to_string(),
        "--out",
        &city_s,
        "--staff",
        "400",
        "--bbox",
        &bbox,
    ]))
    .await;

    let mut args = ServeArgs::defaults();
    args.listen = "127.0.0.1:0".parse().unwrap();
    args.data_dir = tmp.path().join("data");
    args.demo = true;
    args.no_simulator = true;
    args.demo_city = city.clone();
    args.requests_per_second = 0;
    // (The pipelined /ws target asks far more than a person would.)
    args.ws_messages_per_second = 1_000_000;
    args.sim_incident_every_s = 0;
    // The dataset's positions are dated 2026-01-01: all of them are the
    // city as it stands, for dispatch to rank.
    args.stale_after_s = riskmap_tests::FIXTURE_STALE_AFTER_S;
    let server = riskmap::serve::start(args).await.unwrap();
    let url = format!("http://{}", server.addr);
    let pid = std::process::id().to_string();
    let json = |name: &str| tmp.path().join(name).display().to_string();
    let timing = ["--warmup-s", "0.3", "--duration-s", "1.2"];

    let mut ingest = strings(&[
        "ingest",
        "--url",
        &url,
        "--city",
        &city_s,
        "--bbox",
        &bbox,
        "--rate",
        "4000",
        "--batch",
        "50",
        "--gateways",
        "2",
        "--viewers",
        "4",
        "--wide-viewers",
        "1",
        "--viewer-box-km",
        "1",
        "--server-pid",
        &pid,
        "--json",
    ]);
    ingest.push(json("ingest.json"));
    ingest.extend(strings(&timing));
    let v = loadgen(&ingest).await;
    assert_eq!(v["errors"], 0, "{v:#}");
    assert!(v["fixes_acked_per_s"].as_f64().unwrap() > 0.0, "{v:#}");
    assert!(v["fixes_applied"].as_u64().unwrap() > 0, "{v:#}");
    assert!(v["ack_latency"]["count"].as_u64().unwrap() > 0, "{v:#}");
    assert!(
        v["fix_to_viewer_raw"]["count"].as_u64().unwrap() > 0,
        "{v:#}"
    );
    assert!(v["server"]["rss_mib"].as_f64().unwrap() > 0.0, "{v:#}");

    let mut osmand = strings(&[
        "osmand",
        "--url",
        &url,
        "--city",
        &city_s,
        "--bbox",
        &bbox,
        "--concurrency",
        "4",
        "--json",
    ]);
    osmand.push(json("osmand.json"));
    osmand.extend(strings(&timing));
    let v = loadgen(&osmand).await;
    assert_eq!(v["requests_refused"], 0, "{v:#}");
    assert!(v["requests_ok"].as_u64().unwrap() > 0, "{v:#}");
    assert!(v["latency"]["count"].as_u64().unwrap() > 0, "{v:#}");

    let mut dispatch = strings(&[
        "dispatch",
        "--target",
        "riskmap,riskmap-batch,riskmap-ws",
        "--batch-size",
        "50",
        "--url",
        &url,
        "--bbox",
        &bbox,
        "--concurrency",
        "2",
        "--json",
    ]);
    dispatch.push(json("dispatch.json"));
    dispatch.extend(strings(&timing));
    let v = loadgen(&dispatch).await;
    let t = &v["targets"][0];
    assert_eq!(t["target"], "riskmap", "{v:#}");
    assert_eq!(t["errors"], 0, "{v:#}");
    assert!(t["answers"].as_u64().unwrap() > 0, "{v:#}");
    assert!(t["mean_results"].as_f64().unwrap() > 4.0, "{v:#}");
    // The batch target: 50 queries a request, each answered.
    let b = &v["targets"][1];
    assert_eq!(b["target"], "riskmap-batch50", "{v:#}");
    assert_eq!(b["errors"], 0, "{v:#}");
    assert!(b["answers"].as_u64().unwrap() >= 50, "{v:#}");
    assert!(b["mean_results"].as_f64().unwrap() > 4.0, "{v:#}");
    // Pipelined over /ws: 50 queries in flight a connection.
    let w = &v["targets"][2];
    assert_eq!(w["target"], "riskmap-ws50", "{v:#}");
    assert_eq!(w["errors"], 0, "{v:#}");
    assert!(w["answers"].as_u64().unwrap() >= 50, "{v:#}");
    assert!(w["mean_results"].as_f64().unwrap() > 4.0, "{v:#}");

    tokio::time::timeout(Duration::from_secs(10), server.shutdown())
        .await
        .unwrap();
}
