//! 分级授权 as a matrix: users of every role bound to every level of the
//! test city (city, district 11, district 12, grid 11-1, grid 12-1), against
//! every way of reading (REST, OGC items, dispatch queries, statistics,
//! `/ws` snapshots and deltas) and of writing. What each may see follows from
//! where things are: district 11 is west of 120.1°E, grid n = 1 the west half
//! of its district. Nobody sees or changes anything outside their subtree.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use riskmap_tests as common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{DEMO_PASSWORD, TestServer};
use riskmap::identity::UserRole;
use serde_json::{Value, json};

/// Who, and which longitudes they may see.
struct Who {
    name: &'static str,
    sees: fn(f64) -> bool,
}

const ALL: fn(f64) -> bool = |_| true;
const D11: fn(f64) -> bool = |lon| lon < 120.1;
const D12: fn(f64) -> bool = |lon| lon >= 120.1;
const G11_1: fn(f64) -> bool = |lon| (120.0..120.05).contains(&lon);
const G12_1: fn(f64) -> bool = |lon| (120.1..120.15).contains(&lon);

fn users() -> Vec<Who> {
    vec![
        Who {
            name: "admin",
            sees: ALL,
        },
        Who {
            name: "commander",
            sees: ALL,
        },
        Who {
            name: "dispatcher",
            sees: ALL,
        },
        Who {
            name: "screen",
            sees: ALL,
        },
        Who {
            name: "district",
            sees: D11,
        },
        Who {
            name: "screen11",
            sees: D11,
        },
        Who {
            name: "disp12",
            sees: D12,
        },
        Who {
            name: "field",
            sees: G11_1,
        },
        Who {
            name: "field4",
            sees: G12_1,
        },
    ]
}

/// The first coordinate's longitude of a GeoJSON geometry.
fn first_lon(g: &Value) -> f64 {
    let mut c = &g["coordinates"];
    while c[0].is_array() {
        c = &c[0];
    }
    c[0].as_f64().unwrap()
}

fn ids(list: &Value, key: &str) -> BTreeSet<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v[key].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn nobody_sees_or_changes_anything_outside_their_subtree() {
    let s = TestServer::start().await;
    let app = &s.server().app;
    for (name, role, area, staff) in [
        ("screen11", UserRole::Viewer, "11", None),
        ("disp12", UserRole::Dispatcher, "12", None),
        ("field4", UserRole::Field, "12001001001", Some("S4")),
    ] {
        app.auth
            .create_user(name, name, role, area, (staff, None), DEMO_PASSWORD, false)
            .await
            .unwrap();
    }
    let admin = s.login("admin").await;
    // An incident in every grid.
    for lon in [120.02, 120.07, 120.12, 120.17] {
        let (status, v) = s
            .post(
                &admin,
                "/api/incidents",
                &json!({ "category": "0101", "lon": lon, "lat": 28.05 }),
            )
            .await;
        assert_eq!(status, 201, "{v}");
    }
    // Everything there is, with where it is, as the admin sees it.
    let mut world: Vec<(&str, String, f64)> = Vec::new();
    for coll in [
        "staff",
        "cameras",
        "risk_sources",
        "key_places",
        "incidents",
    ] {
        let (_, fc) = s
            .get(&admin, &format!("/ogc/collections/{coll}/items?limit=1000"))
            .await;
        for f in fc["features"].as_array().unwrap() {
            world.push((
                coll,
                f["id"].as_str().unwrap().to_owned(),
                first_lon(&f["geometry"]),
            ));
        }
    }
    assert_eq!(world.len(), 13, "{world:?}");
    let expect = |who: &Who, coll: &str| -> BTreeSet<String> {
        world
            .iter()
            .filter(|(c, _, lon)| *c == coll && (who.sees)(*lon))
            .map(|(_, id, _)| id.clone())
            .collect()
    };
    let everyone = users();
    for (n, who) in everyone.iter().enumerate() {
        let t = s.login(who.name).await;
        let u = who.name;
        // OGC items, every layer.
        for coll in [
            "staff",
            "cameras",
            "risk_sources",
            "key_places",
            "incidents",
        ] {
            let (_, fc) = s
                .get(&t, &format!("/ogc/collections/{coll}/items?limit=1000"))
                .await;
            let got: BTreeSet<String> = fc["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(got, expect(who, coll), "{u}: OGC {coll}");
            for (c, id, lon) in world.iter().filter(|(c, _, _)| *c == coll) {
                let (status, _) = s.get(&t, &format!("/ogc/collections/{c}/items/{id}")).await;
                assert_eq!(
                    status == 200,
                    (who.sees)(*lon),
                    "{u}: OGC {c}/{id} → {status}"
                );
            }
        }
        // REST reads of staff and incidents.
        for (c, id, lon) in &world {
            let paths: Vec<String> = match *c {
                "staff" => vec![format!("/api/staff/{id}"), format!("/api/staff/{id}/track")],
                "incidents" => vec![
                    format!("/api/incidents/{id}"),
                    format!("/api/incidents/{id}/log"),
                    format!("/api/incidents/{id}/candidates"),
                ],
                _ => vec![],
            };
            for p in paths {
                let (status, _) = s.get(&t, &p).await;
                assert_eq!(status == 200, (who.sees)(*lon), "{u}: {p} → {status}");
            }
        }
        let (_, list) = s.get(&t, "/api/incidents").await;
        assert_eq!(
            ids(&list["incidents"], "id"),
            expect(who, "incidents"),
            "{u}: incident list"
        );
        let (_, stats) = s.get(&t, "/api/incidents/stats").await;
        assert_eq!(
            stats["total"].as_u64().unwrap() as usize,
            expect(who, "incidents").len(),
            "{u}: stats"
        );
        let (_, log) = s.get(&t, "/api/incidents/log").await;
        let logged: BTreeSet<String> = ids(&log["log"], "incident");
        assert_eq!(logged, expect(who, "incidents"), "{u}: log export");
        // 考核 and 我的待办 count only what the user sees.
        let grids = ids(&list["incidents"], "grid");
        let (_, ranked) = s.get(&t, "/api/assessment?level=grid").await;
        assert_eq!(ids(&ranked["rows"], "key"), grids, "{u}: assessment");
        let (_, queue) = s.get(&t, "/api/incidents?queue=mine").await;
        let waiting = ids(&queue["incidents"], "id");
        assert!(
            waiting.is_subset(&expect(who, "incidents")),
            "{u}: queue {waiting:?}"
        );
        // Departments: those of the user's subtree and those above it.
        let (_, depts) = s.get(&t, "/api/departments").await;
        for d in depts["departments"].as_array().unwrap() {
            let area = d["area"].as_str().unwrap();
            if area == "1" {
                continue; // the city's: above everyone
            }
            let lons = if area.starts_with("11") {
                (120.0, 120.1)
            } else {
                (120.1, 120.2)
            };
            let inside = (who.sees)(lons.0 + 0.01) || (who.sees)(lons.1 - 0.01);
            assert!(inside, "{u}: department {area} is none of theirs");
        }
        // Dispatch queries from a point in each district find only what the
        // user may see.
        for lon in [120.03, 120.13] {
            let (_, near) = s
                .get(
                    &t,
                    &format!("/api/dispatch/nearest?lon={lon}&lat=28.05&k=20&available=false"),
                )
                .await;
            let got = ids(&near["candidates"], "id");
            assert_eq!(got, expect(who, "staff"), "{u}: nearest from {lon}");
            let (_, by) = s
                .get(&t, &format!("/api/dispatch/nearby?lon={lon}&lat=28.05&radius_m=50000&layers=risk_sources,key_places,cameras"))
                .await;
            for (key, coll) in [
                ("risk_sources", "risk_sources"),
                ("key_places", "key_places"),
                ("cameras", "cameras"),
            ] {
                assert_eq!(
                    ids(&by[key], "id"),
                    expect(who, coll),
                    "{u}: nearby {key} from {lon}"
                );
            }
        }
        // /ws: the snapshot of the whole city.
        let mut ws = s.ws(&t).await;
        ws.send(&json!({ "type": "subscribe", "bbox": [119.9, 27.9, 120.3, 28.2],
                         "layers": ["staff", "cameras", "risk_sources", "key_places", "incidents"] }))
            .await;
        let snap = ws.next_of("snapshot").await;
        for coll in [
            "staff",
            "cameras",
            "risk_sources",
            "key_places",
            "incidents",
        ] {
            assert_eq!(
                ids(&snap[coll], "id"),
                expect(who, coll),
                "{u}: snapshot {coll}"
            );
        }
        // /ws deltas: S1 (grid 11-1) and S4 (grid 12-1) move; each user hears
        // of exactly those they may see.
        // Later for each user: an older fix would not move anyone.
        let t0 = 1_800_000_000_000i64 + n as i64 * 1000;
        let (status, _) = s
            .post(
                &admin,
                "/api/fixes",
                &json!({ "fixes": [
                    { "staff_id": "S1", "lon": 120.021, "lat": 28.051, "t": t0 },
                    { "staff_id": "S4", "lon": 120.111, "lat": 28.051, "t": t0 },
                ]}),
            )
            .await;
        assert_eq!(status, 200);
        let mut heard = BTreeSet::new();
        let until = tokio::time::Instant::now() + Duration::from_millis(800);
        while let Ok(Some(Ok(m))) =
            tokio::time::timeout_at(until, futures_util::StreamExt::next(&mut ws.stream)).await
        {
            if let tokio_tungstenite::tungstenite::Message::Text(text) = m {
                let v: Value = serde_json::from_str(text.as_str()).unwrap();
                if v["type"] == "staff_moves" {
                    heard.extend(ids(&v["moves"], "id"));
                }
            }
        }
        let moved: BTreeSet<String> = ["S1", "S4"]
            .into_iter()
            .filter(|id| expect(who, "staff").contains(*id))
            .map(str::to_owned)
            .collect();
        assert_eq!(heard, moved, "{u}: deltas");

        // Writes outside the subtree are refused.
        if u != "admin" {
            for (id, lon) in world
                .iter()
                .filter(|(c, _, _)| *c == "incidents")
                .map(|(_, id, lon)| (id, lon))
            {
                let (status, _) = s
                    .post(
                        &t,
                        &format!("/api/incidents/{id}/actions"),
                        &json!({ "action": "accept" }),
                    )
                    .await;
                if !(who.sees)(*lon) {
                    assert_eq!(status, 404, "{u}: accept {id}");
                }
            }
            let (status, _) = s
                .post(
                    &t,
                    "/api/fixes",
                    &json!({ "fixes": [{ "staff_id": "S5", "lon": 120.17, "lat": 28.05 }] }),
                )
                .await;
            assert!(
                status == 403 || (status == 200 && (who.sees)(120.17) && u != "screen"),
                "{u}: fix for S5 → {status}"
            );
        }
    }
}
