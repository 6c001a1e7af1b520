//! Layer imports through OGC API - Features end to end (`POST
//! /ogc/collections/{id}/items`, merge and replace): live and in the store,
//! validated whole, administrators only; and the grid locator kept between
//! starts following an areas import. The real server on 127.0.0.1:0 over the
//! two-district test city (11 areas, staff S1–S5, cameras C1–C2).
#![allow(clippy::unwrap_used)]

use riskmap_tests as common;

use common::ogc::ids;
use common::{TestServer, grid};
use serde_json::{Value, json};

fn camera(id: &str, lon: f64, lat: f64) -> Value {
    json!({
        "type": "Feature", "id": id,
        "geometry": { "type": "Point", "coordinates": [lon, lat] },
        "properties": { "id": id, "name": format!("摄像头{id}"), "range_m": 100.0, "owner": "社区" },
    })
}

fn collection(features: Vec<Value>) -> Value {
    let mut fc = json!({ "type": "FeatureCollection" });
    fc["features"] = Value::Array(features);
    fc
}

#[tokio::test]
async fn merge_import_adds_a_camera_live_and_in_the_store() {
    let mut s = TestServer::start().await;
    let admin = s.login("admin").await;
    let screen = s.login("screen").await;
    let mut ws = s.ws(&screen).await;
    ws.send(&json!({ "type": "subscribe", "bbox": [120.0, 28.0, 120.2, 28.1], "layers": ["staff", "cameras"] }))
        .await;
    let snap = ws.next_of("snapshot").await;
    assert_eq!(snap["cameras"].as_array().unwrap().len(), 2);

    let (status, r) = s
        .post(
            &admin,
            "/ogc/collections/cameras/items",
            &collection(vec![camera("C3", 120.16, 28.05)]),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        r,
        json!({ "layer": "cameras", "mode": "merge", "imported": 1, "total": 3 })
    );
    // Dispatch sees it at once.
    let d = s.login("dispatcher").await;
    let (_, b) = s
        .get(&d, "/api/dispatch/cameras?lon=120.1605&lat=28.05")
        .await;
    assert_eq!(b["cameras"][0]["id"], "C3", "{b}");
    // Live viewers get a fresh snapshot, then word of the change.
    let snap = ws.next_of("snapshot").await;
    let cams: Vec<&str> = snap["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(cams.contains(&"C3"), "{cams:?}");
    let changed = ws.next_of("layer_changed").await;
    assert_eq!(changed["layer"], "cameras");
    // Merging again replaces by id.
    let mut moved = camera("C3", 120.17, 28.05);
    moved["properties"]["name"] = json!("改名");
    let (status, r) = s
        .post(
            &admin,
            "/ogc/collections/cameras/items?mode=merge",
            &collection(vec![moved]),
        )
        .await;
    assert_eq!((status, r["total"].as_u64()), (200, Some(3)));
    let (_, f) = s.get(&d, "/ogc/collections/cameras/items/C3").await;
    assert_eq!(f["properties"]["name"], "改名");
    assert_eq!(f["geometry"]["coordinates"], json!([120.17, 28.05]));
    // The store has it: it survives a restart.
    drop(ws);
    s.restart().await;
    let d = s.login("dispatcher").await;
    let (_, fc) = s.get(&d, "/ogc/collections/cameras/items").await;
    assert_eq!(ids(&fc), ["C1", "C2", "C3"]);
}

#[tokio::test]
async fn replace_imports_make_the_layer_exactly_the_import() {
    let s = TestServer::start().await;
    let admin = s.login("admin").await;
    let risk = |id: &str, lon: f64| {
        json!({
            "type": "Feature",
            "geometry": { "type": "Point", "coordinates": [lon, 28.05] },
            "properties": { "id": id, "name": "仓库", "category": "危化品企业", "level": 1 },
        })
    };
    let (status, r) = s
        .post(
            &admin,
            "/ogc/collections/risk_sources/items?mode=replace",
            &collection(vec![risk("R2", 120.03), risk("R3", 120.13)]),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        r,
        json!({ "layer": "risk_sources", "mode": "replace", "imported": 2, "total": 2 })
    );
    let (_, fc) = s.get(&admin, "/ogc/collections/risk_sources/items").await;
    assert_eq!(ids(&fc), ["R2", "R3"]);
    assert_eq!(
        s.get(&admin, "/ogc/collections/risk_sources/items/R1")
            .await
            .0,
        404
    );
    let d = s.login("district").await;
    let (_, fc) = s.get(&d, "/ogc/collections/risk_sources/items").await;
    assert_eq!(ids(&fc), ["R2"], "placed in district 11's grid");
    let (status, r) = s
        .post(
            &admin,
            "/ogc/collections/key_places/items?mode=replace",
            &collection(vec![]),
        )
        .await;
    assert_eq!((status, r["total"].as_u64()), (200, Some(0)));
}

#[tokio::test]
async fn staff_merge_keeps_live_positions() {
    let s = TestServer::start().await;
    let admin = s.login("admin").await;
    // Staff: a new member from a plain roster (a point, no fix), and S1
    // renamed without a position: S1 keeps the live one.
    let (status, r) = s
        .post(
            &admin,
            "/ogc/collections/staff/items",
            &collection(vec![
                json!({ "type": "Feature", "id": "S6",
                        "geometry": { "type": "Point", "coordinates": [120.16, 28.07] },
                        "properties": { "name": "新人", "role": "volunteer", "home_grid": grid(12, 2),
                                        "devices": ["dev-S6"] } }),
                json!({ "type": "Feature", "geometry": null,
                        "properties": { "id": "S1", "name": "改名", "role": "grid_worker", "home_grid": grid(11, 1),
                                        "devices": ["dev-S1"], "duty": "available" } }),
            ]),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (r["imported"].as_u64(), r["total"].as_u64()),
        (Some(2), Some(6))
    );
    let (_, f) = s.get(&admin, "/ogc/collections/staff/items/S1").await;
    assert_eq!(f["properties"]["name"], "改名");
    assert_eq!(
        f["geometry"]["coordinates"],
        json!([120.02, 28.05]),
        "the live position stays"
    );
    let (_, f) = s.get(&admin, "/ogc/collections/staff/items/S6").await;
    assert_eq!(f["geometry"]["coordinates"], json!([120.16, 28.07]));
    let r = s
        .http
        .get(format!(
            "{}/osmand?id=dev-S6&lat=28.071&lon=120.161&timestamp=1767225900",
            s.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the new device is known");
}

#[tokio::test]
async fn area_merges_rebuild_the_tree_and_orphans_are_refused() {
    let s = TestServer::start().await;
    let admin = s.login("admin").await;
    // Areas: a merge renames a grid; a replace that drops staff's home grids is refused.
    let (_, mut renamed) = s
        .get(
            &admin,
            &format!("/ogc/collections/areas/items/{}", grid(11, 1)),
        )
        .await;
    renamed["properties"]["name"] = json!("五马第1网格");
    renamed.as_object_mut().unwrap().remove("links");
    let (status, r) = s
        .post(
            &admin,
            "/ogc/collections/areas/items",
            &collection(vec![renamed]),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (r["imported"].as_u64(), r["total"].as_u64()),
        (Some(1), Some(11))
    );
    let (_, b) = s
        .get(&admin, "/api/dispatch/locate?lon=120.02&lat=28.05")
        .await;
    assert_eq!(b["grid"]["name"], "五马第1网格");
    let (_, all) = s.get(&admin, "/ogc/collections/areas/items").await;
    let without_s5_home: Vec<Value> = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] != grid(12, 2).as_str())
        .cloned()
        .collect();
    assert_eq!(without_s5_home.len(), 10);
    let (status, e) = s
        .post(
            &admin,
            "/ogc/collections/areas/items?mode=replace",
            &collection(without_s5_home),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("S5 (home grid"),
        "{e}"
    );
    let (_, fc) = s.get(&admin, "/ogc/collections/areas/items").await;
    assert_eq!(fc["numberMatched"], 11, "unchanged");

    // A replace with the same areas in another order: a district viewer's
    // live view stays their district.
    let d = s.login("district").await;
    let mut ws = s.ws(&d).await;
    ws.send(
        &json!({ "type": "subscribe", "bbox": [120.0, 28.0, 120.2, 28.1], "layers": ["staff"] }),
    )
    .await;
    let snap = ws.next_of("snapshot").await;
    assert_eq!(snap["staff"].as_array().unwrap().len(), 3);
    let mut reversed: Vec<Value> = fc["features"].as_array().unwrap().clone();
    reversed.reverse();
    let (status, r) = s
        .post(
            &admin,
            "/ogc/collections/areas/items?mode=replace",
            &collection(reversed),
        )
        .await;
    assert_eq!((status, r["total"].as_u64()), (200, Some(11)), "{r}");
    let snap = ws.next_of("snapshot").await;
    let staff: Vec<&str> = snap["staff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(staff.len(), 3, "{staff:?}");
    assert!(
        staff.iter().all(|id| ["S1", "S2", "S3"].contains(id)),
        "{staff:?}"
    );
    assert_eq!(ws.next_of("layer_changed").await["layer"], "areas");
    let (_, fc) = s.get(&d, "/ogc/collections/staff/items").await;
    assert_eq!(ids(&fc), ["S1", "S2", "S3"]);
}

#[tokio::test]
async fn one_invalid_feature_refuses_the_whole_import() {
    let s = TestServer::start().await;
    let admin = s.login("admin").await;
    let open_ring = json!({
        "type": "Feature",
        "geometry": { "type": "Polygon", "coordinates": [[[120.0, 28.0], [120.01, 28.0], [120.01, 28.01], [120.0, 28.01]]] },
        "properties": { "id": "R9", "name": "x", "category": "y", "level": 3 },
    });
    let point_risk = json!({
        "type": "Feature",
        "geometry": { "type": "Point", "coordinates": [120.01, 28.01] },
        "properties": { "id": "R8", "name": "x", "category": "y", "level": 3 },
    });
    let cases = [
        (
            "cameras",
            collection(vec![
                camera("C7", 120.03, 28.05),
                camera("C8", 120.03, 99.0),
            ]),
            "feature 1: invalid coordinate: latitude",
        ),
        (
            "risk_sources",
            collection(vec![point_risk, open_ring]),
            "feature 1: invalid geometry: a linear ring must end where it starts",
        ),
        (
            "cameras",
            collection(vec![
                camera("C7", 120.03, 28.05),
                camera("C7", 120.04, 28.05),
            ]),
            "feature 1: duplicate id C7",
        ),
        (
            "staff",
            collection(vec![json!({ "type": "Feature", "geometry": null,
                "properties": { "id": "S9", "name": "x", "role": "police", "home_grid": "999" } })]),
            "feature 0: unknown home_grid 999",
        ),
        (
            "staff",
            collection(vec![json!({ "type": "Feature", "geometry": null,
                "properties": { "id": "S9", "name": "x", "role": "police", "home_grid": grid(11, 1),
                                "devices": ["dev-S4"] } })]),
            "feature 0: device dev-S4 already belongs to staff S4",
        ),
        (
            "staff",
            collection(vec![json!({ "type": "Feature", "geometry": null,
                "properties": { "id": "S9", "name": "x", "role": "pilot", "home_grid": grid(11, 1) } })]),
            "feature 0: invalid properties",
        ),
        (
            "areas",
            collection(vec![json!({ "type": "Feature",
                "geometry": { "type": "Polygon", "coordinates": [[[120.0, 28.0], [120.01, 28.0], [120.01, 28.01], [120.0, 28.0]]] },
                "properties": { "code": "77", "name": "x", "level": "street", "parent": "nope" } })]),
            "feature 0: unknown parent nope",
        ),
        ("cameras", json!({ "type": "Feature" }), "FeatureCollection"),
        ("cameras", json!([]), "FeatureCollection"),
    ];
    for (layer, body, want) in cases {
        let (status, e) = s
            .post(&admin, &format!("/ogc/collections/{layer}/items"), &body)
            .await;
        assert_eq!(status, 400, "{layer}: {e}");
        assert_eq!(e["error"], "bad_request");
        let message = e["message"].as_str().unwrap();
        assert!(
            message.contains(want),
            "{layer}: {message:?} lacks {want:?}"
        );
    }
    let r = s
        .http
        .post(format!("{}/ogc/collections/cameras/items", s.base))
        .bearer_auth(&admin)
        .header("content-type", "application/geo+json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "bad_request");
    let (status, _) = s
        .post(
            &admin,
            "/ogc/collections/cameras/items?mode=upsert",
            &collection(vec![]),
        )
        .await;
    assert_eq!(status, 400);
    // Nothing changed.
    let (_, fc) = s.get(&admin, "/ogc/collections/cameras/items").await;
    assert_eq!(ids(&fc), ["C1", "C2"]);
    let (_, fc) = s.get(&admin, "/ogc/collections/risk_sources/items").await;
    assert_eq!(ids(&fc), ["R1"]);
    let (_, fc) = s.get(&admin, "/ogc/collections/staff/items").await;
    assert_eq!(fc["numberMatched"], 5);
}

#[tokio::test]
async fn only_the_system_admin_imports() {
    let s = TestServer::start().await;
    let body = collection(vec![camera("C5", 120.03, 28.05)]);
    for user in ["dispatcher", "commander", "district", "screen", "field"] {
        let t = s.login(user).await;
        let (status, e) = s.post(&t, "/ogc/collections/cameras/items", &body).await;
        assert_eq!(
            (status, e["error"].as_str()),
            (403, Some("forbidden")),
            "{user}"
        );
    }
    let r = s
        .http
        .post(format!("{}/ogc/collections/cameras/items", s.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let admin = s.login("admin").await;
    assert_eq!(
        s.post(
            &admin,
            "/ogc/collections/incidents/items",
            &collection(vec![])
        )
        .await
        .0,
        400
    );
    assert_eq!(
        s.post(&admin, "/ogc/collections/nope/items", &body).await.0,
        404
    );
    let (_, fc) = s.get(&admin, "/ogc/collections/cameras/items").await;
    assert_eq!(ids(&fc), ["C1", "C2"]);
}

/// The grid of each point of a lattice over the test city (`None` outside
/// every grid).
async fn grids_at(s: &TestServer, token: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for i in 0..21 {
        for j in 0..6 {
            let (lon, lat) = (119.995 + f64::from(i) * 0.01, 27.995 + f64::from(j) * 0.02);
            let (status, b) = s
                .get(token, &format!("/api/dispatch/locate?lon={lon}&lat={lat}"))
                .await;
            assert!(status == 200 || status == 404, "{status} {b}");
            out.push(b["grid"]["code"].as_str().map(str::to_owned));
        }
    }
    out
}

/// The grid locator's image as the store keeps it.
async fn kept_locator(s: &TestServer) -> Option<Vec<u8>> {
    s.server()
        .app
        .store
        .index_image("grid-locator")
        .await
        .unwrap()
}

/// The grid locator is kept in the store between starts (`index_images`):
/// a restart takes it and answers every point as before; a damaged one is
/// built afresh and replaced; an import that changes the grids keeps the
/// new locator's image, and a restart answers by the new grids, never from
/// the image of the old.
#[tokio::test]
async fn the_grid_locator_kept_between_starts_follows_the_grids() {
    let mut s = TestServer::start().await;
    let admin = s.login("admin").await;
    let first = kept_locator(&s).await.expect("kept at the first start");
    let before = grids_at(&s, &admin).await;
    assert_eq!(before.iter().filter(|g| g.is_some()).count(), 100);

    s.restart().await;
    assert_eq!(grids_at(&s, &admin).await, before);
    assert_eq!(
        kept_locator(&s).await.as_ref(),
        Some(&first),
        "taken, not rebuilt"
    );

    s.server()
        .app
        .store
        .put_index_image("grid-locator", b"damaged")
        .await
        .unwrap();
    s.restart().await;
    assert_eq!(grids_at(&s, &admin).await, before);
    let rebuilt = kept_locator(&s).await.unwrap();
    assert_ne!(rebuilt, b"damaged", "replaced by a good one");

    // District 11's two grids trade places.
    let (_, mut west) = s
        .get(
            &admin,
            &format!("/ogc/collections/areas/items/{}", grid(11, 1)),
        )
        .await;
    let (_, mut east) = s
        .get(
            &admin,
            &format!("/ogc/collections/areas/items/{}", grid(11, 2)),
        )
        .await;
    let west_geometry = west["geometry"].take();
    west["geometry"] = east["geometry"].take();
    east["geometry"] = west_geometry;
    for f in [&mut west, &mut east] {
        f.as_object_mut().unwrap().remove("links");
    }
    let (status, r) = s
        .post(
            &admin,
            "/ogc/collections/areas/items",
            &collection(vec![west, east]),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let swapped = grids_at(&s, &admin).await;
    assert_ne!(swapped, before);
    // The import keeps the new locator's image itself (in the background),
    // so that the next start need not build it.
    let mut after_import = None;
    for _ in 0..100 {
        after_import = kept_locator(&s).await.filter(|i| *i != rebuilt);
        if after_import.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let after_import = after_import.expect("the import keeps the new locator's image");
    s.restart().await;
    assert_eq!(
        grids_at(&s, &admin).await,
        swapped,
        "the new grids, not the old image"
    );
    let (_, b) = s
        .get(&admin, "/api/dispatch/locate?lon=120.02&lat=28.05")
        .await;
    assert_eq!(b["grid"]["code"], grid(11, 2));
    assert_eq!(kept_locator(&s).await.unwrap(), after_import);
}
