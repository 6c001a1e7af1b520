//! Nothing acknowledged is lost: the real `riskmap` binary, under a load of
//! incident reports, transitions and position fixes, is killed with SIGKILL
//! while requests are in flight, restarted on the same store, and every
//! acknowledged report, transition and fix is found (SQLite, and PostGIS
//! when `RISKMAP_TEST_DATABASE_URL` is set).

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use riskmap_tests as common;

use common::ServerProcess;

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Value, json};

/// Posts; the body if the server acknowledged (2xx), else `None`.
async fn post(http: &reqwest::Client, url: String, token: &str, body: Value) -> Option<Value> {
    let r = http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    r.json().await.ok()
}

async fn get_json(http: &reqwest::Client, url: String, token: &str) -> Value {
    http.get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// What every load worker holds.
#[derive(Clone)]
struct Load {
    http: reqwest::Client,
    base: String,
    token: String,
    acked: Arc<Mutex<Acked>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

#[derive(Default)]
struct Acked {
    /// Incident id → highest acknowledged version.
    incidents: Vec<(String, i64)>,
    /// (staff, fix time) of acknowledged fixes.
    fixes: Vec<(String, i64)>,
}

#[tokio::test]
async fn sigkill_under_load_loses_nothing_acknowledged() {
    let tmp = tempfile::tempdir().unwrap();
    common::write_city(&tmp.path().join("city"));
    let args = common::process_args(tmp.path(), common::fresh_database().await);
    let log = tmp.path().join("server.log");
    let server = ServerProcess::spawn(&args, &log);
    let base = server.base.clone();
    let http = reqwest::Client::new();
    let token = common::login_at(&base, "dispatcher", common::DEMO_PASSWORD).await;
    let acked = Arc::new(Mutex::new(Acked::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let t0 = common::fixes_from_ms();

    let load = Load {
        http: http.clone(),
        base: base.clone(),
        token: token.clone(),
        acked: acked.clone(),
        stop: stop.clone(),
    };
    // Incident workers: report, then walk the loop as far as they get.
    let mut workers = Vec::new();
    for w in 0..4 {
        let Load {
            http,
            base,
            token,
            acked,
            stop,
        } = load.clone();
        workers.push(tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let lon = 120.01 + f64::from(w) * 0.02 + f64::from(n % 50) * 0.0001;
                let Some(v) = post(&http, format!("{base}/api/incidents"), &token,
                    json!({ "category": "0201", "lon": lon, "lat": 28.05, "description": format!("w{w} n{n}") })).await
                else { continue };
                let id = v["id"].as_str().unwrap().to_owned();
                acked.lock().incidents.push((id.clone(), 1));
                for body in [
                    json!({ "action": "accept" }),
                    json!({ "action": "dispatch", "department": "1-zf" }),
                    json!({ "action": "sign" }),
                    json!({ "action": "handle", "comment": "done" }),
                ] {
                    let Some(v) = post(&http, format!("{base}/api/incidents/{id}/actions"), &token, body).await else { break };
                    acked.lock().incidents.push((id.clone(), v["version"].as_i64().unwrap()));
                }
            }
        }));
    }
    // A fix worker: batches of positions for S1–S5.
    {
        let Load {
            http,
            base,
            token,
            acked,
            stop,
        } = load.clone();
        workers.push(tokio::spawn(async move {
            let mut t = t0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                t += 1000;
                let fixes: Vec<Value> = (1..=5)
                    .map(|i| json!({ "staff_id": format!("S{i}"), "lon": 120.02 + f64::from(i) * 0.02, "lat": 28.05, "t": t }))
                    .collect();
                if post(&http, format!("{base}/api/fixes"), &token, json!({ "fixes": fixes })).await.is_some() {
                    let mut a = acked.lock();
                    for i in 1..=5 {
                        a.fixes.push((format!("S{i}"), t));
                    }
                }
            }
        }));
    }
    // Let the load build up, then kill while requests are in flight.
    let start = Instant::now();
    while acked.lock().incidents.len() < 60 && start.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed_at = acked.lock().incidents.len();
    drop(server); // SIGKILL
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock());
    assert!(
        killed_at >= 60,
        "the load never built up: {killed_at} acknowledgements"
    );

    // Restart on the same store and look for everything acknowledged.
    let server = ServerProcess::spawn(&args, &tmp.path().join("server2.log"));
    let base = server.base.clone();
    let token = common::login_at(&base, "dispatcher", common::DEMO_PASSWORD).await;
    let mut highest: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for (id, v) in &acked.incidents {
        let e = highest.entry(id.clone()).or_default();
        *e = (*e).max(*v);
    }
    for (id, version) in &highest {
        let inc = get_json(&http, format!("{base}/api/incidents/{id}"), &token).await;
        assert!(
            inc["version"].as_i64().is_some_and(|v| v >= *version),
            "incident {id}: acknowledged version {version}, found {inc}"
        );
        let log = get_json(&http, format!("{base}/api/incidents/{id}/log"), &token).await;
        // One flow-log entry per version: the report, then each transition.
        assert_eq!(
            log["log"].as_array().unwrap().len() as i64,
            inc["version"].as_i64().unwrap(),
            "incident {id}'s flow log"
        );
    }
    for s in 1..=5 {
        let staff = format!("S{s}");
        let track = get_json(
            &http,
            format!(
                "{base}/api/staff/{staff}/track?from={}&to={}&limit=10000",
                t0 - 1000,
                t0 + 7_200_000
            ),
            &token,
        )
        .await;
        let times: std::collections::HashSet<i64> = track["fixes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["t"].as_i64().unwrap())
            .collect();
        for (_, t) in acked.fixes.iter().filter(|(who, _)| *who == staff) {
            assert!(
                times.contains(t),
                "{staff}'s acknowledged fix at {t} is lost"
            );
        }
        // The live state is rebuilt: the position is at least the newest
        // acknowledged fix.
        let newest = acked
            .fixes
            .iter()
            .filter(|(who, _)| *who == staff)
            .map(|(_, t)| *t)
            .max()
            .unwrap();
        let live = get_json(&http, format!("{base}/api/staff/{staff}"), &token).await;
        assert!(live["t"].as_i64().unwrap() >= newest, "{staff}: {live}");
    }
    eprintln!(
        "kill test: {} incidents ({} acknowledged changes) and {} fixes acknowledged before SIGKILL; all found",
        highest.len(),
        acked.incidents.len(),
        acked.fixes.len()
    );
}
