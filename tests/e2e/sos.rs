//! 一键求助: a worker's SOS, raised from the phone (REST or `/ws`), pushed to
//! every dispatcher of the area and repeated until one takes it, closed or
//! cancelled with the worker's duty given back, every step kept, over a
//! restart too.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::time::Duration;

use riskmap_tests as common;

use common::TestServer;
use common::incidents::{IN_11_1, add_user, duty, report, walk};
use riskmap::identity::UserRole;
use serde_json::{Value, json};

fn actions(alert: &Value) -> Vec<&str> {
    alert["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect()
}

/// Raised, pushed and repeated, acknowledged (the repeat stops), closed;
/// refused to whoever may not; kept.
#[tokio::test]
async fn an_sos_reaches_the_area_repeats_until_taken_and_is_kept() {
    let mut s = TestServer::start().await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await; // S1, district 11
    let district = s.login("district").await; // commander of district 11
    add_user(&s, "d12", UserRole::Dispatcher, "12", None).await;
    let other = s.login("d12").await;
    let screen = s.login("screen").await;
    let mut watch = s.ws(&screen).await;
    // A box far from S1: an SOS reaches the whole area all the same.
    watch
        .send(&json!({ "type": "subscribe", "bbox": [120.15, 28.0, 120.2, 28.1], "layers": ["alerts"] }))
        .await;
    let snap = watch.next_of("snapshot").await;
    assert_eq!(snap["alerts"], json!([]), "{snap}");
    let mut phone = s.ws(&field).await;
    // A city dispatcher drilled into district 12 hears of district 11's SOS.
    let mut drilled = s.ws(&disp).await;
    drilled
        .send(&json!({ "type": "subscribe", "area": "12", "layers": ["alerts"] }))
        .await;
    drilled.next_of("snapshot").await;

    let (status, b) = s
        .post(
            &field,
            "/api/staff/S1/sos",
            &json!({ "position": { "lon": 120.021, "lat": 28.051 }, "note": "被围堵" }),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    let alert = b["alert"].clone();
    let id = alert["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (
            alert["kind"].as_str(),
            alert["state"].as_str(),
            alert["staff_id"].as_str(),
            alert["grid"].as_str(),
            alert["duty_before"].as_str()
        ),
        (
            Some("sos"),
            Some("open"),
            Some("S1"),
            Some(common::grid(11, 1).as_str()),
            Some("available")
        ),
        "{alert}"
    );
    assert_eq!(alert["position"], json!({ "lon": 120.021, "lat": 28.051 }));
    assert_eq!(alert["steps"][0]["note"], "被围堵");
    assert!(b["share_every_s"].as_u64().unwrap() <= 10, "{b}");
    // The nearest available staff, nearest first, not the worker.
    let helpers: Vec<&str> = alert["helpers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["staff_id"].as_str().unwrap())
        .collect();
    assert_eq!(helpers, ["S2", "S3", "S4"], "{alert}");
    let pushed = watch.next_of("alert").await;
    assert_eq!(
        (
            pushed["kind"].as_str(),
            pushed["alert"]["id"].as_str(),
            pushed["repeat"].as_bool()
        ),
        (Some("sos"), Some(id.as_str()), Some(false)),
        "{pushed}"
    );
    assert_eq!(phone.next_of("alert").await["alert"]["state"], "open");
    assert_eq!(drilled.next_of("alert").await["alert"]["id"], id.as_str());
    drilled
        .send(&json!({ "type": "subscribe", "area": "12", "layers": ["alerts"] }))
        .await;
    let snap = drilled.next_of("snapshot").await;
    assert_eq!(snap["alerts"][0]["alert"]["id"], id.as_str(), "{snap}");

    // The worker is in an SOS: out of dispatch, check-out refused; a
    // second press answers the same alert.
    assert_eq!(duty(&s, &disp, "S1").await, "sos");
    let (_, near) = s
        .get(&disp, "/api/dispatch/nearest?lon=120.021&lat=28.051&k=5")
        .await;
    assert!(!near.to_string().contains("\"S1\""), "{near}");
    let (status, b) = s
        .post(&field, "/api/staff/S1/duty", &json!({ "duty": "off" }))
        .await;
    assert_eq!((status, b["state"].as_str()), (409, Some("sos")), "{b}");
    let (status, b) = s.post(&field, "/api/staff/S1/sos", &json!({})).await;
    assert_eq!(
        (status, b["alert"]["id"].as_str()),
        (200, Some(id.as_str()))
    );

    // Nobody took it: it comes again.
    let again = watch.next_of_within("alert", Duration::from_secs(8)).await;
    assert_eq!(
        (again["alert"]["id"].as_str(), again["repeat"].as_bool()),
        (Some(id.as_str()), Some(true)),
        "{again}"
    );
    // A big screen and a field login do not take alerts; another
    // district's dispatcher does not see it; S1's district does.
    let ack = format!("/api/alerts/{id}/ack");
    for who in [&screen, &field] {
        let (status, b) = s.post(who, &ack, &json!({})).await;
        assert_eq!(status, 403, "{b}");
    }
    let (status, b) = s.post(&other, &ack, &json!({})).await;
    assert_eq!(status, 404, "{b}");
    let (_, list) = s.get(&other, "/api/alerts?state=active").await;
    assert_eq!(list["alerts"], json!([]), "{list}");
    let (_, list) = s.get(&district, "/api/alerts?state=active").await;
    assert_eq!(list["alerts"][0]["id"], id.as_str(), "{list}");
    let (status, b) = s.post(&disp, &ack, &json!({ "note": "已派人" })).await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["alert"]["state"], "acknowledged");
    let (status, b) = s.post(&disp, &ack, &json!({})).await;
    assert_eq!(
        (status, b["state"].as_str()),
        (409, Some("acknowledged")),
        "{b}"
    );
    let acked = watch.next_of("alert").await;
    assert_eq!(acked["alert"]["state"], "acknowledged", "{acked}");
    let heard = phone.next_of("alert").await;
    assert_eq!(
        heard["alert"]["state"], "acknowledged",
        "the worker hears it was taken"
    );
    // Taken: no more repeats.
    let quiet = watch.collect_for(Duration::from_secs(6)).await;
    assert!(
        quiet.iter().all(|m| m["type"] != "alert"),
        "no repeat after it was taken: {quiet:?}"
    );

    // Closed with a note: the worker is back on duty.
    let (status, b) = s
        .post(
            &disp,
            &format!("/api/alerts/{id}/close"),
            &json!({ "note": "已安全接回" }),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(actions(&b["alert"]), ["raised", "acknowledged", "closed"]);
    assert_eq!(watch.next_of("alert").await["alert"]["state"], "closed");
    assert_eq!(duty(&s, &disp, "S1").await, "available");
    let (status, b) = s
        .post(&disp, &format!("/api/alerts/{id}/close"), &json!({}))
        .await;
    assert_eq!(status, 409, "{b}");

    // Bad requests.
    let long = "长".repeat(501);
    for (path, body, want) in [
        ("/api/staff/S1/sos", json!({ "note": long }), 400),
        ("/api/staff/S1/sos", json!({ "colour": 1 }), 400),
        ("/api/staff/S99/sos", json!({}), 404),
        ("/api/staff/S1/sos/cancel", json!({}), 404),
        ("/api/alerts/nope/ack", json!({}), 404),
    ] {
        let (status, b) = s.post(&disp, path, &body).await;
        assert_eq!(status, want, "{path} {body}: {b}");
    }
    let (status, b) = s.get(&disp, "/api/alerts?state=lost").await;
    assert_eq!(status, 400, "{b}");

    // Kept over a restart, with every step; the history names it.
    s.restart().await;
    let disp = s.login("dispatcher").await;
    let (status, b) = s.get(&disp, &format!("/api/alerts/{id}")).await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(actions(&b["alert"]), ["raised", "acknowledged", "closed"]);
    assert_eq!(b["alert"]["steps"][2]["note"], "已安全接回");
    assert_eq!(b["alert"]["steps"][1]["by"], "dispatcher");
    assert_eq!(b["alert"]["steps"][1]["by_name"], "派遣员");
    let (status, b) = s.get(&disp, "/api/alerts?from=2026-01-01T00:00:00Z").await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["alerts"][0]["id"], id.as_str(), "{b}");
}

/// Over `/ws` from the phone, and cancelled: a busy worker goes back to
/// their task, an off-duty one back off duty.
#[tokio::test]
async fn a_worker_raises_and_cancels_over_ws_and_gets_their_duty_back() {
    let s = TestServer::start().await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await; // S1
    let mut phone = s.ws(&field).await;

    // Busy with a task.
    let (status, inc) = report(&s, &field, "0101", IN_11_1).await;
    assert_eq!(status, 201, "{inc}");
    let inc = inc["id"].as_str().unwrap().to_owned();
    walk(
        &s,
        &inc,
        &[
            (&disp, json!({ "action": "accept" })),
            (&disp, json!({ "action": "dispatch", "staff_id": "S1" })),
        ],
    )
    .await;
    assert_eq!(duty(&s, &disp, "S1").await, "busy");
    phone
        .send(&json!({ "type": "sos", "id": 7, "note": "摔倒" }))
        .await;
    let raised = phone.next_of("sos").await;
    assert_eq!(raised["id"], 7);
    assert_eq!(raised["alert"]["state"], "open", "{raised}");
    assert_eq!(raised["alert"]["duty_before"], "busy");
    assert_eq!(duty(&s, &disp, "S1").await, "sos");
    phone
        .send(&json!({ "type": "sos_cancel", "id": 8, "note": "误触" }))
        .await;
    let cancelled = phone.next_of("sos").await;
    assert_eq!(cancelled["id"], 8);
    assert_eq!(actions(&cancelled["alert"]), ["raised", "cancelled"]);
    assert_eq!(duty(&s, &disp, "S1").await, "busy", "back to the task");
    phone.send(&json!({ "type": "sos_cancel", "id": 9 })).await;
    let err = phone.next_of("error").await;
    assert_eq!(
        (err["id"].as_i64(), err["error"].as_str()),
        (Some(9), Some("not_found"))
    );

    // Off duty: an SOS a dispatcher raises for a worker who phoned, and
    // back off duty after it.
    let (status, b) = s
        .post(&disp, "/api/staff/S2/duty", &json!({ "duty": "off" }))
        .await;
    assert_eq!(status, 200, "{b}");
    let (status, b) = s.post(&disp, "/api/staff/S2/sos", &json!({})).await;
    assert_eq!(status, 201, "{b}");
    let id = b["alert"]["id"].as_str().unwrap().to_owned();
    assert_eq!(b["alert"]["steps"][0]["by"], "dispatcher");
    let (status, b) = s
        .post(
            &disp,
            "/api/staff/S2/sos",
            &json!({ "position": { "lon": 120.0, "lat": 28.0 } }),
        )
        .await;
    assert_eq!(status, 403, "a position is the worker's own: {b}");
    let (status, b) = s
        .post(&disp, &format!("/api/alerts/{id}/close"), &json!({}))
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(duty(&s, &disp, "S2").await, "off");
}

/// The track rules (脱岗, 静止) judged as the fixes arrive: a worker on
/// duty who stays put for the threshold raises a `motionless` alert, one
/// who stays out of their grid a `left_grid` alert; each once a run, live
/// on `/ws`, closed by a dispatcher, the worker's duty untouched.
#[tokio::test]
async fn the_track_rules_raise_alerts_as_fixes_arrive() {
    let s = TestServer::start().await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await; // S1, home grid 11-1, on duty
    let mut watch = s.ws(&disp).await;
    watch
        .send(&json!({ "type": "subscribe", "area": "1", "layers": ["alerts"] }))
        .await;
    watch.next_of("snapshot").await;
    let base = riskmap::clock::now_ms() - 2 * 3_600_000;
    let min = 60_000;
    let send = |fixes: Value| {
        let (s, field) = (&s, &field);
        async move {
            let (status, b) = s
                .post(field, "/api/fixes", &json!({ "fixes": fixes }))
                .await;
            assert_eq!(status, 200, "{b}");
        }
    };
    // 29 minutes at one spot (within 20 m): nothing yet.
    send(json!([
        { "lon": 120.021, "lat": 28.051, "t": base },
        { "lon": 120.02105, "lat": 28.05105, "t": base + 15 * min },
        { "lon": 120.0211, "lat": 28.051, "t": base + 29 * min },
    ]))
    .await;
    let (_, list) = s.get(&disp, "/api/alerts?state=active").await;
    assert_eq!(list["alerts"], json!([]), "{list}");
    // 30 minutes: a possible fall.
    send(json!([{ "lon": 120.021, "lat": 28.05108, "t": base + 30 * min }])).await;
    let m = watch.next_of("alert").await;
    assert_eq!(
        (
            m["kind"].as_str(),
            m["alert"]["staff_id"].as_str(),
            m["alert"]["since_ms"].as_i64()
        ),
        (Some("motionless"), Some("S1"), Some(base)),
        "{m}"
    );
    assert_eq!(m["alert"]["steps"][0]["by"], "riskmap");
    let still = m["alert"]["id"].as_str().unwrap().to_owned();
    // Still there: told once.
    send(json!([{ "lon": 120.021, "lat": 28.051, "t": base + 40 * min }])).await;
    // Out of the home grid (into 11-2) for 30 minutes, moving.
    send(json!([
        { "lon": 120.071, "lat": 28.051, "t": base + 45 * min },
        { "lon": 120.072, "lat": 28.052, "t": base + 60 * min },
    ]))
    .await;
    let (_, list) = s.get(&disp, "/api/alerts?state=active").await;
    assert_eq!(list["alerts"].as_array().unwrap().len(), 1, "{list}");
    send(json!([{ "lon": 120.073, "lat": 28.051, "t": base + 75 * min }])).await;
    let m = watch.next_of("alert").await;
    assert_eq!(
        (m["kind"].as_str(), m["alert"]["since_ms"].as_i64()),
        (Some("left_grid"), Some(base + 45 * min)),
        "{m}"
    );
    let (_, list) = s.get(&disp, "/api/alerts?state=active").await;
    let kinds: Vec<&str> = list["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 2, "{list}");
    assert!(
        kinds.contains(&"motionless") && kinds.contains(&"left_grid"),
        "{list}"
    );
    // Closed by a dispatcher; the worker's duty was never touched.
    let (status, b) = s
        .post(
            &disp,
            &format!("/api/alerts/{still}/close"),
            &json!({ "note": "电话联系，无事" }),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(duty(&s, &disp, "S1").await, "available");
    // An SOS beside a rule's alert is its own.
    let (status, b) = s.post(&field, "/api/staff/S1/sos", &json!({})).await;
    assert_eq!(status, 201, "{b}");
}

/// A batch of fixes is judged fix by fix: a worker who was out of their
/// grid for half an hour and has just come back (the last fix of the batch
/// at home) still raises `left_grid`; each fix's own grid counts, not the
/// grid of the position the batch ends at.
#[tokio::test]
async fn a_batch_is_judged_fix_by_fix() {
    let s = TestServer::start().await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await; // S1, home grid 11-1
    let base = riskmap::clock::now_ms() - 3_600_000;
    let min = 60_000;
    let (status, b) = s
        .post(
            &field,
            "/api/fixes",
            &json!({ "fixes": [
                { "lon": 120.021, "lat": 28.051, "t": base },
                { "lon": 120.071, "lat": 28.051, "t": base + min },
                { "lon": 120.072, "lat": 28.061, "t": base + 16 * min },
                { "lon": 120.073, "lat": 28.071, "t": base + 31 * min },
                { "lon": 120.022, "lat": 28.052, "t": base + 32 * min },
            ] }),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    let (_, list) = s.get(&disp, "/api/alerts?state=active").await;
    let alerts = list["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{list}");
    assert_eq!(
        (alerts[0]["kind"].as_str(), alerts[0]["since_ms"].as_i64()),
        (Some("left_grid"), Some(base + min)),
        "{list}"
    );
}

/// An SOS sent from inside a fence: its position, committed first, raises
/// the fence's alert (which takes the alerts' order) before the SOS takes
/// that order for itself. Taken the other way round, the request waited on
/// itself for good.
#[tokio::test]
async fn an_sos_from_inside_a_fence_raises_both_alerts() {
    let s = TestServer::start().await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await; // S1, grid 11-1
    let (x0, y0, x1, y1) = (120.030, 28.060, 120.035, 28.065);
    let fence = json!({ "type": "FeatureCollection", "features": [{
        "type": "Feature",
        "id": "reservoir",
        "geometry": { "type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] },
        "properties": { "name": "水库警戒区", "detect": ["enter"] },
    }] });
    let (status, b) = s.post(&admin, "/api/fences", &fence).await;
    assert_eq!(status, 200, "{b}");
    let t = riskmap::clock::now_ms() - 60_000;
    let outside = json!({ "fixes": [{ "lon": 120.025, "lat": 28.062, "t": t }] });
    let (status, b) = s.post(&field, "/api/fixes", &outside).await;
    assert_eq!(status, 200, "{b}");
    let inside = json!({ "position": { "lon": 120.032, "lat": 28.062 } });
    let sos = s.post(&field, "/api/staff/S1/sos", &inside);
    let (status, b) = tokio::time::timeout(Duration::from_secs(30), sos)
        .await
        .expect("the SOS answered");
    assert_eq!(status, 201, "{b}");
    let (_, list) = s.get(&disp, "/api/alerts?state=active").await;
    let mut kinds: Vec<&str> = list["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["fence_enter", "sos"], "{list}");
}
