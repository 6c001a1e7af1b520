//! OGC API - Features end to end (reading: collections, paging, filters,
//! 分级授权), and the OpenAPI document: the real server on 127.0.0.1:0 over
//! the two-district test city (11 areas, staff S1–S5, cameras C1–C2, risk
//! source R1, key place K1). Imports are in `ogc_import.rs`.
#![allow(clippy::unwrap_used)]

use riskmap_tests as common;

use std::collections::BTreeSet;

use common::ogc::ids;
use common::{TestServer, grid};
use serde_json::{Value, json};

const GEOJSON: &str = "application/geo+json";

/// GET an absolute URL (a link the server gave) with a token: status,
/// content type, body.
async fn fetch(s: &TestServer, token: &str, url: &str) -> (u16, String, Value) {
    let r = s.http.get(url).bearer_auth(token).send().await.unwrap();
    let status = r.status().as_u16();
    let media = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = r.text().await.unwrap();
    (
        status,
        media,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn link<'a>(v: &'a Value, rel: &str) -> Option<&'a str> {
    v["links"]
        .as_array()?
        .iter()
        .find(|l| l["rel"] == rel)
        .and_then(|l| l["href"].as_str())
}

#[tokio::test]
async fn landing_page_and_conformance() {
    let s = TestServer::start().await;
    for path in [
        "/ogc",
        "/ogc/conformance",
        "/ogc/collections",
        "/ogc/collections/areas/items",
    ] {
        let r = s
            .http
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path} needs a token");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "unauthorized");
    }
    let t = s.login("screen").await;
    // The landing page asked for with a trailing slash redirects to it.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/ogc/", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 308);
    assert_eq!(r.headers()["location"], "/ogc");
    let (status, landing) = s.get(&t, "/ogc").await;
    assert_eq!(status, 200, "{landing}");
    assert!(landing["title"].as_str().unwrap().contains("riskmap"));
    assert_eq!(link(&landing, "self").unwrap(), format!("{}/ogc", s.base));
    assert_eq!(
        link(&landing, "conformance").unwrap(),
        format!("{}/ogc/conformance", s.base)
    );
    assert_eq!(
        link(&landing, "data").unwrap(),
        format!("{}/ogc/collections", s.base)
    );
    let desc = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "service-desc")
        .unwrap();
    assert_eq!(desc["href"], format!("{}/api/openapi.json", s.base));
    assert_eq!(desc["type"], "application/vnd.oai.openapi+json;version=3.0");

    let (_, conf) = s.get(&t, "/ogc/conformance").await;
    let classes: Vec<&str> = conf["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for c in ["core", "oas30", "geojson"] {
        assert!(
            classes.contains(
                &format!("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{c}").as_str()
            ),
            "{c}: {classes:?}"
        );
    }
}

#[tokio::test]
async fn collections_with_extents_and_links() {
    let s = TestServer::start().await;
    let t = s.login("screen").await;
    let (status, cols) = s.get(&t, "/ogc/collections").await;
    assert_eq!(status, 200, "{cols}");
    let list = cols["collections"].as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "areas",
            "staff",
            "cameras",
            "risk_sources",
            "key_places",
            "incidents"
        ]
    );
    for c in list {
        assert_eq!(c["itemType"], "feature");
        assert_eq!(
            c["crs"],
            json!(["http://www.opengis.net/def/crs/OGC/1.3/CRS84"])
        );
        let items = c["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "items")
            .unwrap();
        assert_eq!(items["type"], GEOJSON);
        assert_eq!(
            items["href"],
            format!(
                "{}/ogc/collections/{}/items",
                s.base,
                c["id"].as_str().unwrap()
            )
        );
        assert!(!c["title"].as_str().unwrap().is_ascii(), "a Chinese title");
    }
    assert_eq!(
        list[0]["extent"]["spatial"]["bbox"],
        json!([[120.0, 28.0, 120.2, 28.1]])
    );
    assert_eq!(
        list[1]["extent"]["temporal"]["interval"],
        json!([["2026-01-01T00:00:01.000Z", "2026-01-01T00:00:01.000Z"]])
    );
    assert_eq!(
        list[2]["extent"]["spatial"]["bbox"],
        json!([[120.02, 28.049, 120.11, 28.05]])
    );
    assert!(
        list[5]["description"]
            .as_str()
            .unwrap()
            .contains("Read-only")
    );
    assert!(list[5].get("extent").is_none(), "no incidents yet");

    let (status, one) = s.get(&t, "/ogc/collections/cameras").await;
    assert_eq!((status, one["id"].as_str()), (200, Some("cameras")));
    let (status, err) = s.get(&t, "/ogc/collections/nope").await;
    assert_eq!((status, err["error"].as_str()), (404, Some("not_found")));

    // A district commander's extents cover their district only.
    let d = s.login("district").await;
    let (_, one) = s.get(&d, "/ogc/collections/areas").await;
    assert_eq!(
        one["extent"]["spatial"]["bbox"],
        json!([[120.0, 28.0, 120.1, 28.1]])
    );
}

#[tokio::test]
async fn paging_visits_every_feature_once_in_order() {
    let s = TestServer::start().await;
    let t = s.login("dispatcher").await;
    let mut url = format!("{}/ogc/collections/areas/items?limit=2", s.base);
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let (status, media, page) = fetch(&s, &t, &url).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(media, GEOJSON);
        assert_eq!(page["type"], "FeatureCollection");
        assert_eq!(page["numberMatched"], 11);
        let returned = page["numberReturned"].as_u64().unwrap();
        assert_eq!(returned, if pages < 5 { 2 } else { 1 });
        assert_eq!(ids(&page).len() as u64, returned);
        assert!(page["timeStamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(link(&page, "self").unwrap(), url);
        if pages > 0 {
            assert!(
                link(&page, "prev").is_some(),
                "page {pages} has a prev link"
            );
        }
        seen.extend(ids(&page));
        pages += 1;
        match link(&page, "next") {
            Some(next) => {
                assert!(next.contains("limit=2"), "{next}");
                url = next.to_owned();
            }
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 6);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "in id order across pages");
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 11, "every area once: {seen:?}");
    assert!(seen.contains(&grid(12, 2)));

    // Default and clamped limits; an offset past the end is an empty page.
    let (_, all) = s.get(&t, "/ogc/collections/staff/items").await;
    assert_eq!(ids(&all), ["S1", "S2", "S3", "S4", "S5"]);
    assert!(link(&all, "next").is_none());
    assert!(link(&all, "self").unwrap().contains("limit=100"));
    let (status, big) = s.get(&t, "/ogc/collections/staff/items?limit=50000").await;
    assert_eq!(status, 200);
    assert_eq!(big["numberReturned"], 5);
    assert!(
        link(&big, "self").unwrap().contains("limit=10000"),
        "clamped"
    );
    let (_, past) = s.get(&t, "/ogc/collections/staff/items?offset=20").await;
    assert_eq!(
        (
            past["numberMatched"].as_u64(),
            past["numberReturned"].as_u64()
        ),
        (Some(5), Some(0))
    );
    // A token goes in the Authorization header: as ?token= it is not
    // accepted (401 without the header, 400 beside it), so paging links
    // never carry one into logs.
    let r = s
        .http
        .get(format!(
            "{}/ogc/collections/staff/items?limit=2&token={t}",
            s.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let (status, body) = s
        .get(
            &t,
            &format!("/ogc/collections/staff/items?limit=2&token={t}"),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("token"), "{body}");
    let (_, page) = s.get(&t, "/ogc/collections/staff/items?limit=2").await;
    assert!(!link(&page, "next").unwrap().contains("token"));
}

#[tokio::test]
async fn bbox_level_and_single_features() {
    let s = TestServer::start().await;
    let t = s.login("commander").await;
    let (status, fc) = s
        .get(
            &t,
            "/ogc/collections/cameras/items?bbox=120.0,28.0,120.05,28.1",
        )
        .await;
    assert_eq!(status, 200, "{fc}");
    assert_eq!(ids(&fc), ["C1"]);
    assert_eq!(fc["numberMatched"], 1);
    assert!(
        link(&fc, "self")
            .unwrap()
            .contains("bbox=120.0%2C28.0%2C120.05%2C28.1")
    );
    let (_, fc) = s
        .get(
            &t,
            "/ogc/collections/cameras/items?bbox=120.0,28.0,0,120.05,28.1,50",
        )
        .await;
    assert_eq!(ids(&fc), ["C1"], "heights are ignored");
    let (_, fc) = s
        .get(
            &t,
            "/ogc/collections/staff/items?bbox=120.1,28.0,120.2,28.1",
        )
        .await;
    assert_eq!(ids(&fc), ["S4", "S5"]);
    let (_, fc) = s
        .get(
            &t,
            "/ogc/collections/areas/items?bbox=120.15,28.02,120.16,28.03&level=grid",
        )
        .await;
    assert_eq!(ids(&fc), [grid(12, 2)]);
    let (status, fc) = s
        .get(&t, "/ogc/collections/staff/items?level=grid&datetime=")
        .await;
    assert_eq!(
        (status, ids(&fc).len()),
        (200, 5),
        "checked and ignored outside areas"
    );
    let (_, fc) = s
        .get(&t, "/ogc/collections/areas/items?level=district")
        .await;
    assert_eq!(ids(&fc), ["11", "12"]);
    assert_eq!(fc["features"][0]["geometry"]["type"], "MultiPolygon");
    assert_eq!(fc["features"][0]["properties"]["level"], "district");
    let (_, fc) = s
        .get(
            &t,
            "/ogc/collections/key_places/items?bbox=120.0185,28.0485,120.0186,28.0486",
        )
        .await;
    assert_eq!(ids(&fc), ["K1"], "a polygon intersecting the box");
    let (_, fc) = s.get(&t, "/ogc/collections/incidents/items").await;
    assert_eq!((fc["numberMatched"].as_u64(), ids(&fc).len()), (Some(0), 0));

    let (status, media, f) = fetch(
        &s,
        &t,
        &format!("{}/ogc/collections/staff/items/S1", s.base),
    )
    .await;
    assert_eq!((status, media.as_str()), (200, GEOJSON));
    assert_eq!(f["type"], "Feature");
    assert_eq!(f["id"], "S1");
    assert_eq!(f["geometry"]["coordinates"], json!([120.02, 28.05]));
    assert_eq!(f["properties"]["home_grid"], grid(11, 1));
    assert_eq!(f["properties"]["role"], "grid_worker");
    assert_eq!(
        link(&f, "self").unwrap(),
        format!("{}/ogc/collections/staff/items/S1", s.base)
    );
    let (_, f) = s.get(&t, "/ogc/collections/areas/items/12001").await;
    assert_eq!(f["properties"]["name"], "12街道");
    let (_, f) = s.get(&t, "/ogc/collections/risk_sources/items/R1").await;
    assert_eq!(f["properties"]["level"], 2);
    for path in [
        "/ogc/collections/cameras/items/C99",
        "/ogc/collections/incidents/items/E1",
        "/ogc/collections/nope/items",
        "/ogc/collections/nope/items/x",
    ] {
        let (status, e) = s.get(&t, path).await;
        assert_eq!(
            (status, e["error"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_district_user_sees_only_their_district() {
    let s = TestServer::start().await;
    let d = s.login("district").await;
    let (_, fc) = s.get(&d, "/ogc/collections/areas/items").await;
    assert_eq!(
        ids(&fc),
        [
            "11",
            "11001",
            "11001001",
            grid(11, 1).as_str(),
            grid(11, 2).as_str()
        ],
        "the subtree of 11, not its ancestors"
    );
    let (_, fc) = s.get(&d, "/ogc/collections/staff/items").await;
    assert_eq!(ids(&fc), ["S1", "S2", "S3"]);
    let (_, fc) = s.get(&d, "/ogc/collections/cameras/items").await;
    assert_eq!(ids(&fc), ["C1"]);
    let (_, fc) = s.get(&d, "/ogc/collections/risk_sources/items").await;
    assert_eq!(ids(&fc), ["R1"]);
    let (_, fc) = s
        .get(
            &d,
            "/ogc/collections/staff/items?bbox=120.1,28.0,120.2,28.1",
        )
        .await;
    assert_eq!(fc["numberMatched"], 0, "district 12's staff are not theirs");
    for path in [
        "/ogc/collections/staff/items/S4",
        "/ogc/collections/cameras/items/C2",
        "/ogc/collections/areas/items/12",
        "/ogc/collections/areas/items/1",
    ] {
        assert_eq!(s.get(&d, path).await.0, 404, "{path}");
    }
    assert_eq!(s.get(&d, "/ogc/collections/staff/items/S3").await.0, 200);
}

#[tokio::test]
async fn datetime_filters_staff_by_their_last_fix() {
    let s = TestServer::start().await;
    let t = s.login("dispatcher").await;
    let q = |dt: &str| format!("/ogc/collections/staff/items?datetime={dt}");
    // Every test fix is at 2026-01-01T00:00:01Z.
    assert_eq!(ids(&s.get(&t, &q("2026-01-01T00:00:01Z")).await.1).len(), 5);
    assert_eq!(ids(&s.get(&t, &q("2026-01-01")).await.1).len(), 5);
    assert_eq!(
        ids(&s.get(&t, &q("2026-01-02T00:00:00Z/..")).await.1).len(),
        0
    );
    assert_eq!(
        ids(&s.get(&t, &q("../2026-01-01T00:00:00Z")).await.1).len(),
        0
    );
    assert_eq!(
        ids(&s
            .get(
                &t,
                &q("2026-01-01T08:00:00%2B08:00/2026-01-01T08:00:02%2B08:00")
            )
            .await
            .1)
        .len(),
        5
    );
    let (status, _) = s
        .post(
            &t,
            "/api/fixes",
            &json!([{ "staff_id": "S4", "lon": 120.12, "lat": 28.06, "t": "2026-03-01T00:00:00Z" }]),
        )
        .await;
    assert_eq!(status, 200);
    let (_, fc) = s.get(&t, &q("2026-02-01T00:00:00Z/..")).await;
    assert_eq!(ids(&fc), ["S4"]);
    assert!(
        link(&fc, "self")
            .unwrap()
            .contains("datetime=2026-02-01T00%3A00%3A00Z%2F..")
    );
    assert_eq!(
        fc["features"][0]["geometry"]["coordinates"],
        json!([120.12, 28.06])
    );
    // Collections without time accept and ignore it.
    let (status, fc) = s
        .get(
            &t,
            "/ogc/collections/cameras/items?datetime=2030-01-01T00:00:00Z",
        )
        .await;
    assert_eq!((status, ids(&fc).len()), (200, 2));
}

#[tokio::test]
async fn bad_parameters_are_json_400s() {
    let s = TestServer::start().await;
    let t = s.login("dispatcher").await;
    for q in [
        "bbox=120,28,120.1",
        "bbox=a,b,c,d",
        "bbox=120,29,120.1,28",
        "bbox=120,28,120.1,95",
        "bbox=120,28,120.1,28.1,1",
        "limit=0",
        "limit=-1",
        "limit=many",
        "offset=-1",
        "datetime=yesterday",
        "datetime=2026-01-02T00:00:00Z/2026-01-01T00:00:00Z",
        "level=village",
        "colour=red",
        "limit=1&limit=2",
    ] {
        let (status, media, body) = fetch(
            &s,
            &t,
            &format!("{}/ogc/collections/staff/items?{q}", s.base),
        )
        .await;
        assert_eq!(status, 400, "{q}: {body}");
        assert!(media.starts_with("application/json"), "{q}: {media}");
        assert_eq!(body["error"], "bad_request", "{q}");
        assert!(!body["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        s.get(&t, "/ogc/collections/areas/items?level=village")
            .await
            .0,
        400
    );
}

/// The routes the router declares: every `.route("...")` in the server's
/// API sources (those under `ogc` nested at `/ogc`), with `{name}`
/// normalised to `{}`.
fn router_paths() -> BTreeSet<String> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/src/api");
    let mut files = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut out = BTreeSet::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let prefix = if relative.starts_with("ogc") {
            "/ogc"
        } else {
            ""
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for piece in text.split(".route(").skip(1) {
            // rustfmt may put the path on the next line.
            let Some(piece) = piece.trim_start().strip_prefix('"') else {
                continue;
            };
            let path = &piece[..piece.find('"').unwrap()];
            if prefix.is_empty() && path == "/" {
                continue; // the OsmAnd listener's root, on its own port
            }
            let full = match (prefix, path) {
                ("", p) => p.to_owned(),
                (pre, "/") => pre.to_owned(),
                (pre, p) => format!("{pre}{p}"),
            };
            out.insert(normalise(&full));
        }
    }
    assert!(
        out.contains("/api/incidents"),
        "the API's routes were not found"
    );
    out
}

fn normalise(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "{}" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn openapi_document_describes_every_route() {
    let s = TestServer::start().await;
    let r = s
        .http
        .get(format!("{}/api/openapi.json", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "public, so GDAL can read it");
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(|p| normalise(p))
        .collect();
    let routes = router_paths();
    assert!(routes.len() >= 23, "{routes:?}");
    for route in &routes {
        assert!(
            documented.contains(route),
            "{route} is not in the OpenAPI document"
        );
    }
    for path in &documented {
        assert!(routes.contains(path), "{path} is documented but not routed");
    }
    // The operations carry responses; the OGC items list GeoJSON.
    let items = &doc["paths"]["/ogc/collections/{collectionId}/items"];
    assert!(items["get"]["responses"]["200"]["content"][GEOJSON].is_object());
    assert!(items["post"]["requestBody"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
    assert_eq!(doc["paths"]["/health"]["get"]["security"], json!([]));
    assert!(
        doc["paths"]["/api/me"]["get"].get("security").is_none(),
        "global bearerAuth applies"
    );
    // Every reference resolves.
    let text = doc.to_string();
    for piece in text.split("\"$ref\":\"#").skip(1) {
        let pointer = &piece[..piece.find('"').unwrap()];
        assert!(doc.pointer(pointer).is_some(), "dangling #{pointer}");
    }
}

/// Device ids are the only credential `/osmand` asks for: a viewer who
/// could read a colleague's could move their marker. Only administrators
/// see them.
#[tokio::test]
async fn device_ids_are_shown_to_administrators_only() {
    let s = TestServer::start().await;
    for (user, shown) in [
        ("admin", true),
        ("commander", false),
        ("dispatcher", false),
        ("screen", false),
    ] {
        let t = s.login(user).await;
        let (status, one) = s.get(&t, "/ogc/collections/staff/items/S1").await;
        assert_eq!(status, 200, "{user}: {one}");
        assert_eq!(
            one["properties"].get("devices").is_some(),
            shown,
            "{user}: {one}"
        );
        let (_, page) = s.get(&t, "/ogc/collections/staff/items").await;
        let with_devices = page["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["properties"].get("devices").is_some())
            .count();
        assert_eq!(with_devices > 0, shown, "{user}: {page}");
    }
}

/// A box across the antimeridian (west > east) finds what lies on either
/// side of it, once each, paged in id order like any other.
#[tokio::test]
async fn a_box_across_the_antimeridian_pages_both_sides() {
    let s = TestServer::start().await;
    let admin = s.login("admin").await;
    let cam = |id: &str, lon: f64| {
        json!({ "type": "Feature", "id": id,
                "geometry": { "type": "Point", "coordinates": [lon, 1.0] },
                "properties": { "name": id, "range_m": 50.0, "owner": "海事" } })
    };
    let fc = json!({ "type": "FeatureCollection", "features": [
        cam("X2", -179.95), cam("X1", 179.95), cam("X3", 0.5),
    ]});
    let (status, r) = s
        .post(&admin, "/ogc/collections/cameras/items?mode=merge", &fc)
        .await;
    assert_eq!(status, 200, "{r}");
    let mut seen = Vec::new();
    for offset in 0..3 {
        let (status, page) = s
            .get(
                &admin,
                &format!(
                    "/ogc/collections/cameras/items?bbox=179,-10,-179,10&limit=1&offset={offset}"
                ),
            )
            .await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["numberMatched"], 2, "{page}");
        seen.extend(ids(&page));
    }
    assert_eq!(seen, ["X1", "X2"]);
}

#[tokio::test]
async fn a_page_of_a_whole_collection_waits_for_a_turn_while_boxes_and_fixes_go_on() {
    // Without a box every feature of a collection is walked (a million staff,
    // a city's history of incidents): in a heavy answer's turn, not on an
    // async worker the fixes need. A box reads its index at once.
    let s = TestServer::start().await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await;
    let (status, inc) =
        common::incidents::report(&s, &disp, "0101", common::incidents::IN_11_1).await;
    assert_eq!(status, 201, "{inc}");
    let turns = common::locks::every_turn(&s.server().app.heavy_queries).await;
    let whole = [
        s.get_later(&disp, "/ogc/collections/cameras/items"),
        s.get_later(&disp, "/ogc/collections/incidents/items"),
        // No index by place: every incident is read, box or not.
        s.get_later(
            &disp,
            "/ogc/collections/incidents/items?bbox=120.0,28.0,120.05,28.1",
        ),
    ];
    let boxed = s.get_later(
        &disp,
        "/ogc/collections/cameras/items?bbox=120.0,28.0,120.05,28.1",
    );
    s.others_go_on(&field, &disp).await;
    assert!(boxed.is_finished(), "a box did not wait for a turn");
    assert!(
        whole.iter().all(|h| !h.is_finished()),
        "a whole collection waited for a turn"
    );
    let page = |(status, kind, body): (u16, String, String)| -> Value {
        assert_eq!((status, kind.as_str()), (200, GEOJSON), "{body}");
        serde_json::from_str(&body).unwrap()
    };
    assert_eq!(ids(&page(boxed.await.unwrap())), ["C1"]);
    drop(turns);
    let [cameras, incidents, boxed_incidents] = whole;
    let cameras = page(cameras.await.unwrap());
    assert!(ids(&cameras).contains(&"C1".to_owned()), "{cameras}");
    assert_eq!(cameras["numberMatched"], ids(&cameras).len(), "{cameras}");
    let incidents = page(incidents.await.unwrap());
    assert_eq!(ids(&incidents), [inc["id"].as_str().unwrap()]);
    assert_eq!(incidents["features"][0]["properties"]["state"], "reported");
    assert_eq!(ids(&page(boxed_incidents.await.unwrap())), ids(&incidents));
}
