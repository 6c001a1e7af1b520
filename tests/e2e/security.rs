//! Round two of the hostile review (docs/SECURITY.md): each test here
//! fails on the code before its fix.
#![allow(clippy::unwrap_used)]

use riskmap_tests as common;

use std::time::{Duration, Instant};

use common::{DEMO_PASSWORD, TestServer};
use serde_json::json;

/// Password hashing runs on a bounded pool of blocking threads: two dozen
/// logins at once leave the server answering everyone else. (The test's
/// runtime has one thread, as a busy server's workers effectively do: a
/// hash on a worker would hold every other request behind it.)
#[tokio::test]
async fn logins_do_not_stall_other_requests() {
    // Twenty-four at once from one address would meet the throttle, which
    // counts attempts in flight: this test is about the hashing alone.
    let (mut args, _tmp) = common::test_args().await;
    args.login_failures_per_user = 100;
    args.login_failures_per_address = 100;
    let s = TestServer::start_with(args).await;
    let started = Instant::now();
    let logins: Vec<_> = (0..24)
        .map(|_| {
            let http = s.http.clone();
            let url = format!("{}/api/auth/login", s.base);
            tokio::spawn(async move {
                http.post(url)
                    .json(&json!({ "username": "dispatcher", "password": DEMO_PASSWORD }))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    // Let the logins reach the hashing.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let asked = Instant::now();
    let r = s
        .http
        .get(format!("{}/health", s.base))
        .send()
        .await
        .unwrap();
    let health = asked.elapsed();
    assert_eq!(r.status(), 200);
    for l in logins {
        assert_eq!(l.await.unwrap(), 200);
    }
    let all = started.elapsed();
    assert!(
        health * 4 < all,
        "/health took {health:?} while 24 logins took {all:?}: hashing held it up"
    );
}

async fn login_status(s: &TestServer, user: &str, password: &str, forwarded: Option<&str>) -> u16 {
    let mut r = s
        .http
        .post(format!("{}/api/auth/login", s.base))
        .json(&json!({ "username": user, "password": password }));
    if let Some(f) = forwarded {
        r = r.header("x-forwarded-for", f);
    }
    r.send().await.unwrap().status().as_u16()
}

/// Concurrent guesses are counted before they are decided: twenty at once
/// get no more wrong-password answers than the throttle allows.
#[tokio::test]
async fn concurrent_guesses_do_not_slip_past_the_throttle() {
    let s = TestServer::start().await;
    let limit = s.args.login_failures_per_user;
    let guesses: Vec<_> = (0..20)
        .map(|i| {
            let http = s.http.clone();
            let url = format!("{}/api/auth/login", s.base);
            tokio::spawn(async move {
                http.post(url)
                    .json(&json!({ "username": "dispatcher", "password": format!("guess-{i}") }))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap());
    }
    let wrong = statuses.iter().filter(|&&c| c == 401).count();
    let throttled = statuses.iter().filter(|&&c| c == 429).count();
    assert!(
        wrong <= limit,
        "{wrong} guesses were checked, the limit is {limit}: {statuses:?}"
    );
    assert_eq!(wrong + throttled, 20, "{statuses:?}");
}

/// Behind a trusted reverse proxy each client is throttled by its own
/// address (X-Forwarded-For), not all together by the proxy's; from an
/// untrusted peer the header is ignored, so it cannot be used to dodge.
#[tokio::test]
async fn clients_behind_a_trusted_proxy_are_told_apart() {
    let (mut args, _tmp) = common::test_args().await;
    args.login_failures_per_address = 3;
    args.trusted_proxy = vec!["127.0.0.1".into()];
    let s = TestServer::start_with(args).await;
    for user in ["a", "b", "c"] {
        assert_eq!(login_status(&s, user, "x", Some("10.9.9.9")).await, 401);
    }
    assert_eq!(login_status(&s, "d", "x", Some("10.9.9.9")).await, 429);
    assert_eq!(
        login_status(&s, "dispatcher", DEMO_PASSWORD, Some("10.8.8.8")).await,
        200,
        "another client behind the same proxy"
    );

    let (mut args, _tmp2) = common::test_args().await;
    args.login_failures_per_address = 3;
    let s = TestServer::start_with(args).await;
    for (i, user) in ["a", "b", "c"].into_iter().enumerate() {
        let spoofed = format!("10.0.0.{i}");
        assert_eq!(login_status(&s, user, "x", Some(&spoofed)).await, 401);
    }
    assert_eq!(
        login_status(&s, "d", "x", Some("10.0.0.99")).await,
        429,
        "an untrusted peer's X-Forwarded-For is ignored"
    );
}

/// Someone guessing a commander's password from their own address cannot
/// lock the commander out: the owner, elsewhere, still logs in.
#[tokio::test]
async fn guessing_cannot_lock_the_owner_out() {
    let (mut args, _tmp) = common::test_args().await;
    args.trusted_proxy = vec!["127.0.0.1".into()];
    let s = TestServer::start_with(args).await;
    let mut refused = 0;
    for i in 0..12 {
        match login_status(&s, "commander", &format!("guess-{i}"), Some("10.6.6.6")).await {
            401 => {}
            429 => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert!(refused > 0, "the guesser is slowed down");
    assert_eq!(
        login_status(&s, "commander", DEMO_PASSWORD, Some("10.7.7.7")).await,
        200,
        "the owner, from their own address"
    );
}

/// A token is verified before it gets a rate of its own: random tokens
/// cannot each open a fresh bucket, and an address sending many invalid
/// ones is slowed down before each costs a store lookup. Failures are
/// counted in metrics, never written to the audit log.
#[tokio::test]
async fn invalid_tokens_are_limited_per_address_and_not_audited() {
    let s = TestServer::start().await;
    let mut statuses = Vec::new();
    for i in 0..40 {
        let r = s
            .http
            .post(format!("{}/api/incidents", s.base))
            .bearer_auth(format!("random-token-{i}"))
            .json(&json!({ "category": "0101", "lon": 120.021, "lat": 28.051 }))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    let refused = statuses.iter().filter(|&&c| c == 401).count();
    let slowed = statuses.iter().filter(|&&c| c == 429).count();
    assert!(
        slowed > 0,
        "forty invalid tokens at once must be slowed: {statuses:?}"
    );
    assert!(
        refused <= 12,
        "{refused} invalid tokens were looked up: {statuses:?}"
    );
    let metrics = common::metrics_at(&s.base).await;
    assert!(
        metrics.contains(&format!("riskmap_auth_failures_total {refused}")),
        "{metrics}"
    );
    let admin = s.login("admin").await;
    let (_, log) = s.get(&admin, "/api/audit?limit=1000").await;
    assert!(
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["username"] != "-" && !e["username"].as_str().unwrap().is_empty()),
        "anonymous requests are not audited: {log}"
    );
}

/// What is stored of an authenticated request is bounded: a very long path
/// is cut, not written whole.
#[tokio::test]
async fn audit_fields_are_bounded() {
    let s = TestServer::start().await;
    let boss = s.login("commander").await;
    let long = "x".repeat(5_000);
    let (status, _) = s
        .post(
            &boss,
            &format!("/api/incidents/{long}/actions"),
            &json!({ "action": "accept" }),
        )
        .await;
    assert_eq!(status, 404);
    let admin = s.login("admin").await;
    let mut longest = 0;
    for _ in 0..100 {
        let (_, log) = s.get(&admin, "/api/audit?username=commander").await;
        let actions: Vec<String> = log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect();
        if let Some(a) = actions.iter().find(|a| a.contains("xxxx")) {
            longest = a.chars().count();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(longest > 0, "the request was audited");
    assert!(longest <= 201, "an audit action of {longest} characters");
}

/// `?token=` works on `/ws` only (a browser cannot set headers there):
/// anywhere else a token in the URL would end up in logs and links.
#[tokio::test]
async fn tokens_in_urls_only_open_websockets() {
    let s = TestServer::start().await;
    let t = s.login("screen").await;
    let r = s
        .http
        .get(format!("{}/api/me?token={t}", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = s
        .http
        .get(format!("{}/api/me", s.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (ws, _) = tokio_tungstenite::connect_async(format!("{}/ws?token={t}", s.ws_base))
        .await
        .unwrap();
    drop(ws);
}

/// Logging out closes that session's sockets at once, with a reason;
/// another session of the same user stays open.
#[tokio::test]
async fn logout_closes_the_sessions_sockets() {
    let s = TestServer::start().await;
    let first = s.login("screen").await;
    let second = s.login("screen").await;
    let mut ws1 = s.ws(&first).await;
    let mut ws2 = s.ws(&second).await;
    assert_eq!(s.post(&first, "/api/auth/logout", &json!({})).await.0, 200);
    let frame = tokio::time::timeout(Duration::from_secs(1), ws1.next_close())
        .await
        .expect("closed within a second");
    assert_eq!(u16::from(frame.code), 1008, "{frame:?}");
    assert!(frame.reason.contains("logged out"), "{frame:?}");
    ws2.send(&json!({ "type": "ping", "id": 1 })).await;
    assert_eq!(
        ws2.next_of("pong").await["id"],
        1,
        "the other session lives on"
    );
}

/// A socket opened with a session closes when the session expires.
#[tokio::test]
async fn an_expiring_session_closes_its_socket() {
    let s = TestServer::start().await;
    let app = &s.server().app;
    let (user, _) = app.store.user_by_name("screen").await.unwrap().unwrap();
    let token = riskmap::identity::sessions::new_token();
    let now = riskmap::clock::now_ms();
    app.store
        .create_session(&riskmap::store::Session {
            token_hash: riskmap::identity::sessions::token_hash(&token),
            user_id: user.id,
            created_ms: now,
            expires_ms: now + 1_500,
        })
        .await
        .unwrap();
    let mut ws = s.ws(&token).await;
    let frame = tokio::time::timeout(Duration::from_secs(3), ws.next_close())
        .await
        .expect("closed when the session expired");
    assert_eq!(u16::from(frame.code), 1008, "{frame:?}");
    assert!(frame.reason.contains("expired"), "{frame:?}");
}

/// Shutting down with sockets open finishes promptly: each socket gets a
/// going-away close with a reason, the writers commit what is queued.
#[tokio::test]
async fn shutdown_closes_sockets_and_finishes() {
    let mut s = TestServer::start().await;
    let t = s.login("screen").await;
    let mut ws = s.ws(&t).await;
    let server = s.server.take().unwrap();
    let shutdown = tokio::spawn(server.shutdown());
    let frame = tokio::time::timeout(Duration::from_secs(3), ws.next_close())
        .await
        .expect("told within 3 s");
    assert_eq!(u16::from(frame.code), 1001, "{frame:?}");
    assert!(frame.reason.contains("shutting down"), "{frame:?}");
    drop(ws);
    tokio::time::timeout(
        riskmap::serve::SHUTDOWN_GRACE + Duration::from_secs(5),
        shutdown,
    )
    .await
    .expect("the shutdown finished")
    .unwrap();
}

/// SIGTERM to the real binary with a socket open: it exits within seconds.
#[tokio::test]
async fn sigterm_with_a_socket_open_exits() {
    let tmp = tempfile::tempdir().unwrap();
    common::write_city(&tmp.path().join("city"));
    let args = common::process_args(tmp.path(), None);
    let mut server = common::ServerProcess::spawn(&args, &tmp.path().join("server.log"));
    let token = common::login_at(&server.base, "screen", DEMO_PASSWORD).await;
    let url = format!(
        "{}/ws?token={token}",
        server.base.replace("http://", "ws://")
    );
    let (_ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let pid = server.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + riskmap::serve::SHUTDOWN_GRACE + Duration::from_secs(10);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A peer that says nothing, not even a pong, for the slow viewer's
/// allowance is closed with a reason (a phone gone out of coverage), and a
/// user's sockets are capped.
#[tokio::test]
async fn silent_peers_are_closed_and_sockets_are_capped_per_user() {
    let (mut args, _tmp) = common::test_args().await;
    args.ws_ping_s = 1;
    args.slow_viewer_close_s = 2;
    args.max_ws_per_user = 2;
    let s = TestServer::start_with(args).await;
    let t = s.login("screen").await;
    let mut silent = s.ws(&t).await;
    let _other = s.ws(&t).await;
    let r = s
        .http
        .get(format!("{}/ws?token={t}", s.base))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "a third socket for one user");
    // Say nothing (and so answer no ping) for longer than the allowance.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let frame = tokio::time::timeout(Duration::from_secs(5), silent.next_close())
        .await
        .expect("closed");
    assert_eq!(u16::from(frame.code), 1001, "{frame:?}");
    assert!(frame.reason.contains("no answer"), "{frame:?}");
}

/// A device id is the OsmAnd protocol's only credential: an address that
/// keeps naming unknown devices (guessing) is slowed down, and the guesses
/// are counted.
#[tokio::test]
async fn guessing_device_ids_is_slowed_down() {
    let s = TestServer::start().await;
    let osmand = format!("http://{}", s.server().osmand_addr.unwrap());
    let mut statuses = Vec::new();
    for i in 0..40 {
        let r = s
            .http
            .get(format!("{osmand}/?id=guess-{i}&lat=28.05&lon=120.02"))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    let unknown = statuses.iter().filter(|&&c| c == 400).count();
    let slowed = statuses.iter().filter(|&&c| c == 429).count();
    assert!(slowed > 0, "{statuses:?}");
    assert!(unknown <= 12, "{unknown} guesses answered: {statuses:?}");
    let metrics = common::metrics_at(&s.base).await;
    assert!(
        metrics.contains("riskmap_unknown_devices_total"),
        "{metrics}"
    );
}

/// A client that trickles a request's headers (slow loris), or leaves a
/// keep-alive connection idle, is cut off after the header timeout instead
/// of holding a connection for ever.
#[tokio::test]
async fn slow_and_idle_connections_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut args, _tmp) = common::test_args().await;
    args.header_read_timeout_s = 1;
    let s = TestServer::start_with(args).await;
    let addr = s.server().addr;
    // Half a request, then nothing.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut buf)).await;
    assert!(ended.is_ok(), "the trickling connection was not closed");
    // A whole request, then idle on keep-alive.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(5), idle.read_to_end(&mut buf)).await;
    assert!(
        ended.is_ok(),
        "the idle keep-alive connection was not closed"
    );
    assert!(
        String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"),
        "{buf:?}"
    );
}

/// Reads the audit log as `token` until `done` holds for its usernames
/// (the audit writer runs beside the requests), at most 5 s.
async fn audit_names(s: &TestServer, token: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let mut names = Vec::new();
    for _ in 0..100 {
        let (status, log) = s.get(token, "/api/audit?limit=1000").await;
        assert_eq!(status, 200, "{log}");
        names = log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["username"].as_str().unwrap().to_owned())
            .collect();
        if done(&names) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    names
}

/// An administrator bound to district 11 reads the audit entries of
/// principals in its district only: not the city's commander, not the
/// system administrator, not district 12. The system administrator reads
/// them all.
#[tokio::test]
async fn a_district_admin_reads_only_its_districts_audit_entries() {
    use riskmap::identity::UserRole;
    let s = TestServer::start().await;
    let auth = &s.server().app.auth;
    for (name, area) in [("admin11", "11"), ("commander12", "12")] {
        let role = if name.starts_with("admin") {
            UserRole::Admin
        } else {
            UserRole::Commander
        };
        auth.create_user(name, name, role, area, (None, None), DEMO_PASSWORD, false)
            .await
            .unwrap();
    }
    s.login("commander").await;
    s.login("district").await;
    s.login("commander12").await;
    let root = s.login("admin").await;
    let bound = s.login("admin11").await;
    let everyone = ["commander", "district", "commander12", "admin", "admin11"];
    let all = audit_names(&s, &root, |n| {
        everyone.iter().all(|u| n.iter().any(|m| m == u))
    })
    .await;
    for u in everyone {
        assert!(
            all.iter().any(|m| m == u),
            "{u} missing for the system admin: {all:?}"
        );
    }
    let mine = audit_names(&s, &bound, |n| n.iter().any(|m| m == "admin11")).await;
    assert!(mine.iter().any(|m| m == "district"), "{mine:?}");
    assert!(mine.iter().any(|m| m == "admin11"), "{mine:?}");
    for other in ["commander", "commander12", "admin"] {
        assert!(!mine.iter().any(|m| m == other), "{other} leaked: {mine:?}");
    }
}

/// A track replay answers at most `limit` fixes and says whether there
/// were more (`truncated`); a window longer than 7 days is refused.
#[tokio::test]
async fn track_replay_is_bounded_and_says_truncated() {
    let s = TestServer::start().await;
    let field = s.login("field").await;
    let (_, me) = s.get(&field, "/api/me").await;
    let staff = me["user"]["staff_id"].as_str().unwrap().to_owned();
    let token = s.login("dispatcher").await;
    let now = riskmap::clock::now_ms();
    let fixes: Vec<_> = (0..20)
        .map(|i| json!({ "lon": 120.02, "lat": 28.05, "t": now - 60_000 + i * 1000 }))
        .collect();
    let (status, body) = s
        .post(&field, "/api/fixes", &json!({ "fixes": fixes }))
        .await;
    assert_eq!(status, 200, "{body}");
    let from = now - 120_000;
    let (status, body) = s
        .get(
            &token,
            &format!("/api/staff/{staff}/track?from={from}&limit=5"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["fixes"].as_array().unwrap().len(), 5, "{body}");
    assert_eq!(body["fixes"][0]["t"], now - 60_000, "the oldest first");
    assert_eq!(body["truncated"], true, "{body}");
    let (status, body) = s
        .get(
            &token,
            &format!("/api/staff/{staff}/track?from={from}&limit=100"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["fixes"].as_array().unwrap().len(), 20, "{body}");
    assert_eq!(body["truncated"], false, "{body}");
    let long_ago = now - 8 * 86_400_000;
    let (status, body) = s
        .get(&token, &format!("/api/staff/{staff}/track?from={long_ago}"))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("7 days"), "{body}");
}

/// A district commander's flow-log export holds every entry of its district
/// even when the city holds more entries in the period than the old fixed
/// cap (200,000) and the district's come last.
#[tokio::test]
async fn a_district_export_is_complete_however_busy_the_city() {
    if std::env::var("RISKMAP_TEST_DATABASE_URL").is_ok() {
        return; // the bulk insert below is SQLite's; the store suite covers PostGIS
    }
    let s = TestServer::start().await;
    let boss = s.login("commander").await;
    let report = |at: (f64, f64)| {
        json!({ "category": "0101", "lon": at.0, "lat": at.1, "priority": "urgent",
                "description": "楼道堆放杂物" })
    };
    // One incident in district 12 whose flow log fills the period …
    let (status, busy) = s
        .post(&boss, "/api/incidents", &report((120.17, 28.05)))
        .await;
    assert_eq!(status, 201, "{busy}");
    let busy = busy["id"].as_str().unwrap().to_owned();
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        s.args.data_dir.join("riskmap.db").display()
    ))
    .await
    .unwrap();
    let day_ago = riskmap::clock::now_ms() - 86_400_000;
    sqlx::query(
        "WITH RECURSIVE n (i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 200002) \
         INSERT INTO incident_log (incident, seq, at_ms, action, from_state, to_state, actor, \
         actor_role, actor_area, comment, photos, detail) \
         SELECT l.incident, n.i, $2 + n.i, l.action, l.from_state, l.to_state, l.actor, \
         l.actor_role, l.actor_area, l.comment, l.photos, l.detail \
         FROM n, incident_log l WHERE l.incident = $1 AND l.seq = 1",
    )
    .bind(&busy)
    .bind(day_ago)
    .execute(&db)
    .await
    .unwrap();
    db.close().await;
    // … and, after them, two in district 11.
    let mut ours = Vec::new();
    for at in [(120.02, 28.05), (120.07, 28.05)] {
        let (status, v) = s.post(&boss, "/api/incidents", &report(at)).await;
        assert_eq!(status, 201, "{v}");
        ours.push(v["id"].as_str().unwrap().to_owned());
    }
    let district = s.login("district").await;
    let (status, body) = s.get(&district, "/api/incidents/log?format=json").await;
    assert_eq!(status, 200);
    let got: Vec<&str> = body["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["incident"].as_str().unwrap())
        .collect();
    assert_eq!(got, ours, "district 11's export");
    let r = s
        .http
        .get(format!("{}/api/incidents/log?format=csv", s.base))
        .bearer_auth(&district)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    for id in &ours {
        assert!(csv.contains(id.as_str()), "{csv}");
    }
}
