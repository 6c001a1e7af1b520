//! 场所码 end to end: an administrator prints a key place's code (the PNG
//! decoded as a QR code carries the field page's link with the signed
//! code); the field worker's scan at the place records an inspection,
//! pushed live and listed under 分级授权, kept over a restart; a forged,
//! moved or malformed code, a phone far from the place or too rough a fix,
//! and a login that is no field worker's are each refused with a reason.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use riskmap::identity::UserRole;
use riskmap_engine::sphere::{LonLat, distance_m};
use riskmap_tests::TestServer;
use riskmap_tests::incidents::add_user;
use serde_json::{Value, json};

/// Inside K1 (实验小学), whose outline is 120.018–120.019, 28.048–28.049.
const AT_SCHOOL: (f64, f64) = (120.0185, 28.0485);

fn scan(code: &str, at: (f64, f64)) -> Value {
    json!({
        "code": code,
        "position": { "lon": at.0, "lat": at.1, "accuracy_m": 8.0 },
        "checklist": [
            { "item": "消防通道畅通", "ok": true },
            { "item": "灭火器在有效期内", "ok": false, "note": "两具过期" },
        ],
        "note": "已责令整改",
    })
}

/// The QR code in a PNG, read back.
fn decode_qr(png: &[u8]) -> String {
    let img = image::load_from_memory(png).unwrap().to_luma8();
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        img.get_pixel(u32::try_from(x).unwrap(), u32::try_from(y).unwrap())
            .0[0]
    });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the picture");
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn a_scanned_code_records_an_inspection_and_a_forged_or_distant_one_is_refused() {
    let mut s = TestServer::start().await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await; // S1, grid 11-1, where K1 lies

    // The administrator's code, and the QR code to print.
    let (status, c) = s.get(&admin, "/api/venues/K1/code").await;
    assert_eq!(status, 200, "{c}");
    let code = c["code"].as_str().unwrap().to_owned();
    assert!(code.starts_with("K1."), "{c}");
    assert_eq!(c["path"], format!("/field?venue={code}"));
    assert_eq!(
        (c["name"].as_str(), c["grid"].as_str()),
        (Some("实验小学"), Some("11001001001"))
    );
    let png = s
        .http
        .get(format!("{}/api/venues/K1/code.png", s.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    let link = decode_qr(&png.bytes().await.unwrap());
    assert_eq!(link, format!("{}/field?venue={code}", s.base));
    let svg = s
        .http
        .get(format!("{}/api/venues/K1/code.svg", s.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    let svg = svg.text().await.unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("实验小学") && svg.contains(&code));

    // Printing is an administrator's, in their own area.
    add_user(&s, "admin12", UserRole::Admin, "12", None).await;
    let admin12 = s.login("admin12").await;
    for (token, path, want) in [
        (&disp, "/api/venues/K1/code", 403),
        (&admin12, "/api/venues/K1/code", 404),
        (&admin, "/api/venues/K9/code", 404),
        (&admin12, "/api/venues/K1/code.png", 404),
    ] {
        let (status, b) = s.get(token, path).await;
        assert_eq!(status, want, "{path}: {b}");
    }

    // A school is to be inspected every 7 days (the default rules): never
    // inspected, it is overdue.
    let (status, due) = s.get(&disp, "/api/venues/due").await;
    assert_eq!(status, 200, "{due}");
    assert_eq!(
        (due["total"].as_u64(), due["overdue"].as_u64()),
        (Some(1), Some(1)),
        "{due}"
    );
    assert_eq!(
        (
            due["places"][0]["place_id"].as_str(),
            due["places"][0]["every_days"].as_u64()
        ),
        (Some("K1"), Some(7)),
        "{due}"
    );
    assert_eq!(due["places"][0]["due_ms"], Value::Null);

    // The scan at the school, heard live by a dispatcher of the area.
    let mut live = s.ws(&disp).await;
    live.send(&json!({ "type": "subscribe", "area": "1", "layers": ["key_places"] }))
        .await;
    live.next_of("snapshot").await;
    let (status, b) = s
        .post(&field, "/api/venues/scan", &scan(&code, AT_SCHOOL))
        .await;
    assert_eq!(status, 201, "{b}");
    let first = &b["inspection"];
    assert_eq!(
        (
            first["place_id"].as_str(),
            first["kind"].as_str(),
            first["staff_id"].as_str(),
            first["distance_m"].as_f64(),
            first["problems"].as_u64(),
        ),
        (
            Some("K1"),
            Some("inspection"),
            Some("S1"),
            Some(0.0),
            Some(1)
        ),
        "{b}"
    );
    let pushed = live.next_of("inspection").await;
    assert_eq!(pushed["inspection"]["id"], first["id"], "{pushed}");
    // Inspected: due again in 7 days.
    let (_, due) = s.get(&disp, "/api/venues/due?overdue=true").await;
    assert_eq!(
        (
            due["overdue"].as_u64(),
            due["places"].as_array().map(Vec::len)
        ),
        (Some(0), Some(0)),
        "{due}"
    );
    let (_, due) = s.get(&disp, "/api/venues/due").await;
    let at = first["at_ms"].as_i64().unwrap();
    assert_eq!(
        due["places"][0]["due_ms"].as_i64(),
        Some(at + 7 * 86_400_000),
        "{due}"
    );

    // The link as the phone's camera read it, 50 m east of the school's
    // edge: a check-in (its checklist is not kept).
    let near = (120.019 + 50.0 / 98_200.0, 28.0485);
    let mut body = scan(&link, near);
    body["kind"] = json!("check_in");
    let (status, b) = s.post(&field, "/api/venues/scan", &body).await;
    assert_eq!(status, 201, "{b}");
    let edge = LonLat::new(120.019, 28.0485).unwrap();
    let want = distance_m(edge, LonLat::new(near.0, near.1).unwrap());
    let got = b["inspection"]["distance_m"].as_f64().unwrap();
    assert!((got - want).abs() < 1.0, "{got} m, {want} m expected");
    assert_eq!(b["inspection"]["checklist"], json!([]));

    // Refused, each with its reason, and nothing recorded.
    let (_, sig) = code.rsplit_once('.').unwrap();
    // The signature's first character changed (the last one also carries
    // padding bits, which a decoder may refuse as malformed).
    let flipped = if sig.starts_with('A') { 'B' } else { 'A' };
    let forged = format!("K1.{flipped}{}", &sig[1..]);
    let far = (120.0185, 28.0535); // 500 m north
    let mut rough = scan(&code, AT_SCHOOL);
    rough["position"]["accuracy_m"] = json!(500.0);
    let cases: [(&str, Value, u16, &str); 6] = [
        (
            &field,
            scan(&forged, AT_SCHOOL),
            403,
            "not issued by this server",
        ),
        (
            &field,
            scan(&format!("K2.{sig}"), AT_SCHOOL),
            403,
            "not issued by this server",
        ),
        (&field, scan("hello", AT_SCHOOL), 400, "not a venue code"),
        (&field, scan(&code, far), 409, "m from 实验小学"),
        (&field, rough, 400, "too rough"),
        (&disp, scan(&code, AT_SCHOOL), 403, "field worker"),
    ];
    for (token, body, want, says) in cases {
        let (status, b) = s.post(token, "/api/venues/scan", &body).await;
        assert_eq!(status, want, "{body}: {b}");
        assert!(b.to_string().contains(says), "{body}: {b}");
    }

    // Listed under 分级授权: the city's dispatcher sees both, newest first;
    // district 12's administrator none.
    let (status, list) = s.get(&disp, "/api/venues/inspections?place=K1").await;
    assert_eq!(status, 200, "{list}");
    let kinds: Vec<&str> = list["inspections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["check_in", "inspection"], "{list}");
    let (_, theirs) = s.get(&admin12, "/api/venues/inspections").await;
    assert_eq!(theirs["inspections"], json!([]), "{theirs}");

    // Kept over a restart, with the same code (the key is the store's).
    s.restart().await;
    let disp = s.login("dispatcher").await;
    let (_, list) = s.get(&disp, "/api/venues/inspections?staff=S1").await;
    assert_eq!(list["inspections"].as_array().unwrap().len(), 2, "{list}");
    assert_eq!(list["inspections"][1]["id"], first["id"]);
    let admin = s.login("admin").await;
    let (_, again) = s.get(&admin, "/api/venues/K1/code").await;
    assert_eq!(again["code"], code.as_str());
}

/// The QR code of K1 fetched with `headers`, decoded, and the link the
/// JSON gives beside the code.
async fn printed(s: &TestServer, admin: &str, headers: &[(&str, &str)]) -> (String, String) {
    let with = |path: &str| {
        let mut r = s.http.get(format!("{}{path}", s.base)).bearer_auth(admin);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r
    };
    let png = with("/api/venues/K1/code.png").send().await.unwrap();
    assert_eq!(png.status(), 200);
    let qr = decode_qr(&png.bytes().await.unwrap());
    let code: Value = with("/api/venues/K1/code")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (qr, code["link"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_printed_code_links_to_the_public_address_never_to_one_a_client_names() {
    const FORWARDED: [(&str, &str); 3] = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "map.example.cn"),
        ("x-forwarded-prefix", "/riskmap"),
    ];
    // No proxy trusted: forwarded headers are anyone's to write, ignored by
    // the code and by the OGC API's links alike.
    let s = TestServer::start().await;
    let admin = s.login("admin").await;
    let (qr, link) = printed(&s, &admin, &FORWARDED).await;
    assert!(
        qr.starts_with(&format!("{}/field?venue=K1.", s.base)),
        "{qr}"
    );
    assert_eq!(link, qr);
    let mut landing = s.http.get(format!("{}/ogc", s.base)).bearer_auth(&admin);
    for (k, v) in FORWARDED {
        landing = landing.header(k, v);
    }
    let landing: Value = landing.send().await.unwrap().json().await.unwrap();
    assert_eq!(landing["links"][0]["href"], format!("{}/ogc", s.base));
    drop(s);

    // Behind a trusted proxy that serves the server under a prefix, the
    // phone's link goes through the proxy.
    let (mut args, tmp) = riskmap_tests::test_args().await;
    args.trusted_proxy = vec!["127.0.0.1".into()];
    let s = TestServer::start_in(args, tmp).await;
    let admin = s.login("admin").await;
    let (qr, link) = printed(&s, &admin, &FORWARDED).await;
    assert!(
        qr.starts_with("https://map.example.cn/riskmap/field?venue=K1."),
        "{qr}"
    );
    assert_eq!(link, qr);
    drop(s);

    // --public-url wins over whatever the request says.
    let (mut args, tmp) = riskmap_tests::test_args().await;
    args.public_url = Some("https://grid.wenzhou.example/yiwang/".into());
    let s = TestServer::start_in(args, tmp).await;
    let admin = s.login("admin").await;
    let (qr, link) = printed(&s, &admin, &FORWARDED).await;
    assert!(
        qr.starts_with("https://grid.wenzhou.example/yiwang/field?venue=K1."),
        "{qr}"
    );
    assert_eq!(link, qr);
    let (_, landing) = s.get(&admin, "/ogc").await;
    assert_eq!(
        landing["links"][0]["href"],
        "https://grid.wenzhou.example/yiwang/ogc"
    );
    // The operator sees the address the codes carry.
    let banner = riskmap::serve::banner(s.server(), true, true);
    assert!(
        banner.contains(
            "public address (printed venue codes, OGC links): https://grid.wenzhou.example/yiwang/"
        ),
        "{banner}"
    );
    drop(s);

    // One that cannot root a link is refused before the server starts.
    let (mut args, _tmp) = riskmap_tests::test_args().await;
    args.public_url = Some("grid.wenzhou.example".into());
    let Err(e) = riskmap::serve::start(args).await else {
        panic!("started with a public URL that is no URL")
    };
    assert!(e.to_string().contains("--public-url"), "{e}");
}
