//! What a first run meets: the server started where it cannot find its web
//! client, a second server on the same store, a wrong database URL, a
//! forgotten admin password. Each gets a clear answer instead of silence, a
//! hang or damage.
#![allow(clippy::unwrap_used)]

use riskmap_tests as common;

use common::{TestServer, test_args};

/// Without a built web client the server still serves its API, and `/`
/// says what is missing and how to build it (not an empty 404).
#[tokio::test]
async fn a_missing_web_client_is_explained_at_the_root() {
    let (mut args, tmp) = test_args().await;
    let empty = tmp.path().join("no-web-client");
    std::fs::create_dir_all(&empty).unwrap();
    args.static_dir = Some(empty);
    let s = TestServer::start_with(args).await;
    for page in ["/", "/field"] {
        let r = s
            .http
            .get(format!("{}{page}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{page}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let body = r.text().await.unwrap();
        assert!(body.contains("npm run build"), "{body}");
        assert!(body.contains("--static-dir"), "{body}");
    }
    let r = s.http.get(format!("{}/nope", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"], "not_found");
    let r = s
        .http
        .get(format!("{}/health", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the API works without the pages");
}

/// A second server on the same embedded store is refused at once, naming
/// the store and what to do; the first goes on unharmed.
#[tokio::test]
async fn a_second_server_on_one_store_is_refused() {
    if std::env::var("RISKMAP_TEST_DATABASE_URL").is_ok() {
        return; // the lock is the embedded store's; PostGIS runs clusters
    }
    let s = TestServer::start().await;
    let mut second = s.args.clone();
    second.osmand_listen = None;
    let Err(e) = riskmap::serve::start(second).await else {
        panic!("a second server started on the same store")
    };
    let message = e.to_string();
    assert!(message.contains("another riskmap server"), "{message}");
    assert!(
        message.contains(&std::process::id().to_string()),
        "{message}"
    );
    assert!(message.contains("--data-dir"), "{message}");
    let r = s
        .http
        .get(format!("{}/ready", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// A generated admin password never goes to a log: with the banner piped
/// (as a service manager does), it is written to a file only the server's
/// user can read, and the banner says where; the password in it works.
#[tokio::test]
async fn a_generated_admin_password_stays_out_of_logs() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    common::write_city(&tmp.path().join("city"));
    let args = common::process_args(tmp.path(), None);
    let mut child = std::process::Command::new(common::binary("riskmap"))
        .arg("serve")
        .args(&args)
        .env_remove("RISKMAP_ADMIN_PASSWORD")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .take_while(|l| !l.starts_with("demo logins"))
        .collect();
    let banner = lines.join("\n");
    let base = lines
        .iter()
        .find_map(|l| l.strip_prefix("riskmap is running at "))
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let file = tmp
        .path()
        .join("data")
        .join(riskmap::serve::ADMIN_PASSWORD_FILE);
    let password = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    assert!(!password.is_empty());
    assert!(!banner.contains(&password), "{banner}");
    assert!(banner.contains(&file.display().to_string()), "{banner}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o077,
        0,
        "only the server's user may read it: {mode:o}"
    );
    let token = common::login_at(&base, "admin", &password).await;
    assert!(!token.is_empty());
    let _ = child.kill();
    let _ = child.wait();
}

/// A store the demo ran on, served later for real (without `--demo`), is
/// refused while its demo logins still have the public demo password, and
/// the message says what to do; with `--demo` it serves again.
#[tokio::test]
async fn demo_logins_with_the_public_password_are_refused_outside_demo_mode() {
    let mut s = TestServer::start().await;
    s.server.take().unwrap().shutdown().await;
    let mut real = s.args.clone();
    real.demo = false;
    let Err(e) = riskmap::serve::start(real).await else {
        panic!("served demo logins with the public password outside demo mode")
    };
    let message = e.to_string();
    assert!(message.contains("public demo password"), "{message}");
    assert!(
        message.contains("commander") && message.contains("--demo"),
        "{message}"
    );
    s.restart_stopped().await;
    assert!(!s.login("commander").await.is_empty());
}

/// Runs `riskmap serve ARGS` until it exits, at most `within`: its exit
/// status (none if it was still running and had to be killed), its stderr,
/// and how long it ran.
fn serve_until_exit(
    args: &[String],
    within: std::time::Duration,
) -> (
    Option<std::process::ExitStatus>,
    String,
    std::time::Duration,
) {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("stderr.log");
    // Built (if need be) before the clock starts.
    let riskmap = common::binary("riskmap");
    let started = std::time::Instant::now();
    let mut child = std::process::Command::new(riskmap)
        .arg("serve")
        .args(args)
        .env("RISKMAP_ADMIN_PASSWORD", "not-used-here")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > within {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let took = started.elapsed();
    (status, std::fs::read_to_string(&log).unwrap(), took)
}

/// A database nobody listens on is reported within seconds with the
/// driver's reason (connection refused), not after a minute as "pool timed
/// out".
#[tokio::test]
async fn a_refused_database_url_fails_fast_with_the_cause() {
    let tmp = tempfile::tempdir().unwrap();
    common::write_city(&tmp.path().join("city"));
    let args = common::process_args(tmp.path(), Some("postgres://127.0.0.1:1/x".into()));
    let (status, stderr, took) = serve_until_exit(&args, std::time::Duration::from_secs(30));
    let status = status.unwrap_or_else(|| panic!("still running after {took:?}: {stderr}"));
    assert!(!status.success(), "{stderr}");
    assert!(
        took < std::time::Duration::from_secs(10),
        "{took:?}: {stderr}"
    );
    assert!(stderr.to_lowercase().contains("refused"), "{stderr}");
    assert!(!stderr.contains("pool timed out"), "{stderr}");
}

/// A URL of a database riskmap does not speak is refused at once, naming
/// the schemes it accepts (not a DNS error about its host).
#[tokio::test]
async fn an_unsupported_database_scheme_names_the_accepted_ones() {
    let tmp = tempfile::tempdir().unwrap();
    common::write_city(&tmp.path().join("city"));
    let args = common::process_args(tmp.path(), Some("mysql://x".into()));
    let (status, stderr, took) = serve_until_exit(&args, std::time::Duration::from_secs(30));
    let status = status.unwrap_or_else(|| panic!("still running after {took:?}: {stderr}"));
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("postgres://"), "{stderr}");
    assert!(stderr.contains("postgresql://"), "{stderr}");
    assert!(stderr.contains("mysql"), "{stderr}");
}

/// A forgotten password is reset on the store with the server stopped
/// (`riskmap users passwd`, the password from the environment, never a
/// flag); the old one stops working, a short one is refused, and `users
/// list` shows the logins. (The new one is the operator's: the admin
/// chooses its own at the next login, `e2e/accounts.rs` tests that.)
#[tokio::test]
async fn a_forgotten_password_is_reset_on_the_store() {
    let mut s = TestServer::start().await;
    let old = s.admin_password.clone();
    s.server.take().unwrap().shutdown().await;
    let users = |args: &[&str], password: &str| s.users_cli(args, password);
    let (ok, _, err) = users(&["passwd", "admin"], "short");
    assert!(!ok && err.contains("at least 10"), "{err}");
    let (ok, _, err) = users(&["passwd", "nobody"], "A-long-enough-1");
    assert!(!ok && err.contains("no login"), "{err}");
    let (ok, out, err) = users(&["passwd", "admin"], "Fresh-Root-Secret-1");
    assert!(ok, "{err}");
    assert!(out.contains("admin"), "{out}");
    let (ok, list, err) = users(&["list"], "");
    assert!(ok, "{err}");
    assert!(
        list.lines().any(|l| l.starts_with("admin ")) && list.contains("dispatcher"),
        "{list}"
    );
    s.restart_stopped().await;
    let login = |password: String| {
        let s = &s;
        async move {
            s.http
                .post(format!("{}/api/auth/login", s.base))
                .json(&serde_json::json!({ "username": "admin", "password": password }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(login(old).await, 401);
    assert_eq!(login("Fresh-Root-Secret-1".into()).await, 200);
}
