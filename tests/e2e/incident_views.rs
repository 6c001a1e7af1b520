//! What the incident desk shows and keeps, end to end on the real server
//! (SQLite, and PostGIS when `RISKMAP_TEST_DATABASE_URL` is set): statistics
//! against a hand count, live pushes to big screens, the clock's alerts,
//! persistence across a restart, the OGC collection, and the demo
//! simulator's loop.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use riskmap_tests as common;

use common::incidents::{IN_11_1, IN_12_1, add_user, duty, ok, report, walk};
use common::{TestServer, grid};
use riskmap::identity::UserRole;
use serde_json::{Value, json};

#[tokio::test]
async fn statistics_match_a_hand_counted_day() {
    let s = TestServer::start().await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await;
    let mut ids = Vec::new();
    for cat in ["0101", "0101", "0201", "0301", "0401"] {
        let (_, v) = report(&s, &disp, cat, IN_11_1).await;
        ids.push(v["id"].as_str().unwrap().to_owned());
    }
    let (_, v) = report(&s, &disp, "0102", IN_12_1).await;
    ids.push(v["id"].as_str().unwrap().to_owned());
    // One report-only record.
    let (_, _) = s
        .post(&disp, "/api/incidents", &json!({ "category": "0203", "lon": IN_11_1.0, "lat": IN_11_1.1, "report_only": true, "source": "hotline" }))
        .await;
    // 0: handled on time after one rework; 1: rejected; 2: dispatched; 3, 4, 5: reported.
    let (d, f) = (disp.as_str(), field.as_str());
    walk(
        &s,
        &ids[0],
        &[
            (d, json!({ "action": "accept" })),
            (d, json!({ "action": "dispatch", "staff_id": "S1" })),
            (f, json!({ "action": "sign" })),
            (f, json!({ "action": "handle", "comment": "ok" })),
            (d, json!({ "action": "verify_fail", "comment": "redo" })),
            (f, json!({ "action": "sign" })),
            (f, json!({ "action": "handle", "comment": "ok" })),
        ],
    )
    .await;
    walk(
        &s,
        &ids[1],
        &[(d, json!({ "action": "reject", "comment": "no" }))],
    )
    .await;
    walk(
        &s,
        &ids[2],
        &[
            (d, json!({ "action": "accept" })),
            (d, json!({ "action": "dispatch", "department": "1-zf" })),
        ],
    )
    .await;

    let (status, st) = s.get(&disp, "/api/incidents/stats").await;
    assert_eq!(status, 200, "{st}");
    assert_eq!(st["total"], 7);
    assert_eq!(st["report_only"], 1);
    let by_state = &st["by_state"];
    assert_eq!(
        (
            by_state["handled"].as_u64(),
            by_state["rejected"].as_u64(),
            by_state["dispatched"].as_u64(),
            by_state["reported"].as_u64(),
            by_state["closed"].as_u64()
        ),
        (Some(1), Some(1), Some(1), Some(3), Some(1))
    );
    assert_eq!(
        (st["handled"].as_u64(), st["handled_on_time"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(st["on_time_rate"], 1.0);
    assert_eq!(
        (st["rework"].as_u64(), st["rework_rate"].as_f64()),
        (Some(1), Some(1.0))
    );
    assert_eq!(st["overdue"], 0);
    // Open now, each with a warning level: 0 (handled: the verify step
    // runs), 2 (dispatched), 3, 4 and 5 (reported).
    assert_eq!(st["warnings"]["green"], 5);
    assert_eq!(st["by_grid"][grid(11, 1)], 6);
    assert_eq!(st["by_grid"][grid(12, 1)], 1);
    assert_eq!(st["by_category"]["0101"], 2);
    assert_eq!(st["by_source"]["citizen"], 6);
    assert_eq!(st["by_source"]["hotline"], 1);
    // The sign step ran twice for incident 0 and once for nothing else.
    assert!(st["mean_step_hours"]["sign"].as_f64().is_some());
    assert_eq!(st["mean_step_hours"]["close"], Value::Null);
    // Scoped to district 12: just the one.
    let (_, st12) = s.get(&disp, "/api/incidents/stats?area=12").await;
    assert_eq!(
        (st12["total"].as_u64(), st12["area"].as_str()),
        (Some(1), Some("12"))
    );
    // A period before everything: nothing reported in it, but what is open
    // now still counts for the overdue list.
    let (_, old) = s
        .get(
            &disp,
            "/api/incidents/stats?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z",
        )
        .await;
    assert_eq!(old["total"], 0);
    assert_eq!(old["on_time_rate"], Value::Null);
    assert_eq!(old["warnings"]["green"], 5);
    // Lists filter the same way.
    let (_, open) = s.get(&disp, "/api/incidents?open=true&category=01").await;
    assert_eq!(
        open["total"], 2,
        "0101 ×2 in 11, 0102 in 12, one of them handled (still open)"
    );
    let (_, rep) = s.get(&disp, "/api/incidents?state=reported&area=11").await;
    assert_eq!(rep["total"], 2);
    // The open list and a period's list are read from the open set and the
    // book's order by report time: the same rows as the whole list filtered,
    // newest first.
    let (_, all) = s.get(&disp, "/api/incidents").await;
    let rows = |v: &Value| -> Vec<(i64, String, String)> {
        v["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let (t, id) = (i["created_ms"].as_i64().unwrap(), i["id"].as_str().unwrap());
                (t, id.to_owned(), i["state"].as_str().unwrap().to_owned())
            })
            .collect()
    };
    let all = rows(&all);
    assert_eq!(all.len(), 7);
    assert!(
        all.windows(2).all(|w| w[0].0 >= w[1].0),
        "newest first: {all:?}"
    );
    let (_, open) = s.get(&disp, "/api/incidents?open=true").await;
    let closed = ["closed", "rejected"];
    let want: Vec<_> = all
        .iter()
        .filter(|r| !closed.contains(&r.2.as_str()))
        .cloned()
        .collect();
    assert_eq!((rows(&open), open["total"].as_u64()), (want, Some(5)));
    let (t1, t5) = (all[5].0, all[1].0);
    let (_, period) = s
        .get(&disp, &format!("/api/incidents?from={t1}&to={t5}"))
        .await;
    let want: Vec<_> = all
        .iter()
        .filter(|r| (t1..t5).contains(&r.0))
        .cloned()
        .collect();
    assert!(!want.is_empty() && want.len() < 7, "{all:?}");
    assert_eq!(rows(&period), want);
    let (_, old) = s.get(&disp, "/api/incidents?to=2020-01-02T00:00:00Z").await;
    assert_eq!(old["total"], 0);
}

#[tokio::test]
async fn big_screens_get_incidents_stats_and_duty_live() {
    let s = TestServer::start().await;
    let disp = s.login("dispatcher").await;
    let screen = s.login("screen").await;
    add_user(&s, "screen12", UserRole::Viewer, "12", None).await;
    let screen12 = s.login("screen12").await;
    let mut ws = s.ws(&screen).await;
    ws.send(&json!({ "type": "subscribe", "area": "1", "layers": ["staff", "incidents", "alerts", "stats"] })).await;
    let snap = ws.next_of("snapshot").await;
    assert_eq!(snap["incidents"], json!([]));
    let stats = ws.next_of("stats").await;
    assert_eq!(
        (stats["area"].as_str(), stats["stats"]["total"].as_u64()),
        (Some("1"), Some(0))
    );
    let mut ws12 = s.ws(&screen12).await;
    ws12.send(&json!({ "type": "subscribe", "area": "12", "layers": ["incidents"] }))
        .await;
    ws12.next_of("snapshot").await;

    let (_, inc) = report(&s, &disp, "0101", IN_11_1).await;
    let id = inc["id"].as_str().unwrap().to_owned();
    let pushed = ws.next_of("incident").await;
    assert_eq!(
        (
            pushed["incident"]["id"].as_str(),
            pushed["incident"]["state"].as_str()
        ),
        (Some(id.as_str()), Some("reported"))
    );
    let stats = ws.next_of("stats").await;
    assert_eq!(stats["stats"]["total"], 1);

    ok(&s, &disp, &id, json!({ "action": "accept" })).await;
    ok(
        &s,
        &disp,
        &id,
        json!({ "action": "dispatch", "staff_id": "S1" }),
    )
    .await;
    // The staff marker turns busy and the incident moves, live.
    let mut saw_busy = false;
    let mut saw_dispatch = false;
    while !(saw_busy && saw_dispatch) {
        let m = ws.next_json().await;
        if m["type"] == "staff_update" && m["staff"]["id"] == "S1" {
            saw_busy |= m["staff"]["duty"] == "busy";
        }
        if m["type"] == "incident" && m["incident"]["state"] == "dispatched" {
            saw_dispatch = true;
        }
    }
    // A snapshot now carries the open incident.
    ws.send(&json!({ "type": "subscribe", "area": "11", "layers": ["incidents"] }))
        .await;
    let snap = ws.next_of("snapshot").await;
    assert_eq!(snap["incidents"][0]["id"], id.as_str());
    // District 12's screen heard nothing of district 11's incident: its
    // next message is the one about its own district.
    let (_, other) = report(&s, &disp, "0101", IN_12_1).await;
    let got = ws12.next_of("incident").await;
    assert_eq!(got["incident"]["id"], other["id"]);

    // A field client reports over /ws.
    let field = s.login("field").await;
    let mut fws = s.ws(&field).await;
    fws.send(&json!({ "type": "report", "id": "r1", "incident": { "category": "0203", "lon": IN_11_1.0, "lat": IN_11_1.1 } })).await;
    let r = fws.next_of("reported").await;
    assert_eq!(
        (r["id"].as_str(), r["incident"]["state"].as_str()),
        (Some("r1"), Some("reported"))
    );
    // Where they stand, in another grid too; never outside every grid.
    fws.send(&json!({ "type": "report", "id": "r2", "incident": { "category": "0203", "lon": IN_12_1.0, "lat": IN_12_1.1 } })).await;
    let r = fws.next_of("reported").await;
    assert_eq!(
        (r["id"].as_str(), r["incident"]["grid"].as_str()),
        (Some("r2"), Some(grid(12, 1).as_str()))
    );
    fws.send(&json!({ "type": "report", "id": "r3", "incident": { "category": "0203", "lon": 121.5, "lat": 29.5 } })).await;
    let e = fws.next_of("error").await;
    assert_eq!(
        (e["id"].as_str(), e["error"].as_str()),
        (Some("r3"), Some("bad_request"))
    );
}

/// A dictionary whose limits are seconds on the natural clock, so the
/// clock's alerts can be watched.
fn fast_config(dir: &std::path::Path) -> std::path::PathBuf {
    let mut cfg: Value =
        serde_json::from_str(riskmap::incident::dictionary::DEFAULT_CONFIG).unwrap();
    // 0101's accept step: 2 h × 0.002 = 14.4 s, yellow from 11.5 s: a
    // window of three clock turns (once a second), so a busy machine still
    // sees yellow before red.
    cfg["priorities"]["normal"] = json!({ "factor": 0.002, "clock": "natural" });
    let path = dir.join("incidents.json");
    std::fs::write(&path, cfg.to_string()).unwrap();
    path
}

#[tokio::test]
async fn warning_levels_change_and_are_pushed_as_alerts() {
    let (mut args, tmp) = common::test_args().await;
    args.incident_config = Some(fast_config(tmp.path()));
    let s = TestServer::start_with(args).await;
    let disp = s.login("dispatcher").await;
    let screen = s.login("screen").await;
    let mut ws = s.ws(&screen).await;
    ws.send(&json!({ "type": "subscribe", "area": "1", "layers": ["alerts"] }))
        .await;
    ws.next_of("snapshot").await;
    let (_, inc) = s
        .post(&disp, "/api/incidents", &json!({ "category": "0101", "lon": IN_11_1.0, "lat": IN_11_1.1, "priority": "normal" }))
        .await;
    let id = inc["id"].as_str().unwrap().to_owned();
    assert_eq!(inc["warning"], "green");
    let yellow = ws
        .next_of_within("alert", std::time::Duration::from_secs(30))
        .await;
    assert_eq!(
        (
            yellow["incident"].as_str(),
            yellow["level"].as_str(),
            yellow["previous"].as_str()
        ),
        (Some(id.as_str()), Some("yellow"), Some("green"))
    );
    let red = ws
        .next_of_within("alert", std::time::Duration::from_secs(30))
        .await;
    assert_eq!(
        (red["level"].as_str(), red["previous"].as_str()),
        (Some("red"), Some("yellow"))
    );
    let (_, overdue) = s.get(&disp, "/api/incidents?warning=red").await;
    assert_eq!(overdue["total"], 1);
    let (_, st) = s.get(&disp, "/api/incidents/stats").await;
    assert_eq!(st["overdue"], 1);
    // Acting starts the next step's clock: green again.
    let v = ok(&s, &disp, &id, json!({ "action": "accept" })).await;
    assert_eq!(v["warning"], "green");
    drop(tmp);
}

#[tokio::test]
async fn incidents_and_their_logs_survive_a_restart() {
    let mut s = TestServer::start().await;
    let disp = s.login("dispatcher").await;
    let (_, a) = report(&s, &disp, "0101", IN_11_1).await;
    let id = a["id"].as_str().unwrap().to_owned();
    ok(&s, &disp, &id, json!({ "action": "accept" })).await;
    let before = ok(
        &s,
        &disp,
        &id,
        json!({ "action": "dispatch", "staff_id": "S1" }),
    )
    .await;
    s.restart().await;
    let disp = s.login("dispatcher").await;
    let (status, after) = s.get(&disp, &format!("/api/incidents/{id}")).await;
    assert_eq!(status, 200);
    for key in [
        "state",
        "assignee_staff",
        "version",
        "grid",
        "step_started_ms",
        "deadline_ms",
        "created_ms",
    ] {
        assert_eq!(after[key], before[key], "{key}");
    }
    assert_eq!(
        duty(&s, &disp, "S1").await,
        "busy",
        "the duty change was committed with the transition"
    );
    let (_, log) = s.get(&disp, &format!("/api/incidents/{id}/log")).await;
    assert_eq!(log["log"].as_array().unwrap().len(), 3);
    // Serial numbers continue.
    let (_, b) = report(&s, &disp, "0101", IN_12_1).await;
    let (n_a, n_b): (u64, u64) = (
        id[10..].parse().unwrap(),
        b["id"].as_str().unwrap()[10..].parse().unwrap(),
    );
    assert_eq!(n_b, n_a + 1);
}

#[tokio::test]
async fn incidents_are_an_ogc_collection_scoped_like_everything_else() {
    let s = TestServer::start().await;
    let disp = s.login("dispatcher").await;
    let district = s.login("district").await;
    let (_, a) = report(&s, &disp, "0101", IN_11_1).await;
    let (_, b) = report(&s, &disp, "0101", IN_12_1).await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let ids = |fc: &Value| -> Vec<String> {
        fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, fc) = s.get(&disp, "/ogc/collections/incidents/items").await;
    assert_eq!(status, 200);
    let mut all = ids(&fc);
    all.sort();
    assert_eq!(all, [a, b]);
    let (_, fc) = s.get(&district, "/ogc/collections/incidents/items").await;
    assert_eq!(ids(&fc), [a]);
    let f = &fc["features"][0];
    assert_eq!(f["geometry"]["coordinates"], json!([IN_11_1.0, IN_11_1.1]));
    assert_eq!(f["properties"]["state"], "reported");
    let (_, fc) = s
        .get(
            &disp,
            "/ogc/collections/incidents/items?bbox=120.1,28.0,120.2,28.1",
        )
        .await;
    assert_eq!(ids(&fc), [b]);
    let (_, fc) = s
        .get(
            &disp,
            "/ogc/collections/incidents/items?datetime=2020-01-01T00:00:00Z/2020-12-31T00:00:00Z",
        )
        .await;
    assert_eq!(fc["numberMatched"], 0);
    assert_eq!(
        s.get(&disp, &format!("/ogc/collections/incidents/items/{a}"))
            .await
            .0,
        200
    );
    assert_eq!(
        s.get(&district, &format!("/ogc/collections/incidents/items/{b}"))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn the_demo_simulator_raises_incidents_and_walks_them_through_the_loop() {
    let (mut args, _tmp) = common::test_args().await;
    args.no_simulator = false;
    args.sim_incident_every_s = 1;
    let s = TestServer::start_with(args).await;
    let disp = s.login("dispatcher").await;
    let mut list = Value::Null;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        list = s.get(&disp, "/api/incidents?limit=1000").await.1;
        if list["total"].as_u64().unwrap_or(0) >= 40 {
            break;
        }
    }
    assert!(
        list["total"].as_u64().unwrap() >= 40,
        "the seed raises 40: {}",
        list["total"]
    );
    let states: std::collections::BTreeSet<&str> = list["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["state"].as_str().unwrap())
        .collect();
    assert!(
        states.len() >= 4,
        "incidents are spread along the loop: {states:?}"
    );
    // Every one of them went through the same checks and left a log.
    let moved = list["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["version"].as_i64().unwrap() > 2)
        .unwrap();
    // The simulator keeps moving incidents (every second here), so the log is
    // compared with the version read just before and just after it: only a
    // read that nothing moved under says the two must agree.
    let id = moved["id"].as_str().unwrap();
    let version = |v: &Value| v["version"].as_i64().unwrap();
    let mut quiet = None;
    for _ in 0..20 {
        let before = version(&s.get(&disp, &format!("/api/incidents/{id}")).await.1);
        let (_, log) = s.get(&disp, &format!("/api/incidents/{id}/log")).await;
        let after = version(&s.get(&disp, &format!("/api/incidents/{id}")).await.1);
        if before == after {
            quiet = Some((after, log["log"].as_array().unwrap().clone()));
            break;
        }
    }
    let (version, log) = quiet.expect("a log read that no transition overtook");
    assert_eq!(log.len() as i64, version);
    let seqs: Vec<i64> = log.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=version).collect::<Vec<_>>(), "{log:?}");
    assert!(log.iter().all(|e| e["actor"] == "simulator"));
    // Staff are dispatched to, but never S1: the demo `field` login is a
    // person, whose tasks come from dispatchers.
    let assignees: std::collections::BTreeSet<&str> = list["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["assignee_staff"].as_str())
        .collect();
    assert!(!assignees.is_empty(), "the simulator dispatches to staff");
    assert!(!assignees.contains("S1"), "{assignees:?}");
}

#[tokio::test]
async fn a_whole_history_list_waits_for_a_turn_while_the_open_lists_and_fixes_go_on() {
    // An administrator's search through every incident ever reported walks a
    // city's history (tens of milliseconds a year): made in a heavy answer's
    // turn, not on an async worker the fixes need. The screens' lists of open
    // incidents, a field user's and a day's reports are read at once.
    let s = TestServer::start().await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await;
    let id = |v: Value| v["id"].as_str().unwrap().to_owned();
    let running = id(report(&s, &disp, "0101", IN_11_1).await.1);
    let rejected = id(report(&s, &disp, "0201", IN_11_1).await.1);
    walk(
        &s,
        &rejected,
        &[(
            disp.as_str(),
            json!({ "action": "reject", "comment": "重复" }),
        )],
    )
    .await;
    let now = chrono::Utc::now().timestamp_millis();
    let turns = common::locks::every_turn(&s.server().app.heavy_queries).await;
    let history = [
        s.get_later(&disp, "/api/incidents"),
        s.get_later(&disp, "/api/incidents?open=false"),
        s.get_later(
            &disp,
            &format!("/api/incidents?from={}", now - 365 * 86_400_000),
        ),
    ];
    let at_once = [
        s.get_later(&disp, "/api/incidents?state=reported,accepted"),
        s.get_later(&disp, &format!("/api/incidents?from={}", now - 3_600_000)),
        s.get_later(
            &field,
            "/api/incidents?mine=true&state=handled,verified,closed",
        ),
    ];
    s.others_go_on(&field, &disp).await;
    assert!(at_once.iter().all(tokio::task::JoinHandle::is_finished));
    assert!(
        history.iter().all(|h| !h.is_finished()),
        "a walk of the history waited for a turn"
    );
    let [waiting, today, mine] = at_once;
    let ids = |list: &Value| -> Vec<String> {
        let rows = list["incidents"].as_array().unwrap();
        assert_eq!(list["total"], rows.len(), "{list}");
        rows.iter().map(|i| id(i.clone())).collect()
    };
    assert_eq!(
        ids(&TestServer::json_later(waiting).await),
        [running.as_str()]
    );
    let today = TestServer::json_later(today).await;
    assert_eq!(ids(&today), [rejected.as_str(), running.as_str()]);
    assert!(ids(&TestServer::json_later(mine).await).is_empty());
    drop(turns);
    let [all, finished, year] = history;
    let all = TestServer::json_later(all).await;
    assert_eq!(
        ids(&all),
        [rejected.as_str(), running.as_str()],
        "newest first"
    );
    assert_eq!(all["incidents"][0]["state"], "rejected", "{all}");
    assert_eq!(
        ids(&TestServer::json_later(finished).await),
        [rejected.as_str()]
    );
    assert_eq!(ids(&TestServer::json_later(year).await), ids(&today));
}
