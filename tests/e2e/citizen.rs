//! 随手拍 and photos: a citizen's report from the public page (no login, a
//! proof of work, a photo), handled by staff with an after-photo, followed
//! by its tracking code (the public timeline, the reply, nothing
//! internal), rated once, and counted in the statistics and the
//! assessment, over a restart; hostile uploads refused cleanly; the public
//! page's limits.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use riskmap_tests as common;

use common::TestServer;
use common::channels::{
    bytes, citizen_report, handle_through, jpeg, png, proof, upload, upload_to,
};
use common::incidents::{IN_11_1, IN_12_1, add_user};
use riskmap::identity::UserRole;
use serde_json::{Value, json};

async fn test_server() -> TestServer {
    let (mut args, tmp) = common::test_args().await;
    args.citizen_proof_bits = 8;
    TestServer::start_in(args, tmp).await
}

async fn public(s: &TestServer, path: &str) -> (u16, Value) {
    let r = s
        .http
        .get(format!("{}{path}", s.base))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn rate(s: &TestServer, code: &str, score: u8) -> (u16, Value) {
    let r = s
        .http
        .post(format!("{}/api/public/reports/{code}/rating", s.base))
        .json(&json!({ "score": score, "comment": "处理很快" }))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

/// The incident a tracking code follows, as staff list it.
async fn incident_of(s: &TestServer, token: &str, code: &str) -> Value {
    let (status, list) = s.get(token, "/api/incidents?limit=500").await;
    assert_eq!(status, 200, "{list}");
    list["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["intake"]["tracking_code"] == code)
        .cloned()
        .unwrap_or_else(|| panic!("no incident with code {code}: {list}"))
}

#[tokio::test]
async fn a_citizen_report_is_handled_followed_rated_and_counted() {
    let mut s = test_server().await;
    let disp = s.login("dispatcher").await;
    let field = s.login("field").await;
    add_user(&s, "d12", UserRole::Dispatcher, "12", None).await;
    let outsider = s.login("d12").await;

    // The page: the city's time (the default configuration's calendar is
    // China's), categories, a photo under a solved challenge, the report.
    let (status, calendar) = public(&s, "/api/public/calendar").await;
    assert_eq!(
        (status, calendar),
        (200, json!({ "utc_offset_minutes": 480 }))
    );
    let (status, cats) = public(&s, "/api/public/categories").await;
    assert_eq!(status, 200);
    assert!(
        cats["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "0201"),
        "{cats}"
    );
    let (challenge, nonce) = proof(&s).await;
    let (status, photo) = upload_to(
        &s,
        None,
        &format!("/api/public/attachments?challenge={challenge}&nonce={nonce}"),
        png(400, 300),
    )
    .await;
    assert_eq!(status, 201, "{photo}");
    assert_eq!(
        (photo["mime"].as_str(), photo["width"].as_u64()),
        (Some("image/png"), Some(400))
    );
    let photo_id = photo["id"].as_str().unwrap().to_owned();
    let (status, receipt) = citizen_report(
        &s,
        json!({ "category": "0201", "lon": IN_11_1.0, "lat": IN_11_1.1,
                "description": "人行道上有摊贩占道", "photos": [photo_id],
                "phone": "13800138000" }),
    )
    .await;
    assert_eq!(status, 201, "{receipt}");
    let code = receipt["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 10);
    assert_eq!(receipt["status_url"], format!("/report/{code}"));

    let (status, view) = public(&s, &format!("/api/public/reports/{code}")).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(
        (view["status"].as_str(), view["can_rate"].as_bool()),
        (Some("received"), Some(false))
    );
    assert_eq!(view["points"], 0, "nothing accepted yet");
    assert_eq!(view["photos"], json!([photo_id]));

    // Staff see it, its photo and the masked phone; an outsider does not.
    let inc = incident_of(&s, &disp, &code).await;
    let id = inc["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (inc["source"].as_str(), inc["intake"]["phone"].as_str()),
        (Some("citizen"), Some("138****8000"))
    );
    let (status, thumb) = bytes(
        &s,
        Some(&disp),
        &format!("/api/attachments/{photo_id}/thumb"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(&thumb[..3], &[0xFF, 0xD8, 0xFF], "thumbnails are JPEG");
    let (status, full) = bytes(&s, Some(&disp), &format!("/api/attachments/{photo_id}")).await;
    assert_eq!((status, &full[1..4]), (200, &b"PNG"[..]));
    let (status, _) = bytes(&s, Some(&outsider), &format!("/api/attachments/{photo_id}")).await;
    assert_eq!(status, 404, "district 12 may not see district 11's photo");
    let (status, _) = bytes(&s, None, &format!("/api/attachments/{photo_id}")).await;
    assert_eq!(status, 401);

    // A photo never uploaded is refused.
    let (status, e) = common::incidents::act(
        &s,
        &disp,
        &id,
        json!({ "action": "accept", "photos": ["a".repeat(64)] }),
    )
    .await;
    assert_eq!(status, 400, "{e}");
    // Handled with a before and an after photo from the field worker.
    let before = upload(&s, &field, jpeg(320, 240)).await;
    let after = upload(&s, &field, jpeg(640, 480)).await;
    handle_through(
        &s,
        &id,
        (&disp, &field),
        (
            Some(json!({ "photos": [before] })),
            json!({ "photos": [after], "comment": "已清理" }),
            json!({ "comment": "内部: 已约谈", "reply": "摊贩已劝离，感谢您的反映" }),
        ),
    )
    .await;
    let (_, closed) = s.get(&disp, &format!("/api/incidents/{id}")).await;
    assert_eq!(closed["intake"]["reply"], "摊贩已劝离，感谢您的反映");
    let (status, a) = bytes(&s, Some(&disp), &format!("/api/attachments/{after}")).await;
    assert_eq!(status, 200, "the after-photo is the incident's now");
    assert!(!a.is_empty());

    // The citizen: closed, the reply, public steps only, points, a rating.
    let (_, view) = public(&s, &format!("/api/public/reports/{code}")).await;
    assert_eq!(view["status"], "closed", "{view}");
    assert_eq!(view["reply"], "摊贩已劝离，感谢您的反映");
    let steps: Vec<&str> = view["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "received",
            "accepted",
            "dispatched",
            "handling",
            "handled",
            "closed"
        ]
    );
    let text = view.to_string();
    for internal in ["内部", "S1", "已清理", "dispatcher", "13800138000"] {
        assert!(!text.contains(internal), "{internal} leaked: {text}");
    }
    assert_eq!(
        (view["points"].as_u64(), view["can_rate"].as_bool()),
        (Some(10), Some(true))
    );
    let (status, _) = bytes(
        &s,
        None,
        &format!("/api/public/reports/{code}/photos/{photo_id}/thumb"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = bytes(
        &s,
        None,
        &format!("/api/public/reports/{code}/photos/{after}"),
    )
    .await;
    assert_eq!(status, 404, "the citizen sees their own photos only");

    let (status, rated) = rate(&s, &code, 5).await;
    assert_eq!(status, 200, "{rated}");
    assert_eq!(
        (
            rated["rating"]["score"].as_u64(),
            rated["can_rate"].as_bool()
        ),
        (Some(5), Some(false))
    );
    let (status, again) = rate(&s, &code, 1).await;
    assert_eq!(status, 409, "{again}");

    // Counted: the statistics and the assessment of the handler.
    let (_, stats) = s.get(&disp, "/api/incidents/stats").await;
    assert_eq!(
        stats["satisfaction"],
        json!({ "rated": 1, "average": 5.0, "satisfied_rate": 1.0 }),
        "{stats}"
    );
    assert_eq!(
        (
            stats["by_source"]["citizen"].as_u64(),
            stats["citizen_today"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let (status, table) = s.get(&disp, "/api/assessment?level=worker").await;
    assert_eq!(status, 200, "{table}");
    let row = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "S1")
        .cloned()
        .unwrap();
    assert_eq!(row["satisfaction"], 1.0, "{row}");

    // Kept: a restart knows the code, the rating and the photos.
    s.restart().await;
    let (status, view) = public(&s, &format!("/api/public/reports/{code}")).await;
    assert_eq!((status, view["rating"]["score"].as_u64()), (200, Some(5)));
    let disp = s.login("dispatcher").await;
    let (status, _) = bytes(&s, Some(&disp), &format!("/api/attachments/{before}/thumb")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn hostile_uploads_are_refused_cleanly() {
    let s = test_server().await;
    let field = s.login("field").await;
    let screen = s.login("screen").await;
    let refused = |bytes: Vec<u8>| {
        let (s, field) = (&s, &field);
        async move { upload_to(s, Some(field), "/api/attachments", bytes).await }
    };
    let (status, e) = refused(b"<html><script>alert(1)</script></html>".to_vec()).await;
    assert_eq!(status, 415, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("checked by content"),
        "{e}"
    );
    let (status, _) = refused(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec()).await;
    assert_eq!(status, 415);
    let whole = png(200, 200);
    let (status, e) = refused(whole[..whole.len() / 2].to_vec()).await;
    assert_eq!(status, 400, "a truncated PNG: {e}");
    let j = jpeg(200, 200);
    let (status, e) = refused(j[..j.len() / 2].to_vec()).await;
    assert_eq!(status, 400, "a truncated JPEG: {e}");
    // A zip bomb as PNG: a tiny file declaring 60000×60000 pixels.
    let (status, e) = refused(bomb(60_000, 60_000)).await;
    assert_eq!(status, 400, "{e}");
    assert!(e["message"].as_str().unwrap().contains("pixels"), "{e}");
    // Over the size cap, and over the route's body limit.
    let mut big = png(64, 64);
    big.resize(9 * 1024 * 1024, 0);
    let (status, _) = refused(big).await;
    assert_eq!(status, 413);
    let (status, _) = refused(vec![0; 13 * 1024 * 1024]).await;
    assert_eq!(status, 413);
    let (status, _) = refused(Vec::new()).await;
    assert_eq!(status, 400);
    let (status, _) = upload_to(&s, Some(&screen), "/api/attachments", png(10, 10)).await;
    assert_eq!(status, 403, "a big screen does not upload");

    // Metadata is stripped: a JPEG carrying EXIF (GPS) comes back without.
    let mut exif_jpeg = jpeg(64, 48);
    let exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0GPS-SECRET";
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&u16::try_from(exif.len() + 2).unwrap().to_be_bytes());
    app1.extend_from_slice(exif);
    exif_jpeg.splice(2..2, app1);
    let id = upload(&s, &field, exif_jpeg).await;
    let (status, kept) = bytes(&s, Some(&field), &format!("/api/attachments/{id}")).await;
    assert_eq!(status, 200, "the uploader sees their own photo");
    assert!(
        !kept.windows(10).any(|w| w == b"GPS-SECRET"),
        "EXIF stripped"
    );
    assert!(!kept.windows(4).any(|w| w == b"Exif"));
    // The server still serves.
    let (status, _) = s.get(&field, "/api/me").await;
    assert_eq!(status, 200);
}

/// A PNG whose header declares `w`×`h` pixels over one tiny zlib stream.
fn bomb(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(&crc_input);
        out.extend_from_slice(&crc32fast::hash(&crc_input).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // An empty stored zlib block: valid, and nothing like the pixels.
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0, 0, 0, 1],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

#[tokio::test]
async fn the_public_page_wants_a_proof_and_keeps_its_limits() {
    let (mut args, tmp) = common::test_args().await;
    args.citizen_proof_bits = 8;
    args.citizen_reports_per_phone_hour = 2;
    let s = TestServer::start_in(args, tmp).await;
    let body = |phone: &str| {
        json!({ "category": "0203", "lon": IN_12_1.0, "lat": IN_12_1.1,
                "description": "垃圾堆放", "phone": phone })
    };
    // No proof, a forged one, a wrong nonce.
    let post = |b: Value| {
        let s = &s;
        async move { s.public_post("/api/public/reports", &b).await }
    };
    let (status, e) = post(body("13900000001")).await;
    assert_eq!(status, 400, "{e}");
    let mut forged = body("13900000001");
    forged["challenge"] = json!("v1.99999999999999.00.00");
    forged["nonce"] = json!("1");
    let (status, e) = post(forged).await;
    assert_eq!(status, 400, "{e}");
    assert!(e["message"].as_str().unwrap().contains("challenge"), "{e}");
    let (challenge, nonce) = proof(&s).await;
    let wrong = (0_u64..1000)
        .map(|n| n.to_string())
        .find(|n| *n != nonce && riskmap::identity::proof::leading_zero_bits(&challenge, n) < 8)
        .unwrap();
    let mut unsolved = body("13900000001");
    unsolved["challenge"] = json!(challenge);
    unsolved["nonce"] = json!(wrong);
    let (status, e) = post(unsolved).await;
    assert_eq!(status, 400, "{e}");

    // Bad fields, each named.
    for (bad, word) in [
        (
            json!({ "category": "0101", "lon": IN_12_1.0, "lat": IN_12_1.1, "description": "x" }),
            "citizen list",
        ),
        (
            json!({ "category": "0203", "lon": IN_12_1.0, "lat": IN_12_1.1, "description": "x", "phone": "12345" }),
            "mobile",
        ),
        (
            json!({ "category": "0203", "lon": 100.0, "lat": 20.0, "description": "x" }),
            "no grid",
        ),
        (
            json!({ "category": "0203", "lon": IN_12_1.0, "lat": IN_12_1.1, "description": "", "photos": [] }),
            "say what",
        ),
        (
            json!({ "category": "0203", "lon": IN_12_1.0, "lat": IN_12_1.1, "photos": ["x"] }),
            "not an id",
        ),
    ] {
        let (status, e) = citizen_report(&s, bad).await;
        assert_eq!(status, 400, "{e}");
        assert!(e["message"].as_str().unwrap().contains(word), "{word}: {e}");
    }

    // Two an hour per phone number: the third waits, with Retry-After.
    for _ in 0..2 {
        let (status, r) = citizen_report(&s, body("13900000002")).await;
        assert_eq!(status, 201, "{r}");
    }
    let (challenge, nonce) = proof(&s).await;
    let mut third = body("13900000002");
    third["challenge"] = json!(challenge);
    third["nonce"] = json!(nonce);
    let r = s
        .http
        .post(format!("{}/api/public/reports", s.base))
        .json(&third)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 60, "an hour's limit: {wait}");
    let (status, _) = citizen_report(&s, body("13900000003")).await;
    assert_eq!(status, 201, "another number is not held back");

    let (status, e) = public(&s, "/api/public/reports/NOSUCHCODE").await;
    assert_eq!(status, 404, "{e}");
    let (status, _) = rate(&s, "NOSUCHCODE", 5).await;
    assert_eq!(status, 404);
}
