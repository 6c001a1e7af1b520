//! Abuse limits and the audit log on the real server: login throttling,
//! per-token request rates, the WebSocket connection cap, CORS, the polygon
//! vertex limit, and an audit log of logins and writes that only system
//! administrators read (SQLite; PostGIS too under scripts/test.sh).

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use riskmap_tests as common;

use common::{DEMO_PASSWORD, TestServer};
use serde_json::{Value, json};

async fn login_status(s: &TestServer, user: &str, password: &str) -> (u16, Option<String>) {
    let r = s
        .http
        .post(format!("{}/api/auth/login", s.base))
        .json(&json!({ "username": user, "password": password }))
        .send()
        .await
        .unwrap();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (r.status().as_u16(), retry)
}

#[tokio::test]
async fn failed_logins_are_throttled_and_everything_is_audited() {
    let (mut args, _tmp) = common::test_args().await;
    args.login_failures_per_user = 3;
    let s = TestServer::start_with(args).await;
    for _ in 0..3 {
        assert_eq!(login_status(&s, "dispatcher", "guess").await.0, 401);
    }
    // The fourth try from the same address waits, even with the right
    // password; the waits grow with every further failure (the owner
    // elsewhere is not held up: tests/e2e/security.rs).
    let (status, retry) = login_status(&s, "dispatcher", DEMO_PASSWORD).await;
    assert_eq!(status, 429);
    assert!(retry.unwrap().parse::<u64>().unwrap() >= 1);
    // Other users are not held up.
    assert_eq!(login_status(&s, "commander", DEMO_PASSWORD).await.0, 200);

    // A write, and who may read the log.
    let boss = s.login("commander").await;
    let (status, _) = s
        .post(
            &boss,
            "/api/incidents",
            &json!({ "category": "0101", "lon": 120.021, "lat": 28.051 }),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = s
        .post(
            &boss,
            "/api/incidents/SJ0/actions",
            &json!({ "action": "accept" }),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        s.get(&boss, "/api/audit").await.0,
        403,
        "commanders do not read the audit log"
    );
    let admin = s.login("admin").await;
    // The audit writer runs beside the requests: read until it caught up.
    let mut entries: Vec<(String, String, i64)> = Vec::new();
    let has = |entries: &[(String, String, i64)], user: &str, action: &str, status: i64| {
        entries
            .iter()
            .any(|(u, a, s)| u == user && a == action && *s == status)
    };
    for _ in 0..100 {
        let (status, log) = s.get(&admin, "/api/audit?limit=100").await;
        assert_eq!(status, 200, "{log}");
        entries = log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["username"].as_str().unwrap().to_owned(),
                    e["action"].as_str().unwrap().to_owned(),
                    e["status"].as_i64().unwrap(),
                )
            })
            .collect();
        if has(&entries, "admin", "login", 200)
            && has(
                &entries,
                "commander",
                "POST /api/incidents/SJ0/actions",
                404,
            )
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Anonymous failures are counted, not stored: their names are the
    // guesser's to choose.
    assert!(
        !entries.iter().any(|(u, _, _)| u == "dispatcher"),
        "{entries:?}"
    );
    let metrics = common::metrics_at(&s.base).await;
    assert!(
        metrics.contains("riskmap_login_failures_total 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("riskmap_login_throttled_total 1"),
        "{metrics}"
    );
    assert!(has(&entries, "commander", "login", 200), "{entries:?}");
    assert!(
        has(&entries, "commander", "POST /api/incidents", 201),
        "{entries:?}"
    );
    assert!(
        has(
            &entries,
            "commander",
            "POST /api/incidents/SJ0/actions",
            404
        ),
        "{entries:?}"
    );
    assert!(has(&entries, "admin", "login", 200));
    // Newest first; one user's entries on request.
    assert_eq!(entries[0].0, "admin");
    let (_, mine) = s.get(&admin, "/api/audit?username=commander").await;
    assert!(
        mine["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["username"] == "commander")
    );
    assert!(
        mine["entries"][0]["ip"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1")
    );
}

#[tokio::test]
async fn one_token_cannot_flood_the_api() {
    let (mut args, _tmp) = common::test_args().await;
    args.requests_per_second = 5;
    let s = TestServer::start_with(args).await;
    let t = s.login("screen").await;
    let mut limited = None;
    for i in 0..40 {
        let r = s
            .http
            .get(format!("{}/api/me", s.base))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
            let body: Value = r.json().await.unwrap();
            assert!(
                body["message"].as_str().unwrap().contains("rate limit"),
                "{body}"
            );
            limited = Some(i);
            break;
        }
    }
    let n = limited.expect("refused within 40 requests");
    assert!(n >= 10, "a burst of twice the rate passes first ({n})");
    // Another token is unaffected.
    let other = s.login("commander").await;
    assert_eq!(s.get(&other, "/api/me").await.0, 200);
}

#[tokio::test]
async fn websocket_connections_are_capped() {
    let (mut args, _tmp) = common::test_args().await;
    args.max_ws_connections = 2;
    let s = TestServer::start_with(args).await;
    let t = s.login("screen").await;
    let _a = s.ws(&t).await;
    let _b = s.ws(&t).await;
    let refused = tokio_tungstenite::connect_async(format!("{}/ws?token={t}", s.ws_base)).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 503),
        other => panic!("expected 503, got {other:?}"),
    }
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let (mut args, _tmp) = common::test_args().await;
    args.cors_origin = vec!["https://screen.example.gov.cn".into()];
    let s = TestServer::start_with(args).await;
    let preflight = |origin: &'static str| {
        s.http
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/api/incidents", s.base),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let ok = preflight("https://screen.example.gov.cn").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://screen.example.gov.cn"
    );
    let no = preflight("https://evil.example.com").await.unwrap();
    assert!(no.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn huge_polygons_are_refused_by_feature() {
    let (mut args, _tmp) = common::test_args().await;
    args.max_polygon_vertices = 100;
    let s = TestServer::start_with(args).await;
    let admin = s.login("admin").await;
    let ring: Vec<Value> = (0..=200)
        .map(|i| {
            let a = f64::from(i) / 200.0 * std::f64::consts::TAU;
            json!([120.05 + 0.01 * a.cos(), 28.05 + 0.01 * a.sin()])
        })
        .collect();
    let fc = json!({ "type": "FeatureCollection", "features": [
        { "type": "Feature", "id": "K9", "geometry": { "type": "Polygon", "coordinates": [ring] },
          "properties": { "name": "big", "kind": "school" } }
    ]});
    let (status, err) = s
        .post(&admin, "/ogc/collections/key_places/items?mode=merge", &fc)
        .await;
    assert_eq!(status, 400, "{err}");
    let m = err["message"].as_str().unwrap();
    assert!(m.contains("201 vertices") && m.contains("100"), "{m}");
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_refused() {
    let s = TestServer::start().await;
    let app = &s.server().app;
    let (user, _) = app.store.user_by_name("screen").await.unwrap().unwrap();
    let token = riskmap::identity::sessions::new_token();
    let now = riskmap::clock::now_ms();
    app.store
        .create_session(&riskmap::store::Session {
            token_hash: riskmap::identity::sessions::token_hash(&token),
            user_id: user.id,
            created_ms: now - 13 * 3_600_000,
            expires_ms: now - 3_600_000,
        })
        .await
        .unwrap();
    let (status, err) = s.get(&token, "/api/me").await;
    assert_eq!(status, 401, "{err}");
    assert!(err["message"].as_str().unwrap().contains("expired"));
    // A live one works until it is revoked.
    let live = s.login("screen").await;
    assert_eq!(s.get(&live, "/api/me").await.0, 200);
    assert_eq!(s.post(&live, "/api/auth/logout", &json!({})).await.0, 200);
    assert_eq!(s.get(&live, "/api/me").await.0, 401);
}

#[tokio::test]
async fn requests_beyond_the_in_flight_limit_are_shed_with_a_reason() {
    let (mut args, _tmp) = common::test_args().await;
    args.max_concurrent_requests = 1;
    let s = TestServer::start_with(args).await;
    // Logins hash a password (argon2): slow enough to overlap.
    let answers = futures_util::future::join_all((0..30).map(|_| {
        s.http
            .post(format!("{}/api/auth/login", s.base))
            .json(&json!({ "username": "screen", "password": DEMO_PASSWORD }))
            .send()
    }))
    .await;
    let mut ok = 0;
    let mut shed = 0;
    for r in answers {
        let r = r.unwrap();
        match r.status().as_u16() {
            200 => ok += 1,
            503 => {
                let body: Value = r.json().await.unwrap();
                assert!(
                    body["message"].as_str().unwrap().contains("overloaded"),
                    "{body}"
                );
                shed += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(ok >= 1 && shed >= 1, "{ok} served, {shed} shed");
}
