//! 一网归集 from other systems and 一网反馈 to them: a 12345 ticket pushed
//! signed (twice: one incident; forged, stale or unknown: refused), every
//! state change sent back signed to a loopback receiver, a failing
//! receiver retried across a restart with nothing lost, camera alarms
//! merged with their snapshot, a hotline ticket merged into a citizen's
//! report answered with it, and an alert subscriber (告警订阅) sent every
//! step of an SOS, across a restart.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use riskmap_tests as common;

use common::TestServer;
use common::channels::{
    Receiver, add_source, bytes, citizen_report, handle_through, hotline, jpeg, push, push_at,
    until,
};
use common::incidents::{IN_11_1, act, add_user, ok};
use riskmap::identity::UserRole;
use serde_json::{Value, json};

fn ticket(id: &str) -> Value {
    json!({ "ticket": id, "category": "A01", "lon": IN_11_1.0, "lat": IN_11_1.1,
            "description": "市民来电：小区门口占道经营" })
}

fn states(got: &[common::channels::Received]) -> Vec<String> {
    got.iter()
        .map(|r| r.body["status"].as_str().unwrap().to_owned())
        .collect()
}

async fn deliveries(s: &TestServer, admin: &str, state: &str) -> Vec<Value> {
    let (status, v) = s
        .get(admin, &format!("/api/intake/deliveries?state={state}"))
        .await;
    assert_eq!(status, 200, "{v}");
    v["deliveries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_ticket_pushed_twice_is_one_incident_and_hears_every_change() {
    let s = TestServer::start().await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await;
    let (rx, key) = hotline(&s, &admin).await;
    let (status, list) = s.get(&admin, "/api/intake/sources").await;
    assert_eq!(status, 200);
    assert!(
        list.to_string().find(&key).is_none(),
        "the secret is shown once only"
    );
    let (status, _) = s.get(&disp, "/api/intake/sources").await;
    assert_eq!(status, 403, "administrators only");
    add_user(&s, "admin11", UserRole::Admin, "11", None).await;
    let district_admin = s.login("admin11").await;
    for path in ["/api/intake/sources", "/api/intake/deliveries"] {
        let (status, _) = s.get(&district_admin, path).await;
        assert_eq!(status, 403, "a district's administrator: {path}");
    }

    let (status, first) = push(&s, "hotline12345", &key, &ticket("T-0001")).await;
    assert_eq!(status, 201, "{first}");
    let id = first["incident"].as_str().unwrap().to_owned();
    let (status, again) = push(&s, "hotline12345", &key, &ticket("T-0001")).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (again["incident"].as_str(), again["duplicate"].as_bool()),
        (Some(id.as_str()), Some(true))
    );

    // Refused: a wrong secret, a replay from ten minutes ago, an unknown
    // source, an unmapped category, a body that is not the signed one.
    let (status, e) = push(
        &s,
        "hotline12345",
        "not-the-secret-at-all",
        &ticket("T-0002"),
    )
    .await;
    assert_eq!(status, 401, "{e}");
    let old = riskmap::clock::now_ms() / 1000 - 600;
    let (status, e) = push_at(&s, "hotline12345", &key, old, &ticket("T-0002")).await;
    assert_eq!(status, 401, "{e}");
    let (status, _) = push(&s, "nosuch", &key, &ticket("T-0002")).await;
    assert_eq!(status, 404);
    let mut unmapped = ticket("T-0003");
    unmapped["category"] = json!("ZZ");
    let (status, e) = push(&s, "hotline12345", &key, &unmapped).await;
    assert_eq!(status, 400, "{e}");
    let ts = riskmap::clock::now_ms() / 1000;
    let r = s
        .http
        .post(format!("{}/api/intake/hotline12345", s.base))
        .header("x-riskmap-timestamp", ts.to_string())
        .header(
            "x-riskmap-signature",
            riskmap::connector::sign(&key, ts, b"{}"),
        )
        .body(serde_json::to_vec(&ticket("T-0004")).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let (_, list) = s.get(&disp, "/api/incidents?limit=100").await;
    assert_eq!(list["total"], 1, "only T-0001 made an incident: {list}");

    let (_, inc) = s.get(&disp, &format!("/api/incidents/{id}")).await;
    assert_eq!(
        (inc["source"].as_str(), inc["category"].as_str()),
        (Some("hotline"), Some("0201"))
    );
    assert_eq!(
        inc["intake"]["external"],
        json!({ "source": "hotline12345", "ticket": "T-0001" })
    );

    handle_through(
        &s,
        &id,
        (&disp, &field),
        (None, json!({}), json!({ "reply": "已处理，摊贩已劝离" })),
    )
    .await;
    until(
        "every change called back",
        Duration::from_secs(20),
        || async { rx.got().len() >= 7 },
    )
    .await;
    let got = rx.got();
    assert!(
        got.iter().all(|r| r.signed),
        "every call-back is signed: {got:?}"
    );
    assert_eq!(
        states(&got),
        [
            "received", "accepted", "handling", "handling", "handling", "handling", "closed"
        ]
    );
    let seqs: Vec<i64> = got
        .iter()
        .map(|r| r.body["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=7).collect::<Vec<_>>(), "in order, each once");
    let last = &got[6].body;
    assert_eq!(
        (last["ticket"].as_str(), last["reply"].as_str()),
        (Some("T-0001"), Some("已处理，摊贩已劝离"))
    );
    // The receiver has a call-back a moment before the server, which hears
    // its answer, records the delivery.
    until(
        "every call-back recorded as delivered",
        Duration::from_secs(20),
        || async { deliveries(&s, &admin, "delivered").await.len() == 7 },
    )
    .await;
}

#[tokio::test]
async fn a_failing_callback_is_retried_across_a_restart() {
    let mut s = TestServer::start().await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;
    let (rx, key) = hotline(&s, &admin).await;
    rx.answer(500);
    let (_, first) = push(&s, "hotline12345", &key, &ticket("T-0100")).await;
    let id = first["incident"].as_str().unwrap().to_owned();
    ok(&s, &disp, &id, json!({ "action": "accept" })).await;
    until(
        "the first attempt failed",
        Duration::from_secs(20),
        || async {
            deliveries(&s, &admin, "pending").await.iter().any(|d| {
                d["attempts"].as_i64() >= Some(1)
                    && d["last_error"].as_str().is_some_and(|e| e.contains("500"))
            })
        },
    )
    .await;
    assert!(rx.got().is_empty());

    // Down for a restart; the receiver comes back meanwhile.
    s.restart().await;
    rx.answer(200);
    let admin = s.login("admin").await;
    until(
        "both delivered after the restart",
        Duration::from_secs(30),
        || async { rx.got().len() >= 2 },
    )
    .await;
    assert_eq!(states(&rx.got()), ["received", "accepted"]);
    // Recorded as delivered once the server has heard the receiver's answer.
    until("nothing left pending", Duration::from_secs(20), || async {
        deliveries(&s, &admin, "pending").await.is_empty()
    })
    .await;
    let done = deliveries(&s, &admin, "delivered").await;
    assert_eq!(done.len(), 2);
    assert!(
        done.iter().all(|d| d["attempts"].as_i64() >= Some(1)),
        "{done:?}"
    );
}

#[tokio::test]
async fn camera_alarms_merge_within_their_window_and_carry_a_snapshot() {
    let s = TestServer::start().await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;
    let key = add_source(
        &s,
        &admin,
        &json!({ "name": "xueliang", "title": "雪亮工程 AI", "kind": "camera",
                 "categories": { "crowd": "0107", "vending": "0201" } }),
    )
    .await;
    let snapshot = base64::engine::general_purpose::STANDARD.encode(jpeg(320, 180));
    let alarm = |t: &str, kind: &str| {
        json!({ "ticket": t, "category": kind, "camera": "C1", "snapshot": snapshot,
                "description": "AI 识别告警" })
    };
    let (status, a) = push(&s, "xueliang", &key, &alarm("A1", "vending")).await;
    assert_eq!(status, 201, "{a}");
    let id = a["incident"].as_str().unwrap().to_owned();
    let (status, b) = push(&s, "xueliang", &key, &alarm("A2", "vending")).await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(
        (b["incident"].as_str(), b["repeat"].as_bool()),
        (Some(id.as_str()), Some(true))
    );
    let (status, c) = push(&s, "xueliang", &key, &alarm("A2", "vending")).await;
    assert_eq!(
        (status, c["duplicate"].as_bool()),
        (200, Some(true)),
        "a repeat's ticket is known too"
    );
    let (status, other) = push(&s, "xueliang", &key, &alarm("A3", "crowd")).await;
    assert_eq!(status, 201, "another kind is another incident: {other}");
    assert_ne!(other["incident"], json!(id));

    let (_, inc) = s.get(&disp, &format!("/api/incidents/{id}")).await;
    assert_eq!(
        (
            inc["source"].as_str(),
            inc["intake"]["alarm"]["count"].as_u64()
        ),
        (Some("camera"), Some(2))
    );
    // Placed at the camera (C1 at 120.02, 28.049), the snapshot attached.
    assert!(
        (inc["lon"].as_f64().unwrap() - 120.02).abs() < 1e-9,
        "{inc}"
    );
    let photo = inc["photos"][0].as_str().unwrap();
    let (status, img) = bytes(&s, Some(&disp), &format!("/api/attachments/{photo}/thumb")).await;
    assert_eq!((status, &img[..2]), (200, &[0xFF, 0xD8][..]));
    let (_, log) = s.get(&disp, &format!("/api/incidents/{id}/log")).await;
    let actions: Vec<&str> = log["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["report", "repeat"]);

    let (status, e) = push(
        &s,
        "xueliang",
        &key,
        &json!({ "ticket": "A4", "category": "vending", "camera": "NOPE" }),
    )
    .await;
    assert_eq!(status, 400, "an unknown camera: {e}");
}

#[tokio::test]
async fn a_ticket_merged_into_a_citizens_report_is_answered_with_it() {
    let (mut args, tmp) = common::test_args().await;
    args.citizen_proof_bits = 4;
    let s = TestServer::start_in(args, tmp).await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await;
    let (rx, key) = hotline(&s, &admin).await;

    let (status, receipt) = citizen_report(
        &s,
        json!({ "category": "0201", "lon": IN_11_1.0, "lat": IN_11_1.1, "description": "占道经营" }),
    )
    .await;
    assert_eq!(status, 201, "{receipt}");
    let code = receipt["code"].as_str().unwrap().to_owned();
    let (_, pushed) = push(&s, "hotline12345", &key, &ticket("T-0200")).await;
    let hot = pushed["incident"].as_str().unwrap().to_owned();
    let (_, inc) = s.get(&disp, &format!("/api/incidents/{hot}")).await;
    let citizen_id = inc["possible_duplicate_of"].as_str().unwrap().to_owned();
    // A reply goes with close, reject or merge only.
    let (status, e) = act(&s, &disp, &hot, json!({ "action": "accept", "reply": "x" })).await;
    assert_eq!(status, 400, "{e}");
    ok(
        &s,
        &disp,
        &hot,
        json!({ "action": "merge", "into": citizen_id, "reply": "已并入同一事件处理" }),
    )
    .await;
    handle_through(
        &s,
        &citizen_id,
        (&disp, &field),
        (None, json!({}), json!({ "reply": "摊贩已劝离" })),
    )
    .await;
    // The hotline hears its own ticket's receipt and merge, then every
    // change of the incident it joined, to the close and its reply.
    until(
        "the merged ticket hears the close",
        Duration::from_secs(20),
        || async { rx.got().iter().any(|r| r.body["status"] == "closed") },
    )
    .await;
    let got = rx.got();
    let last = &got.last().unwrap().body;
    assert_eq!(
        (
            last["ticket"].as_str(),
            last["incident"].as_str(),
            last["merged_into"].as_str(),
            last["reply"].as_str()
        ),
        (
            Some("T-0200"),
            Some(citizen_id.as_str()),
            Some(citizen_id.as_str()),
            Some("摊贩已劝离")
        )
    );
    assert!(got.iter().any(|r| r.body["action"] == "merge"), "{got:?}");
    // And the citizen sees it closed, with the reply.
    let (_, view) = s.public_get(&format!("/api/public/reports/{code}")).await;
    assert_eq!(
        (view["status"].as_str(), view["reply"].as_str()),
        (Some("closed"), Some("摊贩已劝离"))
    );
}

#[tokio::test]
async fn an_alert_subscriber_hears_every_step_of_an_alert_across_a_restart() {
    let mut s = TestServer::start().await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await; // S1
    let secret = Arc::new(parking_lot::Mutex::new(String::new()));
    let rx = Receiver::start(secret.clone()).await;
    // A subscriber is sent alerts; it maps no categories and pushes nothing.
    let pager =
        json!({ "name": "pager", "title": "值班寻呼", "kind": "alerts", "callback_url": rx.url });
    let mut mapped = pager.clone();
    mapped["categories"] = json!({ "A01": "0201" });
    let (status, b) = s.post(&admin, "/api/intake/sources", &mapped).await;
    assert_eq!(status, 400, "{b}");
    let mut deaf = pager.clone();
    deaf.as_object_mut().unwrap().remove("callback_url");
    let (status, b) = s.post(&admin, "/api/intake/sources", &deaf).await;
    assert_eq!(status, 400, "{b}");
    let key = add_source(&s, &admin, &pager).await;
    secret.lock().clone_from(&key);
    let (status, b) = push(&s, "pager", &key, &ticket("T-0900")).await;
    assert_eq!(status, 403, "{b}");
    assert!(b["message"].as_str().unwrap().contains("alerts"), "{b}");

    // An SOS: its raising is sent, signed.
    let (status, raised) = s
        .post(&field, "/api/staff/S1/sos", &json!({ "note": "被围堵" }))
        .await;
    assert_eq!(status, 201, "{raised}");
    let id = raised["alert"]["id"].as_str().unwrap().to_owned();
    until("the raising delivered", Duration::from_secs(20), || async {
        !rx.got().is_empty()
    })
    .await;
    // The subscriber goes down; a dispatcher takes the alert.
    rx.answer(500);
    let (status, b) = s
        .post(
            &disp,
            &format!("/api/alerts/{id}/ack"),
            &json!({ "note": "已派人" }),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    until(
        "the acknowledgement's first attempt failed",
        Duration::from_secs(20),
        || async {
            deliveries(&s, &admin, "pending").await.iter().any(|d| {
                d["ticket"] == id.as_str()
                    && d["attempts"].as_i64() >= Some(1)
                    && d["last_error"].as_str().is_some_and(|e| e.contains("500"))
            })
        },
    )
    .await;
    // Down for a restart; the subscriber comes back meanwhile.
    s.restart().await;
    rx.answer(200);
    until("both delivered", Duration::from_secs(30), || async {
        rx.got().len() >= 2
    })
    .await;
    let got = rx.got();
    assert!(got.iter().all(|r| r.signed), "{got:?}");
    let steps: Vec<(i64, &str, &str, &str)> = got
        .iter()
        .map(|r| {
            (
                r.body["version"].as_i64().unwrap(),
                r.body["action"].as_str().unwrap(),
                r.body["alert"]["id"].as_str().unwrap(),
                r.body["alert"]["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (1, "raised", id.as_str(), "sos"),
            (2, "acknowledged", id.as_str(), "sos")
        ]
    );
    assert_eq!(got[1].body["source"], "pager");
    assert_eq!(got[1].body["alert"]["state"], "acknowledged");
}
