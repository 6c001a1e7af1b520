//! Vector tiles end to end: each static layer's tiles hold what the login
//! may see (分级授权) with the properties a map styles by; area levels
//! join as the zoom deepens; close cameras are thinned into one point with
//! their count; a tile's version answers 304 until an import changes it;
//! bad addresses are refused with a reason.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use riskmap::event::{CameraHealth, DomainEvent};
use riskmap::identity::UserRole;
use riskmap_engine::tile::TileId;
use riskmap_engine::tile::mvt::{DecodedFeature, DecodedValue, decode};
use riskmap_tests::incidents::add_user;
use riskmap_tests::{TestServer, swap_districts};
use serde_json::{Value, json};

/// A tile's answer: status, content type, `ETag`, body.
async fn fetch(
    s: &TestServer,
    token: Option<&str>,
    path: &str,
    etag: Option<&str>,
) -> (u16, String, String, Vec<u8>) {
    let mut r = s.http.get(format!("{}{path}", s.base));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(e) = etag {
        r = r.header("if-none-match", e);
    }
    let r = r.send().await.unwrap();
    let header = |h: &str| {
        r.headers()
            .get(h)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (ct, tag) = (header("content-type"), header("etag"));
    (
        r.status().as_u16(),
        ct,
        tag,
        r.bytes().await.unwrap().to_vec(),
    )
}

/// The features of `layer`'s tile of zoom `z` over a point.
async fn features(
    s: &TestServer,
    token: &str,
    layer: &str,
    z: u32,
    at: (f64, f64),
) -> Vec<DecodedFeature> {
    let t = TileId::containing(at.0, at.1, z);
    let path = format!("/tiles/{layer}/{}/{}/{}.mvt", t.z, t.x, t.y);
    let (status, ct, _, body) = fetch(s, Some(token), &path, None).await;
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    assert_eq!(ct, "application/vnd.mapbox-vector-tile");
    let layers = decode(&body).unwrap();
    match layers.as_slice() {
        [] => Vec::new(),
        [one] => {
            assert_eq!(one.name, layer);
            assert_eq!(one.extent, 4096);
            one.features.clone()
        }
        more => panic!("one layer a tile: {more:?}"),
    }
}

fn text<'a>(f: &'a DecodedFeature, key: &str) -> &'a str {
    match f.get(key) {
        Some(DecodedValue::Str(s)) => s,
        other => panic!("{key}: {other:?}"),
    }
}

fn ids(fs: &[DecodedFeature]) -> Vec<&str> {
    let mut v: Vec<&str> = fs.iter().map(|f| text(f, "id")).collect();
    v.sort_unstable();
    v
}

async fn import(s: &TestServer, admin: &str, layer: &str, mode: &str, features: Value) {
    let r = s
        .http
        .post(format!(
            "{}/ogc/collections/{layer}/items?mode={mode}",
            s.base
        ))
        .bearer_auth(admin)
        .header("content-type", "application/geo+json")
        .body(json!({ "type": "FeatureCollection", "features": features }).to_string())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn each_layers_tiles_hold_what_the_login_may_see() {
    let s = TestServer::start().await;
    let admin = s.login("admin").await;
    add_user(&s, "west", UserRole::Dispatcher, "11", None).await;
    let west = s.login("west").await;

    // C1 (district 11) with its view; C2 (district 12) omnidirectional.
    let c1 = features(&s, &admin, "cameras", 14, (120.02, 28.049)).await;
    assert_eq!(ids(&c1), ["C1"]);
    let f = &c1[0];
    assert_eq!(f.kind, 1);
    assert_eq!(text(f, "name"), "北向摄像头");
    assert_eq!(text(f, "owner"), "公安");
    assert_eq!(f.get("online"), Some(&DecodedValue::Bool(true)));
    assert_eq!(f.get("heading_deg"), Some(&DecodedValue::Double(0.0)));
    assert_eq!(f.get("fov_deg"), Some(&DecodedValue::Double(90.0)));
    assert_eq!(f.get("range_m"), Some(&DecodedValue::Double(200.0)));
    assert_eq!(f.get("count"), Some(&DecodedValue::Int(1)));
    assert!(f.get("stream_url").is_none());
    // Its point is where the camera is, to the tile's unit.
    let t = TileId::containing(120.02, 28.049, 14);
    let want = t.point(geo::Point::new(120.02, 28.049)).unwrap();
    assert_eq!(f.parts, vec![vec![want]]);
    let c2 = features(&s, &admin, "cameras", 14, (120.11, 28.05)).await;
    assert_eq!(ids(&c2), ["C2"]);
    assert!(c2[0].get("heading_deg").is_none(), "omnidirectional");

    // The west district's dispatcher sees C1's tile, not C2's.
    assert_eq!(
        ids(&features(&s, &west, "cameras", 14, (120.02, 28.049)).await),
        ["C1"]
    );
    assert!(
        features(&s, &west, "cameras", 14, (120.11, 28.05))
            .await
            .is_empty()
    );

    // Risk sources and key places with their footprints.
    let r = features(&s, &admin, "risk_sources", 14, (120.021, 28.05)).await;
    assert_eq!(ids(&r), ["R1"]);
    assert_eq!(r[0].get("level"), Some(&DecodedValue::Int(2)));
    assert_eq!(text(&r[0], "category"), "加油站");
    let k = features(&s, &admin, "key_places", 14, (120.0185, 28.0485)).await;
    assert_eq!(ids(&k), ["K1"]);
    assert_eq!((k[0].kind, k[0].parts.len()), (3, 1), "one ring");

    // Areas: the city and districts at a city zoom; every level at 12.
    let a8 = features(&s, &admin, "areas", 8, (120.1, 28.05)).await;
    assert_eq!(ids(&a8), ["1", "11", "12"]);
    let a12 = features(&s, &admin, "areas", 12, (120.02, 28.05)).await;
    let west_grid = "11001001001";
    assert!(ids(&a12).contains(&west_grid), "{:?}", ids(&a12));
    let g = a12.iter().find(|f| text(f, "id") == west_grid).unwrap();
    assert_eq!((text(g, "level"), text(g, "parent")), ("grid", "11001001"));
    assert!(a12.iter().all(|f| f.kind == 3));
    // Over the districts' border the west dispatcher sees their district
    // and below, not the city nor the east (which the administrator sees).
    let border = (120.1, 28.05);
    let all = features(&s, &admin, "areas", 12, border).await;
    assert!(ids(&all).contains(&"12001001001"), "{:?}", ids(&all));
    let w12 = features(&s, &west, "areas", 12, border).await;
    let w = ids(&w12);
    assert!(w.contains(&"11") && w.contains(&"11001001002"), "{w:?}");
    assert!(w.iter().all(|c| c.starts_with("11")), "{w:?}");

    // Bad addresses, each with its reason.
    for (path, code, says) in [
        ("/tiles/roads/1/0/0.mvt", 404, "no tile layer"),
        ("/tiles/cameras/23/0/0.mvt", 400, "zoom 23"),
        ("/tiles/cameras/2/4/0.mvt", 400, "outside zoom 2"),
        ("/tiles/cameras/a/0/0.mvt", 400, "z must be"),
        ("/tiles/cameras/1/0/-1.mvt", 400, "y must be"),
        ("/tiles/cameras/1/0/0.png", 404, ".mvt"),
    ] {
        let (status, _, _, body) = fetch(&s, Some(&admin), path, None).await;
        let body = String::from_utf8_lossy(&body);
        assert_eq!(status, code, "{path}: {body}");
        assert!(body.contains(says), "{path}: {body}");
    }
    let (status, _, _, _) = fetch(&s, None, "/tiles/cameras/0/0/0.mvt", None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_tile_is_the_same_until_its_layer_changes_and_close_cameras_share_a_point() {
    let s = TestServer::start().await;
    let admin = s.login("admin").await;
    let t = TileId::containing(120.02, 28.049, 14);
    let path = format!("/tiles/cameras/14/{}/{}.mvt", t.x, t.y);
    let (status, _, etag, body) = fetch(&s, Some(&admin), &path, None).await;
    assert_eq!(status, 200);
    assert!(etag.starts_with('"'), "{etag}");
    let (status, _, again, empty) = fetch(&s, Some(&admin), &path, Some(&etag)).await;
    assert_eq!(
        (status, again.as_str(), empty.len()),
        (304, etag.as_str(), 0)
    );
    // Cut once, then served from the cache; a tile asked for by eight at
    // once is cut once too.
    let cuts = || riskmap_tests::cluster::metric(&s.base, "riskmap_tile_cuts_total");
    assert_eq!(cuts().await, Some(1.0));
    fetch(&s, Some(&admin), &path, None).await;
    assert_eq!(cuts().await, Some(1.0), "the second answer from the cache");
    let east = TileId::containing(120.11, 28.05, 14);
    let east = format!("/tiles/cameras/14/{}/{}.mvt", east.x, east.y);
    let answers =
        futures_util::future::join_all((0..8).map(|_| fetch(&s, Some(&admin), &east, None))).await;
    assert!(answers.iter().all(|a| a.0 == 200 && a.3 == answers[0].3));
    assert_eq!(cuts().await, Some(2.0), "eight asked, one cut");
    // Another layer's import leaves the cameras' version alone.
    import(
        &s,
        &admin,
        "key_places",
        "merge",
        json!([{ "type": "Feature", "id": "K2",
        "geometry": { "type": "Point", "coordinates": [120.03, 28.05] },
        "properties": { "name": "图书馆", "category": "文化" } }]),
    )
    .await;
    let (status, _, _, _) = fetch(&s, Some(&admin), &path, Some(&etag)).await;
    assert_eq!(status, 304);
    let k2 = features(&s, &admin, "key_places", 14, (120.03, 28.05)).await;
    assert!(
        ids(&k2).contains(&"K2"),
        "the new place's tile, cut after the import"
    );

    // Fifty cameras a metre apart along a street (and C1 renamed): the
    // cached tile gives way to the new one.
    let mut cams: Vec<Value> = (0..50)
        .map(|i| {
            json!({ "type": "Feature", "id": format!("S{i:02}"),
                "geometry": { "type": "Point", "coordinates": [120.03 + f64::from(i) * 0.00001, 28.06] },
                "properties": { "name": format!("路口{i}"), "range_m": 30, "owner": "交警" } })
        })
        .collect();
    cams.push(json!({ "type": "Feature", "id": "C1",
        "geometry": { "type": "Point", "coordinates": [120.02, 28.049] },
        "properties": { "name": "北向高清", "range_m": 200, "owner": "公安" } }));
    import(&s, &admin, "cameras", "merge", Value::Array(cams)).await;
    let (status, _, etag2, body2) = fetch(&s, Some(&admin), &path, Some(&etag)).await;
    assert_eq!(status, 200, "a changed layer is a new tile");
    assert_ne!(etag2, etag);
    assert_ne!(body2, body);
    let c1 = features(&s, &admin, "cameras", 14, (120.02, 28.049)).await;
    let c1 = c1.iter().find(|f| text(f, "id") == "C1").unwrap();
    assert_eq!(text(c1, "name"), "北向高清");
    // A camera found offline by the probe: its tile changes too.
    s.server().app.apply(&DomainEvent::CamerasProbed {
        changes: vec![CameraHealth {
            camera_id: "C1".into(),
            online: false,
        }],
    });
    let (status, _, etag3, _) = fetch(&s, Some(&admin), &path, Some(&etag2)).await;
    assert_eq!(status, 200);
    assert_ne!(etag3, etag2);
    let c1 = features(&s, &admin, "cameras", 14, (120.02, 28.049)).await;
    let c1 = c1.iter().find(|f| text(f, "id") == "C1").unwrap();
    assert_eq!(c1.get("online"), Some(&DecodedValue::Bool(false)));

    // At a city zoom the street's cameras are one point counting them all;
    // at a street zoom each is its own.
    let count = |fs: &[DecodedFeature]| -> i64 {
        fs.iter()
            .filter(|f| text(f, "id").starts_with('S'))
            .map(|f| match f.get("count") {
                Some(DecodedValue::Int(n)) => *n,
                other => panic!("count: {other:?}"),
            })
            .sum()
    };
    let far = features(&s, &admin, "cameras", 10, (120.03, 28.06)).await;
    let street: Vec<_> = far
        .iter()
        .filter(|f| text(f, "id").starts_with('S'))
        .collect();
    assert!(street.len() <= 2, "{} points at zoom 10", street.len());
    assert_eq!(count(&far), 50);
    let near = features(&s, &admin, "cameras", 18, (120.0302, 28.06)).await;
    let near_ids: Vec<&str> = ids(&near)
        .into_iter()
        .filter(|i| i.starts_with('S'))
        .collect();
    assert!(near_ids.len() >= 20, "{near_ids:?}");
    assert_eq!(count(&near), near_ids.len() as i64, "one camera a point");
}

/// An areas import renumbers the areas, and the tile versions move on only
/// after the new tree is in (and the risk rebuilt from it): meanwhile one
/// index names two areas, and a district's cached tile must not be served to
/// the district that now has its number.
#[tokio::test]
async fn a_renumbered_tree_never_serves_one_districts_cached_tile_to_another() {
    let s = TestServer::start().await;
    add_user(&s, "west", UserRole::Dispatcher, "11", None).await;
    add_user(&s, "east", UserRole::Dispatcher, "12", None).await;
    let (west, east) = (s.login("west").await, s.login("east").await);
    let c1 = (120.02, 28.049);
    assert_eq!(ids(&features(&s, &west, "cameras", 14, c1).await), ["C1"]);
    swap_districts(&s);
    assert!(
        features(&s, &east, "cameras", 14, c1).await.is_empty(),
        "the east district was served the west's tile"
    );
    assert_eq!(ids(&features(&s, &west, "cameras", 14, c1).await), ["C1"]);
}
