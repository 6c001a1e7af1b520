//! 排班 end to end: an administrator sets the shifts of their area's grids;
//! `GET /api/roster/due` says who is due on duty now and where each stands
//! — present, unreachable (checked in, phone silent), absent (not checked
//! in) — as they check out, go silent and report again; under 分级授权;
//! kept over a restart; bad shifts and other logins refused with a reason.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use riskmap::identity::UserRole;
use riskmap_tests::incidents::add_user;
use riskmap_tests::{TestServer, grid, test_args};
use serde_json::{Value, json};

/// `HH:MM` of China time (the test dictionary's calendar) `minutes` from now.
fn local(minutes: i64) -> String {
    let m = (riskmap::clock::now_ms() / 60_000 + 8 * 60 + minutes).rem_euclid(24 * 60);
    format!("{:02}:{:02}", m / 60, m % 60)
}

const EVERY_DAY: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn presence(due: &Value) -> Vec<(String, String)> {
    due["staff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["staff_id"].as_str().unwrap().to_owned(),
                d["presence"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn put(s: &TestServer, token: &str, body: &Value) -> (u16, Value) {
    let r = s
        .http
        .put(format!("{}/api/roster", s.base))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn who_is_due_and_missing_follows_check_ins_and_fixes() {
    // Fixes older than ten minutes are silent phones (the test city's are
    // from January).
    let (mut args, tmp) = test_args().await;
    args.stale_after_s = 600;
    let mut s = TestServer::start_in(args, tmp).await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await; // S1, on duty
    let roster = json!({ "shifts": [
        // Running now: S1 and S2 in grid 11-1, S3 in 11-2 (an overnight
        // shift when the hour before and after straddle midnight).
        { "grid": grid(11, 1), "staff": ["S1", "S2"], "days": EVERY_DAY,
          "start": local(-60), "end": local(60), "name": "白班" },
        { "grid": grid(11, 2), "staff": ["S3"], "days": EVERY_DAY,
          "start": local(-30), "end": local(90) },
        // Not now: S4 later in 12-1.
        { "grid": grid(12, 1), "staff": ["S4"], "days": EVERY_DAY,
          "start": local(120), "end": local(180) },
    ] });
    let (status, b) = put(&s, &admin, &roster).await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b, json!({ "saved": 3, "replaced": 0 }));

    // Everyone checked in, but every phone silent since January.
    let (status, due) = s.get(&disp, "/api/roster/due").await;
    assert_eq!(status, 200, "{due}");
    assert_eq!(
        (due["due"].as_u64(), due["unreachable"].as_u64()),
        (Some(3), Some(3)),
        "{due}"
    );
    // S1 reports; S2 checks out.
    let now = riskmap::clock::now_ms();
    let (status, b) = s
        .post(
            &field,
            "/api/fixes",
            &json!({ "fixes": [{ "lon": 120.02, "lat": 28.05, "t": now }] }),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    let (status, b) = s
        .post(&disp, "/api/staff/S2/duty", &json!({ "duty": "off" }))
        .await;
    assert_eq!(status, 200, "{b}");
    let (_, due) = s.get(&disp, "/api/roster/due").await;
    assert_eq!(
        presence(&due),
        [
            ("S2".to_owned(), "absent".to_owned()),
            ("S3".to_owned(), "unreachable".to_owned()),
            ("S1".to_owned(), "present".to_owned()),
        ],
        "{due}"
    );
    assert_eq!(
        (
            due["present"].as_u64(),
            due["unreachable"].as_u64(),
            due["absent"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    let s1 = &due["staff"][2];
    assert_eq!(
        (s1["shift"].as_str(), s1["grid_name"].as_str()),
        (Some("白班"), Some("第1网格"))
    );
    assert!(s1["fix_age_s"].as_i64().unwrap() < 60, "{s1}");
    // Under one grid only.
    let (_, due) = s
        .get(&disp, &format!("/api/roster/due?area={}", grid(11, 2)))
        .await;
    assert_eq!(
        presence(&due),
        [("S3".to_owned(), "unreachable".to_owned())]
    );

    // 分级授权: district 12's dispatcher sees none of 11's shifts; its
    // administrator replaces only 12's.
    add_user(&s, "disp12", UserRole::Dispatcher, "12", None).await;
    add_user(&s, "admin12", UserRole::Admin, "12", None).await;
    let d12 = s.login("disp12").await;
    let (_, due) = s.get(&d12, "/api/roster/due").await;
    assert_eq!(due["due"], 0, "{due}");
    let (_, list) = s.get(&d12, "/api/roster").await;
    assert_eq!(list["shifts"].as_array().unwrap().len(), 1, "{list}");
    let a12 = s.login("admin12").await;
    let (status, b) = put(
        &s,
        &a12,
        &json!({ "shifts": [{ "grid": grid(11, 1), "staff": ["S1"], "days": ["mon"], "start": "08:00", "end": "09:00" }] }),
    )
    .await;
    assert_eq!(status, 400, "another district's grid: {b}");
    let (status, b) = put(&s, &a12, &json!({ "shifts": [] })).await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b, json!({ "saved": 0, "replaced": 1 }));

    // Kept over a restart.
    s.restart().await;
    let disp = s.login("dispatcher").await;
    let (_, list) = s.get(&disp, "/api/roster").await;
    let grids: Vec<&str> = list["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["grid"].as_str().unwrap())
        .collect();
    assert_eq!(grids, [grid(11, 1), grid(11, 2)], "{list}");
    assert_eq!(list["shifts"][0]["days"][0], "mon");
}

#[tokio::test]
async fn bad_shifts_and_other_logins_are_refused_with_a_reason() {
    let s = TestServer::start().await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await;
    let shift = |grid_code: &str, staff: &str, start: &str| json!({ "shifts": [{ "grid": grid_code, "staff": [staff], "days": ["mon"], "start": start, "end": "17:00" }] });
    let (status, b) = put(&s, &disp, &shift(&grid(11, 1), "S1", "08:00")).await;
    assert_eq!(status, 403, "{b}");
    let (status, b) = s.get(&field, "/api/roster/due").await;
    assert_eq!(status, 403, "{b}");
    for (body, says) in [
        (shift("nowhere", "S1", "08:00"), "no grid nowhere"),
        (shift("11", "S1", "08:00"), "no grid 11 "),
        (shift(&grid(11, 1), "S99", "08:00"), "no staff member S99"),
        (shift(&grid(11, 1), "S1", "25:00"), "no time of day"),
        (shift(&grid(11, 1), "S1", "17:00"), "the same time"),
        (json!({ "shift": [] }), "unknown field"),
    ] {
        let (status, b) = put(&s, &admin, &body).await;
        assert!(status == 400 || status == 422, "{status} {b}");
        assert!(
            b["message"].as_str().unwrap_or("").contains(says),
            "{says}: {b}"
        );
    }
    let (_, list) = s.get(&admin, "/api/roster").await;
    assert_eq!(list["shifts"], json!([]), "nothing saved: {list}");
}
