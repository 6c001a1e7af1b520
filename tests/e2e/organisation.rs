//! The organisation end to end (issue 15): a city sets up its own people
//! and departments through the command line and the API only, and one
//! report goes the whole way through the chain of command centres —
//! found by a grid worker, escalated by the street, routed by category
//! (一网分流) and sent down again (下派), dispatched to the department, run
//! late and escalated by the clock (超时自动上报), supervised by the city
//! (督办), answered, handled and closed — and lands in every assessment
//! (考核) it should, while nobody outside its subtree sees or does anything.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use riskmap_tests as common;
use serde_json::{Value, json};

use common::incidents::{act, ok, strs};
use common::org::{IN_11_2, PASSWORD, first_login, login_made_by, queue, street_vending};
use common::{TestServer, Ws, test_args};

/// The shipped incident configuration with category 0201 (占道经营, routed
/// to 综合行政执法队) overdue 10.8 s after its report and escalated 1.8 s
/// after it turns red, every clock natural (so that the test does not
/// depend on the hour it runs).
fn write_config(dir: &Path) -> std::path::PathBuf {
    let mut c: Value = serde_json::from_str(riskmap::incident::dictionary::DEFAULT_CONFIG).unwrap();
    for p in ["normal", "urgent", "emergency"] {
        c["priorities"][p]["clock"] = json!("natural");
    }
    let major = c["categories"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|m| m["code"] == "02")
        .unwrap();
    let minor = major["children"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|m| m["code"] == "0201")
        .unwrap();
    minor["limits"] = json!({ "accept": 1, "dispatch": 1, "sign": 1, "handle": 1,
                              "verify": 1, "close": 1, "overall": 0.003 });
    minor["escalate_after_hours"] = json!(0.0005);
    let path = dir.join("incident-config.json");
    std::fs::write(&path, c.to_string()).unwrap();
    path
}

/// `riskmap ARGS…` on the (stopped) server's store: whether it succeeded,
/// and what it printed and said.
fn cli(s: &TestServer, args: &[&str]) -> (bool, String) {
    let (done, out, err) = s.cli(args, PASSWORD);
    (done, out + &err)
}

/// The next alert of `kind` about incident `id` (others are skipped).
async fn alert_of(ws: &mut Ws, kind: &str, id: &str) -> Value {
    loop {
        let a = ws.next_of_within("alert", Duration::from_secs(10)).await;
        if a["kind"] == kind && a["incident"] == id {
            return a;
        }
    }
}

/// The assessment row of `key` at `level`, as `token` sees it.
async fn row(s: &TestServer, token: &str, level: &str, key: &str) -> Option<Value> {
    let (status, v) = s
        .get(token, &format!("/api/assessment?level={level}"))
        .await;
    assert_eq!(status, 200, "{v}");
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .cloned()
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story, told in order
async fn one_report_goes_through_the_whole_organisation() {
    let (mut args, tmp) = test_args().await;
    args.incident_config = Some(write_config(tmp.path()));
    args.escalation_check_s = 1;
    let mut s = TestServer::start_in(args, tmp).await;

    // The operator, on the store: a street's 城管中队 and the district's
    // administrator. Bad input is refused with the reason.
    s.server.take().unwrap().shutdown().await;
    let file = s.dir.join("departments.json");
    let depts = json!({ "departments": [
        { "code": "11001-cgzd", "name": "一街道城管中队", "kind": "综合行政执法队", "area": "11001" }
    ]});
    std::fs::write(&file, depts.to_string()).unwrap();
    let (done, out) = cli(&s, &["departments", "import", file.to_str().unwrap()]);
    assert!(done, "{out}");
    assert!(out.contains("1 departments saved"), "{out}");
    let bad = s.dir.join("bad.json");
    std::fs::write(
        &bad,
        json!({ "departments": [{ "code": "x", "name": "n", "kind": "k", "area": "99" }] })
            .to_string(),
    )
    .unwrap();
    let (done, out) = cli(&s, &["departments", "import", bad.to_str().unwrap()]);
    assert!(!done && out.contains("no area \"99\""), "{out}");
    let (done, out) = cli(&s, &["departments", "list"]);
    assert!(
        done && out.contains("11001-cgzd") && out.contains("一街道城管中队"),
        "{out}"
    );
    let (done, out) = cli(
        &s,
        &["users", "add", "admin11", "--role", "admin", "--area", "11"],
    );
    assert!(done, "{out}");
    let (done, out) = cli(
        &s,
        &[
            "users",
            "add",
            "nobody",
            "--role",
            "dispatcher",
            "--area",
            "11",
            "--department",
            "nope",
        ],
    );
    assert!(!done && out.contains("no department \"nope\""), "{out}");
    s.restart_stopped().await;

    // The district's administrator, through the API: a street dispatcher,
    // the district's commander, a grid worker, and a member of the 中队.
    let admin11 = first_login(&s, "admin11", PASSWORD).await;
    let street = login_made_by(
        &s,
        &admin11,
        json!({ "username": "street11", "role": "dispatcher", "area": "11001" }),
    )
    .await;
    let district = login_made_by(
        &s,
        &admin11,
        json!({ "username": "cmd11", "role": "commander", "area": "11" }),
    )
    .await;
    let finder = login_made_by(
        &s,
        &admin11,
        json!({ "username": "finder", "role": "field", "area": "11001001002", "staff_id": "S3" }),
    )
    .await;
    let handler = login_made_by(
        &s,
        &admin11,
        json!({ "username": "handler", "role": "field", "area": "11001001001",
                "staff_id": "S2", "department": "11001-cgzd" }),
    )
    .await;
    // A department of the district, through the API; nothing outside it.
    let (status, v) = s
        .post(
            &admin11,
            "/api/departments",
            &json!({ "departments": [{ "code": "11-zhzx", "name": "一区社会治理中心",
                                       "kind": "综治中心", "area": "11" }] }),
        )
        .await;
    assert_eq!((status, &v["saved"]), (200, &json!(1)), "{v}");
    let (status, v) = s
        .post(
            &admin11,
            "/api/departments",
            &json!({ "departments": [{ "code": "12-x", "name": "二区", "kind": "k", "area": "12" }] }),
        )
        .await;
    assert_eq!(status, 403, "{v}");
    let (status, v) = s
        .post(
            &admin11,
            "/api/users",
            &json!({ "username": "wrongdept", "role": "dispatcher", "area": "11001",
                     "department": "12001-zf", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, 400, "a department outside the login's area: {v}");
    let (_, v) = s.get(&admin11, "/api/departments").await;
    let codes: Vec<&str> = v["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"11001-cgzd") && codes.contains(&"1-zf"),
        "{codes:?}"
    );
    assert!(
        !codes.contains(&"12001-zf"),
        "another district's: {codes:?}"
    );
    let ours = v["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "11001-cgzd")
        .unwrap();
    assert_eq!(
        (&ours["level"], strs(&ours["members"])),
        (&json!("street"), vec!["handler"])
    );

    // The other district, made by the city's administrator.
    let city_admin = s.login("admin").await;
    let outsider = login_made_by(
        &s,
        &city_admin,
        json!({ "username": "street12", "role": "dispatcher", "area": "12001" }),
    )
    .await;
    let city = s.login("commander").await;
    let mut alerts = s.ws(&district).await;
    alerts
        .send(&json!({ "type": "subscribe", "area": "11", "layers": ["alerts"] }))
        .await;
    alerts.next_of("snapshot").await;

    // Found by the grid worker: its street owns it.
    let (status, v) = s
        .post(
            &finder,
            "/api/incidents",
            &json!({ "category": "0201", "lon": IN_11_2.0, "lat": IN_11_2.1,
                     "priority": "normal", "description": "占道经营" }),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (&v["owner_centre"], &v["owner_level"]),
        (&json!("11001"), &json!("street"))
    );
    assert_eq!(queue(&s, &street).await, std::slice::from_ref(&id));
    assert!(
        queue(&s, &district).await.is_empty(),
        "the street's, not yet the district's"
    );
    assert!(queue(&s, &finder).await.is_empty());

    // The street asks the district (上报上级); the district accepts, sees
    // the routing to its own office, and sends it down to the street (下派),
    // which routes to the street's 中队.
    let v = ok(
        &s,
        &street,
        &id,
        json!({ "action": "escalate", "comment": "需区协调" }),
    )
    .await;
    assert_eq!(
        (&v["area"], &v["owner_level"]),
        (&json!("11"), &json!("district"))
    );
    assert_eq!(queue(&s, &district).await, std::slice::from_ref(&id));
    assert!(queue(&s, &street).await.is_empty());
    let v = ok(&s, &district, &id, json!({ "action": "accept" })).await;
    assert_eq!(v["proposed_department"]["code"], "11-zf", "{v}");
    assert!(strs(&v["allowed"]).contains(&"transfer"));
    let (status, _) = act(
        &s,
        &district,
        &id,
        json!({ "action": "transfer", "area": "12001" }),
    )
    .await;
    assert_eq!(status, 400, "outside the district");
    let v = ok(
        &s,
        &district,
        &id,
        json!({ "action": "transfer", "area": "11001" }),
    )
    .await;
    assert_eq!(v["owner_centre"], "11001");
    assert_eq!(
        v["proposed_department"],
        json!({ "code": "11001-cgzd", "name": "一街道城管中队" })
    );
    let (status, err) = act(
        &s,
        &street,
        &id,
        json!({ "action": "dispatch", "department": "12001-zf" }),
    )
    .await;
    assert_eq!(status, 400, "a department of another street: {err}");
    let v = ok(
        &s,
        &street,
        &id,
        json!({ "action": "dispatch", "department": "11001-cgzd" }),
    )
    .await;
    assert_eq!(v["assignee_department_name"], "一街道城管中队");

    // The 中队's member has it in their queue and signs for it; the
    // finder and the other district cannot act, the other does not see it.
    assert_eq!(queue(&s, &handler).await, std::slice::from_ref(&id));
    let v = ok(&s, &handler, &id, json!({ "action": "sign" })).await;
    assert_eq!(v["state"], "signed");
    let (status, v) = s.get(&finder, &format!("/api/incidents/{id}")).await;
    assert_eq!(status, 200);
    assert!(strs(&v["allowed"]).is_empty(), "{v}");
    let (status, _) = s.get(&outsider, &format!("/api/incidents/{id}")).await;
    assert_eq!(status, 404);
    let (status, _) = act(
        &s,
        &outsider,
        &id,
        json!({ "action": "handle", "comment": "x" }),
    )
    .await;
    assert_eq!(status, 404);

    // It runs late: the clock moves it up to the district.
    let deadline = Instant::now() + Duration::from_secs(60);
    let late = loop {
        let (_, v) = s.get(&district, &format!("/api/incidents/{id}")).await;
        if v["clock_escalations"] == 1 {
            break v;
        }
        assert!(Instant::now() < deadline, "not escalated by the clock: {v}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(
        (&late["area"], &late["warning"]),
        (&json!("11"), &json!("red"))
    );
    assert_eq!(
        (&late["escalations"], &late["state"]),
        (&json!(2), &json!("signed"))
    );
    let pushed = alert_of(&mut alerts, "escalated", &id).await;
    assert!(
        pushed["title"].as_str().unwrap().contains(id.as_str()),
        "{pushed}"
    );
    assert_eq!(pushed["incident"], id.as_str());
    let (_, log) = s.get(&district, &format!("/api/incidents/{id}/log")).await;
    let by_clock = log["log"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "escalate" && e["actor"] == "riskmap")
        .unwrap();
    assert_eq!(
        by_clock["detail"],
        json!({ "from_area": "11001", "to_area": "11" })
    );

    // 督办: the city orders it done; the district, which owns it, answers.
    // The owner cannot supervise itself, nor the street above which it no
    // longer sits.
    for (who, token) in [("district", &district), ("street", &street)] {
        let (status, _) = act(
            &s,
            token,
            &id,
            json!({ "action": "supervise", "hours": 2, "comment": "x" }),
        )
        .await;
        assert_ne!(status, 200, "{who} supervised");
    }
    let (status, _) = act(&s, &city, &id, json!({ "action": "supervise", "hours": 2 })).await;
    assert_eq!(status, 400, "an order needs its text");
    let v = ok(
        &s,
        &city,
        &id,
        json!({ "action": "supervise", "hours": 2, "comment": "限两小时内办结" }),
    )
    .await;
    assert_eq!(v["supervision"]["order"], "限两小时内办结");
    assert_eq!(v["supervision"]["answered_ms"], Value::Null);
    let pushed = alert_of(&mut alerts, "supervision", &id).await;
    assert!(
        pushed["title"].as_str().unwrap().contains(id.as_str()),
        "{pushed}"
    );
    assert_eq!(pushed["incident"], id.as_str());
    assert!(
        queue(&s, &district).await.contains(&id),
        "an order awaits its answer"
    );
    let v = ok(
        &s,
        &district,
        &id,
        json!({ "action": "answer_supervision", "comment": "已督促中队处置" }),
    )
    .await;
    assert_eq!(v["supervision"]["answer"], "已督促中队处置");

    // Handled by the 中队, verified and closed by the district.
    ok(
        &s,
        &handler,
        &id,
        json!({ "action": "handle", "comment": "已清理" }),
    )
    .await;
    ok(&s, &district, &id, json!({ "action": "verify" })).await;
    let v = ok(&s, &district, &id, json!({ "action": "close" })).await;
    assert_eq!(
        (&v["state"], &v["on_time"]),
        (&json!("closed"), &json!(false))
    );

    // 考核: it counts for the finder, the department, the grid, the street
    // and the district; the other district sees none of it.
    let found = row(&s, &city_admin, "worker", "S3").await.unwrap();
    assert_eq!(
        (&found["found"], &found["accepted"]),
        (&json!(1), &json!(1))
    );
    let dept = row(&s, &district, "department", "11001-cgzd")
        .await
        .unwrap();
    assert_eq!(
        (
            &dept["closed"],
            &dept["on_time_rate"],
            &dept["escalations"],
            &dept["supervisions"]
        ),
        (&json!(1), &json!(0.0), &json!(2), &json!(1))
    );
    assert_eq!(dept["name"], "一街道城管中队");
    for (level, key) in [
        ("grid", "11001001002"),
        ("street", "11001"),
        ("district", "11"),
    ] {
        let r = row(&s, &admin11, level, key).await.unwrap();
        assert_eq!(
            (&r["found"], &r["closed"]),
            (&json!(1), &json!(1)),
            "{level}"
        );
    }
    for level in ["worker", "department", "grid", "street", "district"] {
        let (_, v) = s
            .get(&outsider, &format!("/api/assessment?level={level}"))
            .await;
        assert_eq!(v["rows"], json!([]), "{level}");
    }
    let csv = s
        .http
        .get(format!(
            "{}/api/assessment?level=department&format=csv",
            s.base
        ))
        .bearer_auth(&district)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("\u{feff}rank,key,name,found"), "{csv}");
    assert!(csv.contains("11001-cgzd,一街道城管中队,0,0,1,0,"), "{csv}");
    let (status, _) = s.get(&district, "/api/assessment?level=planet").await;
    assert_eq!(status, 400);
}

/// Everything the organisation adds survives a restart: departments, a
/// login's department, an incident's chain (escalations, an open order).
#[tokio::test]
async fn departments_and_the_chain_survive_a_restart() {
    let (args, tmp) = test_args().await;
    let mut s = TestServer::start_in(args, tmp).await;
    let admin = s.login("admin").await;
    let (status, v) = s
        .post(
            &admin,
            "/api/departments",
            &json!({ "type": "FeatureCollection", "features": [
                { "type": "Feature", "geometry": null,
                  "properties": { "code": "11001-x", "name": "一街道综治中心",
                                  "kind": "综合行政执法队", "area": "11001", "staff": ["S1"],
                                  "limits": { "sign": 0.5, "handle": 2 } } }
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let disp = s.login("dispatcher").await;
    let city = s.login("commander").await;
    let id = street_vending(&s, &disp).await;
    ok(
        &s,
        &city,
        &id,
        json!({ "action": "escalate", "comment": "up" }),
    )
    .await;
    let v = ok(
        &s,
        &city,
        &id,
        json!({ "action": "transfer", "area": "11001", "comment": "down" }),
    )
    .await;
    assert_eq!(v["proposed_department"]["code"], "11001-x", "first by code");
    let before = ok(
        &s,
        &city,
        &id,
        json!({ "action": "supervise", "hours": 24, "comment": "快" }),
    )
    .await;
    s.restart().await;
    let city = s.login("commander").await;
    let (_, after) = s.get(&city, &format!("/api/incidents/{id}")).await;
    for field in [
        "supervision",
        "escalations",
        "owner_centre",
        "proposed_department",
    ] {
        assert_eq!(after[field], before[field], "{field}");
    }
    // Dispatched to it, the incident runs on the department's own limits
    // (a normal incident: as given).
    ok(&s, &city, &id, json!({ "action": "accept" })).await;
    let v = ok(
        &s,
        &city,
        &id,
        json!({ "action": "dispatch", "department": "11001-x" }),
    )
    .await;
    assert_eq!(
        (&v["step"], &v["step_limit_hours"]),
        (&json!("sign"), &json!(0.5)),
        "{v}"
    );
    let (_, v) = s
        .get(
            &city,
            "/api/departments?area=11001001002&kind=综合行政执法队",
        )
        .await;
    let codes: Vec<&str> = v["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["1-zf", "11-zf", "11001-x", "11001-zf"],
        "the place's and above"
    );
}

/// 督办逾期: an order left unanswered past its due time is pushed once to
/// the place's viewers, and the owner's queue keeps it first.
#[tokio::test]
async fn an_unanswered_order_is_announced_when_it_is_overdue() {
    let s = TestServer::start().await;
    let disp = s.login("dispatcher").await;
    let city = s.login("commander").await;
    let district = s.login("district").await;
    let mut watch = s.watch(&district, "11", &["alerts"]).await;
    let id = street_vending(&s, &disp).await;
    // Due in 3.6 s.
    ok(
        &s,
        &city,
        &id,
        json!({ "action": "supervise", "hours": 0.001, "comment": "马上处理" }),
    )
    .await;
    let mut kinds = Vec::new();
    let started = Instant::now();
    while !kinds.contains(&"supervision_overdue".to_owned()) {
        assert!(started.elapsed() < Duration::from_secs(20), "{kinds:?}");
        let a = watch.next_of_within("alert", Duration::from_secs(20)).await;
        if a["incident"] == id.as_str() {
            kinds.push(a["kind"].as_str().unwrap().to_owned());
            if a["kind"] == "supervision_overdue" {
                assert_eq!(a["comment"], "马上处理");
            }
        }
    }
    assert_eq!(
        kinds,
        ["supervision", "supervision_overdue"],
        "once each, in order"
    );
    // Not again.
    let later = watch.collect_for(Duration::from_millis(2500)).await;
    assert!(
        !later
            .iter()
            .any(|m| m["kind"] == "supervision_overdue" && m["incident"] == id.as_str()),
        "{later:?}"
    );
}
