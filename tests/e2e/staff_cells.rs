//! 人员分布: the `staff_cells` layer over a real server and socket — the
//! counts a snapshot carries instead of every member, scoped (分级授权),
//! boxed, and the changes pushed after a fix.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use h3o::{LatLng, Resolution};
use riskmap::identity::UserRole;
use riskmap_tests::incidents::add_user;
use riskmap_tests::{TestServer, swap_districts};
use serde_json::{Value, json};

/// Members counted in a `staff_cells` list, all classes.
fn total(cells: &Value) -> u64 {
    cells
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["counts"].as_array().unwrap())
        .map(|pair| pair[1].as_u64().unwrap())
        .sum()
}

fn cell(lon: f64, lat: f64) -> String {
    LatLng::new(lat, lon)
        .unwrap()
        .to_cell(Resolution::Nine)
        .to_string()
}

/// The class number of a role and duty, online or not, from the legend.
fn class(legend: &Value, role: &str, duty: &str, offline: bool) -> u64 {
    let at = |key: &str, name: &str| {
        legend[key]
            .as_array()
            .unwrap()
            .iter()
            .position(|x| x == name)
            .unwrap() as u64
    };
    let duties = legend["duties"].as_array().unwrap().len() as u64;
    (at("roles", role) * duties + at("duties", duty)) * 2 + u64::from(offline)
}

/// S1's phone reports now, from 120.026 E 28.056 N (another cell than the fixtures').
async fn s1_reports_now(s: &TestServer) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let r = s
        .http
        .get(format!(
            "{}/osmand?id=dev-S1&lat=28.056&lon=120.026&timestamp={now}",
            s.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_snapshot_counts_staff_per_cell_within_scope_and_box_and_fixes_update_them() {
    let s = TestServer::start().await;
    let screen = s.login("screen").await;
    let mut ws = s.ws(&screen).await;
    let city = [120.0, 28.0, 120.2, 28.1];
    ws.send(&json!({ "type": "subscribe", "bbox": city, "layers": ["staff_cells"] }))
        .await;
    let snap = ws.next_of("snapshot").await;
    assert!(snap.get("staff").is_none(), "counts, not members");
    let legend = &snap["staff_cells"];
    assert_eq!(legend["res"], 9);
    assert_eq!(legend["roles"][0], "grid_worker");
    assert_eq!(total(&legend["cells"]), 5);
    // S1, a grid worker, available (the fixtures' fixes count as fresh), in its cell.
    let s1 = cell(120.02, 28.05);
    let c = legend["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cell"] == s1.as_str())
        .unwrap_or_else(|| panic!("no cell {s1} in {legend}"));
    let online = class(legend, "grid_worker", "available", false);
    assert_eq!(c["counts"], json!([[online, 1]]));

    // A district commander counts their own district only.
    let district = s.login("district").await;
    let mut d = s.ws(&district).await;
    d.send(&json!({ "type": "subscribe", "bbox": city, "layers": ["staff_cells"] }))
        .await;
    assert_eq!(
        total(&d.next_of("snapshot").await["staff_cells"]["cells"]),
        3
    );

    // Drilled into district 11 and zoomed into its west: the area narrows
    // whom, the box where.
    d.send(&json!({ "type": "subscribe", "area": "11", "bbox": [120.0, 28.0, 120.05, 28.1], "layers": ["staff_cells", "staff"] }))
        .await;
    let snap = d.next_of("snapshot").await;
    assert_eq!(total(&snap["staff_cells"]["cells"]), 2, "S1 and S2");
    assert_eq!(snap["staff"].as_array().unwrap().len(), 2);
    d.send(&json!({ "type": "subscribe", "area": "12", "bbox": city, "layers": ["staff_cells"] }))
        .await;
    assert_eq!(d.next_of("error").await["error"], "not_found");

    // S1 reports now from elsewhere: the next census tells the city screen
    // its old cell emptied and its new one holds an online grid worker.
    s1_reports_now(&s).await;
    let changes = ws
        .next_of_within("staff_cells", Duration::from_secs(10))
        .await;
    let cells = changes["cells"].as_array().unwrap();
    let new = cell(120.026, 28.056);
    assert_ne!(new, s1);
    assert!(
        cells.contains(&json!({ "cell": s1, "counts": [] })),
        "{changes}"
    );
    assert!(
        cells.contains(&json!({ "cell": new, "counts": [[online, 1]] })),
        "{changes}"
    );
    assert_eq!(cells.len(), 2, "only the two cells that changed: {changes}");
}

#[tokio::test]
async fn staff_cells_is_a_layer_like_any_other_and_needs_a_box_or_an_area() {
    let s = TestServer::start().await;
    let screen = s.login("screen").await;
    let mut ws = s.ws(&screen).await;
    ws.send(&json!({ "type": "subscribe", "layers": ["staff_cells"] }))
        .await;
    let e = ws.next_of("error").await;
    assert_eq!(e["error"], "bad_request");
    assert!(e["message"].as_str().unwrap().contains("bbox"), "{e}");
    ws.send(&json!({ "type": "subscribe", "bbox": [120.0, 28.0, 120.2, 28.1], "layers": ["staff_cell"] }))
        .await;
    let e = ws.next_of("error").await;
    assert!(
        e["message"].as_str().unwrap().contains("staff_cells"),
        "{e}"
    );
}

#[tokio::test]
async fn a_screen_opening_after_nobody_watched_is_counted_afresh() {
    let s = TestServer::start().await;
    let screen = s.login("screen").await;
    let mut ws = s.ws(&screen).await;
    let city = [120.0, 28.0, 120.2, 28.1];
    let watch = json!({ "type": "subscribe", "bbox": city, "layers": ["staff_cells"] });
    ws.send(&watch).await;
    let s1 = cell(120.02, 28.05);
    let cells = ws.next_of("snapshot").await["staff_cells"]["cells"].clone();
    assert!(
        cells
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["cell"] == s1.as_str())
    );
    ws.send(&json!({ "type": "unsubscribe" })).await;
    ws.next_of("unsubscribed").await;

    // S1 moves while nobody watches, and a census pass goes by.
    s1_reports_now(&s).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;

    // The next screen's snapshot has S1 where they are now, not where the
    // last census (taken while someone watched) left them.
    ws.send(&watch).await;
    let cells = ws.next_of("snapshot").await["staff_cells"]["cells"].clone();
    let at = |c: &str| cells.as_array().unwrap().iter().any(|x| x["cell"] == c);
    assert!(at(&cell(120.026, 28.056)) && !at(&s1), "{cells}");
}

/// An areas import renumbers the grids, and the census taken before counts
/// members under their old grids' indexes until the next pass. A district's
/// screen that subscribes in between must count its own members, not those
/// of the district whose grids had its grids' numbers (分级授权).
#[tokio::test]
async fn a_district_subscribing_after_the_areas_are_renumbered_counts_its_own_staff() {
    let s = TestServer::start().await;
    add_user(&s, "east", UserRole::Dispatcher, "12", None).await;
    let east = s.login("east").await;
    let screen = s.login("screen").await;
    let city = [120.0, 28.0, 120.2, 28.1];
    let subscribe = json!({ "type": "subscribe", "bbox": city, "layers": ["staff_cells"] });
    // The city screen watching keeps a census taken.
    let mut ws = s.ws(&screen).await;
    ws.send(&subscribe).await;
    assert_eq!(
        total(&ws.next_of("snapshot").await["staff_cells"]["cells"]),
        5
    );
    let mut e = s.ws(&east).await;
    swap_districts(&s);
    e.send(&subscribe).await;
    assert_eq!(
        total(&e.next_of("snapshot").await["staff_cells"]["cells"]),
        2,
        "the east district counts S4 and S5, not the west's three"
    );
}
