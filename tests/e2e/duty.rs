//! 上岗/离岗 and the age of a position: staff check in and out (their own
//! phone, with where they stand, or a dispatcher for them), every answer
//! names each candidate's fix age, and staff not heard from for
//! `--stale-after-s` drop out of dispatch until a fresh fix, unless asked
//! for.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use riskmap_tests as common;

use common::incidents::IN_11_1;
use common::locks::{Busy, watchdog};
use common::{TestServer, test_args};
use serde_json::{Value, json};

fn ids(answer: &Value) -> Vec<String> {
    answer["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

fn candidate<'a>(answer: &'a Value, id: &str) -> &'a Value {
    answer["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

/// The test city's fixes are dated 2026-01-01: with the default ten
/// minutes, every one of its staff is stale until they report again.
#[tokio::test]
async fn stale_staff_leave_dispatch_and_come_back_with_a_fresh_fix() {
    let (mut args, tmp) = test_args().await;
    args.stale_after_s = 600;
    let s = TestServer::start_in(args, tmp).await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await; // S1
    let near = "/api/dispatch/nearest?lon=120.02&lat=28.05&k=5&available=false";
    // Clients are told the threshold in the socket's first message.
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{}/ws?token={disp}", s.ws_base))
        .await
        .unwrap();
    let hello = match futures_util::StreamExt::next(&mut ws).await {
        Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => {
            serde_json::from_str::<Value>(&t).unwrap()
        }
        other => panic!("no hello: {other:?}"),
    };
    assert_eq!(
        (hello["type"].as_str(), hello["stale_after_s"].as_i64()),
        (Some("hello"), Some(600))
    );

    let (status, answer) = s.get(&disp, near).await;
    assert_eq!(status, 200, "{answer}");
    assert!(ids(&answer).is_empty(), "everyone is stale: {answer}");
    let (_, answer) = s.get(&disp, &format!("{near}&include_stale=true")).await;
    assert_eq!(ids(&answer).len(), 5, "{answer}");
    for c in answer["candidates"].as_array().unwrap() {
        assert_eq!(c["stale"], true, "{c}");
        assert!(c["fix_age_s"].as_i64().unwrap() > 600, "{c}");
    }

    // S1 reports: back in dispatch, its age a few seconds at most.
    let (status, b) = s
        .post(
            &field,
            "/api/fixes",
            &json!({ "fixes": [{ "lon": 120.021, "lat": 28.05 }] }),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    let (_, answer) = s.get(&disp, near).await;
    assert_eq!(ids(&answer), ["S1"], "{answer}");
    let s1 = candidate(&answer, "S1");
    assert_eq!(s1["stale"], false);
    assert!(s1["fix_age_s"].as_i64().unwrap() <= 5, "{s1}");
    // The same over the batch endpoint and an incident's candidates.
    let (status, batch) = s
        .post(
            &disp,
            "/api/dispatch/batch",
            &json!({ "queries": [
                { "query": "nearest", "params": { "lon": 120.02, "lat": 28.05, "available": false } },
                { "query": "nearest", "params": { "lon": 120.02, "lat": 28.05, "available": false, "include_stale": true } },
            ] }),
        )
        .await;
    assert_eq!(status, 200, "{batch}");
    assert_eq!(ids(&batch["results"][0]["data"]), ["S1"], "{batch}");
    assert_eq!(ids(&batch["results"][1]["data"]).len(), 5, "{batch}");
    let (status, inc) = s
        .post(
            &field,
            "/api/incidents",
            &json!({ "category": "0101", "lon": IN_11_1.0, "lat": IN_11_1.1, "description": "纠纷" }),
        )
        .await;
    assert_eq!(status, 201, "{inc}");
    let id = inc["id"].as_str().unwrap();
    let (_, cands) = s
        .get(&disp, &format!("/api/incidents/{id}/candidates"))
        .await;
    let staff: Vec<&str> = cands["staff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(staff, ["S1"], "S4 has the skill but is stale: {cands}");
    let (_, cands) = s
        .get(
            &disp,
            &format!("/api/incidents/{id}/candidates?include_stale=true"),
        )
        .await;
    assert!(cands["staff"].as_array().unwrap().len() > 1, "{cands}");
}

/// Checking in and out: one's own with a position, a dispatcher for the
/// members of their area; live on `/ws`, out of dispatch, kept over a
/// restart; every refusal with its reason.
#[tokio::test]
async fn staff_check_in_and_out() {
    let mut s = TestServer::start().await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await; // S1, district 11
    let district = s.login("district").await; // commander of district 11
    let screen = s.login("screen").await;
    let mut watch = s.watch(&screen, "1", &["staff"]).await;

    // Off duty: out of dispatch (available only), pushed to viewers.
    let (status, b) = s
        .post(&field, "/api/staff/S1/duty", &json!({ "duty": "off" }))
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b, json!({ "staff_id": "S1", "duty": "off" }));
    let update = watch.next_of("staff_update").await;
    assert_eq!(
        (
            update["staff"]["id"].as_str(),
            update["staff"]["duty"].as_str()
        ),
        (Some("S1"), Some("off"))
    );
    let (_, answer) = s
        .get(&disp, "/api/dispatch/nearest?lon=120.02&lat=28.05&k=5")
        .await;
    assert!(!ids(&answer).contains(&"S1".to_owned()), "{answer}");

    // On duty where they stand: the position is recorded with it.
    let (status, b) = s
        .post(
            &field,
            "/api/staff/S1/duty",
            &json!({ "duty": "available", "position": { "lon": 120.025, "lat": 28.051, "accuracy": 8.0 } }),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    let (_, me) = s.get(&disp, "/api/staff/S1").await;
    assert_eq!(me["duty"], "available", "{me}");
    assert!((me["lon"].as_f64().unwrap() - 120.025).abs() < 1e-9, "{me}");
    let (_, answer) = s
        .get(&disp, "/api/dispatch/nearest?lon=120.025&lat=28.051&k=1")
        .await;
    assert_eq!(ids(&answer), ["S1"], "{answer}");

    // A dispatcher checks a member of the area out; a district's commander
    // cannot reach another district's; a big screen changes nothing.
    let (status, b) = s
        .post(&disp, "/api/staff/S4/duty", &json!({ "duty": "off" }))
        .await;
    assert_eq!(status, 200, "{b}");
    let (status, b) = s
        .post(
            &district,
            "/api/staff/S4/duty",
            &json!({ "duty": "available" }),
        )
        .await;
    assert_eq!(status, 404, "S4 is in district 12: {b}");
    let (status, b) = s
        .post(&district, "/api/staff/S2/duty", &json!({ "duty": "off" }))
        .await;
    assert_eq!(status, 200, "{b}");
    let (status, _) = s
        .post(
            &screen,
            "/api/staff/S2/duty",
            &json!({ "duty": "available" }),
        )
        .await;
    assert_eq!(status, 403);
    // Refusals: someone else's phone, a position for someone else, a
    // status that is not a check-in, nobody, malformed.
    let (status, b) = s
        .post(
            &field,
            "/api/staff/S2/duty",
            &json!({ "duty": "available" }),
        )
        .await;
    assert_eq!(status, 403, "{b}");
    let (status, b) = s
        .post(
            &disp,
            "/api/staff/S2/duty",
            &json!({ "duty": "available", "position": { "lon": 120.0, "lat": 28.0 } }),
        )
        .await;
    assert_eq!(status, 403, "{b}");
    for duty in ["busy", "sos"] {
        let (status, b) = s
            .post(&disp, "/api/staff/S2/duty", &json!({ "duty": duty }))
            .await;
        assert_eq!(status, 400, "{duty}: {b}");
    }
    let (status, _) = s
        .post(&disp, "/api/staff/S99/duty", &json!({ "duty": "off" }))
        .await;
    assert_eq!(status, 404);
    let (status, _) = s
        .post(
            &disp,
            "/api/staff/S2/duty",
            &json!({ "duty": "off", "colour": 1 }),
        )
        .await;
    assert_eq!(status, 400);
    let (status, b) = s
        .post(
            &field,
            "/api/staff/S1/duty",
            &json!({ "duty": "off", "position": { "lon": 500.0, "lat": 28.0 } }),
        )
        .await;
    assert_eq!(status, 400, "a bad position changes nothing: {b}");
    let (_, me) = s.get(&disp, "/api/staff/S1").await;
    assert_eq!(me["duty"], "available", "{me}");

    // Busy with a task: the incident owns the status.
    let (_, inc) = s
        .post(
            &field,
            "/api/incidents",
            &json!({ "category": "0101", "lon": IN_11_1.0, "lat": IN_11_1.1, "description": "纠纷" }),
        )
        .await;
    let id = inc["id"].as_str().unwrap().to_owned();
    for body in [
        json!({ "action": "accept" }),
        json!({ "action": "dispatch", "staff_id": "S1" }),
    ] {
        let (status, b) = s
            .post(&disp, &format!("/api/incidents/{id}/actions"), &body)
            .await;
        assert_eq!(status, 200, "{body}: {b}");
    }
    let (_, before) = s.get(&disp, "/api/staff/S1").await;
    let (status, b) = s
        .post(
            &field,
            "/api/staff/S1/duty",
            &json!({ "duty": "off", "position": { "lon": 120.03, "lat": 28.052 } }),
        )
        .await;
    assert_eq!((status, b["state"].as_str()), (409, Some("busy")), "{b}");
    let (_, after) = s.get(&disp, "/api/staff/S1").await;
    assert_eq!(after["lon"], before["lon"], "a refusal records nothing");

    // Kept over a restart.
    s.restart().await;
    let disp = s.login("dispatcher").await;
    for (who, duty) in [("S1", "busy"), ("S2", "off"), ("S4", "off")] {
        let (_, m) = s.get(&disp, &format!("/api/staff/{who}")).await;
        assert_eq!(m["duty"], duty, "{who}: {m}");
    }
}

/// The engine's lock is fair: a reader waits behind a writer that waits.
/// A request that read-locks the engine and, holding it, read-locks it
/// again deadlocks as soon as a fix batch (a writer) queues between the
/// two, and every request after them hangs for good. Here a writer takes
/// the lock all the time while the requests run; a deadlock cannot be
/// undone, so a watchdog ends the test process with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_takes_the_engines_read_lock_twice() {
    let s = TestServer::start().await;
    let (disp, admin) = (s.login("dispatcher").await, s.login("admin").await);
    let app = s.server().app.clone();
    let mut busy = Busy::default();
    busy.spin(move |_| drop(app.engine.write()));
    let done = watchdog("no_request_takes_the_engines_read_lock_twice");
    for i in 0..40 {
        // A dispatcher checks a member of their area out and in
        // (App::member_for), and the administrator lists the logins of
        // their area (App::accounts).
        let duty = if i % 2 == 0 { "off" } else { "available" };
        let (status, body) = s
            .post(&disp, "/api/staff/S2/duty", &json!({ "duty": duty }))
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = s.get(&admin, "/api/users").await;
        assert_eq!(status, 200, "{body}");
    }
    busy.stop();
    done.send(()).unwrap();
}

/// An administrator changing a login that belongs to a department checks
/// the department against the login's area (`App::check_department`); every
/// incident view (a `/ws` snapshot, the incident list, a change pushed)
/// reads the engine and then the departments. Taken the other way round —
/// the departments and then the engine — the four wait on each other once
/// a fix batch queues for the engine and a departments save for the
/// departments, and the server hangs for good. Here writers take both locks
/// without pause while a reader takes them in the views' order and the
/// administrator changes the login; a watchdog fails the process on a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logins_department_check_takes_the_engines_lock_before_the_departments() {
    use riskmap::event::DomainEvent;
    let s = TestServer::start().await;
    let admin = s.login("admin").await;
    let dept =
        json!({ "code": "11-zhzx", "name": "一区社会治理中心", "kind": "综治中心", "area": "11" });
    let (status, v) = s
        .post(
            &admin,
            "/api/departments",
            &json!({ "departments": [dept] }),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = s
        .post(
            &admin,
            "/api/users",
            &json!({ "username": "clerk", "role": "dispatcher", "area": "11001",
                     "department": "11-zhzx", "password": "Duty-Desk-Password-1" }),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    let app = s.server().app.clone();
    let departments: Vec<riskmap::org::Department> = vec![serde_json::from_value(dept).unwrap()];
    let mut busy = Busy::default();
    // Fix batches.
    busy.spin({
        let app = app.clone();
        move |_| drop(app.engine.write())
    });
    // Departments saves, as committed.
    busy.spin({
        let app = app.clone();
        move |_| {
            app.apply(&DomainEvent::DepartmentsSaved {
                departments: departments.clone(),
            });
        }
    });
    // An incident view's order: the engine, then the departments.
    busy.spin(move |_| {
        let engine = app.engine.read();
        drop(app.incidents.departments());
        drop(engine);
    });
    let done = watchdog("a_logins_department_check_takes_the_engines_lock_before_the_departments");
    // Within the token's 200 requests a second, whatever the pace.
    for i in 0..150 {
        let status = s
            .http
            .patch(format!("{}/api/users/clerk", s.base))
            .bearer_auth(&admin)
            .json(&json!({ "display_name": format!("值班员 {i}") }))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
    }
    busy.stop();
    done.send(()).unwrap();
}
