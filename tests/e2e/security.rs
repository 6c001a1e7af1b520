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
    let s = TestServer::start().await;
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
