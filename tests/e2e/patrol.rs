//! 巡查覆盖 end to end: a worker's simulated walk posted as fixes, the
//! grids' coverage, the day card and the patrol log (巡查台账) checked
//! against figures counted here from the same fixes by brute force; the
//! same figures after a restart (today read back from the stored tracks);
//! 分级授权 on every question.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use geo::{Contains, Point};
use h3o::{LatLng, Resolution};
use riskmap_engine::sphere::{LonLat, distance_m};
use riskmap_tests::{TestServer, city_areas, grid, test_args};
use serde_json::{Value, json};

/// The rules the server runs with: grid 11-1 wants two visits and a tenth
/// of its cells, at resolution 8 (cells of 0.7 km²).
const RULES: &str = r#"{"resolution": 8,
  "default": {"visits_per_day": 1, "coverage": 0.5, "visit_by": null},
  "grids": {"11001001001": {"visits_per_day": 2, "coverage": 0.1}}}"#;

/// S1's walk: across grid 11-1, into 11-2, and back into 11-1.
fn walk(now: i64) -> Vec<(i64, LonLat)> {
    let mut points = Vec::new();
    for i in 0..20 {
        let k = f64::from(i);
        points.push((120.005 + 0.002 * k, 28.01 + 0.0035 * k));
    }
    for i in 0..5 {
        points.push((120.055 + 0.001 * f64::from(i), 28.08));
    }
    for i in 0..10 {
        points.push((
            120.045 - 0.003 * f64::from(i),
            28.085 - 0.001 * f64::from(i),
        ));
    }
    // Inside today, whatever the hour: 30 s apart, or closer just after
    // local midnight.
    let start = riskmap::clock::now_ms();
    let midnight = (start + 8 * 3_600_000).div_euclid(86_400_000) * 86_400_000 - 8 * 3_600_000;
    let n = i64::try_from(points.len()).unwrap();
    let step = 30_000.min((now - midnight) / (n + 1)).max(1);
    points
        .into_iter()
        .enumerate()
        .map(|(i, (lon, lat))| {
            let i = i64::try_from(i).unwrap();
            (now - (n - i) * step, LonLat::new(lon, lat).unwrap())
        })
        .collect()
}

/// What the server should say of a grid, counted from the walk alone.
fn brute(walk: &[(i64, LonLat)], code: &str) -> (u32, i64, f64, usize) {
    let areas = city_areas();
    let outline = |c: &str| &areas.iter().find(|a| a.code == c).unwrap().geometry;
    let inside = |c: &str, p: LonLat| outline(c).contains(&Point::new(p.lon, p.lat));
    let (mut visits, mut time, mut metres) = (0, 0, 0.0);
    let mut cells = std::collections::BTreeSet::new();
    for (i, &(t, p)) in walk.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| walk[j]);
        if inside(code, p) && before.is_none_or(|(_, q)| !inside(code, q)) {
            visits += 1;
        }
        if let Some((t0, q)) = before
            && inside(code, q)
        {
            time += t - t0;
            let d = distance_m(q, p);
            #[allow(clippy::cast_precision_loss)]
            if d <= 30.0 * (t - t0) as f64 / 1000.0 {
                metres += d;
            }
        }
        let cell = LatLng::new(p.lat, p.lon)
            .unwrap()
            .to_cell(Resolution::Eight);
        let c = LatLng::from(cell);
        if inside(code, LonLat::new(c.lng(), c.lat()).unwrap()) {
            cells.insert(cell);
        }
    }
    (visits, time, metres, cells.len())
}

fn grid_of<'a>(coverage: &'a Value, code: &str) -> &'a Value {
    coverage["grids"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {coverage}"))
}

fn assert_figures(coverage: &Value, code: &str, walk: &[(i64, LonLat)]) {
    let g = grid_of(coverage, code);
    let (visits, time_ms, metres, cells) = brute(walk, code);
    assert_eq!(g["visits"], visits, "{g}");
    assert_eq!(g["time_s"], time_ms / 1000, "{g}");
    assert!(
        (g["distance_m"].as_f64().unwrap() - metres).abs() < 0.2,
        "{g}: {metres}"
    );
    assert_eq!(g["cells_walked"], cells, "{g}");
    assert!(cells > 0);
}

#[tokio::test]
async fn coverage_day_card_and_log_follow_the_walk_and_survive_a_restart() {
    let (mut args, tmp) = test_args().await;
    let rules = tmp.path().join("patrol.json");
    std::fs::write(&rules, RULES).unwrap();
    args.patrol_config = Some(rules);
    let mut s = TestServer::start_in(args, tmp).await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await; // S1, home grid 11-1
    let (g1, g2) = (grid(11, 1), grid(11, 2));

    // Nobody has walked yet: every grid is not visited, none yet due.
    let (status, before) = s.get(&disp, "/api/patrol/coverage").await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["resolution"], 8);
    assert_eq!(before["grids"].as_array().unwrap().len(), 4, "{before}");
    assert_eq!(grid_of(&before, &g1)["status"], "none");
    assert_eq!(grid_of(&before, &g1)["rule"]["visits_per_day"], 2);
    assert!(
        grid_of(&before, &g1)["cells"].as_u64().unwrap() > 50,
        "{before}"
    );

    let now = riskmap::clock::now_ms();
    let walk = walk(now);
    let first_leg: Vec<Value> = walk[..20]
        .iter()
        .map(|(t, p)| json!({ "lon": p.lon, "lat": p.lat, "t": t }))
        .collect();
    let (status, b) = s
        .post(&field, "/api/fixes", &json!({ "fixes": first_leg }))
        .await;
    assert_eq!(status, 200, "{b}");
    // One visit of two: partly covered.
    let (_, mid) = s.get(&disp, "/api/patrol/coverage").await;
    assert_figures(&mid, &g1, &walk[..20]);
    assert_eq!(grid_of(&mid, &g1)["status"], "partly", "{mid}");
    let rest: Vec<Value> = walk[20..]
        .iter()
        .map(|(t, p)| json!({ "lon": p.lon, "lat": p.lat, "t": t }))
        .collect();
    let (status, b) = s
        .post(&field, "/api/fixes", &json!({ "fixes": rest }))
        .await;
    assert_eq!(status, 200, "{b}");
    let (_, after) = s.get(&disp, "/api/patrol/coverage").await;
    assert_eq!(after["complete"], true);
    for code in [&g1, &g2] {
        assert_figures(&after, code, &walk);
    }
    assert_eq!(grid_of(&after, &g1)["visits"], 2);
    assert_eq!(grid_of(&after, &g1)["status"], "covered", "{after}");
    assert_eq!(grid_of(&after, &g2)["status"], "partly", "{after}");
    assert_eq!(grid_of(&after, &grid(12, 1))["status"], "none");
    assert_eq!(after["counts"]["covered"], 1);

    // The worker's day card.
    let (status, card) = s.get(&disp, "/api/patrol/staff/S1").await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(card["fixes"], walk.len());
    assert_eq!(card["track"].as_array().unwrap().len(), walk.len());
    assert_eq!(card["grids"][0]["code"], g1, "longest first: {card}");
    let shares: i64 = card["grids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["time_s"].as_i64().unwrap())
        .sum();
    assert!(
        shares <= card["time_s"].as_i64().unwrap() && shares > 0,
        "{card}"
    );

    // The log, as JSON and CSV.
    let (_, log) = s.get(&disp, "/api/patrol/log").await;
    let rows = log["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{log}");
    assert!(rows.iter().all(|r| r["staff_id"] == "S1"), "{log}");
    let r = s
        .http
        .get(format!("{}/api/patrol/log?format=csv", s.base))
        .bearer_auth(&disp)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert!(
        lines[0].starts_with("\u{feff}day,staff_id,staff_name,grid"),
        "{csv}"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].contains(",S1,员工S1,"), "{csv}");

    // 分级授权: district 11's commander sees its two grids, not 12's
    // grids nor its staff.
    let district = s.login("district").await;
    let (_, mine) = s.get(&district, "/api/patrol/coverage").await;
    assert_eq!(mine["grids"].as_array().unwrap().len(), 2, "{mine}");
    let (status, _) = s.get(&district, "/api/patrol/coverage?area=12").await;
    assert_eq!(status, 404);
    let (status, _) = s.get(&district, "/api/patrol/staff/S4").await;
    assert_eq!(status, 404);

    // Bad questions are refused with a reason.
    for (path, says) in [
        ("/api/patrol/coverage?day=2026-13-01", "YYYY-MM-DD"),
        ("/api/patrol/coverage?day=2999-01-01", "has not begun"),
        ("/api/patrol/coverage?format=csv", "log only"),
        ("/api/patrol/staff/S1?area=11", "not a parameter"),
        ("/api/patrol/log?format=xml", "format"),
    ] {
        let (status, b) = s.get(&disp, path).await;
        assert!(status == 400 || status == 404, "{path}: {status} {b}");
        assert!(
            b["error"].as_str().unwrap_or_default().contains(says) || b.to_string().contains(says),
            "{path}: {b}"
        );
    }

    // A restart: today is read back from the stored tracks.
    s.restart().await;
    let disp = s.login("dispatcher").await;
    let mut again = Value::Null;
    for _ in 0..100 {
        again = s.get(&disp, "/api/patrol/coverage").await.1;
        if again["complete"] == true {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(again["complete"], true, "{again}");
    for code in [&g1, &g2] {
        assert_eq!(grid_of(&again, code), grid_of(&after, code), "{code}");
    }
    // A past day is read from the tracks too: yesterday held none of them.
    let yesterday = chrono_day(now - 86_400_000);
    let (status, past) = s
        .get(&disp, &format!("/api/patrol/coverage?day={yesterday}"))
        .await;
    assert_eq!(status, 200, "{past}");
    assert_eq!(grid_of(&past, &g1)["visits"], 0, "{past}");
    assert_eq!(
        grid_of(&past, &g1)["status"],
        "overdue",
        "a past day is over: {past}"
    );
}

/// The local (UTC+8) date of an instant, YYYY-MM-DD.
fn chrono_day(t: i64) -> String {
    chrono::DateTime::from_timestamp_millis(t + 8 * 3_600_000)
        .unwrap()
        .date_naive()
        .to_string()
}

/// The patrol rules' exceptions as alerts, each raised once: grid 11-2,
/// due by midnight and not visited while its worker S3 is on duty and
/// elsewhere (未按时入格; nothing while S3 stands in it);
/// the school K1, inspected eight days ago on a seven-day rhythm (逾期未检),
/// told to grid 11-1's grid worker S1 (not the police officer S2).
#[tokio::test]
async fn patrol_exceptions_are_raised_once_as_alerts() {
    use riskmap::event::DomainEvent;
    use riskmap::venue::{Inspection, ScanKind};
    let (mut args, tmp) = test_args().await;
    let rules = tmp.path().join("patrol.json");
    std::fs::write(
        &rules,
        r#"{"default": {"visit_by": null}, "grids": {"11001001002": {"visit_by": "00:00"}}}"#,
    )
    .unwrap();
    args.patrol_config = Some(rules);
    let s = TestServer::start_in(args, tmp).await;
    let app = &s.server().app;
    let disp = s.login("dispatcher").await;
    let now = riskmap::clock::now_ms();
    // Wait for today's read-back, then the pass.
    for _ in 0..100 {
        if s.get(&disp, "/api/patrol/coverage").await.1["complete"] == true {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    app.apply(&DomainEvent::InspectionRecorded {
        inspection: Inspection {
            id: "INS-old".into(),
            place_id: "K1".into(),
            place_name: "实验小学".into(),
            place_category: "学校".into(),
            grid: Some(grid(11, 1)),
            kind: ScanKind::Inspection,
            staff_id: "S1".into(),
            staff_name: "员工S1".into(),
            at_ms: now - 8 * 86_400_000,
            position: LonLat::new(120.0185, 28.0485).unwrap(),
            distance_m: 0.0,
            checklist: Vec::new(),
            problems: 0,
            note: None,
            photos: Vec::new(),
        },
    });
    // S3 stands in 11-2 (as loaded at start, no track): it is not late.
    let places_only = app.raise_patrol_alerts(now).await;
    assert_eq!(places_only, 1, "the place only");
    // S3 walks into 11-1 (a committed fix, applied as every fix is).
    let fix = riskmap_engine::model::Fix::at(LonLat::new(120.03, 28.06).unwrap(), now);
    app.apply(&DomainEvent::FixesRecorded {
        fixes: vec![riskmap::event::StaffFix {
            staff_id: "S3".into(),
            fix,
        }],
    });
    assert_eq!(app.raise_patrol_alerts(now).await, 1, "the grid now");
    assert_eq!(app.raise_patrol_alerts(now + 60_000).await, 0, "once");
    let (_, list) = s.get(&disp, "/api/alerts?state=active").await;
    let mut got: Vec<(String, String, String)> = list["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_owned(),
                a["staff_id"].as_str().unwrap().to_owned(),
                a["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got.len(), 2, "{list}");
    assert_eq!(
        (got[0].0.as_str(), got[0].1.as_str()),
        ("not_visited", "S3"),
        "{list}"
    );
    assert!(
        got[0]
            .2
            .starts_with(&format!("not_visited-{}-", grid(11, 2))),
        "{list}"
    );
    assert_eq!(
        (got[1].0.as_str(), got[1].1.as_str()),
        ("place_overdue", "S1"),
        "{list}"
    );
    assert!(
        list.to_string().contains("实验小学（学校）逾期未检"),
        "{list}"
    );
}

/// The patrol alerts' pass, the patrol views and a fix's patrol feed take
/// the same two locks, the engine's and the patrol days'; in opposite orders
/// they deadlock as soon as a fix batch (a writer) queues for the engine
/// between them, and the server with it. Here a writer takes the engine's
/// lock all the time while fixes are applied, the pass runs and a
/// dispatcher reads the coverage; a deadlock cannot be undone, so a watchdog
/// ends the test process with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_patrol_alerts_and_the_fixes_take_their_locks_in_one_order() {
    use riskmap::event::{DomainEvent, StaffFix};
    use riskmap_tests::locks::{Busy, watchdog};
    let s = TestServer::start().await;
    let app = s.server().app.clone();
    let mut busy = Busy::default();
    busy.spin({
        let app = app.clone();
        move |_| drop(app.engine.write())
    });
    let start = riskmap::clock::now_ms() - 3_600_000;
    busy.spin({
        let app = app.clone();
        move |i| {
            let i = i64::try_from(i).unwrap();
            let at = LonLat::new(120.005 + 0.0001 * (i % 100) as f64, 28.01).unwrap();
            app.apply(&DomainEvent::FixesRecorded {
                fixes: vec![StaffFix {
                    staff_id: "S1".into(),
                    fix: riskmap_engine::model::Fix::at(at, start + i),
                }],
            });
        }
    });
    let done = watchdog("the_patrol_alerts_and_the_fixes_take_their_locks_in_one_order");
    let disp = s.login("dispatcher").await;
    let now = riskmap::clock::now_ms();
    for i in 0..1_000 {
        app.raise_patrol_alerts(now).await;
        // Within the token's 200 requests a second, whatever the pace.
        if i % 10 == 0 {
            let (status, body) = s.get(&disp, "/api/patrol/coverage").await;
            assert_eq!(status, 200, "{body}");
        }
    }
    busy.stop();
    done.send(()).unwrap();
}

/// A city's coverage and patrol log are made on a blocking thread once a
/// heavy query's turn is free (at 50,000 grids the coverage is 12 MB of
/// JSON, which on an async worker held up every fix queued behind it): with
/// every turn taken they wait while a fix is taken and a nearest query
/// answered, and come once a turn is free, whole.
#[tokio::test]
async fn the_coverage_and_the_log_wait_for_a_turn_while_fixes_go_on() {
    let s = TestServer::start().await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await;
    // Once first: the grids' cells are counted at the first question.
    let (status, first) = s.get(&disp, "/api/patrol/coverage").await;
    assert_eq!(status, 200, "{first}");
    let turns = riskmap_tests::locks::every_turn(&s.server().app.heavy_queries).await;
    let coverage = s.get_later(&disp, "/api/patrol/coverage");
    let logs = ["json", "csv"]
        .map(|format| s.get_later(&disp, &format!("/api/patrol/log?format={format}")));
    s.others_go_on(&field, &disp).await;
    assert!(!coverage.is_finished(), "the coverage waited for a turn");
    assert!(
        logs.iter().all(|l| !l.is_finished()),
        "the logs waited for a turn"
    );
    drop(turns);
    let body = TestServer::json_later(coverage).await;
    assert_eq!(body["grids"].as_array().unwrap().len(), 4, "{body}");
    let counted: u64 = ["covered", "partly", "none", "overdue"]
        .iter()
        .map(|k| body["counts"][k].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 4, "every grid counted once: {body}");
    let [json_log, csv_log] = logs;
    let body = TestServer::json_later(json_log).await;
    assert!(body["rows"].is_array() && body["day"].is_string(), "{body}");
    let (status, kind, body) = csv_log.await.unwrap();
    assert_eq!(
        (status, kind.as_str()),
        (200, "text/csv; charset=utf-8"),
        "{body}"
    );
    assert!(
        body.starts_with("\u{feff}day,staff_id,staff_name,grid"),
        "{body}"
    );
}
