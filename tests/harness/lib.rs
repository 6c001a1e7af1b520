//! The harness of the end-to-end tests: the real server on 127.0.0.1:0 over
//! a small two-district test city (in process, as the `riskmap` binary runs
//! it, or as the built binary itself for faults), and clients for it
//! (reqwest for HTTP, tokio-tungstenite for `/ws`).
//!
//! The store is SQLite in a temporary directory, or PostGIS when
//! `RISKMAP_TEST_DATABASE_URL` is set (each server gets a fresh database).
// Test support: a failed step is a failed test (unwrap, panics), and every
// helper is called for its value by tests that read it.
#![allow(
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    clippy::must_use_candidate
)]

use std::path::PathBuf;
use std::time::Duration;

use riskmap::config::ServeArgs;
use riskmap::serve::Server;
use serde_json::Value;
use sqlx::Connection;
use tempfile::TempDir;

pub mod binaries;
pub mod channels;
pub mod city;
pub mod cluster;
pub mod incidents;
pub mod load;
pub mod locks;
pub mod nodes;
pub mod ogc;
pub mod org;
pub mod process;
pub mod ws;

pub use binaries::binary;
pub use city::{city_areas, city_staff, grid, staff, swap_districts, write_city};
pub use process::{PROCESS_ADMIN_PASSWORD, ServerProcess, login_at, metrics_at, process_args};
pub use ws::{Ws, ws_at};

/// Where the fixes a test sends begin: an hour ago, on the second. A fixed
/// date would age past the track retention (30 days) and its fixes be
/// pruned while the test runs (a cluster node prunes as soon as it takes
/// the jobs' lease), reading as acknowledged fixes lost.
pub fn fixes_from_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_millis();
    (i64::try_from(now).expect("a time in range") - 3_600_000) / 1000 * 1000
}

pub const ADMIN_PASSWORD: &str = "test-admin-password";
pub const DEMO_PASSWORD: &str = riskmap::serve::DEMO_PASSWORD;

/// A running test server and its temporary files.
pub struct TestServer {
    pub server: Option<Server>,
    pub base: String,
    pub ws_base: String,
    pub http: reqwest::Client,
    pub args: ServeArgs,
    pub dir: PathBuf,
    pub admin_password: String,
    tmp: Option<TempDir>,
}

/// `--stale-after-s` of test servers: the test city's fixes are dated
/// 2026-01-01, and most tests ask about its staff as placed there; the
/// tests of staleness set their own.
pub const FIXTURE_STALE_AFTER_S: u64 = 100 * 365 * 86_400;

/// Server arguments over a fresh temporary directory with the test city.
pub async fn test_args() -> (ServeArgs, TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    write_city(&tmp.path().join("city"));
    let mut args = ServeArgs::defaults();
    args.listen = "127.0.0.1:0".parse().unwrap();
    args.osmand_listen = Some("127.0.0.1:0".parse().unwrap());
    args.data_dir = tmp.path().join("data");
    args.demo = true;
    args.no_simulator = true;
    args.demo_city = tmp.path().join("city");
    args.tick_ms = 20;
    args.stale_after_s = FIXTURE_STALE_AFTER_S;
    // Tests run the patrol alerts' pass themselves, at the times they choose.
    args.patrol_alert_check_s = 0;
    args.static_dir = None;
    args.database_url = fresh_database().await;
    (args, tmp)
}

/// A new empty PostGIS database when `RISKMAP_TEST_DATABASE_URL` is set.
pub async fn fresh_database() -> Option<String> {
    let url = std::env::var("RISKMAP_TEST_DATABASE_URL").ok()?;
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    let name = format!(
        "riskmap_it_{}",
        riskmap::identity::sessions::new_token().get(..12).unwrap()
    );
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .await
        .unwrap();
    let (prefix, _) = url.rsplit_once('/').unwrap();
    Some(format!("{prefix}/{name}"))
}

impl TestServer {
    pub async fn start() -> TestServer {
        let (args, tmp) = test_args().await;
        TestServer::start_in(args, tmp).await
    }

    /// A server with `args` (from [`test_args`], changed) over the
    /// temporary directory they name.
    pub async fn start_in(args: ServeArgs, tmp: TempDir) -> TestServer {
        let mut s = TestServer::start_with(args).await;
        tmp.path().clone_into(&mut s.dir);
        s.tmp = Some(tmp);
        s
    }

    pub async fn start_with(args: ServeArgs) -> TestServer {
        let server = Box::pin(riskmap::serve::start(args.clone())).await.unwrap();
        let base = format!("http://{}", server.addr);
        let ws_base = format!("ws://{}", server.addr);
        TestServer {
            admin_password: server.generated_admin_password.clone().unwrap_or_default(),
            server: Some(server),
            base,
            ws_base,
            http: reqwest::Client::new(),
            args,
            dir: PathBuf::new(),
            tmp: None,
        }
    }

    pub fn server(&self) -> &Server {
        self.server.as_ref().unwrap()
    }

    /// Stops the server (committing what is queued) and starts a new one on
    /// the same store.
    pub async fn restart(&mut self) {
        self.server.take().unwrap().shutdown().await;
        self.restart_stopped().await;
    }

    /// Starts a new server on the store of one that was stopped.
    pub async fn restart_stopped(&mut self) {
        let server = Box::pin(riskmap::serve::start(self.args.clone()))
            .await
            .unwrap();
        self.base = format!("http://{}", server.addr);
        self.ws_base = format!("ws://{}", server.addr);
        self.server = Some(server);
    }

    pub async fn login(&self, user: &str) -> String {
        let password = if user == "admin" {
            self.admin_password.clone()
        } else {
            DEMO_PASSWORD.to_owned()
        };
        let r = self
            .http
            .post(format!("{}/api/auth/login", self.base))
            .json(&serde_json::json!({ "username": user, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login {user}");
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Logs in as `user` with `password`: the status and the body.
    pub async fn try_login(&self, user: &str, password: &str) -> (u16, Value) {
        answer(
            self.http
                .post(format!("{}/api/auth/login", self.base))
                .json(&serde_json::json!({ "username": user, "password": password })),
        )
        .await
    }

    /// `riskmap users ARGS…` on this server's store (stop the server
    /// first), the new password in `RISKMAP_NEW_PASSWORD`: whether it
    /// succeeded, its standard output and error.
    pub fn users_cli(&self, args: &[&str], password: &str) -> (bool, String, String) {
        let mut all = vec!["users"];
        all.extend_from_slice(args);
        self.cli(&all, password)
    }

    /// `riskmap ARGS…` (a command that works on the store: `users`,
    /// `departments`, `import`) on this server's store, the server
    /// stopped; as [`TestServer::users_cli`].
    pub fn cli(&self, args: &[&str], password: &str) -> (bool, String, String) {
        let mut store = vec![
            "--data-dir".to_owned(),
            self.args.data_dir.display().to_string(),
        ];
        if let Some(url) = &self.args.database_url {
            store.extend(["--database-url".to_owned(), url.clone()]);
        }
        let out = std::process::Command::new(binary("riskmap"))
            .args(args)
            .args(&store)
            .env("RISKMAP_NEW_PASSWORD", password)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        answer(
            self.http
                .get(format!("{}{path}", self.base))
                .bearer_auth(token),
        )
        .await
    }

    /// While a question waits for a turn: a fix of `field`'s is taken and a
    /// nearest query of `asker`'s answered, then 200 ms let pass (time for
    /// the question to have been answered, had it not waited).
    pub async fn others_go_on(&self, field: &str, asker: &str) {
        let fix =
            serde_json::json!({ "fixes": [{ "lon": 120.03, "lat": 28.06, "t": fixes_from_ms() }] });
        let (status, b) = self.post(field, "/api/fixes", &fix).await;
        assert_eq!(status, 200, "{b}");
        let (status, b) = self
            .get(asker, "/api/dispatch/nearest?lon=120.021&lat=28.05&k=3")
            .await;
        assert_eq!(status, 200, "{b}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    /// `GET path` sent on a task of its own, for a question that waits
    /// (for a turn): its status, content type and body as text.
    pub fn get_later(
        &self,
        token: &str,
        path: &str,
    ) -> tokio::task::JoinHandle<(u16, String, String)> {
        let request = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token);
        tokio::spawn(async move {
            let r = request.send().await.unwrap();
            let kind = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            (r.status().as_u16(), kind, r.text().await.unwrap())
        })
    }

    /// The answer of a [`TestServer::get_later`] that must be JSON: 200
    /// and `application/json`, parsed.
    pub async fn json_later(later: tokio::task::JoinHandle<(u16, String, String)>) -> Value {
        let (status, kind, body) = later.await.unwrap();
        assert_eq!((status, kind.as_str()), (200, "application/json"), "{body}");
        serde_json::from_str(&body).unwrap()
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        answer(
            self.http
                .post(format!("{}{path}", self.base))
                .bearer_auth(token)
                .json(body),
        )
        .await
    }

    /// A `/ws` connection of `token` subscribed to `layers` of `area`, its
    /// snapshot read.
    pub async fn watch(&self, token: &str, area: &str, layers: &[&str]) -> Ws {
        let mut ws = self.ws(token).await;
        ws.send(&serde_json::json!({ "type": "subscribe", "area": area, "layers": layers }))
            .await;
        ws.next_of("snapshot").await;
        ws
    }

    /// `DELETE path`: the status.
    pub async fn delete(&self, token: &str, path: &str) -> u16 {
        let r = self
            .http
            .delete(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        r.status().as_u16()
    }

    /// `GET path` without a login (the citizen page's routes).
    pub async fn public_get(&self, path: &str) -> (u16, Value) {
        answer(self.http.get(format!("{}{path}", self.base))).await
    }

    /// `POST path` of JSON without a login.
    pub async fn public_post(&self, path: &str, body: &Value) -> (u16, Value) {
        answer(self.http.post(format!("{}{path}", self.base)).json(body)).await
    }

    pub async fn ws(&self, token: &str) -> Ws {
        ws_at(&self.base, token).await
    }
}

/// Sends a request; the status and the body as JSON (or as a string if it
/// is not JSON).
async fn answer(req: reqwest::RequestBuilder) -> (u16, Value) {
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}
