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
