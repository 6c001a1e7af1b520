//! The incident closed loop end to end, on the real server over the test
//! city, on SQLite — and on PostGIS when `RISKMAP_TEST_DATABASE_URL` is set
//! (scripts/test.sh runs both): every transition, every role and area rule,
//! dispatch with duty changes, duplicates and bad input. What the desk shows
//! and keeps (statistics, pushes, alerts, restarts) is in
//! `incident_views.rs`.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use riskmap_tests as common;

use common::incidents::{IN_11_1, IN_12_1, act, add_user, duty, ok, report, strs};
use common::{TestServer, grid};
use riskmap::identity::UserRole;
use serde_json::{Value, json};

#[tokio::test]
async fn the_whole_loop_with_rework_extension_and_every_log_entry() {
    let s = TestServer::start().await;
    let field = s.login("field").await; // S1, grid 11-1
    let disp = s.login("dispatcher").await; // city
    let boss = s.login("commander").await; // city
    let mut field_ws = s.ws(&field).await;

    // 上报: the engine finds the grid.
    let (status, inc) = report(&s, &field, "0101", IN_11_1).await;
    assert_eq!(status, 201, "{inc}");
    let id = inc["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("SJ") && id.len() == 16, "{id}");
    assert_eq!(inc["state"], "reported");
    assert_eq!(inc["grid"], grid(11, 1));
    assert_eq!(inc["area"], grid(11, 1));
    assert_eq!(inc["source"], "patrol", "a field user's default source");
    assert_eq!(inc["reporter_staff"], "S1");
    assert_eq!(inc["department"], "司法所");
    assert_eq!(inc["step"], "accept");
    assert_eq!(inc["warning"], "green");
    // Urgent halves the 2 h accept limit of 0101.
    assert_eq!(inc["step_limit_hours"], 1.0);
    assert_eq!(inc["limit_hours"], 24.0);

    // An action the state does not allow: 409 with what is allowed.
    let (status, err) = act(&s, &disp, &id, json!({ "action": "close" })).await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["state"], "reported");
    assert_eq!(
        strs(&err["allowed"]),
        // The city's dispatcher sits above the street that owns it: it may
        // also supervise (督办).
        [
            "accept",
            "reject",
            "merge",
            "escalate",
            "transfer",
            "supervise"
        ]
    );

    // 受理, then the candidates: same grid first, with the category's skill.
    ok(&s, &disp, &id, json!({ "action": "accept" })).await;
    let (status, cands) = s
        .get(&disp, &format!("/api/incidents/{id}/candidates"))
        .await;
    assert_eq!(status, 200, "{cands}");
    assert_eq!(cands["skill"], "mediation");
    let first = &cands["staff"][0];
    assert_eq!(
        (first["id"].as_str(), first["same_grid"].as_bool()),
        (Some("S1"), Some(true))
    );
    assert!(first["distance_m"].as_f64().unwrap() < 200.0);
    assert!(
        strs(&json!(
            cands["staff"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].clone())
                .collect::<Vec<_>>()
        ))
        .iter()
        .all(|s| *s == "S1" || *s == "S4"),
        "only staff with mediation: {cands}"
    );

    // 派遣 to S1: busy, and the task reaches S1's connection at once.
    let v = ok(
        &s,
        &disp,
        &id,
        json!({ "action": "dispatch", "staff_id": "S1", "comment": "请处理" }),
    )
    .await;
    assert_eq!(
        (v["state"].as_str(), v["assignee_staff"].as_str()),
        (Some("dispatched"), Some("S1"))
    );
    assert_eq!(duty(&s, &disp, "S1").await, "busy");
    let task = field_ws.next_of("task").await;
    assert_eq!(task["incident"]["id"], id.as_str());
    assert_eq!(task["incident"]["state"], "dispatched");
    let (_, mine) = s.get(&field, "/api/incidents?mine=true").await;
    assert_eq!(mine["total"], 1);

    // The dispatcher may not sign for S1; S1 signs, starts, asks for more
    // time; the commander approves.
    let (status, err) = act(&s, &disp, &id, json!({ "action": "sign" })).await;
    assert_eq!(status, 409);
    assert_eq!(
        strs(&err["allowed"]),
        ["return", "request_extension", "supervise"]
    );
    ok(&s, &field, &id, json!({ "action": "sign" })).await;
    ok(&s, &field, &id, json!({ "action": "start" })).await;
    let (status, err) = act(
        &s,
        &field,
        &id,
        json!({ "action": "request_extension", "comment": "需协调" }),
    )
    .await;
    assert_eq!(status, 400, "hours are required: {err}");
    let v = ok(
        &s,
        &field,
        &id,
        json!({ "action": "request_extension", "hours": 8, "comment": "需协调多方" }),
    )
    .await;
    assert_eq!(v["pending_extension"]["hours"], 8.0);
    let (status, _) = act(&s, &disp, &id, json!({ "action": "approve_extension" })).await;
    assert_eq!(status, 409, "only commanders approve");
    let v = ok(&s, &boss, &id, json!({ "action": "approve_extension" })).await;
    assert_eq!(v["extension_hours"], 8.0);
    assert_eq!(v["limit_hours"], 32.0);

    // 办结 frees S1; 核查不通过 sends it back to S1 (返工) and S1 is busy again.
    let v = ok(
        &s,
        &field,
        &id,
        json!({ "action": "handle", "comment": "已调解", "photos": ["photo://b.jpg"] }),
    )
    .await;
    assert_eq!(
        (v["state"].as_str(), v["on_time"].as_bool()),
        (Some("handled"), Some(true))
    );
    assert_eq!(duty(&s, &disp, "S1").await, "available");
    // 已办: the field page reads its finished tasks by state; `mine=true`
    // alone is the running ones.
    let (_, done) = s
        .get(
            &field,
            "/api/incidents?mine=true&state=handled,verified,closed",
        )
        .await;
    assert_eq!(
        (done["total"].as_u64(), done["incidents"][0]["id"].as_str()),
        (Some(1), Some(id.as_str())),
        "{done}"
    );
    assert_eq!(
        s.get(&field, "/api/incidents?mine=true").await.1["total"],
        0
    );
    let (status, _) = act(&s, &disp, &id, json!({ "action": "verify_fail" })).await;
    assert_eq!(status, 400, "a reason is required");
    let v = ok(
        &s,
        &disp,
        &id,
        json!({ "action": "verify_fail", "comment": "现场仍有杂物" }),
    )
    .await;
    assert_eq!(
        (v["state"].as_str(), v["rework_count"].as_u64()),
        (Some("dispatched"), Some(1))
    );
    assert_eq!(v["on_time"], Value::Null);
    assert_eq!(duty(&s, &disp, "S1").await, "busy");
    assert_eq!(
        field_ws.next_of("task").await["incident"]["rework_count"],
        1
    );
    ok(&s, &field, &id, json!({ "action": "sign" })).await;
    ok(
        &s,
        &field,
        &id,
        json!({ "action": "handle", "comment": "已清理" }),
    )
    .await;
    ok(&s, &disp, &id, json!({ "action": "verify" })).await;
    let v = ok(&s, &disp, &id, json!({ "action": "close" })).await;
    assert_eq!(
        (v["state"].as_str(), v["warning"].as_str()),
        (Some("closed"), Some("none"))
    );
    assert!(v["closed_ms"].as_i64().is_some());
    assert!(strs(&v["allowed"]).is_empty());

    // The flow log: every action, in order, with who, from and to.
    let (status, log) = s.get(&boss, &format!("/api/incidents/{id}/log")).await;
    assert_eq!(status, 200);
    let log = log["log"].as_array().unwrap();
    let steps: Vec<(String, Value, String, String)> = log
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["from"].clone(),
                e["to"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expect = [
        ("report", Value::Null, "reported", "field"),
        ("accept", json!("reported"), "accepted", "dispatcher"),
        ("dispatch", json!("accepted"), "dispatched", "dispatcher"),
        ("sign", json!("dispatched"), "signed", "field"),
        ("start", json!("signed"), "in_progress", "field"),
        (
            "request_extension",
            json!("in_progress"),
            "in_progress",
            "field",
        ),
        (
            "approve_extension",
            json!("in_progress"),
            "in_progress",
            "commander",
        ),
        ("handle", json!("in_progress"), "handled", "field"),
        ("verify_fail", json!("handled"), "dispatched", "dispatcher"),
        ("sign", json!("dispatched"), "signed", "field"),
        ("handle", json!("signed"), "handled", "field"),
        ("verify", json!("handled"), "verified", "dispatcher"),
        ("close", json!("verified"), "closed", "dispatcher"),
    ];
    assert_eq!(steps.len(), expect.len(), "{steps:?}");
    for (i, (got, want)) in steps.iter().zip(expect.iter().cloned()).enumerate() {
        assert_eq!(
            (got.0.as_str(), &got.1, got.2.as_str(), got.3.as_str()),
            (want.0, &want.1, want.2, want.3),
            "entry {i}"
        );
        assert_eq!(log[i]["seq"], i as i64 + 1);
    }
    assert_eq!(log[2]["detail"]["staff_id"], "S1");
    assert_eq!(log[7]["photos"], json!(["photo://b.jpg"]));
    assert_eq!(log[8]["comment"], "现场仍有杂物");

    // CSV export of the same log.
    let r = s
        .http
        .get(format!("{}/api/incidents/{id}/log?format=csv", s.base))
        .bearer_auth(&boss)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(
        lines[0],
        "incident,seq,at,action,from,to,actor,actor_role,actor_area,comment,photos,detail"
    );
    assert_eq!(lines.len(), expect.len() + 1);
    assert!(
        lines[3].starts_with(&format!("{id},3,"))
            && lines[3].contains(",dispatch,accepted,dispatched,dispatcher,")
    );
    // The period export holds it too, in JSON and CSV.
    let (status, all) = s.get(&boss, "/api/incidents/log").await;
    assert_eq!(status, 200);
    assert_eq!(all["log"].as_array().unwrap().len(), expect.len());
    let (status, _) = s.get(&boss, "/api/incidents/log?format=xml").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn reject_merge_return_escalate_deny_and_report_only() {
    let s = TestServer::start().await;
    let disp = s.login("dispatcher").await;
    let boss = s.login("commander").await;
    let field = s.login("field").await;

    // 不予受理 needs a reason and ends the incident.
    let (_, a) = report(&s, &disp, "0201", IN_11_1).await;
    let a = a["id"].as_str().unwrap().to_owned();
    assert_eq!(
        act(&s, &disp, &a, json!({ "action": "reject" })).await.0,
        400
    );
    let v = ok(
        &s,
        &disp,
        &a,
        json!({ "action": "reject", "comment": "不属于受理范围" }),
    )
    .await;
    assert_eq!(v["state"], "rejected");
    assert_eq!(
        act(&s, &disp, &a, json!({ "action": "accept" })).await.0,
        409
    );

    // 合并: a second report of the same kind nearby is flagged, then merged.
    let (_, b) = report(&s, &disp, "0301", IN_11_1).await;
    let b = b["id"].as_str().unwrap().to_owned();
    let (_, c) = report(&s, &disp, "0301", (IN_11_1.0 + 0.0005, IN_11_1.1)).await;
    assert_eq!(c["possible_duplicate_of"], b.as_str(), "{c}");
    let c = c["id"].as_str().unwrap().to_owned();
    // Another category, or far away: no flag.
    let (_, d) = report(&s, &disp, "0302", IN_11_1).await;
    assert_eq!(d["possible_duplicate_of"], Value::Null);
    let (_, far) = report(&s, &disp, "0301", IN_12_1).await;
    assert_eq!(far["possible_duplicate_of"], Value::Null);
    assert_eq!(
        act(&s, &disp, &c, json!({ "action": "merge", "into": &c }))
            .await
            .0,
        400
    );
    assert_eq!(
        act(
            &s,
            &disp,
            &c,
            json!({ "action": "merge", "into": "SJ00000000000000" })
        )
        .await
        .0,
        404
    );
    let v = ok(&s, &disp, &c, json!({ "action": "merge", "into": &b })).await;
    assert_eq!(
        (v["state"].as_str(), v["merged_into"].as_str()),
        (Some("merged"), Some(b.as_str()))
    );

    // 回退: the assignee returns it with a reason; it is free again.
    ok(&s, &disp, &b, json!({ "action": "accept" })).await;
    ok(
        &s,
        &disp,
        &b,
        json!({ "action": "dispatch", "staff_id": "S1" }),
    )
    .await;
    assert_eq!(duty(&s, &disp, "S1").await, "busy");
    assert_eq!(
        act(&s, &field, &b, json!({ "action": "return" })).await.0,
        400
    );
    let v = ok(
        &s,
        &field,
        &b,
        json!({ "action": "return", "comment": "非本人职责" }),
    )
    .await;
    assert_eq!(v["state"], "accepted");
    assert_eq!(v["assignee_staff"], Value::Null);
    assert_eq!(duty(&s, &disp, "S1").await, "available");

    // A department assignment: the managers sign for it.
    let v = ok(
        &s,
        &disp,
        &b,
        json!({ "action": "dispatch", "department": "1-xf" }),
    )
    .await;
    assert_eq!(v["assignee_department"], "1-xf");
    assert_eq!(v["assignee_department_name"], "测试市消防救援大队");
    assert_eq!(
        strs(&v["allowed"]),
        ["sign", "return", "request_extension", "supervise"]
    );
    ok(&s, &disp, &b, json!({ "action": "sign" })).await;
    // 延期 denied.
    ok(
        &s,
        &disp,
        &b,
        json!({ "action": "request_extension", "hours": 4, "comment": "等待配件" }),
    )
    .await;
    let v = ok(
        &s,
        &boss,
        &b,
        json!({ "action": "deny_extension", "comment": "不予延期" }),
    )
    .await;
    assert_eq!(
        (
            v["pending_extension"].clone(),
            v["extension_hours"].as_f64()
        ),
        (Value::Null, Some(0.0))
    );

    // 上报上级 climbs the chain of command centres (三级联动): a grid's
    // incident is its street's, so it goes to the district, then the city.
    let (_, e) = report(&s, &disp, "0102", IN_11_1).await;
    let e = e["id"].as_str().unwrap().to_owned();
    for area in ["11", "1"] {
        let v = ok(
            &s,
            &boss,
            &e,
            json!({ "action": "escalate", "comment": "需上级协调" }),
        )
        .await;
        assert_eq!(v["area"], area);
        assert_eq!(v["state"], "reported");
    }
    let (status, err) = act(&s, &boss, &e, json!({ "action": "escalate" })).await;
    assert_eq!(status, 409, "the city has no parent: {err}");

    // 事件报备: recorded and closed at once.
    let (status, f) = s
        .post(
            &field,
            "/api/incidents",
            &json!({ "category": "0203", "lon": IN_11_1.0, "lat": IN_11_1.1, "report_only": true }),
        )
        .await;
    assert_eq!(status, 201, "{f}");
    assert_eq!(
        (f["state"].as_str(), f["report_only"].as_bool()),
        (Some("closed"), Some(true))
    );
    let (_, log) = s
        .get(
            &disp,
            &format!("/api/incidents/{}/log", f["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(log["log"][0]["action"], "file");
}

#[tokio::test]
async fn every_role_and_area_rule() {
    let s = TestServer::start().await;
    add_user(&s, "disp12", UserRole::Dispatcher, "12", None).await;
    add_user(&s, "field4", UserRole::Field, &grid(12, 1), Some("S4")).await;
    let disp = s.login("dispatcher").await; // city
    let district = s.login("district").await; // commander of 11
    let screen = s.login("screen").await; // viewer, city
    let field = s.login("field").await; // S1 in 11-1
    let disp12 = s.login("disp12").await;
    let field4 = s.login("field4").await;

    let (_, inc) = report(&s, &disp, "0101", IN_11_1).await;
    let id = inc["id"].as_str().unwrap().to_owned();

    // Seeing: 11's users and the city see it; 12's do not (404, nothing revealed).
    for t in [&disp, &district, &screen, &field] {
        assert_eq!(s.get(t, &format!("/api/incidents/{id}")).await.0, 200);
    }
    for t in [&disp12, &field4] {
        assert_eq!(s.get(t, &format!("/api/incidents/{id}")).await.0, 404);
        assert_eq!(act(&s, t, &id, json!({ "action": "accept" })).await.0, 404);
        assert_eq!(s.get(t, &format!("/api/incidents/{id}/log")).await.0, 404);
        assert_eq!(
            s.get(t, &format!("/api/incidents/{id}/candidates")).await.0,
            404
        );
        let (_, list) = s.get(t, "/api/incidents").await;
        assert_eq!(list["total"], 0, "{list}");
    }
    // Reporting: viewers never; office users not outside their area (a
    // field worker reports where they stand: see the next test).
    assert_eq!(report(&s, &screen, "0101", IN_11_1).await.0, 403);
    assert_eq!(report(&s, &disp12, "0101", IN_11_1).await.0, 403);
    assert_eq!(
        report(&s, &disp, "0101", (121.5, 29.5)).await.0,
        400,
        "outside every grid"
    );

    // Acting: a viewer and a field user who is not the assignee may do
    // nothing, and are told so (409 with an empty allowed list).
    for t in [&screen, &field] {
        let (status, err) = act(&s, t, &id, json!({ "action": "accept" })).await;
        assert_eq!(status, 409, "{err}");
        assert!(strs(&err["allowed"]).is_empty());
    }
    // The district commander manages grid 11-1.
    ok(&s, &district, &id, json!({ "action": "accept" })).await;
    // Dispatching to someone outside one's own area is refused.
    assert_eq!(
        act(
            &s,
            &district,
            &id,
            json!({ "action": "dispatch", "staff_id": "S4" })
        )
        .await
        .0,
        403
    );
    assert_eq!(
        act(
            &s,
            &district,
            &id,
            json!({ "action": "dispatch", "staff_id": "S99" })
        )
        .await
        .0,
        400
    );
    // After escalation past the district, the district sees but no longer acts.
    for _ in 0..2 {
        ok(
            &s,
            &disp,
            &id,
            json!({ "action": "escalate", "comment": "上报" }),
        )
        .await;
    }
    let (status, v) = s.get(&district, &format!("/api/incidents/{id}")).await;
    assert_eq!((status, v["area"].as_str()), (200, Some("1")));
    assert!(strs(&v["allowed"]).is_empty());
    let (status, err) = act(
        &s,
        &district,
        &id,
        json!({ "action": "dispatch", "staff_id": "S1" }),
    )
    .await;
    assert_eq!(status, 409);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("outside your area"),
        "{err}"
    );
    // The city dispatcher takes it on; S4 (district 12) may now be sent,
    // and S4's field user then sees and works it.
    ok(
        &s,
        &disp,
        &id,
        json!({ "action": "dispatch", "staff_id": "S4" }),
    )
    .await;
    assert_eq!(s.get(&field4, &format!("/api/incidents/{id}")).await.0, 200);
    let (_, mine) = s.get(&field4, "/api/incidents?mine=true").await;
    assert_eq!(mine["total"], 1);
    assert_eq!(
        act(&s, &field, &id, json!({ "action": "sign" })).await.0,
        409,
        "S1 is not the assignee"
    );
    ok(&s, &field4, &id, json!({ "action": "sign" })).await;
    // Field users never verify or close.
    ok(
        &s,
        &field4,
        &id,
        json!({ "action": "handle", "comment": "ok" }),
    )
    .await;
    assert_eq!(
        act(&s, &field4, &id, json!({ "action": "verify" })).await.0,
        409
    );

    // Statistics follow the same scopes.
    let (_, st) = s.get(&disp12, "/api/incidents/stats").await;
    assert_eq!(st["total"], 0);
    let (_, st) = s.get(&district, "/api/incidents/stats").await;
    assert_eq!(
        (st["total"].as_u64(), st["area"].as_str()),
        (Some(1), Some("11"))
    );
    assert_eq!(s.get(&disp12, "/api/incidents/stats?area=11").await.0, 404);
    assert_eq!(s.get(&disp12, "/api/incidents/log?area=11").await.0, 404);
}

#[tokio::test]
async fn a_field_worker_reports_where_they_stand_in_any_grid() {
    let s = TestServer::start().await;
    add_user(&s, "disp12", UserRole::Dispatcher, "12", None).await;
    let field = s.login("field").await; // S1 in 11-1
    let disp12 = s.login("disp12").await;
    // Outside their own grid, inside another: filed in the grid it falls in,
    // and that area's managers see it.
    let (status, inc) = report(&s, &field, "0101", IN_12_1).await;
    assert_eq!(status, 201, "{inc}");
    assert_eq!(inc["grid"].as_str(), Some(grid(12, 1).as_str()), "{inc}");
    let id = inc["id"].as_str().unwrap();
    assert_eq!(s.get(&disp12, &format!("/api/incidents/{id}")).await.0, 200);
    // Outside every grid: still refused, and said so.
    let (status, err) = report(&s, &field, "0101", (121.5, 29.5)).await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["error"].as_str(), Some("bad_request"), "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("no grid"),
        "{err}"
    );
}

#[tokio::test]
async fn bad_input_gets_a_clear_error() {
    let s = TestServer::start().await;
    let disp = s.login("dispatcher").await;
    let (status, err) = report(&s, &disp, "9999", IN_11_1).await;
    assert_eq!(status, 400);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("unknown category"),
        "{err}"
    );
    let (status, _) = s
        .post(
            &disp,
            "/api/incidents",
            &json!({ "category": "0101", "lon": 120.02, "lat": 95.0 }),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = s
        .post(
            &disp,
            "/api/incidents",
            &json!({ "category": "0101", "lon": 120.02, "lat": 28.05, "colour": "red" }),
        )
        .await;
    assert_eq!(status, 400, "unknown fields are refused");
    let (status, _) = s
        .post(
            &disp,
            "/api/incidents",
            &json!({ "category": "0101", "lon": 120.02, "lat": 28.05, "priority": "whenever" }),
        )
        .await;
    assert_eq!(status, 400);
    let long = "字".repeat(4_001);
    let (status, _) = s
        .post(
            &disp,
            "/api/incidents",
            &json!({ "category": "0101", "lon": 120.02, "lat": 28.05, "description": long }),
        )
        .await;
    assert_eq!(status, 400);
    let (_, inc) = report(&s, &disp, "0101", IN_11_1).await;
    let id = inc["id"].as_str().unwrap();
    assert_eq!(
        act(&s, &disp, id, json!({ "action": "teleport" })).await.0,
        400
    );
    let (status, err) = act(&s, &disp, id, json!({ "action": "accept", "version": 99 })).await;
    assert_eq!(status, 409);
    assert!(err["message"].as_str().unwrap().contains("version"));
    assert_eq!(
        act(&s, &disp, "SJ20990101000001", json!({ "action": "accept" }))
            .await
            .0,
        404
    );
    assert_eq!(s.get(&disp, "/api/incidents?state=lost").await.0, 400);
    assert_eq!(s.get(&disp, "/api/incidents?limit=0").await.0, 400);
    assert_eq!(
        s.get(&disp, "/api/incidents?mine=true").await.0,
        400,
        "the dispatcher is no staff member"
    );
    // The dictionary is served.
    let (status, cats) = s.get(&disp, "/api/incidents/categories").await;
    assert_eq!(status, 200);
    assert_eq!(cats["categories"][0]["code"], "01");
    assert_eq!(cats["calendar"]["utc_offset_minutes"], 480);
}
